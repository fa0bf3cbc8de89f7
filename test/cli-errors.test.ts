import { appendFileSync, chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { folderState, project as committedProject, runBuilt } from './cli-support';
import { addDevSecret } from './support';

/** Secret values planted to prove they never reach any output. */
const CANARY = 'canary-7f3a9c1e-never-print-me';
const CANARY_B64 = Buffer.from(CANARY).toString('base64');

/** A project folder with the committed env files, a canary in dev's secrets, and dist/dev synthesized. */
function project(): string {
  const root = committedProject();
  addDevSecret(join(root, 'env'), 'CANARY_SECRET', CANARY);
  expect(run(root).status).toBe(0);
  return root;
}

const run = (cwd: string, env: Record<string, string> = {}) => runBuilt('main.js', cwd, env);
/** dist/ with contents, modes and times: a failed run must leave all of them alone. */
const distState = (root: string) => folderState(join(root, 'dist'));

const append = (file: string, text: string) => (root: string) => appendFileSync(join(root, 'env', file), text);
const write = (file: string, data: string | Buffer) => (root: string) => writeFileSync(join(root, 'env', file), data);

describe('a user mistake ends in one message, exit 1, and dist/ exactly as it was', () => {
  test.each<[string, (root: string) => void, Record<string, string>, string | RegExp]>([
    ['a line without =', append('dev.env', 'JUST_A_WORD\n'), {}, 'env/dev.env:5: expected KEY=value'],
    ['an invalid key', append('dev.env', 'BAD!KEY=1\n'), {}, 'env/dev.env:5: "BAD!KEY" is not a valid key'],
    ['a repeated key', append('dev.env', 'LOG_LEVEL=warning\n'), {}, 'env/dev.env:5: LOG_LEVEL is already set on line 2'],
    ['invalid UTF-8', write('dev.env', Buffer.from([0x41, 0x3d, 0xff, 0x0a])), {}, 'env/dev.env:1: the line is not valid UTF-8'],
    ['a NUL byte', append('dev.secrets.env', `NUL_SECRET=${CANARY}\u0000\n`), {}, "env/dev.secrets.env:10: the text before '=': the line holds a control character"],
    ['an unterminated quote', append('dev.secrets.env', `OPEN="${CANARY}\n`), {}, "env/dev.secrets.env:10: the text before '=': the quoted value is never closed"],
    ['a "#" that dotenv would cut a value at', append('dev.secrets.env', `CANARY_SECRET_2=${CANARY}#x\n`), {},
      "env/dev.secrets.env:10: the text before '=': '#' in an unquoted value starts a comment for dotenv"],
    ['__proto__', append('dev.env', '__proto__=1\n'), {}, 'env/dev.env:5: "__proto__" cannot be used as a key'],
    ['a secret-looking key in the environment file', append('dev.env', `STRIPE_API_KEY=${CANARY}\n`), {},
      'env/dev.env:5: STRIPE_API_KEY: looks like a secret (its name contains "api_key"); move it to env/dev.secrets.env'],
    ['a token-looking value in the defaults', append('defaults.env', `UPSTREAM=ghp_${'x'.repeat(36)}\n`), {},
      'env/defaults.env:10: UPSTREAM: looks like a secret (its value looks like a GitHub token)'],
    ['a key in both layers', append('dev.env', 'CANARY_SECRET=plain\n'), {}, 'env/dev.env:5: CANARY_SECRET: is also set in the secrets layer'],
    ['an empty secret', (root) => addDevSecret(join(root, 'env'), 'EMPTY_SECRET', ''), {}, 'dev: missing or empty secrets: EMPTY_SECRET.'],
    ['a secrets-file key the .example does not list', append('dev.secrets.env', 'DATABASE_PASWORD=fake-typo\n'), {},
      'env/dev.secrets.env:10: this key is not listed in env/dev.secrets.env.example: a typo, or a line of an unquoted multi-line value?'],
    ['a line of an unquoted multi-line value in a secrets file', append('dev.secrets.env', `PEM=-----BEGIN-----\nk3vRz+${CANARY}/Er==\n`), {},
      "env/dev.secrets.env:11: the text before '=' is not a valid key"],
    ['missing secrets of two environments', () => undefined, { TASK_API_ENV: 'staging,production' },
      'staging: missing or empty secrets: DATABASE_PASSWORD, OPENAI_API_KEY, REDIS_URL, WEBHOOK_SECRET, TASK_API_HASH_KEY, GITHUB_USERNAME, GITHUB_TOKEN. Put them in env/staging.secrets.env (start from a copy of env/staging.secrets.env.example; or, synthesizing this environment alone, set them as environment variables).\n  production: missing or empty secrets: DATABASE_PASSWORD'],
    ['an unknown environment', () => undefined, { TASK_API_ENV: 'dev,qa' }, 'TASK_API_ENV names an unknown environment: "qa"; known: dev, staging, production (or all)'],
    ['a path as environment name', () => undefined, { TASK_API_ENV: '../etc' }, 'TASK_API_ENV names an unknown environment: "../etc"'],
    ['data over 1 MiB', append('dev.env', `HUGE=${'x'.repeat(1024 * 1024)}\n`), {},
      "env/dev.env:5: HUGE: the largest value (1048576 bytes) of dev's ConfigMap, whose data is 1048625 bytes, over the 1048576 (1 MiB) the API server accepts; next largest: env/dev.env:3: API_BASE_URL"],
  ])('%s', (_, breakIt, env, message) => {
    const root = project();
    const before = distState(root);
    breakIt(root);
    const result = run(root, env);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    if (typeof message === 'string') expect(result.stderr).toContain(message);
    else expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^synth failed/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.stderr).not.toContain(CANARY);
    expect(result.stderr).not.toContain(CANARY_B64);
    expect(distState(root)).toEqual(before);
  });

  test('dist being a file is a clear error that touches nothing', () => {
    const root = project();
    rmSync(join(root, 'dist'), { recursive: true });
    writeFileSync(join(root, 'dist'), 'not a folder');
    const result = run(root);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('synth failed: the output folder dist cannot be used: a file of that name is in the way\n');
    expect(readFileSync(join(root, 'dist'), 'utf8')).toBe('not a folder');
  });
});

