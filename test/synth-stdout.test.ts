import { project as taskApi } from '../main';
import { spawnSync } from 'child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { newCiphertexts, parseSynthArguments, stdoutEnvironment } from '../lib/synth/stdout';
import { folderState, project } from './cli-support';
import { concatenatedFiles, kindsAndNames, objectsOfFiles, pyYamlDocuments, runSynth } from './gitops-support';
import { fakeSecrets } from './support';
import { throwawayCertificate } from './sealing-certificate';

const EXTERNAL = { TASK_API_SECRET_BACKEND: 'external' };

describe('synth --stdout', () => {
  test.each(['dev', 'staging', 'production'])(
    '%s: prints exactly the files synth writes, in their order, as one stream; writes nothing', (environment) => {
      const written = project();
      expect(runSynth(written, [], { ...EXTERNAL, TASK_API_ENV: environment }).status).toBe(0);
      const files = concatenatedFiles(join(written, 'dist', environment));

      const printed = project();
      const before = folderState(printed);
      const result = runSynth(printed, ['--stdout'], { ...EXTERNAL, TASK_API_ENV: environment });
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(files);
      expect(folderState(printed)).toEqual(before);
      // A second reader sees one object per file, in the files' order.
      const documents = pyYamlDocuments(result.stdout);
      expect(documents).toEqual(objectsOfFiles(join(written, 'dist', environment)));
      expect(kindsAndNames(documents)).toContain(`Namespace/task-api-${environment}`);
      expect(kindsAndNames(documents)).toContain('ExternalSecret/task-api-secrets');
      expect(kindsAndNames(documents)[0]).toBe(`Namespace/task-api-${environment}`);
    });

  test('the summary and warnings go to stderr', () => {
    const root = project();
    appendFileSync(join(root, 'env', 'dev.env'), 'QUOTED="a b"\n');
    const result = runSynth(root, ['--stdout'], EXTERNAL);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('dev: 5 objects written to stdout (external secret backend; image ghcr.io/example-org/task-api:dev from the project definition)');
    expect(result.stderr).toMatch(/^warning: .*dev\.env:\d+.*QUOTED/m);
    expect(result.stdout.startsWith('---\napiVersion: v1\nkind: Namespace\n')).toBe(true);
    expect(result.stdout).not.toContain('warning');
  });

  test('refuses the plain backend, saying where the secrets would end up, unless --allow-plain-secrets', () => {
    const root = project();
    const refused = runSynth(root, ['--stdout']);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('synth failed: dev uses the plain secret backend');
    expect(refused.stderr).toContain('Redis');
    expect(refused.stderr).toContain('TASK_API_SECRET_BACKEND=external');

    const allowed = runSynth(root, ['--stdout', '--allow-plain-secrets']);
    expect(allowed.status).toBe(0);
    expect(kindsAndNames(pyYamlDocuments(allowed.stdout))).toContainEqual(expect.stringMatching(/^Secret\/task-api-secrets-[a-z0-9]{10}$/));
  });

  test('the plain backend is refused before its secrets are asked for', () => {
    const result = runSynth(project(), ['--stdout'], { TASK_API_ENV: 'production' });
    expect(result.stderr).toContain('production uses the plain secret backend');
    expect(result.stderr).not.toContain('missing');
  });

  test.each([['all'], ['dev,staging']])('TASK_API_ENV=%s is an error: it prints one environment', (value) => {
    const result = runSynth(project(), ['--stdout'], { ...EXTERNAL, TASK_API_ENV: value });
    expect(result).toEqual({
      status: 1,
      stdout: '',
      stderr: `synth failed: --stdout prints one environment: set TASK_API_ENV to one of dev, staging, production (it is "${value}")\n`,
    });
  });

  test('a broken input fails with nothing on stdout', () => {
    const root = project();
    appendFileSync(join(root, 'env', 'dev.env'), 'NOT A SETTING\n');
    const result = runSynth(root, ['--stdout'], EXTERNAL);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^synth failed: .*dev\.env:\d+/);
  });

  test('an unknown argument is an error, and writes nothing', () => {
    const root = project();
    const result = runSynth(root, ['--stdot']);
    expect(result).toEqual({ status: 1, stdout: '', stderr: 'synth failed: unknown argument "--stdot": synth takes --stdout [--allow-plain-secrets] (see --help)\n' });
    expect(existsSync(join(root, 'dist'))).toBe(false);
  });
});

