import { spawnSync } from 'child_process';
import { copyFileSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { project, runBuilt } from '../cli-support';
import { fakeSecrets } from '../support';

/**
 * The control plane jest's globalSetup started (test/cluster/global-setup.cjs) and the kubectl
 * built with it: the same version as the API server (v1.34), not the kubectl on PATH (1.32).
 */
export function cluster() {
  const kubeconfig = process.env.TASK_API_TEST_KUBECONFIG;
  const kubectl = process.env.TASK_API_TEST_KUBECTL;
  const sealingCert = process.env.TASK_API_TEST_SEALING_CERT;
  if (!kubeconfig || !kubectl || !sealingCert) throw new Error('no test cluster: run the cluster tests through jest (its globalSetup starts one)');
  return { kubeconfig, kubectl, sealingCert };
}

export interface KubectlResult { readonly status: number | null; readonly stdout: string; readonly stderr: string }

/** Runs the built kubectl against the test cluster; never throws. */
export function kubectl(args: readonly string[], input?: string): KubectlResult {
  const { kubeconfig, kubectl: binary } = cluster();
  const result = spawnSync(binary, args, { input, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/tmp', KUBECONFIG: kubeconfig } });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs kubectl and throws with its stderr unless it exits 0. */
export function kubectlOk(args: readonly string[], input?: string): string {
  const result = kubectl(args, input);
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

export function getJson(args: readonly string[]): any {
  return JSON.parse(kubectlOk(['get', ...args, '-o', 'json']));
}

/**
 * Polls `check` until it returns a value other than undefined; throws after `timeoutMs` with
 * `describe()` of the last state. Conditions on the cluster are awaited, never slept for.
 */
export async function eventually<T>(what: string, check: () => T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export type Backend = 'plain' | 'sealed' | 'external';

/**
 * `npm run synth` (build/main.js) of one environment and backend in a throwaway project with the
 * committed env files; sealed reads the test controller's certificate. Returns dist/<environment>/.
 */
export function synthProject(environment: string, backend: Backend): string {
  const root = project();
  if (backend === 'sealed') copyFileSync(cluster().sealingCert, join(root, 'env', `${environment}.sealing-cert.pem`));
  const secrets = environment === 'dev' || backend === 'external' ? {} : fakeSecrets(environment);
  const result = runBuilt('main.js', root, { TASK_API_ENV: environment, TASK_API_SECRET_BACKEND: backend, ...secrets });
  if (result.status !== 0) throw new Error(`synth ${environment} ${backend} failed: ${result.out}`);
  return join(root, 'dist', environment);
}

/** Every object in a dist/<environment>/ folder. */
export function objectsIn(dir: string): any[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON()).filter((o) => o));
}
