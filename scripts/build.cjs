// Builds the programs into build/ with esbuild, when a source changed. No type checking here
// (`tsc`, which `npm test` and `npm run build` run first, does that), so nothing on the synth path
// runs the TypeScript compiler.
//
//   build/main.js       main.ts bundled with its dependencies into one CommonJS file, without
//                       whitespace or comments: a run reads one module instead of a few hundred.
//   build/lib/synth/schema-models.js, build/lib/synth/crd-models.js  the schema validators alone, for the
//                       tests (jest loads these bundles: the CRD models are ESM-only, which jest's
//                       CommonJS cannot load).
//   build/bin/<x>.js    the same for each bin/*.ts: `npm run explain` and `npm run plan`.
//
// build/build-info.json records every file the bundles were built from (the project's own
// sources, as esbuild read them, plus package-lock.json for the dependencies, tsconfig.json and
// this script) with its SHA-256 and its file status. `npm run synth` checks it before every run
// (scripts/synth.cjs): a file whose size, inode, mtime and ctime are unchanged is unchanged;
// any other is hashed, and a different hash means a rebuild. Tools that keep a file's old mtime
// (`cp -p`, `rsync -a`, tar, `touch -r`) cannot keep its ctime, so a same-size edit with an old
// mtime is still seen. A fresh `npm ci` (the `prepare` script) builds from nothing.
//
// CommonJS, like scripts/synth.cjs, which requires it: Node starts CommonJS faster than ES modules.
//
// Usage: node scripts/build.cjs [--force]
'use strict';
const { createHash } = require('crypto');
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('fs');
const { dirname, join, relative, sep } = require('path');

const ROOT = join(__dirname, '..');
const BUILD_DIR = join(ROOT, 'build');
const INFO_FILE = join(BUILD_DIR, 'build-info.json');
/** Changes when build-info.json's shape does: an older record means a rebuild. */
const INFO_FORMAT = 2;
/** What the bundles depend on besides the sources esbuild reads (relative to the root). */
const BUILD_INPUTS = ['package-lock.json', 'tsconfig.json', 'scripts/build.cjs'];
/**
 * A file status is trusted only when its ctime is older than this when it is taken: an edit in
 * the same tick of the file system's clock (a few milliseconds) would leave it unchanged.
 */
const SETTLED_MS = 2000;

/**
 * Banner for a bundle whose entry is not main.ts. main.ts runs the synth program when
 * `require.main === module`, and in a bundle `module` is the bundle's own: true for any entry.
 * This shadows it with a module that is not the main one.
 */
const NOT_MAIN_MODULE = 'var module = { exports: {} }, exports = module.exports;';

/** What to bundle, relative to the root: main.ts (the synth program), then the validators and bin/*.ts. */
function entryPoints() {
  let bin = [];
  try {
    bin = readdirSync(join(ROOT, 'bin')).filter((f) => f.endsWith('.ts')).sort().map((f) => `bin/${f}`);
  } catch {
    // no bin/
  }
  return ['main.ts', 'lib/synth/schema-models.ts', 'lib/synth/crd-models.ts', ...bin];
}

/** The parts of a file status that any change to the file changes (ctime included). */
function statusOf(stat) {
  return [stat.size, stat.ino, stat.mtimeMs, stat.ctimeMs];
}

function sha256(contents) {
  return createHash('sha256').update(contents).digest('hex');
}

/**
 * Reads a file and what build-info.json records of it: its hash, and its status taken before the
 * read (so that an edit after the status was taken changes it), kept only when settled.
 */
function readRecorded(path) {
  const stat = statSync(path);
  const contents = readFileSync(path);
  const status = stat.ctimeMs < Date.now() - SETTLED_MS ? statusOf(stat) : null;
  return { contents, record: { sha256: sha256(contents), status } };
}

/**
 * Why build/ must be (re)built, or undefined when it is up to date. Files that changed status but
 * not content (a `touch`, a checkout of the same content) get their new status recorded, so the
 * next check need not hash them again.
 */
function staleReason() {
  let info;
  let infoStatus;
  try {
    infoStatus = statusOf(statSync(INFO_FILE));
    info = JSON.parse(readFileSync(INFO_FILE, 'utf8'));
  } catch {
    return 'no complete build yet';
  }
  if (info?.format !== INFO_FORMAT) return 'built by another build script';
  if (info.entries.join() !== entryPoints().join()) return 'the entry points changed';
  const changed = [];
  let updated = false;
  for (const [path, recorded] of Object.entries(info.files)) {
    let stat;
    try {
      stat = statSync(join(ROOT, path));
    } catch {
      changed.push(path);
      continue;
    }
    const status = statusOf(stat);
    if (recorded.status && status.every((value, i) => value === recorded.status[i])) continue;
    const { record } = readRecorded(join(ROOT, path));
    if (record.sha256 !== recorded.sha256) changed.push(path);
    else if (record.status) {
      info.files[path] = record;
      updated = true;
    }
  }
  if (changed.length > 0) return `${changed.join(', ')} changed`;
  // The outputs must be the very files this record's build wrote: not replaced by another build.
  const replaced = Object.entries(info.outputs).filter(([file, recorded]) => !sameStatus(join(BUILD_DIR, file), recorded));
  if (replaced.length > 0) return `${replaced.map(([file]) => `build/${file}`).join(', ')} missing or replaced`;
  if (updated) refreshInfo(info, infoStatus);
  return undefined;
}

