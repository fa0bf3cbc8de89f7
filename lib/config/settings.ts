// Settings with types: the consumer declares each key of its configuration once, as Helm's
// values.schema.json does for values, and synth refuses a value the app would fail to parse.
//
// The declarations compile to a JSON Schema over the env values (all strings) that ajv checks:
// a pattern, a format or an enum per key, then, for an integer with a range, the number. Only the
// wording of the messages is this file's own: file:line, key and, for a setting that is not
// secret, the value.

import type { ErrorObject, ValidateFunction } from 'ajv';
import { closestKey } from './guard-rails';
import { isDataKey } from './kubernetes-names';
import type { ResolvedValue } from './provenance';

/** What every declaration has. */
interface SettingBase {
  /** One line on what the setting does, shown by explain. */
  readonly description: string;
  /**
   * Whether synth refuses an environment that does not set the key (to a value that is not
   * empty): an app without a default for it would not start.
   * @default - true for a secret, false otherwise (the app's own default applies), as in Helm's values.schema.json
   */
  readonly required?: boolean;
  /**
   * The key belongs in the secrets layer (`<environment>.secrets.env`, listed in its
   * `.example`), not in a ConfigMap layer; its value is never printed.
   * @default false
   */
  readonly secret?: boolean;
}

/** Any text; with `pattern`, only text the pattern matches as a whole. */
export interface StringSetting extends SettingBase {
  readonly type: 'string';
  /**
   * A regular expression (JavaScript syntax with the `u` flag, as JSON Schema's `pattern`) the
   * whole value must match: it is anchored as `^(?:pattern)$`, since a setting that only contains
   * a match is rarely what is meant.
   * @default - any text
   */
  readonly pattern?: string;
}

/**
 * A decimal integer with an optional sign (`42`, `-1`, `+7`), ASCII digits only. pydantic also
 * takes `1_000`, `1.0` and surrounding spaces, Go's strconv.Atoi and most other runtimes do not:
 * refused, so a value fits whatever reads it.
 */
export interface IntegerSetting extends SettingBase {
  readonly type: 'integer';
  /** The smallest value allowed (a safe integer). @default - no lower bound */
  readonly min?: number;
  /** The largest value allowed (a safe integer). @default - no upper bound */
  readonly max?: number;
}

/**
 * A boolean as pydantic reads one: `true`, `false`, `1`, `0`, `yes`, `no`, `on`, `off`, `t`, `f`,
 * `y`, `n`, in any case, nothing around it.
 */
export interface BooleanSetting extends SettingBase {
  readonly type: 'boolean';
}

/** One of a list of strings, case and all. */
export interface EnumSetting extends SettingBase {
  readonly type: 'enum';
  readonly values: readonly string[];
}

/**
 * An absolute URL with a host, written `scheme://host…`: valid RFC 3986 syntax (no space or
 * other character a client library would refuse) that the WHATWG URL Standard, which Node and
 * pydantic's URL types implement, parses (so a port over 65535 or an empty host is refused).
 */
export interface UrlSetting extends SettingBase {
  readonly type: 'url';
  /** The schemes allowed, lower case (`['http', 'https']`, `['redis', 'rediss']`). @default - any scheme */
  readonly schemes?: readonly string[];
}

/**
 * An ISO 8601 duration as JSON Schema's `format: duration` defines it (RFC 3339 appendix A):
 * `PT30S`, `PT5M`, `PT1H30M`, `P1D`, `P2W`. pydantic's timedelta parses these (and more); the
 * Go style `30s` is not ISO 8601 and pydantic refuses it: declare such a setting as a string
 * with a pattern.
 */
export interface DurationSetting extends SettingBase {
  readonly type: 'duration';
}

/** The declaration of one key: its type, whether it is required or secret, what it does. */
export type SettingDeclaration = StringSetting | IntegerSetting | BooleanSetting | EnumSetting | UrlSetting | DurationSetting;

/** Every key of an app's configuration (ConfigMap and Secret alike), declared once. */
export type SettingsSchema = Readonly<Record<string, SettingDeclaration>>;

