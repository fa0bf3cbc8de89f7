import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { keyedContentHash } from '../config/content-hash';
import { keyedSecretSuffix, versionedName } from '../config/name-suffix';

/**
 * How an environment's secrets reach the cluster:
 * - `plain`: Secrets with base64 data (dist/ must never be committed);
 * - `sealed`: Bitnami SealedSecrets, encrypted for the cluster's controller at synth time;
 * - `external`: External Secrets Operator ExternalSecrets naming values kept in a secret store.
 * In the last two, nothing in dist/ holds a secret value, so dist/ can be committed.
 */
export type SecretBackendName = 'plain' | 'sealed' | 'external';
export const SECRET_BACKEND_NAMES: readonly SecretBackendName[] = ['plain', 'sealed', 'external'];

/** Pod-template annotation holding the keyed hash of the Secret data the pod consumes. */
export const SECRET_HASH_ANNOTATION = 'checksum/secret';

/** What a construct asks a backend for: one Secret, by name, type and data (or keys). */
export interface SecretSpec {
  /** The Secret's name, which workloads reference. */
  readonly name: string;
  readonly namespace: string;
  /**
   * The Secret's type.
   * @default 'Opaque'
   */
  readonly type?: string;
  /**
   * The Secret's data. Read at synth time, so entries added after the call still count; only
   * backends whose values pass through synth read it.
   */
  readonly data: () => Readonly<Record<string, string>>;
  /**
   * For backends whose values stay in a store: each Secret key (or template variable) → the
   * variable naming its value in the store (an app secret key, a registry token variable...). Read at synth time.
   */
  readonly storedAs: () => Readonly<Record<string, string>>;
  /**
   * How the Secret's data is built in the cluster from the `storedAs` variables (External Secrets
   * templates, engine v2).
   * @default - the `storedAs` values are the Secret's data as they are
   */
  readonly template?: Readonly<Record<string, string>>;
  /**
   * Whether the Secret is versioned by content: named `<name>-<suffix>` (a keyed hash of its
   * data) and `immutable`, so that a rolled-back pod template still finds the values it ran
   * with. Backends whose values never pass through synth keep `name` (they cannot see the data).
   * @default false
   */
  readonly contentAddressed?: boolean;
}

/** What a workload gets so that a change of the Secret rolls it. Values may be lazy. */
export interface RestartAnnotations {
  /** On the pod template: a change rolls the pods through the workload's own controller. */
  readonly podTemplate: Readonly<Record<string, string>>;
  /** On the workload itself, for a controller such as Reloader that watches the Secret. */
  readonly workload: Readonly<Record<string, string>>;
}

/** A Secret as a backend wrote it. */
export interface BackendSecret {
  /**
   * The Secret's name in the cluster, which workloads reference. A content-addressed name
   * depends on the data, which may still grow: read it after the data is complete (or use
   * `lazyName`).
   */
  readonly name: string;
  /** The name, resolved at synth time: for references written before the data is complete. */
  readonly lazyName: string;
  /** How workloads consuming this Secret restart when it changes. */
  restartAnnotations(): RestartAnnotations;
  /** The keyed hash of the data that the restart marker holds; undefined when values are not at hand. */
  restartHash(): string | undefined;
  /** What the backend did, for the synth summary (never a value); '' when there is nothing to say. */
  summary(): string;
}

/**
 * A strategy for writing Secrets. Constructs hand it a name, a type and data (or keys) and never
 * ask which backend they have: each backend knows how its Secret is written, how its restart
 * marker is made and what the summary says.
 */
export interface SecretBackend {
  readonly name: SecretBackendName;
  /**
   * Whether secret values pass through synth (plain, sealed). When false (external) the values
   * stay in a store and constructs must not be given any.
   */
  readonly holdsValues: boolean;
  /** Writes what stands for the Secret `spec` into `scope` as the child `id`. */
  addSecret(scope: Construct, id: string, spec: SecretSpec): BackendSecret;
}

/**
 * A Secret as a backend whose values pass through synth (plain, sealed) wrote it. Its restart
 * marker is a pod-template annotation holding an HMAC of the data: keyed, because a plain hash
 * of secret data on a Deployment lets anyone who can read Deployments test guesses offline.
 */
export function heldValuesSecret(spec: SecretSpec, hashKey: string, summary: () => string): BackendSecret {
  const name = () => secretName(spec, hashKey);
  const restartHash = () => keyedContentHash(spec.data(), hashKey);
  return {
    get name() {
      return name();
    },
    lazyName: lazyString(name),
    restartAnnotations: () => ({ podTemplate: { [SECRET_HASH_ANNOTATION]: lazyString(restartHash) }, workload: {} }),
    restartHash,
    summary,
  };
}

/**
 * The name of the Secret `spec` as a backend that holds the values writes it: `spec.name`, or
 * for a content-addressed Secret `spec.name` + the keyed suffix of its data (keyed by the
 * environment's hash key, as the restart hash is).
 */
export function secretName(spec: SecretSpec, hashKey: string): string {
  if (!spec.contentAddressed) return spec.name;
  return versionedName(spec.name, keyedSecretSuffix(spec.data(), spec.type ?? 'Opaque', hashKey));
}

/** A string resolved at synth time (annotation values are typed as strings). */
export function lazyString(produce: () => string): string {
  return Lazy.any({ produce }) as unknown as string;
}
