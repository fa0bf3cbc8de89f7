import { spawnSync } from 'child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative } from 'path';
import { folderState, project as committedProject, writeSecretsFile } from './cli-support';
import { fakeSecrets } from './support';

// `npm run synth` runs scripts/synth.cjs. These tests run it in copies of the repository (its
// sources and scripts; node_modules linked), so that they can edit sources and rebuild without
// touching the build/ the other tests use.

const ROOT = join(__dirname, '..');
/** Not copied: installed, generated or version control. */
const NOT_COPIED = new Set(['node_modules', 'build', 'dist', '.git', 'coverage', join('bench', '.work')]);

/** A copy of the repository, built. */
function builtCopy(): string {
  const copy = join(mkdtempSync(join(tmpdir(), 'task-api-repo-')), 'repo');
  cpSync(ROOT, copy, { recursive: true, filter: (source) => !NOT_COPIED.has(relative(ROOT, source)) });
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(copy, 'node_modules'));
  // Two seconds: files whose ctime is that old get their status recorded (see scripts/build.cjs),
  // so the check after an edit takes the path a developer's tree takes.
  spawnSync('sleep', ['2.1']);
  const built = spawnSync(process.execPath, [join(copy, 'scripts', 'build.cjs')], { cwd: copy, env: { PATH: process.env.PATH! }, encoding: 'utf8' });
  expect(built.stderr).toContain('building build/');
  expect(built.status).toBe(0);
  return copy;
}

/** A project folder with every environment's inputs (fake secrets only). */
function project(): string {
  const root = committedProject();
  for (const environment of ['staging', 'production']) writeSecretsFile(root, environment);
  return root;
}

/** Only what the synth program reads: no NODE_OPTIONS, no secrets of the caller's shell. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH!, TASK_API_ENV: 'all', ...extra };
}

function run(args: string[], cwd: string, env = cleanEnv()) {
  const result = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `npm run synth` of the repository `repo`, in the project folder `cwd`. */
