import { readOutputFiles } from '../lib/synth/retention';
import { runBuilt } from './cli-support';
import { spawnSync } from 'child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'fs';
import { join } from 'path';
import { synthEnvironments } from '../lib/synth/pipeline';
import { keyedContentHash } from '../lib/config/content-hash';
import { EnvironmentSettings } from '../lib/environments';
import { ENVIRONMENTS, project as taskApi } from '../main';
import { CONFIG_HASH_ANNOTATION } from '../lib/constructs/layered-config';
import { SECRET_HASH_ANNOTATION } from '../lib/secrets/backend';
import { RELOADER_SECRETS_ANNOTATION } from '../lib/secrets/external';
import { manifestFiles, writeEnvironment } from '../lib/synth/output';


/** The Task API's: unchanged since the annotation was named after the project. */
const SEALED_VALUE_HMACS_ANNOTATION = 'task-api/sealed-value-hmacs';
import { chooseSecretBackend, defaultSecretStore } from '../lib/synth/backend-choice';
import { committedEnvDir, fakeSecrets, findObject, findVersion, taskApiProject } from './support';
import { SynthesizedEnvironment } from '../lib/synth/pipeline';

/** The Task API's LayeredConfig among an environment's. */
function taskApiConfig({ layeredConfigs }: SynthesizedEnvironment) {
  return layeredConfigs.find((config) => config.configMapBaseName === 'task-api-config')!;
}

/** The synth summary's words on the app Secret and the pull secret. */
function secretSummaries(synthesized: SynthesizedEnvironment): string {
  const pullSecret = synthesized.pullSecrets.find((secret) => secret.secret.name === 'task-api-registry')!;
  return `${taskApiConfig(synthesized).secretSummary()}; pull secret ${pullSecret.backendSecret.summary()}`;
}
import { ThrowawayCertificate, throwawayCertificate } from './sealing-certificate';

const MAIN_JS = join(__dirname, '..', 'build', 'main.js');
const VALIDATE_CRD_OBJECTS = join(__dirname, 'validate-crd-objects.mjs');
const APP_SECRET_KEYS = ['DATABASE_PASSWORD', 'OPENAI_API_KEY', 'REDIS_URL', 'WEBHOOK_SECRET'];

const controller = throwawayCertificate();

/** The committed env files plus the staging controller's certificate at its default place. */
function envDirWithCertificate(environment = 'staging', cert: ThrowawayCertificate = controller): string {
  const envDir = committedEnvDir();
  writeFileSync(join(envDir, `${environment}.sealing-cert.pem`), cert.certificatePem);
  return envDir;
}

function synthSealed(options: { envDir?: string; processEnv?: Record<string, string>; outdir?: string } = {}) {
  const processEnv = options.processEnv ?? { ...fakeSecrets('staging'), TASK_API_SECRET_BACKEND: 'sealed' };
  return synthEnvironments(taskApiProject(), ['staging'], { envDir: options.envDir ?? envDirWithCertificate(), processEnv, outdir: options.outdir })[0];
}

function synthExternal(environment = 'staging', envDir = committedEnvDir()) {
  return synthEnvironments(taskApiProject(), [environment], { envDir, processEnv: { TASK_API_SECRET_BACKEND: 'external' } })[0];
}

/** The keys an .example file lists, read here without the project's parser. */
function exampleKeys(envDir: string, environment: string): string[] {
  return readFileSync(join(envDir, `${environment}.secrets.env.example`), 'utf8')
    .split('\n').map((line) => /^([A-Z_][A-Z0-9_]*)=/.exec(line)?.[1]).filter((key): key is string => key !== undefined);
}

function validateCrdObjects(objects: readonly any[]) {
  const result = spawnSync(process.execPath, [VALIDATE_CRD_OBJECTS], { input: JSON.stringify(objects), encoding: 'utf8' });
  return { status: result.status, out: result.stdout + result.stderr };
}

