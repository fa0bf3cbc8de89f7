import { spawnSync } from 'child_process';
import { join } from 'path';
import { RELOADER_SECRETS_ANNOTATION } from '../../lib/secrets/external';
import { eventually, getJson, kubectl, kubectlOk, objectsIn, synthProject } from './support';

const CLUSTER = join(__dirname, '..', '..', 'scripts', 'cluster.cjs');

function clusterCommand(args: string[]) {
  const result = spawnSync(process.execPath, [CLUSTER, ...args], { encoding: 'utf8', env: { ...process.env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** dev's output with the external backend, moved to namespace `name` (apply.test.ts owns task-api-dev). */
function devExternalIn(name: string): any[] {
  return objectsIn(synthProject('dev', 'external')).map((o) => o.kind === 'Namespace'
    ? { ...o, metadata: { ...o.metadata, name } }
    : { ...o, metadata: { ...o.metadata, namespace: name } });
}

describe('the add-ons', () => {
  test('Reloader rolls the Task API Deployment when the Secret its ExternalSecret writes changes', async () => {
    const namespace = 'reloader-test';
    const objects = devExternalIn(namespace);
    const items = (kinds: (kind: string) => boolean) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects.filter((o) => kinds(o.kind)) });
    kubectlOk(['apply', '--server-side', '-f', '-'], items((k) => k === 'Namespace'));
    kubectlOk(['apply', '--server-side', '-f', '-'], items((k) => k !== 'Namespace'));
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'task-api');
    const secretName = deployment.metadata.annotations[RELOADER_SECRETS_ANNOTATION];
    expect(objects.find((o) => o.kind === 'ExternalSecret' && o.spec.target?.name === secretName)).toBeDefined();

    // No External Secrets controller runs: write the Secret it would write, then keep changing it
    // until Reloader has seen a change (it reacts to updates, not to the first sight of a Secret).
    let version = 0;
    const rolled = await eventually('Reloader to change the pod template of Deployment task-api', () => {
      version += 1;
      const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace }, stringData: { DATABASE_PASSWORD: `fake-reloader-${version}` } };
      kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], JSON.stringify(secret));
      const live = getJson(['deployment', 'task-api', '-n', namespace]);
      const env = live.spec.template.spec.containers.flatMap((c: any) => c.env ?? []);
      return env.find((e: any) => e.name.startsWith('STAKATER_') && e.name.endsWith('_SECRET'));
    });
    expect(rolled.name).toBe(`STAKATER_${secretName.toUpperCase().replace(/-/g, '_')}_SECRET`);
  });

  test('status reports every component alive, and a second up is refused while this one runs', () => {
    const status = clusterCommand(['status']);
    expect(status.status).toBe(0);
    for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'sealed-secrets-controller', 'reloader', 'watchdog']) {
      expect(status.stderr).toMatch(new RegExp(`^${name} +pid \\d+ +alive`, 'm'));
    }
    const second = clusterCommand(['up']);
    expect(second).toMatchObject({ status: 1, stdout: '', stderr: expect.stringContaining('a cluster is already running') });
    expect(kubectl(['get', '--raw', '/readyz']).stdout).toBe('ok');
  });
});
