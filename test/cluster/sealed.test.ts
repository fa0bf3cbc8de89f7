import { decodeData, fakeSecrets } from '../support';
import { applyServerSide, dropNamespace, ReleaseProject } from './release-support';
import { eventually, getJson, kubectl, kubectlOk, objectsIn } from './support';

const NAMESPACE = 'claims-sealed';
const OTHER_NAMESPACE = 'claims-sealed-copy';

afterAll(() => {
  dropNamespace(NAMESPACE);
  dropNamespace(OTHER_NAMESPACE);
});

/** The Secret the controller made of SealedSecret `name`, once its data is `expected` (decoded). */
function unsealedTo(name: string, expected: Record<string, string>): () => any {
  return () => {
    const result = kubectl(['get', 'secret', name, '-n', NAMESPACE, '-o', 'json']);
    if (result.status !== 0) return undefined;
    const secret = JSON.parse(result.stdout);
    return JSON.stringify(decodeData(secret)) === JSON.stringify(expected) ? secret : undefined;
  };
}

/** What `kubectl create secret docker-registry` writes for the registry credentials (a client-side dry run). */
function kubectlPullSecretData(username: string, token: string): Record<string, string> {
  const made = JSON.parse(kubectlOk(['create', 'secret', 'docker-registry', 'task-api-registry', '-n', NAMESPACE,
    '--docker-server=ghcr.io', `--docker-username=${username}`, `--docker-password=${token}`, '--dry-run=client', '-o', 'json']));
  return decodeData(made);
}

describe('the sealed backend with the real Sealed Secrets controller', () => {
  const project = new ReleaseProject(NAMESPACE, 'sealed');

  test('synthesized with the certificate the controller serves, the controller makes Secrets whose data equal the secrets; the pull secret is a dockerconfigjson one', async () => {
    const release = project.release();
    expect(objectsIn(release.folder).filter((o) => o.kind === 'Secret')).toEqual([]);
    applyServerSide(release.folder);
    const { GITHUB_USERNAME, GITHUB_TOKEN, TASK_API_HASH_KEY, ...appSecrets } = fakeSecrets('staging');
    expect(release.secrets).toEqual(appSecrets);
    const app = await eventually(`the Secret ${release.secretName}`, unsealedTo(release.secretName, appSecrets));
    expect(app.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'SealedSecret', name: release.secretName })]);
    expect(app.immutable).toBe(true);
    const pull = await eventually('the Secret task-api-registry', unsealedTo('task-api-registry', kubectlPullSecretData(GITHUB_USERNAME, GITHUB_TOKEN)));
    expect(pull.type).toBe('kubernetes.io/dockerconfigjson');
  });

  test('a rotated value re-applied unseals to the new value: a new version of the app Secret, the same pull secret updated', async () => {
    const rotated = { OPENAI_API_KEY: 'fake-rotated-openai-api-key', GITHUB_TOKEN: 'fake-rotated-github-token' };
    const release = project.release({ secrets: rotated });
    applyServerSide(release.folder);
    expect(release.secrets.OPENAI_API_KEY).toBe(rotated.OPENAI_API_KEY);
    await eventually(`the Secret ${release.secretName} with the rotated key`, unsealedTo(release.secretName, release.secrets));
    await eventually('task-api-registry with the rotated token', unsealedTo('task-api-registry', kubectlPullSecretData('fake-github-user', rotated.GITHUB_TOKEN)));
  });

  test('a SealedSecret copied under another name is refused by the controller (strict scope) and no Secret appears', async () => {
    const original = objectsIn(project.folder).find((o) => o.kind === 'SealedSecret' && o.metadata.name.startsWith('task-api-secrets-'));
    const copy = JSON.parse(JSON.stringify(original));
    copy.metadata = { name: 'task-api-copied', namespace: NAMESPACE };
    copy.spec.template.metadata = { ...copy.spec.template.metadata, name: 'task-api-copied' };
    kubectlOk(['apply', '--server-side', '-f', '-'], JSON.stringify(copy));
    const condition = await eventually('the controller to report on SealedSecret task-api-copied', () =>
      getJson(['sealedsecret', 'task-api-copied', '-n', NAMESPACE]).status?.conditions?.find((c: any) => c.type === 'Synced'));
    expect(condition).toMatchObject({ status: 'False', message: expect.stringContaining('no key could decrypt secret') });
    expect(kubectl(['get', 'secret', 'task-api-copied', '-n', NAMESPACE]).stderr).toContain('NotFound');
    const events = getJson(['events', '-n', NAMESPACE, '--field-selector', 'involvedObject.name=task-api-copied']).items;
    expect(events.map((e: any) => e.reason)).toContain('ErrUnsealFailed');
  });

  test('the same SealedSecret copied into another namespace is refused too', async () => {
    const original = objectsIn(project.folder).find((o) => o.kind === 'SealedSecret' && o.metadata.name.startsWith('task-api-secrets-'));
    kubectlOk(['create', 'namespace', OTHER_NAMESPACE]);
    const copy = JSON.parse(JSON.stringify(original));
    copy.metadata = { name: original.metadata.name, namespace: OTHER_NAMESPACE };
    copy.spec.template.metadata = { ...copy.spec.template.metadata, namespace: OTHER_NAMESPACE };
    kubectlOk(['apply', '--server-side', '-f', '-'], JSON.stringify(copy));
    const condition = await eventually(`the controller to report on the copy in ${OTHER_NAMESPACE}`, () =>
      getJson(['sealedsecret', original.metadata.name, '-n', OTHER_NAMESPACE]).status?.conditions?.find((c: any) => c.type === 'Synced'));
    expect(condition).toMatchObject({ status: 'False', message: expect.stringContaining('no key could decrypt secret') });
    expect(kubectl(['get', 'secret', original.metadata.name, '-n', OTHER_NAMESPACE]).stderr).toContain('NotFound');
  });
});
