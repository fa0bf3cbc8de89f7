import { parseEnvFile } from '../lib/config/env-file';
import { LayerInputs, readLayerInputs, resolveLayers, valuesOf } from '../lib/config/layers';
import { folderWith } from './support';

/** The Task API's: its hash key and one registry, ghcr.io. */
const SYNTH_KEYS = { hashKey: 'TASK_API_HASH_KEY', registries: [{ server: 'ghcr.io', username: 'GITHUB_USERNAME', password: 'GITHUB_TOKEN' }] };

function inputs(overrides: Partial<LayerInputs> = {}): LayerInputs {
  return {
    environment: 'staging',
    defaults: parseEnvFile('LOG_LEVEL=info\nMAX_CONNECTIONS=100\n', 'env/defaults.env'),
    environmentFile: parseEnvFile('LOG_LEVEL=debug\n', 'env/staging.env'),
    secretsFile: parseEnvFile('DATABASE_PASSWORD=fake-file-pw\nTASK_API_HASH_KEY=fake-hash-key\n', 'env/staging.secrets.env'),
    requiredSecrets: ['DATABASE_PASSWORD'],
    secretsPath: 'env/staging.secrets.env',
    requireRegistryCredentials: false,
    synthKeys: SYNTH_KEYS,
    ...overrides,
  };
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('lines dotenv reads other than kubectl, in a way that may be meant', () => {
  test('are warnings in a ConfigMap layer, where the value shows in review', () => {
    const resolved = resolveLayers(inputs({ environmentFile: parseEnvFile('LOG_LEVEL=debug # chatty\nMAX_CONNECTIONS= 50\n', 'env/staging.env') }), {});
    expect(valuesOf(resolved.config)).toMatchObject({ LOG_LEVEL: 'debug', MAX_CONNECTIONS: '50' });
    expect(resolved.warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^env\/staging\.env:1: LOG_LEVEL: the text from '#' on is a comment/),
      expect.stringMatching(/^env\/staging\.env:2: MAX_CONNECTIONS: the spaces around the value are dropped/),
    ]));
  });

  test('are errors in a secrets file, naming the line and key, never the value', () => {
    for (const line of ['DATABASE_PASSWORD=fake-pw # rotated in May', 'DATABASE_PASSWORD= fake-pw', 'DATABASE_PASSWORD=fake-pw  ']) {
      const secretsFile = parseEnvFile(`${line}\nTASK_API_HASH_KEY=fake-hash-key\n`, 'env/staging.secrets.env');
      const message = messageOf(() => resolveLayers(inputs({ secretsFile }), {}));
      expect(message).toMatch(/^env\/staging\.secrets\.env:1: DATABASE_PASSWORD: .*\(in a secrets file this is an error: a secret must reach the Secret exactly as written\)$/m);
      expect(message).not.toContain('fake-pw');
    }
  });
});

