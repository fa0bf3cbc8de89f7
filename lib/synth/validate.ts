/**
 * Validation of synthesized objects before anything is written: the Kubernetes OpenAPI schema
 * (through kubernetes-models' precompiled validators, lib/synth/builtin-models.ts), the schemas
 * the consumer registered for custom resources (lib/config/custom-resource-schema.ts), plus the
 * rules the API server applies that the schema does not express (names, data keys, labels,
 * sizes). Pure: objects in, messages out.
 *
 * Messages name the object and the field, never a value: Secret data passes through here.
 */

import { DATA_KEY_RULE, isDataKey, MAX_DATA_BYTES } from '../config/kubernetes-names';
import { builtInModel, isBuiltInGroup, type ModelClass } from './builtin-models';
import { customResourceErrors, type CustomResourceSchema, type SchemaError } from '../config/custom-resource-schema';

let crdModels: ReadonlyMap<string, ModelClass> | undefined;

/** The kinds whose models are in lib/synth/crd-models.ts (ES modules only, bundled by the build). */
const CRD_TYPES = new Set(['bitnami.com/v1alpha1/SealedSecret', 'external-secrets.io/v1/ExternalSecret']);

/** The CRD models, loaded only when an object needs them, so the plain backend also runs unbundled. */
function crdModel(type: string): ModelClass | undefined {
  if (!CRD_TYPES.has(type)) return undefined;
  if (!crdModels) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const models: Record<string, ModelClass> = require('./crd-models');
    crdModels = new Map(Object.values(models).map((model) => [`${model.apiVersion}/${model.kind}`, model]));
  }
  return crdModels.get(type);
}

export interface ValidateOptions {
  /**
   * Schemas for kinds kubernetes-models does not have: custom resources (customResourceSchema,
   * schemasFromCrd, schemasFromCrdYaml). A registered schema wins over any other for its kind.
   * @default - none: a custom resource is not validated and gets a note
   */
  readonly schemas?: readonly CustomResourceSchema[];
}

export interface ValidationResult {
  /** One message per problem: `<Kind> <name>: <field>: <what is wrong>`. */
  readonly problems: string[];
  /** One per kind that was not validated: `<apiVersion>/<Kind> has no schema: not validated (...)`. */
  readonly notes: string[];
}

/**
 * Every problem of `objects`, one message each: `<Kind> <name>: <field>: <what is wrong>`, and a
 * note for each custom kind without a schema. A built-in kind kubernetes-models does not have
 * (`apps/v1/Deploymnet`), or an apiVersion the API server does not serve (`apps/v1beta1`), is a
 * problem: the API server would refuse it. A kind of any other API group is a custom resource's,
 * validated when its schema is registered (options.schemas) or known (SealedSecret,
 * ExternalSecret), else noted.
 */
export function validateObjectsWithNotes(objects: readonly any[], options: ValidateOptions = {}): ValidationResult {
  const registered = registeredSchemas(options.schemas ?? []);
  const problems: string[] = [];
  const unvalidated = new Set<string>();
  for (const object of objects) {
    const what = `${object?.kind ?? '(no kind)'} ${object?.metadata?.name ?? '(no name)'}`;
    const schema = schemaProblems(object, registered);
    if (schema === 'no schema') unvalidated.add(`${object.apiVersion}/${object.kind}`);
    for (const problem of [...(schema === 'no schema' ? [] : schema), ...namingProblems(object)]) problems.push(`${what}: ${problem}`);
  }
  const notes = [...unvalidated].map((type) => `${type} has no schema: not validated (register its CRD's openAPIV3Schema to validate it)`);
  return { problems, notes };
}

/** validateObjectsWithNotes without the notes. */
export function validateObjects(objects: readonly any[], options: ValidateOptions = {}): string[] {
  return validateObjectsWithNotes(objects, options).problems;
}

