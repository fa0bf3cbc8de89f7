import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';

const CLUSTER = join(__dirname, '..', 'scripts', 'cluster.cjs');

/** `npm run cluster -- <args>` with only Node on PATH: no Go. */
function clusterWithoutGo(args: string[], env: Record<string, string> = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), 'task-api-cluster-'));
  const result = spawnSync(process.execPath, [CLUSTER, ...args], {
    encoding: 'utf8', env: { PATH: dirname(process.execPath), HOME: tmpdir(), TASK_API_CLUSTER_DIR: stateDir, ...env },
  });
  rmSync(stateDir, { recursive: true, force: true });
  for (const dir of Object.values(env)) rmSync(dir, { recursive: true, force: true });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run cluster', () => {
  test('without Go and without KUBEBUILDER_ASSETS, up fails with one line saying what to install', () => {
    const result = clusterWithoutGo(['up']);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/no Go toolchain on PATH and KUBEBUILDER_ASSETS is unset: install Go 1\.24 or newer/)]);
  });

  test('with a KUBEBUILDER_ASSETS folder that lacks binaries and no Go, the one line names what is missing', () => {
    const result = clusterWithoutGo(['build'], { KUBEBUILDER_ASSETS: mkdtempSync(join(tmpdir(), 'assets-')) });
    expect(result.status).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/lacks kube-apiserver, kube-controller-manager, kubectl, etcd, sealed-secrets-controller, reloader and there is no Go toolchain/)]);
  });

  test('status without a cluster says so and exits 1; down without one stops nothing and exits 0', () => {
    expect(clusterWithoutGo(['status'])).toMatchObject({ status: 1, stdout: '', stderr: expect.stringMatching(/^no cluster/) });
    expect(clusterWithoutGo(['down'])).toMatchObject({ status: 0, stdout: '' });
  });
});
