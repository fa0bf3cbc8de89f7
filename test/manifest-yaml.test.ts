import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Yaml } from 'cdk8s';
import fc from 'fast-check';
import { synthEnvironments } from '../lib/synth/pipeline';
import { parseEnvFile } from '../lib/config/env-file';
import { manifestFiles, readManifests, writeEnvironment } from '../lib/synth/output';
import { manifestYaml } from '../lib/synth/manifest-yaml';
import { findKubectl, kubectl } from './kubectl';
import { committedEnvDir, fakeSecrets, findObject, findVersion, taskApiProject } from './support';
import { kubectlRead, kustomizeRead, pyyamlRead, Reading } from './yaml-readers';

// The files synth writes, read back by go-yaml (kubectl kustomize), PyYAML and libyaml (YAML 1.1)
// and the `yaml` package (plan, the sealed backend), must give exactly the data kubectl gives for
// the same values. Expected data comes from kubectl, or, for strings that no env file can hold,
// from the generated strings themselves; never from the code under test.

let binary: string;
beforeAll(() => {
  binary = findKubectl();
});

/** Pieces of values that YAML treats specially, or where its readers have been seen to disagree. */
const PIECES = [
  '\t', ' ', '  ', '#', ' #', '"', "'", '`', '\\', '\\n', '\\"', ':', ': ', '- ', '? ', '&a', '*a', '!a', '|', '>', '%',
  '@', ',', '[', ']', '{', '}', '---', '...', '=', '<<', '\u00a0', '\u2000', '\u202f', '\u3000', '\u200b', '\u200c',
  '\u200d', '\u200e', '\u200f', '\u061c', '\u00ad', '\ufeff', '\u2060', '\u180e', '\u034f', 'é', '日本', '🚀',
  '\u{e0001}', '\ufffd', '\ue000', '\u{10fffd}', 'a', 'Z', '0', '7', '.', '_', '-', '+', 'x', 'fake',
];
/** Whole values that a plain scalar would turn into something else for some reader. */
const WORDS = [
  '', 'yes', 'Yes', 'NO', 'on', 'Off', 'y', 'n', 'Y', 'N', 'true', 'False', 'null', 'NULL', '~', '0755', '0o17', '0O17',
  '0x1F', '0X1F', '0b101', '0B11', '-0o7', '0b+1', '1:20', '190:20:30.15', '1_000', '1e3', '1E+3', '6.8523015e+5', '.5',
  '.5_0', '-.inf', '.NaN', '08', '+12', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-1-2', '<<', '=', '-', '?',
  ':', '|', '>', '@x', '%x', '!x', '&x', '*x', '3f2a9c', '1.2.3', '0.', '-0', '\t', ' x', 'x ', '#x', 'x #y',
];
/** Characters env files refuse (lib/env-file.ts), format characters (Cf) among them: YAML must still carry them from elsewhere. */
const REFUSED_IN_ENV_FILES = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u2028\u2029\p{Cf}\uFFFE\uFFFF]/u;

const pieces = fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((p) => p.join(''));
const anyText = fc.string({ unit: 'binary', maxLength: 20 });
const longLine = fc.tuple(fc.constantFrom(...PIECES), fc.integer({ min: 500, max: 4000 })).map(([piece, n]) => `L${piece.repeat(n)}L`);
const singleLine = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 12, arbitrary: pieces },
  { weight: 4, arbitrary: anyText },
  { weight: 2, arbitrary: fc.tuple(pieces, anyText, pieces).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: longLine },
).filter((value) => !REFUSED_IN_ENV_FILES.test(value) && (plainForBoth(value) || quoteFor(value) !== undefined));
const multiLine = fc.array(fc.oneof(pieces, fc.constantFrom('', ' ', '  x', '\tx', '# not a comment', '---', '...')), { minLength: 2, maxLength: 5 })
  .map((lines) => lines.join('\n'))
  .filter((value) => !REFUSED_IN_ENV_FILES.test(value.replace(/\n/g, '')) && quoteFor(value) !== undefined);

