// Builds the synth program into build/ with esbuild. No type checking here (`tsc`, which
// `npm test` and `npm run build` run first, does that), so nothing on the synth path runs the
// TypeScript compiler.
//
//   build/main.js       main.ts bundled with its dependencies into one CommonJS file: a run
//                       resolves and reads one module instead of a few hundred.
//   build/lib/synth/schema-models.js, build/lib/synth/crd-models.js  the schema validators alone, for the
//                       tests (jest loads these bundles: the CRD models are ESM-only, which jest's
//                       CommonJS cannot load).
//   build/bin/<x>.js    the same for each bin/*.ts: `npm run explain` and `npm run plan`.
//   build/synth.blob    a Node startup snapshot of main-snapshot.ts: the same program with every
//                       module already loaded and warmed up, which starts much faster.
//   build/synth.blob.json  the Node binary that built the blob, the only one that may load it
//                       (scripts/startup-snapshot.cjs checks it before every run).
//
// Skipped when nothing changed: build/build-info.json records a hash of every source file that
// went into the bundles, of package-lock.json and of the build scripts, and the Node binary. So
// `npm run synth` (which calls this first) costs a few milliseconds when up to date, and a fresh
// `npm ci` (the `prepare` script) or a switch to another Node version rebuilds by itself.
//
// Usage: node scripts/build.mjs [--force]
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';
import { fileURLToPath } from 'url';
import snapshot from './startup-snapshot.cjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_DIR = join(ROOT, 'build');
const INFO_FILE = join(BUILD_DIR, 'build-info.json');
const SNAPSHOT_ENTRY = 'main-snapshot.ts';

/**
 * Banner for a bundle whose entry is not main.ts. main.ts runs the synth program when
 * `require.main === module`, and in a bundle `module` is the bundle's own: true for any entry.
 * This shadows it with a module that is not the main one. (`node --build-snapshot` also needs
 * it: Node 20 runs the snapshot entry without `module` or `exports`.)
 */
export const NOT_MAIN_MODULE = 'var module = { exports: {} }, exports = module.exports;';

/** What to bundle, relative to the root: main.ts (the synth program), then the validators and bin/*.ts. */
function entryPoints() {
  const bin = existsSync(join(ROOT, 'bin')) ? readdirSync(join(ROOT, 'bin')).filter((f) => f.endsWith('.ts')).sort().map((f) => `bin/${f}`) : [];
  return ['main.ts', 'lib/synth/schema-models.ts', 'lib/synth/crd-models.ts', ...bin];
}

function hashFile(path) {
  try {
    return createHash('sha256').update(readFileSync(join(ROOT, path))).digest('hex');
  } catch {
    return 'missing';
  }
}

/** What the build depends on besides the bundled sources. */
function environment() {
  return {
    entries: entryPoints(),
    scripts: hashFile('scripts/build.mjs') + hashFile('scripts/startup-snapshot.cjs'),
    lock: hashFile('package-lock.json'),
    node: snapshot.nodeFingerprint(),
  };
}

/** Why build/ must be (re)built, or undefined when it is up to date. */
export function staleReason() {
  let info;
  try {
    info = JSON.parse(readFileSync(INFO_FILE, 'utf8'));
  } catch {
    return 'no complete build yet';
  }
  if (JSON.stringify(info.environment) !== JSON.stringify(environment())) return 'entries, lock file, build script or Node binary changed';
  const changed = Object.entries(info.sources).filter(([path, hash]) => hashFile(path) !== hash);
  if (changed.length > 0) return `${changed.map(([path]) => path).join(', ')} changed`;
  const outputs = [...info.outputs, ...(info.snapshot ? [snapshot.SNAPSHOT_BLOB, snapshot.SNAPSHOT_RECORD] : [])];
  const missing = outputs.filter((file) => !existsSync(join(BUILD_DIR, file)));
  if (missing.length > 0) return `${missing.join(', ')} missing`;
  return undefined;
}

/** Builds build/ when it is stale (or always, with force). Returns whether it built. */
export async function ensureBuilt({ force = false, log = () => {} } = {}) {
  const reason = force ? 'forced' : staleReason();
  if (reason === undefined) return false;
  log(`building build/ (${reason})`);
  await build();
  return true;
}

async function build() {
  const { build: esbuild } = await import('esbuild');
  mkdirSync(BUILD_DIR, { recursive: true });
  rmSync(INFO_FILE, { force: true });
  const env = environment();
  const options = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error', metafile: true, write: false, absWorkingDir: ROOT };
  const bin = env.entries.filter((entry) => entry.startsWith('bin/'));
  const synthProgram = await esbuild({ ...options, entryPoints: env.entries.filter((entry) => !bin.includes(entry)), outdir: BUILD_DIR, outbase: ROOT });
  // bin/ programs contain main.ts too, whose `require.main === module` must stay false there.
  const otherPrograms = await esbuild({ ...options, entryPoints: bin, outdir: BUILD_DIR, outbase: ROOT, banner: { js: NOT_MAIN_MODULE } });
  const snapshotEntry = await esbuild({
    ...options,
    entryPoints: [SNAPSHOT_ENTRY],
    outfile: join(BUILD_DIR, 'main-snapshot.js'),
    banner: { js: NOT_MAIN_MODULE },
  });
  const outputs = [];
  for (const file of [...synthProgram.outputFiles, ...otherPrograms.outputFiles, ...snapshotEntry.outputFiles]) {
    writeAtomically(file.path, file.contents);
    outputs.push(relative(BUILD_DIR, file.path));
  }
  const sources = {};
  for (const result of [synthProgram, otherPrograms, snapshotEntry]) {
    for (const path of Object.keys(result.metafile.inputs)) if (!path.includes('node_modules/')) sources[path] = hashFile(path);
  }
  const built = buildSnapshot();
  writeFileSync(INFO_FILE, JSON.stringify({ environment: env, sources, outputs, snapshot: built }, null, 2) + '\n');
}

/**
 * Builds build/synth.blob with this Node binary and records it. A failure is not an error: the
 * synth program then runs without the snapshot, with the same output.
 */
function buildSnapshot() {
  const blob = join(BUILD_DIR, snapshot.SNAPSHOT_BLOB);
  const record = join(BUILD_DIR, snapshot.SNAPSHOT_RECORD);
  const partial = `${blob}.${process.pid}.tmp`;
  rmSync(record, { force: true });
  rmSync(blob, { force: true });
  // An environment of PATH only: no NODE_OPTIONS (V8 flags there would become the blob's
  // requirements), and nothing of the caller's shell, secrets included, can end up in the heap.
  const result = spawnSync(process.execPath, ['--snapshot-blob', partial, '--build-snapshot', join(BUILD_DIR, 'main-snapshot.js')], {
    cwd: BUILD_DIR,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    rmSync(partial, { force: true });
    const detail = (result.stderr || String(result.error ?? result.signal)).trim().split('\n').filter((l) => !/Warning|may still work|issue tracker|trace-warnings/.test(l)).slice(0, 3).join(' / ');
    console.error(`build: no startup snapshot (${detail}); synth runs without it, with the same output`);
    return false;
  }
  renameSync(partial, blob);
  writeFileSync(record, JSON.stringify(snapshot.snapshotRecord(blob), null, 2) + '\n');
  return true;
}

function writeAtomically(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, contents);
  renameSync(partial, path);
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  await ensureBuilt({ force: process.argv.includes('--force'), log: (line) => console.error(line) });
}