/** The resolved layers of one environment, as settingProblems reads them. */
export interface SettingLayers {
  /** For messages about a key no layer sets. */
  readonly environment: string;
  /** The ConfigMap layers, merged (ResolvedLayers.config). */
  readonly config: readonly ResolvedValue[];
  /** The secrets layer (ResolvedLayers.secrets); only its keys are used when they come with `secretValuesUnknown`. */
  readonly secrets: readonly ResolvedValue[];
  /**
   * Secret keys whose values synth does not have: the external backend's (ResolvedLayers.externalSecretKeys)
   * or a synthesis without secret values (whose `secrets` hold placeholders). Their presence is
   * checked, not their values.
   * @default none
   */
  readonly secretKeysWithoutValues?: readonly string[];
  /** Where a setting for every environment goes (`<envDir>/defaults.env`), for messages. */
  readonly defaultsFile: string;
  /** The environment's own file (`<envDir>/staging.env`), for messages. */
  readonly environmentFile: string;
  /** The environment's secrets file (`<envDir>/staging.secrets.env`; its `.example` beside it), for messages. */
  readonly secretsFile: string;
}

const TYPES: ReadonlySet<string> = new Set(['string', 'integer', 'boolean', 'enum', 'url', 'duration']);
/** The fields each type may have besides type, description, required and secret. */
const TYPE_FIELDS: Readonly<Record<SettingDeclaration['type'], readonly string[]>> = {
  string: ['pattern'], integer: ['min', 'max'], boolean: [], enum: ['values'], url: ['schemes'], duration: [],
};
const COMMON_FIELDS = ['type', 'description', 'required', 'secret'];
/** The strings pydantic 2 reads as a boolean, lower case (pydantic-core's bool parsing). */
const BOOLEAN_WORDS = ['0', 'off', 'f', 'false', 'n', 'no', '1', 'on', 't', 'true', 'y', 'yes'];
const INTEGER_PATTERN = '^[+-]?[0-9]+$';
/** RFC 3986's scheme syntax. */
const SCHEME = /^[a-z][a-z0-9+.-]*$/;

/**
 * What is wrong with the declarations themselves, one message per problem naming the key:
 * an unknown type, a missing or multi-line description, a pattern that does not compile, an
 * empty or repeated enum, min above max, a field the type does not have. Checked before any
 * value, since a bad declaration would judge every environment wrongly.
 */
export function settingsSchemaProblems(schema: SettingsSchema): string[] {
  const problems: string[] = [];
  for (const [key, declaration] of Object.entries(schema)) {
    const at = `settings.${key}`;
    if (!isDataKey(key)) problems.push(`${at}: not a possible ConfigMap or Secret key`);
    if (typeof declaration !== 'object' || declaration === null) {
      problems.push(`${at}: a declaration is an object with a type and a description`);
      continue;
    }
    const type = (declaration as { type?: unknown }).type;
    if (typeof type !== 'string' || !TYPES.has(type)) {
      problems.push(`${at}: unknown type ${JSON.stringify(type)}: expected one of ${[...TYPES].join(', ')}`);
      continue;
    }
    const d = declaration as SettingDeclaration;
    const allowed = [...COMMON_FIELDS, ...TYPE_FIELDS[d.type]];
    for (const field of Object.keys(d).filter((f) => !allowed.includes(f))) {
      problems.push(`${at}: ${field} is not a field of a ${d.type} setting (it has ${allowed.slice(1).join(', ')})`);
    }
    if (typeof d.description !== 'string' || d.description.trim() === '' || /[\r\n]/.test(d.description)) {
      problems.push(`${at}: the description must be one line of text`);
    }
    for (const flag of ['required', 'secret'] as const) {
      if (d[flag] !== undefined && typeof d[flag] !== 'boolean') problems.push(`${at}: ${flag} must be true or false`);
    }
    if (d.type === 'string' && d.pattern !== undefined) {
      if (typeof d.pattern !== 'string') {
        problems.push(`${at}: the pattern must be a string`);
      } else {
        try {
          // The flag ajv compiles JSON Schema patterns with.
          new RegExp(anchored(d.pattern), 'u');
        } catch (error) {
          problems.push(`${at}: the pattern does not compile: ${(error as Error).message}`);
        }
      }
    }
    if (d.type === 'integer') {
      for (const bound of ['min', 'max'] as const) {
        if (d[bound] !== undefined && !Number.isSafeInteger(d[bound])) problems.push(`${at}: ${bound} must be a safe integer`);
      }
      if (Number.isSafeInteger(d.min) && Number.isSafeInteger(d.max) && d.min! > d.max!) {
        problems.push(`${at}: min (${d.min}) is greater than max (${d.max}): no value fits`);
      }
    }
    if (d.type === 'enum') {
      if (!Array.isArray(d.values) || d.values.length === 0 || d.values.some((v) => typeof v !== 'string')) {
        problems.push(`${at}: values must be a non-empty list of strings`);
      } else {
        const repeated = d.values.filter((v, i) => d.values.indexOf(v) !== i);
        if (repeated.length > 0) problems.push(`${at}: values lists ${[...new Set(repeated)].map((v) => JSON.stringify(v)).join(', ')} more than once`);
      }
    }
    if (d.type === 'url' && d.schemes !== undefined) {
      if (!Array.isArray(d.schemes) || d.schemes.length === 0 || d.schemes.some((s) => typeof s !== 'string' || !SCHEME.test(s))) {
        problems.push(`${at}: schemes must be a non-empty list of lower-case URL schemes (such as http, https)`);
      }
    }
  }
  return problems;
}

