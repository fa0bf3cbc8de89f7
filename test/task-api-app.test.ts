import { Size, Testing } from 'cdk8s';
import { PlainSecretBackend } from '../lib/secrets/plain';
import { Cpu } from 'cdk8s-plus-27';
import { TaskApiApp, TaskApiAppProps } from '../lib/constructs/task-api-app';
import { findObject } from './support';

function synth(overrides: Partial<TaskApiAppProps> = {}) {
  const resources = {
    cpu: { request: Cpu.millis(250), limit: Cpu.millis(1000) },
    memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
  };
  const chart = Testing.chart();
  new TaskApiApp(chart, 'TaskApi', {
    namespace: 'task-api-test',
    image: 'ghcr.io/example-org/task-api:1.0.0',
    config: { LOG_LEVEL: 'info' },
    secrets: { DATABASE_PASSWORD: 'fake-pw' },
    secretBackend: new PlainSecretBackend({ hashKey: 'fake-hash-key' }),
    resources,
    ...overrides,
  });
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

  test('runs the image on port 8000 with probes, resources and a non-root security context', () => {
    const container = findObject(synth(), 'Deployment', 'task-api').spec.template.spec.containers[0];
    expect(container.image).toBe('ghcr.io/example-org/task-api:1.0.0');
    expect(container.ports).toEqual([{ containerPort: 8000 }]);
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/health', port: 8000 });
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/health', port: 8000 });
    expect(container.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1000m', memory: '512Mi' } });
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
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
    const objects = synth({ registry: { username: 'fake-user', password: 'fake-token' } });
    expect(findObject(objects, 'Secret', 'task-api-registry').type).toBe('kubernetes.io/dockerconfigjson');
    expect(findObject(objects, 'Deployment', 'task-api').spec.template.spec.imagePullSecrets).toEqual([{ name: 'task-api-registry' }]);
  });

  test('does not attach a pull secret for another registry', () => {
    const objects = synth({ image: 'docker.io/library/task-api:1', registry: { username: 'fake-user', password: 'fake-token' } });
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