describe('choosing the backend', () => {
  const settings: EnvironmentSettings = ENVIRONMENTS.staging;

  test('is plain by default, as every environment is configured today', () => {
    for (const [name, environment] of Object.entries(ENVIRONMENTS)) {
      expect(chooseSecretBackend(name, environment, {}, 'env', taskApi)).toEqual({ kind: 'plain' });
    }
  });

  test("TASK_API_SECRET_BACKEND overrides the environment's setting", () => {
    expect(chooseSecretBackend('staging', { ...settings, secretBackend: 'external' }, { TASK_API_SECRET_BACKEND: 'plain' }, 'env', taskApi).kind).toBe('plain');
    expect(chooseSecretBackend('staging', settings, { TASK_API_SECRET_BACKEND: 'sealed' }, 'env', taskApi).kind).toBe('sealed');
  });

  test('an unknown TASK_API_SECRET_BACKEND is an error listing the backends', () => {
    expect(() => chooseSecretBackend('staging', settings, { TASK_API_SECRET_BACKEND: 'vault' }, 'env', taskApi))
      .toThrow('TASK_API_SECRET_BACKEND must be one of plain, sealed, external; it is "vault"');
  });

  test('the certificate is TASK_API_SEALING_CERT, else the setting, else <env folder>/<environment>.sealing-cert.pem', () => {
    const sealed = { ...settings, secretBackend: 'sealed' as const };
    expect(chooseSecretBackend('staging', sealed, {}, 'env', taskApi)).toMatchObject({ certificateFile: join('env', 'staging.sealing-cert.pem') });
    expect(chooseSecretBackend('staging', { ...sealed, sealingCertificate: 'certs/staging.pem' }, {}, 'env', taskApi))
      .toMatchObject({ certificateFile: 'certs/staging.pem' });
    expect(chooseSecretBackend('staging', { ...sealed, sealingCertificate: 'certs/staging.pem' }, { TASK_API_SEALING_CERT: '/tmp/ci.pem' }, 'env', taskApi))
      .toMatchObject({ certificateFile: '/tmp/ci.pem' });
  });

  test('external defaults to the ClusterSecretStore task-api, the remote secret task-api/<environment> and 1h', () => {
    const choice = chooseSecretBackend('production', { ...settings, secretBackend: 'external' }, {}, 'env', taskApi);
    if (choice.kind !== 'external') throw new Error(choice.kind);
    expect(choice.store).toEqual(defaultSecretStore('task-api'));
    expect(choice.store).toEqual({ name: 'task-api', kind: 'ClusterSecretStore' });
    expect(choice.remoteRef('DATABASE_PASSWORD')).toEqual({ key: 'task-api/production', property: 'DATABASE_PASSWORD' });
    expect(choice.refreshInterval).toBe('1h');
  });
});