/** Keys YAML readers could take for other things; the first generated values get them. */
const CONFIG_KEYS = ['on', 'y', 'N', 'null', 'True', '.5', '.inf', '-', '_', '-1', '-.5'];
const SECRET_KEYS = ['yes', 'off', 'n', 'NULL', 'false', '.nan', '-.inf', '__', '-0'];
/** Keys kubectl --from-env-file refuses (not env var names): for the multi-line values, read with --from-file. */
const MULTI_LINE_KEYS = ['0755', '0o17', '1e3', '1_0', '0X1F', '1.2', '2001-12-14'];

/** How an env file line quotes `value` for dotenv: the first quote the value does not hold (no backslash between "). */
function quoteFor(value: string): string | undefined {
  return ["'", '`', '"'].find((q) => !value.includes(q) && (q !== '"' || !value.includes('\\')));
}

/** Whether dotenv and kubectl read `KEY=value` alike: nothing either trims, no '#', no opening quote. */
function plainForBoth(value: string): boolean {
  return value.trim() === value && !value.includes('#') && !/^['"`]/.test(value) && !value.includes('\n');
}

interface Generated { readonly singleLine: readonly string[]; readonly multiLine: readonly string[] }

/** The generated values with keys: single-line ones under C_/S_ names, multi-line ones under CM_/SM_. */
function keyed({ singleLine: single, multiLine: multi }: Generated) {
  const withKeys = (values: readonly string[], special: readonly string[], prefix: string) =>
    values.map((value, i) => [special[i] ?? `${prefix}${i}`, value] as const);
  return {
    config: withKeys(single, CONFIG_KEYS, 'C_'),
    // An empty secret is an error of its own (lib/layers.ts).
    secrets: withKeys(single.filter((value) => value !== ''), SECRET_KEYS, 'S_'),
    configMultiLine: withKeys(multi, MULTI_LINE_KEYS, 'CM_'),
    secretsMultiLine: withKeys(multi, [], 'SM_'),
  };
}

/** The line of our env file for a value: as is when dotenv and kubectl read it alike, else quoted. */
function envLine(key: string, value: string): string {
  if (plainForBoth(value)) return `${key}=${value}`;
  const quote = quoteFor(value)!;
  return `${key}=${quote}${value}${quote}`;
}

/** kubectl's data for the values: --from-env-file with each value as it is, or --from-file for multi-line ones. */
function kubectlData(kind: 'configmap' | 'secret', single: ReadonlyArray<readonly [string, string]>, multi: ReadonlyArray<readonly [string, string]>) {
  const dir = mkdtempSync(join(tmpdir(), 'task-api-yaml-'));
  const create = kind === 'configmap' ? ['create', 'configmap', 'x'] : ['create', 'secret', 'generic', 'x'];
  const run = (args: string[]) => JSON.parse(kubectl(binary, [...create, ...args, '--dry-run=client', '-o', 'json'])).data ?? {};
  writeFileSync(join(dir, 'values.env'), single.map(([k, v]) => `${k}=${v}\n`).join(''));
  const fromFiles = multi.map(([k, v], i) => {
    writeFileSync(join(dir, `value-${i}`), v);
    return `--from-file=${k}=${join(dir, `value-${i}`)}`;
  });
  return { ...run([`--from-env-file=${join(dir, 'values.env')}`]), ...(fromFiles.length > 0 ? run(fromFiles) : {}) };
}

/**
 * Characters kustomize cannot carry however they are written: it re-reads its own JSON with
 * go-yaml v2, which refuses DEL, C1 controls, U+FFFE and U+FFFF and reads NEL as a space.
 */
const KUSTOMIZE_CANNOT_CARRY = /[\u007F-\u009F\uFFFE\uFFFF]/;

/** Every reader's documents for the files in `folder`, by reader name. */
function readEveryWay(folder: string, { kustomize = true } = {}): Record<string, unknown[]> {
  const files = readdirSync(folder).filter((name) => name.endsWith('.yaml')).map((name) => join(folder, name));
  const readings: Record<string, Reading[]> = { 'go-yaml v2 (kubectl label --local)': [kubectlRead(binary, folder)] };
  if (kustomize) readings['go-yaml v3 (kubectl kustomize)'] = [kustomizeRead(binary, folder)];
  for (const [reader, byFile] of Object.entries(pyyamlRead(files))) readings[reader] = Object.values(byFile);
  const documents: Record<string, unknown[]> = { 'yaml (readManifests)': readManifests(folder) };
  for (const [reader, list] of Object.entries(readings)) {
    documents[reader] = list.flatMap((reading) => {
      if ('error' in reading) throw new Error(`${reader} cannot read what synth wrote: ${reading.error}`);
      return reading.documents;
    });
  }
  return documents;
}

/** Where `read` differs from `expected` (keys of `expected` only), as [what, key, expected, read]: short, even for thousands of keys. */
function differences(what: string, read: Record<string, unknown> | undefined, expected: Record<string, string>): unknown[][] {
  return Object.entries(expected).filter(([key, value]) => read?.[key] !== value).map(([key, value]) => [what, key, value, read?.[key]]);
}

describe('what synth writes, every reader reads as kubectl does', () => {
  test('env files of generated values: go-yaml, PyYAML, libyaml and readManifests read the data kubectl --from-env-file gives', () => {
    const generated = fc.record({
      singleLine: fc.array(singleLine, { minLength: 40, maxLength: 80 }),
      multiLine: fc.array(multiLine, { minLength: 2, maxLength: 8 }),
    });
    fc.assert(fc.property(generated, (values) => {
      const { config, secrets, configMultiLine, secretsMultiLine } = keyed(values);
      const envDir = committedEnvDir();
      appendFileSync(join(envDir, 'dev.env'), [...config, ...configMultiLine].map(([k, v]) => envLine(k, v) + '\n').join(''));
      appendFileSync(join(envDir, 'dev.secrets.env'), [...secrets, ...secretsMultiLine].map(([k, v]) => envLine(k, v) + '\n').join(''));
      appendFileSync(join(envDir, 'dev.secrets.env.example'), [...secrets, ...secretsMultiLine].map(([k]) => `${k}=\n`).join(''));
      const notSecret = [...config, ...configMultiLine].map(([k]) => k);
      const [dev] = synthEnvironments(taskApiProject({ guardRailExceptions: { notSecret, inBothLayers: [] } }), ['dev'], { envDir, processEnv: {} });
      const outdir = mkdtempSync(join(tmpdir(), 'task-api-dist-'));
      const folder = writeEnvironment(outdir, 'dev', manifestFiles(dev.objects));

      const expectedConfig = kubectlData('configmap', config, configMultiLine);
      const expectedSecret = kubectlData('secret', secrets, secretsMultiLine);
      expect(Object.keys(expectedConfig).sort()).toEqual([...config, ...configMultiLine].map(([k]) => k).sort());
      for (const [reader, documents] of Object.entries(readEveryWay(folder))) {
        const configMap = findVersion(documents, 'ConfigMap', 'task-api-config');
        const secret = findVersion(documents, 'Secret', 'task-api-secrets');
        expect(differences(`${reader}: ConfigMap`, configMap.data, expectedConfig)).toEqual([]);
        expect(differences(`${reader}: Secret`, secret.data, expectedSecret)).toEqual([]);
      }
    }), { numRuns: 3, endOnFailure: true });
  });

  test('the generated values cover tabs, quotes, backslashes, "#", edge spaces, YAML 1.1 words, odd spaces and long lines, and no format character (env files refuse them)', () => {
    const values = fc.sample(singleLine, { numRuns: 2000, seed: 1 });
    for (const wanted of ['\t', '"', "'", '\\', '#', '\u00a0', '\u3000', '\u034f', '\ue000']) expect(values.some((v) => v.includes(wanted))).toBe(true);
    expect(values.some((v) => /\p{Cf}/u.test(v))).toBe(false);
    for (const word of ['yes', 'on', 'y', 'N', '0755', '0o17', '1:20', '~', 'null', '<<', '=']) expect(values).toContain(word);
    expect(values.some((v) => v !== v.trim())).toBe(true);
    expect(values.some((v) => v.length > 1000)).toBe(true);
    const lines = fc.sample(multiLine, { numRuns: 200, seed: 1 });
    expect(lines.some((v) => v.startsWith('\n') || v.endsWith('\n'))).toBe(true);
    expect(lines.some((v) => /\n[ \t]/.test(v))).toBe(true);
  });
});

describe('strings no env file can hold still reach every reader intact', () => {
  // Every BMP character YAML or its readers treat specially: controls, format characters,
  // separators, no-break and other spaces, and the two non-characters YAML forbids.
  const SPECIAL = [...Array(0x10000).keys()].map((code) => String.fromCharCode(code))
    .filter((c) => /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Zs}\uFFFE\uFFFF]/u.test(c));

  function configMapWith(data: Record<string, string>, annotations: Record<string, string>) {
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'y', annotations }, data };
  }

  function expectEveryReaderToRead(object: any) {
    const folder = mkdtempSync(join(tmpdir(), 'task-api-yaml-'));
    writeFileSync(join(folder, '1-configmap-x.yaml'), manifestYaml(object));
    const strings = [...Object.values(object.data), ...Object.values(object.metadata.annotations)] as string[];
    const kustomize = !strings.some((s) => KUSTOMIZE_CANNOT_CARRY.test(s));
    for (const [reader, documents] of Object.entries(readEveryWay(folder, { kustomize }))) {
      const read = findObject(documents, 'ConfigMap', 'x');
      expect(differences(`${reader}: data`, read.data, object.data)).toEqual([]);
      expect(differences(`${reader}: annotations`, read.metadata.annotations, object.metadata.annotations)).toEqual([]);
      expect(Object.keys(read.data)).toHaveLength(Object.keys(object.data).length);
    }
  }

  test('each control, format, separator and space character, alone, inside and at either end of a value', () => {
    expect(SPECIAL).toEqual(expect.arrayContaining(['\t', '\u0085', '\u2028', '\u2029', '\u00a0', '\ufeff', '\u200b', '\u202e', '\u2066', '\u0000', '\u009f']));
    for (const characters of [SPECIAL.filter((c) => !KUSTOMIZE_CANNOT_CARRY.test(c)), SPECIAL.filter((c) => KUSTOMIZE_CANNOT_CARRY.test(c))]) {
      const data: Record<string, string> = {};
      characters.forEach((c, i) => Object.assign(data, { [`alone.${i}`]: c, [`inside.${i}`]: `a${c}b`, [`start.${i}`]: `${c}a`, [`end.${i}`]: `a${c}` }));
      expectEveryReaderToRead(configMapWith(data, { 'example.com/note': `note${characters.join('')}` }));
    }
  });

  test('kustomize cannot carry DEL, C1 controls, NEL, U+FFFE or U+FFFF however they are written, which is why env files refuse them', () => {
    for (const c of ['\u007f', '\u0080', '\uffff']) {
      const folder = mkdtempSync(join(tmpdir(), 'task-api-yaml-'));
      writeFileSync(join(folder, 'x.yaml'), manifestYaml(configMapWith({ KEY: `a${c}b` }, {})));
      expect(kustomizeRead(binary, folder)).toEqual({ error: expect.stringContaining('control characters are not allowed') });
      expect(() => parseEnvFile(`KEY='a${c}b'`, 'f.env')).toThrow(/^f\.env:1: KEY: the line holds /);
    }
    const folder = mkdtempSync(join(tmpdir(), 'task-api-yaml-'));
    writeFileSync(join(folder, 'x.yaml'), manifestYaml(configMapWith({ KEY: 'a\u0085b' }, {})));
    expect(findObject((kustomizeRead(binary, folder) as any).documents, 'ConfigMap', 'x').data.KEY).toBe('a b');
    expect(() => parseEnvFile("KEY='a\u0085b'", 'f.env')).toThrow(/^f\.env:1: KEY: the line holds /);
  });

  test('every short string over YAML\'s indicators, spaces and line breaks', () => {
    const data: Record<string, string> = {};
    const all = (alphabet: readonly string[], length: number, prefix = ''): void => {
      if (prefix !== '') data[`k${Object.keys(data).length}`] = prefix;
      if (prefix.length < length) for (const c of alphabet) all(alphabet, length, prefix + c);
    };
    // A few thousand keys at most: the `yaml` package and kustomize take time quadratic in a map's size.
    all([' ', '\n', 'x', '#', '-', ':'], 4);
    all([' ', '\n', '\t', 'x', '#', '-', ':', "'", '"', '?', '|', '>', '&', '*', '!', '%', '@', '`', ',', '[', '{', '.', '~', '0'], 2);
    expectEveryReaderToRead(configMapWith(data, {}));
  });

  test('generated strings of any characters, in data and annotations', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.array(fc.constantFrom(...PIECES, ...SPECIAL, '\n', '\r\n'), { maxLength: 15 }).map((p) => p.join('')),
      fc.constantFrom(...WORDS),
    );
    fc.assert(fc.property(fc.array(text, { minLength: 50, maxLength: 100 }), (values) => {
      const data = Object.fromEntries(values.map((v, i) => [`k${i}`, v]));
      expectEveryReaderToRead(configMapWith(data, { 'example.com/a': values[0], 'example.com/b': values.join('') }));
    }), { numRuns: 3, endOnFailure: true });
  });
});

