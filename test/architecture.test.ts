import { readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';

// The layers of lib/, lowest first: a module may import its own layer and the layers below it,
// never one above. The program (lib/cli.ts, which a consumer's main.ts runs) sits on top and is
// the only reader of process.env and process.argv.
const LAYERS = ['config', 'secrets', 'constructs', 'environments', 'project', 'synth', 'review', 'cli'];
// Leaves any layer may use: terminal output helpers import nothing of lib/.
const LEAVES = ['terminal'];
const LIB = join(__dirname, '..', 'lib');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** `lib/synth/output.ts` → `synth`, `lib/environments.ts` → `environments`, `lib/index.ts` → `index`. */
function layerOf(file: string): string {
  return relative(LIB, file).split(/[\\/]/)[0].replace(/\.ts$/, '');
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|require\()['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => resolve(dirname(file), m[1]));
}

const files = sourceFiles(LIB);

describe('lib/ architecture', () => {
  test('every module belongs to a known layer', () => {
    const unknown = files.map(layerOf).filter((layer) => ![...LAYERS, ...LEAVES, 'index'].includes(layer));
    expect(unknown).toEqual([]);
  });

  test('imports point one way: down the layers, never up, never out to main.ts', () => {
    const upward: string[] = [];
    for (const file of files.filter((f) => layerOf(f) !== 'index')) {
      const from = LAYERS.indexOf(layerOf(file));
      for (const target of relativeImports(file)) {
        const name = relative(LIB, target);
        if (name.startsWith('..')) {
          upward.push(`${relative(LIB, file)} imports ${relative(join(LIB, '..'), target)} (outside lib/)`);
          continue;
        }
        const layer = layerOf(target);
        if (LEAVES.includes(layer)) continue;
        if (LEAVES.includes(layerOf(file)) || LAYERS.indexOf(layer) > from) upward.push(`${relative(LIB, file)} imports ${name}`);
      }
    }
    expect(upward).toEqual([]);
  });

  test('no module imports itself back through a circle', () => {
    const graph = new Map(files.map((file) => [file.replace(/\.ts$/, ''), relativeImports(file)]));
    const circles: string[] = [];
    const visit = (node: string, path: string[]) => {
      if (path.includes(node)) {
        circles.push([...path.slice(path.indexOf(node)), node].map((n) => relative(LIB, n)).join(' → '));
        return;
      }
      for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    };
    for (const node of graph.keys()) visit(node, []);
    expect(circles).toEqual([]);
  });

  test('nothing under lib/ but the program (cli.ts) reads process.env or process.argv: it passes them down', () => {
    const readers = files.filter((file) => /process\.(env|argv)\b/.test(readFileSync(file, 'utf8').replace(/^\s*(\/\/|\*).*$/gm, '')));
    expect(readers.map((file) => relative(LIB, file))).toEqual(['cli.ts']);
  });

  test('nothing under lib/ but TaskApiApp names the Task API, its variables, keys or folders: they are the consumer\'s', () => {
    // The consumer's names (main.ts, env/): the app, its variables, its registry's variables and keys.
    const envKeys = readdirSync(join(LIB, '..', 'env')).flatMap((name) => readFileSync(join(LIB, '..', 'env', name), 'utf8').split('\n'))
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1]).filter((key): key is string => key !== undefined);
    const names = new RegExp(`[Tt]ask-?[Aa]pi|task_api|TASK_API|GITHUB_(USERNAME|TOKEN)|\\b(${[...new Set(envKeys)].join('|')})\\b`);
    const naming = files.filter((file) => !file.endsWith(join('constructs', 'task-api-app.ts')) && !file.endsWith('index.ts'))
      .flatMap((file) => readFileSync(file, 'utf8').split('\n').map((line, i) => [file, i + 1, line] as const))
      .filter(([, , line]) => names.test(line))
      .map(([file, line, text]) => `${relative(LIB, file)}:${line}: ${text.trim()}`);
    expect(naming).toEqual([]);
  });
});
