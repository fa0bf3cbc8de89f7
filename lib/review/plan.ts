import { outputFolder, readManifests } from '../synth/output';
import { existsSync, statSync } from 'fs';
import { join } from 'path';
import { isDeepStrictEqual } from 'util';
import { debugRequested, Project, selectedEnvironments } from '../project';
import { helpText, isHelpRequest, NO_SECRETS_FLAG } from '../synth/commands';
import { CommandIO, failureLines, Output, outputFor, STANDARD_IO } from '../terminal';
import { synthEnvironments } from '../synth/pipeline';
import { versionBase } from '../config/name-suffix';
import { podConfigReferences } from '../synth/retention';
import { contentNamedJobBase } from '../constructs/content-named-job';
import { UNKNOWN_SUFFIX } from '../synth/placeholder-secrets';
import { ObjectRef } from '../synth/retention';

/** One changed field of a non-secret part of an object: `spec.replicas: 1 → 3`. */
export interface FieldChange {
  readonly path: string;
  /** JSON of the value before; undefined when the field is new. */
  readonly before?: string;
  /** JSON of the value after; undefined when the field is gone. */
  readonly after?: string;
}

/** What changes in a ConfigMap's or Secret's data. Values only for ConfigMaps. */
export interface DataChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  /** For ConfigMaps only: key → [before, after] (undefined on the missing side). */
  readonly values?: Readonly<Record<string, readonly [string | undefined, string | undefined]>>;
}

export interface ObjectChange {
  /**
   * `remove`: in dist/ and no longer in the output. `kubectl apply` leaves such objects in the
   * cluster; ApplySet pruning deletes them, so they are shown as "would be pruned".
   */
  readonly action: 'add' | 'remove' | 'change';
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** Field changes outside the data (never holding Secret data). */
  readonly fields: readonly FieldChange[];
  /**
   * For ConfigMaps and Secrets: what changes in the data; for a new version, against the
   * version it replaces.
   */
  readonly data?: DataChange;
  /** For a new version of a content-addressed ConfigMap or Secret: the name of the version it replaces. */
  readonly versionOf?: string;
}

/** A workload whose pod template changes, so its pods are replaced. */
export interface Rollout {
  /** `Deployment web`. */
  readonly workload: string;
  /** Why, most useful first: the consumed data that changed, then the template's own fields. */
  readonly reasons: readonly string[];
  /**
   * For a content-named Job: the Job in dist/ it replaces (`Job web-migrate-<hash>`). A
   * Job's template cannot change, so the new one runs as a new object; the reasons are then
   * what changed in its spec.
   */
  readonly replaces?: string;
}

export interface EnvironmentPlan {
  readonly environment: string;
  /** Whether there was anything in dist/<environment>/ to compare with. */
  readonly synthesizedBefore: boolean;
  readonly changes: readonly ObjectChange[];
  readonly rollouts: readonly Rollout[];
  /** Changes that will not reach running pods by themselves. */
  readonly warnings: readonly string[];
  /**
   * Planned without secret values (--no-secrets): the Secrets and SealedSecrets compared by key
   * names only, and where their keys come from.
   * @default - planned with the values: everything compared
   */
  readonly withoutSecretValues?: { readonly notCompared: readonly ObjectRef[]; readonly keysFrom: string };
}

