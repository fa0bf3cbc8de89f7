import { chmodSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { manifestFiles } from '../lib/synth/output';
import {
  ConfigReferences, formatHistory, OutputFile, podConfigReferences, readOutputFiles, recordedHistory, retainVersions,
} from '../lib/synth/retention';
import { findObject } from './support';

/** The Task API's history annotation, named after the project (unchanged for the Task API). */
const CONFIG_HISTORY_ANNOTATION = 'task-api/config-history';

const NAMESPACE = 'task-api-test';

/** A release as synth would write it: a ConfigMap and Secret version, and the Deployment reading them. */
function release(config: string, secret: string, options: { limit?: number; pullSecret?: boolean; secretKind?: 'Secret' | 'SealedSecret' } = {}): any[] {
  const secretObject = options.secretKind === 'SealedSecret'
    ? { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: secret, namespace: NAMESPACE }, spec: { encryptedData: { K: `sealed-${secret}` }, template: { metadata: { name: secret, namespace: NAMESPACE }, immutable: true } } }
    : { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, namespace: NAMESPACE }, immutable: true, type: 'Opaque', data: { K: Buffer.from(`fake-${secret}`).toString('base64') } };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: config, namespace: NAMESPACE }, immutable: true, data: { VERSION: config } },
    secretObject,
    ...(options.pullSecret ? [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'task-api-registry', namespace: NAMESPACE }, type: 'kubernetes.io/dockerconfigjson', data: {} }] : []),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'task-api', namespace: NAMESPACE },
      spec: {
        revisionHistoryLimit: options.limit ?? 2,
        template: { spec: { containers: [{ name: 'task-api', envFrom: [{ configMapRef: { name: config } }, { secretRef: { name: secret } }] }] } },
      },
    },
  ];
}

/** What synth would write, written to a fresh folder and read back: the new objects' files and the carried ones. */
function written(previous: readonly OutputFile[], fresh: any[], carryPlainSecrets = true, maxBytes?: number) {
  const retention = retainVersions(previous, fresh, { carryPlainSecrets, maxBytes, annotationPrefix: 'task-api' });
  const dir = mkdtempSync(join(tmpdir(), 'task-api-release-'));
  for (const file of [...manifestFiles(retention.objects), ...retention.carried]) {
    writeFileSync(join(dir, file.name), file.content, { mode: file.mode });
  }
  return { retention, files: readOutputFiles(dir) };
}

function history(files: readonly OutputFile[]): ConfigReferences[] {
  return JSON.parse(findObject(files.flatMap((f) => f.objects), 'Deployment', 'task-api').metadata.annotations[CONFIG_HISTORY_ANNOTATION]);
}

function names(files: readonly OutputFile[], kind: string): string[] {
  return files.flatMap((f) => f.objects).filter((o) => o.kind === kind).map((o) => o.metadata.name).sort();
}

/** Synthesizes the releases one after the other, each against the previous output. */
function releases(list: readonly any[][], carryPlainSecrets = true) {
  let files: OutputFile[] = [];
  let last = written([], list[0], carryPlainSecrets);
  for (const fresh of list) {
    last = written(files, fresh, carryPlainSecrets);
    files = last.files;
  }
  return last;
}

