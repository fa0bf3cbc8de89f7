import { readFileSync } from 'fs';
import { parse as dotenvParse } from 'dotenv';

/** One `KEY=value` of an env file, with where it was written. */
export interface EnvEntry {
  readonly key: string;
  readonly value: string;
  /** The file the entry came from, as given to the parser. */
  readonly file: string;
  /** 1-based line of the key (the first line of a multi-line value). */
  readonly line: number;
}

/**
 * A ConfigMap/Secret data key, the rule the API server applies to both
 * (k8s.io/apimachinery IsConfigMapKey).
 */
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_KEY_LENGTH = 253;

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
export function parseEnvFile(text: string, file: string): EnvEntry[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries: EnvEntry[] = [];
  const firstLineOf = new Map<string, number>();

  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const where = `${file}:${lineNumber}`;
    const trimmed = lines[i].trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;

    const match = /^\s*(?:export\s+)?([^=]*?)\s*=(.*)$/.exec(lines[i]);
    if (!match) {
      throw new Error(`${where}: expected KEY=value; this line has no '='`);
    }
    const key = match[1];
    checkDataKey(key, where);
    const previous = firstLineOf.get(key);
    if (previous !== undefined) {
      throw new Error(`${where}: ${key} is already set on line ${previous}; a key may appear once per file`);
    }
    firstLineOf.set(key, lineNumber);

    // A quoted value may span lines: gather them so dotenv sees the whole value.
    let raw = match[2];
    const quote = raw.trimStart()[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      while (!closesQuote(raw.trimStart(), quote)) {
        i++;
        if (i >= lines.length) {
          throw new Error(`${where}: ${key}: the quoted value is never closed (missing ${quote})`);
        }
        raw += '\n' + lines[i];
      }
    }

    // dotenv parses the value under a fixed, harmless key, so odd keys (such as `__proto__`)
    // cannot bend its result object.
    const value = dotenvParse(`VALUE=${raw}`).VALUE ?? '';
    entries.push({ key, value, file, line: lineNumber });
  }
  return entries;
}

/** Reads and parses an env file. */
export function readEnvFile(path: string): EnvEntry[] {
  return parseEnvFile(readFileSync(path, 'utf8'), path);
}

/** The entries as a plain key → value record (null prototype, so any key is just data). */
export function toRecord(entries: readonly EnvEntry[]): Record<string, string> {
  const record: Record<string, string> = Object.create(null);
  for (const entry of entries) record[entry.key] = entry.value;
  return record;
}

function checkDataKey(key: string, where: string): void {
  if (key === '') {
    throw new Error(`${where}: the line has no key before '='`);
  }
  if (!DATA_KEY.test(key) || key.length > MAX_KEY_LENGTH || key === '.' || key === '..' || key.startsWith('..')) {
    throw new Error(
      `${where}: "${key}" is not a valid key: use letters, digits, '-', '_' and '.' ` +
      `(at most ${MAX_KEY_LENGTH} characters, not '.', '..' or starting with '..')`,
    );
  }
}

/**
 * Whether a value that starts with `quote` also ends its quoted part on the text given,
 * following dotenv's rule that a backslash-escaped quote does not close it.
 */
function closesQuote(value: string, quote: string): boolean {
  for (let i = 1; i < value.length; i++) {
    if (value[i] === '\\' && value[i + 1] === quote) {
      i++;
    } else if (value[i] === quote) {
      return true;
    }
  }
  return false;
}