const DATA_KINDS = new Set(['ConfigMap', 'Secret']);
/** Kinds that stand for a Secret (their controller writes it), for pairing versions. */
const SECRET_KINDS = new Set(['Secret', 'SealedSecret', 'ExternalSecret']);
const DATA_FIELDS = ['data', 'binaryData', 'stringData'];
const RESTART_HASH_FIELD = /^spec\.template\.metadata\.annotations\["checksum\//;

/**
 * The plan of one environment: how `fresh` (a new synthesis) differs from `current` (what is in
 * dist/, last synthesized and, presumably, applied). Pure. Secret values are compared decoded and
 * never leave this function: a Secret change lists key names only.
 */
export function planEnvironment(
  environment: string,
  current: readonly any[],
  fresh: readonly any[],
  synthesizedBefore = true,
  withoutSecretValues?: EnvironmentPlan['withoutSecretValues'],
): EnvironmentPlan {
  const before = new Map(current.map((o) => [identity(o), o]));
  const after = new Map(fresh.map((o) => [identity(o), o]));
  const changes: ObjectChange[] = [];
  for (const [id, object] of after) {
    const old = before.get(id);
    if (old) {
      if (!isDeepStrictEqual(old, object)) changes.push({ action: 'change', ...names(object), fields: fieldChanges(old, object).map(historyInBrief), data: dataChange(old, object) });
      continue;
    }
    const replaced = replacedVersion(object, current);
    changes.push(replaced
      ? { action: 'add', ...names(object), fields: [], versionOf: replaced.metadata.name, data: dataChange(replaced, object) }
      : { action: 'add', ...names(object), fields: [] });
  }
  for (const [id, object] of before) {
    if (!after.has(id)) changes.push({ action: 'remove', ...names(object), fields: [] });
  }

  const rollouts: Rollout[] = [];
  const warnings: string[] = [];
  const changeOf = (kind: string, name: string, namespace?: string) =>
    changes.find((c) => c.kind === kind && c.name === name && c.namespace === namespace && c.action === 'change');
  /** The object a pod reads as `ref`: a ConfigMap, or whatever stands for the Secret. */
  const objectOf = (objects: ReadonlyMap<string, any>, ref: ConsumedRef, namespace?: string) => [...objects.values()].find((o) =>
    (ref.kind === 'ConfigMap' ? o.kind === 'ConfigMap' : SECRET_KINDS.has(o.kind)) && o.metadata?.name === ref.name && o.metadata?.namespace === namespace);
  for (const [id, workload] of after) {
    const replaced = before.has(id) ? undefined : replacedJob(workload, current);
    const old = before.get(id) ?? replaced;
    const template = workload.spec?.template;
    if (!old || !template?.spec?.containers) continue;
    const namespace = workload.metadata.namespace;
    const consumed = consumedObjects(template.spec)
      .map((ref) => ({ ref, change: changeOf(ref.kind, ref.name, namespace) }))
      .filter(({ change }) => change?.data !== undefined && hasDataChanges(change.data));
    const label = `${workload.kind} ${workload.metadata.name}`;
    if (!replaced && isDeepStrictEqual(old.spec?.template, template)) {
      for (const { ref } of consumed) {
        warnings.push(`${label} reads ${ref.kind} ${ref.name}, whose data changes, but its pod template does not: running pods keep the old values until restarted`);
      }
      continue;
    }
    // Other versions of content-addressed config that the template now reads (new ones, or
    // retained ones it goes back to), each against the version it read before.
    const oldRefs = consumedObjects(old.spec?.template?.spec ?? {});
    const newRefs = consumedObjects(template.spec);
    const versions = newRefs
      .filter((ref) => !oldRefs.some((r) => r.kind === ref.kind && r.name === ref.name))
      .map((ref) => ({ ref, was: oldRefs.find((r) => r.kind === ref.kind && versionBase(r.name) === versionBase(ref.name) && !newRefs.includes(r)) }))
      .filter((v): v is { ref: ConsumedRef; was: ConsumedRef } => v.was !== undefined);
    const reasons = [
      ...versions.map(({ ref, was }) => {
        const [a, b] = [objectOf(before, was, namespace), objectOf(after, ref, namespace)];
        const data = a && b ? dataChange(a, b) : undefined;
        const what = before.has(identity(b)) ? 'back to version' : 'new version';
        return `${ref.kind} ${versionBase(ref.name)}: ${what} ${ref.name} (was ${was.name})` + (data && hasDataChanges(data) ? `: ${describeData(data)}` : '');
      }),
      ...consumed.map(({ ref, change }) => `${ref.kind} ${ref.name}: ${describeData(change!.data!)}`),
    ];
    const versionNames = new Set(versions.flatMap(({ ref, was }) => [JSON.stringify(ref.name), JSON.stringify(was.name)]));
    // A replacing Job runs whatever changed in its spec; a workload rolls on its template alone.
    const changedFields = replaced ? fieldChanges(old.spec, workload.spec, 'spec') : fieldChanges(old.spec.template, template, 'spec.template');
    for (const field of changedFields) {
      // The restart hashes and the renamed references only restate the data changes listed above.
      if (reasons.length > 0 && RESTART_HASH_FIELD.test(field.path)) continue;
      if (REFERENCE_NAME_FIELD.test(field.path) && versionNames.has(field.after ?? '') && versionNames.has(field.before ?? '')) continue;
      reasons.push(describeField(field));
    }
    rollouts.push({ workload: label, reasons, ...(replaced ? { replaces: `${replaced.kind} ${replaced.metadata.name}` } : {}) });
  }
  return { environment, synthesizedBefore, changes: sortChanges(changes), rollouts, warnings, ...(withoutSecretValues ? { withoutSecretValues } : {}) };
}

type ConsumedRef = { kind: 'ConfigMap' | 'Secret'; name: string };

/** Where a pod template names the ConfigMaps and Secrets it reads. */
const REFERENCE_NAME_FIELD = /\.(configMapRef|secretRef|configMapKeyRef|secretKeyRef|configMap)\.name$|\.secret\.secretName$/;

/**
 * The object of dist/ that `object`, new in the fresh output, is a new version of: one of its
 * kind whose name has the same base (`web-config-<suffix>`, or the unversioned
 * `web-config` it replaces), preferring the version a workload of dist/ reads now.
 */
function replacedVersion(object: any, current: readonly any[]): any | undefined {
  const name = object.metadata?.name;
  if (!DATA_KINDS.has(object.kind) && object.kind !== 'SealedSecret') return undefined;
  const base = versionBase(name);
  const candidates = current.filter((o) => o.kind === object.kind && o.metadata?.namespace === object.metadata?.namespace &&
    o.metadata?.name !== name && versionBase(o.metadata?.name ?? '') === base);
  const read = new Set(current.filter((o) => o.spec?.template?.spec).flatMap((o) => consumedObjects(o.spec.template.spec).map((ref) => ref.name)));
  return candidates.find((o) => read.has(o.metadata.name)) ?? candidates[0] ??
    current.find((o) => o.kind === object.kind && o.metadata?.namespace === object.metadata?.namespace && o.metadata?.name === base);
}

/**
 * The Job a new content-named Job replaces (lib/constructs/content-named-job.ts): the one in
 * dist/ given the same name, in the same namespace, under another content suffix.
 */
function replacedJob(job: any, current: readonly any[]): any {
  const base = job.kind === 'Job' ? contentNamedJobBase(job.metadata?.name ?? '') : undefined;
  if (base === undefined) return undefined;
  return current.find((o) => o.kind === 'Job' && o.metadata?.namespace === job.metadata.namespace && contentNamedJobBase(o.metadata?.name ?? '') === base);
}

function identity(object: any): string {
  return JSON.stringify([object.apiVersion, object.kind, object.metadata?.namespace ?? '', object.metadata?.name]);
}

function names(object: any): { kind: string; name: string; namespace?: string } {
  return { kind: object.kind, name: object.metadata?.name, namespace: object.metadata?.namespace };
}

/**
 * The ConfigMaps and Secrets a pod's containers read (retention's one list of them). Not pull
 * secrets: the kubelet reads those when it pulls, and a rotated registry token needs no restart.
 */
function consumedObjects(pod: any): ConsumedRef[] {
  const refs = podConfigReferences(pod);
  return [...refs.configMaps.map((name) => ({ kind: 'ConfigMap' as const, name })), ...refs.secrets.map((name) => ({ kind: 'Secret' as const, name }))];
}

/** The data of a ConfigMap or Secret as key → text (Secret `data` decoded from base64). */
function decodedData(object: any): Record<string, string> {
  const data: Record<string, string> = {};
  const decode = object.kind === 'Secret';
  for (const [key, value] of Object.entries<string>(object.data ?? {})) data[key] = decode ? Buffer.from(value, 'base64').toString('utf8') : value;
  for (const [key, value] of Object.entries<string>(object.binaryData ?? {})) data[key] = `<binary ${Buffer.from(value, 'base64').length} bytes>`;
  for (const [key, value] of Object.entries<string>(object.stringData ?? {})) data[key] = value;
  return data;
}

function dataChange(before: any, after: any): DataChange | undefined {
  if (after.kind === 'SealedSecret') {
    // Sealing is random: only added and removed keys can be told from the ciphertexts.
    const [old, now] = [Object.keys(before.spec?.encryptedData ?? {}), Object.keys(after.spec?.encryptedData ?? {})];
    return { added: now.filter((k) => !old.includes(k)).sort(), removed: old.filter((k) => !now.includes(k)).sort(), changed: [] };
  }
  if (!DATA_KINDS.has(after.kind)) return undefined;
  const [old, now] = [decodedData(before), decodedData(after)];
  const added = Object.keys(now).filter((k) => !(k in old)).sort();
  const removed = Object.keys(old).filter((k) => !(k in now)).sort();
  const changed = Object.keys(now).filter((k) => k in old && old[k] !== now[k]).sort();
  if (after.kind === 'Secret') return { added, removed, changed };
  const values: Record<string, [string | undefined, string | undefined]> = {};
  for (const key of [...added, ...removed, ...changed]) values[key] = [old[key], now[key]];
  return { added, removed, changed, values };
}

function hasDataChanges(data: DataChange): boolean {
  return data.added.length + data.removed.length + data.changed.length > 0;
}

/** The history annotation (`<project>/config-history`, lib/synth/retention.ts), as a field path. */
const HISTORY_FIELD = /^metadata\.annotations\["[a-z0-9-]+\/config-history"\]$/;

/**
 * The config history is bookkeeping for retention (its versions are shown as such): in brief, as
 * the number of pod templates it remembers, not as the JSON a reviewer would have to read.
 */
function historyInBrief(change: FieldChange): FieldChange {
  if (!HISTORY_FIELD.test(change.path)) return change;
  const entries = (json?: string) => {
    try {
      const list = JSON.parse(JSON.parse(json ?? '""'));
      return Array.isArray(list) ? `${list.length} pod template${list.length === 1 ? '' : 's'}` : undefined;
    } catch {
      return undefined;
    }
  };
  return { path: change.path, before: entries(change.before), after: entries(change.after) };
}

/** The leaves that differ, outside a ConfigMap's or Secret's data. */
function fieldChanges(before: any, after: any, root = ''): FieldChange[] {
  const changes: FieldChange[] = [];
  const skipData = DATA_KINDS.has(after?.kind) && root === '';
  const walk = (a: any, b: any, path: string, depth: number) => {
    if (isDeepStrictEqual(a, b)) return;
    if (depth === 0 && skipData) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (!DATA_FIELDS.includes(key)) walk(a[key], b[key], key, 1);
      }
      return;
    }
    if (isContainer(a) && isContainer(b) && Array.isArray(a) === Array.isArray(b)) {
      const keys = Array.isArray(a)
        ? [...Array(Math.max(a.length, b.length)).keys()].map(String)
        : [...new Set([...Object.keys(a), ...Object.keys(b)])];
      for (const key of keys) walk(a[key as any], b[key as any], childPath(path, key, Array.isArray(a)), depth + 1);
      return;
    }
    changes.push({ path, before: a === undefined ? undefined : JSON.stringify(a), after: b === undefined ? undefined : JSON.stringify(b) });
  };
  walk(before, after, root, 0);
  return changes;
}

