// The `init` command of the Argo CD config management plugin (deploy/argocd/plugin.yaml): makes a
// fresh checkout ready for `npm run synth -- --stdout`, in the plugin's sidecar.
//
// Argo CD runs init before every render, in a new copy of the repository. A plain `npm ci` takes
// a minute or more there (longer than Argo CD's default timeouts), so node_modules is installed
// once per lock file (and Node binary) into a cache folder, and each checkout gets a symlink to
// it. The cache lives in the sidecar's /tmp volume (TASK_API_CMP_CACHE): it is lost when the pod
// restarts, and only the most recently used few are kept.
//
// Nothing here prints on stdout (npm's output goes to stderr), and any failure exits non-zero,
// which fails the render before generate runs.
//
// CommonJS so that the tests can require it.
'use strict';
const { spawnSync } = require('child_process');
const { createHash } = require('crypto');
const { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync } = require('fs');
const { tmpdir } = require('os');
const { join } = require('path');

/** The cache folder, unless TASK_API_CMP_CACHE names another. */
const DEFAULT_CACHE = join(tmpdir(), 'task-api-cmp');
/** How many node_modules trees (lock files) the cache keeps. */
const KEEP = 3;
/** An unfinished install older than this was killed (a render timed out): its folder is removed. */
const ABANDONED_MS = 60 * 60 * 1000;
/** What a checkout needs to install its dependencies. */
const INSTALL_FILES = ['package.json', 'package-lock.json', '.npmrc'];

/** The cache entry for a lock file: node_modules differ by lock file and by Node binary. */
function cacheKey(lockText, node = process) {
  return createHash('sha256').update(`${node.version} ${node.platform} ${node.arch}\n`).update(lockText).digest('hex').slice(0, 32);
}

/** Installs the dependencies of `appDir` into `cacheRoot/<key>/node_modules`, unless they are there. */
function ensureCached(appDir, cacheRoot, key, log) {
  const entry = join(cacheRoot, key);
  if (existsSync(join(entry, 'node_modules'))) return entry;
  mkdirSync(cacheRoot, { recursive: true });
  // Installed beside the entry and renamed into place: an entry is always complete.
  const staging = mkdtempSync(join(cacheRoot, `.${key}-`));
  try {
    for (const file of INSTALL_FILES) if (existsSync(join(appDir, file))) copyFileSync(join(appDir, file), join(staging, file));
    log(`installing dependencies for lock file ${key} (npm ci)`);
    // No install scripts: the project's own (prepare: the build) runs below, and no dependency needs one.
    const npm = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: staging, stdio: ['ignore', 2, 2] });
    if (npm.error) throw new Error(`npm could not be started: ${npm.error.message}`);
    if (npm.status !== 0) throw new Error(`npm ci failed (exit code ${npm.status})`);
    try {
      renameSync(staging, entry);
    } catch (error) {
      // Another render installed the same lock file meanwhile: use that one.
      if (!existsSync(join(entry, 'node_modules'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return entry;
}

/** Keeps the `keep` most recently used entries, and drops installs abandoned long ago. */
function pruneCache(cacheRoot, keep = KEEP, now = Date.now()) {
  const names = readdirSync(cacheRoot);
  for (const name of names.filter((n) => n.startsWith('.'))) {
    if (now - statSync(join(cacheRoot, name)).mtimeMs > ABANDONED_MS) rmSync(join(cacheRoot, name), { recursive: true, force: true });
  }
  const entries = names.filter((n) => !n.startsWith('.')).map((name) => ({ name, used: statSync(join(cacheRoot, name)).mtimeMs }));
  entries.sort((a, b) => b.used - a.used);
  for (const { name } of entries.slice(keep)) rmSync(join(cacheRoot, name), { recursive: true, force: true });
}

/** init: node_modules (a link into the cache), then the synth program's build. Returns the exit code. */
function main(appDir = process.cwd(), env = process.env, log = (line) => process.stderr.write(`argocd-init: ${line}\n`)) {
  try {
    const cacheRoot = env.TASK_API_CMP_CACHE || DEFAULT_CACHE;
    const key = cacheKey(readFileSync(join(appDir, 'package-lock.json')));
    const entry = ensureCached(appDir, cacheRoot, key, log);
    const now = new Date();
    utimesSync(entry, now, now);
    pruneCache(cacheRoot);
    if (!existsSync(join(appDir, 'node_modules'))) symlinkSync(join(entry, 'node_modules'), join(appDir, 'node_modules'), 'dir');
    const build = spawnSync(process.execPath, [join('scripts', 'build.cjs')], { cwd: appDir, stdio: ['ignore', 2, 2] });
    if (build.status !== 0) throw new Error(`the build failed (exit code ${build.status ?? build.signal})`);
    return 0;
  } catch (error) {
    log(`failed: ${error.message}`);
    return 1;
  }
}

module.exports = { DEFAULT_CACHE, KEEP, cacheKey, ensureCached, pruneCache, main };

if (require.main === module) process.exitCode = main();