function registeredSchemas(schemas: readonly CustomResourceSchema[]): ReadonlyMap<string, CustomResourceSchema> {
  const byType = new Map<string, CustomResourceSchema>();
  for (const schema of schemas) {
    const type = `${schema.apiVersion}/${schema.kind}`;
    const other = byType.get(type);
    if (other && other.openAPIV3Schema !== schema.openAPIV3Schema) throw new Error(`two schemas are registered for ${type}: register one`);
    byType.set(type, schema);
  }
  return byType;
}

function schemaProblems(object: any, registered: ReadonlyMap<string, CustomResourceSchema>): string[] | 'no schema' {
  const apiVersion = object?.apiVersion;
  const kind = object?.kind;
  if (typeof apiVersion !== 'string' || apiVersion === '') return ['apiVersion: is required'];
  if (typeof kind !== 'string' || kind === '') return ['kind: is required'];
  const type = `${apiVersion}/${kind}`;
  const schema = registered.get(type);
  if (schema) return customResourceErrors(schema, object).map(errorMessage);
  let Model = crdModel(type);
  if (!Model) {
    if (!isBuiltInGroup(apiVersion)) return 'no schema';
    const found = builtInModel(apiVersion, kind);
    if ('problem' in found) return [found.problem];
    Model = found.model;
  }
  try {
    new Model(object).validate();
    return [];
  } catch (error: any) {
    if (!Array.isArray(error?.errors)) throw error;
    return error.errors.map(errorMessage);
  }
}

