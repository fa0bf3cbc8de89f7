// A fleet: the Task API reused for many services, as a platform team would. `npm run bench` times
// it for 10, 100 and 1000 services to check that synthesis stays linear.
//
// cdk8s resolves and validates the whole App for every Chart it renders, so an App of N Charts
// costs N². Here every environment is one App with one Chart, and the services are constructs
// inside it: N services cost N.
import { validateObjects } from '../lib/validate';
import { readFileSync } from 'fs';
import { App, Chart } from 'cdk8s';
import { SynthOptions, synthEnvironments, taskApiProps } from '../main';
import { ENVIRONMENTS, selectEnvironments } from '../lib/environments';
import { manifestFiles, writeEnvironment } from '../lib/output';
import { TaskApiApp } from '../lib/task-api-app';

/** One environment of the fleet, synthesized. */
export interface SynthesizedFleet {
  readonly environment: string;
  readonly services: readonly TaskApiApp[];
  /** The Kubernetes objects of every service, as JSON. */
  readonly objects: any[];
}

/** `count` service names: svc-0001, svc-0002, … */
export function fleetServiceNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `svc-${String(i + 1).padStart(4, '0')}`);
}

/**
 * Synthesizes every service in each named environment: one Chart per environment, one
 * TaskApiApp per service, named after the service, in its own namespace `<service>-<environment>`.
 * The environment's layers are the ones `npm run synth` resolves (synthEnvironments, which also
 * reports the problems of every environment before anything is built), so every service gets the
 * environment's configuration and secrets. Yields one environment at a time, so that a caller
 * that writes and drops each keeps one environment's objects in memory, not all of them.
 */
export function* synthFleet(environments: readonly string[], services: readonly string[], options: SynthOptions): Generator<SynthesizedFleet> {
  const settingsOf = options.environments ?? ENVIRONMENTS;
  for (const { environment, layers, taskApi } of synthEnvironments(environments, options)) {
    const chart = new Chart(new App(), environment);
    const props = taskApiProps(settingsOf[environment], layers, taskApi.layers.secretBackend);
    const apps = services.map((name) => new TaskApiApp(chart, name, { ...props, name, namespace: `${name}-${environment}` }));
    const objects = chart.toJson();
    // As synth does: nothing is written that the API server would reject.
    const problems = validateObjects(objects);
    if (problems.length > 0) throw new Error(problems.map((problem) => `${environment}: ${problem}`).join('\n'));
    yield { environment, services: apps, objects };
  }
}

/**
 * The fleet program the bench runs (bench/fleet-program.ts), in a folder holding env/ and
 * fleet.json (`{"services": ["svc-0001", …]}`): writes dist/<environment>/ for TASK_API_ENV, as
 * `npm run synth` does.
 */
export function runFleetProgram(): void {
  const { services } = JSON.parse(readFileSync('fleet.json', 'utf8')) as { services: string[] };
  const environments = selectEnvironments(process.env.TASK_API_ENV, Object.keys(ENVIRONMENTS));
  for (const { environment, objects } of synthFleet(environments, services, { envDir: 'env', processEnv: process.env })) {
    writeEnvironment('dist', environment, manifestFiles(objects));
    console.log(`${environment}: ${services.length} services, ${objects.length} objects written to dist/${environment}/`);
  }
}
