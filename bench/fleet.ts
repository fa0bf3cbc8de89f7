// A fleet: the Task API reused for many services, as a platform team would. `npm run bench` times
// it for 10, 100 and 1000 services to check that synthesis stays linear.
//
// cdk8s resolves and validates the whole App for every Chart it renders, so an App of N Charts
// costs N². Here every environment is one App with one Chart, and the services are constructs
// inside it: N services cost N.
import { readFileSync } from 'fs';
import * as kplus from 'cdk8s-plus-27';
import { defineProject, SynthOptions, synthEnvironments, TaskApiApp } from '../lib';
import { selectedEnvironments } from '../lib/project';
import { manifestFiles, writeEnvironment } from '../lib/synth/output';
import { project, TASK_API, taskApiProps } from '../main';

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
 * It is the pipeline `npm run synth` runs (synthEnvironments: resolution, problems of every
 * environment reported before anything is built, validation) with a builder of its own, so every
 * service gets the environment's configuration and secrets.
 */
export function synthFleet(environments: readonly string[], services: readonly string[], options: SynthOptions): SynthesizedFleet[] {
  const apps = new Map<string, TaskApiApp[]>();
  const fleet = defineProject({
    ...TASK_API,
    build: (chart, context) => {
      const props = taskApiProps(context);
      apps.set(context.environment, services.map((name) => {
        const namespace = `${name}-${context.environment}`;
        new kplus.Namespace(chart, `${name}-namespace`, { metadata: { name: namespace } });
        return new TaskApiApp(chart, name, { ...props, name, namespace });
      }));
    },
  });
  const synthesized = synthEnvironments(fleet, environments, options);
  return synthesized.map(({ environment, objects }) => ({ environment, services: apps.get(environment) ?? [], objects }));
}

/**
 * The fleet program the bench runs (bench/fleet-program.ts), in a folder holding env/ and
 * fleet.json (`{"services": ["svc-0001", …]}`): writes dist/<environment>/ for TASK_API_ENV, as
 * `npm run synth` does.
 */
export function runFleetProgram(): void {
  const { services } = JSON.parse(readFileSync('fleet.json', 'utf8')) as { services: string[] };
  const environments = selectedEnvironments(project, process.env[project.variables.environment]);
  for (const { environment, objects } of synthFleet(environments, services, { processEnv: process.env })) {
    writeEnvironment('dist', environment, manifestFiles(objects));
    console.log(`${environment}: ${services.length} services, ${objects.length} objects written to dist/${environment}/`);
  }
}
