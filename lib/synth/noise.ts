import { isDeepStrictEqual } from 'util';

/**
 * Output without noise: what cdk8s and cdk8s-plus write on their own that tells a reviewer of
 * dist/ nothing, taken out after synthesis, in one place, so that a diff shows only decisions.
 * Pure: objects in, new objects out.
 *
 * Two kinds of noise go:
 * - cdk8s-plus's bookkeeping label `cdk8s.io/metadata.addr`, which it puts on every pod template
 *   so that it can select the pods itself. It goes wherever nothing selects on its value (a
 *   workload built with `select: true`, or a Service made from one, keeps it).
 * - Values cdk8s-plus writes out that are exactly what the API server (or the kubelet) does
 *   when the field is absent (the table below), and empty leftovers such as `spec: {}`. Leaving
 *   them out changes nothing in the cluster: `kubectl apply` of the shorter object gives the
 *   same live object.
 *
 * Kept on purpose although at a default: anything under a security context and
 * `automountServiceAccountToken` (the Pod Security review reads them), a Service's `type`
 * (it says who can reach it), probes (their timings are decisions), and whatever a construct
 * of this project sets itself (`revisionHistoryLimit`, `replicas`).
 */

/** The bookkeeping label cdk8s-plus puts on pods (cdk8s-plus `Pod.ADDRESS_LABEL`). */
export const CDK8S_ADDRESS_LABEL = 'cdk8s.io/metadata.addr';

/**
 * Fields at their API default: `[kinds, path from the object, the value the API server gives
 * the field when it is absent]` (each documented so in the API reference; test/noise.test.ts
 * checks them against it). Objects left empty by a removal go too.
 */
export const API_DEFAULTS: readonly (readonly [readonly string[], string, unknown])[] = [
  [['Deployment', 'StatefulSet', 'DaemonSet'], 'spec.minReadySeconds', 0],
  [['Deployment'], 'spec.progressDeadlineSeconds', 600],
  [['Deployment'], 'spec.strategy.type', 'RollingUpdate'],
  [['Deployment'], 'spec.strategy.rollingUpdate.maxSurge', '25%'],
  [['Deployment'], 'spec.strategy.rollingUpdate.maxUnavailable', '25%'],
  [['StatefulSet'], 'spec.podManagementPolicy', 'OrderedReady'],
  [['StatefulSet'], 'spec.updateStrategy.type', 'RollingUpdate'],
  [['StatefulSet'], 'spec.updateStrategy.rollingUpdate.partition', 0],
  [['CronJob'], 'spec.suspend', false],
  [['CronJob'], 'spec.successfulJobsHistoryLimit', 3],
  [['CronJob'], 'spec.failedJobsHistoryLimit', 1],
];

/** The same for a pod spec, wherever the kind keeps it. */
export const POD_SPEC_DEFAULTS: readonly (readonly [string, unknown])[] = [
  ['dnsPolicy', 'ClusterFirst'],
  ['hostNetwork', false],
  ['setHostnameAsFQDN', false],
  ['terminationGracePeriodSeconds', 30],
];

/** Empty leftovers that say nothing, as `[kinds, path, empty value]`. */
const EMPTY_LEFTOVERS: readonly (readonly [readonly string[], string, unknown])[] = [
  [['Namespace'], 'spec', {}],
  [['Service'], 'spec.externalIPs', []],
];

/** Kinds whose pods may only restart `Always`, the default; a Job's must say Never or OnFailure. */
const ALWAYS_RESTARTING = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

/** Where each kind keeps its pod template (a Pod is its own). */
function podTemplate(object: any): any {
  if (object.kind === 'Pod') return object;
  if (object.kind === 'CronJob') return object.spec?.jobTemplate?.spec?.template;
  return object.spec?.template;
}

/** `objects` without the noise described above. */
export function withoutNoise(objects: readonly any[]): any[] {
  const selected = selectedAddresses(objects);
  return objects.map((original) => {
    // Objects are JSON here; a JSON copy also keeps them in this realm (isDeepStrictEqual compares prototypes).
    const object = JSON.parse(JSON.stringify(original));
    for (const [kinds, path, value] of [...API_DEFAULTS, ...EMPTY_LEFTOVERS]) {
      if (kinds.includes(object.kind)) removeIfEqual(object, path.split('.'), value);
    }
    const template = podTemplate(object);
    const pod = template?.spec;
    if (pod && typeof pod === 'object') {
      for (const [field, value] of POD_SPEC_DEFAULTS) removeIfEqual(pod, [field], value);
      if (ALWAYS_RESTARTING.has(object.kind)) removeIfEqual(pod, ['restartPolicy'], 'Always');
    }
    for (const metadata of [object.metadata, template !== object ? template?.metadata : undefined]) {
      const labels = metadata?.labels;
      if (!labels || !(CDK8S_ADDRESS_LABEL in labels) || selected.has(labels[CDK8S_ADDRESS_LABEL])) continue;
      delete labels[CDK8S_ADDRESS_LABEL];
      if (Object.keys(labels).length === 0) delete metadata.labels;
    }
    if (template && template !== object && isEmptyObject(template.metadata)) delete template.metadata;
    return object;
  });
}

/**
 * The values of the address label that something selects on: in a selector map (`matchLabels`,
 * a Service's `selector`) or a `matchExpressions` entry, anywhere in any object.
 */
function selectedAddresses(objects: readonly any[]): Set<string> {
  const found = new Set<string>();
  const walk = (value: any, key: string) => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item, key);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (key !== 'labels' && typeof value[CDK8S_ADDRESS_LABEL] === 'string') found.add(value[CDK8S_ADDRESS_LABEL]);
    if (value.key === CDK8S_ADDRESS_LABEL && Array.isArray(value.values)) for (const v of value.values) found.add(v);
    for (const [child, inner] of Object.entries(value)) walk(inner, child);
  };
  for (const object of objects) walk(object, '');
  return found;
}

function valueAt(object: any, path: readonly string[]): any {
  return path.reduce((value, segment) => (value !== null && typeof value === 'object' ? value[segment] : undefined), object);
}

/** Removes the field at `path` if it holds `value`, then the objects that removal left empty (not the top-level field). */
function removeIfEqual(object: any, path: readonly string[], value: unknown): void {
  const parent = valueAt(object, path.slice(0, -1));
  const last = path[path.length - 1];
  if (parent === null || typeof parent !== 'object' || !(last in parent) || !isDeepStrictEqual(parent[last], value)) return;
  delete parent[last];
  for (let depth = path.length - 1; depth > 1; depth--) {
    const container = valueAt(object, path.slice(0, depth - 1));
    if (!isEmptyObject(container[path[depth - 1]])) break;
    delete container[path[depth - 1]];
  }
}

function isEmptyObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
}
