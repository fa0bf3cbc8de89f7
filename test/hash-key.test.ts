import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { hashKeyProblems } from '../lib/config/hash-key';
import { synthEnvironments } from '../lib/synth/pipeline';
import { folderState, project, runBuilt, writeSecretsFile } from './cli-support';
import { committedEnvDir, fakeSecrets, taskApiProject } from './support';

const LONG_FAKE_KEY = 'fake-hash-key-long-enough-for-32-bytes-7c1d';

/** The message synth fails with for `environments`, from the committed env files plus `secretsFiles`. */
function synthError(environments: string[], secretsFiles: Record<string, Record<string, string>>, processEnv: Record<string, string> = {}): string {
  const envDir = committedEnvDir();
  for (const [environment, secrets] of Object.entries(secretsFiles)) {
    writeFileSync(join(envDir, `${environment}.secrets.env`), Object.entries(secrets).map(([k, v]) => `${k}=${v}\n`).join(''));
  }
  try {
    synthEnvironments(taskApiProject(), environments, { envDir, processEnv });
  } catch (error) {
    return (error as Error).message.replaceAll(envDir, 'env');
  }
  return '';
}

describe('the hash key rules (pure)', () => {
  const use = (value: string, environment = 'staging', at = 'env/staging.secrets.env:9') => ({ environment, value, at });

  test('a key of 32 bytes, its own and committed nowhere, passes', () => {
    expect(hashKeyProblems(use('k'.repeat(32)), [use('fake-dev-hash-key', 'dev')], [use('p'.repeat(32), 'production')], 'TASK_API_HASH_KEY')).toEqual([]);
  });

  test('bytes count, not characters: 16 two-byte characters are enough', () => {
    expect(hashKeyProblems(use('é'.repeat(16)), [], [], 'TASK_API_HASH_KEY')).toEqual([]);
    expect(hashKeyProblems(use('é'.repeat(15) + 'x'), [], [], 'TASK_API_HASH_KEY')).toHaveLength(1);
  });

  test('a short key is refused, naming the variable and how to make one, never the key', () => {
    expect(hashKeyProblems(use('fake-short-key'), [], [], 'TASK_API_HASH_KEY')).toEqual([
      'env/staging.secrets.env:9: TASK_API_HASH_KEY: shorter than 32 bytes: a short key lets anyone who can read the Deployments ' +
      'or the committed output guess secret values offline; make one with `openssl rand -base64 32`']);
  });

  test('a key equal to a committed one is refused, naming where it is committed', () => {
    const committed = use(LONG_FAKE_KEY, 'dev', 'env/dev.secrets.env:8');
    const [problem] = hashKeyProblems(use(LONG_FAKE_KEY), [committed], [], 'TASK_API_HASH_KEY');
    expect(problem).toBe('env/staging.secrets.env:9: TASK_API_HASH_KEY: the same key as env/dev.secrets.env:8, which is committed to ' +
      "the repository: anyone who can read it can guess staging's secret values offline; make one with `openssl rand -base64 32`");
  });

  test('a key equal to another environment\'s is refused; its own entry among the others is no reason', () => {
    const own = use(LONG_FAKE_KEY);
    expect(hashKeyProblems(own, [], [own], 'TASK_API_HASH_KEY')).toEqual([]);
    const [problem] = hashKeyProblems(own, [], [own, use(LONG_FAKE_KEY, 'production', 'env/production.secrets.env:9')], 'TASK_API_HASH_KEY');
    expect(problem).toMatch(/^env\/staging\.secrets\.env:9: TASK_API_HASH_KEY: the same key as production's \(env\/production\.secrets\.env:9\): each environment needs its own/);
  });
});

describe('synth applies them', () => {
  test('staging with a one-character key stops, with one line naming the file, line and variable', () => {
    const message = synthError(['staging'], { staging: { ...fakeSecrets('staging'), TASK_API_HASH_KEY: 'x' } });
    expect(message).toMatch(/^env\/staging\.secrets\.env:5: TASK_API_HASH_KEY: shorter than 32 bytes: .*`openssl rand -base64 32`$/);
  });

  test('a key from the process environment is named by its variable', () => {
    const { TASK_API_HASH_KEY: _, ...fileSecrets } = fakeSecrets('staging');
    const message = synthError(['staging'], { staging: fileSecrets }, { TASK_API_HASH_KEY: 'fake-short' });
    expect(message).toMatch(/^\$TASK_API_HASH_KEY: shorter than 32 bytes/);
  });

  test("dev's committed key is fine for dev and refused for staging", () => {
    const devSecrets = { ...fakeSecrets('dev'), TASK_API_HASH_KEY: LONG_FAKE_KEY };
    expect(synthError(['dev'], { dev: devSecrets })).toBe('');
    const message = synthError(['staging'], { dev: devSecrets, staging: { ...fakeSecrets('staging'), TASK_API_HASH_KEY: LONG_FAKE_KEY } });
    expect(message).toMatch(/^env\/staging\.secrets\.env:5: TASK_API_HASH_KEY: the same key as env\/dev\.secrets\.env:5, which is committed to the repository/);
    // The repository's own dev key, as committed, is short: refused for staging on that ground first.
    const committedKey = readFileSync(join(committedEnvDir(), 'dev.secrets.env'), 'utf8').match(/^TASK_API_HASH_KEY=(.*)$/m)![1];
    expect(synthError(['staging'], { staging: { ...fakeSecrets('staging'), TASK_API_HASH_KEY: committedKey } }))
      .toMatch(/^env\/staging\.secrets\.env:5: TASK_API_HASH_KEY: shorter than 32 bytes/);
  });

  test('staging and production with one key stop, in one run and with the other file merely present', () => {
    const both = {
      staging: { ...fakeSecrets('staging'), TASK_API_HASH_KEY: LONG_FAKE_KEY },
      production: { ...fakeSecrets('production'), TASK_API_HASH_KEY: LONG_FAKE_KEY },
    };
    expect(synthError(['staging', 'production'], both).split('\n')).toEqual([
      expect.stringMatching(/^env\/staging\.secrets\.env:5: TASK_API_HASH_KEY: the same key as production's \(env\/production\.secrets\.env:5\)/),
      expect.stringMatching(/^env\/production\.secrets\.env:5: TASK_API_HASH_KEY: the same key as staging's \(env\/staging\.secrets\.env:5\)/),
    ]);
    expect(synthError(['production'], both)).toMatch(/^env\/production\.secrets\.env:5: TASK_API_HASH_KEY: the same key as staging's/);
  });

  test('npm run synth: one message, exit 1, no key printed, dist/ untouched', () => {
    const root = project();
    writeSecretsFile(root, 'staging');
    expect(runBuilt('main.js', root, { TASK_API_ENV: 'staging' }).status).toBe(0);
    const before = folderState(join(root, 'dist'));
    const weak = 'fake-weak-0e41';
    writeSecretsFile(root, 'staging', { ...fakeSecrets('staging'), TASK_API_HASH_KEY: weak });
    const result = runBuilt('main.js', root, { TASK_API_ENV: 'staging' });
    expect(result.status).toBe(1);
    expect(result.out).toMatch(/^synth failed: env\/staging\.secrets\.env:\d+: TASK_API_HASH_KEY: shorter than 32 bytes: [^\n]*\n$/);
    expect(result.out).not.toContain(weak);
    expect(folderState(join(root, 'dist'))).toEqual(before);
  });
});
