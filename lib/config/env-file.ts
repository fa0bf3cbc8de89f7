import { readFileSync } from 'fs';
import { parse as dotenvParse } from 'dotenv';
import { DATA_KEY_RULE, isDataKey, isStrictEnvVarName } from './kubernetes-names';

/** One `KEY=value` of an env file, with where it was written. */
export interface EnvEntry {
  readonly key: string;
  readonly value: string;
  /** The file the entry came from, as given to the parser. */
  readonly file: string;
  /** 1-based line of the key (the first line of a multi-line value). */
  readonly line: number;
  /**
   * Things worth pointing out that are not errors: the line means something else to
   * `kubectl create configmap --from-env-file`, or the key is not a strict env var name.
   */
  readonly notes: readonly string[];
  /**
   * Where dotenv reads the value other than `kubectl --from-env-file` would, in a way that may be
   * meant (a ` # comment` after an unquoted value, spaces around it): warnings in a ConfigMap
   * layer, where the value shows in review; errors in a secrets file, where a lost character of a
   * password would go unnoticed until it fails in production.
   */
  readonly valueNotes: readonly string[];
}

/**
 * C0 controls but tab, DEL and the C1 controls: never meant to be in a value, often a sign of a
 * corrupt file or of text decoded with the wrong encoding. Nor can kustomize or `kubectl create
 * -o yaml` write DEL or a C1 control, however the YAML they read holds it.
 */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/;
/** The non-characters YAML does not allow, which kustomize refuses however they are written. */
const NON_CHARACTER = /[\uFFFE\uFFFF]/;
/**
 * Characters that make a line display as something other than the text it holds, checked on
 * every line, comments too. A lone carriage return, NEL (U+0085) and the line and paragraph
 * separators (U+2028, U+2029) are line breaks to editors and to YAML, so text after one looks
 * like a line of its own (a comment can seem to set a key, a value can seem to end early); go-yaml
 * cannot read U+2028 or U+2029 in a value and reads NEL as a space. Bidirectional embeddings,
 * overrides and isolates (U+202A-U+202E, U+2066-U+2069) reorder how the line is shown, so a
 * reviewer reads a different value from the one that is deployed ("Trojan Source").
 */
const LINE_BREAK_CHARACTER = /[\r\u0085\u2028\u2029]/;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
/**
 * Format characters (Unicode category Cf: zero-width space, joiners, bidi marks, word joiner, soft
 * hyphen, a BOM inside a line, tag characters…) show as nothing, or change nothing visible, in an
 * editor, a diff or a terminal: `in\u200Bfo` reads `info`, and the pods get something else. One
 * exception, in ConfigMap layers only: U+200D ZERO WIDTH JOINER between two pictographs, which is
 * how emoji sequences are written (a family, a profession) and shows as the one glyph it makes.
 */
const FORMAT_CHARACTER = /\p{Cf}/gu;
const EMOJI_JOINER = /(?<=\p{Extended_Pictographic}[\u{FE0F}\u{1F3FB}-\u{1F3FF}]?)\u200D(?=\p{Extended_Pictographic})/gu;
/** Names of the format characters most often met, for messages; others are named by category. */
const FORMAT_CHARACTER_NAMES: Readonly<Record<number, string>> = {
  0x00ad: 'SOFT HYPHEN', 0x061c: 'ARABIC LETTER MARK', 0x180e: 'MONGOLIAN VOWEL SEPARATOR',
  0x200b: 'ZERO WIDTH SPACE', 0x200c: 'ZERO WIDTH NON-JOINER', 0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK', 0x200f: 'RIGHT-TO-LEFT MARK', 0x2060: 'WORD JOINER',
  0x2061: 'FUNCTION APPLICATION', 0x2062: 'INVISIBLE TIMES', 0x2063: 'INVISIBLE SEPARATOR', 0x2064: 'INVISIBLE PLUS',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE (a byte order mark inside a line)', 0xe0001: 'LANGUAGE TAG',
};
/**
 * Keys that JavaScript objects on the way to YAML cannot carry: objects drop `__proto__`, and
 * cdk8s's resolver takes an own `constructor` for the object's type.
 */