function isContainer(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null;
}

function childPath(path: string, key: string, index: boolean): string {
  if (index) return `${path}[${key}]`;
  const segment = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
  return path === '' ? segment : /^[A-Za-z_]/.test(segment) ? `${path}.${segment}` : `${path}[${segment}]`;
}

function sortChanges(changes: ObjectChange[]): ObjectChange[] {
  const order = { remove: 0, change: 1, add: 2 };
  return changes.sort((a, b) => order[a.action] - order[b.action] || `${a.kind} ${a.name}`.localeCompare(`${b.kind} ${b.name}`));
}

const MAX_SHOWN = 72;

function shorten(json: string | undefined): string {
  if (json === undefined) return '(none)';
  // A restart hash reads as well by its first hex digits.
  const hash = /^"((?:hmac-)?sha256:[0-9a-f]{12})[0-9a-f]{52}"$/.exec(json);
  if (hash) return `"${hash[1]}…"`;
  return json.length > MAX_SHOWN ? `${json.slice(0, MAX_SHOWN - 1)}…` : json;
}

function describeField(field: FieldChange): string {
  if (field.before === undefined) return `${field.path}: added ${shorten(field.after)}`;
  if (field.after === undefined) return `${field.path}: removed (was ${shorten(field.before)})`;
  return `${field.path}: ${shorten(field.before)} → ${shorten(field.after)}`;
}

