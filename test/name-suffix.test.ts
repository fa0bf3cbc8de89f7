import { createHash } from 'crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { encodeSuffix, goJson, keyedSecretSuffix, kustomizeConfigMapSuffix, versionBase, versionedName } from '../lib/config/name-suffix';
import { synthEnvironments } from '../lib/synth/pipeline';
import { findKubectl, kubectl } from './kubectl';
import { findVersion, REPO_ENV_DIR, random, taskApiProject } from './support';


const KEY_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.'];
// kustomize cannot print other control characters (its YAML reader refuses them); neither can an
// env file hold them. Go's escaping of those is checked against kubectl below.
const VALUE_CHARS = [...'abcXYZ019 !"#$%\'()*+,-./:;=?@[\\]^_`{|}~<>&', '\t', '\n', '\r',
  'é', 'ß', '日本', '🚀', '\u2028', '\u2029', '\u0085', '\ufeff', '\ufffd'];

function randomData(next: () => number): Record<string, string> {
  const data: Record<string, string> = {};
  const count = Math.floor(next() * 6);
  for (let i = 0; i < count; i++) {
    // A letter first: kustomize 5.5 fails on keys that read as YAML numbers (`7`).
    const key = KEY_CHARS[Math.floor(next() * 52)] +
      Array.from({ length: Math.floor(next() * 8) }, () => KEY_CHARS[Math.floor(next() * KEY_CHARS.length)]).join('');
    data[key] = Array.from({ length: Math.floor(next() * 12) }, () => VALUE_CHARS[Math.floor(next() * VALUE_CHARS.length)]).join('');
  }
  return data;
}

/**
 * The suffixes `kubectl kustomize` gives configMapGenerators holding exactly `cases` (each value
 * from a file, so that any character reaches kustomize unchanged), in order.
 */
function kustomizeSuffixes(cases: readonly Record<string, string>[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'task-api-kustomize-'));
  const generators = cases.map((data, i) => {
    mkdirSync(join(dir, `case-${i}`));
    const files = Object.entries(data).map(([key, value], j) => {
      writeFileSync(join(dir, `case-${i}`, `value-${j}`), value);
      return `${key}=case-${i}/value-${j}`;
    });
    return { name: `case-${i}`, files };
  });
  writeFileSync(join(dir, 'kustomization.yaml'), JSON.stringify({ configMapGenerator: generators }));
  const output = kubectl(findKubectl(), ['kustomize', dir]);
  const names = parseAllDocuments(output).map((document) => String((document.toJSON() as any).metadata.name));
  return cases.map((_, i) => {
    const name = names.find((n) => n.startsWith(`case-${i}-`) && n.length === `case-${i}-`.length + 10);
    if (!name) throw new Error(`kustomize wrote no ConfigMap for case-${i}: ${names.join(', ')}`);
    return name.slice(`case-${i}-`.length);
  });
}

describe('the ConfigMap name suffix', () => {
  const fixed: Record<string, Record<string, string>> = {
    'the Task API sample config': {
      LOG_LEVEL: 'info', API_BASE_URL: 'https://api.example.com', ENABLE_METRICS: 'true', MAX_CONNECTIONS: '100', REQUEST_TIMEOUT_MS: '30000',
    },
    'no data': {},
    'an empty value': { EMPTY: '' },
    'HTML characters, which Go escapes': { HTML: '<a href="x">&amp;</a>', 'a.b': '>&<' },
    'unicode, U+2028 and U+2029': { UNICODE: 'héllo wörld ✓ 日本 🚀', SEPARATORS: 'a\u2028b\u2029c\u0085d' },
    'tabs, line breaks, quotes and backslashes': { CONTROL: 'tab\there\nnew line\r\n', QUOTES: '"quoted" \\ back' },
    'keys whose order differs between code units and locales': { a: '1', A: '2', _: '3', '-': '4', 'a.b': '5', 'a-b': '6', Z9: '7' },
    'values YAML would read as other types': { N: '100', B: 'true', X: 'null', O: '0755', F: '1e3' },
  };
  const next = random(20261101);
  const generated = Array.from({ length: 40 }, () => randomData(next));

  test('is the suffix kubectl kustomize gives a configMapGenerator with the same data', () => {
    const cases = [...Object.values(fixed), ...generated];
    const expected = kustomizeSuffixes(cases);
    const labels = [...Object.keys(fixed), ...generated.map((_, i) => `generated case ${i} (seed 20261101)`)];
    expect(cases.map((data, i) => [labels[i], kustomizeConfigMapSuffix(data)])).toEqual(cases.map((_, i) => [labels[i], expected[i]]));
  });

  test('names dev\'s ConfigMap as kubectl kustomize names the bench overlay built from the same env files', () => {
    const overlay = join(__dirname, '..', 'bench', 'kustomize', 'overlays', 'dev');
    const output = kubectl(findKubectl(), ['kustomize', '--load-restrictor=LoadRestrictionsNone', overlay]);
    const theirs = parseAllDocuments(output).map((d) => d.toJSON() as any).find((o) => o.kind === 'ConfigMap').metadata.name;
    const [dev] = synthEnvironments(taskApiProject(), ['dev'], { envDir: REPO_ENV_DIR, processEnv: {} });
    expect(findVersion(dev.objects, 'ConfigMap', 'task-api-config').metadata.name).toBe(theirs);
  });

  test('matches the published vectors of kustomize\'s hasher tests', () => {
    // kustomize api/hasher/hasher_test.go, TestConfigMapHash: "empty data" and "one key".
    expect(kustomizeConfigMapSuffix({})).toBe('6ct58987ht');
    expect(kustomizeConfigMapSuffix({ one: '' })).toBe('9g67k2htb6');
  });

  test('is the same for the same data, whatever the key order', () => {
    expect(kustomizeConfigMapSuffix({ A: '1', B: '2' })).toBe(kustomizeConfigMapSuffix({ B: '2', A: '1' }));
  });

  test('changes when any value, key or entry changes', () => {
    const base = { LOG_LEVEL: 'info', MAX_CONNECTIONS: '100' };
    const variants: Record<string, string>[] = [
      { LOG_LEVEL: 'debug', MAX_CONNECTIONS: '100' },
      { LOG_LEVEL: 'info', MAX_CONNECTIONS: '100 ' },
      { LOG_LEVEL: 'info', MAX_CONNECTION: '100' },
      { LOG_LEVEL: 'info' },
      { LOG_LEVEL: 'info', MAX_CONNECTIONS: '100', EXTRA: '' },
    ];
    const suffixes = new Set([base, ...variants].map(kustomizeConfigMapSuffix));
    expect(suffixes.size).toBe(variants.length + 1);
  });
});

