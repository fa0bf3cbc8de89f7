import { decodeData } from '../support';
import { applyServerSide, ReleaseChange, distConfigNames, dropNamespace, liveConfigNames, ReleaseProject } from './release-support';
import { getJson, kubectl } from './support';

const NAMESPACE = 'claims-immutability';

afterAll(() => dropNamespace(NAMESPACE));

describe('versioned (immutable) ConfigMaps and Secrets on a real API server', () => {
  const project = new ReleaseProject(NAMESPACE);
  const first = project.release();

  beforeAll(() => {
    applyServerSide(first.folder);
  });

  test('the API server refuses new data in a versioned ConfigMap, and keeps the old', () => {
    const patch = kubectl(['patch', 'configmap', first.configMapName, '-n', NAMESPACE, '--type=merge', '-p', '{"data":{"LOG_LEVEL":"trace"}}']);
    expect(patch.status).not.toBe(0);
    expect(patch.stderr).toContain('field is immutable when `immutable` is set');
    expect(getJson(['configmap', first.configMapName, '-n', NAMESPACE]).data).toEqual(first.config);
  });

  test('the API server refuses new data in a versioned Secret, and unsetting immutable', () => {
    const patch = kubectl(['patch', 'secret', first.secretName, '-n', NAMESPACE, '--type=merge', '-p', '{"stringData":{"DATABASE_PASSWORD":"fake-changed"}}']);
    expect(patch.status).not.toBe(0);
    expect(patch.stderr).toContain('field is immutable when `immutable` is set');
    const unset = kubectl(['patch', 'secret', first.secretName, '-n', NAMESPACE, '--type=merge', '-p', '{"immutable":false}']);
    expect(unset.status).not.toBe(0);
    expect(unset.stderr).toContain('field is immutable when `immutable` is set');
    const live = getJson(['secret', first.secretName, '-n', NAMESPACE]);
    expect({ immutable: live.immutable, data: decodeData(live) }).toEqual({ immutable: true, data: first.secrets });
  });

  test('a sequence of releases (config changes, a secret change, a revert, a no-op) applies without that refusal', () => {
    const steps: ReleaseChange[] = [
      { config: { LOG_LEVEL: 'info' } },
      { secrets: { DATABASE_PASSWORD: 'fake-rotated-database-password' } },
      { config: { LOG_LEVEL: 'debug' } }, // back to release 1's config: the same name again
      {},
      { config: { MAX_CONNECTIONS: '200' }, secrets: { OPENAI_API_KEY: 'fake-rotated-openai-api-key' } },
    ];
    for (const change of steps) {
      const release = project.release(change);
      // kubectlOk throws with the server's message if any object is refused.
      applyServerSide(release.folder);
      expect(getJson(['configmap', release.configMapName, '-n', NAMESPACE]).data).toEqual(release.config);
      expect(decodeData(getJson(['secret', release.secretName, '-n', NAMESPACE]))).toEqual(release.secrets);
      // Every version dist/ holds is live and immutable.
      expect(liveConfigNames(NAMESPACE)).toEqual(expect.arrayContaining(distConfigNames(release.folder)));
    }
    for (const name of distConfigNames(project.folder)) {
      const [kind, objectName] = name.split('/');
      if (objectName === 'task-api-registry') continue; // the pull secret keeps its fixed name and is mutable
      expect({ name, immutable: getJson([kind.toLowerCase(), objectName, '-n', NAMESPACE]).immutable }).toEqual({ name, immutable: true });
    }
  });
});