function describeData(data: DataChange): string {
  const parts: string[] = [];
  if (data.values) {
    const show = (key: string) => {
      const [old, now] = data.values![key];
      return old === undefined ? `${key}=${shorten(JSON.stringify(now))}` : now === undefined ? key : `${key} ${shorten(JSON.stringify(old))} → ${shorten(JSON.stringify(now))}`;
    };
    if (data.changed.length) parts.push(`changed ${data.changed.map(show).join(', ')}`);
    if (data.added.length) parts.push(`added ${data.added.map(show).join(', ')}`);
    if (data.removed.length) parts.push(`removed ${data.removed.map(show).join(', ')}`);
  } else {
    // A Secret: names only.
    if (data.changed.length) parts.push(`changed ${data.changed.join(', ')}`);
    if (data.added.length) parts.push(`added ${data.added.join(', ')}`);
    if (data.removed.length) parts.push(`removed ${data.removed.join(', ')}`);
  }
  return parts.join('; ');
}

/** Whether the plan changes anything. */
function hasChanges(plan: EnvironmentPlan): boolean {
  return plan.changes.length > 0;
}

/** The report of one environment's plan. */
export function renderPlan(plan: EnvironmentPlan, folder: string, out: Output): string[] {
  const lines = planLines(plan, folder, out);
  // A versioned Secret whose keys changed: its new name comes from the values, which this plan has not.
  return plan.withoutSecretValues ? lines.map((line) => line.split(`-${UNKNOWN_SUFFIX}`).join('-<suffix from the values>')) : lines;
}

