import { byCodeUnits } from './content-hash';
import { existsSync } from 'fs';
import { dirname, join } from 'path';
import { EnvEntry, readEnvFile } from './env-file';
import type { ResolvedValue } from './provenance';
import {
  GuardRailExceptions, guardRailProblems, layerSizeProblems, notInDefaultsWarnings, reservedNameProblems, runtimeVariableWarnings,
} from './guard-rails';

/** The variables holding one registry's credentials (for ghcr.io, say, a user name and a token variable). */
export interface RegistryCredentialKeys {
  /** The registry, as `kubectl create secret docker-registry --docker-server` takes it. */
  readonly server: string;
  readonly username: string;
  readonly password: string;
}

/**
 * Keys a secrets file (or the process environment) may hold for synth itself, named by the
 * project. They are consumed by synth and never given to a container.
 */
export interface SynthKeys {
  /** The key of the HMAC over Secret data. */
  readonly hashKey: string;
  /** Registry credentials: one account may serve every environment. */
  readonly registries: readonly RegistryCredentialKeys[];
}

/** Every key of `keys`: the hash key and each registry's two. */
export function synthOnlyKeys(keys: SynthKeys): string[] {
  return [keys.hashKey, ...registryVariables(keys)];
}

/** The registries' credential variables. */
export function registryVariables(keys: SynthKeys): string[] {
  return keys.registries.flatMap((registry) => [registry.username, registry.password]);
}

export type { ResolvedValue, Source } from './provenance';

/** An environment's configuration after the layers are merged. */
export interface ResolvedLayers {
  readonly environment: string;
  /** Layers 1 and 2 merged (ConfigMap), sorted by key. */
  readonly config: readonly ResolvedValue[];
  /** Layer 3 (Secret), sorted by key, without the synth-only keys. */
  readonly secrets: readonly ResolvedValue[];
  /** Key of the HMAC over the Secret data. */
  readonly hashKey: string;
  /** Where the hash key came from: `file:line` or `$<hash key variable>` ('' with `secretsInCluster`). */
  readonly hashKeyAt: string;
  /** Registry credentials by server, for the registries whose two values are both given. */
  readonly registries: Readonly<Record<string, { readonly username: string; readonly password: string }>>;
  /** The secrets-layer keys (synth-only ones included) whose value came from the process environment. */
  readonly fromProcessEnv: readonly string[];
  /** What the env files' lines mean elsewhere (kubectl, older clusters): worth a look, not errors. */
  readonly warnings: readonly string[];
  /**
   * With `secretsInCluster`: the app Secret's keys (the `.example` file's, synth-only ones left
   * out), whose values the cluster fetches. `secrets` is then empty and `hashKey` ''.
   */
  readonly externalSecretKeys?: readonly string[];
}

/** The parsed inputs of one environment. */
export interface LayerInputs {
  readonly environment: string;
  /** The keys synth itself consumes. */
  readonly synthKeys: SynthKeys;
  /** Layer 1: `<env folder>/defaults.env`. */
  readonly defaults: readonly EnvEntry[];
  /** Layer 2: `<env folder>/<environment>.env`. */
  readonly environmentFile: readonly EnvEntry[];
  /** Layer 3: `<env folder>/<environment>.secrets.env`; undefined when the file does not exist. */
  readonly secretsFile?: readonly EnvEntry[];
  /** Keys the secrets layer must hold: those of `<env folder>/<environment>.secrets.env.example`. */
  readonly requiredSecrets: readonly string[];
  /**
   * The `.example` file's entries, for messages about a key only the `.example` names (its value
   * coming from the process environment or the cluster).
   * @default - such messages name the `.example` file without a line
   */
  readonly example?: readonly EnvEntry[];
  /** Where the secrets file is (or would be), for messages. */
  readonly secretsPath: string;
  /** Whether missing registry credentials are an error. */
  readonly requireRegistryCredentials: boolean;
  /** Exceptions to the guard rails. @default none */
  readonly exceptions?: GuardRailExceptions;
  /**
   * Whether the secret values stay out of synth (the external secret backend): then no secret is
   * read from the secrets file or the process environment, none is required, and only the keys
   * of the `.example` file are used.
   * @default false
   */
  readonly secretsInCluster?: boolean;
}

/**
 * Merges the three layers of one environment. Pure: the process environment is an argument.
 *
 * Layer 3 takes each key from the secrets file, and from the process environment the keys the
 * file does not hold (so CI, with no file, can inject secrets). A key in both must hold the same
 * value in both: a variable left in a shell or set by CI for its own use (CI systems export a
 * token of their own) must not silently replace the file's value, nor the file silently ignore the
 * variable, so different values are an error naming both places. An empty variable is a value
 * too. Only keys that the `.example` file or the secrets file names, and the synth-only keys,
 * are read from the process environment.
 *
 * All problems of the environment are reported in one error, one per line: credentials in a
 * ConfigMap layer, keys in both layers, names the cluster owns, a key with two values, data over
 * the API server's size limit, and every missing or empty secret. What deserves a look but may
 * be meant (a key the defaults lack, a name a runtime executes) goes to `warnings`.
 */
