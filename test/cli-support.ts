import { spawnSync } from 'child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { committedEnvDir, fakeSecrets } from './support';

export const BUILD_DIR = join(__dirname, '..', 'build');

/** A throwaway project folder: env/ with the committed env files only, no dist/. */
export function project(): string {
  const dir = committedEnvDir();
  const root = join(dir, 'project');
  mkdirSync(join(root, 'env'), { recursive: true });
  for (const name of readdirSync(dir)) if (name !== 'project') writeFileSync(join(root, 'env', name), readFileSync(join(dir, name)));
  return root;
}

/** Writes env/<environment>.secrets.env with `secrets` (default: the fake ones). */
export function writeSecretsFile(root: string, environment: string, secrets: Record<string, string> = fakeSecrets(environment)): void {
  const lines = Object.entries(secrets).map(([k, v]) => `${k}=${v}`);
  writeFileSync(join(root, 'env', `${environment}.secrets.env`), lines.join('\n') + '\n');
}

/**
 * Runs the compiled program in `cwd`, as npm would: `main.js` is synth (`node build/main.js`),
 * `plan` and `explain` are `node build/main.js plan|explain`.
 */
export function runBuilt(program: 'main.js' | 'plan' | 'explain', cwd: string, env: Record<string, string> = {}, args: readonly string[] = []) {
  const command = program === 'main.js' ? [] : [program];
  const result = spawnSync(process.execPath, [join(BUILD_DIR, 'main.js'), ...command, ...args], { cwd, env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, out: result.stdout + result.stderr };
}

/** Every file under `folder` with its content and modification time, to prove nothing was touched. */
export function folderState(folder: string): Record<string, string> {
  const state: Record<string, string> = {};
  for (const name of readdirSync(folder, { recursive: true }) as string[]) {
    const path = join(folder, name);
    const stat = statSync(path);
    state[name] = stat.isDirectory() ? `dir ${stat.mtimeMs}` : `${stat.mtimeMs} ${stat.mode} ${readFileSync(path, 'base64')}`;
  }
  return state;
}
