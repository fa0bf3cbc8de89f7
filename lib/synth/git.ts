import { spawnSync } from 'child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join, relative, resolve } from 'path';

/** What git says about files synth is about to write. */
export type GitAnswer =
  /** The folder is in no git work tree: git would commit nothing there. */
  | { readonly kind: 'outside' }
  /** Which of the files git would commit: not ignored, and which of those it already tracks. */
  | { readonly kind: 'answered'; readonly wouldCommit: readonly string[]; readonly tracked: readonly string[] }
  /**
   * The folder is (or may be) in a work tree, and git could not answer: a repository owned by
   * another user ("dubious ownership"), a broken config, no git installed beside a `.git`.
   * `reason` is git's own first line; `workTree` the folder holding `.git`, when one was found.
   */
  | { readonly kind: 'failed'; readonly reason: string; readonly workTree?: string };

/**
 * Asks git which of `names`, files to be written into `folder` (which need not exist yet), it would
 * commit: those its ignore rules do not exclude (`.gitignore`, `.git/info/exclude`, the global
 * excludes file), and those already tracked, which no ignore rule excludes. Git itself answers,
 * so every rule it knows counts.
 *
 * One `git check-ignore` call; a second (`git ls-files`) only when some file would be committed,
 * to say whether it already is. git runs in the folder's nearest existing ancestor, so it is the
 * repository holding the output that answers (CDK8S_OUTDIR may point into another one), with
 * `processEnv` as its environment (plus LC_ALL=C, to read its messages).
 *
 * git reads the paths from a file, not from a pipe: a git that exits before reading a pipe
 * (outside a work tree, a bad config, a repository it does not trust) made the write fail with
 * EPIPE, by chance and more often on a busy machine, before its exit status and message could be
 * read. Only git's whole answer (status and stderr) decides; where git cannot say whether the
 * folder is in a work tree, a `.git` in the folder or an ancestor (or GIT_DIR) means it may be,
 * and the answer is `failed`: the caller fails closed.
 */
export function filesGitWouldCommit(folder: string, names: readonly string[], processEnv: Readonly<Record<string, string | undefined>>): GitAnswer {
  if (names.length === 0) return { kind: 'answered', wouldCommit: [], tracked: [] };
  const cwd = nearestExistingFolder(resolve(folder));
  const paths = names.map((name) => relative(cwd, join(resolve(folder), name)));
  const env = { ...processEnv, LC_ALL: 'C' };
  const git = (args: string[], stdin: 'ignore' | number = 'ignore') =>
    spawnSync('git', args, { cwd, env, encoding: 'utf8', stdio: [stdin, 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const checked = withInputFile(paths.join('\0'), (input) => git(['check-ignore', '-z', '--stdin'], input));
  const notInstalled = (checked.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  // 0: some are ignored, 1: none is; 128 (or no status at all): git could not answer.
  if (notInstalled || checked.error || (checked.status !== 0 && checked.status !== 1)) {
    const reason = notInstalled ? 'git is not installed' : checked.error ? checked.error.message : fatalLine(checked.stderr);
    // Not a repository, or (for a path under a nested repository's folder) not in this one.
    if (!notInstalled && /not a git repository|is outside repository/.test(reason)) return { kind: 'outside' };
    const workTree = gitFolderAbove(cwd);
    if (workTree === undefined && !processEnv.GIT_DIR) return { kind: 'outside' };
    return { kind: 'failed', reason, ...(workTree === undefined ? {} : { workTree }) };
  }
  const ignored = new Set(checked.stdout.split('\0'));
  const wouldCommit = paths.filter((path) => !ignored.has(path));
  if (wouldCommit.length === 0) return { kind: 'answered', wouldCommit: [], tracked: [] };
  const listed = git(['--literal-pathspecs', 'ls-files', '-z', '--', ...wouldCommit]);
  const tracked = new Set(listed.status === 0 ? listed.stdout.split('\0') : []);
  const nameOf = (path: string) => names[paths.indexOf(path)];
  return { kind: 'answered', wouldCommit: wouldCommit.map(nameOf), tracked: wouldCommit.filter((path) => tracked.has(path)).map(nameOf) };
}

/** Runs `use` with a descriptor of a temporary file holding `text` (file names, nothing secret), removed afterwards. */
function withInputFile<T>(text: string, use: (fd: number) => T): T {
  const folder = mkdtempSync(join(tmpdir(), 'synth-git-'));
  try {
    const file = join(folder, 'paths');
    writeFileSync(file, text);
    const fd = openSync(file, 'r');
    try {
      return use(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function nearestExistingFolder(path: string): string {
  let current = path;
  while (!(existsSync(current) && statSync(current).isDirectory()) && dirname(current) !== current) current = dirname(current);
  return current;
}

/** The nearest folder at or above `path` that holds a `.git` (a folder, or a file as in a linked work tree), as git looks for one. */
function gitFolderAbove(path: string): string | undefined {
  for (let current = path; ; current = dirname(current)) {
    if (existsSync(join(current, '.git'))) return current;
    if (dirname(current) === current) return undefined;
  }
}

/** git's first `fatal:` (or `error:`) line, without the prefix: the one that says why it stopped. */
function fatalLine(text: string | null): string {
  const lines = (text ?? '').split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const fatal = lines.find((line) => /^(fatal|error): /.test(line)) ?? lines[0] ?? 'git exited without a message';
  return fatal.replace(/^(fatal|error): /, '');
}
