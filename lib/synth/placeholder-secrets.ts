import { EnvEntry } from '../config/env-file';
import { LayerInputs, registryVariables } from '../config/layers';
import { versionBase } from '../config/name-suffix';
import { SECRET_HASH_ANNOTATION } from '../secrets/backend';
import { sealedValueHmacsAnnotation } from '../secrets/sealed';
import { ObjectRef, podConfigReferences } from './retention';

/**
 * A synthesis without secret values, for `npm run plan -- --no-secrets` (a pull request's CI
 * job, which must get no secret). Every secret key the `.example` lists gets a placeholder, the
 * environment builds as usual, and then whatever the placeholders decided (the Secret data, the
 * HMAC-suffixed name of a versioned Secret, the pod templates' `checksum/secret`, a SealedSecret's
 * ciphertexts and fingerprints) is taken from the earlier output instead, or marked as unknown:
 * only key names can be compared, and a plan must show no change the placeholders made up.
 */

/** What every secret holds in such a synthesis: never written, never printed. */
export const PLACEHOLDER_VALUE = 'placeholder-without-secret-values';

/**
 * Stands for the keyed suffix of a Secret version whose keys changed: only the values (and
 * the hash key) give the real one. Made of the suffix alphabet, so it still reads as a version.
 */
export const UNKNOWN_SUFFIX = 'gggggggggg';

/** Stands for a pod template's `checksum/secret` that only the values give. */
export const UNKNOWN_RESTART_HASH = '(computed from the secret values at synth)';

const PULL_SECRET_TYPE = 'kubernetes.io/dockerconfigjson';

/**
 * The inputs of an environment with a placeholder for each key of its `.example` and for
 * the hash key, read from no secrets file and no process variable. Registry credentials get
 * one when the environment requires them, or when the earlier output has a pull secret (dev uses
 * a developer's own credentials when set: without them the plan would show it as pruned).
 */
export function placeholderInputs(inputs: LayerInputs, previousObjects: readonly any[]): LayerInputs {
  const keys = new Set([...inputs.requiredSecrets, inputs.synthKeys.hashKey]);
  const hadPullSecret = previousObjects.some((o) => (o?.type ?? o?.spec?.template?.type) === PULL_SECRET_TYPE);
  if (inputs.requireRegistryCredentials || hadPullSecret) registryVariables(inputs.synthKeys).forEach((key) => keys.add(key));
  const secretsFile: EnvEntry[] = [...keys].map((key) => {
    const listed = inputs.example?.find((entry) => entry.key === key);
    return { key, value: PLACEHOLDER_VALUE, file: listed?.file ?? `${inputs.secretsPath}.example`, line: listed?.line ?? 0, notes: [], valueNotes: [] };
  });
  return { ...inputs, secretsFile };
}

/** A content-addressed Secret as the placeholders named it. */
export interface PlaceholderSecret {
  readonly namespace: string;
  /** The name before its suffix (`web-secrets`). */
  readonly base: string;
  /** The name the placeholders gave it. */
  readonly name: string;
  /** The `checksum/secret` the placeholders gave the pod templates reading it. */
  readonly restartHash?: string;
}

export interface PlaceholderResult {
  /** The objects, with nothing the placeholders decided left in them. */
  readonly objects: any[];
  /** The Secrets (and SealedSecrets) whose values could not be compared. */
  readonly notCompared: readonly ObjectRef[];
}

/** Kinds whose data holds (or seals) the values synth was given. */
const VALUE_KINDS = new Set(['Secret', 'SealedSecret']);

/**
 * Takes out of `fresh` what the placeholders decided. Pure. For each content-addressed Secret:
 * when its keys are those of the version the earlier output's workloads read, that version's
 * name and `checksum/secret` (whether a value changed cannot be known); otherwise a new version
 * whose suffix and hash are unknown. Then every Secret and SealedSecret takes the earlier
 * data (ciphertexts, fingerprints) of the keys both have, so that only added and removed keys
 * show. Values are never compared.
 */
