import { spawnSync } from 'child_process';
import { writeSecretsFile } from './cli-support';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { filesGitWouldCommit } from '../lib/synth/git';
import { manifestFiles, writeEnvironment } from '../lib/synth/output';
import { synthEnvironments } from '../lib/synth/pipeline';
import { folderState, project, runBuilt } from './cli-support';
import { committedEnvDir, fakeSecrets, findVersion, taskApiProject } from './support';
import { throwawayCertificate } from './sealing-certificate';

/** Runs git in `cwd`, failing the test if git fails. */
function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function chownRecursive(path: string, uid: number): void {
  chownSync(path, uid, uid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) chownRecursive(join(path, entry.name), uid);
    else chownSync(join(path, entry.name), uid, uid);
  }
}

/** A fresh git work tree holding the committed env files under env/ and `gitignore` as .gitignore. */
function repository(gitignore = 'dist/*\n'): string {
  const root = project();
  git(root, 'init', '--quiet');
  writeFileSync(join(root, '.gitignore'), gitignore);
  return root;
}

/** The file dev's versioned `kind` (ConfigMap or Secret) is written to, from the committed env files. */
function devFile(kind: 'ConfigMap' | 'Secret'): string {
  const [dev] = synthEnvironments(taskApiProject(), ['dev'], { envDir: committedEnvDir(), processEnv: {} });
  const name = findVersion(dev.objects, kind, kind === 'ConfigMap' ? 'task-api-config' : 'task-api-secrets').metadata.name;
  return `${kind === 'ConfigMap' ? 1 : 2}-${kind.toLowerCase()}-${name}.yaml`;
}

/** Synthesizes `environment` as `npm run synth` would in `root`, into `<root>/dist` unless told otherwise. */
function synth(root: string, environment: string, processEnv: Record<string, string> = {}, outdir = join(root, 'dist')) {
  return synthEnvironments(taskApiProject(), [environment], { envDir: join(root, 'env'), processEnv, outdir })[0];
}

describe('asking git which files it would commit', () => {
  test('an ignored folder: none', () => {
    const root = repository();
    expect(filesGitWouldCommit(join(root, 'dist', 'dev'), ['2-secret-a.yaml'], {}))
      .toEqual({ kind: 'answered', wouldCommit: [], tracked: [] });
  });

  test('a folder un-ignored by a ! line: every file, none tracked yet', () => {
    const root = repository('dist/*\n!dist/dev/\n');
    expect(filesGitWouldCommit(join(root, 'dist', 'dev'), ['2-secret-a.yaml', '2-secret-b.yaml'], {}))
      .toEqual({ kind: 'answered', wouldCommit: ['2-secret-a.yaml', '2-secret-b.yaml'], tracked: [] });
  });

  test('a tracked file in an ignored folder: that file, as tracked', () => {
    const root = repository();
    mkdirSync(join(root, 'dist', 'dev'), { recursive: true });
    writeFileSync(join(root, 'dist', 'dev', '2-secret-a.yaml'), 'kind: Secret\n');
    git(root, 'add', '--force', 'dist/dev/2-secret-a.yaml');
    expect(filesGitWouldCommit(join(root, 'dist', 'dev'), ['2-secret-a.yaml', '2-secret-b.yaml'], {}))
      .toEqual({ kind: 'answered', wouldCommit: ['2-secret-a.yaml'], tracked: ['2-secret-a.yaml'] });
  });

  test('outside a work tree: nothing to check, however many files and however busy the machine', () => {
    // About 1 MB of names: written down a pipe to a git that exits without reading it, they failed
    // with EPIPE every time, where a short one failed only by chance.
    const folder = join(mkdtempSync(join(tmpdir(), 'task-api-nogit-')), 'dist', 'dev');
    const names = Array.from({ length: 30000 }, (_, index) => `2-secret-task-api-secrets-${String(index).padStart(10, '0')}.yaml`);
    for (let run = 0; run < 3; run++) expect(filesGitWouldCommit(folder, names, {})).toEqual({ kind: 'outside' });
  });

  test('outside a work tree: nothing to check', () => {
    expect(filesGitWouldCommit(join(mkdtempSync(join(tmpdir(), 'task-api-nogit-')), 'dist', 'dev'), ['2-secret-a.yaml'], {}))
      .toEqual({ kind: 'outside' });
  });

  test('git that cannot answer is said to have failed, with its reason', () => {
    const root = repository();
    const badConfig = join(root, 'bad.gitconfig');
    writeFileSync(badConfig, '[core\n');
    const answer = filesGitWouldCommit(join(root, 'dist', 'dev'), ['2-secret-a.yaml'], { GIT_CONFIG_GLOBAL: badConfig });
    expect(answer).toEqual({ kind: 'failed', reason: expect.stringContaining('bad config line 1'), workTree: root });
  });
});