describe('manifestYaml', () => {
  test.each([
    ['a tab', 'a\tb', '"a\\tb"'],
    ['NEL', 'a\u0085b', '"a\\u0085b"'],
    ['a line separator', 'a\u2028b', '"a\\u2028b"'],
    ['a paragraph separator', 'a\u2029b', '"a\\u2029b"'],
    ['a C1 control', 'a\u0080b', '"a\\u0080b"'],
    ['a byte order mark', '\ufeffa', '"\\uFEFFa"'],
    ['a zero-width space', 'a\u200bb', '"a\\u200Bb"'],
    ['a bidi override', 'a\u202eb', '"a\\u202Eb"'],
    ['a format character beyond the BMP', 'a\u{e0001}', '"a\\U000E0001"'],
    ['a non-character', 'a\uffffb', '"a\\uFFFFb"'],
    ['a multi-line string with a tab', 'a\n\tb "c"\\', '"a\\n\\tb \\"c\\"\\\\"'],
    ['go-yaml\'s 1.2 octal', '0o17', '"0o17"'],
    ['go-yaml\'s upper-case hex', '0X1F', '"0X1F"'],
    ['YAML 1.1\'s merge key', '<<', '"<<"'],
    ['YAML 1.1\'s value key', '=', '"="'],
  ])('writes %s double-quoted with escapes, as kubectl does', (_name, value, written) => {
    expect(manifestYaml({ data: { KEY: value } })).toBe(`data:\n  KEY: ${written}\n`);
  });

  test('quotes keys a reader would take for a number or a boolean', () => {
    expect(manifestYaml({ data: { '0o7': 'a', 'on': 'b', '0X1': 'c' } })).toBe('data:\n  "0o7": a\n  "on": b\n  "0X1": c\n');
  });

  test('writes the three environments exactly as cdk8s did before, where nothing needed quoting', () => {
    for (const environment of ['dev', 'staging', 'production']) {
      const [synthesized] = synthEnvironments(taskApiProject(), [environment], { envDir: committedEnvDir(), processEnv: environment === 'dev' ? {} : fakeSecrets(environment) });
      for (const object of synthesized.objects) expect(manifestYaml(object)).toBe(Yaml.stringify(object));
    }
  });

  test('keeps ordinary values as they were: plain, block scalars, and the quoting cdk8s already did', () => {
    const data = { a: 'plain', b: 'https://example.com/a#b', c: 'line1\nline2\n', d: 'yes', e: '100', f: ' lead', g: "it's", h: 'é🚀', i: 'a\\b' };
    expect(manifestYaml({ data })).toBe(Yaml.stringify({ data }));
  });

  test('refuses a lone UTF-16 surrogate, which no UTF-8 file can hold, naming the object', () => {
    expect(() => manifestYaml({ kind: 'ConfigMap', metadata: { name: 'x' }, data: { KEY: 'fake\ud800' } }))
      .toThrow('ConfigMap x: a string holds a lone UTF-16 surrogate, which UTF-8, and so a YAML file, cannot carry');
  });
});
