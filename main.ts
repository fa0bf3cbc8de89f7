import { App, Chart } from 'cdk8s';
import { ENVIRONMENTS, EnvironmentSettings, GUARD_RAIL_EXCEPTIONS, selectEnvironments } from './lib/environments';
import { clientSideApplyWarnings, GuardRailExceptions } from './lib/guard-rails';
import { kindsInFolder, manifestFiles, outputFolder, recoverInterruptedSwap, writeEnvironment } from './lib/output';
import { failureLines } from './lib/terminal';
import { readLayerInputs, REGISTRY_TOKEN_VARIABLE, REGISTRY_VARIABLES, resolveLayers, ResolvedLayers, valuesOf } from './lib/layers';
import { TaskApiApp, TaskApiAppProps } from './lib/task-api-app';
import { chooseSecretBackend, loadSecretBackend, readSealingCertificate, SecretBackend, SecretBackendChoice, sharedSealingCertificate } from './lib/secret-backend';
import { join } from 'path';
import { validateObjects } from './lib/validate';

/** Where the inputs are and what the process environment holds. */
export interface SynthOptions {
  /** The folder holding defaults.env and the environments' env files. */
  readonly envDir: string;
  /** The process environment: secrets and registry credentials for CI. */
  readonly processEnv: Readonly<Record<string, string | undefined>>;
  /** The environments that exist. @default ENVIRONMENTS */
  readonly environments?: Readonly<Record<string, EnvironmentSettings>>;
  /** Exceptions to the guard rails. @default GUARD_RAIL_EXCEPTIONS */
  readonly exceptions?: GuardRailExceptions;
  /**
   * Where earlier output is (`<outdir>/<environment>/`): sealed environments keep the ciphertext
   * of every value that has not changed.
   * @default - none: every value is sealed afresh
   */
  readonly outdir?: string;
}

/** One environment, synthesized. */
export interface SynthesizedEnvironment {
  readonly environment: string;
  readonly layers: ResolvedLayers;
  readonly taskApi: TaskApiApp;
  /** The Kubernetes objects, as JSON. */
  readonly objects: any[];
  /** Things worth a look that do not stop synthesis (never holding a value). */
  readonly warnings: string[];
}

/** Builds one environment's Task API into `chart`. */
export function buildTaskApi(chart: Chart, settings: EnvironmentSettings, layers: ResolvedLayers, secretBackend?: SecretBackend): TaskApiApp {
  return new TaskApiApp(chart, 'TaskApi', taskApiProps(settings, layers, secretBackend));
}

/** An environment's settings, resolved layers and secret backend as TaskApiApp props. */
export function taskApiProps(settings: EnvironmentSettings, layers: ResolvedLayers, secretBackend?: SecretBackend): TaskApiAppProps {
  return {
    namespace: settings.namespace,
    image: settings.image,
    replicas: settings.replicas,
    resources: settings.resources,
    config: valuesOf(layers.config),
    secrets: valuesOf(layers.secrets),
    hashKey: layers.hashKey,
    registry: layers.registry ? { username: layers.registry.username, password: layers.registry.password } : undefined,
    secretBackend,
  };
}

/**
 * Resolves and synthesizes the named environments, each in an App of its own (one Chart per
 * App keeps synthesis linear: cdk8s re-validates the whole App for every Chart).
 *
 * Every environment is resolved before anything is built, so that the problems of all of them
 * (say, the missing secrets of staging and of production) are reported together. Every object
 * is then validated (lib/validate.ts), again reporting the problems of all environments together.
 */
export function synthEnvironments(names: readonly string[], options: SynthOptions): SynthesizedEnvironment[] {
  const environments = options.environments ?? ENVIRONMENTS;
  const problems: string[] = [];
  const resolved: ResolvedLayers[] = [];
  const backendChoices = new Map<string, SecretBackendChoice>();
  const backends = new Map<string, SecretBackend>();
  for (const name of names) {
    const settings = environments[name];
    try {
      const choice = chooseSecretBackend(name, settings, options.processEnv, options.envDir);
      backendChoices.set(name, choice);
      if (choice.kind === 'plain' && options.outdir) refuseGitTrackedFolder(join(options.outdir, name), name);
      const inputs = readLayerInputs(options.envDir, name, {
        requireRegistryCredentials: settings.requireRegistryCredentials,
        exceptions: options.exceptions ?? GUARD_RAIL_EXCEPTIONS,
        secretsInCluster: choice.kind === 'external',
      });
      const layers = resolveLayers(inputs, options.processEnv);
      resolved.push(layers);
      backends.set(name, loadSecretBackend(choice, {
        previousOutput: options.outdir && join(options.outdir, name),
        hashKey: layers.hashKey,
        externalKeys: layers.externalSecretKeys ?? [],
        pullSecret: settings.requireRegistryCredentials,
      }));
    } catch (error) {
      problems.push((error as Error).message);
      // So that a bad certificate is reported in the same run as missing secrets.
      const choice = backendChoices.get(name);
      if (choice?.kind === 'sealed') problems.push(...attempt(() => readSealingCertificate(choice.certificateFile)));
    }
  }
  if (names.length > 1) problems.push(...sharedProcessSecrets(resolved), ...sharedSealingCertificate(backendChoices));
  failOn(problems);

  const synthesized = resolved.map((layers) => {
    const chart = new Chart(new App(), layers.environment);
    const taskApi = buildTaskApi(chart, environments[layers.environment], layers, backends.get(layers.environment));
    const objects = chart.toJson();
    const warnings = [...layers.warnings, ...clientSideApplyWarnings(layers.environment, objects)];
    return { environment: layers.environment, layers, taskApi, objects, warnings };
  });
  // What the API server would reject is a synth error, not a surprise at `kubectl apply`.
  problems.push(...synthesized.flatMap(({ environment, objects }) => validateObjects(objects).map((problem) => `${environment}: ${problem}`)));
  failOn(problems);
  return synthesized;
}

