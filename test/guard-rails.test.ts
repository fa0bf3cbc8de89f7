import { parseEnvFile } from '../lib/config/env-file';
import { clientSideApplyWarnings, closestKey, editDistance, guardRailProblems, secretLooking } from '../lib/config/guard-rails';
import { ResolvedValue } from '../lib/config/layers';

const NONE = { notSecret: [], inBothLayers: [] };

describe('secretLooking', () => {
  test.each([
    ['DATABASE_PASSWORD', 'its name contains "password"'],
    ['DB_PASSWD', 'its name contains "passwd"'],
    ['WEBHOOK_SECRET', 'its name contains "secret"'],
    ['GITHUB_TOKEN', 'its name contains "token"'],
    ['OPENAI_API_KEY', 'its name contains "api_key"'],
    ['apiKey', 'its name contains "api_key"'],
    ['TLS_PRIVATE_KEY', 'its name contains "private_key"'],
    ['SERVICE_CREDENTIALS', 'its name contains "credentials"'],
    ['AUTH_BEARER', 'its name contains "bearer"'],
  ])('%s looks secret because %s', (key, reason) => {
    expect(secretLooking(key, 'x')).toBe(reason);
  });

  test.each(['MAX_TOKENS', 'LOG_LEVEL', 'API_BASE_URL', 'BYPASS_CACHE', 'KEYBOARD_LAYOUT', 'SECRETARY_EMAIL'])('%s does not', (key) => {
    expect(secretLooking(key, 'plain')).toBeUndefined();
  });

  test.each([
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIfake\n-----END RSA PRIVATE KEY-----', 'a private key'],
    ['ghp_' + 'a'.repeat(36), 'a GitHub token'],
    ['github_pat_' + 'A1_'.repeat(10), 'a GitHub token'],
    ['sk-proj-' + 'x'.repeat(30), 'an OpenAI-style API key'],
    ['sk_live_' + 'x'.repeat(24), 'a Stripe key'],
    ['xoxb-1234567890-fake', 'a Slack token'],
    ['AKIA' + 'ABCDEFGHIJKLMNOP', 'an AWS access key id'],
  ])('a value like %s looks like %s whatever the key', (value, what) => {
    expect(secretLooking('UPSTREAM', value)).toBe(`its value looks like ${what}`);
  });

  test.each([
    'postgres://app:fake-pw@db/app',
    'redis://:fake-pw@redis:6379/0',
    'amqp://guest:guest@rabbit',
    'https://x-access-token:fake-token@github.com/org/repo.git',
    'mongodb+srv://app:fake%40pw@cluster0.example.net/?retryWrites=true',
    'postgres://app:p@ss@db',
    'primary=postgres://a:fake-pw@h1,replica=postgres://b:fake-pw@h2',
  ])('a URL with a password, %s, is a credential whatever the key', (value) => {
    expect(secretLooking('DATABASE_URL', value)).toBe('its value holds a URL with a password, user:password@');
  });

  test.each([
    'postgres://app@db/app',
    'postgres://app:@db/app',
    'https://api.example.com:8443/v1',
    'http://proxy:3128',
    'http://host:8080/path@version',
    'https://example.com/?q=a:b@c',
    'git@github.com:org/repo.git',
    'mailto:ops@example.com',
  ])('%s holds no password', (value) => {
    expect(secretLooking('UPSTREAM_URL', value)).toBeUndefined();
  });

  // No clock: a check that backtracks would take hours on these 1 MiB values (about 10^12 steps),
  // a linear one milliseconds, so finishing at all within the test timeout is the proof, on any machine.
  test('a long value is checked in linear time', () => {
    for (const value of ['v'.repeat(1024 * 1024), 'a://'.repeat(250_000), `a://:${':'.repeat(1024 * 1024)}`]) expect(secretLooking('BLOB', value)).toBeUndefined();
  });
});

describe('guardRailProblems', () => {
  const config = parseEnvFile('LOG_LEVEL=info\nOPENAI_API_KEY=fake-openai-key\nUPSTREAM=ghp_' + 'a'.repeat(36) + '\n', 'env/dev.env');

  test('a secret-looking key or value in a ConfigMap layer says to move it, naming file, line and key but not the value', () => {
    const problems = guardRailProblems(config, new Set(), 'env/dev.secrets.env', NONE);
    expect(problems).toEqual([
      expect.stringMatching(/^env\/dev\.env:2: OPENAI_API_KEY: looks like a secret \(its name contains "api_key"\); move it to env\/dev\.secrets\.env/),
      expect.stringMatching(/^env\/dev\.env:3: UPSTREAM: looks like a secret \(its value looks like a GitHub token\); move it to env\/dev\.secrets\.env/),
    ]);
    expect(problems.join('\n')).not.toContain('fake-openai-key');
    expect(problems.join('\n')).not.toContain('ghp_');
  });

  test('a URL with a password in a ConfigMap layer is an error pointing to the secrets file, without the value', () => {
    const url = parseEnvFile('LOG_LEVEL=info\nDATABASE_URL=postgres://app:fake-url-pw@db/app\n', 'env/defaults.env');
    const problems = guardRailProblems(url, new Set(), 'env/staging.secrets.env', NONE);
    expect(problems).toEqual([
      'env/defaults.env:2: DATABASE_URL: looks like a secret (its value holds a URL with a password, user:password@); move it to env/staging.secrets.env, ' +
      'or list it in guardRailExceptions.notSecret of the project definition if it is not one',
    ]);
    expect(problems.join('\n')).not.toContain('fake-url-pw');
  });

  test('the notSecret allowlist lets a reviewed key through', () => {
    expect(guardRailProblems(config, new Set(), 's', { notSecret: ['OPENAI_API_KEY', 'UPSTREAM'], inBothLayers: [] })).toEqual([]);
  });

  test('a key in both layers is an error unless listed in inBothLayers', () => {
    const plain = parseEnvFile('LOG_LEVEL=info\n', 'env/dev.env');
    expect(guardRailProblems(plain, new Set(['LOG_LEVEL']), 'env/dev.secrets.env', NONE))
      .toEqual([expect.stringMatching(/^env\/dev\.env:1: LOG_LEVEL: is also set in the secrets layer/)]);
    expect(guardRailProblems(plain, new Set(['LOG_LEVEL']), 's', { notSecret: [], inBothLayers: ['LOG_LEVEL'] })).toEqual([]);
  });
});

