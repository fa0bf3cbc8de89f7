import { Testing } from 'cdk8s';
import { dockerConfigJson, imageRegistry, registryHost, RegistryPullSecret } from '../lib/registry-pull-secret';
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

describe('RegistryPullSecret', () => {
  test('is a kubernetes.io/dockerconfigjson Secret with base64 data, for ghcr.io by default', () => {
    const chart = Testing.chart();
    new RegistryPullSecret(chart, 'Pull', { name: 'pull', namespace: 'ns', username: 'fake-user', password: 'fake-token' });
    const secret = findObject(Testing.synth(chart), 'Secret', 'pull');
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(secret.metadata.namespace).toBe('ns');
    expect(secret.stringData).toBeUndefined();
    expect(decodeData(secret)).toEqual({
      '.dockerconfigjson': dockerConfigJson({ server: 'ghcr.io', username: 'fake-user', password: 'fake-token' }),
    });
  });

  test('takes the credentials from GITHUB_USERNAME and GITHUB_TOKEN when props do not give them', () => {
    const chart = Testing.chart();
    new RegistryPullSecret(chart, 'Pull', { name: 'pull', namespace: 'ns', env: { GITHUB_USERNAME: 'env-user', GITHUB_TOKEN: 'fake-env-token' } });
    const config = JSON.parse(decodeData(findObject(Testing.synth(chart), 'Secret', 'pull'))['.dockerconfigjson']);
    expect(config.auths['ghcr.io']).toMatchObject({ username: 'env-user', password: 'fake-env-token' });
  });

  test('fails naming GITHUB_TOKEN when the token is missing', () => {
    const chart = Testing.chart();
    expect(() => new RegistryPullSecret(chart, 'Pull', { name: 'pull', namespace: 'ns', env: { GITHUB_USERNAME: 'u' } }))
      .toThrow('registry credentials for ghcr.io are missing: set GITHUB_TOKEN');
  });

  test('serves images on its own registry only', () => {
    const chart = Testing.chart();
    const pull = new RegistryPullSecret(chart, 'Pull', { name: 'pull', namespace: 'ns', username: 'u', password: 'p' });
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