const UNREPRESENTABLE_KEYS = new Set(['__proto__', 'constructor']);

export interface EnvFileOptions {
  /**
   * The file holds secrets: an invalid key is not repeated in the message, since in a secrets file
   * it is most likely a line of an unquoted multi-line value (a key, a certificate).
   * @default false
   */
  readonly sensitive?: boolean;
  /**
   * In a sensitive file, the keys that may be named in messages (those its `.example` lists, and
   * the synth-only ones): any other "key" may be a line of an unquoted multi-line value, so the
   * messages say "the text before '='" instead.
   * @default - every key that is a valid data key is named
   */
  readonly knownKeys?: readonly string[];
}

/**
 * Parses the text of an env file into entries, one per `KEY=value` line, in file order.
 *
 * dotenv reads each value (quotes, escapes, inline comments, multi-line quoted values), but
 * dotenv.parse silently drops what it cannot read and lets a repeated key win. So every line is
 * accounted for here first: a line that is not blank, a comment, or part of a quoted value must
 * be one `KEY=value`, or the whole file is rejected with its name and line number.
 *
 * A line that dotenv would read as something other than what a reader of the line sees is an
 * error too (see `checkUnquotedValue` and `checkQuotedValue`): a secret must reach the cluster as
 * written or not at all. Lines that only another reader (kubectl --from-env-file) reads
 * differently get a note.
 *
 * Messages name the file, the line and the key, never the value: the same parser reads secrets.
 */
export function parseEnvFile(text: string, file: string, options: EnvFileOptions = {}): EnvEntry[] {
  // The BOM kubectl strips too; CRLF endings are split away so no stray \r reaches a value.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries: EnvEntry[] = [];
  const firstLineOf = new Map<string, number>();

  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const where = `${file}:${lineNumber}`;
    const trimmed = lines[i].trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      // Checked before skipping: a comment holding a line break or a bidi override can look like a KEY=value line.
      const problem = displayProblem(lines[i]);
      if (problem) throw new Error(`${where}: the line holds ${problem}`);
      continue;
    }

    const match = /^\s*(export\s+)?([^=]*?)(\s*)=([\s\S]*)$/.exec(lines[i]);
    if (!match) {
      throw new Error(`${where}: expected KEY=value; this line has no '='`);
    }
    const [, exportPrefix, key, spaceBeforeEquals] = match;
    checkDataKey(key, where, options.sensitive ?? false);
    // What messages call the key: its name, unless it may be secret text (see knownKeys).
    const label = options.sensitive && options.knownKeys && !options.knownKeys.includes(key) ? "the text before '='" : key;
    const previous = firstLineOf.get(key);
    if (previous !== undefined) {
      throw new Error(`${where}: ${label} is already set on line ${previous}; a key may appear once per file`);
    }
    firstLineOf.set(key, lineNumber);

    // A quoted value may span lines: gather them so dotenv sees the whole value.
    let raw = match[4];
    const quote = raw.trimStart()[0];
    const firstLine = i;
    if (quote === '"' || quote === "'" || quote === '`') {
      while (!isQuotedValue(raw, quote)) {
        if (i === firstLine && hasClosingQuote(raw.trimStart(), quote)) {
          throw new Error(`${where}: ${label}: unexpected text after the closing ${quote}`);
        }
        i++;
        if (i >= lines.length) {
          throw new Error(`${where}: ${label}: the quoted value is never closed (missing ${quote})`);
        }
        raw += '\n' + lines[i];
      }
    }
    for (let at = firstLine; at <= i; at++) {
      const problem = CONTROL_CHARACTER.test(lines[at]) ? 'a control character (such as NUL, a lone carriage return or NEL, U+0085)'
        : NON_CHARACTER.test(lines[at]) ? 'U+FFFE or U+FFFF, which YAML does not allow'
          : displayProblem(lines[at]) ?? formatCharacterProblem(lines[at], options.sensitive ?? false);
      if (problem) throw new Error(`${file}:${at + 1}: ${label}: the line holds ${problem}`);
    }

    // kubectl refuses a line with `export ` or a space before '=' outright, so it cannot read one differently.
    const kubectlReadsLine = !exportPrefix && !spaceBeforeEquals;
    const quoted = quote === '"' || quote === "'" || quote === '`';
    const notes = quoted ? checkQuotedValue(raw, quote, label, where) : [];
    const valueNotes = quoted ? [] : checkUnquotedValue(raw, label, where, kubectlReadsLine);
    if (!isStrictEnvVarName(key)) {
      notes.push(`${where}: ${label} is not a strict environment variable name; clusters before 1.32 skip it in envFrom`);
    }
    // dotenv parses the value under a fixed, harmless key, so odd keys (such as `toString`)
    // cannot bend its result object.
    const value = dotenvParse(`VALUE=${raw}`).VALUE ?? '';
    entries.push({ key, value, file, line: lineNumber, notes, valueNotes });
  }
  return entries;
}

