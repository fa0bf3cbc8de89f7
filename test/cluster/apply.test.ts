import { decodeData, fakeSecrets } from '../support';
import { Backend, eventually, getJson, kubectl, kubectlOk, objectsIn, synthProject } from './support';

const ENVIRONMENTS = ['dev', 'staging', 'production'];
const BACKENDS: Backend[] = ['plain', 'sealed', 'external'];
const CASES = ENVIRONMENTS.flatMap((environment) => BACKENDS.map((backend) => [environment, backend] as const));

describe('the synthesized manifests on a real API server', () => {
  test.each(CASES)('%s with the %s backend: kubectl apply --server-side accepts dist/, and applying it again changes nothing', (environment, backend) => {
    const dist = synthProject(environment, backend);
    const kinds = objectsIn(dist).map((o) => o.kind);
    expect(kinds).toContain(backend === 'plain' ? 'Secret' : backend === 'sealed' ? 'SealedSecret' : 'ExternalSecret');

    const applied = kubectlOk(['apply', '--server-side', '-f', dist]);
    expect(applied.trim().split('\n')).toHaveLength(kinds.length);

    // kubectl diff exits 0 when the server's objects already are what the files say, 1 when not.
    const diff = kubectl(['diff', '--server-side', '-f', dist]);
    expect({ status: diff.status, stdout: diff.stdout, stderr: diff.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  test.each(ENVIRONMENTS)('%s: client-side kubectl apply accepts dist/ too, and a second one changes nothing', (environment) => {
    const dist = synthProject(environment, 'plain');
    kubectlOk(['apply', '-f', dist]);
    const diff = kubectl(['diff', '-f', dist]);
    expect({ status: diff.status, stdout: diff.stdout }).toEqual({ status: 0, stdout: '' });
  });

  test('the real Sealed Secrets controller unseals what synth sealed with its certificate', async () => {
    const dist = synthProject('staging', 'sealed');
    const sealed = objectsIn(dist).find((o) => o.kind === 'SealedSecret' && o.metadata.name.startsWith('task-api-secrets'));
    // The plain backend's Secret of the same name (applied above) is one the controller will not
    // take over (it is not owned by the SealedSecret): start from neither.
    for (const kind of ['secret', 'sealedsecret']) kubectlOk(['delete', kind, sealed.metadata.name, '-n', sealed.metadata.namespace, '--ignore-not-found', '--wait']);
    kubectlOk(['apply', '--server-side', '-f', dist]);
    const secret = await eventually(`the Secret the controller makes of SealedSecret ${sealed.metadata.name}`,
      () => getJson(['secret', sealed.metadata.name, '-n', sealed.metadata.namespace]));
    expect(secret.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'SealedSecret', name: sealed.metadata.name })]);
    const fake = fakeSecrets('staging');
    expect(decodeData(secret)).toMatchObject({ DATABASE_PASSWORD: fake.DATABASE_PASSWORD, WEBHOOK_SECRET: fake.WEBHOOK_SECRET });
  });

  test.each(ENVIRONMENTS)('%s: the ReplicaSet controller creates the Task API pods and restricted admission lets them in', async (environment) => {
    const dist = synthProject(environment, 'plain');
    kubectlOk(['apply', '--server-side', '-f', dist]);
    const deployment = objectsIn(dist).find((o) => o.kind === 'Deployment' && o.metadata.name === 'task-api');
    const namespace = deployment.metadata.namespace;
    const selector = Object.entries(deployment.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = await eventually(`${deployment.spec.replicas} task-api pods in ${namespace}`, () => {
      const items = getJson(['pods', '-n', namespace, '-l', selector]).items;
      return items.length >= deployment.spec.replicas ? items : undefined;
    });
    for (const pod of pods) {
      expect(pod.metadata.ownerReferences[0].kind).toBe('ReplicaSet');
      // No scheduler and no kubelet: admitted, then Pending forever.
      expect(pod.status.phase).toBe('Pending');
    }
    const labels = getJson(['namespace', namespace]).metadata.labels;
    expect(labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});
