import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { valuesOf } from '../lib/config/layers';
import { planEnvironment } from '../lib/review/plan';
import { manifestFiles, writeEnvironment } from '../lib/synth/output';
import { TaskApiApp } from '../lib/constructs/task-api-app';
import { EnvironmentBuilder, synthEnvironments, taskApiProps } from '../lib/synth/pipeline';
import { OutputFile, readOutputFiles, retainVersions } from '../lib/synth/retention';
import { SimulatedCluster } from './rollback-simulator';
import { testController, unseal } from './sealing-controller';
import { committedEnvDir, fakeSecrets, findObject } from './support';

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

describe('rolling back real releases: synth, apply with ApplySet pruning, undo', () => {
  const controller = testController();

  /** The Secret the sealed-secrets controller writes from a SealedSecret (test/sealing-controller.ts unseals). */
  function unsealSecret(sealed: any): any {
    const { name, namespace } = sealed.spec.template.metadata;
    const data = Object.fromEntries(Object.entries<string>(sealed.spec.encryptedData)
      .map(([key, value]) => [key, Buffer.from(unseal(controller, value, `${namespace}/${name}`), 'utf8').toString('base64')]));
    return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, immutable: sealed.spec.template.immutable, type: sealed.spec.template.type, data };
  }

  /**
   * Synthesizes `releases` one after the other into one dist/ (as `npm run synth` writes it),
   * applying each to the simulated cluster. Returns the cluster, what each pod template ran
   * with (its ConfigMap and Secret data, as the env files gave them) and the plans along the way.
   */
  function release(backend: 'plain' | 'sealed', releases: readonly { config: string; secret: string }[]) {
    const environment = backend === 'plain' ? 'dev' : 'staging';
    const envDir = committedEnvDir();
    if (backend === 'sealed') writeFileSync(join(envDir, 'staging.sealing-cert.pem'), controller.certificatePem);
    const outdir = join(mkdtempSync(join(tmpdir(), 'task-api-dist-')), 'dist');
    const cluster = new SimulatedCluster({ unsealSecret });
    const ranWith = new Map<string, { config: Record<string, string>; secrets: Record<string, string> }>();
    const plans: ReturnType<typeof planEnvironment>[] = [];
    const base = readFileSync(join(envDir, `${environment}.env`), 'utf8');
    for (const { config, secret } of releases) {
      writeFileSync(join(envDir, `${environment}.env`), `${base}RELEASE_NOTE=${config}\n`);
      const processEnv = backend === 'plain' ? { DATABASE_PASSWORD: `fake-${secret}` } as Record<string, string>
        : { ...fakeSecrets('staging'), DATABASE_PASSWORD: `fake-${secret}`, TASK_API_SECRET_BACKEND: 'sealed' };
      if (backend === 'plain') writeFileSync(join(envDir, 'dev.secrets.env'), readFileSync(join(envDir, 'dev.secrets.env'), 'utf8').replace(/^DATABASE_PASSWORD=.*$/m, `DATABASE_PASSWORD=fake-${secret}`));
      // revisionHistoryLimit 5, so that eight releases go past it.
      const build: EnvironmentBuilder = (chart, context) => new TaskApiApp(chart, 'TaskApi', { ...taskApiProps(context), revisionHistoryLimit: 5 });
      const [synthesized] = synthEnvironments([environment], { envDir, processEnv: backend === 'plain' ? {} : processEnv, outdir, build });
      const folder = join(outdir, environment);
      const written = [...synthesized.objects, ...synthesized.carried.flatMap((file) => file.objects)];
      plans.push(planEnvironment(environment, readOutputFiles(folder).flatMap((file) => file.objects), written));
      writeEnvironment(outdir, environment, [...manifestFiles(synthesized.objects), ...synthesized.carried]);
      const deployment = findObject(synthesized.objects, 'Deployment', 'task-api');
      ranWith.set(JSON.stringify(deployment.spec.template), { config: valuesOf(synthesized.layers.config), secrets: valuesOf(synthesized.layers.secrets) });
      cluster.apply(readOutputFiles(folder).flatMap((file) => file.objects), { prune: true });
    }
    return { cluster, ranWith, plans, namespace: `task-api-${environment}`, folder: join(outdir, environment) };
  }

  /** Each kept revision's pods: what its envFrom sources hold in the cluster, against what it ran with. */
  function expectEveryKeptRevisionFindsItsConfig(cluster: SimulatedCluster, namespace: string, ranWith: Map<string, any>): void {
    for (const rs of cluster.history(namespace, 'task-api')) {
      const expected = ranWith.get(JSON.stringify(rs.template));
      expect(expected).toBeDefined();
      const [config, secret] = cluster.envSources(namespace, rs.template);
      expect({ revision: rs.revision, config: 'data' in config ? config.data : 'missing', secret: 'data' in secret ? secret.data : 'missing' })
        .toEqual({ revision: rs.revision, config: expected.config, secret: expected.secrets });
    }
  }

  const releases = [
    { config: 'r1', secret: 's1' }, { config: 'r2', secret: 's1' }, { config: 'r3', secret: 's2' }, { config: 'r4', secret: 's2' },
    { config: 'r5', secret: 's3' }, { config: 'r6', secret: 's3' }, { config: 'r7', secret: 's4' }, { config: 'r8', secret: 's4' },
  ];

  test.each(['plain', 'sealed'] as const)('%s: every kept revision finds exactly its config; older versions are gone and were listed as prunable', (backend) => {
    const { cluster, ranWith, plans, namespace, folder } = release(backend, releases);
    const kept = cluster.history(namespace, 'task-api');
    // revisionHistoryLimit 5: the current ReplicaSet and five old ones.
    expect(kept.map((rs) => rs.revision)).toEqual([3, 4, 5, 6, 7, 8]);
    expectEveryKeptRevisionFindsItsConfig(cluster, namespace, ranWith);

    // The ConfigMaps of releases 1 and 2 left dist/ (and the cluster), each listed by plan as it fell out.
    const inDist = readOutputFiles(folder).flatMap((file) => file.objects);
    const configNotes = inDist.filter((o) => o.kind === 'ConfigMap').map((o) => o.data.RELEASE_NOTE).sort();
    expect(configNotes).toEqual(['r3', 'r4', 'r5', 'r6', 'r7', 'r8']);
    const prunedAt = plans.map((plan) => plan.changes.filter((c) => c.action === 'remove').map((c) => c.kind));
    expect(prunedAt[6]).toEqual(['ConfigMap']);
    // Release 8 also drops the last revision that read the Secret of s1.
    expect(prunedAt[7].sort()).toEqual(['ConfigMap', backend === 'plain' ? 'Secret' : 'SealedSecret']);
    expect(prunedAt.slice(0, 6).flat()).toEqual([]);

    // Undo to the oldest kept revision: the Deployment's pods start with exactly that release's config.
    cluster.rolloutUndo(namespace, 'task-api', 3);
    const restored = cluster.get('Deployment', namespace, 'task-api').spec.template;
    const [config, secret] = cluster.envSources(namespace, restored);
    expect('data' in config && config.data.RELEASE_NOTE).toBe('r3');
    expect('data' in secret && secret.data.DATABASE_PASSWORD).toBe('fake-s2');
  });

  test('a Secret version stays while any kept revision reads it, and goes with the last one', () => {
    const { cluster, namespace, folder } = release('plain', releases);
    const secretsInDist = readOutputFiles(folder).flatMap((file) => file.objects).filter((o) => o.kind === 'Secret');
    const passwords = secretsInDist.map((o) => Buffer.from(o.data.DATABASE_PASSWORD, 'base64').toString('utf8')).sort();
    // Kept revisions 3-8 ran with s2, s3 and s4; s1 (releases 1 and 2) is past retention.
    expect(passwords).toEqual(['fake-s2', 'fake-s3', 'fake-s4']);
    for (const object of secretsInDist) expect(cluster.get('Secret', namespace, object.metadata.name)).toEqual(object);
    expect(cluster.history(namespace, 'task-api').every((rs) =>
      secretsInDist.some((o) => o.metadata.name === rs.template.spec.containers[0].envFrom[1].secretRef.name))).toBe(true);
  });
});
