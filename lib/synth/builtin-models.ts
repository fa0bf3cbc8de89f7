/**
 * The schemas of the built-in kinds: kubernetes-models' precompiled validators, found by
 * apiVersion and kind.
 *
 * kubernetes-models 4.5.1 holds the OpenAPI schemas of Kubernetes v1.33.0 (its changelog, 4.5.0:
 * "Update schema version to v1.33.0"; the README's badge still says 1.27.1). The control plane the
 * cluster tests run is v1.34.4; what 1.34 added is not in these schemas (see docs/review.md).
 * kubernetes-models stays on 4.5.x: 5.x is ESM-only and needs Node 22.
 */

import { dirname, join } from 'path';
import { readdirSync } from 'fs';
import { editDistance } from '../config/guard-rails';

/** The Kubernetes version kubernetes-models 4.5.1's schemas were generated from. */
export const SCHEMA_KUBERNETES_VERSION = 'v1.33.0';
/** The Kubernetes version whose served API versions SERVED_API_VERSIONS lists. */
export const SERVED_KUBERNETES_VERSION = 'v1.34';

/** A model class of kubernetes-models: `new Model(json).validate()` throws on a schema violation. */
export type ModelClass = (new (data: any) => { validate(): void }) & { readonly apiVersion: string; readonly kind: string };

/**
 * The built-in API groups: those kubernetes-models ships, one folder each ('' is the core group,
 * apiVersion `v1`, folder `v1/`). Any other group is a custom resource's. A list rather than a
 * rule such as "ends in .k8s.io": gateway.networking.k8s.io and snapshot.storage.k8s.io are CRDs.
 * test/validate.test.ts checks it against the package's folders.
 */
export const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  '', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'apiregistration.k8s.io', 'apps',
  'authentication.k8s.io', 'authorization.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io',
  'coordination.k8s.io', 'discovery.k8s.io', 'events.k8s.io', 'extensions', 'flowcontrol.apiserver.k8s.io',
  'networking.k8s.io', 'node.k8s.io', 'policy', 'rbac.authorization.k8s.io', 'scheduling.k8s.io', 'storage.k8s.io',
]);

/**
 * The versions of those groups a v1.34 API server serves by default (`kubectl api-versions` on
 * the test control plane, test/cluster/validate.test.ts). kubernetes-models also keeps versions
 * Kubernetes removed long ago (apps/v1beta1, extensions/v1beta1, batch/v1beta1...), which the API
 * server refuses: an object in one of those is an error, not validated against a dead schema.
 */
export const SERVED_API_VERSIONS: ReadonlySet<string> = new Set([
  'v1', 'admissionregistration.k8s.io/v1', 'apiextensions.k8s.io/v1', 'apiregistration.k8s.io/v1', 'apps/v1',
  'authentication.k8s.io/v1', 'authorization.k8s.io/v1', 'autoscaling/v1', 'autoscaling/v2', 'batch/v1',
  'certificates.k8s.io/v1', 'coordination.k8s.io/v1', 'discovery.k8s.io/v1', 'events.k8s.io/v1',
  'flowcontrol.apiserver.k8s.io/v1', 'networking.k8s.io/v1', 'node.k8s.io/v1', 'policy/v1',
  'rbac.authorization.k8s.io/v1', 'scheduling.k8s.io/v1', 'storage.k8s.io/v1',
]);

/** The group of an apiVersion: `apps/v1` → `apps`, `v1` → '' (the core group). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function isBuiltInGroup(apiVersion: string): boolean {
  return BUILT_IN_GROUPS.has(apiGroup(apiVersion));
}

/** What the lookup found for a built-in apiVersion/kind: its model, or why there is none. */
export type BuiltInLookup = { readonly model: ModelClass } | { readonly problem: string };

let bundled: ReadonlyMap<string, ModelClass> | undefined;
const loaded = new Map<string, ModelClass | undefined>();

/**
 * The model of a kind of a built-in group (isBuiltInGroup), or the problem: an apiVersion the API
 * server does not serve, or a kind kubernetes-models does not have (a typo, or a kind newer than
 * its schemas).
 */
