// Starts one of the project's programs (synth, plan, explain) in one Node process: rebuilds
// build/ when a source changed (scripts/build.cjs, in this process; when nothing changed the check
// compares file statuses, well under a millisecond), then runs the program's bundle in this process.
// TASK_API_DEBUG=1 says what was rebuilt. CommonJS: Node starts it faster than an ES module.
//
// A bundle is loaded as require() would load it, plus V8's code cache: `<bundle>.cache` holds the
// bytecode of every function the last run compiled, so a run compiles (almost) nothing. The cache
// is only a compilation shortcut: V8 checks it against its own version and flags and falls back to
// compiling the source, and the file carries the identity of the bundle it was made from, so a
// rebuilt bundle never meets an old cache. The same code runs either way, so the output is the
// same byte for byte (test/synth-command.test.ts). The cache holds compiled code, no values:
// nothing read at run time (secrets included) ends up in it.
//
// When the program cannot build or start (a syntax error in a source file, node_modules missing
// or stale), it says so in one line and exits with the command's own error code: 2 for plan and
// explain (1 means "changes pending" to plan's callers), 1 for synth.
'use strict';
const { closeSync, fstatSync, openSync, readFileSync, renameSync, writeFileSync } = require('fs');
const Module = require('module');
const { dirname, join } = require('path');
const { Script } = require('vm');

/**
 * Runs `build/<bundle>` for `command`; `run` receives its exports (a bundle may also run on load).
 * @param {{ command: string, bundle: string, failureCode: number, run?: (exports: any) => void }} program
 */
function launch(program) {
  const debug = (line) => {
    if (process.env.TASK_API_DEBUG) console.error(`${program.command}: ${line}`);
  };
  const fail = (what, error) => {
    console.error(`${program.command} failed: the program ${what}: ${oneLine(error)}; ${remedy(error)}`);
    if (process.env.TASK_API_DEBUG) console.error(error);
    process.exitCode = program.failureCode;
  };
  const start = () => {
    let exports;
    try {
      exports = loadProgram(join(BUILD_DIR, program.bundle), debug);
    } catch (error) {
      return fail('did not start', error);
    }
    if (program.run) program.run(exports);
  };
  let stale;
  try {
    stale = staleReason();
  } catch (error) {
    return fail('did not build', error);
  }
  if (stale === undefined) return start();
  debug(`building build/ (${stale})`);
  build().then(start, (error) => fail('did not build', error));
}

const { BUILD_DIR, build, staleReason } = require('./build.cjs');

/** The first line of what went wrong: esbuild's first error with its file:line, or the message. */
function oneLine(error) {
  const first = error?.errors?.[0];
  if (first) {
    const where = first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
    return `${where}${first.text}`;
  }
  return String(error?.message ?? error).split('\n')[0];
}

function remedy(error) {
  const missing = error?.code === 'MODULE_NOT_FOUND' || /Cannot find module|Could not resolve/.test(String(error?.message));
  return missing ? 'run npm ci (node_modules is missing or out of date)' : 'fix the source file it names, then run the command again';
}

/** Loads a CommonJS bundle as require() does, compiling it with its code cache when there is one. */
function loadProgram(file, debug) {
  const cacheFile = `${file}.cache`;
  const { source, identity } = readWithIdentity(file);
  const cachedData = readCache(cacheFile, identity);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    debug(cachedData === undefined ? 'no code cache yet' : 'code cache rejected by V8');
    // After a successful run: the cache then holds every function the run compiled.
    process.once('exit', (code) => code === 0 && writeCache(cacheFile, identity, script, debug));
  }
  const bundle = new Module(file);
  bundle.filename = file;
  bundle.paths = Module._nodeModulePaths(dirname(file));
  script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, dirname(file));
  bundle.loaded = true;
  return bundle.exports;
}

/**
 * The file's text and what identifies this very file: its status, taken from the descriptor the
 * text is read from. build.cjs replaces a bundle by renaming a new file over it, so a rebuilt
 * bundle has another inode and ctime.
 */
function readWithIdentity(file) {
  const fd = openSync(file, 'r');
  try {
    const stat = fstatSync(fd);
    return { identity: `${stat.size} ${stat.ino} ${stat.mtimeMs} ${stat.ctimeMs}`, source: readFileSync(fd, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

/** The code cache, if there is one for the bundle with this identity. Its first line is the identity. */
function readCache(cacheFile, identity) {
  let contents;
  try {
    contents = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const newline = contents.indexOf(10);
  if (newline < 0 || contents.toString('latin1', 0, newline) !== identity) return undefined;
  return contents.subarray(newline + 1);
}

/** Best effort: a read-only build/ only means the next run compiles again. */
function writeCache(cacheFile, identity, script, debug) {
  const partial = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(partial, Buffer.concat([Buffer.from(`${identity}\n`, 'latin1'), script.createCachedData()]));
    renameSync(partial, cacheFile);
  } catch (error) {
    debug(`code cache not written: ${error.message}`);
  }
}

module.exports = { launch };