/**
 * Whether each value of one environment fits its declaration, and whether each key is where
 * the declarations say: one message per problem. A value that does not fit names where it was
 * written and the key (`config/staging.env:3: WORKERS: "1O" is not an integer`); the value
 * itself only for a setting that is not secret and came from a ConfigMap layer
 * (`config/staging.secrets.env:2: CACHE_URL: not a URL`, `$CACHE_URL: not a URL`).
 *
 * Also: a required key that no layer sets (or sets to ''), a secret in a ConfigMap layer or a
 * setting that is not secret in the secrets layer, and a key the declarations lack (a typo, most
 * often). `ignoredKeys` are the keys synth itself reads (the hash key, registry credentials):
 * not app settings, so they are never reported undeclared, and declaring one is a problem.
 *
 * When the declarations themselves are wrong, their problems (settingsSchemaProblems) are all
 * that is returned.
 */
export function settingProblems(schema: SettingsSchema, layers: SettingLayers, ignoredKeys: readonly string[] = []): string[] {
  const schemaProblems = [
    ...settingsSchemaProblems(schema),
    ...ignoredKeys.filter((key) => Object.hasOwn(schema, key))
      .map((key) => `settings.${key}: synth reads this key itself and never gives it to the containers: remove its declaration`),
  ];
  if (schemaProblems.length > 0) return schemaProblems;

  const declared = Object.keys(schema);
  const ignored = new Set(ignoredKeys);
  const secretsExample = `${layers.secretsFile}.example`;
  const configFiles = `${layers.defaultsFile} or ${layers.environmentFile}`;
  const problems: string[] = [];
  const withValues = [...layers.config, ...layers.secrets].filter((value) => !ignored.has(value.key));
  const withoutValues = (layers.secretKeysWithoutValues ?? []).filter((key) => !ignored.has(key));

  const fits = checkValues(schema, withValues.filter((value) => Object.hasOwn(schema, value.key)));
  for (const value of withValues) {
    const where = prefix(value);
    if (!Object.hasOwn(schema, value.key)) {
      problems.push(`${where}not declared in the settings${didYouMean(value.key, declared)}: declare it, or fix or remove the line`);
      continue;
    }
    const declaration = schema[value.key];
    const inSecretsLayer = value.source.layer === 'secrets' || value.source.layer === 'process-env';
    if (isSecret(declaration) && !inSecretsLayer) {
      problems.push(`${where}declared a secret: move it to ${layers.secretsFile} (and list it in ${secretsExample})`);
    } else if (!isSecret(declaration) && inSecretsLayer) {
      problems.push(`${where}declared not secret: move it to ${configFiles} (and off ${secretsExample})`);
    }
    if (value.value === '' && isRequired(declaration)) {
      problems.push(`${where}a required setting, empty`);
      continue;
    }
    const misfit = fits.get(value.key);
    if (misfit) {
      // A value is shown only where it is safe to: a setting not declared secret, from a ConfigMap layer.
      const shown = !isSecret(declaration) && !inSecretsLayer;
      problems.push(shown ? `${where}${JSON.stringify(value.value)} ${misfit}` : `${where}${misfit.replace(/^is /, '')}`);
    }
  }
  for (const key of withoutValues) {
    if (!Object.hasOwn(schema, key)) {
      problems.push(`${layers.environment}: ${key}: ${secretsExample} lists it, the settings do not declare it${didYouMean(key, declared)}: declare it, or fix or remove it`);
    } else if (!isSecret(schema[key])) {
      problems.push(`${layers.environment}: ${key}: declared not secret: move it to ${configFiles} (and off ${secretsExample})`);
    }
  }

  const present = new Set([...withValues.map((value) => value.key), ...withoutValues]);
  for (const [key, declaration] of Object.entries(schema)) {
    if (present.has(key) || !isRequired(declaration)) continue;
    problems.push(isSecret(declaration)
      ? `${layers.environment}: ${key}: a required secret, missing: list it in ${secretsExample} and set it in ${layers.secretsFile}`
      : `${layers.environment}: ${key}: a required setting, missing: set it in ${configFiles}`);
  }
  return problems;
}

