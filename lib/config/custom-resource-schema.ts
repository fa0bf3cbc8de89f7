/**
 * Schemas the consumer registers for custom resources (or for a built-in kind newer than
 * kubernetes-models), and validation against them with ajv, read the way the API server reads a
 * CRD's structural schema:
 *
 * - an object node without `x-kubernetes-preserve-unknown-fields: true` or `additionalProperties`
 *   takes only the fields it lists: any other is `unknown field`, as the API server says under
 *   `kubectl apply`'s default strict field validation (it would prune them otherwise);
 * - `x-kubernetes-int-or-string: true` takes an integer or a string;
 * - `x-kubernetes-embedded-resource: true` takes apiVersion, kind and metadata besides its fields;
 * - `x-kubernetes-list-type: set` or `map` (with `x-kubernetes-list-map-keys`) refuses duplicates;
 * - apiVersion, kind and metadata of the object itself are implicit (metadata is checked by the
 *   naming rules of lib/synth/validate.ts, not here), `nullable` is OpenAPI's.
 *
 * Not checked: CEL rules (`x-kubernetes-validations`) and string formats (`format`), which the API
 * server still applies; defaults are not applied.
 */

import type { ErrorObject, ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

/** A schema for the objects of one apiVersion and kind. */
export interface CustomResourceSchema {
  /** `<group>/<version>`, e.g. `example.com/v1`. */
  readonly apiVersion: string;
  /** e.g. `Widget`. */
  readonly kind: string;
  /** The version's `schema.openAPIV3Schema` of the CRD. */
  readonly openAPIV3Schema: Readonly<Record<string, unknown>>;
}

const API_VERSION = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/v[0-9]+((alpha|beta)[0-9]+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

/**
 * A schema for `apiVersion`/`kind`, e.g.
 * `customResourceSchema('example.com/v1', 'Widget', { type: 'object', properties: { spec: ... } })`.
 * Throws on an apiVersion that is not `<group>/<version>`, a kind that is not CamelCase, or a
 * schema that is not an object schema.
 */
export function customResourceSchema(apiVersion: string, kind: string, openAPIV3Schema: Readonly<Record<string, unknown>>): CustomResourceSchema {
  if (typeof apiVersion !== 'string' || !API_VERSION.test(apiVersion)) {
    throw new Error(`customResourceSchema: apiVersion ${JSON.stringify(apiVersion)} is not <group>/<version> (e.g. example.com/v1)`);
  }
  if (typeof kind !== 'string' || !KIND.test(kind)) {
    throw new Error(`customResourceSchema: kind ${JSON.stringify(kind)} must be CamelCase letters and digits (e.g. Widget)`);
  }
  if (!isPlainObject(openAPIV3Schema) || (openAPIV3Schema.type !== undefined && openAPIV3Schema.type !== 'object')) {
    throw new Error(`customResourceSchema: the schema of ${apiVersion}/${kind} must be an object schema (type: object)`);
  }
  return { apiVersion, kind, openAPIV3Schema };
}

/**
 * One schema per served version of an apiextensions.k8s.io/v1 CustomResourceDefinition object
 * (`spec.versions[].schema.openAPIV3Schema`; a version with `served: false` is left out, the API
 * server refuses its objects). `source` names the CRD in messages (its file, say).
 */
export function schemasFromCrd(crd: unknown, source = 'CustomResourceDefinition'): CustomResourceSchema[] {
  const c = crd as any;
  const what = `${source}${typeof c?.metadata?.name === 'string' ? ` ${c.metadata.name}` : ''}`;
  if (c?.apiVersion !== 'apiextensions.k8s.io/v1' || c?.kind !== 'CustomResourceDefinition') {
    throw new Error(`${what}: is not an apiextensions.k8s.io/v1 CustomResourceDefinition (apiVersion ${JSON.stringify(c?.apiVersion)}, kind ${JSON.stringify(c?.kind)})`);
  }
  const group = c.spec?.group;
  const kind = c.spec?.names?.kind;
  if (typeof group !== 'string') throw new Error(`${what}: spec.group: is required`);
  if (typeof kind !== 'string') throw new Error(`${what}: spec.names.kind: is required`);
  if (!Array.isArray(c.spec?.versions) || c.spec.versions.length === 0) throw new Error(`${what}: spec.versions: is required`);
  return c.spec.versions.flatMap((version: any, i: number) => {
    if (version?.served === false) return [];
    const schema = version?.schema?.openAPIV3Schema;
    if (typeof version?.name !== 'string') throw new Error(`${what}: spec.versions[${i}].name: is required`);
    if (!isPlainObject(schema)) throw new Error(`${what}: spec.versions[${i}].schema.openAPIV3Schema: is required`);
    try {
      return [customResourceSchema(`${group}/${version.name}`, kind, schema)];
    } catch (error) {
      throw new Error(`${what}: spec.versions[${i}]: ${(error as Error).message.replace(/^customResourceSchema: /, '')}`);
    }
  });
}

/**
 * The schemas of every CustomResourceDefinition in a YAML text (a CRD file as the operator ships
 * it; other documents are skipped). `file` names it in messages, with the line of a YAML error.
 * Pure: the caller reads the file (`readFileSync('crds/widget.yaml', 'utf8')`).
 */
export function schemasFromCrdYaml(text: string, file: string): CustomResourceSchema[] {
  const schemas: CustomResourceSchema[] = [];
  for (const document of parseAllDocuments(text)) {
    if (!('errors' in document)) continue; // an empty document after a trailing ---
    const [error] = document.errors;
    if (error) throw new Error(`${file}:${error.linePos?.[0].line ?? '?'}: ${error.message.split('\n')[0]}`);
    const object = document.toJSON();
    if (object?.kind !== 'CustomResourceDefinition') continue;
    const line = document.contents ? lineOf(text, document.contents.range[0]) : 1;
    schemas.push(...schemasFromCrd(object, `${file}:${line}`));
  }
  if (schemas.length === 0) throw new Error(`${file}: holds no CustomResourceDefinition`);
  return schemas;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** One of ajv's errors, the same shape kubernetes-models' validators throw. */
export type SchemaError = Pick<ErrorObject, 'instancePath' | 'keyword' | 'params' | 'message'>;

const compiled = new WeakMap<CustomResourceSchema, ValidateFunction>();
let ajv: import('ajv').default | undefined;

/** The schema errors of `object` (its metadata left to the naming rules). */
export function customResourceErrors(schema: CustomResourceSchema, object: unknown): SchemaError[] {
  let validate = compiled.get(schema);
  if (!validate) {
    try {
      validate = validator().compile(structural(schema.openAPIV3Schema, true));
    } catch (error) {
      throw new Error(`the schema registered for ${schema.apiVersion}/${schema.kind} does not compile: ${(error as Error).message}`);
    }
    compiled.set(schema, validate);
  }
  return validate(object) ? [] : [...(validate.errors ?? [])];
}

/** A computed module name: esbuild leaves ajv out of build/main.js (a quarter more to read on every run). */
const AJV_MODULE = 'ajv';

/**
 * ajv, loaded from node_modules on first use: only a run with an object of a registered kind pays
 * for it. strict: false lets the schema hold keywords ajv does not know (`example`,
 * `x-kubernetes-*` beyond those defined here); formats are not validated (see the top).
 */
function validator(): import('ajv').default {
  if (!ajv) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv: typeof import('ajv').default = require(AJV_MODULE).default;
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false });
    ajv.addKeyword({
      keyword: 'x-kubernetes-int-or-string',
      schemaType: 'boolean',
      errors: true,
      validate: function intOrString(enabled: boolean, data: unknown) {
        if (!enabled || typeof data === 'string' || Number.isInteger(data)) return true;
        (intOrString as any).errors = [{ keyword: 'x-kubernetes-int-or-string', message: 'must be an integer or a string', params: {} }];
        return false;
      },
    });
    ajv.addKeyword({
      keyword: 'x-kubernetes-list-type',
      schemaType: 'string',
      errors: true,
      validate: function listType(listTypeName: string, data: unknown, parentSchema?: any, context?: { instancePath: string }) {
        if (!Array.isArray(data) || (listTypeName !== 'set' && listTypeName !== 'map')) return true;
        const keys: string[] = parentSchema?.['x-kubernetes-list-map-keys'] ?? [];
        const identity = (item: any) => JSON.stringify(listTypeName === 'set' ? item : keys.map((key) => item?.[key]));
        const seen = new Map<string, number>();
        const errors: any[] = [];
        data.forEach((item, index) => {
          const id = identity(item);
          const first = seen.get(id);
          if (first === undefined) seen.set(id, index);
          else errors.push({
            keyword: 'x-kubernetes-list-type',
            instancePath: `${context?.instancePath ?? ''}/${index}`,
            message: listTypeName === 'set' ? `is a duplicate of [${first}]` : `has the same ${keys.join(', ')} as [${first}]`,
            params: {},
          });
        });
        (listType as any).errors = errors;
        return errors.length === 0;
      },
    });
  }
  return ajv;
}

/** A copy of a CRD schema node with the API server's reading made explicit for ajv (see the top). */
function structural(node: any, root = false): any {
  if (!isPlainObject(node)) return node;
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && isPlainObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, structural(child)]));
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      out[key] = structural(value);
    } else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      out[key] = Array.isArray(value) ? value.map((child) => structural(child)) : value;
    } else if (key !== 'x-kubernetes-validations' && key !== 'default') {
      out[key] = value;
    }
  }
  // ajv's `nullable` needs a type beside it; without one, any value is allowed anyway.
  if (out.nullable !== undefined && out.type === undefined) delete out.nullable;
  const implicit = root || node['x-kubernetes-embedded-resource'] === true;
  if (implicit) {
    out.properties = { ...out.properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } };
  }
  const isObject = out.type === 'object' || (implicit && out.type === undefined);
  if (isObject && node['x-kubernetes-preserve-unknown-fields'] !== true && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
