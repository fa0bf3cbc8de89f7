import { spawnSync } from 'child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { project as committedProject, writeSecretsFile } from './cli-support';

// CommonJS shared with scripts/*.mjs (see scripts/startup-snapshot.cjs).
const snapshot = require('../scripts/startup-snapshot.cjs');

const BUILD_DIR = join(__dirname, '..', 'build');

/** A project folder with every environment's inputs (fake secrets only). */
function project(): string {
  const root = committedProject();
  for (const environment of ['staging', 'production']) writeSecretsFile(root, environment);
  return root;
}

/** Every file under dist/ with its content and mode. */
function distOf(root: string): Record<string, { content: string; mode: number }> {
  const files: Record<string, { content: string; mode: number }> = {};
  for (const environment of readdirSync(join(root, 'dist')).sort()) {
    for (const name of readdirSync(join(root, 'dist', environment)).sort()) {
      const path = join(root, 'dist', environment, name);
      files[`${environment}/${name}`] = { content: readFileSync(path, 'utf8'), mode: statSync(path).mode & 0o777 };
    }
  }
  return files;
}

/** Only what the synth program reads: no NODE_OPTIONS, no secrets of the caller's shell. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH!, ...extra };
}

function run(args: string[], cwd: string, env: Record<string, string>) {
  const result = spawnSync(args[0], args.slice(1), { cwd, env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A copy of build/ whose blob was built with a V8 flag the synth program does not run with. */
function buildDirWithMismatchedBlob(): string {
  const dir = mkdtempSync(join(tmpdir(), 'task-api-build-'));
  for (const name of ['main.js', 'main-snapshot.js']) copyFileSync(join(BUILD_DIR, name), join(dir, name));
  const built = spawnSync(process.execPath, ['--stack-size=2000', '--snapshot-blob', 'synth.blob', '--build-snapshot', 'main-snapshot.js'], { cwd: dir, env: cleanEnv(), encoding: 'utf8' });
  expect(built.status).toBe(0);
  writeFileSync(join(dir, snapshot.SNAPSHOT_RECORD), JSON.stringify(snapshot.snapshotRecord(join(dir, 'synth.blob'))));
  return dir;
}

describe('the synth program from its startup snapshot', () => {
  const env = cleanEnv({ TASK_API_ENV: 'all' });

  test('is what runs here: this Node binary built the snapshot', () => {
    const command = snapshot.synthCommand(BUILD_DIR, env);
    expect(command.reason).toBeUndefined();
    expect(command.snapshot).toBe(true);
    expect(command.args).toEqual([process.execPath, '--snapshot-blob', join(BUILD_DIR, 'synth.blob'), join(BUILD_DIR, 'main.js')]);
  });

  test('writes byte-identical dist/ for every environment, and the same summary, as the plain program', () => {
    const fromSnapshot = project();
    const plain = project();
    const a = run(snapshot.synthCommand(BUILD_DIR, env).args, fromSnapshot, env);
    const b = run(snapshot.plainSynthCommand(BUILD_DIR).args, plain, env);
    expect(a).toEqual(b);
    expect(a.status).toBe(0);
    expect(Object.keys(distOf(fromSnapshot))).toEqual(expect.arrayContaining(['dev/4-deployment-task-api.yaml', 'production/4-deployment-task-api.yaml']));
    expect(distOf(fromSnapshot)).toEqual(distOf(plain));
  });

  test('reads the environment and the env files when it runs, not when it was built', () => {
    const root = project();
    appendFileSync(join(root, 'env', 'staging.env'), 'ADDED_AFTER_BUILD=yes\n');
    const result = run(snapshot.synthCommand(BUILD_DIR, env).args, root, cleanEnv({ TASK_API_ENV: 'staging', CDK8S_OUTDIR: 'elsewhere' }));
    expect(result.status).toBe(0);
    expect(readdirSync(join(root, 'elsewhere'))).toEqual(['staging']);
    const file = readdirSync(join(root, 'elsewhere', 'staging')).find((name) => name.startsWith('1-configmap-task-api-config-'))!;
    expect(readFileSync(join(root, 'elsewhere', 'staging', file), 'utf8')).toContain('ADDED_AFTER_BUILD: "yes"');
  });

  test('fails a user mistake with the same message and exit code as the plain program', () => {
    const roots = [project(), project()];
    for (const root of roots) appendFileSync(join(root, 'env', 'dev.env'), 'NOT A LINE\n');
    const a = run(snapshot.synthCommand(BUILD_DIR, env).args, roots[0], env);
    const b = run(snapshot.plainSynthCommand(BUILD_DIR).args, roots[1], env);
    expect(a.status).toBe(1);
    expect(a.stderr).toMatch(/^synth failed: env\/dev.env:5: /);
    expect(a).toEqual(b);
  });
});