function planLines(plan: EnvironmentPlan, folder: string, out: Output): string[] {
  const lines: string[] = [];
  if (!plan.synthesizedBefore) lines.push(out.warn(`${plan.environment}: ${folder}/ does not exist yet: every object is new`));
  const unseen = plan.withoutSecretValues?.notCompared ?? [];
  if (unseen.length > 0) {
    lines.push(out.warn(`${plan.environment}: planned without secret values (--no-secrets): Secrets are compared by key names only ` +
      `(the keys of ${plan.withoutSecretValues!.keysFrom}); a changed value, and the new Secret name, checksum/secret and ` +
      'rollout it brings, cannot be seen without the values'));
    lines.push(`  values not compared: ${unseen.map((ref) => `${ref.kind} ${ref.name}`).join(', ')}`);
  }
  if (!hasChanges(plan)) {
    lines.push(unseen.length > 0
      ? `${plan.environment}: no changes but possibly secret values (${folder}/ matches a fresh synthesis in all that can be compared without them)`
      : `${plan.environment}: no changes (${folder}/ matches a fresh synthesis)`);
    return lines;
  }
  lines.push(out.bold(`${plan.environment}: ${folder}/ → fresh synthesis`));
  const marks = { add: out.added('+'), remove: out.removed('-'), change: out.warn('~') };
  for (const change of plan.changes.filter((c) => c.action !== 'remove')) {
    const version = change.versionOf ? `: new version of ${change.versionOf}` : '';
    lines.push(`  ${marks[change.action]} ${change.kind} ${change.name}${version}`);
    if (change.data && hasDataChanges(change.data)) lines.push(`      data: ${describeData(change.data)}`);
    for (const field of change.fields) lines.push(`      ${describeField(field)}`);
  }
  const pruned = plan.changes.filter((c) => c.action === 'remove');
  if (pruned.length > 0) {
    lines.push(`  would be pruned (no longer in the output; kubectl apply leaves them, the ApplySet recipe deletes them):`);
    for (const change of pruned) lines.push(`  ${marks.remove} ${change.kind} ${change.name}`);
  }
  for (const rollout of plan.rollouts) {
    lines.push(out.bold(rollout.replaces
      ? `  ${rollout.workload} will run: it replaces ${rollout.replaces}, whose spec differs`
      : `  ${rollout.workload} will roll: its pod template changes`));
    for (const reason of rollout.reasons) lines.push(`      ${reason}`);
  }
  for (const warning of plan.warnings) lines.push(out.warn(`  warning: ${warning}`));
  const count = (action: ObjectChange['action']) => plan.changes.filter((c) => c.action === action).length;
  lines.push(`${plan.environment}: ${count('add')} to add, ${count('change')} to change, ${count('remove')} to prune; ` +
    `${plan.rollouts.length} workload${plan.rollouts.length === 1 ? '' : 's'} will roll`);
  return lines;
}


