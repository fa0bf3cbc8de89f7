import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { parseManifests } from './output';

/**
 * Which earlier config versions stay in `dist/<environment>/`, so that `kubectl rollout undo`
 * finds the config of every revision the Deployment keeps.
 *
 * The Deployment controller keeps the current ReplicaSet and the `revisionHistoryLimit` most
 * recent old ones (pkg/controller/deployment/sync.go, cleanupDeployment), and a rollback restores
 * only the pod template of one of them. With content-addressed, immutable ConfigMaps and Secrets,
 * that template names the exact versions it ran with; they must still exist. dist/ holds only
 * objects, so the Deployment records which names its last pod templates read, newest first, in
 * the annotation below (on the Deployment itself, not its pod template: changing it rolls
 * nothing). Each synth reads it from the previous output, puts the new template's names first,
 * keeps revisionHistoryLimit + 1 entries, and carries forward, byte for byte, the previous files
 * of every version an entry names that the new output no longer holds.
 *
 * Names that the cluster's history holds and ours does not (a `kubectl rollout restart` adds a
 * revision with the same config) only make us keep more; a template synthesized but never
 * applied does count here, and can push out an older version the cluster still has.
 */

/** Deployment annotation: the ConfigMaps and Secrets its last pod templates read, newest first. */
export function configHistoryAnnotation(prefix: string): string {
  return `${prefix}/config-history`;
}

/** What apps/v1 defaults `spec.revisionHistoryLimit` to when a Deployment does not set it. */
const KUBERNETES_DEFAULT_REVISION_HISTORY_LIMIT = 10;

/**
 * The most bytes of earlier versions carried forward per environment. Beyond it the oldest
 * entries of the history are dropped (the synth summary says so): a ConfigMap can hold up to
 * 1 MiB, and a dist/ folder that grows by megabytes a release is worse than a shorter rollback
 * window.
 */
export const RETAINED_BYTES_LIMIT = 4 * 1024 * 1024;

/** One file of an environment's output, as read back: its bytes and the objects in it. */
export interface OutputFile {
  readonly name: string;
  readonly content: string;
  readonly mode: number;
  readonly objects: readonly any[];
}

/** The ConfigMaps and Secrets (by name, in the workload's namespace) that one pod template reads. */
export interface ConfigReferences {
  readonly configMaps: readonly string[];
  readonly secrets: readonly string[];
}