describe('the sealed backend', () => {
  // That the real controller unseals these (and refuses a copy under another name): test/cluster/sealed.test.ts.
  test('writes SealedSecrets in place of both Secrets, each sealed for its own Secret (strict scope)', () => {
    const { objects } = synthSealed();
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const secrets = fakeSecrets('staging');

    const app = findVersion(objects, 'SealedSecret', 'task-api-secrets');
    expect(app.apiVersion).toBe('bitnami.com/v1alpha1');
    expect(app.metadata.namespace).toBe('task-api-staging');
    // A version of its own: sealed under its versioned name (strict scope), immutable once unsealed.
    const name = app.metadata.name;
    expect(app.spec.template).toEqual({ metadata: { name, namespace: 'task-api-staging' }, type: 'Opaque', immutable: true });
    expect(Object.keys(app.spec.encryptedData)).toEqual(APP_SECRET_KEYS);

    const pull = findObject(objects, 'SealedSecret', 'task-api-registry');
    expect(pull.spec.template).toEqual({ metadata: { name: 'task-api-registry', namespace: 'task-api-staging' }, type: 'kubernetes.io/dockerconfigjson' });
    expect(Object.keys(pull.spec.encryptedData)).toEqual(['.dockerconfigjson']);
    expect(JSON.stringify(objects)).not.toContain(secrets.GITHUB_TOKEN);
  });

  test('the Deployment references the Secrets the controller creates and keeps the keyed restart hash of the plaintext', () => {
    const { objects } = synthSealed();
    const deployment = findObject(objects, 'Deployment', 'task-api');
    const { spec, metadata } = deployment.spec.template;
    expect(spec.containers[0].envFrom).toEqual([
      { configMapRef: { name: findVersion(objects, 'ConfigMap', 'task-api-config').metadata.name } },
      { secretRef: { name: findVersion(objects, 'SealedSecret', 'task-api-secrets').metadata.name } },
    ]);
    // The pull secret keeps its fixed name: a token rotation must not roll the pods.
    expect(spec.imagePullSecrets).toEqual([{ name: 'task-api-registry' }]);
    const secrets = fakeSecrets('staging');
    const appSecrets = Object.fromEntries(APP_SECRET_KEYS.map((key) => [key, secrets[key]]));
    expect(metadata.annotations[SECRET_HASH_ANNOTATION]).toBe(keyedContentHash(appSecrets, secrets.TASK_API_HASH_KEY));
    expect(deployment.metadata.annotations?.[RELOADER_SECRETS_ANNOTATION]).toBeUndefined();
  });

  test('re-synthesizing unchanged values keeps every ciphertext, byte for byte', () => {
    const envDir = envDirWithCertificate();
    const outdir = join(envDir, 'dist');
    const first = synthSealed({ envDir, outdir });
    writeEnvironment(outdir, 'staging', manifestFiles(first.objects));
    const again = synthSealed({ envDir, outdir });
    expect(again.objects).toEqual(first.objects);
    expect(secretSummaries(again)).toMatch(/sealed: 4 kept; pull secret sealed: 1 kept$/);
  });

  test('a rotated value is a new version sealed for its new name; the previous one is carried verbatim', () => {
    const envDir = envDirWithCertificate();
    const outdir = join(envDir, 'dist');
    const first = synthSealed({ envDir, outdir });
    writeEnvironment(outdir, 'staging', [...manifestFiles(first.objects), ...first.carried]);
    const firstFiles = readOutputFiles(join(outdir, 'staging'));
    const rotated = synthSealed({
      envDir, outdir,
      processEnv: { ...fakeSecrets('staging'), OPENAI_API_KEY: 'fake-rotated-openai-key', TASK_API_SECRET_BACKEND: 'sealed' },
    });
    const before = findVersion(first.objects, 'SealedSecret', 'task-api-secrets');
    const after = findVersion(rotated.objects, 'SealedSecret', 'task-api-secrets');
    expect(after.metadata.name).not.toBe(before.metadata.name);
    // Strict scope binds every value to the name, so the new version seals every value afresh.
    expect(secretSummaries(rotated)).toMatch(/sealed: new ciphertext for DATABASE_PASSWORD, OPENAI_API_KEY, REDIS_URL, WEBHOOK_SECRET; pull secret sealed: 1 kept$/);
    expect(findObject(rotated.objects, 'SealedSecret', 'task-api-registry')).toEqual(findObject(first.objects, 'SealedSecret', 'task-api-registry'));

    // The previous version stays for rollback: its file as it was.
    const carried = rotated.carried.find((file) => file.objects.some((o) => o.metadata.name === before.metadata.name))!;
    expect(carried).toEqual(firstFiles.find((file) => file.name === carried.name));
    const old = carried.objects[0];
    expect(old.spec.encryptedData).toEqual(before.spec.encryptedData);
  });

  test('the fingerprints are written one per line beside the ciphertexts, and hold neither value nor hash key', () => {
    const { objects } = synthSealed();
    const app = findVersion(objects, 'SealedSecret', 'task-api-secrets');
    const fingerprints = JSON.parse(app.metadata.annotations[SEALED_VALUE_HMACS_ANNOTATION]);
    expect(Object.keys(fingerprints)).toEqual(APP_SECRET_KEYS);
    for (const value of Object.values(fingerprints)) expect(value).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(app.metadata.annotations[SEALED_VALUE_HMACS_ANNOTATION].split('\n')).toHaveLength(APP_SECRET_KEYS.length + 2);
    const text = JSON.stringify(objects);
    for (const value of Object.values(fakeSecrets('staging'))) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(Buffer.from(value).toString('base64'));
    }
  });

  test('a new certificate seals every value afresh', () => {
    const envDir = envDirWithCertificate();
    const outdir = join(envDir, 'dist');
    writeEnvironment(outdir, 'staging', manifestFiles(synthSealed({ envDir, outdir }).objects));
    const renewed = throwawayCertificate();
    writeFileSync(join(envDir, 'staging.sealing-cert.pem'), renewed.certificatePem);
    const synthesized = synthSealed({ envDir, outdir });
    const { objects } = synthesized;
    expect(secretSummaries(synthesized)).toMatch(/sealed: new ciphertext for DATABASE_PASSWORD, OPENAI_API_KEY, REDIS_URL, WEBHOOK_SECRET; pull secret sealed: new ciphertext for .dockerconfigjson$/);
    const app = findVersion(objects, 'SealedSecret', 'task-api-secrets');
    const before = findVersion(readOutputFiles(join(outdir, 'staging')).flatMap((file) => file.objects), 'SealedSecret', 'task-api-secrets');
    for (const key of APP_SECRET_KEYS) expect(app.spec.encryptedData[key]).not.toBe(before.spec.encryptedData[key]);
  });

  test('still needs the secrets and the hash key, and reports a missing certificate with them', () => {
    const envDir = committedEnvDir();
    const file = join(envDir, 'staging.sealing-cert.pem');
    let message = '';
    try {
      synthSealed({ envDir, processEnv: { TASK_API_SECRET_BACKEND: 'sealed' } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n')).toEqual([
      expect.stringMatching(/^staging: missing or empty secrets: DATABASE_PASSWORD, OPENAI_API_KEY, REDIS_URL, WEBHOOK_SECRET, TASK_API_HASH_KEY, GITHUB_USERNAME, GITHUB_TOKEN\./),
      `the sealing certificate ${file} does not exist; fetch it from the cluster with: kubeseal --fetch-cert > ${file}`,
    ]);
  });

  test('one TASK_API_SEALING_CERT cannot seal several environments', () => {
    const envDir = committedEnvDir();
    const certificate = join(envDir, 'one.pem');
    writeFileSync(certificate, controller.certificatePem);
    writeFileSync(join(envDir, 'production.secrets.env'), Object.entries(fakeSecrets('production')).map(([k, v]) => `${k}=${v}`).join('\n'));
    writeFileSync(join(envDir, 'staging.secrets.env'), Object.entries(fakeSecrets('staging')).map(([k, v]) => `${k}=${v}`).join('\n'));
    const processEnv = { TASK_API_SECRET_BACKEND: 'sealed', TASK_API_SEALING_CERT: certificate };
    expect(() => synthEnvironments(taskApiProject(), ['staging', 'production'], { envDir, processEnv }))
      .toThrow('TASK_API_SEALING_CERT would seal staging, production with one certificate, but each cluster has its own');
    expect(synthEnvironments(taskApiProject(), ['staging'], { envDir, processEnv })[0].objects.map((o) => o.kind)).toContain('SealedSecret');
  });
});

