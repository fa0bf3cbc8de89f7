import { readFileSync } from 'fs';
import { join } from 'path';
import type { EnvironmentSettings } from '../environments';
import { SECRET_BACKEND_NAMES, SecretBackend } from '../secrets/backend';
import { DEFAULT_REFRESH_INTERVAL, ExternalSecretBackend, RemoteRef, SecretStoreRef } from '../secrets/external';
import { PlainSecretBackend } from '../secrets/plain';
import { previousSealedSecrets, SealedSecretBackend } from '../secrets/sealed';
import { parseSealingCertificate, SealingCertificate } from '../secrets/sealing';

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
function defaultRemoteRef(environment: string): (key: string) => RemoteRef {
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

/** What loading a chosen backend needs besides the choice. */
export interface SecretBackendContext {
  /**
   * The objects of the environment's previous output, `dist/<environment>/` (the pipeline reads it
   * once, for retention too).
   * @default - none: every value is sealed afresh
   */
  readonly previousObjects?: readonly any[];
  /** The environment's TASK_API_HASH_KEY (plain, sealed). */
  readonly hashKey: string;
}

/** Makes the chosen backend, reading what it needs: the certificate (sealed). */
export function loadSecretBackend(choice: SecretBackendChoice, context: SecretBackendContext): SecretBackend {
  switch (choice.kind) {
    case 'plain':
      return new PlainSecretBackend({ hashKey: context.hashKey });
    case 'sealed':
      return new SealedSecretBackend({
        certificate: readSealingCertificate(choice.certificateFile),
        hashKey: context.hashKey,
        previous: previousSealedSecrets(context.previousObjects ?? []),
      });
    case 'external':
      return new ExternalSecretBackend(choice);
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