describe('synth --stdout with the sealed backend', () => {
  const controller = throwawayCertificate();
  const sealed = { ...fakeSecrets('staging'), TASK_API_ENV: 'staging', TASK_API_SECRET_BACKEND: 'sealed' };
  function sealedProject(): string {
    const root = project();
    writeFileSync(join(root, 'env', 'staging.sealing-cert.pem'), controller.certificatePem);
    return root;
  }

  test('refuses without the previous output, which keeps its ciphertexts stable', () => {
    const result = runSynth(sealedProject(), ['--stdout'], sealed);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('staging uses the sealed secret backend, and dist/staging/ (its previous output) does not exist');
  });

  test('with the previous output (say, committed), prints it again byte for byte', () => {
    const root = sealedProject();
    expect(runSynth(root, [], sealed).status).toBe(0);
    const files = concatenatedFiles(join(root, 'dist', 'staging'));
    const first = runSynth(root, ['--stdout'], sealed);
    expect(first.status).toBe(0);
    expect(first.stdout).toBe(files);
    expect(runSynth(root, ['--stdout'], sealed).stdout).toBe(first.stdout);
  });

  test('refuses when a value would be sealed afresh, naming the key and never a value', () => {
    const root = sealedProject();
    expect(runSynth(root, [], sealed).status).toBe(0);
    const rotated = { ...sealed, OPENAI_API_KEY: 'fake-rotated-openai-api-key' };
    const result = runSynth(root, ['--stdout'], rotated);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    // A rotated value is a new version of the Secret (a new name), every value of it sealed for that name.
    expect(result.stderr).toMatch(/staging: (SealedSecret task-api-secrets-[a-z0-9]{10} [A-Z_]+, )*SealedSecret task-api-secrets-[a-z0-9]{10} OPENAI_API_KEY/);
    expect(result.stderr).toContain('would get a new ciphertext');
    expect(result.stderr).not.toContain('fake-');
  });
});

describe('parsing and checks', () => {
  test('--allow-plain-secrets only goes with --stdout', () => {
    expect(parseSynthArguments([])).toEqual({ stdout: false, allowPlainSecrets: false });
    expect(parseSynthArguments(['--stdout', '--allow-plain-secrets'])).toEqual({ stdout: true, allowPlainSecrets: true });
    expect(() => parseSynthArguments(['--allow-plain-secrets'])).toThrow('--allow-plain-secrets only applies with --stdout');
  });

  test('an unset TASK_API_ENV means the default environment, as for synth', () => {
    expect(stdoutEnvironment(taskApi, undefined)).toBe('dev');
    expect(stdoutEnvironment(taskApi, 'staging')).toBe('staging');
  });

  test('newCiphertexts names the ciphertexts the previous output does not hold', () => {
    const sealedSecret = (name: string, encryptedData: Record<string, string>) =>
      ({ apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name }, spec: { encryptedData } });
    const previous = [sealedSecret('a', { K1: 'c1', K2: 'c2' })];
    expect(newCiphertexts([sealedSecret('a', { K1: 'c1', K2: 'c2' })], previous)).toEqual([]);
    expect(newCiphertexts([sealedSecret('a', { K1: 'c1', K2: 'new', K3: 'c3' }), sealedSecret('b', { K1: 'c1' })], previous))
      .toEqual(['SealedSecret a K2', 'SealedSecret a K3', 'SealedSecret b K1']);
  });
});

describe("cdk8s-cli's own stdout mode", () => {
  test('cdk8s synth --stdout prints every object as a document of its own, and leaves dist/ alone', () => {
    const root = join(__dirname, '..');
    const cdk8s = (args: string[], cwd: string) => spawnSync(join(root, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade', ...args], {
      cwd,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', TASK_API_ENV: 'dev', ...EXTERNAL },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    // cdk8s-cli runs cdk8s.yaml's app in the folder it is started in: a project with the committed env files.
    const app = readFileSync(join(root, 'cdk8s.yaml'), 'utf8').match(/^app: (.*)$/m)![1].replace('scripts/', `${root}/scripts/`);
    const cwd = project();
    writeFileSync(join(cwd, 'cdk8s.yaml'), readFileSync(join(root, 'cdk8s.yaml'), 'utf8').replace(/^app: .*$/m, `app: ${app}`));
    expect(runSynth(cwd, [], EXTERNAL).status).toBe(0);
    const dist = folderState(join(cwd, 'dist'));

    const result = cdk8s(['--stdout'], cwd);
    expect(result.status).toBe(0);
    // cdk8s-cli pipes the files concurrently, in no stable order: compare as sets.
    const byName = (objects: any[]) => [...objects].sort((a, b) => kindsAndNames([a])[0].localeCompare(kindsAndNames([b])[0]));
    expect(byName(pyYamlDocuments(result.stdout))).toEqual(byName(objectsOfFiles(join(cwd, 'dist', 'dev'))));
    expect(folderState(join(cwd, 'dist'))).toEqual(dist);
  });
});
