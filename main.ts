import { App, Chart } from 'cdk8s';
import { ENVIRONMENTS, EnvironmentSettings, selectEnvironments } from './lib/environments';
import { manifestFiles, writeEnvironment } from './lib/output';
import { readLayerInputs, REGISTRY_VARIABLES, resolveLayers, ResolvedLayers, valuesOf } from './lib/layers';
import { TaskApiApp, TaskApiAppProps } from './lib/task-api-app';

/** Where the inputs are and what the process environment holds. */
export interface SynthOptions {
  /** The folder holding defaults.env and the environments' env files. */
  readonly envDir: string;
  /** The process environment: secrets and registry credentials for CI. */
  readonly processEnv: Readonly<Record<string, string | undefined>>;
  /** The environments that exist. @default ENVIRONMENTS */
  readonly environments?: Readonly<Record<string, EnvironmentSettings>>;
}

/** One environment, synthesized. */
export interface SynthesizedEnvironment {
  readonly environment: string;
  readonly layers: ResolvedLayers;
  readonly taskApi: TaskApiApp;
  /** The Kubernetes objects, as JSON. */
  readonly objects: any[];
}

/** Builds one environment's Task API into `chart`. */
export function buildTaskApi(chart: Chart, settings: EnvironmentSettings, layers: ResolvedLayers): TaskApiApp {
  return new TaskApiApp(chart, 'TaskApi', taskApiProps(settings, layers));
}

/** An environment's settings and resolved layers as TaskApiApp props. */
export function taskApiProps(settings: EnvironmentSettings, layers: ResolvedLayers): TaskApiAppProps {
  return {
    namespace: settings.namespace,
    image: settings.image,
    replicas: settings.replicas,
    resources: settings.resources,
    config: valuesOf(layers.config),
    secrets: valuesOf(layers.secrets),
    hashKey: layers.hashKey,
    registry: layers.registry ? { username: layers.registry.username, password: layers.registry.password } : undefined,
  };
}

/**
 * Resolves and synthesizes the named environments, each in an App of its own (one Chart per
 * App keeps synthesis linear: cdk8s re-validates the whole App for every Chart).
 *
 * Every environment is resolved before anything is built, so that the problems of all of them
 * (say, the missing secrets of staging and of production) are reported together.
 */
export function synthEnvironments(names: readonly string[], options: SynthOptions): SynthesizedEnvironment[] {
  const environments = options.environments ?? ENVIRONMENTS;
  const problems: string[] = [];
  const resolved: ResolvedLayers[] = [];
  for (const name of names) {
    const settings = environments[name];
    try {
      resolved.push(resolveLayers(readLayerInputs(options.envDir, name, settings.requireRegistryCredentials), options.processEnv));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (names.length > 1) problems.push(...sharedProcessSecrets(resolved));
  if (problems.length > 0) throw new Error(problems.join('\n'));

  return resolved.map((layers) => {
    const chart = new Chart(new App(), layers.environment);
    const taskApi = buildTaskApi(chart, environments[layers.environment], layers);
    return { environment: layers.environment, layers, taskApi, objects: chart.toJson() };
  });
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
      `shares; synthesize one environment per run, or put them in env/${environment}.secrets.env`);
}

/**
 * `npm run synth` and `npx cdk8s synth`: synthesizes the environments in TASK_API_ENV
 * (comma-separated or `all`; default dev) into `$CDK8S_OUTDIR/<environment>/` (default dist),
 * replacing only those folders, and prints a summary. Returns the exit code.
 */
export function main(processEnv: Readonly<Record<string, string | undefined>>, log = console.log, fail = console.error): number {
  try {
    const names = selectEnvironments(processEnv.TASK_API_ENV, Object.keys(ENVIRONMENTS));
    const outdir = processEnv.CDK8S_OUTDIR || 'dist';
    const synthesized = synthEnvironments(names, { envDir: 'env', processEnv });
    for (const { environment, taskApi, objects } of synthesized) {
      const folder = writeEnvironment(outdir, environment, manifestFiles(objects));
      log(`${environment}: ${objects.length} objects written to ${folder}/`);
      log(`  configmap ${taskApi.layers.configMap.name}  ${taskApi.layers.configHash()}`);
      log(`  secret    ${taskApi.layers.secretName}  ${taskApi.layers.secretHash()}`);
    }
    return 0;
  } catch (error) {
    fail(`synth failed: ${(error as Error).message}`);
    if (processEnv.TASK_API_DEBUG) fail((error as Error).stack);
    return 1;
  }
}

/**
 * The synth program: what `node build/main.js` runs, and what the startup snapshot
 * (main-snapshot.ts) runs when it is deserialized.
 */
export function runSynthProgram(): void {
  process.exitCode = main(process.env);
}

if (require.main === module) runSynthProgram();