export function builtInModel(apiVersion: string, kind: string): BuiltInLookup {
  const type = `${apiVersion}/${kind}`;
  if (!SERVED_API_VERSIONS.has(apiVersion)) {
    const group = apiGroup(apiVersion);
    const served = [...SERVED_API_VERSIONS].filter((version) => apiGroup(version) === group);
    return {
      problem: `no schema for ${type}: Kubernetes ${SERVED_KUBERNETES_VERSION} does not serve ${apiVersion}`
        + (served.length > 0 ? ` (it serves ${served.join(', ')})` : ` nor any version of ${group}`),
    };
  }
  const model = bundledModels().get(type) ?? loadedModel(apiVersion, kind);
  if (model) return { model };
  const near = similarKinds(apiVersion, kind);
  return {
    problem: `no schema for ${type}: kubernetes-models 4.5.1 (Kubernetes ${SCHEMA_KUBERNETES_VERSION}) has no kind ${kind} in ${apiVersion}`
      + (near.length > 0 ? `; did you mean ${near.join(' or ')}?` : ''),
  };
}

/**
 * The kinds synth writes most, bundled into one file by scripts/build.cjs (lib/synth/schema-models.ts):
 * a synth of those loads one module instead of ~190. Keyed by each model's own apiVersion and kind.
 */
function bundledModels(): ReadonlyMap<string, ModelClass> {
  if (!bundled) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const models: Record<string, ModelClass> = require('./schema-models');
    bundled = new Map(Object.values(models).map((model) => [`${model.apiVersion}/${model.kind}`, model]));
  }
  return bundled;
}

const KIND = /^[A-Z][A-Za-z0-9]*$/;

/**
 * Any other kind, from kubernetes-models' own file (`kubernetes-models/apps/v1/StatefulSet`), once
 * per run. The module name is computed, so esbuild leaves this require to Node at run time, which
 * finds the package in node_modules from build/main.js and from the library's compiled files alike.
 * About 15-80 ms for the first kind of a run (its validators are many small modules), less after.
 */
function loadedModel(apiVersion: string, kind: string): ModelClass | undefined {
  const type = `${apiVersion}/${kind}`;
  if (loaded.has(type)) return loaded.get(type);
  let model: ModelClass | undefined;
  if (KIND.test(kind)) {
    const specifier = `kubernetes-models/${apiVersion}/${kind}`;
    let exported: Record<string, unknown> | undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      exported = require(specifier);
    } catch (error: any) {
      if (error?.code !== 'MODULE_NOT_FOUND' || !String(error.message).includes(specifier)) throw error;
      packageDir(); // throws when kubernetes-models itself is missing
    }
    const candidate = exported?.[kind] as ModelClass | undefined;
    // A file of the folder may be a part of a kind (DeploymentSpec), which has no apiVersion; on a
    // case-insensitive file system `deployment` finds Deployment.js.
    if (candidate?.apiVersion === apiVersion && candidate.kind === kind) model = candidate;
  }
  loaded.set(type, model);
  return model;
}

function packageDir(): string {
  try {
    return dirname(require.resolve('kubernetes-models/package.json'));
  } catch {
    throw new Error('kubernetes-models is not installed: run npm install kubernetes-models@~4.5.1');
  }
}

/** Kinds of `apiVersion` whose names differ from `kind` only in case or by at most two letters. */
function similarKinds(apiVersion: string, kind: string): string[] {
  let files: string[];
  try {
    files = readdirSync(join(packageDir(), apiVersion));
  } catch {
    return [];
  }
  return files
    .filter((file) => file.endsWith('.js') && file !== 'index.js')
    .map((file) => file.slice(0, -'.js'.length))
    .filter((name) => name !== kind && (name.toLowerCase() === kind.toLowerCase() || editDistance(name, kind) <= 2))
    .filter((name) => loadedModel(apiVersion, name) !== undefined)
    .sort();
}
