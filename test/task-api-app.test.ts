import { Size, Testing } from 'cdk8s';
import { PlainSecretBackend } from '../lib/secrets/plain';
import { Cpu } from 'cdk8s-plus-27';
import { TaskApiApp, TaskApiAppProps } from '../lib/constructs/task-api-app';
import { synthEnvironments } from '../lib/synth/pipeline';
import { taskApiProps } from '../main';
import { committedEnvDir, findObject, findVersion, testTaskApiProps, taskApiProject } from './support';

function synth(overrides: Partial<TaskApiAppProps> = {}) {
  const resources = {
    cpu: { request: Cpu.millis(250), limit: Cpu.millis(1000) },
    memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
  };
  const chart = Testing.chart();
  new TaskApiApp(chart, 'TaskApi', testTaskApiProps({ resources, ...overrides }));
  return Testing.synth(chart);
}

describe('TaskApiApp', () => {
  test('puts everything in its namespace and leaves creating the Namespace to the environment', () => {
    const objects = synth();
    expect(objects.filter((o) => o.kind === 'Namespace')).toEqual([]);
    for (const object of objects) {
      expect(object.metadata.namespace).toBe('task-api-test');
    }
  });

  test('runs the image on port 8000 with resources and a non-root security context', () => {
    const container = findObject(synth(), 'Deployment', 'task-api').spec.template.spec.containers[0];
    expect(container.image).toBe('ghcr.io/example-org/task-api:1.0.0');
    expect(container.ports).toEqual([{ containerPort: 8000 }]);
    expect(container.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1000m', memory: '512Mi' } });
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  test('liveness and readiness are different HTTP probes: a dependency outage takes pods out of the Service without restarting them', () => {
    const container = findObject(synth(), 'Deployment', 'task-api').spec.template.spec.containers[0];
    expect(container.livenessProbe).toEqual({ httpGet: { path: '/livez', port: 8000, scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
    expect(container.readinessProbe).toEqual({ httpGet: { path: '/readyz', port: 8000, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2, successThreshold: 1 });
  });

  test('an HTTP startup probe on the liveness path allows two minutes to start before liveness counts', () => {
    const { startupProbe } = findObject(synth(), 'Deployment', 'task-api').spec.template.spec.containers[0];
    expect(startupProbe.httpGet).toEqual({ path: '/livez', port: 8000, scheme: 'HTTP' });
    expect(startupProbe.failureThreshold * startupProbe.periodSeconds).toBe(120);
    expect(startupProbe.timeoutSeconds).toBe(2);
  });

  test('the probe paths are set per app', () => {
    const container = findObject(synth({ livenessPath: '/healthz/live', readinessPath: '/healthz/ready', port: 9000 }), 'Deployment', 'task-api').spec.template.spec.containers[0];
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz/live', port: 9000 });
    expect(container.startupProbe.httpGet).toMatchObject({ path: '/healthz/live', port: 9000 });
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/healthz/ready', port: 9000 });
  });

  test('keeps 10 old ReplicaSets for rollbacks unless told otherwise, written out', () => {
    expect(findObject(synth(), 'Deployment', 'task-api').spec.revisionHistoryLimit).toBe(10);
    expect(findObject(synth({ revisionHistoryLimit: 3 }), 'Deployment', 'task-api').spec.revisionHistoryLimit).toBe(3);
  });

  test('a single pod gets no PodDisruptionBudget: one pod cannot stay available through its own eviction', () => {
    expect(synth({ replicas: 1 }).filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  test('several pods get a PodDisruptionBudget letting one at a time go, selecting exactly the Deployment\'s pods', () => {
    const objects = synth({ replicas: 3 });
    const budget = findObject(objects, 'PodDisruptionBudget', 'task-api');
    const deployment = findObject(objects, 'Deployment', 'task-api');
    expect(budget.apiVersion).toBe('policy/v1');
    expect(budget.metadata.namespace).toBe('task-api-test');
    expect(budget.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(deployment.spec.template.metadata.labels).toMatchObject(budget.spec.selector.matchLabels);
  });

  test('turns off service link variables, so only the layers configure the container', () => {
    expect(findObject(synth(), 'Deployment', 'task-api').spec.template.spec.enableServiceLinks).toBe(false);
  });

  test('the security context can be relaxed for an image that runs as root', () => {
    const deployment = findObject(synth({
      securityContext: { ensureNonRoot: false, readOnlyRootFilesystem: false },
      podSecurityContext: { ensureNonRoot: false },
      relaxPodSecurity: { level: 'baseline', reason: 'the image runs as root' },
    }), 'Deployment', 'task-api');
    expect(deployment.spec.template.spec.containers[0].securityContext).toMatchObject({ runAsNonRoot: false, readOnlyRootFilesystem: false });
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(false);
  });

  test('attaches the pull secret through imagePullSecrets when the image is on its registry', () => {
    const objects = synth({ registry: { server: 'ghcr.io', username: 'fake-user', password: 'fake-token' } });
    expect(findObject(objects, 'Secret', 'task-api-registry').type).toBe('kubernetes.io/dockerconfigjson');
    expect(findObject(objects, 'Deployment', 'task-api').spec.template.spec.imagePullSecrets).toEqual([{ name: 'task-api-registry' }]);
  });

  test('gives other workloads the pull secret for images on its registry only', () => {
    const chart = Testing.chart();
    const app = new TaskApiApp(chart, 'TaskApi', {
      namespace: 'task-api-test', image: 'ghcr.io/example-org/task-api:1.0.0', config: {}, secrets: {},
      secretBackend: new PlainSecretBackend({ hashKey: 'fake-hash-key' }), registry: { server: 'ghcr.io', username: 'fake-user', password: 'fake-token' },
    });
    expect(app.dockerRegistryAuthFor('ghcr.io/example-org/task-api-worker:1.0.0')?.name).toBe('task-api-registry');
    expect(app.dockerRegistryAuthFor('docker.io/library/postgres:16')).toBeUndefined();
    const withoutRegistry = new TaskApiApp(chart, 'Public', {
      name: 'public', namespace: 'task-api-test', image: 'ghcr.io/example-org/task-api:1.0.0', config: {}, secrets: {},
      secretBackend: new PlainSecretBackend({ hashKey: 'fake-hash-key' }),
    });
    expect(withoutRegistry.dockerRegistryAuthFor('ghcr.io/example-org/task-api:1.0.0')).toBeUndefined();
  });

  test('does not attach a pull secret for another registry', () => {
    const objects = synth({ image: 'docker.io/library/task-api:1', registry: { server: 'ghcr.io', username: 'fake-user', password: 'fake-token' } });
    expect(findObject(objects, 'Deployment', 'task-api').spec.template.spec.imagePullSecrets).toBeUndefined();
  });

  test('the Service sends port 80 to the pods on 8000, selected by the Deployment labels', () => {
    const objects = synth();
    const service = findObject(objects, 'Service', 'task-api');
    const deployment = findObject(objects, 'Deployment', 'task-api');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 8000 }]);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
  });
});

describe('TaskApiApps in an environment', () => {
  test('two apps in one namespace share the one Namespace the environment creates', () => {
    const project = taskApiProject({
      build: (chart, context) => {
        new TaskApiApp(chart, 'TaskApi', taskApiProps(context));
        new TaskApiApp(chart, 'Admin', { ...taskApiProps(context), name: 'task-api-admin' });
      },
    });
    const [synthesized] = synthEnvironments(project, ['dev'], { envDir: committedEnvDir(), processEnv: {} });
    const { objects } = synthesized;
    expect(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).toEqual(['task-api-dev']);
    for (const name of ['task-api', 'task-api-admin']) {
      expect(findObject(objects, 'Deployment', name).metadata.namespace).toBe('task-api-dev');
      expect(findVersion(objects, 'ConfigMap', `${name}-config`).metadata.namespace).toBe('task-api-dev');
    }
    // Each Service reaches its own app's pods only.
    expect(findObject(objects, 'Service', 'task-api-admin').spec.selector).toEqual(findObject(objects, 'Deployment', 'task-api-admin').spec.selector.matchLabels);
    expect(findObject(objects, 'Service', 'task-api').spec.selector).not.toEqual(findObject(objects, 'Service', 'task-api-admin').spec.selector);
    expect(synthesized.layeredConfigs.map((config) => config.configMapBaseName).sort()).toEqual(['task-api-admin-config', 'task-api-config']);
  });
});