/**
 * Why the line would not display as the text it holds, if it would not: see LINE_BREAK_CHARACTER
 * and BIDI_CONTROL.
 */
function displayProblem(line: string): string | undefined {
  if (LINE_BREAK_CHARACTER.test(line)) {
    return 'a line break other than \\n (a lone carriage return, NEL U+0085, or U+2028 or U+2029), which editors and YAML readers show as a new line';
  }
  if (BIDI_CONTROL.test(line)) {
    return 'a bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069), which makes the line display as other text';
  }
  return undefined;
}

/** The first format character of the line that FORMAT_CHARACTER refuses, described with its code point and name. */
function formatCharacterProblem(line: string, sensitive: boolean): string | undefined {
  const allowed = sensitive ? line : line.replace(EMOJI_JOINER, '');
  const found = allowed.match(FORMAT_CHARACTER);
  if (!found) return undefined;
  const code = found[0].codePointAt(0)!;
  const name = FORMAT_CHARACTER_NAMES[code];
  const where = sensitive ? '' : ' (a zero width joiner is accepted between two emoji, in ConfigMap layers)';
  return `${codePointLabel(code)}${name ? ` ${name}` : ''}, a format character that editors, diffs and terminals do not show: ` +
    `a reviewer would read another value than the one deployed. Delete it${where}`;
}