export function resolveLayers(
  inputs: LayerInputs,
  processEnv: Readonly<Record<string, string | undefined>>,
): ResolvedLayers {
  const config = new Map<string, ResolvedValue>();
  for (const [layer, entries] of [['defaults', inputs.defaults], ['environment', inputs.environmentFile]] as const) {
    for (const entry of entries) {
      const previous = config.get(entry.key);
      config.set(entry.key, {
        key: entry.key,
        value: entry.value,
        source: { layer, at: `${entry.file}:${entry.line}` },
        overrides: previous ? [...previous.overrides, previous.source] : [],
      });
    }
  }

  const configEntries = [...inputs.defaults, ...inputs.environmentFile];
  const synthOnly = synthOnlyKeys(inputs.synthKeys);
  const hashKeyVariable = inputs.synthKeys.hashKey;
  const exceptions = inputs.exceptions ?? { notSecret: [], inBothLayers: [] };
  // A key the .example does not list is a typo or, worse, a line of an unquoted multi-line value
  // that happens to hold '=': its text may be secret, so the message gives the line only, and the
  // entry goes no further (no warning, no 'missing or empty' message names it).
  const listed = (entry: EnvEntry) =>
    inputs.requiredSecrets.length === 0 || inputs.requiredSecrets.includes(entry.key) || synthOnly.includes(entry.key);
  // Every key where it is written: a key only the .example names (its value from the process
  // environment, or the cluster's store) at its .example line (line 0, unknown, for inputs built
  // without the .example's entries).
  const fileKeys = new Set((inputs.secretsFile ?? []).map((entry) => entry.key));
  const exampleOnly = (inputs.example ?? inputs.requiredSecrets.map((key) => ({ key, value: '', file: `${inputs.secretsPath}.example`, line: 0, notes: [], valueNotes: [] })))
    .filter((entry) => inputs.secretsInCluster || !fileKeys.has(entry.key));
  const named = [...configEntries, ...(inputs.secretsInCluster ? [] : (inputs.secretsFile ?? []).filter(listed)), ...exampleOnly];
  const warnings = [
    ...configEntries.flatMap((entry) => [...entry.notes, ...entry.valueNotes]),
    ...(inputs.secretsFile ?? []).filter(listed).flatMap((entry) => entry.notes),
    ...notInDefaultsWarnings(inputs.defaults, inputs.environmentFile, defaultsPathOf(inputs), exceptions),
    ...runtimeVariableWarnings(named, exceptions),
  ];
  const nameProblems = reservedNameProblems(named);

  if (inputs.secretsInCluster) {
    const keys = inputs.requiredSecrets.filter((key) => !synthOnly.includes(key));
    const problems = [
      ...guardRailProblems(configEntries, new Set(keys), `${inputs.secretsPath}.example`, exceptions),
      ...nameProblems,
      ...layerSizeProblems(inputs.environment, sortByKey([...config.values()]), []),
    ];
    if (keys.length === 0) {
      problems.push(`${inputs.environment}: the external secret backend takes the secret keys from ${inputs.secretsPath}.example, which lists none`);
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
    return {
      environment: inputs.environment,
      config: sortByKey([...config.values()]),
      secrets: [],
      hashKey: '',
      hashKeyAt: '',
      registries: {},
      fromProcessEnv: [],
      warnings,
      externalSecretKeys: keys,
    };
  }

  const secretsFile = (inputs.secretsFile ?? []).filter(listed);
  const unlisted = (inputs.secretsFile ?? []).filter((entry) => !listed(entry))
    .map((entry) => `${entry.file}:${entry.line}: this key is not listed in ${inputs.secretsPath}.example: ` +
      'a typo, or a line of an unquoted multi-line value? (quote such values; list new keys in the .example)');

  const secretLayer = new Map<string, ResolvedValue>();
  for (const entry of secretsFile) {
    secretLayer.set(entry.key, { key: entry.key, value: entry.value, source: { layer: 'secrets', at: `${entry.file}:${entry.line}` }, overrides: [] });
  }
  const twoValues: string[] = [];
  const lookedUp = new Set([...inputs.requiredSecrets, ...secretLayer.keys(), ...synthOnly]);
  for (const key of lookedUp) {
    // Own keys only: a key such as `toString` must not find Object.prototype's.
    const value = Object.hasOwn(processEnv, key) ? processEnv[key] : undefined;
    if (value === undefined) continue;
    const inFile = secretLayer.get(key);
    if (!inFile) {
      secretLayer.set(key, { key, value, source: { layer: 'process-env', at: `$${key}` }, overrides: [] });
    } else if (inFile.value !== value) {
      twoValues.push(
        `${inFile.source.at}: ${key}: $${key} is set in the process environment too, to a different value; ` +
        `unset $${key} to use this line, or delete this line to use $${key}`);
    }
    // The same value in both: the file stays its source.
  }

  const secretValues = sortByKey([...secretLayer.values()].filter((value) => !synthOnly.includes(value.key)));
  // What is only a warning in a ConfigMap layer may silently change a secret: an error here.
  const ambiguousSecrets = secretsFile.flatMap((entry) => entry.valueNotes.map((note) => `${note} (in a secrets file this is an error: a secret must reach the Secret exactly as written)`));
  const problems = [...unlisted, ...ambiguousSecrets, ...twoValues, ...guardRailProblems(
    configEntries,
    new Set([...secretLayer.keys()].filter((key) => !synthOnly.includes(key))),
    inputs.secretsPath,
    exceptions,
  ), ...nameProblems, ...layerSizeProblems(inputs.environment, sortByKey([...config.values()]), secretValues)];
  // Every key of the secrets layer must have a value: an empty secret is always a mistake.
  const required = [...inputs.requiredSecrets, ...secretLayer.keys(), hashKeyVariable];
  if (inputs.requireRegistryCredentials) required.push(...registryVariables(inputs.synthKeys));
  const missing = [...new Set(required)].filter((key) => (secretLayer.get(key)?.value ?? '') === '');
  if (missing.length > 0) {
    problems.push(
      `${inputs.environment}: missing or empty secrets: ${missing.join(', ')}. ` +
      `Put them in ${inputs.secretsPath} (start from a copy of ${inputs.secretsPath}.example; or, synthesizing this environment alone, set them as environment variables).`,
    );
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));

  const registries: Record<string, { username: string; password: string }> = {};
  for (const registry of inputs.synthKeys.registries) {
    const username = secretLayer.get(registry.username)?.value;
    const password = secretLayer.get(registry.password)?.value;
    if (username && password) registries[registry.server] = { username, password };
  }
  return {
    environment: inputs.environment,
    config: sortByKey([...config.values()]),
    secrets: secretValues,
    hashKey: secretLayer.get(hashKeyVariable)!.value,
    hashKeyAt: secretLayer.get(hashKeyVariable)!.source.at,
    registries,
    fromProcessEnv: [...secretLayer.values()].filter((v) => v.source.layer === 'process-env').map((v) => v.key),
    warnings,
  };
}