describe('retaining config versions', () => {
  test('with no previous output nothing is carried and the history holds the new template only', () => {
    const { retention, files } = written([], release('config-a', 'secrets-a'));
    expect(retention.carried).toEqual([]);
    expect(retention.prunable).toEqual([]);
    expect(history(files)).toEqual([{ configMaps: ['config-a'], secrets: ['secrets-a'] }]);
  });

  test('the previous version is carried byte for byte, with its file name and mode', () => {
    const first = written([], release('config-a', 'secrets-a'));
    const second = written(first.files, release('config-b', 'secrets-b'));
    for (const name of ['1-configmap-config-a.yaml', '2-secret-secrets-a.yaml']) {
      const before = first.files.find((f) => f.name === name)!;
      expect(second.files.find((f) => f.name === name)).toEqual(before);
    }
    expect(second.files.find((f) => f.name === '2-secret-secrets-a.yaml')!.mode).toBe(0o600);
    expect(history(second.files)).toEqual([{ configMaps: ['config-b'], secrets: ['secrets-b'] }, { configMaps: ['config-a'], secrets: ['secrets-a'] }]);
  });

  test('keeps the versions of revisionHistoryLimit + 1 templates; older ones become prunable', () => {
    const { retention, files } = releases(['a', 'b', 'c', 'd', 'e'].map((v) => release(`config-${v}`, `secrets-${v}`, { limit: 2 })));
    expect(names(files, 'ConfigMap')).toEqual(['config-c', 'config-d', 'config-e']);
    expect(names(files, 'Secret')).toEqual(['secrets-c', 'secrets-d', 'secrets-e']);
    expect(history(files).map((entry) => entry.configMaps[0])).toEqual(['config-e', 'config-d', 'config-c']);
    // Only what the run before this one still had: config-b fell out of retention just now.
    expect(retention.prunable).toEqual(expect.arrayContaining([
      { kind: 'ConfigMap', name: 'config-b', namespace: NAMESPACE }, { kind: 'Secret', name: 'secrets-b', namespace: NAMESPACE },
    ]));
    expect(retention.prunable.map((ref) => ref.name)).not.toContain('config-c');
  });

  test('synthesizing the same config again adds no entry', () => {
    const { files } = releases([release('config-a', 'secrets-a'), release('config-b', 'secrets-b'), release('config-b', 'secrets-b')]);
    expect(history(files)).toHaveLength(2);
  });

  test('going back to an earlier version moves it to the front instead of repeating it', () => {
    const { files } = releases([release('config-a', 'secrets-a'), release('config-b', 'secrets-b'), release('config-a', 'secrets-a')]);
    expect(history(files).map((entry) => entry.configMaps[0])).toEqual(['config-a', 'config-b']);
    expect(names(files, 'ConfigMap')).toEqual(['config-a', 'config-b']);
  });

  test('a config change alone carries the unchanged Secret nowhere: it is still in the new output', () => {
    const { retention, files } = releases([release('config-a', 'secrets-a'), release('config-b', 'secrets-a')]);
    expect(retention.carried.map((file) => file.name)).toEqual(['1-configmap-config-a.yaml']);
    expect(names(files, 'Secret')).toEqual(['secrets-a']);
  });

  test('plain Secrets are not carried into an output that must not hold them', () => {
    const first = written([], release('config-a', 'secrets-a'));
    const { retention } = written(first.files, release('config-b', 'secrets-b', { secretKind: 'SealedSecret' }), false);
    expect(retention.carried.map((file) => file.name)).toEqual(['1-configmap-config-a.yaml']);
    expect(retention.prunable).toContainEqual({ kind: 'Secret', name: 'secrets-a', namespace: NAMESPACE });
  });

  test('a SealedSecret is carried for the Secret a kept template reads', () => {
    const first = written([], release('config-a', 'secrets-a', { secretKind: 'SealedSecret' }));
    const { retention } = written(first.files, release('config-b', 'secrets-b', { secretKind: 'SealedSecret' }), false);
    expect(retention.carried.map((file) => file.name)).toContain('2-sealedsecret-secrets-a.yaml');
  });

  test('a pull secret no longer written is prunable, never carried', () => {
    const first = written([], release('config-a', 'secrets-a', { pullSecret: true }));
    const { retention } = written(first.files, release('config-a', 'secrets-a'));
    expect(retention.carried).toEqual([]);
    expect(retention.prunable).toEqual([{ kind: 'Secret', name: 'task-api-registry', namespace: NAMESPACE }]);
  });

  test('over the size bound the oldest versions are dropped, and said so', () => {
    const list = ['a', 'b', 'c', 'd'].map((v) => release(`config-${v}`, `secrets-${v}`, { limit: 5 }));
    const unbounded = releases(list);
    const perVersion = unbounded.retention.carried.filter((f) => f.name.includes('-c.yaml')).reduce((sum, f) => sum + f.content.length, 0);
    let files: OutputFile[] = [];
    let last = written([], list[0]);
    for (const fresh of list) {
      last = written(files, fresh, true, perVersion * 2);
      files = last.files;
    }
    expect(names(files, 'ConfigMap')).toEqual(['config-b', 'config-c', 'config-d']);
    expect(last.retention.droppedForSize).toEqual(expect.arrayContaining([{ kind: 'ConfigMap', name: 'config-a', namespace: NAMESPACE }]));
    expect(history(files).map((entry) => entry.configMaps[0])).toEqual(['config-d', 'config-c', 'config-b']);
  });

  test('output from before the history existed counts as one entry: what its Deployment read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'task-api-release-'));
    for (const file of manifestFiles(release('task-api-config', 'task-api-secrets'))) writeFileSync(join(dir, file.name), file.content);
    const previous = readOutputFiles(dir);
    expect(findObject(previous.flatMap((f) => f.objects), 'Deployment', 'task-api').metadata.annotations).toBeUndefined();
    const { retention } = written(previous, release('config-b', 'secrets-b'));
    expect(retention.carried.map((file) => file.name).sort()).toEqual(['1-configmap-task-api-config.yaml', '2-secret-task-api-secrets.yaml']);
  });
});

