import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { parseAllDocuments } from 'yaml';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { API_DEFAULTS, CDK8S_ADDRESS_LABEL, POD_SPEC_DEFAULTS, withoutNoise } from '../lib/synth/noise';
import { manifestFiles } from '../lib/synth/output';
import { synthEnvironments } from '../lib/synth/pipeline';
import { findKubectl, kubectl } from './kubectl';
import { committedEnvDir, fakeSecrets, findObject, taskApiProject } from './support';

const MODELS = dirname(require.resolve('kubernetes-models/package.json'));

/**
 * The API reference's description of a field, read from kubernetes-models' type definitions (a
 * second reader: they are generated from the Kubernetes OpenAPI document, descriptions included),
 * following the field types from `model` (`apps/v1/Deployment`) along `path`.
 */
function apiDescription(model: string, path: readonly string[]): string {
  const source = readFileSync(join(MODELS, `${model}.d.ts`), 'utf8');
  const [field, ...rest] = path;
  const declaration = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*"${field}"\\??:\\s*([A-Za-z0-9]+)?`).exec(source);
  if (!declaration) throw new Error(`${model} has no documented field ${field}`);
  if (rest.length === 0 || !declaration[2]) return declaration[1].replace(/\s*\*\s*/g, ' ');
  const typeImport = new RegExp(`import \\{ ${declaration[2]} \\} from "(\\.[^"]+)"`).exec(source);
  if (!typeImport) throw new Error(`${model}: ${field} is of type ${declaration[2]}, imported from outside kubernetes-models`);
  return apiDescription(join(dirname(model), typeImport[1]), rest);
}

const KIND_MODELS: Record<string, string> = {
  Deployment: 'apps/v1/Deployment', StatefulSet: 'apps/v1/StatefulSet', DaemonSet: 'apps/v1/DaemonSet', CronJob: 'batch/v1/CronJob',
};

/** Every value in `value` with its path, for "nothing like this anywhere" checks. */
function* leaves(value: any, path = ''): Generator<[string, any]> {
  yield [path, value];
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) yield* leaves(inner, `${path}.${key}`);
  }
}

function synthAll() {
  const envDir = committedEnvDir();
  return ['dev', 'staging', 'production'].map((environment) =>
    synthEnvironments(taskApiProject(), [environment], { envDir, processEnv: environment === 'dev' ? {} : fakeSecrets(environment) })[0]);
}

describe('withoutNoise', () => {
  test.each(API_DEFAULTS.flatMap(([kinds, path, value]) => kinds.map((kind) => [kind, path, value] as const)))(
    '%s %s is left out only at %p, the default the API reference gives it', (kind, path, value) => {
      expect(apiDescription(KIND_MODELS[kind], path.split('.'))).toMatch(new RegExp(`default[^.]*?\\W${String(value).replace('%', '\\%')}(\\W|s\\b)`, 'i'));
    });

  // restartPolicy: left out at Always only for kinds whose pods must always restart.
  test.each([...POD_SPEC_DEFAULTS, ['restartPolicy', 'Always']].map(([field, value]) => [field, value] as const))(
    'a pod spec\'s %s is left out only at %p, the default the API reference gives it', (field, value) => {
      expect(apiDescription('v1/PodSpec', [field])).toMatch(new RegExp(`default[^.]*?\\W${String(value)}\\W`, 'i'));
    });

  test('the environments carry no empty object or list (but emptyDir), no cdk8s label and no pod-spec field at its default', () => {
    for (const { environment, objects } of synthAll()) {
      for (const object of objects) {
        for (const [path, value] of leaves(object)) {
          const where = `${environment} ${object.kind} ${object.metadata.name}${path}`;
          const empty = value !== null && typeof value === 'object' && Object.keys(value).length === 0;
          if (empty && !path.endsWith('.emptyDir')) throw new Error(`${where} is empty`);
          if (path.endsWith('.labels')) expect(Object.keys(value).filter((key) => key.startsWith('cdk8s.io/'))).toEqual([]);
        }
        const pod = object.spec?.template?.spec;
        for (const [field, value] of POD_SPEC_DEFAULTS) if (pod) expect(pod[field]).not.toEqual(value);
      }
      const deployment = findObject(objects, 'Deployment', 'task-api');
      expect(deployment.spec.strategy).toBeUndefined();
      expect(deployment.spec.template.spec.restartPolicy).toBeUndefined();
    }
  });

  test('keeps what a reviewer reads even at a default: security contexts, the token mount, the Service type, probes', () => {
    for (const { objects } of synthAll()) {
      const pod = findObject(objects, 'Deployment', 'task-api').spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(pod.containers[0].securityContext).toMatchObject({ privileged: false, allowPrivilegeEscalation: false });
      expect(pod.containers[0].livenessProbe.failureThreshold).toBe(3);
      expect(findObject(objects, 'Service', 'task-api').spec.type).toBe('ClusterIP');
    }
  });

  test('keeps the cdk8s address label where a selector uses it, and a Job\'s restartPolicy', () => {
    const chart = Testing.chart();
    const selected = new kplus.Deployment(chart, 'Selected', { metadata: { name: 'selected' } });
    selected.addContainer({ image: 'ghcr.io/o/a:1', portNumber: 8080 });
    selected.exposeViaService({ name: 'selected' });
    const unselected = new kplus.Deployment(chart, 'Unselected', { metadata: { name: 'unselected', labels: { app: 'u' } }, select: false, podMetadata: { labels: { app: 'u' } } });
    unselected.select(kplus.LabelSelector.of({ labels: { app: 'u' } }));
    unselected.addContainer({ image: 'ghcr.io/o/a:1' });
    new kplus.Job(chart, 'Job', { metadata: { name: 'job' } }).addContainer({ image: 'ghcr.io/o/a:1' });
    const synthesized = Testing.synth(chart);
    const objects = withoutNoise(synthesized);

    const kept = findObject(objects, 'Deployment', 'selected');
    const address = kept.spec.selector.matchLabels[CDK8S_ADDRESS_LABEL];
    expect(address).toEqual(expect.any(String));
    expect(kept.spec.template.metadata.labels[CDK8S_ADDRESS_LABEL]).toBe(address);
    expect(findObject(objects, 'Service', 'selected').spec.selector[CDK8S_ADDRESS_LABEL]).toBe(address);
    expect(findObject(objects, 'Deployment', 'unselected').spec.template.metadata.labels).toEqual({ app: 'u' });
    const job = findObject(objects, 'Job', 'job').spec.template;
    expect(job.spec.restartPolicy).toBe('Never');
    // Its only label was the address: the emptied labels and metadata go too.
    expect(job.metadata).toBeUndefined();
    // The input is left as it was.
    expect(findObject(synthesized, 'Job', 'job').spec.template.metadata.labels[CDK8S_ADDRESS_LABEL]).toEqual(expect.any(String));
  });

  test('kubectl kustomize (go-yaml) reads the written files back to the same objects', () => {
    const binary = findKubectl();
    for (const { environment, objects } of synthAll()) {
      const folder = mkdtempSync(join(tmpdir(), `task-api-noise-${environment}-`));
      const files = manifestFiles(objects);
      for (const file of files) writeFileSync(join(folder, file.name), file.content);
      writeFileSync(join(folder, 'kustomization.yaml'), `resources:\n${files.map((f) => `- ${f.name}\n`).join('')}`);
      const read = parseAllDocuments(kubectl(binary, ['kustomize', folder])).map((d) => d.toJSON());
      for (const object of objects) expect(findObject(read, object.kind, object.metadata.name)).toEqual(object);
    }
  });
});