describe('the external backend', () => {
  test('needs no secrets file, hash key or registry credentials', () => {
    const { objects } = synthExternal('production');
    expect(objects.filter((o) => o.kind === 'Secret' || o.kind === 'SealedSecret')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata.name).sort()).toEqual(['task-api-registry', 'task-api-secrets']);
  });

  test('does not even read a secrets file that is there (a broken one cannot fail it)', () => {
    const envDir = committedEnvDir();
    writeFileSync(join(envDir, 'production.secrets.env'), 'NOT A LINE\n');
    const { objects } = synthExternal('production', envDir);
    for (const name of ['task-api-secrets', 'task-api-registry']) findObject(objects, 'ExternalSecret', name);
  });

  test("names exactly the keys of the environment's .example file (without the synth-only keys), one remote reference each", () => {
    const envDir = committedEnvDir();
    const { objects } = synthExternal('staging', envDir);
    const expected = exampleKeys(envDir, 'staging').filter((key) => !['TASK_API_HASH_KEY', 'GITHUB_USERNAME', 'GITHUB_TOKEN'].includes(key));
    expect(expected).toEqual(APP_SECRET_KEYS);
    const app = findObject(objects, 'ExternalSecret', 'task-api-secrets');
    expect(app.apiVersion).toBe('external-secrets.io/v1');
    expect(app.metadata.namespace).toBe('task-api-staging');
    expect(app.spec.data).toEqual(expected.map((key) => ({ secretKey: key, remoteRef: { key: 'task-api/staging', property: key } })));
    expect(app.spec.secretStoreRef).toEqual({ name: 'task-api', kind: 'ClusterSecretStore' });
    expect(app.spec.target).toEqual({ name: 'task-api-secrets', creationPolicy: 'Owner', template: { type: 'Opaque' } });
    expect(app.spec.refreshInterval).toBe('1h');

    appendToExample(envDir, 'staging', 'NEW_API_KEY=\n');
    const grown = findObject(synthExternal('staging', envDir).objects, 'ExternalSecret', 'task-api-secrets');
    expect(grown.spec.data.map((d: any) => d.secretKey)).toEqual(['DATABASE_PASSWORD', 'NEW_API_KEY', 'OPENAI_API_KEY', 'REDIS_URL', 'WEBHOOK_SECRET']);
  });

  test('builds the pull secret in the cluster: a templated kubernetes.io/dockerconfigjson from the remote username and token', () => {
    const pull = findObject(synthExternal().objects, 'ExternalSecret', 'task-api-registry');
    expect(pull.spec.data).toEqual([
      { secretKey: 'password', remoteRef: { key: 'task-api/staging', property: 'GITHUB_TOKEN' } },
      { secretKey: 'username', remoteRef: { key: 'task-api/staging', property: 'GITHUB_USERNAME' } },
    ]);
    // Rendered by Go's text/template with sprig's toJson and b64enc, this is byte for byte
    // what kubectl create secret docker-registry writes (checked by hand against kubectl 1.32).
    expect(pull.spec.target).toEqual({
      name: 'task-api-registry',
      creationPolicy: 'Owner',
      template: {
        type: 'kubernetes.io/dockerconfigjson',
        engineVersion: 'v2',
        data: {
          '.dockerconfigjson': '{"auths":{"ghcr.io":{"username":{{ .username | toJson }},"password":{{ .password | toJson }},' +
            '"auth":{{ printf "%s:%s" .username .password | b64enc | toJson }}}}}',
        },
      },
    });
  });

  test('drives restarts with a Reloader annotation, since no hash can see the values, and says so in the summary', () => {
    const synthesized = synthExternal();
    const deployment = findObject(synthesized.objects, 'Deployment', 'task-api');
    expect(deployment.metadata.annotations[RELOADER_SECRETS_ANNOTATION]).toBe('task-api-secrets');
    expect(deployment.spec.template.metadata.annotations[SECRET_HASH_ANNOTATION]).toBeUndefined();
    expect(deployment.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).toMatch(/^sha256:/);
    expect(deployment.spec.template.spec.containers[0].envFrom[1]).toEqual({ secretRef: { name: 'task-api-secrets' } });
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'task-api-registry' }]);
    expect(taskApiConfig(synthesized).secretSummary()).toBe(
      'external: ClusterSecretStore/task-api, refreshed every 1h; restarts driven by Reloader (secret.reloader.stakater.com/reload)');
  });

  test('store, key mapping and refresh interval come from the environment settings', () => {
    const environments = {
      ...ENVIRONMENTS,
      staging: {
        ...ENVIRONMENTS.staging,
        secretBackend: 'external' as const,
        secretStore: { name: 'vault', kind: 'SecretStore' as const },
        remoteRef: (key: string) => ({ key: `apps/task-api/staging/${key.toLowerCase()}` }),
        refreshInterval: '15m',
      },
    };
    const { objects } = synthEnvironments(taskApiProject({ environments }), ['staging'], { envDir: committedEnvDir(), processEnv: {} })[0];
    const app = findObject(objects, 'ExternalSecret', 'task-api-secrets');
    expect(app.spec.secretStoreRef).toEqual({ name: 'vault', kind: 'SecretStore' });
    expect(app.spec.refreshInterval).toBe('15m');
    expect(app.spec.data[0]).toEqual({ secretKey: 'DATABASE_PASSWORD', remoteRef: { key: 'apps/task-api/staging/database_password' } });
  });

  test('dev has no pull secret, as it needs no registry credentials', () => {
    const envDir = committedEnvDir();
    writeFileSync(join(envDir, 'dev.secrets.env.example'), 'DATABASE_PASSWORD=\n');
    const { objects } = synthExternal('dev', envDir);
    expect(objects.filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata.name)).toEqual(['task-api-secrets']);
    expect(findObject(objects, 'Deployment', 'task-api').spec.template.spec.imagePullSecrets).toBeUndefined();
  });

  test('an environment without a .example file is an error: the keys come from it', () => {
    const envDir = committedEnvDir();
    unlinkSync(join(envDir, 'staging.secrets.env.example'));
    expect(() => synthExternal('staging', envDir)).toThrow(
      `staging: the external secret backend takes the secret keys from ${join(envDir, 'staging.secrets.env')}.example, which lists none`);
  });
});

