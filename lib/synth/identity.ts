/**
 * What makes two manifests the same object to the API server: its API group, kind, namespace and
 * name. The version is not part of it (`apps/v1` and `apps/v1beta1` Deployments of one name are one
 * object). Two manifests of one identity in an environment would overwrite each other on apply, and
 * in dist/ one file would overwrite the other. Pure.
 */

/** An object's identity in the cluster. */
export interface ObjectIdentity {
  /** The API group; '' for the core group (`v1`). */
  readonly group: string;
  readonly kind: string;
  /** '' for a cluster-scoped object, or one that leaves its namespace to `kubectl apply -n`. */
  readonly namespace: string;
  readonly name: string;
}

/** The identity of a manifest (`apiVersion` `group/version`, or `version` for the core group). */
export function identityOf(object: any): ObjectIdentity {
  const apiVersion = String(object?.apiVersion ?? '');
  const slash = apiVersion.lastIndexOf('/');
  return {
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    kind: String(object?.kind ?? ''),
    namespace: String(object?.metadata?.namespace ?? ''),
    name: String(object?.metadata?.name ?? ''),
  };
}

/** An identity as people read it: `Deployment.apps web in namespace web-dev`. */
export function describeIdentity(identity: ObjectIdentity): string {
  const kind = identity.group ? `${identity.kind}.${identity.group}` : identity.kind;
  return `${kind} ${identity.name}${identity.namespace ? ` in namespace ${identity.namespace}` : ''}`;
}

/** The positions in `objects` of each identity held by more than one of them, in order. */
export function sharedIdentities(objects: readonly any[]): number[][] {
  const positions = new Map<string, number[]>();
  objects.forEach((object, index) => {
    const { group, kind, namespace, name } = identityOf(object);
    const key = JSON.stringify([group, kind, namespace, name]);
    const indices = positions.get(key);
    if (indices) indices.push(index);
    else positions.set(key, [index]);
  });
  return [...positions.values()].filter((indices) => indices.length > 1);
}