/**
 * What a setting takes, for explain: `integer 1–1000`, `one of debug, info`, `boolean`, `URL
 * (http or https)`, `duration (ISO 8601, such as PT30S)`, then `required` when it is, and the
 * description, joined by ` · ` (an enum's values are a comma-separated list already).
 */
export function describeSetting(declaration: SettingDeclaration): string {
  return [describeType(declaration), ...(isRequired(declaration) ? ['required'] : []), declaration.description].join(' · ');
}

function describeType(d: SettingDeclaration): string {
  switch (d.type) {
    case 'string': return d.pattern === undefined ? 'string' : `string matching ${anchored(d.pattern)}`;
    case 'integer':
      if (d.min !== undefined && d.max !== undefined) return `integer ${d.min}–${d.max}`;
      if (d.min !== undefined) return `integer ≥ ${d.min}`;
      if (d.max !== undefined) return `integer ≤ ${d.max}`;
      return 'integer';
    case 'boolean': return 'boolean';
    case 'enum': return `one of ${d.values.join(', ')}`;
    case 'url': return d.schemes ? `URL (${orList(d.schemes)})` : 'URL';
    case 'duration': return 'duration (ISO 8601, such as PT30S)';
  }
}

function isSecret(declaration: SettingDeclaration): boolean {
  return declaration.secret ?? false;
}

function isRequired(declaration: SettingDeclaration): boolean {
  return declaration.required ?? isSecret(declaration);
}

/** `file:line: KEY: `, or `$KEY: ` for a value from the process environment (the variable names the key). */
function prefix(value: ResolvedValue): string {
  return value.source.layer === 'process-env' ? `${value.source.at}: ` : `${value.source.at}: ${value.key}: `;
}

function didYouMean(key: string, declared: readonly string[]): string {
  const near = closestKey(key, declared);
  return near ? ` (did you mean ${near}?)` : '';
}

function anchored(pattern: string): string {
  return `^(?:${pattern})$`;
}