/** Plan's one flag: build every environment without any secret value (a pull request's CI job). */

/** Reads plan's arguments; anything it does not know is an error. */
export function parsePlanArguments(args: readonly string[]): { readonly withoutSecretValues: boolean } {
  const unknown = args.filter((arg) => arg !== NO_SECRETS_FLAG);
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.map((arg) => JSON.stringify(arg)).join(', ')}: plan takes ${NO_SECRETS_FLAG} (see --help)`);
  return { withoutSecretValues: args.includes(NO_SECRETS_FLAG) };
}

/**
 * `npm run plan`: for the environments in the project's environment variable, what a fresh synthesis would change
 * against `$CDK8S_OUTDIR/<environment>/` (default dist), which it never writes. Exit codes as
 * `kubectl diff`: 0 no changes, 1 changes, 2 an error.
 */
export function planCommand(project: Project<any>, processEnv: Readonly<Record<string, string | undefined>>, io: CommandIO = STANDARD_IO, args: readonly string[] = []): number {
  // Before anything is read: help needs no env file, variable or secret.
  if (isHelpRequest(args)) {
    helpText('plan', project).forEach((line) => io.out(line));
    return 0;
  }
  try {
    const { withoutSecretValues } = parsePlanArguments(args);
    const names = selectedEnvironments(project, processEnv[project.variables.environment]);
    const outdir = outputFolder(processEnv);
    const out = outputFor(io.isTTY, processEnv);
    let changed = false;
    if (existsSync(outdir) && !statSync(outdir).isDirectory()) {
      throw new Error(`the output folder ${outdir} cannot be used: it is not a folder`);
    }
    // With outdir, sealed environments keep their unchanged ciphertexts, as synth would.
    const synthesized = synthEnvironments(project, names, { processEnv, outdir, withoutSecretValues });
    // The same warnings synth prints: a reviewer (or CI) reading the plan sees a typo key too.
    for (const warning of new Set(synthesized.flatMap((s) => s.warnings))) io.err(`warning: ${warning}`);
    for (const { environment, objects, carried, secretsNotCompared, image, imageFrom } of synthesized) {
      const folder = join(outdir, environment);
      io.out(`${environment}: image ${image} (from ${imageFrom})`);
      const before = existsSync(folder) && statSync(folder).isDirectory();
      // What synth would write: the new objects and the earlier versions it carries forward.
      const written = [...objects, ...carried.flatMap((file) => file.objects)];
      const plan = planEnvironment(environment, before ? readManifests(folder) : [], written, before,
        withoutSecretValues ? { notCompared: secretsNotCompared, keysFrom: join(project.envDir, `${environment}.secrets.env.example`) } : undefined);
      renderPlan(plan, folder, out).forEach((line) => io.out(line));
      changed ||= hasChanges(plan);
    }
    return changed ? 1 : 0;
  } catch (error) {
    failureLines('plan', error, debugRequested(project, processEnv)).forEach((line) => io.err(line));
    return 2;
  }
}
