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
  return [...text.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

/** What a command needs from the outside world. */
export interface CommandIO {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Whether stdout is a terminal (colour and alignment). */
  readonly isTTY: boolean;
}

export const STANDARD_IO: CommandIO = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
  // Read when asked, not when this module loads (which may be at startup-snapshot build time).
  get isTTY() {
    return Boolean(process.stdout.isTTY);
  },
};

/**
 * How every command reports a user mistake: `<command> failed: <message>`, one problem per
 * indented line when there are several, and the stack trace only with TASK_API_DEBUG.
 */
export function failureLines(command: string, error: unknown, processEnv: Readonly<Record<string, string | undefined>>): string[] {
  const problems = (error as Error).message.split('\n');
  const message = problems.length === 1 ? `${command} failed: ${problems[0]}` : `${command} failed:\n  ${problems.join('\n  ')}`;
  return processEnv.TASK_API_DEBUG ? [message, String((error as Error).stack)] : [message];
}