function errorMessage(e: SchemaError): string {
  switch (e.keyword) {
    case 'required': return `${fieldPath(e.instancePath, e.params.missingProperty)}: is required`;
    case 'additionalProperties': return `${fieldPath(e.instancePath, e.params.additionalProperty)}: unknown field`;
    case 'enum': return `${fieldPath(e.instancePath)}: must be one of ${e.params.allowedValues.map((v: unknown) => JSON.stringify(v)).join(', ')}`;
    default: return `${fieldPath(e.instancePath)}: ${e.message}`;
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** All annotations of an object together. */
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** `/spec/template/spec/containers/0/image` → `spec.template.spec.containers[0].image`. */
function fieldPath(instancePath: string, child?: string): string {
  const segments = instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) segments.push(child);
  return joinPath(segments) || '(the object)';
}

function joinPath(segments: readonly string[]): string {
  let path = '';
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/** The API server's rules that the OpenAPI schema leaves out (k8s.io/apimachinery validation). */
function namingProblems(object: any): string[] {
  const problems: string[] = [];
  const metadata = object?.metadata ?? {};
  const kind = object?.kind;

  // Namespaces are DNS-1123 labels, Services DNS-1035 labels (their names become DNS labels and
  // environment variable prefixes); everything else here is a DNS-1123 subdomain.
  if (kind === 'Namespace') checkName(problems, 'metadata.name', metadata.name, 'label');
  else if (kind === 'Service') checkName(problems, 'metadata.name', metadata.name, 'dns1035');
  else checkName(problems, 'metadata.name', metadata.name, 'subdomain');
  if (metadata.namespace !== undefined) checkName(problems, 'metadata.namespace', metadata.namespace, 'label');
  checkLabels(problems, 'metadata.labels', metadata.labels);
  checkAnnotations(problems, 'metadata.annotations', metadata.annotations);

  if (kind === 'ConfigMap' || kind === 'Secret') {
    const maps = kind === 'ConfigMap' ? ['data', 'binaryData'] : ['data', 'stringData'];
    const sizes: Array<[string, number]> = [];
    const seen = new Set<string>();
    for (const map of maps) {
      for (const [key, value] of Object.entries<any>(object[map] ?? {})) {
        if (!isDataKey(key)) problems.push(`${map}[${JSON.stringify(key)}]: is not a valid key: use ${DATA_KEY_RULE}`);
        if (kind === 'ConfigMap' && seen.has(key)) problems.push(`${map}[${JSON.stringify(key)}]: is also in data; a key may be in only one of data and binaryData`);
        seen.add(key);
        const base64 = (kind === 'Secret' && map === 'data') || map === 'binaryData';
        if (typeof value === 'string') sizes.push([key, base64 ? Buffer.from(value, 'base64').length : Buffer.byteLength(value)]);
      }
    }
    // The last line of defence: synth checks the layers first (lib/guard-rails.ts,
    // layerSizeProblems), where each key's file and line are known; here only the keys are.
    const bytes = sizes.reduce((sum, [, size]) => sum + size, 0);
    if (bytes > MAX_DATA_BYTES) {
      const largest = sizes.sort((a, b) => b[1] - a[1]).slice(0, 3).map(([key, size]) => `${key} (${size} bytes)`);
      problems.push(`data: ${bytes} bytes is over the 1 MiB limit of a ${kind}; largest keys: ${largest.join(', ')}`);
    }
  }

  if (kind === 'Service') {
    checkSelector(problems, 'spec.selector', object.spec?.selector);
    for (const [i, port] of (object.spec?.ports ?? []).entries()) {
      if (port?.name !== undefined) checkName(problems, `spec.ports[${i}].name`, port.name, 'label');
    }
  }

  if (kind === 'Deployment' || kind === 'PodDisruptionBudget') {
    checkSelector(problems, 'spec.selector.matchLabels', object.spec?.selector?.matchLabels);
  }
  // Every kind with a pod template (Deployment, Job...; a CronJob's is one level further down).
  const [templatePath, template] = kind === 'CronJob'
    ? ['spec.jobTemplate.spec.template', object.spec?.jobTemplate?.spec?.template]
    : ['spec.template', object.spec?.template];
  if (template?.spec?.containers) {
    checkLabels(problems, `${templatePath}.metadata.labels`, template.metadata?.labels);
    checkAnnotations(problems, `${templatePath}.metadata.annotations`, template.metadata?.annotations);
    const pod = template.spec;
    for (const list of ['initContainers', 'containers']) {
      for (const [i, container] of (pod[list] ?? []).entries()) {
        checkName(problems, `${templatePath}.spec.${list}[${i}].name`, container?.name, 'label');
      }
    }
    for (const [i, volume] of (pod.volumes ?? []).entries()) {
      checkName(problems, `${templatePath}.spec.volumes[${i}].name`, volume?.name, 'label');
    }
  }
  return problems;
}

function checkName(problems: string[], field: string, name: unknown, rule: 'label' | 'subdomain' | 'dns1035'): void {
  if (typeof name !== 'string') return; // the schema reports a missing or mistyped name
  const [pattern, max, what] = rule === 'subdomain'
    ? [DNS1123_SUBDOMAIN, 253, "a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"]
    : rule === 'label'
      ? [DNS1123_LABEL, 63, "a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit"]
      : [DNS1035_LABEL, 63, "a DNS-1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"];
  if (!pattern.test(name) || name.length > max) problems.push(`${field}: ${JSON.stringify(name)} must be ${what} (at most ${max} characters)`);
}

/** A label or annotation key: `[prefix/]name`, prefix a DNS-1123 subdomain, name at most 63. */
function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'has more than one \'/\'';
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined && (!DNS1123_SUBDOMAIN.test(prefix) || prefix.length > 253)) return 'has a prefix that is not a DNS-1123 subdomain';
  if (!LABEL_NAME.test(name) || name.length > 63) return "must be at most 63 letters, digits, '-', '_' or '.' (after an optional prefix/), starting and ending with a letter or digit";
  return undefined;
}

function checkLabels(problems: string[], field: string, labels: Record<string, unknown> | undefined): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) problems.push(`${field}[${JSON.stringify(key)}]: the key ${keyProblem}`);
    if (typeof value === 'string' && (!LABEL_VALUE.test(value) || value.length > 63)) {
      problems.push(`${field}[${JSON.stringify(key)}]: the value ${JSON.stringify(value)} must be empty or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`);
    }
  }
}

const checkSelector = checkLabels;

function checkAnnotations(problems: string[], field: string, annotations: Record<string, unknown> | undefined): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) problems.push(`${field}[${JSON.stringify(key)}]: the key ${keyProblem}`);
    bytes += key.length + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  }
  if (bytes > MAX_ANNOTATIONS_BYTES) problems.push(`${field}: ${bytes} bytes is over the 256 KiB limit of an object's annotations`);
}