/** Best effort: skipped when build/ is read-only or another run rewrote build-info.json meanwhile. */
function refreshInfo(info, readStatus) {
  try {
    if (statusOf(statSync(INFO_FILE)).every((value, i) => value === readStatus[i])) writeInfo(info);
  } catch {
    // the next check hashes those files again
  }
}

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function sameStatus(path, recorded) {
  try {
    return statusOf(statSync(path)).every((value, i) => value === recorded[i]);
  } catch {
    return false;
  }
}

/** Builds build/ when it is stale (or always, with force). Returns whether it built. */
async function ensureBuilt({ force = false, log = () => {} } = {}) {
  const reason = force ? 'forced' : staleReason();
  if (reason === undefined) return false;
  log(`building build/ (${reason})`);
  await build();
  return true;
}

/**
 * An esbuild plugin that reads the project's own files (not node_modules, which package-lock.json
 * stands for) itself, recording each: the recorded hash is of the very bytes bundled.
 */
function recordSources(files) {
  return {
    name: 'record-sources',
    setup(build) {
      build.onLoad({ filter: /.*/ }, (args) => {
        if (args.namespace !== 'file' || args.path.split(sep).includes('node_modules')) return undefined;
        const { contents, record } = readRecorded(args.path);
        files[relative(ROOT, args.path).split(sep).join('/')] = record;
        return { contents, loader: 'default' };
      });
    },
  };
}

/** How every bundle of the project is built (the synth program's and the package's validators). */
const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // No comments or indentation: a third less to read and compile, and ASCII only (a comment in
  // a dependency holds curly quotes), which V8 holds as one byte per character. Names stay.
  minifyWhitespace: true,
  // Errors come back in the exception, for one message (scripts/synth.cjs), not printed here.
  logLevel: 'silent',
  absWorkingDir: ROOT,
};

async function build() {
  const { build: esbuild } = require('esbuild');
  mkdirSync(BUILD_DIR, { recursive: true });
  rmSync(INFO_FILE, { force: true });
  const files = {};
  for (const path of BUILD_INPUTS) files[path] = readRecorded(join(ROOT, path)).record;
  const entries = entryPoints();
  const options = {
    ...BUNDLE_OPTIONS,
    write: false,
    outdir: BUILD_DIR,
    outbase: ROOT,
    plugins: [recordSources(files)],
  };
  const bin = entries.filter((entry) => entry.startsWith('bin/'));
  const synthProgram = await esbuild({ ...options, entryPoints: entries.filter((entry) => !bin.includes(entry)) });
  // bin/ programs contain main.ts too, whose `require.main === module` must stay false there.
  const otherPrograms = await esbuild({ ...options, entryPoints: bin, banner: { js: NOT_MAIN_MODULE } });
  const outputs = {};
  for (const file of [...synthProgram.outputFiles, ...otherPrograms.outputFiles]) {
    writeAtomically(file.path, file.contents);
    outputs[relative(BUILD_DIR, file.path).split(sep).join('/')] = statusOf(statSync(file.path));
  }
  writeInfo({ format: INFO_FORMAT, entries, outputs, files });
  removeLeftovers(Object.keys(outputs));
}

/**
 * Removes what earlier builds wrote and this one did not (an entry point that is gone, the
 * startup snapshot of older versions). Code caches (scripts/synth.cjs) stay: each knows its bundle.
 * So does build/package/, the npm package's build (scripts/build-package.cjs).
 */
function removeLeftovers(outputs) {
  const keep = new Set([...outputs, relative(BUILD_DIR, INFO_FILE)]);
  for (const name of readdirSync(BUILD_DIR, { recursive: true })) {
    const path = name.split(sep).join('/');
    if (path.startsWith('package/')) continue;
    if (!keep.has(path) && !/\.(cache|tmp)$/.test(path) && isFile(join(BUILD_DIR, name))) rmSync(join(BUILD_DIR, name), { force: true });
  }
}

function writeInfo(info) {
  writeAtomically(INFO_FILE, JSON.stringify(info, null, 1) + '\n');
}

function writeAtomically(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, contents);
  renameSync(partial, path);
}

module.exports = { BUILD_DIR, BUNDLE_OPTIONS, NOT_MAIN_MODULE, staleReason, ensureBuilt, build };

if (require.main === module) {
  ensureBuilt({ force: process.argv.includes('--force'), log: (line) => console.error(line) }).catch((error) => {
    console.error(`build failed: ${error.message}`);
    process.exitCode = 1;
  });
}
