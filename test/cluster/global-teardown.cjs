// Jest globalTeardown of the "cluster" project: stops every process globalSetup started, by the
// pids in its state.json (SIGTERM, then SIGKILL), the watchdog first, and removes the state folder.
'use strict';
const cluster = require('../../scripts/cluster.cjs');

module.exports = async function globalTeardown() {
  const dir = process.env.TASK_API_CLUSTER_DIR;
  if (dir) await cluster.down(dir, { quiet: true });
};
