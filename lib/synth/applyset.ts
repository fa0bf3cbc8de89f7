/**
 * Keeping dist/ usable with kubectl's ApplySet pruning (KEP-3659, alpha in kubectl 1.27 to 1.33):
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
 */

/** Labels kubectl's ApplySet code sets itself and refuses to find on input objects. */
export const APPLYSET_LABELS: readonly string[] = ['applyset.kubernetes.io/part-of', 'applyset.kubernetes.io/id'];

/** The ApplySet parent's name: one fixed name per environment (its namespace tells them apart). */
export function applySetName(appName = 'task-api'): string {
  return `${appName}-applyset`;
}

/** The command that applies `folder` and prunes what it no longer holds. */
export function pruneCommand(namespace: string, folder: string, appName = 'task-api'): string {
  return `KUBECTL_APPLYSET=true kubectl apply --server-side -n ${namespace} --prune --applyset=${applySetName(appName)} -f ${folder}/`;
}

/**
 * What would make the ApplySet recipe fail or misbehave on these objects: ApplySet labels on an
 * object, or a Secret in the place of the parent. Pure.
 */
export function applySetProblems(objects: readonly any[], appName = 'task-api'): string[] {
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