/** `U+200B`: a code point as Unicode writes it. */
export function codePointLabel(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * An unquoted value, which dotenv ends at the first '#' and trims. A '#' that begins a word
 * (after a space or a tab) is a comment for dotenv, a shell and Docker Compose alike: a note,
 * since kubectl keeps it. A '#' anywhere else is part of the value for kubectl, Docker's
 * --env-file and a shell, but dotenv would cut the value there (`P=Xy7#kP2` becoming `Xy7`): an
 * error. Spaces around the value are dropped, which kubectl does not do: a note (when kubectl
 * reads the line at all).
 */
function checkUnquotedValue(raw: string, key: string, where: string, kubectlReadsLine: boolean): string[] {
  const hash = raw.indexOf('#');
  if (hash !== -1 && (hash === 0 || (raw[hash - 1] !== ' ' && raw[hash - 1] !== '\t'))) {
    throw new Error(
      `${where}: ${key}: '#' in an unquoted value starts a comment for dotenv, which would cut the value there ` +
      `(kubectl and a shell keep it): quote the value, ${key}=${quoted(raw.trim())}`);
  }
  if (!kubectlReadsLine) return [];
  const value = hash === -1 ? raw : raw.slice(0, hash);
  const notes: string[] = [];
  if (hash !== -1) {
    notes.push(`${where}: ${key}: the text from '#' on is a comment, which kubectl --from-env-file would keep in the value; put comments on a line of their own`);
  }
  const edgeSpace = hash === -1 ? value.trim() !== value : value.trim() !== '' && value.trimStart() !== value;
  if (edgeSpace) {
    notes.push(`${where}: ${key}: the spaces around the value are dropped (kubectl --from-env-file keeps them); quote the value if they belong to it`);
  }
  return notes;
}

/**
 * A quoted value, which dotenv takes from between the quotes: literally between ' or `, and
 * between " with `\n` and `\r` read as a newline and a carriage return. Any other backslash
 * between " stays in the value (`"a\"b"` is `a\"b`, `"a\\b"` is `a\\b`), where a reader who
 * knows a shell, Docker Compose or JSON expects it to escape the next character: an error. So is
 * a quote escaped inside single quotes or backquotes (`'it\'s'` is `it\'s`).
 */
function checkQuotedValue(raw: string, quote: string, key: string, where: string): string[] {
  const inner = new RegExp(`^\\s*${quote}((?:\\\\${quote}|[^${quote}])*)${quote}`).exec(raw)?.[1] ?? '';
  if (quote === '"' && /\\(?![nr])/.test(inner)) {
    throw new Error(
      `${where}: ${key}: a backslash in a "-quoted value: dotenv reads only \\n and \\r there and keeps every other ` +
      `backslash (\\" stays \\"): use quotes that keep every character as it is, ${key}=${quoted(inner, "'")}`);
  }
  if (quote !== '"' && inner.includes(quote)) {
    throw new Error(`${where}: ${key}: a ${quote} inside a ${quote}-quoted value: dotenv keeps the backslash before it; quote the value with other quotes, ${key}=${quoted(inner.replaceAll(`\\${quote}`, quote))}`);
  }
  return [];
}

/**
 * Quotes the value can take, for messages (never the value itself): `first`, else the first of
 * ", ' and ` that it does not hold (" only without a backslash, which dotenv would keep).
 */
function quoted(value: string, first = '"'): string {
  const quote = [first, '"', "'", '`'].find((q) => !value.includes(q) && (q !== '"' || !value.includes('\\'))) ?? "'";
  return `${quote}...${quote}`;
}

/**
 * Reads and parses an env file. The bytes must be UTF-8: a decoder that silently maps bad bytes
 * to U+FFFD would put corrupt values into the cluster.
 */
export function readEnvFile(path: string, options: EnvFileOptions = {}): EnvEntry[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error: any) {
    if (error.code === 'ENOENT') throw new Error(`${path}: no such file`);
    if (error.code === 'EISDIR') throw new Error(`${path}: is a folder, not an env file`);
    throw new Error(`${path}: cannot be read (${error.code ?? error.message})`);
  }
  return parseEnvFile(decodeUtf8(bytes, path), path, options);
}

function decodeUtf8(bytes: Buffer, path: string): string {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return decoder.decode(bytes);
  } catch {
    let start = 0;
    for (let line = 1; ; line++) {
      const end = bytes.indexOf(0x0a, start);
      const slice = bytes.subarray(start, end === -1 ? bytes.length : end);
      try {
        decoder.decode(slice);
      } catch {
        throw new Error(`${path}:${line}: the line is not valid UTF-8; save the file as UTF-8`);
      }
      start = end + 1;
    }
  }
}

function checkDataKey(key: string, where: string, sensitive: boolean): void {
  if (key === '') {
    throw new Error(`${where}: the line has no key before '='`);
  }
  const shown = sensitive ? 'the text before \'=\'' : `"${key}"`;
  if (!isDataKey(key)) {
    throw new Error(`${where}: ${shown} is not a valid key: use ${DATA_KEY_RULE}` + (sensitive ? '; a multi-line value must be quoted' : ''));
  }
  if (UNREPRESENTABLE_KEYS.has(key)) {
    throw new Error(`${where}: "${key}" cannot be used as a key: JavaScript objects on the way to YAML cannot carry it`);
  }
}

/**
 * Whether `raw` is one complete quoted value, by dotenv's own pattern: the quote, then anything
 * (a backslash-escaped quote included), the closing quote, and nothing after it but a comment.
 */
function isQuotedValue(raw: string, quote: string): boolean {
  return new RegExp(`^\\s*${quote}(?:\\\\${quote}|[^${quote}])*${quote}\\s*(?:#.*)?$`).test(raw);
}

/** Whether the quote opened at the start of `value` is closed again, escaped quotes aside. */
function hasClosingQuote(value: string, quote: string): boolean {
  for (let i = 1; i < value.length; i++) {
    if (value[i] === '\\' && value[i + 1] === quote) {
      i++;
    } else if (value[i] === quote) {
      return true;
    }
  }
  return false;
}
