import { spawnSync } from 'child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';

export const ROOT = join(__dirname, '..');

export const MAIN_JS = join(__dirname, '..', 'build', 'main.js');

/**
 * The documents of a YAML stream as PyYAML reads them (YAML 1.1, as the Python client, Ansible
 * and many linters do): a second reader, independent of the `yaml` package that wrote the text.
 * Throws with PyYAML's message when the text is not a valid stream.
 */
export function pyYamlDocuments(text: string): any[] {
  const script = 'import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(sys.stdin)), default=str))';
  const result = spawnSync('python3', ['-c', script], { input: text, encoding: 'utf8' });
  if (result.error) throw new Error(`python3 with PyYAML is needed for this test: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`PyYAML cannot read the stream: ${result.stderr.trim().split('\n').pop()}`);
  return JSON.parse(result.stdout);
}

/** The files of a folder in name order (the order `kubectl apply -f DIR` applies them), concatenated. */
export function concatenatedFiles(folder: string): string {
  return readdirSync(folder).filter((name) => name.endsWith('.yaml')).sort().map((name) => readFileSync(join(folder, name), 'utf8')).join('');
}

/** The objects of a folder's files in name order, each file read on its own by PyYAML. */
export function objectsOfFiles(folder: string): any[] {
  return readdirSync(folder).filter((name) => name.endsWith('.yaml')).sort().flatMap((name) => pyYamlDocuments(readFileSync(join(folder, name), 'utf8')));
}

/** `Kind/name` of each object, in order. */
export function kindsAndNames(objects: readonly any[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata?.name}`);
}

/** Runs the built synth program with `args` in `cwd`, stdin closed, as Argo CD's plugin server would. */
export function runSynth(cwd: string, args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [MAIN_JS, ...args], {
    cwd,
    env: { PATH: process.env.PATH!, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The repository as a fresh clone (or Argo CD's repo server) has it: the files git tracks or would
 * track, so ignored ones (real secrets files, dist/, build/, node_modules/) stay out, with this
 * working tree's uncommitted edits. In a new temporary folder.
 */
export function cleanCopy(): string {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  const copy = join(mkdtempSync(join(tmpdir(), 'task-api-copy-')), 'source');
  for (const file of listed.stdout.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)))) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(copy, file));
  }
  return copy;
}