describe('secrets are never printed', () => {
  test('a successful synth prints key names and hashes, never a planted value or its base64', () => {
    const root = project();
    writeFileSync(join(root, 'env', 'staging.secrets.env'), [
      `DATABASE_PASSWORD=${CANARY}`, `OPENAI_API_KEY=${CANARY}-2`, `REDIS_URL=${CANARY}-3`, `WEBHOOK_SECRET=${CANARY}-4`,
      `TASK_API_HASH_KEY=${CANARY}-5`, 'GITHUB_USERNAME=fake-user', `GITHUB_TOKEN=${CANARY}-6`, '',
    ].join('\n'));
    appendFileSync(join(root, 'env', 'dev.env'), 'PORTABILITY_NOTE=fake # a comment kubectl would keep\n');
    const result = run(root, { TASK_API_ENV: 'dev,staging' });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("warning: env/dev.env:5: PORTABILITY_NOTE: the text from '#' on is a comment");
    const printed = result.stdout + result.stderr;
    expect(printed).not.toContain(CANARY);
    expect(printed).not.toContain(CANARY_B64.slice(0, 16));
  });
});

describe('warnings do not stop synth', () => {
  test('a ConfigMap over 256 KiB is written, with a warning about client-side apply', () => {
    const root = project();
    append('defaults.env', `LARGE=${'x'.repeat(300 * 1024)}\n`)(root);
    const result = run(root);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^warning: env\/defaults\.env:10: LARGE: the largest value \(307200 bytes as written\) of dev's ConfigMap task-api-config-[0-9a-z]{10}, which is \d+ bytes as JSON, over the 262144 \(256 KiB\) that client-side kubectl apply can store; next largest: env\/dev\.env:3: API_BASE_URL \(21 bytes\), env\/dev\.env:4: NODE_ENV \(11 bytes\); use kubectl apply --server-side, or make these values smaller\n$/);
    expect(result.stderr.split('\n').filter((line) => line !== '')).toHaveLength(1);
    const file = readdirSync(join(root, 'dist', 'dev')).find((name) => name.startsWith('1-configmap-task-api-config-'))!;
    expect(readFileSync(join(root, 'dist', 'dev', file), 'utf8')).toContain('LARGE: ');
  });
});

describe('output', () => {
  test('a run killed between its two renames is repaired by the next run, even one that fails', () => {
    const root = project();
    const before = distState(root);
    // What a kill between "rename dist/dev away" and "rename the new folder in" leaves behind,
    // with the half-written folder of another killed run.
    renameSync(join(root, 'dist', 'dev'), join(root, 'dist', '.dev.old-99999'));
    mkdirSync(join(root, 'dist', '.dev.new-99998'));
    appendFileSync(join(root, 'env', 'dev.env'), 'BROKEN\n');
    expect(run(root).status).toBe(1);
    expect(distState(root)).toEqual(before);
  });

  test('a carried Secret file written 0644 by an older version is 0600 after the next synth, like every Secret file', () => {
    const root = project();
    const folder = join(root, 'dist', 'dev');
    const secretFiles = () => readdirSync(folder).filter((name) => /^kind: Secret$/m.test(readFileSync(join(folder, name), 'utf8')));
    const [older] = secretFiles().filter((name) => name.startsWith('2-secret-task-api-secrets-'));
    // What an older version of the project left behind.
    for (const name of secretFiles()) chmodSync(join(folder, name), 0o644);
    const secrets = join(root, 'env', 'dev.secrets.env');
    writeFileSync(secrets, readFileSync(secrets, 'utf8').replace(`CANARY_SECRET=${CANARY}`, `CANARY_SECRET=${CANARY}-rotated`));
    const result = run(root);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('kept for rollback');
    expect(secretFiles()).toContain(older);
    expect(secretFiles().length).toBeGreaterThan(1);
    for (const name of secretFiles()) expect([name, statSync(join(folder, name)).mode & 0o777]).toEqual([name, 0o600]);
  });
});
