import { readManifests } from './output';
import { readFileSync } from 'fs';
import { join } from 'path';
import type { EnvironmentSettings } from './environments';
import { DEFAULT_REFRESH_INTERVAL, RemoteRef, SecretStoreRef } from './external-secret';
import { previousSealedSecrets } from './sealed-secret';
import { parseSealingCertificate, PreviousSealedSecret, SealingCertificate } from './sealing';

/**
 * How an environment's secrets reach the cluster:
 * - `plain`: Secrets with base64 data (dist/ must never be committed);
 * - `sealed`: Bitnami SealedSecrets, encrypted for the cluster's controller at synth time;
 * - `external`: External Secrets Operator ExternalSecrets naming values kept in a secret store.
 * In the last two, nothing in dist/ holds a secret value, so dist/ can be committed.
 */
export type SecretBackendName = 'plain' | 'sealed' | 'external';
export const SECRET_BACKEND_NAMES: readonly SecretBackendName[] = ['plain', 'sealed', 'external'];

/** Overrides the environments' `secretBackend` (for CI). */
export const SECRET_BACKEND_VARIABLE = 'TASK_API_SECRET_BACKEND';
/** Overrides the sealed environments' `sealingCertificate` (for CI): a path to the PEM. */
export const SEALING_CERT_VARIABLE = 'TASK_API_SEALING_CERT';

/** The store the external backend reads by default: one cluster-wide store. */
export const DEFAULT_SECRET_STORE: SecretStoreRef = { name: 'task-api', kind: 'ClusterSecretStore' };

/**
 * Where the external backend finds a key by default: every secret of an environment is a
 * property, named like the key, of one remote secret `task-api/<environment>`.
 */
export function defaultRemoteRef(environment: string): (key: string) => RemoteRef {
  return (key) => ({ key: `task-api/${environment}`, property: key });
}

/** An environment's backend as chosen, before anything is read. */
export type SecretBackendChoice =
  | { readonly kind: 'plain' }
  | { readonly kind: 'sealed'; readonly certificateFile: string; readonly certificateFromVariable: boolean }
  | {
    readonly kind: 'external';
    readonly store: SecretStoreRef;
    readonly remoteRef: (key: string) => RemoteRef;
    readonly refreshInterval: string;
  };

/** An environment's backend, ready for the constructs. */
export type SecretBackend =
  | { readonly kind: 'plain' }
  | {
    readonly kind: 'sealed';
    readonly certificate: SealingCertificate;
    /** The environment's TASK_API_HASH_KEY: keys the fingerprints that let unchanged values keep their ciphertext. */
    readonly hashKey: string;
    /** What the previous synth wrote, by SealedSecret name (empty when there is none). */
    readonly previous: ReadonlyMap<string, PreviousSealedSecret>;
  }
  | {
    readonly kind: 'external';
    readonly store: SecretStoreRef;
    /** Where each key (app secrets, GITHUB_USERNAME, GITHUB_TOKEN) lives in the store. */
    readonly remoteRef: (key: string) => RemoteRef;
    readonly refreshInterval: string;
    /** The app Secret's keys (those of `<environment>.secrets.env.example`); the values stay in the store. */
    readonly keys: readonly string[];
    /** Whether the environment gets a pull secret (its registry credentials are in the store too). */
    readonly pullSecret: boolean;
  };

export const PLAIN_BACKEND: SecretBackend = { kind: 'plain' };

/**
 * Chooses an environment's backend: TASK_API_SECRET_BACKEND over the environment's setting,
 * and for `sealed` the certificate TASK_API_SEALING_CERT over the setting over
 * `<envDir>/<environment>.sealing-cert.pem`. Pure.
 */
