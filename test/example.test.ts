import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { MIGRATION_COMMAND, projectWithWorker, WORKER_COMMAND } from '../examples/worker-and-migration';
import { CONFIG_HASH_ANNOTATION } from '../lib/constructs/layered-config';
import { SECRET_HASH_ANNOTATION } from '../lib/secrets/backend';
import { RELOADER_SECRETS_ANNOTATION } from '../lib/secrets/external';
import { manifestFiles } from '../lib/synth/output';
import { synthEnvironments, SynthesizedEnvironment } from '../lib/synth/pipeline';
import { explainEnvironment } from '../lib/review/explain';
import { planEnvironment, renderPlan } from '../lib/review/plan';
import { outputFor } from '../lib/terminal';
import { findKubectl, kubectl } from './kubectl';
import { committedEnvDir, fakeSecrets, findObject, findVersion } from './support';

const ENVIRONMENTS = ['dev', 'staging', 'production'];

function synth(environment: string, envDir = committedEnvDir(), processEnv: Record<string, string> = environment === 'dev' ? {} : fakeSecrets(environment)): SynthesizedEnvironment {
  return synthEnvironments(projectWithWorker, [environment], { envDir, processEnv })[0];
}

/** The migration Job: its name carries a content suffix, so it is found by what it runs. */
function migrationJob(objects: readonly any[]): any {
  const jobs = objects.filter((o) => o.kind === 'Job' && o.metadata.name.startsWith('task-api-migrate-'));
  expect(jobs.map((j) => j.metadata.name)).toEqual([expect.stringMatching(/^task-api-migrate-[0-9a-f]{10}$/)]);
  return jobs[0];
}

