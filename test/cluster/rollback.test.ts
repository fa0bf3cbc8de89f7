import {
  applyServerSide, applyWithApplySet, deploymentSynced, dropNamespace, envFromData, Release, ReleaseProject, replicaSets,
} from './release-support';
import { eventually, getJson, kubectl, kubectlOk } from './support';

const NAMESPACE = 'claims-rollback';
const HISTORY_NAMESPACE = 'claims-rollback-history';
const SEALED_NAMESPACE = 'claims-rollback-sealed';

afterAll(() => {
  dropNamespace(NAMESPACE);
  dropNamespace(HISTORY_NAMESPACE);
  dropNamespace(SEALED_NAMESPACE);
});

/*
 * replicas: 0. Without a kubelet no pod ever becomes available, so with replicas 1 a rollout
 * never completes: the first ReplicaSet keeps its pod forever, and the Deployment controller only
 * deletes old ReplicaSets scaled to 0 (cleanupDeployment). With no pods every rollout completes at
 * once, which is where a real cluster ends up once the new pods are ready. Revisions, the
 * ReplicaSets kept and `kubectl rollout undo` do not depend on the replica count.
 */
const SETTINGS = { replicas: 0 };

/** The template the Deployment in the cluster has now, once the controller has seen it. */
async function liveTemplate(namespace: string): Promise<any> {
  return (await deploymentSynced(namespace)).spec.template;
}

function envFromNames(template: any): string[] {
  const [configRef, secretRef] = template.spec.containers[0].envFrom;
  return [configRef.configMapRef.name, secretRef.secretRef.name];
}

describe('kubectl rollout undo on a real API server with the deployment and replicaset controllers', () => {
  test('after a release with a config and a secret change, an undo restores a template whose ConfigMap and Secret hold release 1\'s data', async () => {
    const project = new ReleaseProject(NAMESPACE, 'plain', SETTINGS);
    const first = project.release();
    applyServerSide(first.folder);
    await deploymentSynced(NAMESPACE);
    const second = project.release({ config: { LOG_LEVEL: 'warning' }, secrets: { DATABASE_PASSWORD: 'fake-rotated-database-password' } });
    expect(second.configMapName).not.toBe(first.configMapName);
    expect(second.secretName).not.toBe(first.secretName);
    applyServerSide(second.folder);
    expect(envFromNames(await liveTemplate(NAMESPACE))).toEqual([second.configMapName, second.secretName]);
    expect(replicaSets(NAMESPACE).map((rs) => rs.revision)).toEqual([1, 2]);

    kubectlOk(['rollout', 'undo', 'deployment/task-api', '-n', NAMESPACE]);

    const restored = await liveTemplate(NAMESPACE);
    expect(envFromNames(restored)).toEqual([first.configMapName, first.secretName]);
    expect(envFromData(NAMESPACE, restored)).toEqual({ configMap: first.config, secret: first.secrets });
    // The Deployment controller moved release 1's ReplicaSet to the next revision.
    const sets = replicaSets(NAMESPACE);
    expect(sets.map((rs) => rs.revision)).toEqual([2, 3]);
    expect(envFromNames(sets[1].template)).toEqual([first.configMapName, first.secretName]);
  });

  test('sealed: the undo restores a template whose Secret the controller unsealed from release 1\'s SealedSecret, still holding release 1\'s values', async () => {
    const project = new ReleaseProject(SEALED_NAMESPACE, 'sealed', SETTINGS);
    const first = project.release();
    applyServerSide(first.folder);
    await deploymentSynced(SEALED_NAMESPACE);
    const second = project.release({ secrets: { WEBHOOK_SECRET: 'fake-rotated-webhook-secret' } });
    expect(second.secretName).not.toBe(first.secretName);
    applyServerSide(second.folder);
    await eventually(`the controller to unseal ${second.secretName}`, () => kubectl(['get', 'secret', second.secretName, '-n', SEALED_NAMESPACE]).status === 0 || undefined);
    expect(envFromNames(await liveTemplate(SEALED_NAMESPACE))).toEqual([second.configMapName, second.secretName]);

    kubectlOk(['rollout', 'undo', 'deployment/task-api', '-n', SEALED_NAMESPACE]);
    const restored = await liveTemplate(SEALED_NAMESPACE);
    expect(envFromNames(restored)).toEqual([first.configMapName, first.secretName]);
    expect(envFromData(SEALED_NAMESPACE, restored)).toEqual({ configMap: first.config, secret: first.secrets });
  });

  test('past retention (revisionHistoryLimit 10): 11 templates are kept, each finds its own data; the oldest kept is an undo away, the one before is gone', async () => {
    const project = new ReleaseProject(HISTORY_NAMESPACE, 'plain', SETTINGS);
    const releases: Release[] = [];
    for (let n = 1; n <= 13; n++) {
      // A config change each release; the secret changes every third one, so a Secret version is read by several revisions.
      const release = project.release({ config: { MAX_CONNECTIONS: String(100 + n) }, secrets: { DATABASE_PASSWORD: `fake-database-password-${Math.ceil(n / 3)}` } });
      // The ApplySet parent needs its namespace: the README applies the Namespace file first, once.
      if (n === 1) kubectlOk(['apply', '--server-side', '-f', `${release.folder}/0-namespace-${HISTORY_NAMESPACE}.yaml`]);
      const applied = applyWithApplySet(HISTORY_NAMESPACE, release.folder);
      expect({ status: applied.status, stderr: applied.stderr }).toEqual({ status: 0, stderr: '' });
      expect(envFromNames(await liveTemplate(HISTORY_NAMESPACE))).toEqual([release.configMapName, release.secretName]);
      releases.push(release);
    }
    const sets = replicaSets(HISTORY_NAMESPACE);
    expect(sets.map((rs) => rs.revision)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    for (const rs of sets) {
      const release = releases[rs.revision - 1];
      expect({ revision: rs.revision, names: envFromNames(rs.template), data: envFromData(HISTORY_NAMESPACE, rs.template) })
        .toEqual({ revision: rs.revision, names: [release.configMapName, release.secretName], data: { configMap: release.config, secret: release.secrets } });
    }
    // Releases 1 and 2's ConfigMaps left dist/ and, pruned by the ApplySet, the cluster.
    for (const gone of releases.slice(0, 2)) {
      expect(kubectl(['get', 'configmap', gone.configMapName, '-n', HISTORY_NAMESPACE]).stderr).toContain('NotFound');
    }

    kubectlOk(['rollout', 'undo', 'deployment/task-api', '-n', HISTORY_NAMESPACE, '--to-revision=3']);
    const restored = await liveTemplate(HISTORY_NAMESPACE);
    expect(envFromNames(restored)).toEqual([releases[2].configMapName, releases[2].secretName]);
    expect(envFromData(HISTORY_NAMESPACE, restored)).toEqual({ configMap: releases[2].config, secret: releases[2].secrets });

    const tooOld = kubectl(['rollout', 'undo', 'deployment/task-api', '-n', HISTORY_NAMESPACE, '--to-revision=2']);
    expect(tooOld.status).not.toBe(0);
    expect(tooOld.stderr).toContain('unable to find specified revision 2');
    expect(envFromNames(getJson(['deployment', 'task-api', '-n', HISTORY_NAMESPACE]).spec.template)).toEqual([releases[2].configMapName, releases[2].secretName]);
  });
});
