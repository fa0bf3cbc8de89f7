import { Cron, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { contentHash, keyedContentHash } from '../lib/config/content-hash';
import { CONFIG_HASH_ANNOTATION, LayeredConfig } from '../lib/constructs/layered-config';
import { SECRET_HASH_ANNOTATION, SecretBackend } from '../lib/secrets/backend';
import { PlainSecretBackend } from '../lib/secrets/plain';
import { ExternalSecretBackend, RELOADER_SECRETS_ANNOTATION } from '../lib/secrets/external';
import { kustomizeConfigMapSuffix, keyedSecretSuffix } from '../lib/config/name-suffix';
import { decodeData, findObject, findVersion } from './support';

function setup(config: Record<string, string> = { LOG_LEVEL: 'info' }, secrets: Record<string, string> = { DATABASE_PASSWORD: 'fake-pw' }) {
  const chart = Testing.chart();
  const layers = new LayeredConfig(chart, 'Config', {
    namespace: 'ns', configMapName: 'cfg', secretName: 'sec', config, secrets, secretBackend: new PlainSecretBackend({ hashKey: 'fake-hash-key' }),
  });
  const deployment = new kplus.Deployment(chart, 'Deployment', { metadata: { name: 'app' } });
  const container = deployment.addContainer({ image: 'ghcr.io/o/task-api:1', portNumber: 8000 });
  return { chart, layers, deployment, container };
}

describe('LayeredConfig', () => {
  test('feeds the container envFrom ConfigMap then Secret, so the Secret wins, and writes no env entry', () => {
    const { chart, layers, deployment, container } = setup();
    layers.attachTo(deployment, container);
    const objects = Testing.synth(chart);
    const spec = findObject(objects, 'Deployment', 'app').spec.template.spec.containers[0];
    expect(spec.envFrom).toEqual([
      { configMapRef: { name: findVersion(objects, 'ConfigMap', 'cfg').metadata.name } },
      { secretRef: { name: findVersion(objects, 'Secret', 'sec').metadata.name } },
    ]);
    expect(spec.env).toBeUndefined();
  });

  test('writes the Secret as an Opaque Secret with base64 data, never stringData', () => {
    const { chart } = setup({}, { DATABASE_PASSWORD: 'fake-pw', OPENAI_API_KEY: 'fake-key' });
    const secret = findVersion(Testing.synth(chart), 'Secret', 'sec');
    expect(secret.type).toBe('Opaque');
    expect(secret.stringData).toBeUndefined();
    expect(secret.data.DATABASE_PASSWORD).toBe(Buffer.from('fake-pw').toString('base64'));
    expect(decodeData(secret)).toEqual({ DATABASE_PASSWORD: 'fake-pw', OPENAI_API_KEY: 'fake-key' });
  });

  test('puts the hashes of exactly the consumed data on the pod template, the Secret one keyed', () => {
    const { chart, layers, deployment, container } = setup({ LOG_LEVEL: 'info' }, { DATABASE_PASSWORD: 'fake-pw' });
    layers.attachTo(deployment, container);
    const annotations = findObject(Testing.synth(chart), 'Deployment', 'app').spec.template.metadata.annotations;
    expect(annotations[CONFIG_HASH_ANNOTATION]).toBe(contentHash({ LOG_LEVEL: 'info' }));
    expect(annotations[SECRET_HASH_ANNOTATION]).toBe(keyedContentHash({ DATABASE_PASSWORD: 'fake-pw' }, 'fake-hash-key'));
  });

  test('data added after attachTo still counts in the hashes', () => {
    const { chart, layers, deployment, container } = setup();
    layers.attachTo(deployment, container);
    layers.addConfig('ENABLE_METRICS', 'true');
    layers.addSecret('WEBHOOK_SECRET', 'fake-webhook');
    const objects = Testing.synth(chart);
    const annotations = findObject(objects, 'Deployment', 'app').spec.template.metadata.annotations;
    expect(annotations[CONFIG_HASH_ANNOTATION]).toBe(contentHash({ LOG_LEVEL: 'info', ENABLE_METRICS: 'true' }));
    expect(annotations[SECRET_HASH_ANNOTATION]).toBe(
      keyedContentHash({ DATABASE_PASSWORD: 'fake-pw', WEBHOOK_SECRET: 'fake-webhook' }, 'fake-hash-key'));
    expect(decodeData(findVersion(objects, 'Secret', 'sec')).WEBHOOK_SECRET).toBe('fake-webhook');
    // The names follow the data added late, and so do the references.
    const configMap = findVersion(objects, 'ConfigMap', 'cfg');
    expect(configMap.metadata.name).toBe(`cfg-${kustomizeConfigMapSuffix({ LOG_LEVEL: 'info', ENABLE_METRICS: 'true' })}`);
    expect(findObject(objects, 'Deployment', 'app').spec.template.spec.containers[0].envFrom[0].configMapRef.name).toBe(configMap.metadata.name);
  });

  test('names the ConfigMap by its data with kustomize\'s suffix, the Secret with a keyed one, both immutable', () => {
    const { chart } = setup({ LOG_LEVEL: 'info' }, { DATABASE_PASSWORD: 'fake-pw' });
    const objects = Testing.synth(chart);
    const configMap = findVersion(objects, 'ConfigMap', 'cfg');
    const secret = findVersion(objects, 'Secret', 'sec');
    expect(configMap.metadata.name).toBe(`cfg-${kustomizeConfigMapSuffix({ LOG_LEVEL: 'info' })}`);
    expect(secret.metadata.name).toBe(`sec-${keyedSecretSuffix({ DATABASE_PASSWORD: 'fake-pw' }, 'Opaque', 'fake-hash-key')}`);
    expect(configMap.immutable).toBe(true);
    expect(secret.immutable).toBe(true);
  });

  test('the same data gives the same names; any change of a value gives a new one', () => {
    const names = (config: Record<string, string>, secrets: Record<string, string>) => {
      const objects = Testing.synth(setup(config, secrets).chart);
      return [findVersion(objects, 'ConfigMap', 'cfg').metadata.name, findVersion(objects, 'Secret', 'sec').metadata.name];
    };
    const first = names({ A: '1', B: '2' }, { P: 'fake-1' });
    expect(names({ B: '2', A: '1' }, { P: 'fake-1' })).toEqual(first);
    const [configChanged, sameSecret] = names({ A: '1', B: '3' }, { P: 'fake-1' });
    expect(configChanged).not.toBe(first[0]);
    expect(sameSecret).toBe(first[1]);
    const [sameConfig, secretChanged] = names({ A: '1', B: '2' }, { P: 'fake-2' });
    expect(sameConfig).toBe(first[0]);
    expect(secretChanged).not.toBe(first[1]);
  });

  test('the hash key is written into no object', () => {
    const { chart, layers, deployment, container } = setup();
    layers.attachTo(deployment, container);
    const text = JSON.stringify(Testing.synth(chart));
    expect(text).not.toContain('fake-hash-key');
    expect(text).not.toContain(Buffer.from('fake-hash-key').toString('base64'));
  });

  test('with the external backend it takes no values: they stay in the secret store', () => {
    const chart = Testing.chart();
    const layers = new LayeredConfig(chart, 'Config', {
      namespace: 'ns', configMapName: 'cfg', secretName: 'sec', config: {}, secrets: {},
      storedSecretKeys: ['DATABASE_PASSWORD'],
      secretBackend: new ExternalSecretBackend({ store: { name: 'store', kind: 'SecretStore' }, remoteRef: (key) => ({ key }) }),
    });
    expect(() => layers.addSecret('DATABASE_PASSWORD', 'fake-pw')).toThrow('unable to add the secret "DATABASE_PASSWORD": with the external backend its value stays in the secret store');
    // Values change in the store without a synth: the ExternalSecret keeps its fixed name.
    expect(findObject(Testing.synth(chart), 'ExternalSecret', 'sec').spec.data).toEqual([{ secretKey: 'DATABASE_PASSWORD', remoteRef: { key: 'DATABASE_PASSWORD' } }]);
  });
});

describe('LayeredConfig.attachTo on any workload', () => {
  /** Where each kind keeps its pod template. */
  const podTemplate = (object: any) => (object.kind === 'CronJob' ? object.spec.jobTemplate.spec.template : object.spec.template);

  function everyKind(secretBackend: SecretBackend = new PlainSecretBackend({ hashKey: 'fake-hash-key' })) {
    const chart = Testing.chart();
    const layers = new LayeredConfig(chart, 'Config', {
      namespace: 'ns', configMapName: 'cfg', secretName: 'sec', config: { LOG_LEVEL: 'info' },
      secrets: secretBackend.holdsValues ? { DATABASE_PASSWORD: 'fake-pw' } : {},
      storedSecretKeys: secretBackend.holdsValues ? [] : ['DATABASE_PASSWORD'],
      secretBackend,
    });
    const service = new kplus.Service(chart, 'Service', { metadata: { name: 'headless' }, ports: [{ port: 80 }] });
    const workloads: [string, kplus.Workload][] = [
      ['Deployment', new kplus.Deployment(chart, 'Deployment', { metadata: { name: 'api' } })],
      ['StatefulSet', new kplus.StatefulSet(chart, 'StatefulSet', { metadata: { name: 'store' }, service })],
      ['DaemonSet', new kplus.DaemonSet(chart, 'DaemonSet', { metadata: { name: 'agent' } })],
      ['Job', new kplus.Job(chart, 'Job', { metadata: { name: 'migrate' } })],
      ['CronJob', new kplus.CronJob(chart, 'CronJob', { metadata: { name: 'report' }, schedule: Cron.daily() })],
    ];
    for (const [, workload] of workloads) layers.attachTo(workload, workload.addContainer({ image: 'ghcr.io/o/task-api:1' }));
    const objects = Testing.synth(chart);
    const names = { Deployment: 'api', StatefulSet: 'store', DaemonSet: 'agent', Job: 'migrate', CronJob: 'report' } as const;
    return workloads.map(([kind]) => findObject(objects, kind, names[kind as keyof typeof names]));
  }

  test('each of Deployment, StatefulSet, DaemonSet, Job and CronJob gets both hashes and no Service link variables on its own pod template', () => {
    for (const workload of everyKind()) {
      const template = podTemplate(workload);
      expect({ kind: workload.kind, annotations: template.metadata.annotations }).toEqual({
        kind: workload.kind,
        annotations: {
          [CONFIG_HASH_ANNOTATION]: contentHash({ LOG_LEVEL: 'info' }),
          [SECRET_HASH_ANNOTATION]: keyedContentHash({ DATABASE_PASSWORD: 'fake-pw' }, 'fake-hash-key'),
        },
      });
      // The versioned names, one pair for every kind.
      expect(template.spec.containers[0].envFrom).toEqual([
        { configMapRef: { name: `cfg-${kustomizeConfigMapSuffix({ LOG_LEVEL: 'info' })}` } },
        { secretRef: { name: `sec-${keyedSecretSuffix({ DATABASE_PASSWORD: 'fake-pw' }, 'Opaque', 'fake-hash-key')}` } },
      ]);
      // No Service link variables beside the layers, in every kind's own pod spec.
      expect(template.spec.enableServiceLinks).toBe(false);
      // Not on the workload itself: a change there would not roll anything.
      expect(workload.metadata.annotations).toBeUndefined();
    }
  });

  test('several workloads share one LayeredConfig: one ConfigMap and one Secret, the same hashes on every pod template', () => {
    const chart = Testing.chart();
    const layers = new LayeredConfig(chart, 'Config', {
      namespace: 'ns', configMapName: 'cfg', secretName: 'sec', config: { LOG_LEVEL: 'info' }, secrets: { DATABASE_PASSWORD: 'fake-pw' },
      secretBackend: new PlainSecretBackend({ hashKey: 'fake-hash-key' }),
    });
    const api = new kplus.Deployment(chart, 'Api', { metadata: { name: 'api' } });
    const worker = new kplus.Deployment(chart, 'Worker', { metadata: { name: 'worker' } });
    const migrate = new kplus.Job(chart, 'Migrate', { metadata: { name: 'migrate' } });
    for (const workload of [api, worker, migrate]) layers.attachTo(workload, workload.addContainer({ image: 'ghcr.io/o/task-api:1' }));
    layers.addConfig('ADDED_LATER', 'yes');
    const objects = Testing.synth(chart);
    expect(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).toEqual([`cfg-${kustomizeConfigMapSuffix({ LOG_LEVEL: 'info', ADDED_LATER: 'yes' })}`]);
    expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual([findVersion(objects, 'Secret', 'sec').metadata.name]);
    const expected = contentHash({ LOG_LEVEL: 'info', ADDED_LATER: 'yes' });
    for (const [kind, name] of [['Deployment', 'api'], ['Deployment', 'worker'], ['Job', 'migrate']]) {
      expect(findObject(objects, kind, name).spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).toBe(expected);
    }
  });

  test("with the external backend each workload's own metadata names the Secret for Reloader, and no pod template carries a secret hash", () => {
    const external = new ExternalSecretBackend({ store: { name: 'store', kind: 'SecretStore' }, remoteRef: (key) => ({ key }) });
    for (const workload of everyKind(external)) {
      expect({ kind: workload.kind, annotations: workload.metadata.annotations }).toEqual({ kind: workload.kind, annotations: { [RELOADER_SECRETS_ANNOTATION]: 'sec' } });
      const annotations = podTemplate(workload).metadata.annotations;
      expect(annotations[CONFIG_HASH_ANNOTATION]).toBe(contentHash({ LOG_LEVEL: 'info' }));
      expect(annotations[SECRET_HASH_ANNOTATION]).toBeUndefined();
    }
  });
});
