import { Testing } from 'cdk8s';
import { addNamespace } from '../../lib/synth/pipeline';
import { TaskApiApp, TaskApiAppProps } from '../../lib/constructs/task-api-app';
import { findObject, testTaskApiProps } from '../support';
import { eventually, getJson, kubectl, KubectlResult, kubectlOk } from './support';

const RESTRICTED_REFUSAL = 'violates PodSecurity "restricted:v1.32"';

/** The Task API as the pipeline builds it, with its Namespace, for namespace `name`. */
function taskApiIn(name: string, overrides: Partial<TaskApiAppProps> = {}): any[] {
  const chart = Testing.chart();
  new TaskApiApp(chart, 'TaskApi', testTaskApiProps({ namespace: name, ...overrides }));
  addNamespace(chart, name);
  return Testing.synth(chart);
}

/** Applies the Namespace first (as dist/'s 0-namespace file is), then the rest. */
function apply(namespace: string, objects: readonly any[]): KubectlResult {
  const namespaces = objects.filter((o) => o.kind === 'Namespace');
  if (namespaces.length > 0 && namespaces.length < objects.length) {
    const first = apply(namespace, namespaces);
    if (first.status !== 0) return first;
    const rest = apply(namespace, objects.filter((o) => o.kind !== 'Namespace'));
    return { ...rest, stderr: first.stderr + rest.stderr };
  }
  return kubectl(['apply', '--server-side', '-n', namespace, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
}

/** Applies and returns kubectl's warnings; throws with its stderr when the apply fails. */
function applyOk(namespace: string, objects: readonly any[]): string {
  const result = apply(namespace, objects);
  if (result.status !== 0) throw new Error(`kubectl apply exited ${result.status}: ${result.stderr}`);
  return result.stderr;
}

function podsOf(namespace: string, deployment: any): Promise<any[]> {
  const selector = Object.entries(deployment.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
  return eventually(`the pods of Deployment ${deployment.metadata.name} in ${namespace}`, () => {
    const items = getJson(['pods', '-n', namespace, '-l', selector]).items;
    return items.length >= deployment.spec.replicas ? items : undefined;
  });
}

const ROOT: Partial<TaskApiAppProps> = {
  securityContext: { ensureNonRoot: false, user: 0 },
  podSecurityContext: { ensureNonRoot: false, user: 0 },
  relaxPodSecurity: { level: 'baseline', reason: 'the vendor image needs root' },
};

describe('Pod Security admission on a real API server', () => {
  test('the restricted Namespace admits the pods the ReplicaSet controller makes for the Task API', async () => {
    const objects = taskApiIn('psa-restricted');
    expect(applyOk('psa-restricted', objects)).not.toContain('PodSecurity');
    const pods = await podsOf('psa-restricted', findObject(objects, 'Deployment', 'task-api'));
    expect(pods.map((pod) => pod.metadata.ownerReferences[0].kind)).toEqual(pods.map(() => 'ReplicaSet'));
  });

  test('a pod that breaks restricted is refused in that Namespace, naming the pinned policy version', async () => {
    applyOk('psa-restricted', [findObject(taskApiIn('psa-restricted'), 'Namespace', 'psa-restricted')]);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'runs-as-root' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } };
    const result = kubectl(['apply', '-n', 'psa-restricted', '-f', '-'], JSON.stringify(pod));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(RESTRICTED_REFUSAL);
    expect(result.stderr).toMatch(/runAsNonRoot|allowPrivilegeEscalation|seccompProfile/);
  });

  test('relaxPodSecurity at baseline: its Namespace admits the root pods and still warns at restricted', async () => {
    const objects = taskApiIn('psa-baseline', ROOT);
    expect(findObject(objects, 'Namespace', 'psa-baseline').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(applyOk('psa-baseline', objects)).toContain('would violate PodSecurity "restricted:v1.32"');
    const pods = await podsOf('psa-baseline', findObject(objects, 'Deployment', 'task-api'));
    expect(pods[0].spec.securityContext.runAsUser).toBe(0);
  });

  test('the same root workload in a Namespace left at restricted gets no pods: the ReplicaSet is refused', async () => {
    const objects = taskApiIn('psa-root-in-restricted', ROOT).map((o) => o.kind !== 'Namespace' ? o : {
      ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
    applyOk('psa-root-in-restricted', objects);
    const failure = await eventually('a ReplicaFailure condition on the ReplicaSet', () => {
      const replicaSets = getJson(['replicasets', '-n', 'psa-root-in-restricted']).items;
      return replicaSets[0]?.status?.conditions?.find((c: any) => c.type === 'ReplicaFailure');
    });
    expect(failure).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(failure.message).toContain(RESTRICTED_REFUSAL);
    expect(getJson(['pods', '-n', 'psa-root-in-restricted']).items).toEqual([]);
  });
});

describe('the kubectl the cluster tests use', () => {
  test('is the one built with the API server: same version', () => {
    const version = JSON.parse(kubectlOk(['version', '-o', 'json']));
    expect(version.clientVersion.gitVersion).toBe(version.serverVersion.gitVersion);
  });
});
