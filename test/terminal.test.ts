import { appendFileSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Columns, outputFor, visible } from '../lib/terminal';
import { spawnSync } from 'child_process';
import { BUILD_DIR, project, runBuilt } from './cli-support';

describe('visible', () => {
  test('writes every character a reader would not plainly see as an escape', () => {
    expect(visible('in\u200Bfo')).toBe('in\\u200Bfo');
    expect(visible('a\u00A0b\u3000c\u2028d\u202Ee\uFEFFf')).toBe('a\\u00A0b\\u3000c\\u2028d\\u202Ee\\uFEFFf');
    expect(visible('x\u{E0001}\u{F0000}\uFE0F')).toBe('x\\u{E0001}\\u{F0000}\\uFE0F');
    expect(visible('tab\there\rcr\u0000\u001b')).toBe('tab\\there\\rcr\\u0000\\u001B');
  });

  test('keeps plain text, newlines, letters of any script, emoji and the program\'s own colour codes', () => {
    const plain = 'LOG_LEVEL=debug  # env/dev.env:2\n  é 日本 🚀 "quoted" \\u200B as typed';
    expect(visible(plain)).toBe(plain);
    const coloured = outputFor(true, {}).warn('warning');
    expect(visible(coloured)).toBe(coloured);
  });

  test('columns line up with the escapes counted', () => {
    const table = new Columns(['KEY', 'VALUE', 'FROM']);
    table.add(['A', 'in\u200Bfo', 'x']);
    table.add(['B', 'info', 'y']);
    const lines = table.render().map(visible);
    expect(lines[1].indexOf('x')).toBe(lines[2].indexOf('y'));
  });
});

describe('plan and explain print values with escapes, in a pipe as on a terminal', () => {
  test('a no-break space in a value is shown as an escape by plan and explain, piped and on a terminal', () => {
    const root = project();
    const devEnv = join(root, 'env', 'dev.env');
    const committed = readFileSync(devEnv, 'utf8');
    writeFileSync(devEnv, committed.replace('LOG_LEVEL=debug', 'LOG_LEVEL=de\u00A0bug'));
    expect(runBuilt('main.js', root).status).toBe(0);
    writeFileSync(devEnv, committed);
    appendFileSync(devEnv, 'MAX_CONNECTIONS=7\n');
    const piped = runBuilt('plan', root);
    expect(piped.stdout).toContain('changed LOG_LEVEL "de\\u00A0bug" → "debug"');
    expect(piped.out).not.toContain('\u00A0');
    // On a terminal (util-linux `script` gives the program one): coloured, and escaped alike.
    const onTerminal = spawnSync('script', ['--quiet', '--return', '--command', `${process.execPath} ${join(BUILD_DIR, 'main.js')} plan`, '/dev/null'],
      { cwd: root, env: { PATH: process.env.PATH!, TERM: 'xterm' }, encoding: 'utf8' });
    expect(onTerminal.stdout).toMatch(/\x1b\[/);
    expect(onTerminal.stdout).toContain('"de\\u00A0bug"');
    expect(onTerminal.stdout).not.toContain('\u00A0');
    writeFileSync(devEnv, committed.replace('LOG_LEVEL=debug', 'LOG_LEVEL=de\u00A0bug'));
    const explain = runBuilt('explain', root);
    expect(explain.stdout).toContain('LOG_LEVEL=de\\u00A0bug  # ');
    expect(explain.out).not.toContain('\u00A0');
  });

  test('a format character in an env file stops synth with its code point, and the message shows no raw character', () => {
    const root = project();
    const devEnv = join(root, 'env', 'dev.env');
    writeFileSync(devEnv, readFileSync(devEnv, 'utf8').replace('LOG_LEVEL=debug', 'LOG_LEVEL=in\u200Bfo'));
    for (const program of ['main.js', 'plan', 'explain'] as const) {
      const result = runBuilt(program, root);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/^\w+ failed: env\/dev\.env:2: LOG_LEVEL: the line holds U\+200B ZERO WIDTH SPACE, a format character/);
      expect(result.out).not.toContain('\u200B');
    }
  });
});