describe('examples/worker-and-migration.ts', () => {
  describe.each(ENVIRONMENTS)('in %s', (environment) => {
    test('synthesizes, through the pipeline, the Task API, a worker and a migration Job in the one Namespace', () => {
      const { objects } = synth(environment);
      const namespace = `task-api-${environment}`;
      expect(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).toEqual([namespace]);
      for (const object of [findObject(objects, 'Deployment', 'task-api'), findObject(objects, 'Deployment', 'task-api-worker'), migrationJob(objects)]) {
        expect(object.metadata.namespace).toBe(namespace);
      }
    });

    test('the worker and the Job carry the Task API\'s config and secret hashes on their own pod templates', () => {
      const { objects } = synth(environment);
      const api = findObject(objects, 'Deployment', 'task-api').spec.template;
      for (const template of [findObject(objects, 'Deployment', 'task-api-worker').spec.template, migrationJob(objects).spec.template]) {
        expect(template.metadata.annotations[CONFIG_HASH_ANNOTATION]).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(template.metadata.annotations[SECRET_HASH_ANNOTATION]).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
        expect(template.metadata.annotations).toEqual(api.metadata.annotations);
        expect(template.spec.containers[0].envFrom).toEqual(api.spec.containers[0].envFrom);
        expect(template.spec.containers[0].envFrom).toEqual([
          { configMapRef: { name: findVersion(objects, 'ConfigMap', 'task-api-config').metadata.name } },
          { secretRef: { name: findVersion(objects, 'Secret', 'task-api-secrets').metadata.name } },
        ]);
      }
    });

    test('both run the Task API image with the pull secret where the environment has one, under restricted Pod Security', () => {
      const { objects } = synth(environment);
      const namespace = findObject(objects, 'Namespace', `task-api-${environment}`);
      expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
      const api = findObject(objects, 'Deployment', 'task-api').spec.template.spec;
      for (const pod of [findObject(objects, 'Deployment', 'task-api-worker').spec.template.spec, migrationJob(objects).spec.template.spec]) {
        expect(pod.containers[0].image).toBe(api.containers[0].image);
        expect(pod.imagePullSecrets).toEqual(api.imagePullSecrets);
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true });
        expect(pod.enableServiceLinks).toBe(false);
      }
      expect(findObject(objects, 'Deployment', 'task-api').spec.template.spec.imagePullSecrets === undefined).toBe(environment === 'dev');
    });
  });

  test('the worker runs its command with no Service and no probes', () => {
    const { objects } = synth('dev');
    const worker = findObject(objects, 'Deployment', 'task-api-worker');
    const container = worker.spec.template.spec.containers[0];
    expect(container.command).toEqual(WORKER_COMMAND);
    expect(container.ports).toBeUndefined();
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) expect(container[probe]).toBeUndefined();
    const podLabels = worker.spec.template.metadata.labels;
    const selecting = objects.filter((o) => o.kind === 'Service' && Object.entries(o.spec.selector ?? {}).every(([k, v]) => podLabels[k] === v));
    expect(selecting).toEqual([]);
  });

  test('the migration Job runs once per content, three attempts at most, and is cleaned up a day after it finishes', () => {
    const job = migrationJob(synth('production').objects);
    expect(job.spec.template.spec.containers[0].command).toEqual(MIGRATION_COMMAND);
    expect(job.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 86400 });
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  test('the Job keeps its name while nothing changes, so kubectl apply leaves a finished Job alone', () => {
    const envDir = committedEnvDir();
    expect(migrationJob(synth('staging', envDir).objects).metadata.name).toBe(migrationJob(synth('staging', envDir).objects).metadata.name);
  });

  test('explain shows the worker\'s environment, each key traced to its env file', () => {
    const worker = explainEnvironment(synth('dev')).find((e) => e.workload === 'Deployment task-api-worker');
    expect(worker).toMatchObject({ container: 'worker', namespace: 'task-api-dev', problems: [] });
    const vars = Object.fromEntries(worker!.vars.map((v) => [v.name, v]));
    expect(vars.LOG_LEVEL).toMatchObject({ value: 'debug', from: expect.stringMatching(/dev\.env:\d+ \(environment\) via ConfigMap task-api-config-[0-9a-z]{10}$/) });
    expect(vars.DATABASE_PASSWORD).toMatchObject({ secret: true, from: expect.stringMatching(/dev\.secrets\.env:\d+ \(secrets\) via Secret task-api-secrets-[0-9a-z]{10}$/) });
    // The Task API's Service is in the same namespace; its link variables stay out.
    expect(Object.keys(vars).filter((name) => name.startsWith('TASK_API_SERVICE') || name === 'TASK_API_PORT')).toEqual([]);
  });

  test('plan says the API and the worker roll and the migration runs again after a config change', () => {
    const envDir = committedEnvDir();
    const before = synth('dev', envDir).objects;
    writeFileSync(join(envDir, 'dev.env'), readFileSync(join(envDir, 'dev.env'), 'utf8').replace('LOG_LEVEL=debug', 'LOG_LEVEL=info'));
    const after = synth('dev', envDir).objects;
    const plan = planEnvironment('dev', before, after);
    const [oldJob, newJob] = [migrationJob(before).metadata.name, migrationJob(after).metadata.name];
    expect(newJob).not.toBe(oldJob);
    const [oldConfig, newConfig] = [findVersion(before, 'ConfigMap', 'task-api-config').metadata.name, findVersion(after, 'ConfigMap', 'task-api-config').metadata.name];
    const reason = `ConfigMap task-api-config: new version ${newConfig} (was ${oldConfig}): changed LOG_LEVEL "debug" → "info"`;
    expect(plan.rollouts).toEqual(expect.arrayContaining([
      { workload: 'Deployment task-api', reasons: [reason] },
      { workload: 'Deployment task-api-worker', reasons: [reason] },
      { workload: `Job ${newJob}`, reasons: [reason], replaces: `Job ${oldJob}` },
    ]));
    const lines = renderPlan(plan, 'dist/dev', outputFor(false, {}));
    expect(lines).toContain('  Deployment task-api-worker will roll: its pod template changes');
    expect(lines).toContain(`  Job ${newJob} will run: it replaces Job ${oldJob}, whose spec differs`);
  });

  test('with the external backend, Reloader\'s annotation is on the worker and the Job themselves', () => {
    const { objects } = synth('production', committedEnvDir(), { TASK_API_SECRET_BACKEND: 'external' });
    for (const workload of [findObject(objects, 'Deployment', 'task-api'), findObject(objects, 'Deployment', 'task-api-worker'), migrationJob(objects)]) {
      expect(workload.metadata.annotations[RELOADER_SECRETS_ANNOTATION]).toBe('task-api-secrets');
    }
  });

  test('kubectl kustomize (go-yaml) reads the written files back to the same objects', () => {
    const { objects } = synth('production');
    const folder = mkdtempSync(join(tmpdir(), 'task-api-example-'));
    const files = manifestFiles(objects);
    for (const file of files) writeFileSync(join(folder, file.name), file.content);
    writeFileSync(join(folder, 'kustomization.yaml'), `resources:\n${files.map((f) => `- ${f.name}\n`).join('')}`);
    const read = parseAllDocuments(kubectl(findKubectl(), ['kustomize', folder])).map((d) => d.toJSON());
    for (const object of objects) expect(findObject(read, object.kind, object.metadata.name)).toEqual(object);
  });
});
