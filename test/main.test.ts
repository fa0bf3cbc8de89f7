import { spawnSync } from 'child_process';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { synthEnvironments } from '../lib/synth/pipeline';
import { ENVIRONMENTS } from '../main';
import { GuardRailExceptions } from '../lib/config/guard-rails';
import { CONFIG_HASH_ANNOTATION } from '../lib/constructs/layered-config';
import { SECRET_HASH_ANNOTATION } from '../lib/secrets/backend';
import { folderState, project, runBuilt, writeSecretsFile } from './cli-support';
import { addDevSecret, committedEnvDir, decodeData, fakeSecrets, findObject, findVersion, taskApiProject } from './support';

function synthOne(
  environment: string,
  envDir = committedEnvDir(),
  processEnv: Record<string, string> = environment === 'dev' ? {} : fakeSecrets(environment),
  exceptions?: GuardRailExceptions,
) {
  return synthEnvironments(taskApiProject({ guardRailExceptions: exceptions }), [environment], { envDir, processEnv })[0];
}

function podAnnotations(objects: any[]) {
  return findObject(objects, 'Deployment', 'task-api').spec.template.metadata.annotations;
}

describe.each(['dev', 'staging', 'production'])('the %s environment', (environment) => {
  test('matches its snapshot (fake secrets only)', () => {
    expect(synthOne(environment).objects).toMatchSnapshot();
  });

  test('has a Namespace, ConfigMap, Secret, Service and Deployment in its own namespace', () => {
    const { objects } = synthOne(environment);
    const namespace = `task-api-${environment}`;
    findObject(objects, 'Namespace', namespace);
    for (const [kind, name] of [['Service', 'task-api'], ['Deployment', 'task-api']]) {
      expect(findObject(objects, kind, name).metadata.namespace).toBe(namespace);
    }
    expect(findVersion(objects, 'ConfigMap', 'task-api-config').metadata.namespace).toBe(namespace);
    expect(findVersion(objects, 'Secret', 'task-api-secrets').metadata.namespace).toBe(namespace);
  });
});

describe('layering across the env files', () => {
  test('a key in both a ConfigMap layer and the secrets layer is an error unless allowed', () => {
    const envDir = committedEnvDir();
    appendFileSync(join(envDir, 'dev.env'), 'SHADOWED=plain\n');
    addDevSecret(envDir, 'SHADOWED', 'fake-secret');
    expect(() => synthOne('dev', envDir)).toThrow(/dev\.env:5: SHADOWED: is also set in the secrets layer/);
    expect(() => synthOne('dev', envDir, {}, { notSecret: [], inBothLayers: ['SHADOWED'] })).not.toThrow();
  });

  test('defaults < environment file < secrets file, wired so the Secret wins in the container', () => {
    const envDir = committedEnvDir();
    writeFileSync(join(envDir, 'defaults.env'), 'LOG_LEVEL=info\nONLY_DEFAULT=d\nSHADOWED=from-defaults\n');
    writeFileSync(join(envDir, 'dev.env'), 'LOG_LEVEL=debug\nSHADOWED=from-environment\n');
    addDevSecret(envDir, 'SHADOWED', 'fake-from-secrets');
    const { objects } = synthOne('dev', envDir, {}, { notSecret: [], inBothLayers: ['SHADOWED'] });
    expect(findVersion(objects, 'ConfigMap', 'task-api-config').data)
      .toEqual({ LOG_LEVEL: 'debug', ONLY_DEFAULT: 'd', SHADOWED: 'from-environment' });
    expect(decodeData(findVersion(objects, 'Secret', 'task-api-secrets')).SHADOWED).toBe('fake-from-secrets');
    const container = findObject(objects, 'Deployment', 'task-api').spec.template.spec.containers[0];
    // The kubelet applies envFrom in order, the later source winning; `env` would override both.
    expect(container.envFrom).toEqual([
      { configMapRef: { name: findVersion(objects, 'ConfigMap', 'task-api-config').metadata.name } },
      { secretRef: { name: findVersion(objects, 'Secret', 'task-api-secrets').metadata.name } },
    ]);
    expect(container.env).toBeUndefined();
  });

  test('keys named like Object.prototype members are plain data all the way to the objects', () => {
    const envDir = committedEnvDir();
    appendFileSync(join(envDir, 'dev.env'), 'valueOf=1\nhasOwnProperty=2\n');
    addDevSecret(envDir, 'toString', 'fake-to-string');
    const { objects } = synthOne('dev', envDir, {});
    expect(findVersion(objects, 'ConfigMap', 'task-api-config').data).toMatchObject({ valueOf: '1', hasOwnProperty: '2' });
    expect(decodeData(findVersion(objects, 'Secret', 'task-api-secrets')).toString).toBe('fake-to-string');
  });

  test('dev needs no registry credentials and then has no pull secret', () => {
    const { objects } = synthOne('dev');
    expect(objects.filter((o) => o.type === 'kubernetes.io/dockerconfigjson')).toEqual([]);
  });

  test('an environment without a pull secret notes it only for images on the registry', () => {
    const environments = { dev: { ...ENVIRONMENTS.dev, image: 'docker.io/library/nginx:1.27' } };
    expect(synthEnvironments(taskApiProject({ environments }), ['dev'], { envDir: committedEnvDir(), processEnv: {} })[0].notes).toEqual([]);
    expect(synthOne('staging').notes).toEqual([]);
  });

  test('with the external backend, the note on a missing pull secret points to requireRegistryCredentials', () => {
    const { notes } = synthEnvironments(taskApiProject(), ['dev'], { envDir: committedEnvDir(), processEnv: { TASK_API_SECRET_BACKEND: 'external' } })[0];
    expect(notes).toEqual([expect.stringMatching(/^no pull secret: Deployment task-api pulls ghcr\.io\/example-org\/task-api:dev .* set requireRegistryCredentials for dev in the project definition/)]);
  });

  test('staging gets a pull secret attached to its pods', () => {
    const { objects } = synthOne('staging');
    expect(findObject(objects, 'Secret', 'task-api-registry').type).toBe('kubernetes.io/dockerconfigjson');
    expect(findObject(objects, 'Deployment', 'task-api').spec.template.spec.imagePullSecrets).toEqual([{ name: 'task-api-registry' }]);
  });

  test('fails for staging without GITHUB_TOKEN, naming it', () => {
    const { GITHUB_TOKEN, ...withoutToken } = fakeSecrets('staging');
    expect(() => synthOne('staging', committedEnvDir(), withoutToken)).toThrow(/staging: missing or empty secrets: GITHUB_TOKEN\b/);
  });

  test('reports the missing secrets of every selected environment together', () => {
    expect(() => synthEnvironments(taskApiProject(), ['staging', 'production'], { envDir: committedEnvDir(), processEnv: {} }))
      .toThrow(/staging: missing or empty secrets: .*\nproduction: missing or empty secrets: /);
  });
});

