import { readFileSync } from 'fs';
import { join } from 'path';
import type { EnvironmentSettings } from '../environments';
import { Project, ProjectVariables, selectedEnvironments } from '../project';
import { SECRET_BACKEND_NAMES, SecretBackend } from '../secrets/backend';
import { DEFAULT_REFRESH_INTERVAL, ExternalSecretBackend, RemoteRef, SecretStoreRef } from '../secrets/external';
import { PlainSecretBackend } from '../secrets/plain';
import { previousSealedSecrets, SealedSecretBackend } from '../secrets/sealed';
import { parseSealingCertificate, SealingCertificate } from '../secrets/sealing';

/**
 * What of the project the choice reads: its name (the external backend's defaults) and the
 * variables that override the environments' settings for CI (`<PREFIX>_SECRET_BACKEND`, and
 * `<PREFIX>_SEALING_CERT`, a path to the PEM).
 */
export interface BackendChoiceNames {
  readonly name: string;
  readonly variables: Pick<ProjectVariables, 'secretBackend' | 'sealingCertificate'>;
}

/** The store the external backend reads by default: one cluster-wide store, named after the project. */
export function defaultSecretStore(projectName: string): SecretStoreRef {
  return { name: projectName, kind: 'ClusterSecretStore' };
}

/**
 * Where the external backend finds a key by default: every secret of an environment is a
 * property, named like the key, of one remote secret `<project>/<environment>`.
 */
function defaultRemoteRef(projectName: string, environment: string): (key: string) => RemoteRef {
  return (key) => ({ key: `${projectName}/${environment}`, property: key });
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
 * Chooses an environment's backend: the secret backend variable over the environment's setting,
 * and for `sealed` the certificate of the sealing certificate variable over the setting over
 * `<envDir>/<environment>.sealing-cert.pem`. Pure.
 */
export function chooseSecretBackend(
  environment: string,
  settings: EnvironmentSettings,
  processEnv: Readonly<Record<string, string | undefined>>,
  envDir: string,
  project: BackendChoiceNames,
): SecretBackendChoice {
  const { secretBackend: backendVariable, sealingCertificate: certificateVariable } = project.variables;
  const override = processEnv[backendVariable]?.trim();
  if (override && !(SECRET_BACKEND_NAMES as readonly string[]).includes(override)) {
    throw new Error(`${backendVariable} must be one of ${SECRET_BACKEND_NAMES.join(', ')}; it is ${JSON.stringify(override)}`);
  }
  const kind = (override || settings.secretBackend) ?? 'plain';
  switch (kind) {
    case 'plain':
      return { kind };
    case 'sealed': {
      const fromVariable = processEnv[certificateVariable]?.trim();
      return {
        kind,
        certificateFile: fromVariable || settings.sealingCertificate || join(envDir, `${environment}.sealing-cert.pem`),
        certificateFromVariable: !!fromVariable,
      };
    }
    case 'external':
      return {
        kind,
        store: settings.secretStore ?? defaultSecretStore(project.name),
        remoteRef: settings.remoteRef ?? defaultRemoteRef(project.name, environment),
        refreshInterval: settings.refreshInterval ?? DEFAULT_REFRESH_INTERVAL,
      };
    default:
      throw new Error(`${environment}: secretBackend must be one of ${SECRET_BACKEND_NAMES.join(', ')}; it is ${JSON.stringify(kind)}`);
  }
}

/**
 * Each cluster has its own sealing key: one sealing certificate variable (`variable`) cannot
 * serve several sealed environments in one run. Returns the problem, if any.
 */
export function sharedSealingCertificate(choices: ReadonlyMap<string, SecretBackendChoice>, variable: string): string[] {
  const sealedByVariable = [...choices].filter(([, choice]) => choice.kind === 'sealed' && choice.certificateFromVariable).map(([name]) => name);
  if (sealedByVariable.length < 2) return [];
  return [
    `${variable} would seal ${sealedByVariable.join(', ')} with one certificate, but each cluster has its own; ` +
    'synthesize one environment per run, or set sealingCertificate per environment in the project definition',
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
  /** The environment's hash key (plain, sealed). */
  readonly hashKey: string;
  /** The project's name: the prefix of the sealed backend's bookkeeping annotation. */
  readonly annotationPrefix: string;
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
        annotationPrefix: context.annotationPrefix,
        previous: previousSealedSecrets(context.previousObjects ?? [], context.annotationPrefix),
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

/**
 * `<environment> <backend>` for each environment in the project's environment variable (unset:
 * all), as synth would choose it: what CI reads to commit only the folders that hold no secret.
 */
export function secretBackendKinds(project: Project<any>, processEnv: Readonly<Record<string, string | undefined>>): string[] {
  return selectedEnvironments(project, processEnv[project.variables.environment] || 'all')
    .map((environment) => `${environment} ${chooseSecretBackend(environment, project.environments[environment], processEnv, project.envDir, project).kind}`);
}
