import type { Chart } from 'cdk8s';
import type { GuardRailExceptions } from './config/guard-rails';
import type { RegistryCredentialKeys, ResolvedLayers, SynthKeys } from './config/layers';
import { EnvironmentSettings, selectEnvironments } from './environments';
import type { SecretBackend } from './secrets/backend';
import type { CustomResourceSchema } from './config/custom-resource-schema';
import type { SettingsSchema } from './config/settings';

/**
 * The project definition: what a consumer's main.ts declares once, and what every command
 * (synth, synth --stdout, plan, explain) loads from there. The library names nothing of its
 * own: the app's name, environments, env folder and variables all come from here.
 */

/** The variables of the process environment the commands read, by role. */
export interface ProjectVariables {
  /** The environments a command synthesizes: names, comma-separated, or `all`. @default `<PREFIX>_ENV` */
  readonly environment: string;
  /** The key of the HMAC over secret data (also a key of the secrets files). @default `<PREFIX>_HASH_KEY` */
  readonly hashKey: string;
  /** plain, sealed or external, over the environments' setting. @default `<PREFIX>_SECRET_BACKEND` */
  readonly secretBackend: string;
  /** The sealing certificate (a PEM file) over the environments' setting. @default `<PREFIX>_SEALING_CERT` */
  readonly sealingCertificate: string;
  /** The image (or only its tag or digest) over the environments' `image`. @default `<PREFIX>_IMAGE` */
  readonly image: string;
  /** Set: errors come with their stack trace. @default `<PREFIX>_DEBUG` */
  readonly debug: string;
}

/** Where one registry's credentials are read: the names of two variables (or secrets-file keys). */
export interface RegistryCredentialVariables {
  readonly username: string;
  readonly password: string;
}

/** A registry pull secret's props for a registry of the project, as the environment provides them. */
export interface RegistryAccess {
  readonly server: string;
  /** Set when the backend writes values (plain, sealed). */
  readonly username?: string;
  readonly password?: string;
  /** The variables the credentials are kept under in a secret store (the external backend). */
  readonly storeKeys: RegistryCredentialVariables;
}

/** What an environment's workloads are built from. */
export interface EnvironmentContext<S extends EnvironmentSettings = EnvironmentSettings> {
  readonly environment: string;
  readonly settings: S;
  /** The merged layers, each value with its provenance. */
  readonly layers: ResolvedLayers;
  /** How the environment's Secrets reach the cluster. */
  readonly secretBackend: SecretBackend;
  /** The image to run: the image variable's, when set, else `settings.image`. Validated. */
  readonly image: string;
  /** Where the image came from: `$<PREFIX>_IMAGE` or `the project definition`. */
  readonly imageFrom: string;
  /**
   * The pull secret props for `server` (one of the project's registries), or undefined when the
   * environment has no credentials for it and does not require them.
   */
  registryAccess(server: string): RegistryAccess | undefined;
}

/**
 * Builds an environment's workloads into its Chart, after the environment's Namespace (which the
 * pipeline adds, at the Pod Security level the loosest workload was allowed).
 */
export type EnvironmentBuilder<S extends EnvironmentSettings = EnvironmentSettings> = (chart: Chart, context: EnvironmentContext<S>) => void;

export interface ProjectDefinition<S extends EnvironmentSettings = EnvironmentSettings> {
  /**
   * The app's name, a DNS-1123 label: the variables' prefix (`billing-api` → `BILLING_API_`), the
   * ApplySet's name, the default secret store and remote key of the external backend, and the
   * prefix of the annotations synth keeps its bookkeeping in.
   */
  readonly name: string;
  /** The environments by name: the name selects `<envDir>/<name>.env` and `dist/<name>/`. */
  readonly environments: Readonly<Record<string, S>>;
  /** What each environment holds besides its Namespace. */
  readonly build: EnvironmentBuilder<S>;
  /**
   * The environment a command synthesizes when the environment variable is unset.
   * @default - the first of `environments`
   */
  readonly defaultEnvironment?: string;
  /**
   * The folder of defaults.env and the environments' env files, relative to the working directory.
   * @default 'env'
   */
  readonly envDir?: string;
  /**
   * The prefix of the default variable names.
   * @default - the name in upper case, '-' as '_' (`billing-api` → `BILLING_API`)
   */
  readonly variablePrefix?: string;
  /** Variable names other than the defaults. @default - `<PREFIX>_ENV`, `<PREFIX>_HASH_KEY`... */
  readonly variables?: Partial<ProjectVariables>;
  /**
   * The private registries the images come from, by server (`ghcr.io`), each with the variables
   * its credentials are read from (the secrets file, the process environment or the store).
   * @default - none: no pull secret
   */
  readonly registries?: Readonly<Record<string, RegistryCredentialVariables>>;
  /**
   * Reviewed exceptions to the guard rails, for every environment.
   * @default - none
   */
  readonly guardRailExceptions?: GuardRailExceptions;
  /**
   * Schemas of the custom resources the builder writes (schemasFromCrdYaml of a CRD file, say):
   * such objects are validated as the API server would. Built-in kinds always are.
   * @default - none: a custom resource is written with a note that it was not validated
   */
  readonly customResourceSchemas?: readonly CustomResourceSchema[];
  /**
   * Every key of the env files, declared once: its type, whether it is required, whether it is a
   * secret, a one-line description. Synth refuses a value that does not fit (naming file, line
   * and key, never a secret's value) and a key not declared; explain shows the declarations.
   * @default - none: values are not typed
   */
  readonly settings?: SettingsSchema;
}