export function chooseSecretBackend(
  environment: string,
  settings: EnvironmentSettings,
  processEnv: Readonly<Record<string, string | undefined>>,
  envDir: string,
): SecretBackendChoice {
  const override = processEnv[SECRET_BACKEND_VARIABLE]?.trim();
  if (override && !(SECRET_BACKEND_NAMES as readonly string[]).includes(override)) {
    throw new Error(`${SECRET_BACKEND_VARIABLE} must be one of ${SECRET_BACKEND_NAMES.join(', ')}; it is ${JSON.stringify(override)}`);
  }
  const kind = (override || settings.secretBackend) ?? 'plain';
  switch (kind) {
    case 'plain':
      return { kind };
    case 'sealed': {
      const fromVariable = processEnv[SEALING_CERT_VARIABLE]?.trim();
      return {
        kind,
        certificateFile: fromVariable || settings.sealingCertificate || join(envDir, `${environment}.sealing-cert.pem`),
        certificateFromVariable: !!fromVariable,
      };
    }
    case 'external':
      return {
        kind,
        store: settings.secretStore ?? DEFAULT_SECRET_STORE,
        remoteRef: settings.remoteRef ?? defaultRemoteRef(environment),
        refreshInterval: settings.refreshInterval ?? DEFAULT_REFRESH_INTERVAL,
      };
    default:
      throw new Error(`${environment}: secretBackend must be one of ${SECRET_BACKEND_NAMES.join(', ')}; it is ${JSON.stringify(kind)}`);
  }
}

/**
 * Each cluster has its own sealing key: one TASK_API_SEALING_CERT cannot serve several sealed
 * environments in one run. Returns the problem, if any.
 */
export function sharedSealingCertificate(choices: ReadonlyMap<string, SecretBackendChoice>): string[] {
  const sealedByVariable = [...choices].filter(([, choice]) => choice.kind === 'sealed' && choice.certificateFromVariable).map(([name]) => name);
  if (sealedByVariable.length < 2) return [];
  return [
    `${SEALING_CERT_VARIABLE} would seal ${sealedByVariable.join(', ')} with one certificate, but each cluster has its own; ` +
    'synthesize one environment per run, or set sealingCertificate per environment in lib/environments.ts',
  ];
}

/** What the constructs need besides the choice. */
export interface SecretBackendContext {
  /**
   * The folder of the environment's previous output, `dist/<environment>/` (it may not exist).
   * @default - none: every value is sealed afresh
   */
  readonly previousOutput?: string;
  /** The environment's TASK_API_HASH_KEY (sealed). */
  readonly hashKey: string;
  /** The app Secret's keys (external). */
  readonly externalKeys: readonly string[];
  /** Whether the environment gets a pull secret (external). */
  readonly pullSecret: boolean;
}

/** Reads what a chosen backend needs: the certificate and the previous output (sealed). */
export function loadSecretBackend(choice: SecretBackendChoice, context: SecretBackendContext): SecretBackend {
  switch (choice.kind) {
    case 'plain':
      return PLAIN_BACKEND;
    case 'sealed':
      return {
        kind: 'sealed',
        certificate: readSealingCertificate(choice.certificateFile),
        hashKey: context.hashKey,
        previous: previousSealedSecrets(context.previousOutput ? readPreviousOutput(context.previousOutput) : []),
      };
    case 'external':
      return { ...choice, keys: context.externalKeys, pullSecret: context.pullSecret };
  }
}

/** The controller's certificate from a file; a missing or unreadable file is an error naming it. */
export function readSealingCertificate(file: string): SealingCertificate {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error: any) {
    const why = error.code === 'ENOENT' ? 'does not exist' : `cannot be read (${error.code ?? error.message})`;
    throw new Error(`the sealing certificate ${file} ${why}; fetch it from the cluster with: kubeseal --fetch-cert > ${file}`);
  }
  return parseSealingCertificate(pem, file);
}

/**
 * The objects synth wrote last into `folder`, or none when it does not exist or does not parse:
 * earlier output is a cache here (its values are then sealed afresh), never an input that can fail
 * synth.
 */
function readPreviousOutput(folder: string): any[] {
  try {
    return readManifests(folder);
  } catch {
    return [];
  }
}