function appendToExample(envDir: string, environment: string, text: string) {
  const file = join(envDir, `${environment}.secrets.env.example`);
  writeFileSync(file, readFileSync(file, 'utf8') + text);
}

describe('schemas', () => {
  test('the SealedSecrets and ExternalSecrets validate against the CRD schemas', () => {
    const objects = [...synthSealed().objects, ...synthExternal().objects];
    const result = validateCrdObjects(objects);
    expect(result.out).toBe('validated 4, invalid 0\n');
    expect(result.status).toBe(0);
  });

  test('the schema check rejects what the CRDs reject', () => {
    const external = findObject(synthExternal().objects, 'ExternalSecret', 'task-api-secrets');
    const broken = { ...external, spec: { ...external.spec, secretStoreRef: { name: 'x', kind: 'Vault' } } };
    const result = validateCrdObjects([broken]);
    expect(result.out).toContain('ExternalSecret/task-api-secrets: data/spec/secretStoreRef/kind must be equal to one of the allowed values');
    expect(result.status).toBe(1);
  });
});

describe('npm run synth with a secret backend', () => {
  /** Obviously fake values no file may hold in sealed or external mode, in any form. */
  const CANARIES: Record<string, string> = {
    DATABASE_PASSWORD: 'fake-canary-database-Zq8x',
    OPENAI_API_KEY: 'fake-canary-openai-Wk3v',
    REDIS_URL: 'redis://:fake-canary-redis-Jp5t@redis:6379/0',
    WEBHOOK_SECRET: 'fake-canary-webhook-Hm2r',
    TASK_API_HASH_KEY: 'fake-canary-hash-key-Qy7n-long-enough-for-32-bytes',
    GITHUB_USERNAME: 'fake-canary-user-Bd4s',
    GITHUB_TOKEN: 'fake-canary-token-Xc9u',
  };

  function project(): string {
    const envDir = envDirWithCertificate();
    const root = join(envDir, 'project');
    mkdirSync(join(root, 'env'), { recursive: true });
    for (const name of readdirSync(envDir)) if (name !== 'project') writeFileSync(join(root, 'env', name), readFileSync(join(envDir, name)));
    writeFileSync(join(root, 'env', 'staging.secrets.env'), Object.entries(CANARIES).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    return root;
  }
  function run(cwd: string, env: Record<string, string>) {
    const result = spawnSync(process.execPath, [MAIN_JS], { cwd, env: { PATH: process.env.PATH!, TASK_API_ENV: 'staging', ...env }, encoding: 'utf8' });
    return { status: result.status, out: result.stdout + result.stderr };
  }
  function filesOf(folder: string): Record<string, string> {
    return Object.fromEntries(readdirSync(folder).map((name) => [name, readFileSync(join(folder, name), 'utf8')]));
  }
  /**
   * The forms a value can take inside base64 text: its own base64 and, for a value embedded in
   * a longer encoded string (like the token in a .dockerconfigjson), the stable middle of its
   * encoding at each of the three byte alignments.
   */
  function encodedForms(value: string): string[] {
    const forms = [value, Buffer.from(value).toString('base64')];
    for (const offset of [0, 1, 2]) {
      const encoded = Buffer.from('x'.repeat(offset) + value).toString('base64');
      const start = Math.ceil(offset / 3) * 4;
      const end = Math.floor((offset + Buffer.byteLength(value)) / 3) * 4;
      forms.push(encoded.slice(start, end));
    }
    return forms.filter((form) => form.length >= 8);
  }

  test('the canary check finds a value in plain output, where it is base64 (so it would catch a leak)', () => {
    const root = project();
    expect(run(root, {}).status).toBe(0);
    const text = Object.values(filesOf(join(root, 'dist', 'staging'))).join('\n');
    expect(encodedForms(CANARIES.DATABASE_PASSWORD).some((form) => text.includes(form))).toBe(true);
    expect(encodedForms(CANARIES.GITHUB_TOKEN).some((form) => text.includes(form))).toBe(true);
  });

  test.each(['sealed', 'external'])('in %s mode no secret value, in plaintext or base64, is anywhere in dist/', (backend) => {
    const root = project();
    const result = run(root, { TASK_API_SECRET_BACKEND: backend });
    expect(result.status).toBe(0);
    const files = filesOf(join(root, 'dist', 'staging'));
    // External values change in the store without a synth: that Secret keeps its fixed name.
    const appSecretFile = backend === 'sealed' ? expect.stringMatching(/^2-sealedsecret-task-api-secrets-[0-9a-z]{10}\.yaml$/) : '2-externalsecret-task-api-secrets.yaml';
    expect(Object.keys(files).filter((name) => name.startsWith('2-'))).toEqual([`2-${backend}secret-task-api-registry.yaml`, appSecretFile]);
    for (const [name, text] of Object.entries(files)) {
      for (const [key, value] of Object.entries(CANARIES)) {
        for (const form of encodedForms(value)) {
          if (text.includes(form)) throw new Error(`${name} holds ${key} as ${form === value ? 'plaintext' : 'base64'}`);
        }
      }
      // Holding no secret, they are ordinary files that can be committed.
      expect(statSync(join(root, 'dist', 'staging', name)).mode & 0o777).toBe(0o644);
    }
    expect(result.out).not.toContain('fake-canary');
  });

  test('a second run keeps the sealed files byte for byte, also under CDK8S_OUTDIR', () => {
    const root = project();
    const env = { TASK_API_SECRET_BACKEND: 'sealed', CDK8S_OUTDIR: 'out' };
    expect(run(root, env).status).toBe(0);
    const first = filesOf(join(root, 'out', 'staging'));
    const second = run(root, env);
    expect(second.status).toBe(0);
    expect(second.out).toMatch(/secret +task-api-secrets-[0-9a-z]{10} +hmac-sha256:[0-9a-f]{64}  sealed: 4 kept$/m);
    expect(second.out).toMatch(/pull secret task-api-registry  for ghcr\.io, token from \S+  sealed: 1 kept$/m);
    expect(filesOf(join(root, 'out', 'staging'))).toEqual(first);
  });

  test('plan right after a sealed synth has nothing to change: unchanged values keep their ciphertext', () => {
    const root = project();
    const env = { TASK_API_ENV: 'staging', TASK_API_SECRET_BACKEND: 'sealed' };
    expect(run(root, env).status).toBe(0);
    const plan = runBuilt('plan', root, env);
    expect(plan.stdout).toContain('staging: no changes');
    expect(plan.status).toBe(0);
  });

  test.each(['sealed', 'external'])('explain in %s mode lists the Secret keys masked, as the cluster will provide them', (backend) => {
    const result = runBuilt('explain', project(), { TASK_API_ENV: 'staging', TASK_API_SECRET_BACKEND: backend });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^DATABASE_PASSWORD=<secret> {2}# (.* via )?Secret task-api-secrets(-[0-9a-z]{10})?$/m);
    expect(result.out).not.toContain('is not among the objects');
    for (const value of Object.values(CANARIES)) expect(result.out).not.toContain(value);
  });

  test('refuses to write plain Secrets over a folder of SealedSecrets, which may be committed', () => {
    const root = project();
    expect(run(root, { TASK_API_SECRET_BACKEND: 'sealed' }).status).toBe(0);
    const before = filesOf(join(root, 'dist', 'staging'));
    const result = run(root, { TASK_API_SECRET_BACKEND: 'plain' });
    expect(result).toEqual({
      status: 1,
      out: 'synth failed: staging: dist/staging/ holds SealedSecrets or ExternalSecrets (it may be committed to git); plain Secrets ' +
        "written there would put secret values in it. Use that environment's backend, or delete dist/staging/ first.\n",
    });
    expect(filesOf(join(root, 'dist', 'staging'))).toEqual(before);
  });

  test('a bad backend or a missing certificate fails with one message and leaves dist/ as it was', () => {
    const root = project();
    expect(run(root, {}).status).toBe(0);
    const before = filesOf(join(root, 'dist', 'staging'));
    expect(run(root, { TASK_API_SECRET_BACKEND: 'vault' })).toEqual({
      status: 1,
      out: 'synth failed: TASK_API_SECRET_BACKEND must be one of plain, sealed, external; it is "vault"\n',
    });
    expect(run(root, { TASK_API_SECRET_BACKEND: 'sealed', TASK_API_SEALING_CERT: 'nowhere.pem' })).toEqual({
      status: 1,
      out: 'synth failed: the sealing certificate nowhere.pem does not exist; fetch it from the cluster with: kubeseal --fetch-cert > nowhere.pem\n',
    });
    expect(filesOf(join(root, 'dist', 'staging'))).toEqual(before);
  });
});
