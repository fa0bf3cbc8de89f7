import { spawnSync } from 'child_process';
import { existsSync, statSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';

/** What git says about files synth is about to write. */
export type GitAnswer =
  /** No git, or the folder is not in a work tree: git would commit nothing there. */
  | { readonly kind: 'outside' }
  /** Which of the files git would commit: not ignored, and which of those it already tracks. */
  | { readonly kind: 'answered'; readonly wouldCommit: readonly string[]; readonly tracked: readonly string[] }
  /** git is there but could not answer (say, a repository owned by another user). */
  | { readonly kind: 'failed'; readonly reason: string };

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
 */
export function filesGitWouldCommit(folder: string, names: readonly string[], processEnv: Readonly<Record<string, string | undefined>>): GitAnswer {
  if (names.length === 0) return { kind: 'answered', wouldCommit: [], tracked: [] };
  const cwd = nearestExistingFolder(resolve(folder));
  const paths = names.map((name) => relative(cwd, join(resolve(folder), name)));
  const env = { ...processEnv, LC_ALL: 'C' };
  const git = (args: string[]) => spawnSync('git', args, { cwd, env, input: paths.join('\0'), encoding: 'utf8' });
  const checked = git(['check-ignore', '-z', '--stdin']);
  if ((checked.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return { kind: 'outside' };
  if (checked.error) return { kind: 'failed', reason: checked.error.message };
  // 0: some are ignored, 1: none is; 128: git could not answer.
  if (checked.status !== 0 && checked.status !== 1) {
    const reason = firstLine(checked.stderr);
    // Not a repository, or (for a path under a nested repository's folder) not in this one.
    if (/not a git repository|is outside repository/.test(reason)) return { kind: 'outside' };
    return { kind: 'failed', reason };
  }
  const ignored = new Set(checked.stdout.split('\0'));
  const wouldCommit = paths.filter((path) => !ignored.has(path));
  if (wouldCommit.length === 0) return { kind: 'answered', wouldCommit: [], tracked: [] };
  const listed = spawnSync('git', ['--literal-pathspecs', 'ls-files', '-z', '--', ...wouldCommit], { cwd, env, encoding: 'utf8' });
  const tracked = new Set(listed.status === 0 ? listed.stdout.split('\0') : []);
  const nameOf = (path: string) => names[paths.indexOf(path)];
  return { kind: 'answered', wouldCommit: wouldCommit.map(nameOf), tracked: wouldCommit.filter((path) => tracked.has(path)).map(nameOf) };
}

function nearestExistingFolder(path: string): string {
  let current = path;
  while (!(existsSync(current) && statSync(current).isDirectory()) && dirname(current) !== current) current = dirname(current);
  return current;
}

function firstLine(text: string | null): string {
  return (text ?? '').trim().split('\n')[0].replace(/^fatal: /, '');
}
