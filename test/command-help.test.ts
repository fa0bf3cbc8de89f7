import { spawnSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { commandVariables, helpText } from '../lib/synth/commands';
import { project as taskApi } from '../main';
import { runBuilt } from './cli-support';

const ROOT = join(__dirname, '..');
const BUNDLES = { synth: 'main.js', plan: 'plan', explain: 'explain' } as const;
const COMMANDS = Object.keys(BUNDLES) as (keyof typeof BUNDLES)[];

/** A folder with nothing in it: no env/, no dist/. */
const emptyFolder = () => mkdtempSync(join(tmpdir(), 'task-api-help-'));

describe('--help and -h', () => {
  test.each(COMMANDS.flatMap((command) => ['--help', '-h'].map((flag) => [command, flag] as const)))(
    '%s %s prints usage, variables and exit codes and exits 0, in a folder without env files or variables', (command, flag) => {
      const cwd = emptyFolder();
      const result = runBuilt(BUNDLES[command], cwd, {}, [flag]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(helpText(command, taskApi).join('\n') + '\n');
      expect(result.stdout).toMatch(/^Usage: npm run /);
      expect(result.stdout).toContain('\nVariables:\n  TASK_API_ENV  ');
      expect(result.stdout).toContain('\nExit codes:\n  0  ');
      expect(readdirSync(cwd)).toEqual([]);
    });

  test('through npm run (scripts/*.cjs), after other arguments too', () => {
    for (const command of COMMANDS) {
      const result = spawnSync(process.execPath, [join(ROOT, 'scripts', `${command}.cjs`), '--stdout', '--help'], { cwd: emptyFolder(), env: { PATH: process.env.PATH! }, encoding: 'utf8' });
      expect([command, result.status, result.stdout.split('\n')[0]]).toEqual([command, 0, `Usage: ${{ synth: 'npm run synth [-- --stdout [--allow-plain-secrets]]', plan: 'npm run plan [-- --no-secrets]', explain: 'npm run explain' }[command]}`]);
    }
  });

  test('plan\'s help states its exit codes, 1 meaning changes', () => {
    expect(helpText('plan', taskApi).join('\n')).toMatch(/Exit codes:\n {2}0 {2}no changes\n {2}1 {2}changes pending.*npm run plan; npm run synth.*\n {2}2 {2}an error$/);
  });

  test('plan and explain refuse an argument they do not know: one line, exit 2', () => {
    for (const command of ['plan', 'explain'] as const) {
      const result = runBuilt(BUNDLES[command], emptyFolder(), {}, ['--stdot']);
      expect(result.status).toBe(2);
      const takes = command === 'plan' ? '--no-secrets (see --help)' : 'only --help';
      expect(result.stderr).toBe(`${command} failed: unknown argument "--stdot": ${command} takes ${takes}\n`);
    }
  });

  test('every variable the sources read by name is in the help\'s table', () => {
    const sources = [join(ROOT, 'main.ts'), ...['lib', 'bin'].flatMap((dir) => (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
      .filter((name) => name.endsWith('.ts')).map((name) => join(ROOT, dir, name)))];
    const read = new Set(sources.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/process(?:Env|\.env)\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1])));
    const listed = commandVariables(taskApi).map((v) => v.name);
    expect([...read].filter((name) => !listed.includes(name))).toEqual([]);
    expect(listed).toEqual(expect.arrayContaining(['TASK_API_SECRET_BACKEND', 'TASK_API_SEALING_CERT', 'CDK8S_OUTDIR']));
  });
});
