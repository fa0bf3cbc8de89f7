// Which command runs the synth program: from the startup snapshot (build/synth.blob) when this
// very Node binary built it, otherwise plainly (build/main.js). Both write the same output.
//
// A snapshot is a V8 heap image: only the Node version, build and V8 flags that wrote it can load
// it (Node itself refuses a snapshot from another version with exit code 14, and crashes on a
// damaged one). So the build records the binary in a sidecar file and the snapshot is used only
// when that record matches the running binary, the blob is the one the build wrote, and
// NODE_OPTIONS (which may carry V8 flags) is empty.
//
// CommonJS so that scripts/*.mjs can import it and the jest tests can require it.
'use strict';
const { spawnSync } = require('child_process');
const { readFileSync, statSync } = require('fs');
const { join } = require('path');

const PLAIN_ENTRY = 'main.js';
const SNAPSHOT_BLOB = 'synth.blob';
const SNAPSHOT_RECORD = 'synth.blob.json';

/** What identifies the running Node binary, as far as a startup snapshot is concerned. */
function nodeFingerprint() {
  const binary = statSync(process.execPath);
  return {
    version: process.version,
    arch: process.arch,
    platform: process.platform,
    execPath: process.execPath,
    size: binary.size,
    mtimeMs: Math.trunc(binary.mtimeMs),
  };
}

/** The sidecar record for a blob the running binary has just built. */
function snapshotRecord(blobPath) {
  const blob = statSync(blobPath);
  return { node: nodeFingerprint(), blob: { size: blob.size, mtimeMs: Math.trunc(blob.mtimeMs) } };
}

/** Why the snapshot in `buildDir` cannot be used here, or undefined when it can. */
function snapshotProblem(buildDir, env = process.env) {
  if ((env.NODE_OPTIONS ?? '').trim() !== '') return 'NODE_OPTIONS is set, and a snapshot loads only under the V8 flags it was built with';
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(join(buildDir, SNAPSHOT_RECORD), 'utf8'));
  } catch {
    return 'no startup snapshot was built';
  }
  let blob;
  try {
    blob = statSync(join(buildDir, SNAPSHOT_BLOB));
  } catch {
    return `${SNAPSHOT_BLOB} is missing`;
  }
  if (recorded.blob?.size !== blob.size || recorded.blob?.mtimeMs !== Math.trunc(blob.mtimeMs)) {
    return `${SNAPSHOT_BLOB} is not the file the build wrote`;
  }
  const current = nodeFingerprint();
  const differing = Object.keys(current).filter((key) => recorded.node?.[key] !== current[key]);
  if (differing.length > 0) {
    const built = recorded.node ?? {};
    return `it was built by another Node binary (${built.execPath} ${built.version}; differs in ${differing.join(', ')})`;
  }
  return undefined;
}

/**
 * The synth program's command line, given the program's own arguments: `{ args, snapshot, reason }`,
 * args[0] being this Node binary. `reason` says why the snapshot is not used.
 */
function synthCommand(buildDir, env = process.env, programArgs = []) {
  const reason = snapshotProblem(buildDir, env);
  if (reason !== undefined) return { ...plainSynthCommand(buildDir, programArgs), reason };
  // The script argument is not run (the snapshot's main function is), but process.argv is the
  // same as on the plain path: [node, build/main.js, ...programArgs].
  return { args: [process.execPath, '--snapshot-blob', join(buildDir, SNAPSHOT_BLOB), join(buildDir, PLAIN_ENTRY), ...programArgs], snapshot: true };
}

/** The synth program without the snapshot. */
function plainSynthCommand(buildDir, programArgs = []) {
  return { args: [process.execPath, join(buildDir, PLAIN_ENTRY), ...programArgs], snapshot: false };
}

/** Node's exit code when it cannot load a startup snapshot; no JavaScript has run by then. */
const SNAPSHOT_LOAD_FAILURE = 14;

/**
 * Runs the synth program from `buildDir` in a child process and returns spawnSync's result plus
 * `snapshot` (whether the snapshot ran). Should Node still refuse the snapshot (exit code 14,
 * before any JavaScript ran, so nothing was written), it runs the plain program instead.
 */
function runSynthProgram(buildDir, { args = [], env = process.env, cwd = process.cwd(), stdio = 'inherit', log = () => {} } = {}) {
  const run = (command) => {
    const result = spawnSync(command.args[0], command.args.slice(1), { env, cwd, stdio, encoding: 'utf8' });
    if (result.error) throw result.error;
    return { ...result, snapshot: command.snapshot };
  };
  const command = synthCommand(buildDir, env, args);
  log(command.snapshot ? 'from the startup snapshot' : `without the startup snapshot: ${command.reason}`);
  const result = run(command);
  if (!command.snapshot || result.status !== SNAPSHOT_LOAD_FAILURE) return result;
  log('the startup snapshot did not load; running without it (`node scripts/build.mjs --force` rebuilds it)');
  return run(plainSynthCommand(buildDir, args));
}

module.exports = {
  PLAIN_ENTRY,
  SNAPSHOT_BLOB,
  SNAPSHOT_RECORD,
  SNAPSHOT_LOAD_FAILURE,
  nodeFingerprint,
  snapshotRecord,
  snapshotProblem,
  synthCommand,
  plainSynthCommand,
  runSynthProgram,
};
