// A platform team's reuse of the Task API's constructs: next to the API, a queue worker and a
// database migration Job that read the same configuration and pull the same private image.
//
//   export const project = defineProject({ ...TASK_API, build: buildTaskApiWithWorker });
//
// in main.ts is all it takes: synth, --stdout, plan and explain all read that one definition.
// Everything comes from the public API (lib/index.ts): the environment's context (settings,
// resolved layers, secret backend, image) in, constructs out; the pipeline adds the Namespace,
// removes noise, validates and writes as it does for the Task API alone.
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { applyRestrictedPodSecurity, defineProject, EnvironmentBuilder, nameJobAfterContent, TaskApiApp } from '../lib';
import { TASK_API, TaskApiEnvironment, taskApiProps } from '../main';

/** The worker's command: consumes the Task API's queue; serves no HTTP. */
export const WORKER_COMMAND = ['python', '-m', 'task_api.worker'];
/** The migration's command: idempotent (a no-op at head), as a content-named Job needs. */
export const MIGRATION_COMMAND = ['alembic', 'upgrade', 'head'];

/**
 * The Task API, a worker Deployment and a migration Job, in the environment's namespace.
 *
 * The worker is a Deployment without Service or probes over HTTP: nothing connects to it, and
 * a stuck consumer is better caught by the queue's own metrics than by a probe that only proves
 * the process exists (the kubelet already restarts it when it exits).
 *
 * The migration Job is named after its content (nameJobAfterContent): a Job's pod template is
 * immutable, and with the restart hashes on it a fixed name would make the next `kubectl apply`
 * after a config or image change fail. A new name runs the migration again; an unchanged Job is
 * left alone. Three attempts at most (backoffLimit 2), ten minutes in all (activeDeadline), each
 * attempt a new pod whose logs stay (restartPolicy Never); a finished Job is deleted after a day
 * (ttlSecondsAfterFinished), long enough to read the logs of a failed run, short enough that old
 * Jobs do not pile up (`kubectl apply` deletes nothing).
 *
 * Both get the Task API's LayeredConfig (so both roll when it changes), its pull secret when the
 * image is on its registry, and the restricted Pod Security settings.
 */
export const buildTaskApiWithWorker: EnvironmentBuilder<TaskApiEnvironment> = (chart, context) => {
  const api = new TaskApiApp(chart, 'TaskApi', taskApiProps(context));
  const { resources } = context.settings;

  const workerLabels = { 'app.kubernetes.io/name': 'task-api-worker', 'app.kubernetes.io/part-of': 'task-api', 'app.kubernetes.io/component': 'worker' };
  const worker = new kplus.Deployment(chart, 'Worker', {
    metadata: { name: 'task-api-worker', namespace: api.namespace, labels: workerLabels },
    replicas: 1,
    select: false,
    podMetadata: { labels: workerLabels },
    dockerRegistryAuth: api.dockerRegistryAuthFor(api.image),
  });
  worker.select(kplus.LabelSelector.of({ labels: workerLabels }));
  const workerContainer = worker.addContainer({
    name: 'worker',
    image: api.image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: WORKER_COMMAND,
    resources,
  });
  api.layers.attachTo(worker, workerContainer);
  applyRestrictedPodSecurity(worker);

  const migrationLabels = { 'app.kubernetes.io/name': 'task-api-migrate', 'app.kubernetes.io/part-of': 'task-api', 'app.kubernetes.io/component': 'migration' };
  const migration = new kplus.Job(chart, 'Migration', {
    metadata: { name: 'task-api-migrate', namespace: api.namespace, labels: migrationLabels },
    podMetadata: { labels: migrationLabels },
    backoffLimit: 2,
    activeDeadline: Duration.minutes(10),
    ttlAfterFinished: Duration.days(1),
    dockerRegistryAuth: api.dockerRegistryAuthFor(api.image),
  });
  const migrationContainer = migration.addContainer({
    name: 'migrate',
    image: api.image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: MIGRATION_COMMAND,
    resources,
  });
  api.layers.attachTo(migration, migrationContainer);
  applyRestrictedPodSecurity(migration);
  nameJobAfterContent(migration);
};

/** The Task API's project with the worker and the migration. */
export const projectWithWorker = defineProject({ ...TASK_API, build: buildTaskApiWithWorker });