describe('resolveLayers', () => {
  test('the environment file overrides the defaults, and remembers what it overrode', () => {
    const resolved = resolveLayers(inputs(), {});
    expect(valuesOf(resolved.config)).toEqual({ LOG_LEVEL: 'debug', MAX_CONNECTIONS: '100' });
    const logLevel = resolved.config.find((v) => v.key === 'LOG_LEVEL')!;
    expect(logLevel.source).toEqual({ layer: 'environment', at: 'env/staging.env:1' });
    expect(logLevel.overrides).toEqual([{ layer: 'defaults', at: 'env/defaults.env:1' }]);
  });

  test('a key in both the process environment and the secrets file with different values is an error naming both, not the values', () => {
    const run = () => resolveLayers(inputs(), { DATABASE_PASSWORD: 'fake-stale-shell-pw' });
    expect(run).toThrow(
      'env/staging.secrets.env:1: DATABASE_PASSWORD: $DATABASE_PASSWORD is set in the process environment too, to a different value; ' +
      'unset $DATABASE_PASSWORD to use this line, or delete this line to use $DATABASE_PASSWORD');
    expect(messageOf(run)).not.toMatch(/fake-stale-shell-pw|fake-file-pw/);
  });

  test.each(['TASK_API_HASH_KEY', 'GITHUB_USERNAME', 'GITHUB_TOKEN'])('the same holds for %s, which synth itself reads', (key) => {
    const file = parseEnvFile(`DATABASE_PASSWORD=fake-file-pw\nTASK_API_HASH_KEY=fake-hash-key\n${key === 'TASK_API_HASH_KEY' ? '' : `${key}=fake-file-value\n`}`, 'env/staging.secrets.env');
    const line = file.find((entry) => entry.key === key)!.line;
    const run = () => resolveLayers(inputs({ secretsFile: file }), { [key]: 'fake-ci-value' });
    expect(run).toThrow(`env/staging.secrets.env:${line}: ${key}: $${key} is set in the process environment too, to a different value`);
    expect(messageOf(run)).not.toMatch(/fake-ci-value|fake-file-value|fake-hash-key/);
  });

  test('an empty process variable differs from the file too: nothing is dropped without a word', () => {
    expect(() => resolveLayers(inputs(), { DATABASE_PASSWORD: '' })).toThrow(/^env\/staging\.secrets\.env:1: DATABASE_PASSWORD: \$DATABASE_PASSWORD is set/);
  });

  test('the same value in the process environment and the file is fine, and the file stays its source', () => {
    const resolved = resolveLayers(inputs(), { DATABASE_PASSWORD: 'fake-file-pw', TASK_API_HASH_KEY: 'fake-hash-key' });
    expect(valuesOf(resolved.secrets)).toEqual({ DATABASE_PASSWORD: 'fake-file-pw' });
    expect(resolved.secrets[0].source).toEqual({ layer: 'secrets', at: 'env/staging.secrets.env:1' });
    expect(resolved.fromProcessEnv).toEqual([]);
  });

  test('the process environment fills the keys the secrets file does not hold, and says so', () => {
    const resolved = resolveLayers(inputs({ requiredSecrets: ['DATABASE_PASSWORD', 'OPENAI_API_KEY'] }), { OPENAI_API_KEY: 'fake-ci-key' });
    expect(valuesOf(resolved.secrets)).toEqual({ DATABASE_PASSWORD: 'fake-file-pw', OPENAI_API_KEY: 'fake-ci-key' });
    expect(resolved.secrets.find((v) => v.key === 'OPENAI_API_KEY')!.source).toEqual({ layer: 'process-env', at: '$OPENAI_API_KEY' });
    expect(resolved.fromProcessEnv).toEqual(['OPENAI_API_KEY']);
  });

  test('secrets come from the process environment alone when there is no secrets file', () => {
    const resolved = resolveLayers(inputs({ secretsFile: undefined }), { DATABASE_PASSWORD: 'fake-ci-pw', TASK_API_HASH_KEY: 'fake-k' });
    expect(valuesOf(resolved.secrets)).toEqual({ DATABASE_PASSWORD: 'fake-ci-pw' });
    expect(resolved.hashKey).toBe('fake-k');
  });

  test('unrelated process variables are not read into the Secret', () => {
    const resolved = resolveLayers(inputs(), { HOME: '/root', PATH: '/bin' });
    expect(resolved.secrets.map((v) => v.key)).toEqual(['DATABASE_PASSWORD']);
  });

  test('the hash key and registry credentials are used by synth and kept out of the Secret', () => {
    const resolved = resolveLayers(inputs(), { GITHUB_USERNAME: 'fake-user', GITHUB_TOKEN: 'fake-token' });
    expect(resolved.secrets.map((v) => v.key)).toEqual(['DATABASE_PASSWORD']);
    expect(resolved.hashKey).toBe('fake-hash-key');
    expect(resolved.registries).toEqual({ 'ghcr.io': { username: 'fake-user', password: 'fake-token' } });
  });

  test('lists every missing or empty required secret in one error, with where to put them', () => {
    const run = () => resolveLayers(inputs({
      secretsFile: parseEnvFile('DATABASE_PASSWORD=\n', 'env/staging.secrets.env'),
      requiredSecrets: ['DATABASE_PASSWORD', 'OPENAI_API_KEY'],
      requireRegistryCredentials: true,
    }), {});
    expect(run).toThrow(
      'staging: missing or empty secrets: DATABASE_PASSWORD, OPENAI_API_KEY, TASK_API_HASH_KEY, GITHUB_USERNAME, GITHUB_TOKEN. ' +
      'Put them in env/staging.secrets.env (start from a copy of env/staging.secrets.env.example; or, synthesizing this environment alone, set them as environment variables).');
  });

  test('fails naming GITHUB_TOKEN when registry credentials are required and the token is missing', () => {
    expect(() => resolveLayers(inputs({ requireRegistryCredentials: true }), { GITHUB_USERNAME: 'fake-user' }))
      .toThrow(/missing or empty secrets: GITHUB_TOKEN\./);
  });

  test('with the secrets in the cluster, no secret is read or required and the keys come from the .example file', () => {
    const resolved = resolveLayers(
      inputs({ secretsInCluster: true, requiredSecrets: ['DATABASE_PASSWORD', 'OPENAI_API_KEY', 'TASK_API_HASH_KEY', 'GITHUB_TOKEN'], requireRegistryCredentials: true }),
      { DATABASE_PASSWORD: 'fake-ci-pw' },
    );
    expect(resolved.externalSecretKeys).toEqual(['DATABASE_PASSWORD', 'OPENAI_API_KEY']);
    expect(resolved.secrets).toEqual([]);
    expect(resolved.hashKey).toBe('');
    expect(resolved.registries).toEqual({});
    expect(resolved.fromProcessEnv).toEqual([]);
    expect(valuesOf(resolved.config)).toEqual({ LOG_LEVEL: 'debug', MAX_CONNECTIONS: '100' });
  });

  test('a name the cluster owns is an error in every layer, the secrets file and the .example included, naming where it is written', () => {
    const envDir = folderWith({
      'defaults.env': 'LOG_LEVEL=info\nKUBERNETES_SERVICE_HOST=10.0.0.1\n',
      'staging.env': 'KUBERNETES_PORT_443_TCP_ADDR=10.0.0.1\n',
      'staging.secrets.env': 'DATABASE_PASSWORD=fake-pw\nKUBERNETES_SERVICE_PORT=443\nTASK_API_HASH_KEY=fake-k\n',
      'staging.secrets.env.example': 'DATABASE_PASSWORD=\nKUBERNETES_SERVICE_PORT=\nKUBERNETES_PORT=\nTASK_API_HASH_KEY=\n',
    });
    const message = messageOf(() => resolveLayers(readLayerInputs(envDir, 'staging', { requireRegistryCredentials: false, synthKeys: SYNTH_KEYS }), { KUBERNETES_PORT: 'tcp://10.0.0.1:443' }));
    const lines = message.split('\n');
    for (const where of [
      `${envDir}/defaults.env:2: KUBERNETES_SERVICE_HOST`,
      `${envDir}/staging.env:1: KUBERNETES_PORT_443_TCP_ADDR`,
      `${envDir}/staging.secrets.env:2: KUBERNETES_SERVICE_PORT`,
      `${envDir}/staging.secrets.env.example:3: KUBERNETES_PORT`,
    ]) {
      expect(lines).toContain(`${where}: the kubelet sets this name in every container to reach the API server, and a value here replaces it, ` +
        'sending every in-cluster Kubernetes client elsewhere; remove it (rename it if the app needs such a setting)');
    }
    expect(message).not.toContain('10.0.0.1');
  });

  test('names that only look like the cluster\'s are not its', () => {
    const resolved = resolveLayers(inputs({
      defaults: parseEnvFile('KUBERNETES_PORTAL_URL=https://portal\nMY_KUBERNETES_SERVICE_HOST=x\nLOG_LEVEL=info\n', 'env/defaults.env'),
    }), {});
    expect(valuesOf(resolved.config)).toHaveProperty('KUBERNETES_PORTAL_URL');
  });

  test('a name a loader or runtime executes is a warning in any layer, unless listed in runtimeVariables', () => {
    const withRuntime = inputs({
      defaults: parseEnvFile('LOG_LEVEL=info\nNODE_OPTIONS=--require ./hook.js\n', 'env/defaults.env'),
      secretsFile: parseEnvFile('DATABASE_PASSWORD=fake-pw\nLD_PRELOAD=/tmp/fake.so\nTASK_API_HASH_KEY=fake-k\n', 'env/staging.secrets.env'),
      requiredSecrets: ['DATABASE_PASSWORD', 'LD_PRELOAD'],
    });
    const warnings = resolveLayers(withRuntime, {}).warnings;
    expect(warnings).toContain('env/defaults.env:2: NODE_OPTIONS: Node.js takes it as command-line options (--require and --import load code), ' +
      'in whatever the container runs; if that is meant, list it in guardRailExceptions.runtimeVariables of the project definition');
    expect(warnings).toContainEqual(expect.stringMatching(/^env\/staging\.secrets\.env:2: LD_PRELOAD: the dynamic loader loads the libraries it names into every program/));
    expect(warnings.join('\n')).not.toMatch(/hook\.js|fake\.so/);
    const allowed = resolveLayers({ ...withRuntime, exceptions: { notSecret: [], inBothLayers: [], runtimeVariables: ['NODE_OPTIONS', 'LD_PRELOAD'] } }, {});
    expect(allowed.warnings.filter((w) => /NODE_OPTIONS|LD_PRELOAD/.test(w))).toEqual([]);
  });

  test('a key of the environment file that the defaults lack is a warning naming the closest defaults key', () => {
    const resolved = resolveLayers(inputs({ environmentFile: parseEnvFile('LOG_LEVL=debug\nFEATURE_X=on\n', 'env/staging.env') }), {});
    expect(resolved.warnings).toEqual([
      'env/staging.env:1: LOG_LEVL: env/defaults.env does not define it, so this adds a key instead of overriding one (did you mean LOG_LEVEL?); ' +
      'fix the name, define it in env/defaults.env, or list it in guardRailExceptions.notInDefaults of the project definition',
      'env/staging.env:2: FEATURE_X: env/defaults.env does not define it, so this adds a key instead of overriding one; ' +
      'define it in env/defaults.env, or list it in guardRailExceptions.notInDefaults of the project definition',
    ]);
    // The typo reaches the ConfigMap next to the default it meant to override: that is what the warning is for.
    expect(valuesOf(resolved.config)).toMatchObject({ LOG_LEVEL: 'info', LOG_LEVL: 'debug' });
  });

  test('notInDefaults lets a reviewed environment-only key through', () => {
    const resolved = resolveLayers(inputs({
      environmentFile: parseEnvFile('FEATURE_X=on\n', 'env/staging.env'),
      exceptions: { notSecret: [], inBothLayers: [], notInDefaults: ['FEATURE_X'] },
    }), {});
    expect(resolved.warnings).toEqual([]);
  });

  test('ConfigMap data over 1 MiB stops synth naming its largest keys with file:line and sizes, never a value', () => {
    const big = 'v'.repeat(700 * 1024);
    const run = () => resolveLayers(inputs({
      defaults: parseEnvFile(`LOG_LEVEL=info\nBLOB_A=${big}\n`, 'env/defaults.env'),
      environmentFile: parseEnvFile(`BLOB_B=${big}w\n`, 'env/staging.env'),
      exceptions: { notSecret: [], inBothLayers: [], notInDefaults: ['BLOB_B'] },
    }), {});
    const total = 2 * big.length + 1 + 'info'.length;
    expect(run).toThrow(
      `env/staging.env:1: BLOB_B: the largest value (${big.length + 1} bytes) of staging's ConfigMap, whose data is ${total} bytes, ` +
      `over the 1048576 (1 MiB) the API server accepts; next largest: env/defaults.env:2: BLOB_A (${big.length} bytes), ` +
      'env/defaults.env:1: LOG_LEVEL (4 bytes); make these values smaller: a large file belongs in the image or a volume, not in an env file');
    expect(messageOf(run)).not.toContain('vvvv');
  });

  test('Secret data over 1 MiB is counted in UTF-8 bytes and names the secrets file line', () => {
    const run = () => resolveLayers(inputs({
      secretsFile: parseEnvFile(`DATABASE_PASSWORD=${'é'.repeat(600 * 1024)}\nTASK_API_HASH_KEY=fake-k\n`, 'env/staging.secrets.env'),
    }), {});
    expect(run).toThrow(/^env\/staging\.secrets\.env:1: DATABASE_PASSWORD: the largest value \(1228800 bytes\) of staging's Secret, whose data is 1228800 bytes/);
  });

  test('data of exactly 1 MiB is accepted, one byte more is not', () => {
    // LOG_LEVEL=debug (staging.env) fills the last 5 bytes.
    const defaults = parseEnvFile(`BLOB=${'v'.repeat(1024 * 1024 - 'debug'.length)}\nLOG_LEVEL=info\n`, 'env/defaults.env');
    expect(() => resolveLayers(inputs({ defaults }), {})).not.toThrow();
    const oneByteMore = parseEnvFile(`BLOB=${'v'.repeat(1024 * 1024 - 'debug'.length + 1)}\nLOG_LEVEL=info\n`, 'env/defaults.env');
    expect(() => resolveLayers(inputs({ defaults: oneByteMore }), {})).toThrow(/whose data is 1048577 bytes/);
  });
});
