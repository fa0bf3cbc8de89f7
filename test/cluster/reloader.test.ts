import { applyServerSide, deploymentSynced, dropNamespace, ReleaseProject, replicaSets } from './release-support';
import { eventually, getJson, kubectlOk } from './support';

const NAMESPACE = 'claims-reloader';

afterAll(() => dropNamespace(NAMESPACE));

describe('the external backend with the real Reloader', () => {
  test('a change of the data behind the ExternalSecret\'s Secret rolls the Deployment (a new ReplicaSet), through Reloader\'s annotation', async () => {
    const release = new ReleaseProject(NAMESPACE, 'external').release();
    applyServerSide(release.folder);
    const deployment = await deploymentSynced(NAMESPACE);
    expect(deployment.metadata.annotations['secret.reloader.stakater.com/reload']).toBe('task-api-secrets');
    await eventually('the first ReplicaSet', () => replicaSets(NAMESPACE).length === 1 || undefined);

    // The ESO controller does not run here: write the Secret it would, owned by the ExternalSecret.
    const external = getJson(['externalsecret', 'task-api-secrets', '-n', NAMESPACE]);
    expect(external.spec.target.name).toBe('task-api-secrets');
    kubectlOk(['apply', '--server-side', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
      metadata: {
        name: 'task-api-secrets', namespace: NAMESPACE,
        ownerReferences: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'task-api-secrets', uid: external.metadata.uid, controller: true }],
      },
      stringData: { DATABASE_PASSWORD: 'fake-store-database-password' },
    }));
    // Reloader does not act on creation (--reload-on-create is off), only on a change of the data.
    kubectlOk(['patch', 'secret', 'task-api-secrets', '-n', NAMESPACE, '--type=merge', '-p', '{"stringData":{"DATABASE_PASSWORD":"fake-rotated-in-the-store"}}']);

    const sets = await eventually('a second ReplicaSet', () => {
      const found = replicaSets(NAMESPACE);
      return found.length >= 2 ? found : undefined;
    });
    const latest = sets[sets.length - 1];
    expect(latest.revision).toBe(2);
    // Reloader's default strategy (env-vars) writes a hash of the Secret into the container's env.
    const env = latest.template.spec.containers[0].env ?? [];
    expect(env.map((e: any) => e.name)).toContain('STAKATER_TASK_API_SECRETS_SECRET');
  });
});