function orList(items: readonly string[]): string {
  return items.length === 1 ? items[0] : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** A word in any case, as a pattern: JSON Schema patterns have no flags. */
function anyCase(word: string): string {
  return [...word].map((c) => (c.toLowerCase() === c.toUpperCase() ? c : `[${c.toLowerCase()}${c.toUpperCase()}]`)).join('');
}

/**
 * The value checked by each declaration, as a JSON Schema for one string. Integer ranges are
 * a second schema, over the number (see rangeSchemaOf).
 */
function valueSchemaOf(d: SettingDeclaration): object {
  switch (d.type) {
    case 'string': return d.pattern === undefined ? { type: 'string' } : { type: 'string', pattern: anchored(d.pattern) };
    case 'integer': return { type: 'string', pattern: INTEGER_PATTERN };
    case 'boolean': return { type: 'string', pattern: `^(?:${BOOLEAN_WORDS.map(anyCase).join('|')})$` };
    case 'enum': return { type: 'string', enum: [...d.values] };
    case 'url': return d.schemes
      ? { type: 'string', allOf: [{ type: 'string', format: 'url' }, { type: 'string', pattern: `^(?:${d.schemes.map(anyCase).join('|')})://` }] }
      : { type: 'string', format: 'url' };
    case 'duration': return { type: 'string', format: 'duration' };
  }
}

function rangeSchemaOf(d: SettingDeclaration): object | undefined {
  if (d.type !== 'integer' || (d.min === undefined && d.max === undefined)) return undefined;
  return { type: 'integer', ...(d.min !== undefined ? { minimum: d.min } : {}), ...(d.max !== undefined ? { maximum: d.max } : {}) };
}

/**
 * What is wrong with a value that fails, to follow the quoted value: `is not an integer`,
 * `does not match ^(?:…)$`. Without the value (a secret), the leading `is ` goes.
 */
function misfitOf(d: SettingDeclaration, errors: readonly ErrorObject[], range: boolean): string {
  switch (d.type) {
    case 'string': return `does not match ${anchored(d.pattern!)}`;
    case 'integer':
      if (!range) return 'is not an integer';
      if (d.min !== undefined && d.max !== undefined) return `is not an integer from ${d.min} to ${d.max}`;
      return d.min !== undefined ? `is not an integer of at least ${d.min}` : `is not an integer of at most ${d.max}`;
    case 'boolean': return 'is not a boolean (true or false; also 1/0, yes/no, on/off, t/f, y/n)';
    case 'enum': return `is not one of ${d.values.join(', ')}`;
    case 'url':
      return errors.some((e) => e.keyword === 'format') || !d.schemes ? 'is not a URL' : `is not a URL with the scheme ${orList(d.schemes)}`;
    case 'duration': return 'is not an ISO 8601 duration (such as PT30S, PT5M, PT1H30M, P1D)';
  }
}

interface CompiledSettings {
  readonly values: ValidateFunction;
  readonly ranges: ValidateFunction;
}

/** Compiled once per declarations object: compiling costs more than checking. */
const compiled = new WeakMap<SettingsSchema, CompiledSettings>();

function compile(schema: SettingsSchema): CompiledSettings {
  const known = compiled.get(schema);
  if (known) return known;
  // Loaded here, not at the top: loading and compiling cost about 0.1 s, which explain's
  // describeSetting and a project without settings need not pay.
  const { default: Ajv } = require('ajv') as typeof import('ajv');
  const { default: addFormats } = require('ajv-formats') as typeof import('ajv-formats');
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv, ['duration']);
  const uri = addFormats.get('uri', 'full') as (value: string) => boolean;
  ajv.addFormat('url', { type: 'string', validate: (value: string) => uri(value) && isUrlWithHost(value) });
  const entries = Object.entries(schema);
  const object = (properties: [string, object | undefined][]) => ({
    type: 'object',
    properties: Object.fromEntries(properties.filter((p): p is [string, object] => p[1] !== undefined)),
  });
  const result = {
    values: ajv.compile(object(entries.map(([key, d]) => [key, valueSchemaOf(d)]))),
    ranges: ajv.compile(object(entries.map(([key, d]) => [key, rangeSchemaOf(d)]))),
  };
  compiled.set(schema, result);
  return result;
}

/**
 * `scheme://` then a host, as the WHATWG URL parser reads it. The parser alone would also take
 * `http:example.com` (it repairs it to `http://example.com/`) and `mailto:x`, which a setting
 * meant as a URL with a host is not.
 */
function isUrlWithHost(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) return false;
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
}

/** Key → what its value is not, for the values that do not fit their declaration. */
function checkValues(schema: SettingsSchema, values: readonly ResolvedValue[]): Map<string, string> {
  const { values: validateValues, ranges: validateRanges } = compile(schema);
  const misfits = new Map<string, string>();
  const byKey = (errors: readonly ErrorObject[] | null | undefined) => {
    const grouped = new Map<string, ErrorObject[]>();
    for (const error of errors ?? []) {
      // Keys are data keys ([-._a-zA-Z0-9]): nothing in them a JSON pointer escapes.
      const key = error.instancePath.split('/')[1];
      grouped.set(key, [...(grouped.get(key) ?? []), error]);
    }
    return grouped;
  };
  validateValues(Object.fromEntries(values.map((value) => [value.key, value.value])));
  for (const [key, errors] of byKey(validateValues.errors)) misfits.set(key, misfitOf(schema[key], errors, false));
  // Only a well-formed integer is compared with its range: Number() would read '1e3' or ' 7'.
  const numbers = values.filter((value) => !misfits.has(value.key) && schema[value.key].type === 'integer');
  validateRanges(Object.fromEntries(numbers.map((value) => [value.key, Number(value.value)])));
  for (const [key, errors] of byKey(validateRanges.errors)) misfits.set(key, misfitOf(schema[key], errors, true));
  return misfits;
}
