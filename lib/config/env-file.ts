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
}

/** C0 controls but tab, and DEL: never meant to be in a value, often a sign of a corrupt file. */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000A-\u001F\u007F]/;
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
}

/**
 * Parses the text of an env file into entries, one per `KEY=value` line, in file order.
 *
 * dotenv reads each value (quotes, escapes, inline comments, multi-line quoted values), but
 * dotenv.parse silently drops what it cannot read and lets a repeated key win. So every line is
 * accounted for here first: a line that is not blank, a comment, or part of a quoted value must
 * be one `KEY=value`, or the whole file is rejected with its name and line number.
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
    if (trimmed === '' || trimmed.startsWith('#')) continue;

    const match = /^\s*(export\s+)?([^=]*?)(\s*)=([\s\S]*)$/.exec(lines[i]);
    if (!match) {
      throw new Error(`${where}: expected KEY=value; this line has no '='`);
    }
    const [, exportPrefix, key, spaceBeforeEquals] = match;
    checkDataKey(key, where, options.sensitive ?? false);
    const previous = firstLineOf.get(key);
    if (previous !== undefined) {
      throw new Error(`${where}: ${key} is already set on line ${previous}; a key may appear once per file`);
    }
    firstLineOf.set(key, lineNumber);

    // A quoted value may span lines: gather them so dotenv sees the whole value.
    let raw = match[4];
    const quote = raw.trimStart()[0];
    const firstLine = i;
    if (quote === '"' || quote === "'" || quote === '`') {
      while (!isQuotedValue(raw, quote)) {
        if (i === firstLine && hasClosingQuote(raw.trimStart(), quote)) {
          throw new Error(`${where}: ${key}: unexpected text after the closing ${quote}`);
        }
        i++;
        if (i >= lines.length) {
          throw new Error(`${where}: ${key}: the quoted value is never closed (missing ${quote})`);
        }
        raw += '\n' + lines[i];
      }
    }
    const controlAt = lines.slice(firstLine, i + 1).findIndex((line) => CONTROL_CHARACTER.test(line));
    if (controlAt !== -1) {
      throw new Error(`${file}:${firstLine + controlAt + 1}: ${key}: the line holds a control character (such as NUL or a lone carriage return)`);
    }

    // dotenv parses the value under a fixed, harmless key, so odd keys (such as `toString`)
    // cannot bend its result object.
    const value = dotenvParse(`VALUE=${raw}`).VALUE ?? '';

    const notes: string[] = [];
    const kubectlDiffers = [
      exportPrefix ? "an 'export ' prefix" : undefined,
      spaceBeforeEquals ? "space before '='" : undefined,
      i > firstLine ? 'a value over several lines' : undefined,
      i === firstLine && raw !== value ? describeValueDifference(raw) : undefined,
    ].filter((reason) => reason !== undefined);
    if (kubectlDiffers.length > 0) {
      notes.push(`${where}: ${key}: kubectl --from-env-file would read this line differently (${kubectlDiffers.join(', ')})`);
    }
    if (!isStrictEnvVarName(key)) {
      notes.push(`${where}: ${key} is not a strict environment variable name; clusters before 1.32 skip it in envFrom`);
    }
    entries.push({ key, value, file, line: lineNumber, notes });
  }
  return entries;
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

/** Why kubectl, which takes everything after '=' literally, reads this value differently. */
function describeValueDifference(raw: string): string {
  const start = raw.trimStart()[0];
  if (start === '"' || start === "'" || start === '`') return 'quotes: kubectl keeps them in the value';
  if (raw.includes('#')) return "'#' starts a comment for dotenv only";
  if (raw.trim() !== raw) return 'spaces around the value: kubectl keeps them';
  return 'dotenv reads the value differently';
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