/** An object by kind, namespace and name (no content: it may be a Secret). */
export interface ObjectRef {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

export interface RetentionOptions {
  /**
   * Whether plain Secrets may be carried. Only an environment that writes plain Secrets (whose
   * dist/ is never committed) may carry them: after a switch to the sealed or external backend,
   * the old plain Secrets must not move into a folder that may go into git.
   */
  readonly carryPlainSecrets: boolean;
  /** The prefix of the history annotation: the project's name. */
  readonly annotationPrefix: string;
  /** @default RETAINED_BYTES_LIMIT */
  readonly maxBytes?: number;
}

export interface Retention {
  /** The new objects, each Deployment annotated with its history. */
  readonly objects: any[];
  /** Previous files kept as they were, for versions a kept revision still reads. */
  readonly carried: readonly OutputFile[];
  /** Previous objects neither written again nor carried: what ApplySet pruning would delete. */
  readonly prunable: readonly ObjectRef[];
  /** Versions that a kept revision reads but that the size bound left out. */
  readonly droppedForSize: readonly ObjectRef[];
}

/**
 * Chooses what to carry forward from `previous` (the files of the previous output, empty when
 * there is none) next to `fresh` (the newly synthesized objects). Pure.
 */
export function retainVersions(previous: readonly OutputFile[], fresh: readonly any[], options: RetentionOptions): Retention {
  const maxBytes = options.maxBytes ?? RETAINED_BYTES_LIMIT;
  const freshStands = new Set(fresh.map(standsFor).filter((key): key is string => key !== undefined));
  const freshIds = new Set(fresh.map(identity));
  const previousObjects = previous.flatMap((file) => file.objects);

  // Each Deployment's history: the new template's references first, then the previous entries.
  const histories = new Map<any, ConfigReferences[]>();
  for (const workload of fresh.filter(isDeployment)) {
    const before = previousObjects.find((o) => isDeployment(o) && identity(o) === identity(workload));
    const earlier = before ? recordedHistory(before, options.annotationPrefix) : [];
    const limit = workload.spec?.revisionHistoryLimit ?? KUBERNETES_DEFAULT_REVISION_HISTORY_LIMIT;
    histories.set(workload, distinct([podConfigReferences(workload.spec?.template?.spec), ...earlier]).slice(0, limit + 1));
  }

  // Files to carry, by age: every Deployment's second entry before anyone's third, and so on,
  // so that the size bound cuts the oldest versions first.
  const carriable = (file: OutputFile) => file.objects.length > 0 && file.objects.every((object) => {
    const key = standsFor(object);
    return key !== undefined && !freshStands.has(key) && !freshIds.has(identity(object)) &&
      (options.carryPlainSecrets || object.kind !== 'Secret');
  });
  const candidates = previous.filter(carriable);
  const carried = new Set<OutputFile>();
  const droppedForSize: ObjectRef[] = [];
  let bytes = 0;
  const depth = Math.max(0, ...[...histories.values()].map((h) => h.length));
  for (let age = 0; age < depth; age++) {
    for (const [workload, history] of histories) {
      const entry = history[age];
      if (!entry) continue;
      const namespace = workload.metadata?.namespace ?? '';
      const wanted = new Set([
        ...entry.configMaps.map((name) => `${namespace}/ConfigMap/${name}`),
        ...entry.secrets.map((name) => `${namespace}/Secret/${name}`),
      ]);
      const files = candidates.filter((file) => !carried.has(file) && file.objects.some((o) => wanted.has(standsFor(o)!)));
      const size = files.reduce((sum, file) => sum + Buffer.byteLength(file.content, 'utf8'), 0);
      if (bytes + size > maxBytes) {
        droppedForSize.push(...files.flatMap((file) => file.objects.map(refOf)));
        histories.set(workload, history.slice(0, age));
        continue;
      }
      bytes += size;
      for (const file of files) carried.add(file);
    }
  }

  const carriedIds = new Set([...carried].flatMap((file) => file.objects.map(identity)));
  const prunable = previousObjects.filter((o) => !freshIds.has(identity(o)) && !carriedIds.has(identity(o))).map(refOf);
  const objects = fresh.map((object) => {
    const history = histories.get(object);
    if (!history) return object;
    const annotations = { ...object.metadata?.annotations, [configHistoryAnnotation(options.annotationPrefix)]: formatHistory(history) };
    return { ...object, metadata: { ...object.metadata, annotations } };
  });
  return { objects, carried: previous.filter((file) => carried.has(file)), prunable, droppedForSize };
}

/**
 * The ConfigMaps and Secrets a pod's containers read: envFrom, env valueFrom, and volumes
 * (projected ones too). Not image pull secrets: the kubelet reads those when it pulls, and they
 * keep fixed names.
 */
export function podConfigReferences(pod: any): ConfigReferences {
  const configMaps: string[] = [];
  const secrets: string[] = [];
  for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef?.name) configMaps.push(source.configMapRef.name);
      if (source.secretRef?.name) secrets.push(source.secretRef.name);
    }
    for (const variable of container.env ?? []) {
      if (variable.valueFrom?.configMapKeyRef?.name) configMaps.push(variable.valueFrom.configMapKeyRef.name);
      if (variable.valueFrom?.secretKeyRef?.name) secrets.push(variable.valueFrom.secretKeyRef.name);
    }
  }
  for (const volume of pod?.volumes ?? []) {
    if (volume.configMap?.name) configMaps.push(volume.configMap.name);
    if (volume.secret?.secretName) secrets.push(volume.secret.secretName);
    for (const source of volume.projected?.sources ?? []) {
      if (source.configMap?.name) configMaps.push(source.configMap.name);
      if (source.secret?.name) secrets.push(source.secret.name);
    }
  }
  return { configMaps: [...new Set(configMaps)].sort(), secrets: [...new Set(secrets)].sort() };
}