describe('restart on change', () => {
  test('a consumed config value or secret change changes the matching hash', () => {
    const before = podAnnotations(synthOne('dev').objects);
    const configDir = committedEnvDir();
    appendFileSync(join(configDir, 'dev.env'), 'MAX_CONNECTIONS=5\n');
    const afterConfig = podAnnotations(synthOne('dev', configDir).objects);
    expect(afterConfig[CONFIG_HASH_ANNOTATION]).not.toBe(before[CONFIG_HASH_ANNOTATION]);
    expect(afterConfig[SECRET_HASH_ANNOTATION]).toBe(before[SECRET_HASH_ANNOTATION]);

    const secretDir = committedEnvDir();
    const text = readFileSync(join(secretDir, 'dev.secrets.env'), 'utf8');
    writeFileSync(join(secretDir, 'dev.secrets.env'), text.replace('fake-dev-database-password', 'fake-dev-rotated-password'));
    const afterSecret = podAnnotations(synthOne('dev', secretDir).objects);
    expect(afterSecret[SECRET_HASH_ANNOTATION]).not.toBe(before[SECRET_HASH_ANNOTATION]);
    expect(afterSecret[CONFIG_HASH_ANNOTATION]).toBe(before[CONFIG_HASH_ANNOTATION]);
  });

  test('comments, blank lines, key order and quoting style change nothing', () => {
    const before = podAnnotations(synthOne('dev').objects);
    const envDir = committedEnvDir();
    const lines = readFileSync(join(envDir, 'dev.env'), 'utf8').split('\n').filter((l) => l.includes('='));
    const [key, value] = lines[0].split('=');
    writeFileSync(join(envDir, 'dev.env'), ['# reordered', '', ...lines.slice(1).reverse(), `${key}="${value}"`, ''].join('\n'));
    const secrets = readFileSync(join(envDir, 'dev.secrets.env'), 'utf8').split('\n').filter((l) => l.includes('='));
    writeFileSync(join(envDir, 'dev.secrets.env'), ['', ...secrets.reverse(), '# trailing comment'].join('\n'));
    expect(podAnnotations(synthOne('dev', envDir).objects)).toEqual(before);
  });

  test("a change to one environment's inputs changes only that environment's annotations", () => {
    const before = { staging: podAnnotations(synthOne('staging').objects), production: podAnnotations(synthOne('production').objects) };
    const envDir = committedEnvDir();
    appendFileSync(join(envDir, 'staging.env'), 'MAX_CONNECTIONS=7\n');
    expect(podAnnotations(synthOne('staging', envDir).objects)).not.toEqual(before.staging);
    expect(podAnnotations(synthOne('production', envDir).objects)).toEqual(before.production);
  });
});

