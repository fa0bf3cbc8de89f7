import { createHash, createHmac } from 'crypto';

/**
 * Content-addressed name suffixes for the ConfigMap and the app Secret. Pure.
 *
 * A versioned name lets the previous and the new version exist side by side, so that a
 * ReplicaSet restored by `kubectl rollout undo` finds the config it was created with (kubernetes
 * issue 22368). The ConfigMap's suffix is kustomize's, so kustomize users recognise it; the
 * Secret's is keyed, for the reason the `checksum/secret` annotation is.
 */

/** Characters of a suffix: kustomize keeps the first 10 of the hash, remapped. */
const SUFFIX_LENGTH = 10;

/**
 * kustomize's "encode" step (api/hasher/hasher.go, `encode`): the first 10 hex digits, with
 * 0→g, 1→h, 3→k, a→m, e→t, so that a suffix never reads as a number or a hex string.
 */
export function encodeSuffix(hex: string): string {
  if (!/^[0-9a-f]{10,}$/.test(hex)) throw new Error('a name suffix needs at least 10 lowercase hex digits');
  const remap: Readonly<Record<string, string>> = { 0: 'g', 1: 'h', 3: 'k', a: 'm', e: 't' };
  return [...hex.slice(0, SUFFIX_LENGTH)].map((c) => remap[c] ?? c).join('');
}

/**
 * The name suffix `kubectl kustomize` (kustomize v5) gives a configMapGenerator with this data.
 *
 * kustomize hashes the JSON of `{"data": ..., "kind": "ConfigMap", "name": ...}` (Go's
 * encoding/json, keys sorted). Two details of the real code, checked against `kubectl
 * kustomize` and kustomize's own hasher tests: the name is always `""` (the hasher looks the
 * path `metadata/name` up as one field name, which never exists), so the suffix depends on the
 * data alone; and a ConfigMap without data hashes `"data":""`, which is what a generator with
 * no entries writes, so empty data is hashed that way here.
 */
export function kustomizeConfigMapSuffix(data: Readonly<Record<string, string>>): string {
  return encodeSuffix(sha256Hex(goJson({ data: dataOrEmpty(data), kind: 'ConfigMap', name: '' })));
}

/**
 * The suffix of a versioned Secret: kustomize's encoding of a Secret (`{data, kind, name,
 * type}`, data in base64 as the object holds it), but HMAC-SHA256 keyed by the environment's
 * the project's hash key instead of SHA-256. A plain hash of secret data in an object name would let
 * anyone who can list Secrets (or read the Deployment) test guesses offline; without the key the
 * suffix says nothing about the values.
 */
export function keyedSecretSuffix(data: Readonly<Record<string, string>>, type: string, hashKey: string): string {
  if (hashKey === '') throw new Error('the hash key is empty');
  const encoded: Record<string, string> = {};
  for (const key of Object.keys(data)) encoded[key] = Buffer.from(data[key], 'utf8').toString('base64');
  const message = goJson({ data: dataOrEmpty(encoded), kind: 'Secret', name: '', type });
  return encodeSuffix(createHmac('sha256', hashKey).update(message, 'utf8').digest('hex'));
}

/** `name-suffix`, checked against the API server's 253-character limit for object names. */
export function versionedName(base: string, suffix: string): string {
  const name = `${base}-${suffix}`;
  if (name.length > 253) throw new Error(`the versioned name of "${base}" would be over 253 characters`);
  return name;
}

/** A suffix as encodeSuffix writes it: hex digits less 0, 1, 3, a and e, plus their stand-ins. */
const VERSION_SUFFIX = /-[245-9bcdfghkmt]{10}$/;

/**
 * The name a versioned name was made from (`web-config-g5dgf24d6k` → `web-config`),
 * or the name itself when it has no suffix: how plan pairs a new version with the one it replaces.
 */
export function versionBase(name: string): string {
  return name.replace(VERSION_SUFFIX, '');
}

function dataOrEmpty(data: Readonly<Record<string, string>>): Readonly<Record<string, string>> | string {
  return Object.keys(data).length === 0 ? '' : data;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

type GoJsonValue = string | { readonly [key: string]: GoJsonValue };

/**
 * JSON as Go's encoding/json.Marshal writes strings and maps of strings, which differs from
 * JSON.stringify: map keys sorted by their UTF-8 bytes; `<`, `>`, `&`, U+2028 and U+2029
 * escaped as `\u003c`...; control characters as `\b \f \n \r \t` (Go 1.22 and later) or
 * `\u00XX`. A lone UTF-16 surrogate (never produced by reading a UTF-8 file) is written as
 * U+FFFD, as the YAML file holding it would be read back.
 */
export function goJson(value: GoJsonValue): string {
  if (typeof value === 'string') return goJsonString(value);
  const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  return '{' + keys.map((key) => `${goJsonString(key)}:${goJson(value[key])}`).join(',') + '}';
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function goJsonString(text: string): string {
  let out = '"';
  for (const codeUnits of text) {
    // for...of yields a lone surrogate on its own.
    const code = codeUnits.codePointAt(0)!;
    const char = code >= 0xd800 && code <= 0xdfff ? '\ufffd' : codeUnits;
    if (SHORT_ESCAPES[char] !== undefined) out += SHORT_ESCAPES[char];
    else if (code < 0x20 || char === '<' || char === '>' || char === '&' || code === 0x2028 || code === 0x2029) {
      out += '\\u' + code.toString(16).padStart(4, '0');
    } else out += char;
  }
  return out + '"';
}