/**
 * The history recorded on a Deployment of earlier output. Output written before the history
 * existed, or an annotation edited into something else, counts as one entry: what that
 * Deployment's own pod template reads. Earlier output is a cache here, never an error.
 */
export function recordedHistory(deployment: any, annotationPrefix: string): ConfigReferences[] {
  const own = podConfigReferences(deployment?.spec?.template?.spec);
  const text = deployment?.metadata?.annotations?.[configHistoryAnnotation(annotationPrefix)];
  if (typeof text !== 'string') return [own];
  try {
    const parsed = JSON.parse(text);
    if (!Array.isArray(parsed)) return [own];
    const entries = parsed.filter((entry) => isStringList(entry?.configMaps) && isStringList(entry?.secrets))
      .map((entry) => ({ configMaps: [...entry.configMaps], secrets: [...entry.secrets] }));
    return entries.length > 0 ? entries : [own];
  } catch {
    return [own];
  }
}

/** One entry a line, so that a git diff of dist/ shows the new entry and the one that fell off. */
export function formatHistory(history: readonly ConfigReferences[]): string {
  return '[\n' + history.map((entry) => JSON.stringify({ configMaps: entry.configMaps, secrets: entry.secrets })).join(',\n') + '\n]';
}

/**
 * The files of an earlier output folder with their bytes, mode and objects; none when the
 * folder does not exist. A file that cannot be read or parsed is left out (it is then neither
 * carried nor listed as prunable): earlier output is a cache, never an input that fails synth.
 */
export function readOutputFiles(folder: string): OutputFile[] {
  let names: string[];
  try {
    names = readdirSync(folder).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch {
    return [];
  }
  const files: OutputFile[] = [];
  for (const name of names) {
    try {
      const path = join(folder, name);
      const content = readFileSync(path, 'utf8');
      const objects = parseManifests(content);
      files.push({ name, content, mode: statSync(path).mode & 0o777, objects });
    } catch {
      // unreadable: left out
    }
  }
  return files;
}

function distinct(entries: readonly ConfigReferences[]): ConfigReferences[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = JSON.stringify(entry);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isDeployment(object: any): boolean {
  return object?.apiVersion === 'apps/v1' && object?.kind === 'Deployment';
}

function identity(object: any): string {
  return JSON.stringify([object?.apiVersion, object?.kind, object?.metadata?.namespace ?? '', object?.metadata?.name]);
}

function refOf(object: any): ObjectRef {
  return { kind: object.kind, name: object.metadata?.name, namespace: object.metadata?.namespace };
}

/**
 * The ConfigMap or Secret a pod would read when it names this object, as
 * `<namespace>/<ConfigMap|Secret>/<name>`: a SealedSecret or ExternalSecret stands for the
 * Secret its controller writes.
 */
function standsFor(object: any): string | undefined {
  const namespace = object?.metadata?.namespace ?? '';
  switch (object?.kind) {
    case 'ConfigMap':
      return `${namespace}/ConfigMap/${object.metadata?.name}`;
    case 'Secret':
      return `${namespace}/Secret/${object.metadata?.name}`;
    case 'SealedSecret':
      return `${namespace}/Secret/${object.spec?.template?.metadata?.name ?? object.metadata?.name}`;
    case 'ExternalSecret':
      return `${namespace}/Secret/${object.spec?.target?.name ?? object.metadata?.name}`;
    default:
      return undefined;
  }
}