export function withoutPlaceholders(fresh: readonly any[], previous: readonly any[], secrets: readonly PlaceholderSecret[], annotationPrefix: string): PlaceholderResult {
  const renames = new Map<string, string>();
  for (const secret of secrets) {
    const object = fresh.find((o) => VALUE_KINDS.has(o.kind) && o.metadata?.namespace === secret.namespace && o.metadata?.name === secret.name);
    if (!object) continue;
    const earlier = earlierVersion(object, secret, previous);
    const same = earlier !== undefined && sameKeys(keysOf(earlier), keysOf(object));
    renames.set(secret.name, same ? earlier.metadata.name : `${secret.base}-${UNKNOWN_SUFFIX}`);
    if (secret.restartHash !== undefined) {
      renames.set(secret.restartHash, (same && earlierRestartHash(earlier, previous)) || UNKNOWN_RESTART_HASH);
    }
  }
  const objects = fresh.map((object) => renamed(object, renames)).map((object) => {
    if (!VALUE_KINDS.has(object.kind)) return object;
    const earlier = previous.find((o) => o.kind === object.kind && o.metadata?.namespace === object.metadata?.namespace && o.metadata?.name === object.metadata?.name) ??
      (object.metadata?.name?.endsWith(`-${UNKNOWN_SUFFIX}`) ? earlierVersion(object, { namespace: object.metadata.namespace, base: versionBase(object.metadata.name) }, previous) : undefined);
    return earlier ? withEarlierValues(object, earlier, annotationPrefix) : object;
  });
  const notCompared = objects.filter((o) => VALUE_KINDS.has(o.kind)).map((o) => ({ kind: o.kind, name: o.metadata?.name, namespace: o.metadata?.namespace }))
    .sort((a, b) => `${a.kind} ${a.name}`.localeCompare(`${b.kind} ${b.name}`));
  return { objects, notCompared };
}

/** The version of `secret` in the earlier output: the one its workloads read, else any. */
function earlierVersion(object: any, secret: Pick<PlaceholderSecret, 'namespace' | 'base'>, previous: readonly any[]): any | undefined {
  const candidates = previous.filter((o) => o.kind === object.kind && o.metadata?.namespace === secret.namespace &&
    typeof o.metadata?.name === 'string' && o.metadata.name !== secret.base && versionBase(o.metadata.name) === secret.base);
  const read = new Set(previous.filter((o) => o.metadata?.namespace === secret.namespace && o.spec?.template?.spec)
    .flatMap((o) => podConfigReferences(o.spec.template.spec).secrets));
  return candidates.find((o) => read.has(o.metadata.name)) ?? candidates[0];
}

/** The `checksum/secret` of an earlier pod template reading `earlier`. */
function earlierRestartHash(earlier: any, previous: readonly any[]): string | undefined {
  const reader = previous.find((o) => o.metadata?.namespace === earlier.metadata?.namespace && o.spec?.template?.spec &&
    podConfigReferences(o.spec.template.spec).secrets.includes(earlier.metadata.name) &&
    typeof o.spec.template.metadata?.annotations?.[SECRET_HASH_ANNOTATION] === 'string');
  return reader?.spec.template.metadata.annotations[SECRET_HASH_ANNOTATION];
}

/** The keys of a Secret, a SealedSecret or an ExternalSecret, sorted. */
export function keysOf(object: any): string[] {
  if (object?.kind === 'SealedSecret') return Object.keys(object.spec?.encryptedData ?? {}).sort();
  if (object?.kind === 'ExternalSecret') return (object.spec?.data ?? []).map((entry: any) => entry?.secretKey).filter((key: unknown) => typeof key === 'string').sort();
  return [...new Set([...Object.keys(object?.data ?? {}), ...Object.keys(object?.stringData ?? {})])].sort();
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((key, index) => key === b[index]);
}

/** `object` with every string equal to a key of `renames` replaced. */
function renamed(object: any, renames: ReadonlyMap<string, string>): any {
  if (typeof object === 'string') return renames.get(object) ?? object;
  if (Array.isArray(object)) return object.map((item) => renamed(item, renames));
  if (typeof object !== 'object' || object === null) return object;
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, renamed(value, renames)]));
}

/** A fresh Secret or SealedSecret with the earlier data of every key both have. */
function withEarlierValues(object: any, earlier: any, annotationPrefix: string): any {
  const hmacs = sealedValueHmacsAnnotation(annotationPrefix);
  const take = (fresh: Record<string, string> | undefined, old: Record<string, string> | undefined) => fresh &&
    Object.fromEntries(Object.entries(fresh).map(([key, value]) => [key, old && Object.hasOwn(old, key) ? old[key] : value]));
  if (object.kind === 'Secret') {
    return {
      ...object,
      ...(object.data ? { data: take(object.data, earlier.data) } : {}),
      ...(object.stringData ? { stringData: take(object.stringData, earlier.stringData) } : {}),
    };
  }
  const annotations = object.metadata?.annotations ?? {};
  const fingerprints = parseRecord(annotations[hmacs]);
  const earlierFingerprints = parseRecord(earlier.metadata?.annotations?.[hmacs]);
  return {
    ...object,
    metadata: {
      ...object.metadata,
      ...(fingerprints && earlierFingerprints
        ? { annotations: { ...annotations, [hmacs]: JSON.stringify(take(fingerprints, earlierFingerprints), null, 1) } }
        : {}),
    },
    spec: { ...object.spec, encryptedData: take(object.spec?.encryptedData, earlier.spec?.encryptedData) },
  };
}

function parseRecord(text: unknown): Record<string, string> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const parsed = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
