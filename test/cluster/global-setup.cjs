// Jest globalSetup of the "cluster" project: one control plane (scripts/cluster.cjs) for every
// cluster test, in a fresh state folder. Without Go and KUBEBUILDER_ASSETS it throws the one-line
// message, so the cluster tests fail; they never skip.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const cluster = require('../../scripts/cluster.cjs');

module.exports = async function globalSetup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-api-cluster-test-'));
  let state;
  try {
    state = await cluster.up(dir);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`the cluster tests need a control plane: ${error instanceof cluster.ClusterError ? error.message : error.stack}`);
  }
  // A jest killed before its teardown leaves no process behind: the watchdog stops them all.
  cluster.startWatchdog(dir, process.pid);
  // Read by the test files (jest starts its workers after this, with this environment).
  process.env.TASK_API_CLUSTER_DIR = dir;
  process.env.TASK_API_TEST_KUBECONFIG = state.kubeconfig;
  process.env.TASK_API_TEST_KUBECTL = state.kubectl;
  process.env.TASK_API_TEST_SEALING_CERT = state.sealedSecretsCert;
};