describe('the recorded history', () => {
  test('an annotation that is not a history counts as the Deployment\'s own references', () => {
    const deployment = findObject(release('config-a', 'secrets-a'), 'Deployment', 'task-api');
    for (const text of ['not json', '{"configMaps":[]}', '[{"configMaps":"x"}]', '[]']) {
      deployment.metadata.annotations = { [CONFIG_HISTORY_ANNOTATION]: text };
      expect(recordedHistory(deployment, 'task-api')).toEqual([{ configMaps: ['config-a'], secrets: ['secrets-a'] }]);
    }
  });

  test('is written one entry a line', () => {
    expect(formatHistory([{ configMaps: ['a'], secrets: ['b'] }, { configMaps: ['c'], secrets: [] }]))
      .toBe('[\n{"configMaps":["a"],"secrets":["b"]},\n{"configMaps":["c"],"secrets":[]}\n]');
  });

  test('a pod template\'s references cover envFrom, valueFrom and volumes, not image pull secrets', () => {
    expect(podConfigReferences({
      imagePullSecrets: [{ name: 'pull' }],
      initContainers: [{ envFrom: [{ secretRef: { name: 's-init' } }] }],
      containers: [{ envFrom: [{ configMapRef: { name: 'c1' } }], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'c2', key: 'k' } } }, { name: 'Y', valueFrom: { secretKeyRef: { name: 's1', key: 'k' } } }] }],
      volumes: [{ name: 'v', configMap: { name: 'c3' } }, { name: 'w', secret: { secretName: 's2' } }, { name: 'p', projected: { sources: [{ configMap: { name: 'c4' } }, { secret: { name: 's3' } }] } }],
    })).toEqual({ configMaps: ['c1', 'c2', 'c3', 'c4'], secrets: ['s-init', 's1', 's2', 's3'] });
  });
});

describe('reading earlier output', () => {
  test('gives each file\'s bytes, mode and objects, and leaves out files that do not parse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'task-api-output-'));
    writeFileSync(join(dir, '1-configmap-a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  X: "yes"\n');
    writeFileSync(join(dir, '2-secret-b.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n');
    chmodSync(join(dir, '2-secret-b.yaml'), 0o600);
    writeFileSync(join(dir, '3-broken.yaml'), 'kind: [unclosed\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
    const files = readOutputFiles(dir);
    expect(files.map((f) => f.name)).toEqual(['1-configmap-a.yaml', '2-secret-b.yaml']);
    expect(files[0].objects[0].data.X).toBe('yes');
    expect(files[1].mode).toBe(0o600);
  });

  test('gives nothing for a folder that does not exist', () => {
    expect(readOutputFiles(join(tmpdir(), 'task-api-no-such-folder'))).toEqual([]);
  });
});