/**
 * Reads an environment's env files from `envDir` (see LayerInputs for which). With
 * `secretsInCluster` (the external backend) or `withoutSecretValues` the secrets file is not even
 * read: synth needs none.
 */
export function readLayerInputs(
  envDir: string,
  environment: string,
  options: Pick<LayerInputs, 'synthKeys' | 'requireRegistryCredentials' | 'exceptions' | 'secretsInCluster'> & {
    /** Read no secrets file (a plan without secret values): `secretsFile` is then undefined. @default false */
    readonly withoutSecretValues?: boolean;
  },
): LayerInputs {
  const { withoutSecretValues, ...layerOptions } = options;
  const secretsPath = join(envDir, `${environment}.secrets.env`);
  const examplePath = `${secretsPath}.example`;
  const defaults = readEnvFile(join(envDir, 'defaults.env'));
  const environmentFile = readEnvFile(join(envDir, `${environment}.env`));
  const example = existsSync(examplePath) ? readEnvFile(examplePath) : [];
  const knownKeys = [...example.map((entry) => entry.key), ...synthOnlyKeys(options.synthKeys)];
  const secretsFile = !options.secretsInCluster && !withoutSecretValues && existsSync(secretsPath)
    ? readEnvFile(secretsPath, { sensitive: true, knownKeys }) : undefined;
  return {
    ...layerOptions,
    environment,
    defaults,
    environmentFile,
    secretsFile,
    requiredSecrets: example.map((entry) => entry.key),
    example,
    secretsPath,
  };
}

/** Where the defaults are, for messages: beside the environment file. */
function defaultsPathOf(inputs: LayerInputs): string {
  return inputs.defaults[0]?.file ?? join(dirname(inputs.environmentFile[0]?.file ?? inputs.secretsPath), 'defaults.env');
}

/** The values as a key → value record. */
export function valuesOf(values: readonly ResolvedValue[]): Record<string, string> {
  return Object.fromEntries(values.map((value) => [value.key, value.value]));
}

function sortByKey(values: ResolvedValue[]): ResolvedValue[] {
  return values.sort((a, b) => byCodeUnits(a.key, b.key));
}
