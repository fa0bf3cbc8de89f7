/**
 * Output for a person or for a pipe: colour and aligned columns when stdout is a terminal (and
 * NO_COLOR is not set, https://no-color.org), plain unpadded text otherwise, so that what lands in
 * a file or a CI log is easy to grep and diff.
 */
export interface Output {
  /** Whether columns are padded to line up. */
  readonly aligned: boolean;
  bold(text: string): string;
  dim(text: string): string;
  warn(text: string): string;
  added(text: string): string;
  removed(text: string): string;
  /** A value: masked secrets stand out from plain values. */
  value(text: string, secret: boolean): string;
}

const ANSI = { bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', magenta: '\x1b[35m', reset: '\x1b[0m' };

export function outputFor(isTTY: boolean, processEnv: Readonly<Record<string, string | undefined>>): Output {
  const color = isTTY && !processEnv.NO_COLOR;
  const paint = (code: string) => (text: string) => (color && text !== '' ? `${code}${text}${ANSI.reset}` : text);
  return {
    aligned: isTTY,
    bold: paint(ANSI.bold),
    dim: paint(ANSI.dim),
    warn: paint(ANSI.yellow),
    added: paint(ANSI.green),
    removed: paint(ANSI.red),
    value: (text, secret) => (secret ? paint(ANSI.magenta)(text) : text),
  };
}

/**
 * Characters a reader does not plainly see: controls but the newline, format characters (zero
 * width, bidi, BOM, tags), line and paragraph separators, spaces other than U+0020, default
 * ignorables (variation selectors, fillers), private-use, unassigned and lone surrogate code
 * points. The program's own colour codes are matched first and kept.
 */
// eslint-disable-next-line no-control-regex
const NOT_PLAINLY_VISIBLE = /\x1b\[[0-9;]*m|[^\P{Cc}\n]|[^\P{Zs} ]|[\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\r': '\\r' };

/**
 * `text` with every character a reader would not plainly see written as an escape (`\u200B`,
 * `\t`, `\u{E0001}`), so that `in\u200Bfo` never reads as `info`: in a terminal and in a pipe
 * alike, for every line a command prints about values (not for manifests, which --stdout prints
 * as written).
 */
export function visible(text: string): string {
  return text.replace(NOT_PLAINLY_VISIBLE, (match) => {
    if (match.length > 1 && match.startsWith('\x1b[')) return match;
    if (SHORT_ESCAPES[match]) return SHORT_ESCAPES[match];
    const code = match.codePointAt(0)!;
    return code <= 0xffff ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}` : `\\u{${code.toString(16).toUpperCase()}}`;
  });
}

/** Rows of cells, padded so the columns line up (colour codes do not count as width). */
export class Columns {
  private readonly rows: string[][] = [];

  constructor(header: readonly string[]) {
    this.rows.push([...header]);
  }

  public add(cells: readonly string[]): void {
    this.rows.push([...cells]);
  }

  public render(indent = ''): string[] {
    const widths: number[] = [];
    for (const row of this.rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell))));
    return this.rows.map((row) =>
      indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - visibleWidth(cell)))).join('  ').trimEnd());
  }
}

function visibleWidth(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...visible(text).replace(/\x1b\[[0-9;]*m/g, '')].length;
}

/** What a command needs from the outside world. */
export interface CommandIO {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Whether stdout is a terminal (colour and alignment). */
  readonly isTTY: boolean;
}

export const STANDARD_IO: CommandIO = {
  out: (l) => console.log(visible(l)),
  err: (l) => console.error(visible(l)),
  // Read when asked, not when this module loads (which may be at startup-snapshot build time).
  get isTTY() {
    return Boolean(process.stdout.isTTY);
  },
};

/**
 * How every command reports a user mistake: `<command> failed: <message>`, one problem per
 * indented line when there are several, and the stack trace only when `debug` (the project's
 * debug variable is set).
 */
export function failureLines(command: string, error: unknown, debug: boolean): string[] {
  const problems = (error as Error).message.split('\n');
  const message = problems.length === 1 ? `${command} failed: ${problems[0]}` : `${command} failed:\n  ${problems.join('\n  ')}`;
  return debug ? [message, String((error as Error).stack)] : [message];
}
