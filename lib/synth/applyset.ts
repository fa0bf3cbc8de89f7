/**
 * Keeping dist/ usable with kubectl's ApplySet pruning (KEP-3659, alpha since kubectl 1.27, still alpha in 1.34):
 *
 *   KUBECTL_APPLYSET=true kubectl apply --server-side -n <namespace> --prune --applyset=<name> -f dist/<env>/
 *
 * What kubectl does (staging/src/k8s.io/kubectl/pkg/cmd/apply/, read for this):
 * - applyset.go `AddLabels`: it labels every object it applies with
 *   `applyset.kubernetes.io/part-of=<id>` itself, and refuses the whole apply ("ApplySet label
 *   ... already set in input data") when an object already carries that label. So no object
 *   here may carry it (nor the parent's `applyset.kubernetes.io/id`).
 * - apply.go `ToOptions`: the parent (a Secret unless `--applyset=<resource>/<name>` says
 *   otherwise) takes its namespace from `-n` only, never from the kubeconfig; `Validate` refuses
 *   a namespaced parent without one. The parent is kubectl's: an object of ours with its kind and
 *   name would be fought over.
 * - applyset.go `BeforeApply` writes the parent before applying anything, so its namespace must
 *   already exist: the first apply of a new environment creates the Namespace first.
 * - applyset.go `addResource` records namespaces for namespaced objects only; the cluster-scoped
 *   Namespace is still a member (labelled, its kind listed), and applyset_pruner.go lists
 *   cluster-scoped kinds cluster-wide by that label: a Namespace dropped from dist/ would be
 *   deleted, with everything in it. Every output here holds its Namespace.
 * - Pruning deletes members applied before and absent now. Secrets that the sealed-secrets
 *   controller or the External Secrets Operator wrote are not members (they do not carry the
 *   label); they go with their owner through the garbage collector.
 * - Membership is the label alone (applyset_pruner.go): an object applied without `--applyset`
 *   (a plain `kubectl apply -f dist/...`, the fixed-name objects of older releases) is never
 *   pruned. adoptionCommands lists such objects and labels them into the ApplySet.
 *
 * kubectl v1.34 still needs KUBECTL_APPLYSET=true (without it `--applyset` is an unknown flag);
 * test/cluster/pruning.test.ts runs the recipe on a real API server.
 */
import { createHash } from 'crypto';

/** Labels kubectl's ApplySet code sets itself and refuses to find on input objects. */
export const APPLYSET_LABELS: readonly string[] = ['applyset.kubernetes.io/part-of', 'applyset.kubernetes.io/id'];

/** The ApplySet parent's name: one fixed name per environment (its namespace tells them apart). */
export function applySetName(appName: string): string {
  return `${appName}-applyset`;
}

/**
 * The id kubectl gives the parent Secret `name` in `namespace` (its `applyset.kubernetes.io/id`
 * label, and every member's `applyset.kubernetes.io/part-of`): `applyset-` + base64url of
 * SHA-256(`<name>.<namespace>.<kind>.<group>`) + `-v1`; a Secret's group is empty.
 */
export function applySetId(namespace: string, appName: string): string {
  return `applyset-${createHash('sha256').update(`${applySetName(appName)}.${namespace}.Secret.`).digest('base64url')}-v1`;
}

/**
 * The migration from applies without `--applyset`: `list` prints (as `Kind/name`) every object of
 * `resources` in the namespace whose name starts with `<appName>-` that no ApplySet owns and no
 * controller owns (the Secrets the sealed-secrets controller or ESO write have ownerReferences);
 * `adopt` labels what `list` prints into the ApplySet, so that the next pruning apply deletes
 * whatever of it dist/ no longer holds. Run after one pruning apply, `list` shows exactly the
 * orphans: review it before adopting (a hand-made `<appName>-*` object would be deleted too).
 */
export function adoptionCommands(namespace: string, appName: string, resources = 'configmaps,secrets'): { list: string; adopt: string } {
  const list = `kubectl get ${resources} -n ${namespace} -l '!applyset.kubernetes.io/part-of,!applyset.kubernetes.io/id' ` +
    `-o go-template='{{range .items}}{{if not .metadata.ownerReferences}}{{.kind}}/{{.metadata.name}}{{"\\n"}}{{end}}{{end}}' | grep '^[A-Za-z]*/${appName}-'`;
  return { list, adopt: `${list} | xargs -r -I{} kubectl label -n ${namespace} {} applyset.kubernetes.io/part-of=${applySetId(namespace, appName)}` };
}

/** The command that applies `folder` and prunes what it no longer holds. */
export function pruneCommand(namespace: string, folder: string, appName: string): string {
  return `KUBECTL_APPLYSET=true kubectl apply --server-side -n ${namespace} --prune --applyset=${applySetName(appName)} -f ${folder}/`;
}

/**
 * What would make the ApplySet recipe fail or misbehave on these objects: ApplySet labels on an
 * object, or a Secret in the place of the parent. Pure.
 */
export function applySetProblems(objects: readonly any[], appName: string): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const label = `${object.kind} ${object.metadata?.name}`;
    for (const key of APPLYSET_LABELS) {
      if (object.metadata?.labels?.[key] !== undefined) {
        problems.push(`${label}: metadata.labels["${key}"] is kubectl's to set; kubectl apply --applyset refuses objects that carry it`);
      }
    }
    if (object.kind === 'Secret' && object.metadata?.name === applySetName(appName)) {
      problems.push(`${label}: the name is the ApplySet parent's, which kubectl writes itself`);
    }
  }
  return problems;
}
