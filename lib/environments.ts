import type { RemoteRef, SecretStoreRef } from './secrets/external';
import type { SecretBackendName } from './secrets/backend';

/** What differs between environments besides their env files. */
export interface EnvironmentSettings {
  /** The namespace the environment's objects live in (created with them). */
  readonly namespace: string;
  /**
   * The image the environment runs, `<registry>/<repository>:<tag>` or `...@sha256:<digest>`:
   * the default, which the project's image variable (`<PREFIX>_IMAGE`) replaces for a run.
   */
  readonly image: string;
  /**
   * Whether synth fails without the credentials of every registry the project names. When false
   * a registry's pull secret is written only if both its values are set.
   */
  readonly requireRegistryCredentials: boolean;
  /**
   * Whether the environment's secrets file is committed and holds only fake values (dev): its
   * hash key may be short, and no other environment may use it.
   * @default false: the hash key needs 32 bytes, its own to the environment, committed nowhere
   */
  readonly fakeSecrets?: boolean;
  /**
   * How the environment's secrets reach the cluster (see lib/secrets/backend.ts); the project's
   * variable `<PREFIX>_SECRET_BACKEND` overrides it.
   * @default 'plain'
   */
  readonly secretBackend?: SecretBackendName;
  /**
   * sealed: the sealed-secrets controller's certificate, the PEM that `kubeseal --fetch-cert`
   * prints; the project's variable `<PREFIX>_SEALING_CERT` overrides it.
   * @default '<env folder>/<environment>.sealing-cert.pem'
   */
  readonly sealingCertificate?: string;
  /**
   * external: the SecretStore or ClusterSecretStore the values are read from.
   * @default { name: <project name>, kind: 'ClusterSecretStore' }
   */
  readonly secretStore?: SecretStoreRef;
  /**
   * external: where each key (the app secrets, the registries' credential variables) lives in the store.
   * @default - property `<key>` of the remote secret `<project name>/<environment>`
   */
  readonly remoteRef?: (key: string) => RemoteRef;
  /**
   * external: how often the operator re-reads the store.
   * @default '1h'
   */
  readonly refreshInterval?: string;
}

/**
 * The environments named by the value of `variable` (the project's `<PREFIX>_ENV`): comma-separated names or `all`, in the order
 * given, each once. Unset or blank means the default environment.
 */
export function selectEnvironments(
  value: string | undefined,
  known: readonly string[],
  defaultEnvironment: string,
  variable: string,
): string[] {
  const names = (value ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) return [defaultEnvironment];
  const unknown = names.filter((name) => name !== 'all' && !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `${variable} names an unknown environment: ${unknown.map((n) => JSON.stringify(n)).join(', ')}; ` +
      `known: ${known.join(', ')} (or all)`,
    );
  }
  return names.includes('all') ? [...known] : [...new Set(names)];
}