describe('choosing between the snapshot and the plain program', () => {
  function buildDirWith(record: (actual: any) => any): string {
    const dir = mkdtempSync(join(tmpdir(), 'task-api-build-'));
    copyFileSync(join(BUILD_DIR, 'synth.blob'), join(dir, 'synth.blob'));
    writeFileSync(join(dir, snapshot.SNAPSHOT_RECORD), JSON.stringify(record(snapshot.snapshotRecord(join(dir, 'synth.blob')))));
    return dir;
  }

  test('uses the snapshot when the record matches this Node binary and the blob', () => {
    expect(snapshot.synthCommand(buildDirWith((actual) => actual), {}).snapshot).toBe(true);
  });

  test('runs the plain program when another Node version built the snapshot', () => {
    const command = snapshot.synthCommand(buildDirWith((actual) => ({ ...actual, node: { ...actual.node, version: 'v20.0.0' } })), {});
    expect(command.snapshot).toBe(false);
    expect(command.reason).toContain('differs in version');
  });

  test('runs the plain program when another Node binary of the same version built it', () => {
    const command = snapshot.synthCommand(buildDirWith((actual) => ({ ...actual, node: { ...actual.node, execPath: '/opt/other/node', size: 1 } })), {});
    expect(command.snapshot).toBe(false);
    expect(command.reason).toContain('differs in execPath, size');
  });

  test('runs the plain program when the blob is not the one the build recorded', () => {
    const command = snapshot.synthCommand(buildDirWith((actual) => ({ ...actual, blob: { ...actual.blob, size: actual.blob.size + 1 } })), {});
    expect(command).toMatchObject({ snapshot: false, reason: 'synth.blob is not the file the build wrote' });
  });

  test('runs the plain program when NODE_OPTIONS could carry V8 flags', () => {
    const command = snapshot.synthCommand(buildDirWith((actual) => actual), { NODE_OPTIONS: '--max-old-space-size=4096' });
    expect(command.snapshot).toBe(false);
    expect(command.reason).toContain('NODE_OPTIONS');
  });

  test('runs the plain program when no snapshot was built', () => {
    const dir = mkdtempSync(join(tmpdir(), 'task-api-build-'));
    expect(snapshot.synthCommand(dir, {})).toMatchObject({ snapshot: false, reason: 'no startup snapshot was built', args: [process.execPath, join(dir, 'main.js')] });
  });

  test('gives the program the same process.argv from the snapshot as without it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'task-api-build-'));
    const printArgv = 'console.log(JSON.stringify(process.argv.slice(1).map((a, i) => (i === 0 ? require("path").basename(a) : a))))';
    writeFileSync(join(dir, 'main.js'), `${printArgv};\n`);
    writeFileSync(join(dir, 'entry.js'), `require('v8').startupSnapshot.setDeserializeMainFunction(() => { ${printArgv}; });\n`);
    expect(spawnSync(process.execPath, ['--snapshot-blob', 'synth.blob', '--build-snapshot', 'entry.js'], { cwd: dir, env: cleanEnv() }).status).toBe(0);
    writeFileSync(join(dir, snapshot.SNAPSHOT_RECORD), JSON.stringify(snapshot.snapshotRecord(join(dir, 'synth.blob'))));
    const args = ['explain', '--env', 'staging'];
    const fromSnapshot = snapshot.runSynthProgram(dir, { args, env: cleanEnv(), stdio: 'pipe' });
    const plain = spawnSync(snapshot.plainSynthCommand(dir, args).args[0], snapshot.plainSynthCommand(dir, args).args.slice(1), { env: cleanEnv(), encoding: 'utf8' });
    expect(fromSnapshot.snapshot).toBe(true);
    expect(JSON.parse(fromSnapshot.stdout)).toEqual(['main.js', ...args]);
    expect(fromSnapshot.stdout).toBe(plain.stdout);
  });

  test('falls back to the plain program, with the same output, when Node still refuses the snapshot', () => {
    const dir = buildDirWithMismatchedBlob();
    const env = cleanEnv({ TASK_API_ENV: 'all' });
    expect(snapshot.synthCommand(dir, env).snapshot).toBe(true);
    const logged: string[] = [];
    const fallback = project();
    const result = snapshot.runSynthProgram(dir, { env, cwd: fallback, stdio: 'pipe', log: (line: string) => logged.push(line) });
    expect(result.status).toBe(0);
    expect(result.snapshot).toBe(false);
    expect(logged).toEqual(['from the startup snapshot', expect.stringContaining('the startup snapshot did not load')]);
    const plain = project();
    expect(run(snapshot.plainSynthCommand(BUILD_DIR).args, plain, env).status).toBe(0);
    expect(distOf(fallback)).toEqual(distOf(plain));
  });
});
