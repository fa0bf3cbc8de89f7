import { adoptionCommands, applySetId } from '../../lib/synth/applyset';
import {
  applyWithApplySet, deploymentSynced, distConfigNames, dropNamespace, envFromData, kubectlWith, liveConfigNames, Release, ReleaseProject,
  replicaSets, shell,
} from './release-support';
import { eventually, getJson, kubectl, kubectlOk, objectsIn } from './support';

const NAMESPACES = { flags: 'claims-pruning-flags', releases: 'claims-pruning', migration: 'claims-pruning-migration', sealed: 'claims-pruning-sealed' };

afterAll(() => {
  for (const namespace of Object.values(NAMESPACES)) dropNamespace(namespace);
});

function applyNamespaceFile(release: Release, namespace: string): void {
  kubectlOk(['apply', '--server-side', '-f', `${release.folder}/0-namespace-${namespace}.yaml`]);
}

function expectApplied(result: { status: number | null; stderr: string }): void {
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
}

describe('the README\'s ApplySet recipe with kubectl v1.34', () => {
  test('needs KUBECTL_APPLYSET=true, and the Namespace applied first: otherwise nothing is applied', () => {
    const namespace = NAMESPACES.flags;
    const release = new ReleaseProject(namespace).release();
    const withoutVariable = kubectlWith({}, ['apply', '--server-side', '-n', namespace, '--prune', '--applyset=task-api-applyset', '-f', `${release.folder}/`]);
    expect(withoutVariable.status).not.toBe(0);
    expect(withoutVariable.stderr).toContain('unknown flag: --applyset');

    const withoutNamespace = applyWithApplySet(namespace, release.folder);
    expect(withoutNamespace.status).not.toBe(0);
    expect(withoutNamespace.stderr).toContain(`failed to update ApplySet: namespaces "${namespace}" not found`);
    expect(kubectl(['get', 'namespace', namespace]).stderr).toContain('NotFound');

    applyNamespaceFile(release, namespace);
    expectApplied(applyWithApplySet(namespace, release.folder));
    // The parent's id is the one lib/synth/applyset.ts computes (the adoption recipe labels with it).
    expect(getJson(['secret', 'task-api-applyset', '-n', namespace]).metadata.labels['applyset.kubernetes.io/id']).toBe(applySetId(namespace, 'task-api'));
    // The cluster-scoped Namespace is a member too: never drop it from dist/.
    expect(getJson(['namespace', namespace]).metadata.labels['applyset.kubernetes.io/part-of']).toBe(applySetId(namespace, 'task-api'));
  });

  test('over a sequence of releases it deletes exactly the versions that left dist/, and nothing a kept revision reads', async () => {
    const namespace = NAMESPACES.releases;
    // revisionHistoryLimit 2: three templates kept, so versions drop out after a few releases.
    const project = new ReleaseProject(namespace, 'plain', { replicas: 0 }, 2);
    let before: string[] = [];
    const pruned: string[] = [];
    for (let n = 1; n <= 7; n++) {
      const release = project.release({ config: { MAX_CONNECTIONS: String(100 + n) }, secrets: { DATABASE_PASSWORD: `fake-database-password-${Math.ceil(n / 2)}` } });
      if (n === 1) applyNamespaceFile(release, namespace);
      expectApplied(applyWithApplySet(namespace, release.folder));
      const live = liveConfigNames(namespace);
      expect({ release: n, live }).toEqual({ release: n, live: distConfigNames(release.folder) });
      const prunedNow = before.filter((name) => !live.includes(name));
      // What synth (and npm run plan) listed as prunable is what kubectl pruned.
      expect({ release: n, pruned: prunedNow }).toEqual({ release: n, pruned: release.synthesized.prunable.map((ref) => `${ref.kind}/${ref.name}`).sort() });
      pruned.push(...prunedNow);
      before = live;
      await deploymentSynced(namespace);
      for (const rs of replicaSets(namespace)) {
        const data = envFromData(namespace, rs.template);
        expect({ revision: rs.revision, configMap: data.configMap === 'missing', secret: data.secret === 'missing' })
          .toEqual({ revision: rs.revision, configMap: false, secret: false });
      }
    }
    // Releases 1–4's ConfigMaps and the Secrets of passwords 1 and 2 went (the ConfigMap of 7 and the pull secret stay).
    expect(pruned.filter((name) => name.startsWith('ConfigMap/'))).toHaveLength(4);
    expect(pruned.filter((name) => name.startsWith('Secret/'))).toHaveLength(2);
    expect(kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', namespace]).status).toBe(0);
  });
});

describe('migrating to the ApplySet recipe', () => {
  test('objects applied without --applyset are never pruned; the adoption recipe lists them, labels them, and the next apply prunes them', () => {
    const namespace = NAMESPACES.migration;
    const { list, adopt } = adoptionCommands(namespace, 'task-api');
    const old = new ReleaseProject(namespace).release();
    applyNamespaceFile(old, namespace);
    // What an older version of this project wrote: fixed names, mutable.
    kubectlOk(['create', 'configmap', 'task-api-config', '-n', namespace, '--from-literal=LOG_LEVEL=info']);
    kubectlOk(['create', 'secret', 'generic', 'task-api-secrets', '-n', namespace, '--from-literal=DATABASE_PASSWORD=fake-old-database-password']);
    // Today's README flow, no ApplySet.
    kubectlOk(['apply', '-f', old.folder]);

    // A fresh checkout (no previous dist/) with a config change: release 1's ConfigMap is not in dist/.
    const fresh = new ReleaseProject(namespace).release({ config: { LOG_LEVEL: 'warning' } });
    const orphans = [`ConfigMap/${old.configMapName}`, 'ConfigMap/task-api-config', 'Secret/task-api-secrets'].sort();
    expect(distConfigNames(fresh.folder)).not.toEqual(expect.arrayContaining([orphans[0]]));

    expectApplied(applyWithApplySet(namespace, fresh.folder));
    // Membership is the label: nothing applied earlier without it was pruned.
    expect(liveConfigNames(namespace)).toEqual([...distConfigNames(fresh.folder), ...orphans].sort());

    const listed = shell(list);
    expect({ status: listed.status, stderr: listed.stderr }).toEqual({ status: 0, stderr: '' });
    expect(listed.stdout.trim().split('\n').sort()).toEqual(orphans);
    const adopted = shell(adopt);
    expect({ status: adopted.status, stderr: adopted.stderr }).toEqual({ status: 0, stderr: '' });
    expect(adopted.stdout.trim().split('\n')).toHaveLength(orphans.length);

    expectApplied(applyWithApplySet(namespace, fresh.folder));
    expect(liveConfigNames(namespace)).toEqual(distConfigNames(fresh.folder));
    expect(kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', namespace]).status).toBe(0);
    // Nothing left to adopt: the recipe's grep finds nothing and exits 1.
    expect(shell(list)).toEqual({ status: 1, stdout: '', stderr: '' });
  });

  test('sealed: the adoption recipe never lists the Secrets the controller writes (they go with their SealedSecret)', async () => {
    const namespace = NAMESPACES.sealed;
    const project = new ReleaseProject(namespace, 'sealed');
    const release = project.release();
    applyNamespaceFile(release, namespace);
    kubectlOk(['apply', '-f', release.folder]);
    const sealedNames = objectsIn(release.folder).filter((o) => o.kind === 'SealedSecret').map((o) => o.metadata.name);
    await eventually('the controller to unseal every SealedSecret', () =>
      sealedNames.every((name) => kubectl(['get', 'secret', name, '-n', namespace]).status === 0) || undefined);
    const { list } = adoptionCommands(namespace, 'task-api', 'configmaps,secrets,sealedsecrets');
    const before = shell(list);
    // Applied without --applyset: the ConfigMap and the SealedSecrets are listed, the unsealed Secrets are not.
    expect(before.stdout.trim().split('\n').sort()).toEqual([`ConfigMap/${release.configMapName}`, ...sealedNames.map((name) => `SealedSecret/${name}`)].sort());
    expectApplied(applyWithApplySet(namespace, release.folder));
    expect(shell(list)).toEqual({ status: 1, stdout: '', stderr: '' });
    for (const name of sealedNames) expect(kubectl(['get', 'secret', name, '-n', namespace]).status).toBe(0);
  });
});
