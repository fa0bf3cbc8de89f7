import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { GuardRailExceptions } from './config/guard-rails';
import type { RemoteRef, SecretStoreRef } from './secrets/external';
import type { SecretBackendName } from './secrets/backend';

/** What differs between environments besides their env files. */
export interface EnvironmentSettings {
  /** The namespace the environment's objects live in (created with them). */
  readonly namespace: string;
  /** The Task API image, `ghcr.io/<owner>/task-api:<tag>`. */
  readonly image: string;
  /** Number of pods. */
  readonly replicas: number;
  /** CPU and memory requests and limits of the Task API container. */
  readonly resources: kplus.ContainerResources;
  /**
   * Whether synth fails without registry credentials (GITHUB_USERNAME, GITHUB_TOKEN). When false
   * the pull secret is written only if both are set.
   */
  readonly requireRegistryCredentials: boolean;
  /**
   * Whether the environment's secrets file is committed and holds only fake values (dev): its
   * hash key may be short, and no other environment may use it.
   * @default false: the hash key needs 32 bytes, its own to the environment, committed nowhere
   */
  readonly fakeSecrets?: boolean;
  /**
   * How the environment's secrets reach the cluster (see lib/secret-backend.ts); the variable
   * TASK_API_SECRET_BACKEND overrides it.
   * @default 'plain'
   */
  readonly secretBackend?: SecretBackendName;
  /**
   * sealed: the sealed-secrets controller's certificate, the PEM that `kubeseal --fetch-cert`
   * prints; the variable TASK_API_SEALING_CERT overrides it.
   * @default '<env folder>/<environment>.sealing-cert.pem'
   */
  readonly sealingCertificate?: string;
  /**
   * external: the SecretStore or ClusterSecretStore the values are read from.
   * @default { name: 'task-api', kind: 'ClusterSecretStore' }
   */
  readonly secretStore?: SecretStoreRef;
  /**
   * external: where each key (the app secrets, GITHUB_USERNAME, GITHUB_TOKEN) lives in the store.
   * @default - property `<key>` of the remote secret `task-api/<environment>`
   */
  readonly remoteRef?: (key: string) => RemoteRef;
  /**
   * external: how often the operator re-reads the store.
   * @default '1h'
   */
  readonly refreshInterval?: string;
}

const SMALL: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
};

/**
 * The environments this repository deploys, by name. The name selects `env/<name>.env` and
 * `env/<name>.secrets.env` and the output folder `dist/<name>/`.
 */
export const ENVIRONMENTS: Readonly<Record<string, EnvironmentSettings>> = {
  // The embedded default: a fresh clone synthesizes it with no setup (its secrets file holds
  // fake values and is committed; registry credentials are used only when set).
  dev: {
    namespace: 'task-api-dev',
    image: 'ghcr.io/example-org/task-api:dev',
    replicas: 1,
    resources: SMALL,
    requireRegistryCredentials: false,
    fakeSecrets: true,
  },
  staging: {
    namespace: 'task-api-staging',
    image: 'ghcr.io/example-org/task-api:1.4.0',
    replicas: 1,
    resources: SMALL,
    requireRegistryCredentials: true,
  },
  production: {
    namespace: 'task-api-production',
    image: 'ghcr.io/example-org/task-api:1.4.0',
    replicas: 3,
    resources: {
      cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.millis(1000) },
      memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
    },
    requireRegistryCredentials: true,
  },
};

/**
 * Exceptions to the guard rails (lib/guard-rails.ts), for every environment. Each entry is a
 * reviewed decision: say why next to it.
 */
export const GUARD_RAIL_EXCEPTIONS: GuardRailExceptions = {
  // e.g. 'MAX_TOKENS_PER_REQUEST', // a count, not a credential
  notSecret: [],
  inBothLayers: [],
  // Keys an env/<environment>.env may add although env/defaults.env lacks them, e.g.
  // 'DEBUG_SQL', // dev only: production must not even have a default for it
  notInDefaults: [],
  // Loader and runtime variables set on purpose, e.g.
  // 'NODE_OPTIONS', // --max-old-space-size only; reviewed: no --require, no --import
  runtimeVariables: [],
};

/** The environment synthesized when TASK_API_ENV is not set. */
export const DEFAULT_ENVIRONMENT = 'dev';

/**
 * The environments named by a TASK_API_ENV value: comma-separated names or `all`, in the order
 * given, each once. Unset or blank means the default environment.
 */
export function selectEnvironments(
  value: string | undefined,
  known: readonly string[] = Object.keys(ENVIRONMENTS),
): string[] {
  const names = (value ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) return [DEFAULT_ENVIRONMENT];
  const unknown = names.filter((name) => name !== 'all' && !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `TASK_API_ENV names an unknown environment: ${unknown.map((n) => JSON.stringify(n)).join(', ')}; ` +
      `known: ${known.join(', ')} (or all)`,
    );
  }
  return names.includes('all') ? [...known] : [...new Set(names)];
}
