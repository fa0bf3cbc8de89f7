import { Testing } from 'cdk8s';
import { PlainSecretBackend } from '../lib/secrets/plain';
import { dockerConfigJson, imageRegistry, registryHost, RegistryPullSecret } from '../lib/constructs/registry-pull-secret';
import { decodeData, findObject } from './support';

describe('dockerConfigJson', () => {
  // Expected outputs are what kubectl 1.32 printed for the same flags:
  // kubectl create secret docker-registry x <flags> --dry-run=client -o jsonpath='{.data.\.dockerconfigjson}' | base64 -d
  test.each([
    {
      flags: "--docker-server ghcr.io --docker-username octo-cat --docker-password 'fake-token-<&>\"\\x'",
      credentials: { server: 'ghcr.io', username: 'octo-cat', password: 'fake-token-<&>"\\x' },
      kubectl: '{"auths":{"ghcr.io":{"username":"octo-cat","password":"fake-token-\\u003c\\u0026\\u003e\\"\\\\x","auth":"b2N0by1jYXQ6ZmFrZS10b2tlbi08Jj4iXHg="}}}',
    },
    {
      flags: '--docker-username u --docker-password p --docker-email dev@example.com',
      credentials: { server: 'https://index.docker.io/v1/', username: 'u', password: 'p', email: 'dev@example.com' },
      kubectl: '{"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p","email":"dev@example.com","auth":"dTpw"}}}',
    },
    {
      flags: "--docker-server=https://registry.example.com:5000/v2/ --docker-username 'ünï' --docker-password 'p:a:s' --docker-email 'a+b@example.com'",
      credentials: { server: 'https://registry.example.com:5000/v2/', username: 'ünï', password: 'p:a:s', email: 'a+b@example.com' },
      kubectl: '{"auths":{"https://registry.example.com:5000/v2/":{"username":"ünï","password":"p:a:s","email":"a+b@example.com","auth":"w7xuw686cDphOnM="}}}',
    },
  ])('matches kubectl byte for byte for $flags', ({ credentials, kubectl }) => {
    expect(dockerConfigJson(credentials)).toBe(kubectl);
  });
});

const PLAIN = new PlainSecretBackend({ hashKey: 'fake-hash-key' });

describe('RegistryPullSecret', () => {
  test('is a kubernetes.io/dockerconfigjson Secret with base64 data for its server', () => {
    const chart = Testing.chart();
    new RegistryPullSecret(chart, 'Pull', { name: 'pull', namespace: 'ns', server: 'ghcr.io', username: 'fake-user', password: 'fake-token', secretBackend: PLAIN });
    const secret = findObject(Testing.synth(chart), 'Secret', 'pull');
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(secret.metadata.namespace).toBe('ns');
    expect(secret.stringData).toBeUndefined();
    expect(decodeData(secret)).toEqual({
      '.dockerconfigjson': dockerConfigJson({ server: 'ghcr.io', username: 'fake-user', password: 'fake-token' }),
    });
  });

  test('never reads the process environment: credentials come as props only', () => {
    const chart = Testing.chart();
    const saved = { ...process.env };
    process.env.GITHUB_USERNAME = 'env-user';
    process.env.GITHUB_TOKEN = 'fake-env-token';
    try {
      expect(() => new RegistryPullSecret(chart, 'Pull', { name: 'pull', namespace: 'ns', server: 'ghcr.io', secretBackend: PLAIN }))
        .toThrow('registry credentials for ghcr.io are missing: the plain secret backend needs the username and password');
    } finally {
      process.env = saved;
    }
  });

  test('fails naming the password when it is missing', () => {
    const chart = Testing.chart();
    expect(() => new RegistryPullSecret(chart, 'Pull', { name: 'pull', namespace: 'ns', server: 'ghcr.io', username: 'u', secretBackend: PLAIN }))
      .toThrow('registry credentials for ghcr.io are missing: the plain secret backend needs the password');
  });

  test('serves images on its own registry only', () => {
    const chart = Testing.chart();
    const pull = new RegistryPullSecret(chart, 'Pull', { name: 'pull', namespace: 'ns', server: 'ghcr.io', username: 'u', password: 'p', secretBackend: PLAIN });
    expect(pull.servesImage('ghcr.io/example-org/task-api:1.0.0')).toBe(true);
    expect(pull.servesImage('GHCR.io/example-org/task-api')).toBe(true);
    expect(pull.servesImage('docker.io/library/nginx')).toBe(false);
    expect(pull.servesImage('example-org/task-api')).toBe(false);
  });
});

describe('image registries', () => {
  test.each([
    ['ghcr.io/o/task-api:1', 'ghcr.io'],
    ['localhost:5000/task-api', 'localhost:5000'],
    ['nginx', 'docker.io'],
    ['library/nginx:1.27', 'docker.io'],
  ])('%s is on %s', (image, registry) => {
    expect(imageRegistry(image)).toBe(registry);
  });

  test.each([
    ['ghcr.io', 'ghcr.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['https://index.docker.io/v1/', 'docker.io'],
  ])('--docker-server %s is the host %s', (server, host) => {
    expect(registryHost(server)).toBe(host);
  });
});