function synth(repo: string, cwd: string, env = cleanEnv()) {
  return run([join(repo, 'scripts', 'synth.cjs')], cwd, env);
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

/** The file that holds the environments' settings: the project definition, main.ts. */
function environmentsFile(repo: string): string {
  return join(repo, 'main.ts');
}

/** Replaces `from` by `to` in a file, checking that it was there. */
function edit(path: string, from: string, to: string): void {
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

const DEV_DEPLOYMENT = join('dist', 'dev', '4-deployment-task-api.yaml');
const DEV_IMAGE = 'ghcr.io/example-org/task-api:dev';

describe('npm run synth (scripts/synth.cjs)', () => {
  let repo: string;
  beforeAll(() => {
    repo = builtCopy();
  }, 60_000);

  test('writes the same dist/, summary and exit code as build/main.js, with and without its code cache', () => {
    const [first, second, plain] = [project(), project(), project()];
    expect(existsSync(join(repo, 'build', 'main.js.cache'))).toBe(false);
    const withoutCache = synth(repo, first);
    expect(existsSync(join(repo, 'build', 'main.js.cache'))).toBe(true);
    const withCache = synth(repo, second, cleanEnv({ TASK_API_DEBUG: '1' }));
    const bundle = run([join(repo, 'build', 'main.js')], plain);
    expect(withoutCache.status).toBe(0);
    expect(withoutCache.stdout).toContain('production: ');
    // TASK_API_DEBUG says nothing when the build is up to date and the cache is used.
    expect(withCache).toEqual(withoutCache);
    expect(bundle).toEqual(withoutCache);
    expect(distOf(first)).toEqual(distOf(plain));
    expect(distOf(second)).toEqual(distOf(plain));
  }, 60_000);

  test('fails a user mistake with the same message and exit code as build/main.js', () => {
    const roots = [project(), project()];
    for (const root of roots) appendFileSync(join(root, 'env', 'dev.env'), 'NOT A LINE\n');
    const launched = synth(repo, roots[0]);
    expect(launched.status).toBe(1);
    expect(launched.stderr).toMatch(/^synth failed: env\/dev.env:\d+: /);
    expect(launched).toEqual(run([join(repo, 'build', 'main.js')], roots[1]));
  }, 60_000);

  test('starts no second Node process when the build is up to date', () => {
    // Preloaded: records the command of every process the run starts (the synth program itself
    // asks git whether it would commit plain Secrets, and git may be started).
    const dir = mkdtempSync(join(tmpdir(), 'task-api-spawns-'));
    const guard = join(dir, 'record-spawns.cjs');
    const record = join(dir, 'spawned.txt');
    writeFileSync(guard, [
      "const childProcess = require('child_process');",
      "const { appendFileSync } = require('fs');",
      "for (const name of ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync']) {",
      '  const original = childProcess[name];',
      `  childProcess[name] = function (command, ...rest) { appendFileSync(${JSON.stringify(record)}, name + ' ' + command + '\\n'); return original.call(this, command, ...rest); };`,
      '}',
      "require('module').syncBuiltinESMExports();",
    ].join('\n'));
    const nodeProcesses = () => {
      const spawned = existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n') : [];
      rmSync(record, { force: true });
      return spawned.filter((line) => line.includes(process.execPath) || /^\w+ (\S*\/)?node\b/.test(line) || line.startsWith('fork '));
    };
    // The recorder itself sees a Node process started the way the former launcher did.
    expect(run(['--require', guard, '-e', "require('child_process').spawnSync(process.execPath, ['-e', '0'])"], dir).status).toBe(0);
    expect(nodeProcesses()).toHaveLength(1);
    const result = run(['--require', guard, join(repo, 'scripts', 'synth.cjs')], project());
    expect(result.status).toBe(0);
    expect(nodeProcesses()).toEqual([]);
  }, 60_000);

  test('keeps no value read at run time in its code cache', () => {
    const root = project();
    expect(synth(repo, root).status).toBe(0);
    const cache = readFileSync(join(repo, 'build', 'main.js.cache'));
    const devSecrets = readFileSync(join(root, 'env', 'dev.secrets.env'), 'utf8').match(/^\w+=.+$/gm)!.map((line) => line.replace(/^\w+=/, ''));
    expect(devSecrets.length).toBeGreaterThan(0);
    const values = new Set([...devSecrets, ...['staging', 'production'].flatMap((environment) => Object.values(fakeSecrets(environment)))]);
    for (const value of values) {
      expect(cache.includes(value)).toBe(false);
      expect(cache.includes(Buffer.from(value).toString('base64'))).toBe(false);
    }
  }, 60_000);
});

describe('npm run synth after a source changed', () => {
  test('rebuilds the synth program before running it', () => {
    const repo = builtCopy();
    const root = project();
    expect(synth(repo, root).status).toBe(0);
    edit(environmentsFile(repo), `'${DEV_IMAGE}'`, `'${DEV_IMAGE}-edited'`);
    const result = synth(repo, root, cleanEnv({ TASK_API_DEBUG: '1' }));
    expect(result.stderr).toMatch(/^synth: building build\/ \(main.ts changed\)$/m);
    expect(result.status).toBe(0);
    expect(readFileSync(join(root, DEV_DEPLOYMENT), 'utf8')).toContain(`image: ${DEV_IMAGE}-edited\n`);
  }, 60_000);

  test('sees an edit of the same size that keeps the old modification time, as `cp -p` or `rsync -a` can', () => {
    const repo = builtCopy();
    const root = project();
    // A run first, so that a code cache exists: the edited bundle has the old one's size too.
    expect(synth(repo, root).status).toBe(0);
    const file = environmentsFile(repo);
    const times = join(repo, '..', 'main.ts.times');
    expect(spawnSync('cp', ['-p', file, times]).status).toBe(0);
    const before = statSync(file, { bigint: true });
    edit(file, `'${DEV_IMAGE}'`, `'${DEV_IMAGE.replace(/dev$/, 'xyz')}'`);
    expect(spawnSync('touch', ['-r', times, file]).status).toBe(0);
    expect(statSync(file, { bigint: true })).toMatchObject({ size: before.size, mtimeNs: before.mtimeNs, ino: before.ino });
    expect(synth(repo, root).status).toBe(0);
    expect(readFileSync(join(root, DEV_DEPLOYMENT), 'utf8')).toContain('image: ghcr.io/example-org/task-api:xyz\n');
  }, 60_000);

  test('does not rebuild when a source was touched but not changed', () => {
    const repo = builtCopy();
    const bundle = statSync(join(repo, 'build', 'main.js'));
    const now = new Date();
    utimesSync(join(repo, 'main.ts'), now, now);
    const result = synth(repo, project(), cleanEnv({ TASK_API_DEBUG: '1' }));
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain('building');
    expect(statSync(join(repo, 'build', 'main.js')).ino).toBe(bundle.ino);
  }, 60_000);

  test('fails with one message, and writes nothing, when the changed source does not build', () => {
    const repo = builtCopy();
    const root = project();
    expect(synth(repo, root).status).toBe(0);
    const before = folderState(join(root, 'dist'));
    appendFileSync(join(repo, 'main.ts'), '\nconst = ;\n');
    const result = synth(repo, root);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^synth failed: the program did not build: main\.ts:\d+:\d+: .*; fix the source file it names/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
    expect(folderState(join(root, 'dist'))).toEqual(before);
  }, 60_000);
});

describe('npm run plan and npm run explain (scripts/plan.cjs, scripts/explain.cjs)', () => {
  const command = (repo: string, name: string, cwd: string) => run([join(repo, 'scripts', `${name}.cjs`)], cwd, cleanEnv({ TASK_API_ENV: 'dev' }));

  test('exit 2, their error code, with one line and no stack trace when a source file does not build', () => {
    const repo = builtCopy();
    appendFileSync(join(repo, 'lib', 'review', 'plan.ts'), '\nconst = ;\n');
    for (const name of ['plan', 'explain']) {
      const result = command(repo, name, project());
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^${name} failed: the program did not build: lib/review/plan\\.ts:\\d+:\\d+: .*; fix the source file it names, then run the command again\\n$`));
    }
  }, 60_000);

  test('exit 2 telling to run npm ci when node_modules is missing and a rebuild is due', () => {
    const repo = builtCopy();
    rmSync(join(repo, 'node_modules'));
    appendFileSync(join(repo, 'lib', 'review', 'plan.ts'), '\n// edited\n');
    for (const name of ['plan', 'explain']) {
      const result = command(repo, name, project());
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^${name} failed: the program did not build: .*esbuild.*; run npm ci \\(node_modules is missing or out of date\\)\\n$`));
    }
    const synthResult = synth(repo, project());
    expect(synthResult.status).toBe(1);
    expect(synthResult.stderr).toMatch(/^synth failed: the program did not build: .*; run npm ci/);
  }, 60_000);

  test('run in one Node process, like synth, and plan exits 1 only for changes', () => {
    const repo = builtCopy();
    const root = project();
    expect(command(repo, 'plan', root).status).toBe(1);
    expect(synth(repo, root, cleanEnv({ TASK_API_ENV: 'dev' })).status).toBe(0);
    expect(command(repo, 'plan', root).status).toBe(0);
    expect(command(repo, 'explain', root).status).toBe(0);
  }, 60_000);
});