describe('plain Secrets where git would commit them', () => {
  test('an ignored dist/ is fine', () => {
    const root = repository();
    expect(() => synth(root, 'dev')).not.toThrow();
  });

  test('a folder un-ignored in .gitignore is refused, naming the folder, the files and what to do', () => {
    const root = repository('dist/*\n!dist/dev/\n');
    const folder = join(root, 'dist', 'dev');
    expect(() => synth(root, 'dev')).toThrow(
      `dev: git would commit the plain Secrets synth writes to ${folder}/ (${devFile('Secret')}), as no ignore rule excludes ` +
      `them. Have git ignore ${folder}/ (the project's .gitignore has dist/*; a line like !dist/dev/ un-ignores it), or use the sealed ` +
      'or external secret backend for dev');
  });

  test('with several environments in one run, only the un-ignored one is refused', () => {
    const root = repository('dist/*\n!dist/staging/\n');
    writeSecretsFile(root, 'staging');
    writeSecretsFile(root, 'production');
    let message = '';
    try {
      synthEnvironments(taskApiProject(), ['dev', 'staging', 'production'], { envDir: join(root, 'env'), processEnv: {}, outdir: join(root, 'dist') });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^staging: git would commit the plain Secrets synth writes to .*dist\/staging\/ \(2-secret-task-api-secrets-[a-z0-9]{10}\.yaml, 2-secret-task-api-registry\.yaml\)/);
    expect(message).not.toMatch(/^(dev|production): /m);
  });

  test('a folder no ignore rule covers is refused too', () => {
    const root = repository('node_modules/\n');
    expect(() => synth(root, 'dev')).toThrow(/^dev: git would commit the plain Secrets synth writes to /);
  });

  test('a Secret file git already tracks is refused, though .gitignore ignores the folder', () => {
    const root = repository();
    writeEnvironment(join(root, 'dist'), 'dev', manifestFiles(synth(root, 'dev').objects));
    git(root, 'add', '--force', `dist/dev/${devFile('Secret')}`);
    const folder = join(root, 'dist', 'dev');
    expect(() => synth(root, 'dev')).toThrow(
      `dev: git already tracks ${folder}/${devFile('Secret')}, where synth would write plain secret values. ` +
      `Untrack it (git rm --cached; rotate any value already committed) and keep ${folder}/ ignored, or use the sealed or external secret backend for dev`);
  });

  test('other tracked files of the folder are no reason to refuse', () => {
    const root = repository();
    writeEnvironment(join(root, 'dist'), 'dev', manifestFiles(synth(root, 'dev').objects));
    git(root, 'add', '--force', `dist/dev/${devFile('ConfigMap')}`);
    expect(() => synth(root, 'dev')).not.toThrow();
  });

  test('outside a git work tree there is nothing to check', () => {
    const root = project();
    writeFileSync(join(root, '.gitignore'), 'dist/*\n!dist/dev/\n');
    expect(() => synth(root, 'dev')).not.toThrow();
  });

  test('an output folder in another work tree is checked against that one', () => {
    const root = project();
    const gitops = repository('');
    expect(() => synth(root, 'dev', {}, join(gitops, 'manifests'))).toThrow(/^dev: git would commit the plain Secrets/);
  });

  test('the sealed and external backends write no plain Secret: an un-ignored folder is fine', () => {
    const root = repository('dist/*\n!dist/staging/\n');
    expect(synth(root, 'staging', { TASK_API_SECRET_BACKEND: 'external' }).objects.map((o) => o.kind)).not.toContain('Secret');
    writeFileSync(join(root, 'env', 'staging.sealing-cert.pem'), throwawayCertificate().certificatePem);
    expect(synth(root, 'staging', { ...fakeSecrets('staging'), TASK_API_SECRET_BACKEND: 'sealed' }).objects.map((o) => o.kind)).toContain('SealedSecret');
  });

  test('git that cannot answer inside a work tree stops synth, saying what git said and what to do', () => {
    const root = repository();
    const badConfig = join(root, 'bad.gitconfig');
    writeFileSync(badConfig, '[core\n');
    const folder = join(root, 'dist', 'dev');
    expect(() => synth(root, 'dev', { GIT_CONFIG_GLOBAL: badConfig })).toThrow(new RegExp(
      `^dev: git could not say whether it would commit the plain Secrets synth writes to ${escape(folder)}/ \\(git: bad config line 1 in file ` +
      `${escape(badConfig)}\\)\\. To synthesize, mend what git names, or run synth outside the git work tree, or use the sealed or external secret backend for dev$`));
  });

  test('a bad global config outside any work tree is no reason to refuse', () => {
    const root = project();
    const badConfig = join(root, 'bad.gitconfig');
    writeFileSync(badConfig, '[core\n');
    const { warnings } = synth(root, 'dev', { GIT_CONFIG_GLOBAL: badConfig });
    expect(warnings.filter((warning) => /git/.test(warning))).toEqual([]);
  });

  // git refuses a repository another user owns unless told to trust it; only root can make one here.
  (process.getuid?.() === 0 ? test : test.skip)('a repository git does not trust stops synth, with the safe.directory line to fix it', () => {
    const root = repository();
    chownRecursive(root, 65534);
    expect(() => synth(root, 'dev', { HOME: root })).toThrow(
      `(git: detected dubious ownership in repository at '${root}'). To synthesize, trust the repository ` +
      `(git config --global --add safe.directory ${root}), or run synth outside the git work tree`);
  });

  test('npm run synth refuses with one message and leaves dist/ as it was', () => {
    const root = repository();
    expect(runBuilt('main.js', root).status).toBe(0);
    const before = folderState(join(root, 'dist'));
    writeFileSync(join(root, '.gitignore'), 'dist/*\n!dist/dev/\n');
    const result = runBuilt('main.js', root);
    expect(result.status).toBe(1);
    expect(result.out).toBe(
      `synth failed: dev: git would commit the plain Secrets synth writes to dist/dev/ (${devFile('Secret')}), as no ignore rule ` +
      "excludes them. Have git ignore dist/dev/ (the project's .gitignore has dist/*; a line like !dist/dev/ un-ignores it), or use the sealed " +
      'or external secret backend for dev\n');
    expect(folderState(join(root, 'dist'))).toEqual(before);
  });
});
