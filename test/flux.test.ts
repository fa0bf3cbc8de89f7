import { spawnSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { ENVIRONMENTS } from '../main';
import { project } from './cli-support';
import { kindsAndNames, objectsOfFiles, ROOT, runSynth } from './gitops-support';
import { findKubectl, kubectl } from './kubectl';

const FLUX = join(ROOT, 'deploy', 'flux');
const VALIDATE_CRD_OBJECTS = join(__dirname, 'validate-crd-objects.mjs');
const binary = findKubectl();

/** The objects `kubectl kustomize deploy/flux` builds (offline: local files only). */
function fluxObjects(): any[] {
  return parseAllDocuments(kubectl(binary, ['kustomize', FLUX])).map((d) => d.toJSON());
}

describe('the Flux objects (deploy/flux)', () => {
  test('validate against the Flux CRD schemas (@kubernetes-models/flux-cd)', () => {
    const objects = fluxObjects();
    const result = spawnSync(process.execPath, [VALIDATE_CRD_OBJECTS], { input: JSON.stringify(objects), encoding: 'utf8' });
    expect(result.stdout).toBe(`validated ${objects.length}, invalid 0\n`);
    expect(result.status).toBe(0);
  });

  test('the schema check rejects what the Kustomization CRD rejects', () => {
    const broken = fluxObjects().find((o) => o.kind === 'Kustomization');
    broken.spec.prune = 'yes';
    const result = spawnSync(process.execPath, [VALIDATE_CRD_OBJECTS], { input: JSON.stringify([broken]), encoding: 'utf8' });
    expect(result.stdout).toContain('spec/prune must be boolean');
    expect(result.status).toBe(1);
  });

  test.each(Object.keys(ENVIRONMENTS))('%s: a Kustomization applies its dist/ folder from the GitRepository, pruning', (environment) => {
    const objects = fluxObjects();
    const source = objects.find((o) => o.kind === 'GitRepository');
    const kustomization = objects.find((o) => o.kind === 'Kustomization' && o.spec.path === `./dist/${environment}`);
    expect(kustomization.apiVersion).toBe('kustomize.toolkit.fluxcd.io/v1');
    expect(kustomization.spec.sourceRef).toEqual({ kind: 'GitRepository', name: source.metadata.name });
    expect(kustomization.metadata.namespace).toBe(source.metadata.namespace);
    expect(kustomization.spec.prune).toBe(true);
    // The objects carry their own namespace; a targetNamespace would move the Namespace's contents.
    expect(kustomization.spec.targetNamespace).toBeUndefined();
  });

  test("the GitRepository's artifact holds dist/ and nothing else (its ignore rules, read by git)", () => {
    const source = parse(readFileSync(join(FLUX, 'git-repository.yaml'), 'utf8'));
    const repo = mkdtempSync(join(tmpdir(), 'task-api-ignore-'));
    spawnSync('git', ['init', '--quiet'], { cwd: repo });
    writeFileSync(join(repo, '.gitignore'), source.spec.ignore);
    const ignored = (path: string) => spawnSync('git', ['check-ignore', '--quiet', '--no-index', path], { cwd: repo }).status === 0;
    expect(ignored('dist/production/4-deployment-task-api.yaml')).toBe(false);
    expect(ignored('env/production.secrets.env.example')).toBe(true);
    expect(ignored('main.ts')).toBe(true);
    expect(ignored('deploy/flux/git-repository.yaml')).toBe(true);
  });
});

describe('dist/<environment>/ as Flux reads it', () => {
  test.each(Object.keys(ENVIRONMENTS))(
    '%s: kustomize (Flux generates a kustomization.yaml listing the files) reads the objects synth wrote', (environment) => {
      const root = project();
      expect(runSynth(root, [], { TASK_API_ENV: environment, TASK_API_SECRET_BACKEND: 'external' }).status).toBe(0);
      const folder = join(root, 'dist', environment);
      const files = readdirSync(folder);
      expect(files).not.toContain('kustomization.yaml');
      writeFileSync(join(folder, 'kustomization.yaml'), `resources:\n${files.map((f) => `  - ${f}\n`).join('')}`);
      const built = parseAllDocuments(kubectl(binary, ['kustomize', folder])).map((d) => d.toJSON());
      const written = objectsOfFiles(folder).filter((o) => o.kind !== undefined);
      const byKindAndName = (objects: any[]) => new Map(objects.map((o) => [kindsAndNames([o])[0], o]));
      expect(byKindAndName(built)).toEqual(byKindAndName(written));
      expect(kindsAndNames(built)).toContain('ExternalSecret/task-api-secrets');
    });
});