describe('npm run synth (build/main.js)', () => {
  const run = (cwd: string, env: Record<string, string>) => runBuilt('main.js', cwd, env);

  test('writes the selected environments into dist/<environment>/ and prints a summary without secrets', () => {
    const root = project();
    writeSecretsFile(root, 'staging');
    const result = run(root, { TASK_API_ENV: 'dev,staging' });
    expect(result.status).toBe(0);
    // The summary counts what is in each folder.
    for (const environment of ['dev', 'staging']) {
      const written = readdirSync(join(root, 'dist', environment)).length;
      expect(result.out).toMatch(new RegExp(`^${environment}: ${written} objects written to dist/${environment}/$`, 'm'));
    }
    expect(result.out).toMatch(/configmap task-api-config-[0-9a-z]{10} +sha256:[0-9a-f]{64}/);
    expect(result.out).toMatch(/^  pull secret task-api-registry  for ghcr\.io, token from env\/staging.secrets.env$/m);
    expect(result.out).not.toMatch(/fake-(dev|staging)-(database|openai|redis|webhook|github|hash)/);
    // One file per object, named so that kubectl apply -f takes the Namespace first and the workloads last.
    const files = readdirSync(join(root, 'dist', 'staging'));
    expect(files).toEqual(expect.arrayContaining([
      '0-namespace-task-api-staging.yaml',
      expect.stringMatching(/^1-configmap-task-api-config-[0-9a-z]{10}\.yaml$/),
      '2-secret-task-api-registry.yaml',
      expect.stringMatching(/^2-secret-task-api-secrets-[0-9a-z]{10}\.yaml$/),
      '3-service-task-api.yaml',
      '4-deployment-task-api.yaml',
    ]));
    expect(files.filter((f) => f.startsWith('0-'))).toEqual(['0-namespace-task-api-staging.yaml']);
    expect(statSync(join(root, 'dist', 'staging', files.find((f) => f.startsWith('2-secret-task-api-secrets-'))!)).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(root, 'dist'))).toEqual(['dev', 'staging']);
  });

  test('says when there is no previous output; after a change keeps the previous version byte for byte, and says so', () => {
    const root = project();
    const first = run(root, {});
    expect(first.status).toBe(0);
    expect(first.out).toMatch(/^  no previous output in dist\/dev\/: no earlier config versions carried forward, so `kubectl rollout undo` to a revision applied before this one will find no ConfigMap or Secret/m);
    const before = folderState(join(root, 'dist', 'dev'));
    const oldConfig = Object.keys(before).find((name) => name.startsWith('1-configmap-'))!;

    appendFileSync(join(root, 'env', 'dev.env'), 'FEATURE_X=on\n');
    const second = run(root, {});
    expect(second.status).toBe(0);
    expect(second.out).toContain(`  kept for rollback: ConfigMap ${oldConfig.slice('1-configmap-'.length, -'.yaml'.length)}`);
    expect(second.out).not.toContain('no previous output');
    const after = folderState(join(root, 'dist', 'dev'));
    // The swap rewrites every file; the kept version's bytes and mode are the same.
    expect(after[oldConfig].split(' ').slice(1)).toEqual(before[oldConfig].split(' ').slice(1));
    expect(Object.keys(after).filter((name) => name.startsWith('1-configmap-'))).toHaveLength(2);
  });

  test('synthesizes dev by default and every environment for TASK_API_ENV=all', () => {
    const root = project();
    expect(run(root, {}).status).toBe(0);
    expect(readdirSync(join(root, 'dist'))).toEqual(['dev']);
    writeSecretsFile(root, 'staging');
    writeSecretsFile(root, 'production');
    const all = run(root, { TASK_API_ENV: 'all' });
    expect(all.status).toBe(0);
    expect(readdirSync(join(root, 'dist'))).toEqual(['dev', 'production', 'staging']);
  });

  test('on a user mistake exits 1 with one message, no stack trace, and leaves dist/ as it was', () => {
    const root = project();
    expect(run(root, { TASK_API_ENV: 'dev' }).status).toBe(0);
    const before = folderState(join(root, 'dist', 'dev'));
    appendFileSync(join(root, 'env', 'dev.env'), 'NOT A LINE\n');
    const result = run(root, { TASK_API_ENV: 'dev' });
    expect(result.status).toBe(1);
    expect(result.out).toBe('synth failed: env/dev.env:5: expected KEY=value; this line has no \'=\'\n');
    expect(folderState(join(root, 'dist', 'dev'))).toEqual(before);
  });

  test('refuses app secrets from the process environment when several environments would share them', () => {
    const root = project();
    writeSecretsFile(root, 'production');
    const result = run(root, { TASK_API_ENV: 'staging,production', ...fakeSecrets('staging') });
    expect(result.status).toBe(1);
    expect(result.out).toContain('staging: DATABASE_PASSWORD, OPENAI_API_KEY, REDIS_URL, WEBHOOK_SECRET, TASK_API_HASH_KEY would come from the process environment');
    // production's file holds other values: each is a key with two values.
    expect(result.out).toContain('env/production.secrets.env:1: DATABASE_PASSWORD: $DATABASE_PASSWORD is set in the process environment too, to a different value');
    expect(result.out).not.toContain('fake-staging');
    expect(run(root, { TASK_API_ENV: 'staging', ...fakeSecrets('staging') }).status).toBe(0);
  });

  test("dev uses registry credentials from the shell only when set, and says so", () => {
    const root = project();
    expect(run(root, {}).out).not.toMatch(/^  pull secret/m);
    const withToken = run(root, { GITHUB_USERNAME: 'fake-user', GITHUB_TOKEN: 'fake-dev-shell-token' });
    expect(withToken.status).toBe(0);
    expect(withToken.out).toContain('  pull secret task-api-registry  for ghcr.io, token from $GITHUB_TOKEN');
    expect(withToken.out).not.toContain('fake-dev-shell-token');
  });

  test('dev without registry credentials says that it writes no pull secret, what that means and what to set', () => {
    const root = project();
    const result = run(root, {});
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      '  no pull secret: Deployment task-api pulls ghcr.io/example-org/task-api:dev without registry credentials. A private image ' +
      'cannot be pulled (ImagePullBackOff); to attach a pull secret, set both GITHUB_USERNAME and GITHUB_TOKEN, ' +
      'in the shell or env/dev.secrets.env\n');
  });

  test('dev with only one of the two registry variables says so too, never printing the one set', () => {
    const result = run(project(), { GITHUB_TOKEN: 'fake-dev-lone-token' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('  no pull secret: Deployment task-api pulls ghcr.io/example-org/task-api:dev');
    expect(result.out).not.toContain('fake-dev-lone-token');
  });

  test('dev with both registry variables has a pull secret and no such note', () => {
    const result = run(project(), { GITHUB_USERNAME: 'fake-user', GITHUB_TOKEN: 'fake-dev-shell-token' });
    expect(result.out).not.toContain('no pull secret');
  });

  test('an unknown name next to all is still an error', () => {
    const result = run(project(), { TASK_API_ENV: 'all,prod' });
    expect(result.status).toBe(1);
    expect(result.out).toContain('TASK_API_ENV names an unknown environment: "prod"');
  });

  test('an unknown environment is an error listing the known ones', () => {
    const result = run(project(), { TASK_API_ENV: 'prod' });
    expect(result.status).toBe(1);
    expect(result.out).toContain('TASK_API_ENV names an unknown environment: "prod"; known: dev, staging, production (or all)');
  });

  test('npx cdk8s synth runs the same app into its --output folder', () => {
    const out = join(committedEnvDir(), 'cdk8s-out');
    // cdk8s.yaml's app (scripts/synth.cjs) rebuilds only when build/ is stale, and `npm test` has
    // just built it.
    const app = readFileSync(join(__dirname, '..', 'cdk8s.yaml'), 'utf8').match(/^app: (.*)$/m)![1];
    const result = spawnSync('npx', ['cdk8s', 'synth', '--no-check-upgrade', '--app', app, '--output', out], {
      cwd: join(__dirname, '..'),
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', TASK_API_ENV: 'dev' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(readdirSync(join(out, 'dev'))).toEqual(expect.arrayContaining([
      '0-namespace-task-api-dev.yaml',
      expect.stringMatching(/^1-configmap-task-api-config-[0-9a-z]{10}\.yaml$/),
      expect.stringMatching(/^2-secret-task-api-secrets-[0-9a-z]{10}\.yaml$/),
      '3-service-task-api.yaml',
      '4-deployment-task-api.yaml',
    ]));
  });

  test('honours CDK8S_OUTDIR', () => {
    const root = project();
    expect(run(root, { CDK8S_OUTDIR: 'out' }).status).toBe(0);
    expect(readdirSync(join(root, 'out', 'dev'))).toContain('4-deployment-task-api.yaml');
  });
});