/** A project definition with every default filled in and checked. */
export interface Project<S extends EnvironmentSettings = EnvironmentSettings> {
  readonly name: string;
  readonly environments: Readonly<Record<string, S>>;
  readonly build: EnvironmentBuilder<S>;
  readonly defaultEnvironment: string;
  readonly envDir: string;
  readonly variables: ProjectVariables;
  /** The registries, in the order given. */
  readonly registries: readonly RegistryCredentialKeys[];
  readonly guardRailExceptions: GuardRailExceptions;
  /** The keys synth consumes itself: the hash key and the registry credentials. */
  readonly synthKeys: SynthKeys;
  readonly customResourceSchemas: readonly CustomResourceSchema[];
  readonly settings?: SettingsSchema;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** What a POSIX shell accepts as a variable name (and what dotenv files use). */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Fills in a project definition's defaults and checks it; throws one message naming every
 * problem (a mistake here is the consumer's code, found before any file is read).
 */
export function defineProject<S extends EnvironmentSettings>(definition: ProjectDefinition<S>): Project<S> {
  const problems: string[] = [];
  const { name } = definition;
  if (!DNS1123_LABEL.test(name) || name.length > 63) {
    problems.push(`name ${JSON.stringify(name)} must be a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters`);
  }
  const environmentNames = Object.keys(definition.environments);
  if (environmentNames.length === 0) problems.push('environments: at least one is needed');
  for (const environment of environmentNames.filter((e) => !DNS1123_LABEL.test(e) || e === 'all')) {
    problems.push(`environments: ${JSON.stringify(environment)} must be a DNS-1123 label other than "all" (it names a folder and is selected by name)`);
  }
  const defaultEnvironment = definition.defaultEnvironment ?? environmentNames[0];
  if (defaultEnvironment !== undefined && !environmentNames.includes(defaultEnvironment)) {
    problems.push(`defaultEnvironment ${JSON.stringify(defaultEnvironment)} is not one of the environments (${environmentNames.join(', ')})`);
  }
  const prefix = definition.variablePrefix ?? name.toUpperCase().replace(/-/g, '_');
  const variables: ProjectVariables = {
    environment: `${prefix}_ENV`,
    hashKey: `${prefix}_HASH_KEY`,
    secretBackend: `${prefix}_SECRET_BACKEND`,
    sealingCertificate: `${prefix}_SEALING_CERT`,
    image: `${prefix}_IMAGE`,
    debug: `${prefix}_DEBUG`,
    ...definition.variables,
  };
  const registries = Object.entries(definition.registries ?? {}).map(([server, keys]) => ({ server, username: keys.username, password: keys.password }));
  const named: Array<[string, string]> = [
    ...Object.entries(variables).map(([role, variable]) => [`variables.${role}`, variable] as [string, string]),
    ...registries.flatMap((r) => [[`registries["${r.server}"].username`, r.username], [`registries["${r.server}"].password`, r.password]] as Array<[string, string]>),
  ];
  for (const [where, variable] of named) {
    if (!VARIABLE_NAME.test(variable)) problems.push(`${where}: ${JSON.stringify(variable)} is not a variable name (letters, digits and '_', not starting with a digit)`);
  }
  const seen = new Map<string, string>();
  for (const [where, variable] of named) {
    const first = seen.get(variable);
    if (first) problems.push(`${where} and ${first} are both ${variable}: each role needs its own variable`);
    else seen.set(variable, where);
  }
  if (problems.length > 0) throw new Error(`the project definition${name ? ` ${name}` : ''}: ${problems.join('; ')}`);
  return {
    name,
    environments: definition.environments,
    build: definition.build,
    defaultEnvironment: defaultEnvironment!,
    envDir: definition.envDir ?? 'env',
    variables,
    registries,
    guardRailExceptions: definition.guardRailExceptions ?? { notSecret: [], inBothLayers: [] },
    synthKeys: { hashKey: variables.hashKey, registries },
    customResourceSchemas: definition.customResourceSchemas ?? [],
    settings: definition.settings,
  };
}

/**
 * The environments `value` (the project's environment variable) selects: names, comma-separated,
 * or `all`; unset or blank, the default environment.
 */
export function selectedEnvironments(project: Project<any>, value: string | undefined): string[] {
  return selectEnvironments(value, Object.keys(project.environments), project.defaultEnvironment, project.variables.environment);
}

/** Whether the project's debug variable asks for stack traces. */
export function debugRequested(project: Project<any>, processEnv: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(processEnv[project.variables.debug]);
}
