import { parseEnvFile } from '../lib/config/env-file';
import { LayerInputs, resolveLayers, valuesOf } from '../lib/config/layers';

function inputs(overrides: Partial<LayerInputs> = {}): LayerInputs {
  return {
    environment: 'staging',
    defaults: parseEnvFile('LOG_LEVEL=info\nMAX_CONNECTIONS=100\n', 'env/defaults.env'),
    environmentFile: parseEnvFile('LOG_LEVEL=debug\n', 'env/staging.env'),
    secretsFile: parseEnvFile('DATABASE_PASSWORD=fake-file-pw\nTASK_API_HASH_KEY=fake-hash-key\n', 'env/staging.secrets.env'),
    requiredSecrets: ['DATABASE_PASSWORD'],
    secretsPath: 'env/staging.secrets.env',
    requireRegistryCredentials: false,
    ...overrides,
  };
}

describe('resolveLayers', () => {
  test('the environment file overrides the defaults, and remembers what it overrode', () => {
    const resolved = resolveLayers(inputs(), {});
    expect(valuesOf(resolved.config)).toEqual({ LOG_LEVEL: 'debug', MAX_CONNECTIONS: '100' });
    const logLevel = resolved.config.find((v) => v.key === 'LOG_LEVEL')!;
    expect(logLevel.source).toEqual({ layer: 'environment', at: 'env/staging.env:1' });
    expect(logLevel.overrides).toEqual([{ layer: 'defaults', at: 'env/defaults.env:1' }]);
  });

  test('a process environment variable wins over the secrets file', () => {
    const resolved = resolveLayers(inputs(), { DATABASE_PASSWORD: 'fake-ci-pw' });
    expect(valuesOf(resolved.secrets)).toEqual({ DATABASE_PASSWORD: 'fake-ci-pw' });
    expect(resolved.secrets[0].source).toEqual({ layer: 'process-env', at: '$DATABASE_PASSWORD' });
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
    expect(resolved.registry).toEqual({ username: 'fake-user', password: 'fake-token' });
  });

  test('lists every missing or empty required secret in one error, with where to put them', () => {
    const run = () => resolveLayers(inputs({
      secretsFile: parseEnvFile('DATABASE_PASSWORD=\n', 'env/staging.secrets.env'),
      requiredSecrets: ['DATABASE_PASSWORD', 'OPENAI_API_KEY'],
      requireRegistryCredentials: true,
    }), {});
    expect(run).toThrow(
      'staging: missing or empty secrets: DATABASE_PASSWORD, OPENAI_API_KEY, TASK_API_HASH_KEY, GITHUB_USERNAME, GITHUB_TOKEN. ' +
      'Put them in env/staging.secrets.env (or, synthesizing this environment alone, set them as environment variables).');
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
    expect(resolved.registry).toBeUndefined();
    expect(resolved.fromProcessEnv).toEqual([]);
    expect(valuesOf(resolved.config)).toEqual({ LOG_LEVEL: 'debug', MAX_CONNECTIONS: '100' });
  });
});