describe('closestKey and editDistance', () => {
  // Published Levenshtein examples (Wikipedia, "Levenshtein distance").
  test.each([['kitten', 'sitting', 3], ['flaw', 'lawn', 2], ['saturday', 'sunday', 3], ['', 'abc', 3], ['same', 'same', 0]])(
    'editDistance(%s, %s) is %d', (a, b, distance) => {
      expect(editDistance(a as string, b as string)).toBe(distance);
      expect(editDistance(b as string, a as string)).toBe(distance);
    });

  const DEFAULTS = ['LOG_LEVEL', 'API_BASE_URL', 'ENABLE_METRICS', 'MAX_CONNECTIONS', 'REQUEST_TIMEOUT_MS', 'NODE_ENV'];
  test.each([
    ['LOG_LEVL', 'LOG_LEVEL'],
    ['LOG_LEVLE', 'LOG_LEVEL'],
    ['log_level', 'LOG_LEVEL'],
    ['API_BASE_URI', 'API_BASE_URL'],
    ['MAX_CONECTIONS', 'MAX_CONNECTIONS'],
    ['REQUEST_TIMEOUT', 'REQUEST_TIMEOUT_MS'],
  ])('%s is near %s', (key, near) => {
    expect(closestKey(key, DEFAULTS)).toBe(near);
  });

  test.each(['FEATURE_FLAGS', 'PORT', 'DEBUG_SQL'])('%s is near nothing', (key) => {
    expect(closestKey(key, DEFAULTS)).toBeUndefined();
  });
});

describe('clientSideApplyWarnings', () => {
  const configMap = (bytes: number) => ({ kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { BIG: 'x'.repeat(bytes), LOG_LEVEL: 'info' } });
  const value = (key: string, at: string, layer: 'defaults' | 'secrets' = 'defaults'): ResolvedValue => ({ key, value: '', source: { layer, at }, overrides: [] });
  const layers = {
    config: [value('BIG', 'env/dev.env:5'), value('LOG_LEVEL', 'env/defaults.env:3')],
    secrets: [value('CERT_BUNDLE', 'env/dev.secrets.env:7', 'secrets')],
  };

  test('an object over 256 KiB names its largest keys with file:line and sizes', () => {
    const object = configMap(300 * 1024);
    const json = Buffer.byteLength(JSON.stringify(object));
    expect(clientSideApplyWarnings('dev', [object], layers)).toEqual([
      `env/dev.env:5: BIG: the largest value (${300 * 1024} bytes as written) of dev's ConfigMap cfg, which is ${json} bytes as JSON, ` +
      'over the 262144 (256 KiB) that client-side kubectl apply can store; next largest: env/defaults.env:3: LOG_LEVEL (4 bytes); ' +
      'use kubectl apply --server-side, or make these values smaller',
    ]);
  });

  test("a Secret's keys are found in the secrets layer and sized as written (base64); a key of no layer is named by its object", () => {
    const secret = { kind: 'Secret', metadata: { name: 'app' }, data: { CERT_BUNDLE: Buffer.alloc(200 * 1024, 'fake').toString('base64') } };
    const pull = { kind: 'Secret', metadata: { name: 'registry' }, data: { '.dockerconfigjson': 'e'.repeat(300 * 1024) } };
    const warnings = clientSideApplyWarnings('dev', [secret, pull], layers);
    const base64Bytes = 4 * Math.ceil((200 * 1024) / 3);
    expect(warnings[0]).toMatch(new RegExp(`^env/dev\\.secrets\\.env:7: CERT_BUNDLE: the largest value \\(${base64Bytes} bytes as written\\) of dev's Secret app`));
    expect(warnings[1]).toMatch(/^dev: Secret registry: \.dockerconfigjson: the largest value \(307200 bytes as written\)/);
    expect(warnings.join('\n')).not.toContain('ZmFrZ');
  });

  test('counts bytes, not characters', () => {
    expect(clientSideApplyWarnings('dev', [configMap(0), { ...configMap(0), data: { BIG: 'é'.repeat(140 * 1024) } }], layers))
      .toEqual([expect.stringMatching(/^env\/dev\.env:5: BIG: the largest value \(286720 bytes as written\)/)]);
  });

  test('a smaller one gets none', () => {
    expect(clientSideApplyWarnings('dev', [configMap(200 * 1024)], layers)).toEqual([]);
  });
});
