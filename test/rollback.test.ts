import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { manifestFiles } from '../lib/synth/output';
import { OutputFile, readOutputFiles, retainVersions } from '../lib/synth/retention';
import { SimulatedCluster } from './rollback-simulator';

const NAMESPACE = 'task-api-test';

function deployment(config: string, secret: string, limit: number, image = 'task-api:1'): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'task-api', namespace: NAMESPACE },
    spec: {
      revisionHistoryLimit: limit,
      template: {
        metadata: { annotations: { 'checksum/config': config } },
        spec: { containers: [{ name: 'task-api', image, envFrom: [{ configMapRef: { name: config } }, { secretRef: { name: secret } }] }] },
      },
    },
  };
}

function configMap(name: string, data: Record<string, string>, immutable = true): any {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NAMESPACE }, ...(immutable ? { immutable } : {}), data };
}

function secret(name: string, data: Record<string, string>, immutable = true): any {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NAMESPACE }, ...(immutable ? { immutable } : {}), type: 'Opaque', data: encoded };
}

describe('the simulated Deployment controller', () => {
  test('numbers revisions from 1 and keeps revisionHistoryLimit old ReplicaSets besides the current one', () => {
    const cluster = new SimulatedCluster();
    for (const image of ['a', 'b', 'c', 'd']) cluster.apply([deployment('c', 's', 2, image)], { prune: false });
    expect(cluster.history(NAMESPACE, 'task-api').map((rs) => [rs.revision, rs.template.spec.containers[0].image])).toEqual([[2, 'b'], [3, 'c'], [4, 'd']]);
  });

  test('an undo brings back the previous template under the next revision number', () => {
    const cluster = new SimulatedCluster();
    for (const image of ['a', 'b', 'c']) cluster.apply([deployment('c', 's', 5, image)], { prune: false });
    cluster.rolloutUndo(NAMESPACE, 'task-api');
    expect(cluster.history(NAMESPACE, 'task-api').map((rs) => [rs.revision, rs.template.spec.containers[0].image])).toEqual([[1, 'a'], [3, 'c'], [4, 'b']]);
    cluster.rolloutUndo(NAMESPACE, 'task-api', 1);
    expect(cluster.history(NAMESPACE, 'task-api').map((rs) => rs.revision)).toEqual([3, 4, 5]);
  });

  test('an immutable ConfigMap refuses new data under the same name', () => {
    const cluster = new SimulatedCluster();
    cluster.apply([configMap('c', { A: '1' })], { prune: false });
    expect(() => cluster.apply([configMap('c', { A: '2' })], { prune: false })).toThrow(/field is immutable/);
  });

  test('with fixed, mutable names a rollback keeps the new config (the problem versioning solves)', () => {
    const cluster = new SimulatedCluster();
    cluster.apply([configMap('task-api-config', { LOG_LEVEL: 'info' }, false), secret('task-api-secrets', { P: 'fake-1' }, false), deployment('task-api-config', 'task-api-secrets', 5)], { prune: true });
    const first = cluster.history(NAMESPACE, 'task-api')[0];
    const changed = deployment('task-api-config', 'task-api-secrets', 5);
    changed.spec.template.metadata.annotations['checksum/config'] = 'new';
    cluster.apply([configMap('task-api-config', { LOG_LEVEL: 'trace' }, false), secret('task-api-secrets', { P: 'fake-1' }, false), changed], { prune: true });
    cluster.rolloutUndo(NAMESPACE, 'task-api', first.revision);
    expect(cluster.envSources(NAMESPACE, cluster.get('Deployment', NAMESPACE, 'task-api').spec.template)[0]).toEqual(
      { kind: 'ConfigMap', name: 'task-api-config', data: { LOG_LEVEL: 'trace' } });
  });
});

describe('rolling back with retained versions (hand-made releases through retainVersions)', () => {
  test('every revision the Deployment keeps finds its config; older versions are pruned', () => {
    const limit = 2;
    const cluster = new SimulatedCluster();
    let previous: OutputFile[] = [];
    const ranWith = new Map<string, Record<string, Record<string, string>>>();
    for (let i = 1; i <= 6; i++) {
      const config = { VERSION: String(i) };
      const secrets = { PASSWORD: `fake-password-${i % 4}` };
      const names = [`task-api-config-v${i}`, `task-api-secrets-v${i % 4}`];
      const fresh = [configMap(names[0], config), secret(names[1], secrets), deployment(names[0], names[1], limit)];
      const retention = retainVersions(previous, fresh, { carryPlainSecrets: true });
      const dir = mkdtempSync(join(tmpdir(), 'task-api-release-'));
      for (const file of [...manifestFiles(retention.objects), ...retention.carried]) writeFileSync(join(dir, file.name), file.content, { mode: file.mode });
      previous = readOutputFiles(dir);
      ranWith.set(names[0], { [names[0]]: config, [names[1]]: secrets });
      cluster.apply(previous.flatMap((file) => file.objects), { prune: true });
    }
    const kept = cluster.history(NAMESPACE, 'task-api');
    expect(kept).toHaveLength(limit + 1);
    for (const rs of kept) {
      const sources = cluster.envSources(NAMESPACE, rs.template);
      const expected = ranWith.get(rs.template.spec.containers[0].envFrom[0].configMapRef.name)!;
      expect(sources).toEqual(Object.entries(expected).map(([name, data]) => ({ kind: name.includes('config') ? 'ConfigMap' : 'Secret', name, data })));
    }
    expect(cluster.get('ConfigMap', NAMESPACE, 'task-api-config-v3')).toBeUndefined();
    // Undo to the oldest kept revision: its pods start with exactly the config they had.
    cluster.rolloutUndo(NAMESPACE, 'task-api', kept[0].revision);
    const restored = cluster.get('Deployment', NAMESPACE, 'task-api').spec.template;
    expect(cluster.envSources(NAMESPACE, restored).map((source) => 'data' in source ? source.data : 'missing'))
      .toEqual([{ VERSION: '4' }, { PASSWORD: 'fake-password-0' }]);
  });
});
