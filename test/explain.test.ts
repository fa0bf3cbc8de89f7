import { appendFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { synthEnvironments, SynthesizedEnvironment } from '../lib/synth/pipeline';
import { explainCommand, explainEnvironment, renderComparison, renderContainer } from '../lib/review/explain';
import { project as taskApiProjectDefinition } from '../main';
import { outputFor } from '../lib/terminal';
import { project, runBuilt, writeSecretsFile } from './cli-support';
import { addDevSecret, committedEnvDir, fakeSecrets, findObject, findVersion, taskApiProject } from './support';

function synthDev(envDir = committedEnvDir(), inBothLayers: string[] = []): SynthesizedEnvironment {
  return synthEnvironments(taskApiProject({ guardRailExceptions: { notSecret: [], inBothLayers } }), ['dev'], { envDir, processEnv: {} })[0];
}

/** The Task API container's explanation among an environment's. */
function taskApi(synthesized: SynthesizedEnvironment) {
  const found = explainEnvironment(synthesized).find((e) => e.workload === 'Deployment task-api' && e.container === 'task-api');
  if (!found) throw new Error('no explanation of Deployment task-api, container task-api');
  return found;
}

function varsOf(synthesized: SynthesizedEnvironment) {
  return Object.fromEntries(taskApi(synthesized).vars.map((v) => [v.name, v]));
}

const PLAIN = outputFor(false, {});
const TERMINAL = outputFor(true, {});

describe('explainEnvironment', () => {
  test("explains the Task API's container in dev, each key traced to its env file line", () => {
    expect(taskApi(synthDev())).toMatchObject({ environment: 'dev', namespace: 'task-api-dev', problems: [] });
    const vars = varsOf(synthDev());
    expect(vars.LOG_LEVEL).toMatchObject({ value: 'debug', from: expect.stringMatching(/dev\.env:2 \(environment\) via ConfigMap task-api-config-[0-9a-z]{10}$/) });
    expect(vars.LOG_LEVEL.overrides).toEqual([expect.stringMatching(/defaults\.env:3 \(defaults\)$/)]);
    expect(vars.ENABLE_METRICS.overrides).toEqual([]);
    expect(vars.DATABASE_PASSWORD).toMatchObject({ secret: true, from: expect.stringMatching(/dev\.secrets\.env:3 \(secrets\) via Secret task-api-secrets-[0-9a-z]{10}$/) });
  });

  test('precedence: a secret outranks the ConfigMap, which holds the environment file over the defaults', () => {
    const envDir = committedEnvDir();
    writeFileSync(join(envDir, 'defaults.env'), 'SHADOWED=from-defaults\n');
    writeFileSync(join(envDir, 'dev.env'), '# comment\nSHADOWED=from-environment\n');
    addDevSecret(envDir, 'SHADOWED', 'fake-from-secrets');
    const shadowed = varsOf(synthDev(envDir, ['SHADOWED'])).SHADOWED;
    expect(shadowed.value).toBe('fake-from-secrets');
    expect(shadowed.secret).toBe(true);
    // explain follows the versioned names the pod template reads.
    const objects = synthDev(envDir, ['SHADOWED']).objects;
    expect(shadowed.from).toBe(`${join(envDir, 'dev.secrets.env')}:9 (secrets) via Secret ${findVersion(objects, 'Secret', 'task-api-secrets').metadata.name}`);
    expect(shadowed.overrides).toEqual([
      `${join(envDir, 'defaults.env')}:1 (defaults)`,
      `${join(envDir, 'dev.env')}:2 (environment) via ConfigMap ${findVersion(objects, 'ConfigMap', 'task-api-config').metadata.name}`,
    ]);
  });

  test('a secret only the process environment holds is traced to its variable; one both hold alike, to the file', () => {
    const envDir = committedEnvDir();
    appendFileSync(join(envDir, 'dev.secrets.env.example'), 'EXTRA_TOKEN=\n');
    const processEnv = { EXTRA_TOKEN: 'fake-ci-extra-token', DATABASE_PASSWORD: 'fake-dev-database-password' };
    const vars = varsOf(synthEnvironments(taskApiProject(), ['dev'], { envDir, processEnv })[0]);
    expect(vars.EXTRA_TOKEN.from).toMatch(/^\$EXTRA_TOKEN \(process environment\) via Secret task-api-secrets-[0-9a-z]{10}$/);
    expect(vars.DATABASE_PASSWORD.from).toBe(`${join(envDir, 'dev.secrets.env')}:3 (secrets) via Secret ${vars.EXTRA_TOKEN.from.split(' ').pop()}`);
    expect(vars.DATABASE_PASSWORD.overrides).toEqual([]);
  });

  test('follows a prefix and $(VAR) expansion in the pod template, with provenance', () => {
    const synthesized = synthDev();
    const container = findObject(synthesized.objects, 'Deployment', 'task-api').spec.template.spec.containers[0];
    container.envFrom[1].prefix = 'SECRET_';
    container.env = [
      { name: 'LOG_LEVEL', value: 'pinned-$(LOG_LEVEL)' },
      { name: 'URL', value: '$(API_BASE_URL)/v1?level=$(LOG_LEVEL)&price=$$5&$(UNSET)' },
      { name: 'DSN', value: 'postgres://app:$(SECRET_DATABASE_PASSWORD)@db' },
    ];
    const vars = varsOf(synthesized);
    expect(vars.SECRET_DATABASE_PASSWORD.from).toMatch(/via Secret task-api-secrets-[0-9a-z]{10} with prefix SECRET_$/);
    expect(vars.DATABASE_PASSWORD).toBeUndefined();
    expect(vars.LOG_LEVEL.value).toBe('pinned-debug');
    expect(vars.LOG_LEVEL.overrides).toEqual([expect.stringMatching(/defaults\.env:3 \(defaults\)$/), expect.stringMatching(/dev\.env:2 \(environment\) via ConfigMap task-api-config-[0-9a-z]{10}$/)]);
    expect(vars.URL.value).toBe('http://localhost:8000/v1?level=pinned-debug&price=$5&$(UNSET)');
    expect(vars.URL.from).toBe('env[1] of the container, expanding $(API_BASE_URL) $(LOG_LEVEL)');
    expect(vars.DSN.secret).toBe(true);
  });
});

describe('rendering', () => {
  test('plain output: one KEY=value line per variable, secrets masked, no colour or padding', () => {
    const lines = renderContainer(taskApi(synthDev()), PLAIN);
    expect(lines[0]).toBe('dev: Deployment task-api, container task-api (namespace task-api-dev)');
    expect(lines).toContainEqual(expect.stringMatching(/^LOG_LEVEL=debug {2}# \S*dev\.env:2 \(environment\) via ConfigMap task-api-config-[0-9a-z]{10}; overrides \S*defaults\.env:3 \(defaults\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^DATABASE_PASSWORD=<secret> {2}# /));
    expect(lines).toContain('KUBERNETES_SERVICE_HOST=<cluster IP>  # link variable of Service kubernetes, set by the cluster');
    // enableServiceLinks is off: the namespace's own Service injects nothing.
    expect(lines.join('\n')).not.toContain('TASK_API_SERVICE_HOST');
    expect(lines.join('\n')).not.toMatch(/\x1b\[/);
    expect(lines.join('\n')).not.toContain('fake-dev');
  });

  test('terminal output: aligned columns in colour, and NO_COLOR keeps the alignment only', () => {
    const coloured = renderContainer(taskApi(synthDev()), TERMINAL);
    expect(coloured.join('\n')).toMatch(/\x1b\[35m<secret>\x1b\[0m/);
    const plain = renderContainer(taskApi(synthDev()), outputFor(true, { NO_COLOR: '1' }));
    expect(plain.join('\n')).not.toMatch(/\x1b\[/);
    const valueAt = plain[1].indexOf('VALUE');
    const line = (key: string) => plain.find((l) => l.trimStart().startsWith(`${key} `))!;
    expect(line('LOG_LEVEL').indexOf('debug')).toBe(valueAt);
    expect(line('DATABASE_PASSWORD').indexOf('<secret>')).toBe(valueAt);
    expect(line('REQUEST_TIMEOUT_MS').indexOf('30000')).toBe(valueAt);
  });

  test('the comparison shows per key whether environments agree, differ or lack it; secrets masked and never compared', () => {
    const envDir = committedEnvDir();
    appendFileSync(join(envDir, 'staging.env'), 'ONLY_STAGING=yes\n');
    for (const environment of ['staging', 'production']) {
      const secrets = { ...fakeSecrets(environment), OPENAI_API_KEY: 'fake-shared-key' };
      writeFileSync(join(envDir, `${environment}.secrets.env`), Object.entries(secrets).map(([k, v]) => `${k}=${v}\n`).join(''));
    }
    const explanations = synthEnvironments(taskApiProject(), ['staging', 'production'], { envDir, processEnv: {} }).flatMap(explainEnvironment);
    const lines = renderComparison(explanations.filter((e) => e.workload === 'Deployment task-api'), PLAIN);
    expect(lines).toEqual([
      'Deployment task-api, container task-api, across staging, production',
      'API_BASE_URL: staging=https://staging.api.example.com production=https://api.example.com  # differs',
      'DATABASE_PASSWORD: staging=<secret> production=<secret>  # secret, not compared',
      'ENABLE_METRICS: staging=true production=true  # same',
      'LOG_LEVEL: staging=debug production=warning  # differs',
      'MAX_CONNECTIONS: staging=100 production=200  # differs',
      'NODE_ENV: staging=production production=production  # same',
      'ONLY_STAGING: staging=yes production=—  # missing in production',
      'OPENAI_API_KEY: staging=<secret> production=<secret>  # secret, not compared',
      'REDIS_URL: staging=<secret> production=<secret>  # secret, not compared',
      'REQUEST_TIMEOUT_MS: staging=30000 production=30000  # same',
      'WEBHOOK_SECRET: staging=<secret> production=<secret>  # secret, not compared',
    ]);
  });
});

describe('npm run explain (build/main.js explain)', () => {
  const CANARIES = ['fake-canary-database-password-7f3a', 'fake-canary-openai-key-91bd', 'fake-canary-github-token-22c8', 'fake-canary-hash-key-0e41-long-enough-for-32-bytes'];

  function canaryProject(): string {
    const root = project();
    for (const environment of ['staging', 'production']) {
      writeSecretsFile(root, environment, {
        ...fakeSecrets(environment),
        DATABASE_PASSWORD: CANARIES[0],
        OPENAI_API_KEY: CANARIES[1],
        GITHUB_TOKEN: CANARIES[2],
        TASK_API_HASH_KEY: `${CANARIES[3]}-${environment}`,
      });
    }
    writeFileSync(join(root, 'env', 'dev.secrets.env'), [
      `DATABASE_PASSWORD=${CANARIES[0]}`, `OPENAI_API_KEY=${CANARIES[1]}`, `TASK_API_HASH_KEY=${CANARIES[3]}`,
      'REDIS_URL=redis://fake', 'WEBHOOK_SECRET=fake-webhook', '',
    ].join('\n'));
    return root;
  }

  test('never prints a secret value, nor its base64, for every environment', () => {
    const result = runBuilt('explain', canaryProject(), { TASK_API_ENV: 'all' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('DATABASE_PASSWORD=<secret>  # ');
    expect(result.stdout).not.toMatch(/bytes>/);
    // dev's committed fake value reused in staging and production: the one warning says why it matters.
    expect(result.out).toContain("warning: production: DATABASE_PASSWORD holds the same value in dev, staging and production: " +
      "dev's secrets are committed to the repository: treat the value as public and replace it");
    expect(result.stdout).toContain('Deployment task-api, container task-api, across dev, staging, production');
    for (const canary of CANARIES) {
      for (const form of [canary, canary.slice(0, 16), Buffer.from(canary).toString('base64').slice(0, 16)]) expect(result.out).not.toContain(form);
    }
  });

  test('explains dev by default, in plain text when stdout is not a terminal', () => {
    const result = runBuilt('explain', project());
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')).toContain('dev: Deployment task-api, container task-api (namespace task-api-dev)');
    expect(result.stdout).not.toMatch(/\x1b\[/);
  });

  test('a user mistake is one message on stderr and exit code 2, as plan\'s errors', () => {
    const root = project();
    appendFileSync(join(root, 'env', 'dev.env'), 'NOT A LINE\n');
    const result = runBuilt('explain', root);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe("explain failed: env/dev.env:5: expected KEY=value; this line has no '='\n");
  });

  test('main reports through the given io and returns the exit code', () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const cwd = process.cwd();
    process.chdir(project());
    try {
      expect(explainCommand(taskApiProjectDefinition, { TASK_API_ENV: 'nope' }, { out: (l) => lines.push(l), err: (l) => errors.push(l), isTTY: false })).toBe(2);
    } finally {
      process.chdir(cwd);
    }
    expect(lines).toEqual([]);
    expect(errors).toEqual(['explain failed: TASK_API_ENV names an unknown environment: "nope"; known: dev, staging, production (or all)']);
  });
});