describe('npx cdk8s synth (the real cdk8s-cli, with cdk8s.yaml)', () => {
  /** A project with every environment's inputs and the repository's cdk8s.yaml, its app run from this repository. */
  function cdk8sProject(): string {
    const root = project();
    const config = readFileSync(join(ROOT, 'cdk8s.yaml'), 'utf8');
    writeFileSync(join(root, 'cdk8s.yaml'), config.replace(/^app: node scripts\//m, `app: node ${ROOT}/scripts/`));
    return root;
  }
  const cdk8s = (cwd: string, env: Record<string, string>) => {
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade'], {
      cwd, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env }, encoding: 'utf8',
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const changeLogLevel = (root: string) => edit(join(root, 'env', 'dev.env'), 'LOG_LEVEL=debug', 'LOG_LEVEL=trace');

  test('keeps the other environments\' dist/ folders and carries the retained versions, writing what npm run synth writes', () => {
    const [viaCli, viaNpm] = [cdk8sProject(), cdk8sProject()];
    for (const root of [viaCli, viaNpm]) {
      expect(synth(ROOT, root).status).toBe(0);
      changeLogLevel(root);
    }
    const others = (root: string) => ({ staging: folderState(join(root, 'dist', 'staging')), production: folderState(join(root, 'dist', 'production')) });
    const before = others(viaCli);
    const result = cdk8s(viaCli, { TASK_API_ENV: 'dev' });
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.status).toBe(0);
    // cdk8s-cli swallows the app's stdout: the summary is on stderr.
    expect(result.stderr).toMatch(/^dev: \d+ objects written to dist\/dev\/ \(1 of them an earlier config version kept for rollback\)$/m);
    expect(others(viaCli)).toEqual(before);
    expect(synth(ROOT, viaNpm, cleanEnv({ TASK_API_ENV: 'dev' })).status).toBe(0);
    expect(distOf(viaCli)).toEqual(distOf(viaNpm));
    expect(readdirSync(join(viaCli, 'dist', 'dev')).filter((name) => name.startsWith('1-configmap-'))).toHaveLength(2);
    // cdk8s-cli lists what was written, through links in its scratch folder: no second copy of a Secret.
    const listed = readdirSync(join(viaCli, '.cdk8s-out', 'dev'));
    expect(listed).toEqual(readdirSync(join(viaCli, 'dist', 'dev')));
    for (const name of listed) expect(readFileSync(join(viaCli, '.cdk8s-out', 'dev', name), 'utf8')).toBe(readFileSync(join(viaCli, 'dist', 'dev', name), 'utf8'));
    expect(result.stdout).toContain(`.cdk8s-out/dev/${listed[0]}`);
  }, 60_000);

  test('leaves dist/ exactly as it was when synthesis fails', () => {
    const root = cdk8sProject();
    expect(synth(ROOT, root).status).toBe(0);
    const before = folderState(join(root, 'dist'));
    appendFileSync(join(root, 'env', 'dev.env'), 'NOT A LINE\n');
    const result = cdk8s(root, { TASK_API_ENV: 'dev' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^synth failed: env\/dev.env:\d+: /m);
    expect(folderState(join(root, 'dist'))).toEqual(before);
  }, 60_000);
});
