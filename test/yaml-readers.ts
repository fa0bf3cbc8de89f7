import { spawnSync } from 'child_process';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { kubectl } from './kubectl';

// YAML readers other than the `yaml` package that writes dist/: the differential tests read the
// files synth writes with each of them. None may be missing: the tests fail, they never skip.

/** Documents as a reader read them, or the reader's error. */
export type Reading = { documents: unknown[] } | { error: string };

/**
 * Reads every file with PyYAML's SafeLoader (pure Python, YAML 1.1) and, when PyYAML was built
 * with it, libyaml's CSafeLoader: reader name → file → reading. A key that is not a string and
 * a value JSON cannot hold (a date) come back marked, so they cannot pass for strings.
 */
export function pyyamlRead(files: readonly string[]): Record<string, Record<string, Reading>> {
  const result = spawnSync(python(), ['-c', PYYAML_SCRIPT, ...files], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`the PyYAML reader failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

const PYYAML_SCRIPT = `
import json, sys, yaml
loaders = [('PyYAML', yaml.SafeLoader)]
if getattr(yaml, '__with_libyaml__', False):
    loaders.append(('libyaml', yaml.CSafeLoader))
def plain(o):
    if isinstance(o, dict):
        return {(k if isinstance(k, str) else '<not a string: %s %r>' % (type(k).__name__, k)): plain(v) for k, v in o.items()}
    if isinstance(o, list):
        return [plain(v) for v in o]
    if o is None or isinstance(o, (str, bool, int, float)):
        return o
    return '<not a string: %s %r>' % (type(o).__name__, o)
out = {}
for name, loader in loaders:
    out[name] = {}
    for path in sys.argv[1:]:
        with open(path, 'rb') as f:
            data = f.read()
        try:
            out[name][path] = {'documents': [plain(d) for d in yaml.load_all(data, Loader=loader)]}
        except Exception as e:
            out[name][path] = {'error': str(e)}
json.dump(out, sys.stdout, ensure_ascii=True)
`;

let pythonPath: string | undefined;

/**
 * The interpreter the PyYAML reader runs: the first python3 that can import yaml, resolved once
 * to its real path (a pyenv shim costs seconds a call).
 */
function python(): string {
  if (pythonPath) return pythonPath;
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const result = spawnSync(candidate, ['-c', 'import sys, yaml; print(sys.executable)'], { encoding: 'utf8' });
    if (result.status === 0 && result.stdout.trim() !== '') return (pythonPath = result.stdout.trim());
  }
  throw new Error('no python3 that can import yaml (PyYAML): install it, e.g. apt-get install python3-yaml');
}

/**
 * Reads the YAML files of `folder` with go-yaml v3, offline: `kubectl kustomize` over a copy of
 * them parses each with kyaml (go-yaml v3) and prints the objects again, which `kubectlRead` then
 * turns into JSON. (A YAML 1.2 reader of kustomize's output would misread it: go-yaml prints
 * U+2028 as a line break, as YAML 1.1 has it.)
 */
export function kustomizeRead(binary: string, folder: string): Reading {
  const copy = mkdtempSync(join(tmpdir(), 'task-api-kustomize-'));
  const files = readdirSync(folder).filter((name) => /\.ya?ml$/.test(name)).sort();
  for (const name of files) copyFileSync(join(folder, name), join(copy, name));
  writeFileSync(join(copy, 'kustomization.yaml'), `resources:\n${files.map((name) => `- ${name}\n`).join('')}`);
  const printed = join(mkdtempSync(join(tmpdir(), 'task-api-kustomized-')), 'objects.yaml');
  try {
    writeFileSync(printed, kubectl(binary, ['kustomize', copy]));
  } catch (error) {
    return { error: (error as Error).message };
  }
  return kubectlRead(binary, printed);
}

/**
 * Reads the YAML files of `path` (a file or a folder) as `kubectl apply -f` does
 * (sigs.k8s.io/yaml: go-yaml v2, then JSON into the API types), offline: `kubectl label --local`
 * changes nothing on a cluster and prints the objects as JSON, so no YAML writer stands between
 * the reading and the result.
 */
export function kubectlRead(binary: string, path: string): Reading {
  let text: string;
  try {
    text = kubectl(binary, ['label', '--local', '-f', path, '-o', 'json', 'read-back=yes']);
  } catch (error) {
    return { error: (error as Error).message };
  }
  // One pretty-printed object per file, one after the other: a top-level one ends with a '}' alone on its line.
  const objects = text.split(/^}$/m).filter((part) => part.trim() !== '').map((part) => JSON.parse(`${part}}`));
  return { documents: objects.flatMap((read) => (read.kind === 'List' ? read.items : [read])) };
}