describe('the Secret name suffix', () => {
  const data = { DATABASE_PASSWORD: 'fake-database-password', OPENAI_API_KEY: 'fake-openai-key' };

  test('is the same for the same data and key, and changes with any value', () => {
    expect(keyedSecretSuffix(data, 'Opaque', 'fake-hash-key')).toBe(keyedSecretSuffix({ ...data }, 'Opaque', 'fake-hash-key'));
    expect(keyedSecretSuffix({ ...data, DATABASE_PASSWORD: 'fake-database-passwore' }, 'Opaque', 'fake-hash-key'))
      .not.toBe(keyedSecretSuffix(data, 'Opaque', 'fake-hash-key'));
  });

  test('changes with the hash key', () => {
    expect(keyedSecretSuffix(data, 'Opaque', 'fake-hash-key-1')).not.toBe(keyedSecretSuffix(data, 'Opaque', 'fake-hash-key-2'));
  });

  test('cannot be computed from the data alone: it is not the plain hash of the same encoding', () => {
    const base64 = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    const message = goJson({ data: base64, kind: 'Secret', name: '', type: 'Opaque' });
    const plain = encodeSuffix(createHash('sha256').update(message).digest('hex'));
    const unkeyedGuesses = [plain, kustomizeConfigMapSuffix(data), kustomizeConfigMapSuffix(base64)];
    expect(unkeyedGuesses).not.toContain(keyedSecretSuffix(data, 'Opaque', 'fake-hash-key'));
  });

  test('is DNS-safe and 10 characters long', () => {
    expect(keyedSecretSuffix(data, 'Opaque', 'fake-hash-key')).toMatch(/^[0-9a-z]{10}$/);
  });

  test('refuses an empty hash key', () => {
    expect(() => keyedSecretSuffix(data, 'Opaque', '')).toThrow('the hash key is empty');
  });
});

describe('Go\'s JSON encoding', () => {
  test('escapes a string as kubectl\'s encoding/json does (the password in a .dockerconfigjson)', () => {
    const password = 'a\bb\fc\u0001d\u001fe\u007ff<g>h&i\u2028j\u2029k"l\\m\tn\ro\u0085pé🚀';
    const written = kubectl(findKubectl(), ['create', 'secret', 'docker-registry', 'x', '--docker-server=s', '--docker-username=u',
      `--docker-password=${password}`, '--dry-run=client', '-o', 'jsonpath={.data.\\.dockerconfigjson}']);
    const json = Buffer.from(written, 'base64').toString('utf8');
    expect(json).toContain(`"password":${goJson(password)},`);
  });

  test('escapes what Go escapes and leaves the rest as it is', () => {
    expect(goJson({ k: '<>&\u2028\u2029"\\\n\t\b\f\r\u0001\u007fé🚀' }))
      .toBe('{"k":"\\u003c\\u003e\\u0026\\u2028\\u2029\\"\\\\\\n\\t\\b\\f\\r\\u0001\u007fé🚀"}');
  });

  test('sorts keys by their UTF-8 bytes', () => {
    // U+FF01 sorts before U+1F680 in UTF-16 code units, after it in UTF-8 bytes.
    expect(goJson({ '\u{1F680}': '', '\uFF01': '', B: '', a: '' })).toBe('{"B":"","a":"","\uFF01":"","\u{1F680}":""}');
  });
});

describe('versioned names', () => {
  test('join the base name and the suffix', () => {
    expect(versionedName('task-api-config', 'g5dgf24d6k')).toBe('task-api-config-g5dgf24d6k');
  });

  test('lead back to their base name; other names are their own base', () => {
    expect(versionBase(versionedName('task-api-config', kustomizeConfigMapSuffix({ A: '1' })))).toBe('task-api-config');
    expect(versionBase(versionedName('task-api-secrets', keyedSecretSuffix({ A: '1' }, 'Opaque', 'fake-key')))).toBe('task-api-secrets');
    expect(versionBase('task-api-registry')).toBe('task-api-registry');
    expect(versionBase('task-api-production1')).toBe('task-api-production1');
  });

  test('refuse names longer than the API server accepts', () => {
    expect(() => versionedName('x'.repeat(243), 'g5dgf24d6k')).toThrow(/over 253 characters/);
  });
});
