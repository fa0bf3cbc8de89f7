/**
 * A test stand-in for the parts of a cluster a rollback touches, written from the documented
 * behaviour of the API server and the Deployment controller (no API server runs here):
 *
 * - `kubectl apply -f dist/<env>/` creates or updates every object; an object with
 *   `immutable: true` refuses any change to its data (the API server's validation of ConfigMaps
 *   and Secrets). With ApplySet pruning, objects applied before and missing now are deleted.
 * - The sealed-secrets controller turns each SealedSecret into the Secret it names, and the
 *   garbage collector deletes that Secret with its SealedSecret (ownerReference).
 * - The Deployment controller (kubernetes pkg/controller/deployment): a pod template it has not
 *   seen becomes a new ReplicaSet whose revision is the highest revision so far + 1; a template
 *   equal to an old ReplicaSet's brings that ReplicaSet back and moves it to the new highest
 *   revision (getNewReplicaSet, deploymentutil.SetNewReplicaSetAnnotations); after each sync
 *   the old ReplicaSets beyond `revisionHistoryLimit` are deleted, lowest revision first
 *   (cleanupDeployment, sorted by revision).
 * - `kubectl rollout undo [--to-revision=N]` copies the pod template of the ReplicaSet of
 *   revision N (default: the one before the current) into the Deployment, and nothing else
 *   (kubectl pkg/polymorphichelpers/rollback.go): ConfigMaps and Secrets are not touched.
 */
import { isDeepStrictEqual } from 'util';

export interface ReplicaSet {
  readonly revision: number;
  /** The pod template, as the Deployment had it. */
  readonly template: any;
}

/** What a container of `template` would get from one envFrom source, or why it cannot start. */
export type EnvSource =
  | { readonly kind: 'ConfigMap' | 'Secret'; readonly name: string; readonly data: Record<string, string> }
  | { readonly kind: 'ConfigMap' | 'Secret'; readonly name: string; readonly missing: true };

export interface SimulatedClusterOptions {
  /** The Secret the sealed-secrets controller makes of a SealedSecret (it unseals the values). */
  readonly unsealSecret?: (sealed: any) => any;
}

export class SimulatedCluster {
  private readonly objects = new Map<string, any>();
  /** By Deployment key: its ReplicaSets. */
  private readonly replicaSets = new Map<string, ReplicaSet[]>();
  /** Objects applied last time (the ApplySet's members), for pruning. */
  private applied = new Set<string>();
  /** SealedSecret key → key of the Secret its controller wrote. */
  private readonly owned = new Map<string, string>();

  constructor(private readonly options: SimulatedClusterOptions = {}) {}

  /** `kubectl apply` of every object (with `prune`, ApplySet pruning of the rest). */
  public apply(objects: readonly any[], options: { prune: boolean }): void {
    for (const object of objects) {
      const key = keyOf(object);
      const live = this.objects.get(key);
      if (live?.immutable === true && (!isDeepStrictEqual(live.data, object.data) || object.immutable !== true)) {
        throw new Error(`${object.kind} "${object.metadata.name}" is invalid: data: Forbidden: field is immutable when \`immutable\` is set`);
      }
      this.objects.set(key, clone(object));
      if (object.kind === 'SealedSecret' && this.options.unsealSecret) {
        const secret = this.options.unsealSecret(object);
        this.objects.set(keyOf(secret), secret);
        this.owned.set(key, keyOf(secret));
      }
      if (object.kind === 'Deployment') this.syncDeployment(key);
    }
    const now = new Set(objects.map(keyOf));
    if (options.prune) {
      for (const key of this.applied) {
        if (now.has(key)) continue;
        this.objects.delete(key);
        const child = this.owned.get(key);
        if (child) this.objects.delete(child);
      }
    }
    this.applied = options.prune ? now : new Set([...this.applied, ...now]);
  }

  /** `kubectl rollout undo deployment/<name> [--to-revision=N]`. */
  public rolloutUndo(namespace: string, name: string, toRevision?: number): void {
    const key = `${namespace}/Deployment/${name}`;
    const deployment = this.objects.get(key);
    const sets = this.history(namespace, name);
    const current = sets[sets.length - 1];
    const target = toRevision === undefined ? sets[sets.length - 2] : sets.find((rs) => rs.revision === toRevision);
    if (!target || !current) throw new Error(`unable to find the specified revision ${toRevision ?? '(previous)'}`);
    deployment.spec.template = clone(target.template);
    this.syncDeployment(key);
  }

  /** The Deployment's ReplicaSets, lowest revision first; the last is the current one. */
  public history(namespace: string, name: string): ReplicaSet[] {
    return [...(this.replicaSets.get(`${namespace}/Deployment/${name}`) ?? [])].sort((a, b) => a.revision - b.revision);
  }

  public get(kind: string, namespace: string, name: string): any {
    return this.objects.get(`${namespace}/${kind}/${name}`);
  }

  /** What each envFrom source of the template's first container holds in the cluster now. */
  public envSources(namespace: string, template: any): EnvSource[] {
    const container = template.spec.containers[0];
    return (container.envFrom ?? []).map((source: any) => {
      const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
      const name = (source.configMapRef ?? source.secretRef).name;
      const object = this.get(kind, namespace, name);
      if (!object) return { kind, name, missing: true };
      const data = kind === 'ConfigMap' ? { ...object.data } : Object.fromEntries(
        Object.entries(object.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')]));
      return { kind, name, data };
    });
  }

  private syncDeployment(key: string): void {
    const deployment = this.objects.get(key);
    const sets = this.replicaSets.get(key) ?? [];
    const template = deployment.spec.template;
    const highest = Math.max(0, ...sets.map((rs) => rs.revision));
    const same = sets.find((rs) => isDeepStrictEqual(rs.template, template));
    const current = sets.reduce<ReplicaSet | undefined>((a, b) => (a && a.revision > b.revision ? a : b), undefined);
    let next = sets;
    if (!same) next = [...sets, { revision: highest + 1, template: clone(template) }];
    else if (same !== current) next = [...sets.filter((rs) => rs !== same), { revision: highest + 1, template: same.template }];
    // cleanupDeployment: the old ReplicaSets beyond revisionHistoryLimit go, lowest revision first.
    const limit = deployment.spec.revisionHistoryLimit ?? 10;
    const sorted = [...next].sort((a, b) => a.revision - b.revision);
    const old = sorted.slice(0, -1);
    this.replicaSets.set(key, [...old.slice(Math.max(0, old.length - limit)), sorted[sorted.length - 1]]);
  }
}

/** A deep copy (structuredClone under jest gives objects of another realm, which isDeepStrictEqual tells apart). */
function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

function keyOf(object: any): string {
  return `${object.metadata?.namespace ?? ''}/${object.kind}/${object.metadata?.name}`;
}