/** The message of what `run` throws, if it throws. */
function attempt(run: () => unknown): string[] {
  try {
    run();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/**
 * A folder of SealedSecrets or ExternalSecrets may be committed (GitOps); plain Secrets written
 * over it (say, a TASK_API_SECRET_BACKEND=plain left over) would put secret values into git.
 */
function refuseGitTrackedFolder(folder: string, environment: string): void {
  const kinds = kindsInFolder(folder);
  if (kinds.has('sealedsecret') || kinds.has('externalsecret')) {
    throw new Error(
      `${environment}: ${folder}/ holds SealedSecrets or ExternalSecrets (it may be committed to git); plain ` +
      `Secrets written there would put secret values in it. Use that environment's backend, or delete ${folder}/ first.`);
  }
}

/** Throws one error holding every problem, each once (defaults.env is shared by all environments). */
function failOn(problems: readonly string[]): void {
  if (problems.length > 0) throw new Error([...new Set(problems.join('\n').split('\n'))].join('\n'));
}

/**
 * Process variables are not scoped by environment: a DATABASE_PASSWORD set for one run would
 * become the password of every environment it synthesizes. So with several environments
 * selected, only the registry credentials (one account can serve all) may come from there.
 */
function sharedProcessSecrets(resolved: readonly ResolvedLayers[]): string[] {
  return resolved
    .map((layers) => ({ environment: layers.environment, keys: layers.fromProcessEnv.filter((key) => !REGISTRY_VARIABLES.includes(key)) }))
    .filter(({ keys }) => keys.length > 0)
    .map(({ environment, keys }) =>
      `${environment}: ${keys.join(', ')} would come from the process environment, which every selected environment ` +
      `shares: unset them and use env/${environment}.secrets.env, or synthesize one environment per run`);
}

/**
 * `npm run synth` and `npx cdk8s synth`: synthesizes the environments in TASK_API_ENV
 * (comma-separated or `all`; default dev) into `$CDK8S_OUTDIR/<environment>/` (default dist),
 * replacing only those folders, and prints a summary. Returns the exit code.
 */
export function main(processEnv: Readonly<Record<string, string | undefined>>, log = console.log, fail = console.error): number {
  try {
    const names = selectEnvironments(processEnv.TASK_API_ENV, Object.keys(ENVIRONMENTS));
    const outdir = outputFolder(processEnv);
    for (const name of names) recoverInterruptedSwap(outdir, name);
    const synthesized = synthEnvironments(names, { envDir: 'env', processEnv, outdir });
    for (const warning of new Set(synthesized.flatMap((s) => s.warnings))) fail(`warning: ${warning}`);
    for (const { environment, taskApi, objects, layers } of synthesized) {
      const folder = writeEnvironment(outdir, environment, manifestFiles(objects));
      log(`${environment}: ${objects.length} objects written to ${folder}/`);
      log(`  configmap ${taskApi.layers.configMap.name}  ${taskApi.layers.configHash()}`);
      log(`  secret    ${taskApi.layers.secretName}  ${taskApi.secretSummary()}`);
      if (taskApi.pullSecret && layers.registry) {
        // Said out loud: dev takes a developer's own GITHUB_TOKEN from the shell when it is set.
        const from = layers.fromProcessEnv.includes(REGISTRY_TOKEN_VARIABLE) ? `$${REGISTRY_TOKEN_VARIABLE}` : `env/${environment}.secrets.env`;
        log(`  pull secret ${taskApi.pullSecret.secret.name}  token from ${from}`);
      }
    }
    return 0;
  } catch (error) {
    failureLines('synth', error, processEnv).forEach((line) => fail(line));
    return 1;
  }
}

/**
 * The synth program: what `node build/main.js` runs, and what `npm run synth` (scripts/synth.cjs)
 * calls after loading build/main.js.
 */
export function runSynthProgram(): void {
  process.exitCode = main(process.env);
}

if (require.main === module) runSynthProgram();
