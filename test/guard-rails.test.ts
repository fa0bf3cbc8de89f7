import { parseEnvFile } from '../lib/config/env-file';
import { clientSideApplyWarnings, guardRailProblems, secretLooking } from '../lib/config/guard-rails';

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
});

describe('guardRailProblems', () => {
  const config = parseEnvFile('LOG_LEVEL=info\nOPENAI_API_KEY=fake-openai-key\nUPSTREAM=ghp_' + 'a'.repeat(36) + '\n', 'env/dev.env');

  test('a secret-looking key or value in a ConfigMap layer says to move it, naming file, line and key but not the value', () => {
    const problems = guardRailProblems(config, new Set(), 'env/dev.secrets.env', NONE);
    expect(problems).toEqual([
      expect.stringMatching(/^env\/dev\.env:2: OPENAI_API_KEY looks like a secret \(its name contains "api_key"\): move it to env\/dev\.secrets\.env/),
      expect.stringMatching(/^env\/dev\.env:3: UPSTREAM looks like a secret \(its value looks like a GitHub token\): move it to env\/dev\.secrets\.env/),
    ]);
    expect(problems.join('\n')).not.toContain('fake-openai-key');
    expect(problems.join('\n')).not.toContain('ghp_');
  });

  test('the notSecret allowlist lets a reviewed key through', () => {
    expect(guardRailProblems(config, new Set(), 's', { notSecret: ['OPENAI_API_KEY', 'UPSTREAM'], inBothLayers: [] })).toEqual([]);
  });

  test('a key in both layers is an error unless listed in inBothLayers', () => {
    const plain = parseEnvFile('LOG_LEVEL=info\n', 'env/dev.env');
    expect(guardRailProblems(plain, new Set(['LOG_LEVEL']), 'env/dev.secrets.env', NONE))
      .toEqual([expect.stringMatching(/^env\/dev\.env:1: LOG_LEVEL is also set in the secrets layer/)]);
    expect(guardRailProblems(plain, new Set(['LOG_LEVEL']), 's', { notSecret: [], inBothLayers: ['LOG_LEVEL'] })).toEqual([]);
  });
});

describe('clientSideApplyWarnings', () => {
  const configMap = (bytes: number) => ({ kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { BIG: 'x'.repeat(bytes) } });
  test('an object over 256 KiB gets a warning about client-side apply', () => {
    expect(clientSideApplyWarnings('dev', [configMap(300 * 1024)]))
      .toEqual(['dev: ConfigMap cfg is over 256 KiB: client-side kubectl apply will fail on it; use kubectl apply --server-side']);
  });
  test('a smaller one does not', () => {
    expect(clientSideApplyWarnings('dev', [configMap(200 * 1024)])).toEqual([]);
  });
});
