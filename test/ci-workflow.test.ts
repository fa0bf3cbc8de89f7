import { validateWorkflow } from '@action-validator/core';
import { spawnSync } from 'child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '../main';
import { cleanCopy, objectsOfFiles, ROOT } from './gitops-support';
import { fakeSecrets } from './support';
import { throwawayCertificate } from './sealing-certificate';

const WORKFLOW_FILE = join(ROOT, '.github', 'workflows', 'gitops.yaml');
const workflowText = readFileSync(WORKFLOW_FILE, 'utf8');
const workflow = parse(workflowText);

/** The `run` script of a job's step, by name. */
function stepScript(job: string, name: string): string {
  const step = workflow.jobs[job].steps.find((s: any) => s.name === name);
  if (!step) throw new Error(`no step "${name}" in job ${job}`);
  expect(step.shell).toBe('bash');
  return step.run;
}

/** Runs a step's script as the runner does (`bash -e {0}`), in `cwd`. */
function runStep(script: string, cwd: string, env: Record<string, string>) {
  const file = join(mkdtempSync(join(tmpdir(), 'task-api-step-')), 'step.sh');
  writeFileSync(file, script);
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
    cwd,
    env: { PATH: process.env.PATH!, HOME: mkdtempSync(join(tmpdir(), 'task-api-home-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, out: result.stdout + result.stderr };
}

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** The keys an .example file lists, read without the project's parser. */
function exampleKeys(environment: string): string[] {
  return readFileSync(join(ROOT, 'env', `${environment}.secrets.env.example`), 'utf8')
    .split('\n').map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1]).filter((key): key is string => key !== undefined);
}

/** A job's step, by name. */
function step(job: string, name: string): any {
  return workflow.jobs[job].steps.find((s: any) => s.name === name);
}

/** Every GitHub secret as the Synthesize step gets it when it is not set: an empty string. */
function unsetSecrets(): Record<string, string> {
  return Object.fromEntries(Object.keys(step('render', 'Synthesize').env).map((key) => [key, '']));
}

/** Jobs a pull request can trigger: every job not limited to pushes. */
const pullRequestJobs = Object.keys(workflow.jobs).filter((job) => workflow.jobs[job].if !== "github.event_name == 'push'");
/** What hands a job a credential: a secret, the job's GitHub token, or an environment (which holds secrets). */
const CREDENTIAL = /\bsecrets\.|\bgithub\.token\b|\bsecrets\[/;

describe('the GitHub Actions workflow', () => {
  test('is valid against the workflow schema (@action-validator/core)', () => {
    expect(validateWorkflow(workflowText).errors).toEqual([]);
  });

  test('the schema check finds a misplaced key', () => {
    const broken = workflowText.replace('    runs-on: ubuntu-latest\n', '    runs-on: ubuntu-latest\n    timeout: 5\n');
    expect(validateWorkflow(broken).errors).not.toEqual([]);
  });

  test('pull requests run npm ci and npm test, and plan every environment without secrets; main renders every environment', () => {
    expect(Object.keys(workflow.on)).toEqual(['pull_request', 'push']);
    expect(workflow.on.push.branches).toEqual(['main']);
    const runs = (job: string) => workflow.jobs[job].steps.map((s: any) => s.run).filter(Boolean);
    expect(workflow.jobs.test.if).toBe("github.event_name == 'pull_request'");
    expect(runs('test')).toEqual(['npm ci', 'npm test']);
    expect(workflow.jobs.plan.if).toBe("github.event_name == 'pull_request'");
    expect(workflow.jobs.plan.strategy.matrix.environment).toEqual(Object.keys(ENVIRONMENTS));
    expect(stepScript('plan', 'Plan')).toContain('npm run --silent plan -- --no-secrets');
    expect(workflow.jobs.render.if).toBe("github.event_name == 'push'");
    expect(workflow.jobs.render.strategy.matrix.environment).toEqual(Object.keys(ENVIRONMENTS));
    expect(pullRequestJobs).toEqual(['test', 'plan']);
  });

  test('least privilege: nothing by default, each job only what it needs', () => {
    expect(workflow.permissions).toEqual({});
    expect(workflow.jobs.test.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs.plan.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs.render.permissions).toEqual({ contents: 'write' });
  });

  test.each(pullRequestJobs)('%s, which a pull request triggers, gets no secret, no token and no GitHub environment', (job) => {
    expect(JSON.stringify(workflow.jobs[job])).not.toMatch(CREDENTIAL);
    expect(workflow.jobs[job].environment).toBeUndefined();
  });

  test('no secret at workflow or job level', () => {
    expect(JSON.stringify(workflow.env ?? {})).not.toMatch(CREDENTIAL);
    for (const job of Object.values<any>(workflow.jobs)) expect(JSON.stringify(job.env ?? {})).not.toMatch(CREDENTIAL);
  });

  test('secrets reach only the step that synthesizes, the token only the step that pushes; never checkout, npm ci or tests', () => {
    for (const [name, job] of Object.entries<any>(workflow.jobs)) {
      for (const s of job.steps) {
        const text = JSON.stringify(s);
        if (/\bnpm (ci|test|install)\b/.test(s.run ?? '') || /actions\/(checkout|setup-node)@/.test(s.uses ?? '')) {
          expect({ job: name, step: s.run ?? s.uses, credential: CREDENTIAL.test(text) }).toEqual({ job: name, step: s.run ?? s.uses, credential: false });
        }
        if (/\bsecrets\./.test(text)) expect(`${name}/${s.name}`).toBe('render/Synthesize');
        if (/\bgithub\.token\b/.test(text)) expect(`${name}/${s.name}`).toBe('render/Commit');
      }
    }
    expect(stepScript('render', 'Synthesize')).not.toMatch(/\bgit (commit|push|pull)\b/);
    expect(step('render', 'Commit').if).toBe("steps.synthesize.outputs.commit == 'true'");
  });

  test('checkout keeps no credentials in .git/config', () => {
    const checkouts = Object.values<any>(workflow.jobs).flatMap((job) => job.steps).filter((s: any) => /^actions\/checkout@/.test(s.uses ?? ''));
    expect(checkouts).toHaveLength(3);
    for (const checkout of checkouts) expect(checkout.with['persist-credentials']).toBe(false);
  });

  test('every action is pinned by a full commit SHA, its release beside it', () => {
    const uses = workflowText.split('\n').filter((line) => /^\s*(- )?uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test('Synthesize gets every secret an environment can need from GitHub secrets, and holds no value', () => {
    const env = step('render', 'Synthesize').env;
    const needed = new Set(Object.keys(ENVIRONMENTS).flatMap(exampleKeys));
    for (const key of [...needed, 'TASK_API_HASH_KEY', 'GITHUB_USERNAME', 'GITHUB_TOKEN']) expect(Object.keys(env)).toContain(key);
    expect(workflow.jobs.render.env.TASK_API_ENV).toBe('${{ matrix.environment }}');
    for (const value of Object.values(env)) {
      // GitHub reserves secret names starting with GITHUB_ (secrets.GITHUB_TOKEN is its own token).
      expect(value).toMatch(/^\$\{\{ secrets\.(?!GITHUB_)[A-Z][A-Z0-9_]* \}\}$/);
    }
  });
});

describe('the workflow steps, run', () => {
  jest.setTimeout(600_000);
  let repo: string;
  let origin: string;

  // A fresh clone with an origin to push to, after `npm ci` (node_modules: this repository's; build/).
  beforeAll(() => {
    repo = cleanCopy();
    appendFileSync(join(repo, '.gitignore'), '!dist/dev/\n!dist/staging/\n');
    writeFileSync(join(repo, 'env', 'staging.sealing-cert.pem'), throwawayCertificate().certificatePem);
    git(repo, 'init', '--quiet', '--initial-branch=main');
    git(repo, 'add', '--all');
    git(repo, '-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '--quiet', '-m', 'the repository');
    origin = join(mkdtempSync(join(tmpdir(), 'task-api-origin-')), 'origin.git');
    git(repo, 'clone', '--quiet', '--bare', repo, origin);
    git(repo, 'remote', 'add', 'origin', origin);
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(repo, 'node_modules'), 'dir');
    const build = spawnSync(process.execPath, ['scripts/build.cjs'], { cwd: repo, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  });

  describe('Plan', () => {
    const summary = () => join(mkdtempSync(join(tmpdir(), 'task-api-summary-')), 'summary.md');
    // Plain environments must stay ignored (synth and plan refuse plain Secrets git would commit),
    // so plan runs in a copy that keeps the project's .gitignore.
    let repo: string;
    beforeAll(() => {
      repo = cleanCopy();
      git(repo, 'init', '--quiet', '--initial-branch=main');
      symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(repo, 'node_modules'), 'dir');
      const build = spawnSync(process.execPath, ['scripts/build.cjs'], { cwd: repo, encoding: 'utf8' });
      if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    });

    test.each(Object.keys(ENVIRONMENTS))('%s: planned with no secret in the environment; changes (exit 1) pass the job, and the plan lands in the job summary', (environment) => {
      const file = summary();
      const result = runStep(stepScript('plan', 'Plan'), repo, { TASK_API_ENV: environment, GITHUB_STEP_SUMMARY: file });
      expect(result.stderr).not.toContain('plan failed');
      expect(result.stdout).toContain(`${environment}: dist/${environment}/ does not exist yet: every object is new`);
      expect(result.stdout).toContain(`${environment}: planned without secret values (--no-secrets)`);
      expect(result.status).toBe(0);
      expect(readFileSync(file, 'utf8')).toContain(`### plan: ${environment}\n\`\`\`\n`);
      expect(readFileSync(file, 'utf8')).toContain('+ Deployment task-api');
      expect(readFileSync(file, 'utf8')).toContain('+ Secret task-api-secrets-<suffix from the values>');
    });

    test('an error (exit 2) fails the job', () => {
      const envFile = join(repo, 'env', 'dev.env');
      const before = readFileSync(envFile);
      appendFileSync(envFile, 'NOT A SETTING\n');
      try {
        const result = runStep(stepScript('plan', 'Plan'), repo, { TASK_API_ENV: 'dev', GITHUB_STEP_SUMMARY: summary() });
        expect(result.stderr).toMatch(/plan failed: .*dev\.env:\d+/);
        expect(result.status).toBe(2);
      } finally {
        writeFileSync(envFile, before);
      }
    });

    test('uses no secret even when the runner has some, and prints none, in the log or the summary', () => {
      const file = summary();
      const secrets = fakeSecrets('staging');
      const result = runStep(stepScript('plan', 'Plan'), repo, { ...secrets, TASK_API_ENV: 'staging', GITHUB_STEP_SUMMARY: file });
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('+ Secret task-api-secrets');
      for (const value of Object.values(secrets)) {
        expect(result.out).not.toContain(value);
        expect(readFileSync(file, 'utf8')).not.toContain(value);
      }
    });
  });

  test("secret-backend lists each environment's backend as synth chooses it", () => {
    const run = (env: Record<string, string>) => spawnSync(process.execPath, ['build/bin/secret-backend.js'], { cwd: repo, env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8' });
    const lines = Object.entries(ENVIRONMENTS).map(([name, settings]) => `${name} ${settings.secretBackend ?? 'plain'}\n`).join('');
    expect(run({}).stdout).toBe(lines);
    expect(run({ TASK_API_ENV: 'staging', TASK_API_SECRET_BACKEND: 'sealed' }).stdout).toBe('staging sealed\n');
    expect(run({ TASK_API_SECRET_BACKEND: 'vault' })).toMatchObject({ status: 1, stdout: '', stderr: expect.stringContaining('TASK_API_SECRET_BACKEND must be one of') });
  });

  describe('Synthesize, then Commit', () => {
    const head = () => git(origin, 'rev-parse', 'main');
    const PUSH_TOKEN = 'fake-push-token-4c1d';

    /**
     * The render job's last two steps as the runner runs them: Synthesize with the secrets, then,
     * when it set the output commit=true, Commit with the push token and none of the secrets.
     */
    function render(env: Record<string, string>) {
      const output = join(mkdtempSync(join(tmpdir(), 'task-api-output-')), 'output');
      writeFileSync(output, '');
      const synthesized = runStep(stepScript('render', 'Synthesize'), repo, { ...env, GITHUB_OUTPUT: output });
      if (synthesized.status !== 0 || !/^commit=true$/m.test(readFileSync(output, 'utf8'))) return synthesized;
      const secretKeys = Object.keys(step('render', 'Synthesize').env);
      const commitEnv = Object.fromEntries(Object.entries(env).filter(([key]) => !secretKeys.includes(key)));
      const committed = runStep(stepScript('render', 'Commit'), repo, { ...commitEnv, PUSH_TOKEN });
      return { status: committed.status, stdout: synthesized.stdout + committed.stdout, stderr: synthesized.stderr + committed.stderr, out: synthesized.out + committed.out };
    }

    test('commits the folder of an external environment once, byte for byte what synth writes; unchanged inputs commit nothing', () => {
      const before = head();
      const env = { ...unsetSecrets(), TASK_API_ENV: 'dev', TASK_API_SECRET_BACKEND: 'external' };
      const first = render(env);
      expect(first.status).toBe(0);
      const after = head();
      expect(git(origin, 'rev-list', '--count', `${before}..${after}`)).toBe('1');
      const changed = git(origin, 'diff', '--name-only', before, after).split('\n');
      expect(changed.length).toBeGreaterThan(0);
      expect(changed.every((path) => path.startsWith('dist/dev/'))).toBe(true);
      expect(changed).toContain('dist/dev/2-externalsecret-task-api-secrets.yaml');

      // What was pushed is what synth writes, read back from git by a second reader.
      const checkout = mkdtempSync(join(tmpdir(), 'task-api-checkout-'));
      git(checkout, 'clone', '--quiet', origin, 'c');
      const expected = join(mkdtempSync(join(tmpdir(), 'task-api-expected-')));
      const synth = spawnSync(process.execPath, ['build/main.js'], { cwd: repo, env: { PATH: process.env.PATH!, ...env, CDK8S_OUTDIR: expected }, encoding: 'utf8' });
      expect(synth.status).toBe(0);
      expect(readdirSync(join(checkout, 'c', 'dist', 'dev'))).toEqual(readdirSync(join(expected, 'dev')));
      for (const name of readdirSync(join(expected, 'dev'))) {
        expect(readFileSync(join(checkout, 'c', 'dist', 'dev', name), 'utf8')).toBe(readFileSync(join(expected, 'dev', name), 'utf8'));
      }
      expect(objectsOfFiles(join(checkout, 'c', 'dist', 'dev')).map((o) => o.kind)).not.toContain('Secret');

      const second = render(env);
      expect(second.status).toBe(0);
      expect(second.stdout).toContain('dev: dist/dev/ unchanged');
      expect(head()).toBe(after);
    });

    test('a sealed environment is committed once: a second run keeps every ciphertext, so nothing changes', () => {
      const before = head();
      const env = { ...fakeSecrets('staging'), TASK_API_ENV: 'staging', TASK_API_SECRET_BACKEND: 'sealed' };
      expect(render(env).status).toBe(0);
      const after = head();
      expect(git(origin, 'diff', '--name-only', before, after)).toMatch(/^dist\/staging\/2-sealedsecret-task-api-secrets-[a-z0-9]{10}\.yaml$/m);
      const second = render(env);
      expect(second.stdout).toContain('staging: dist/staging/ unchanged');
      expect(second.status).toBe(0);
      expect(head()).toBe(after);
      for (const value of [...Object.values(fakeSecrets('staging')), PUSH_TOKEN]) expect(second.out).not.toContain(value);
    });

    test('a plain environment is neither synthesized nor committed', () => {
      const before = head();
      const result = render({ ...unsetSecrets(), TASK_API_ENV: 'production' });
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('production: plain secret backend, dist/production/ would hold Secrets: not synthesized, not committed');
      expect(existsSync(join(repo, 'dist', 'production'))).toBe(false);
      expect(head()).toBe(before);
    });

    test('a folder .gitignore still ignores is an error, not a forced add', () => {
      const before = head();
      const result = render(
        { ...unsetSecrets(), TASK_API_ENV: 'production', TASK_API_SECRET_BACKEND: 'external' });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('::error::dist/production/ is ignored by .gitignore: add the line !dist/production/ to commit it');
      expect(head()).toBe(before);
    });
  });
});
