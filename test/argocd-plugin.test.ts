import { spawnSync } from 'child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync, utimesSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative } from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { ENVIRONMENTS } from '../main';
import { cleanCopy, objectsOfFiles, pyYamlDocuments, ROOT } from './gitops-support';
import { findKubectl, kubectl } from './kubectl';

// CommonJS, as the plugin runs it.
const argocdInit = require('../scripts/argocd-init.cjs');

const ARGOCD = join(ROOT, 'deploy', 'argocd');
const VALIDATE_CRD_OBJECTS = join(__dirname, 'validate-crd-objects.mjs');

const readYaml = (path: string) => parse(readFileSync(path, 'utf8'));
const plugin = readYaml(join(ARGOCD, 'plugin.yaml'));
const patch = readYaml(join(ARGOCD, 'repo-server-patch.yaml'));
const sidecar = patch.spec.template.spec.containers.find((c: any) => c.name === 'task-api-cdk8s');
const applications = readdirSync(join(ARGOCD, 'applications')).map((name) => readYaml(join(ARGOCD, 'applications', name)));

/** A plugin command as Argo CD runs it: command[0] with command[1:] and then args. */
function commandLine(command: { command: string[]; args?: string[] }): string[] {
  return [...command.command, ...(command.args ?? [])];
}

function run(argv: readonly string[], cwd: string, env: Record<string, string>) {
  // stdin /dev/null and pipes for the rest, as the plugin server runs its commands: no TTY.
  const result = spawnSync(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 240_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('plugin.yaml', () => {
  test('is a v2 ConfigManagementPlugin with only the fields Argo CD reads', () => {
    expect(plugin.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(plugin.kind).toBe('ConfigManagementPlugin');
    expect(plugin.metadata.name).toMatch(/^[a-z0-9-]+$/);
    // PluginConfigSpec in argo-cd's cmpserver/plugin/config.go.
    const known = ['version', 'init', 'generate', 'discover', 'parameters', 'preserveFileMode', 'provideGitCreds'];
    expect(Object.keys(plugin.spec).filter((key) => !known.includes(key))).toEqual([]);
    expect(plugin.spec.generate.command.length).toBeGreaterThan(0);
    for (const command of [plugin.spec.init, plugin.spec.generate, plugin.spec.discover.find]) {
      expect(Object.keys(command).filter((key) => !['command', 'args'].includes(key))).toEqual([]);
    }
  });

  test('reaches the sidecar as /home/argocd/cmp-server/config/plugin.yaml through the ConfigMap the component generates', () => {
    const mount = sidecar.volumeMounts.find((m: any) => m.mountPath === '/home/argocd/cmp-server/config/plugin.yaml');
    expect(mount.subPath).toBe('plugin.yaml');
    const volume = patch.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    const component = readYaml(join(ARGOCD, 'kustomization.yaml'));
    expect(component.configMapGenerator).toContainEqual({ name: volume.configMap.name, files: ['plugin.yaml'] });
  });
});

describe('the Applications', () => {
  test('validate against the Application schema (@kubernetes-models/argo-cd)', () => {
    const result = spawnSync(process.execPath, [VALIDATE_CRD_OBJECTS], { input: JSON.stringify(applications), encoding: 'utf8' });
    expect(result.stdout).toBe(`validated ${applications.length}, invalid 0\n`);
    expect(result.status).toBe(0);
  });

  test('the schema check rejects what the Application CRD rejects', () => {
    const broken = structuredClone(applications[0]);
    delete broken.spec.source.plugin.env[0].value;
    const result = spawnSync(process.execPath, [VALIDATE_CRD_OBJECTS], { input: JSON.stringify([broken]), encoding: 'utf8' });
    expect(result.stdout).toContain('must have required property value');
    expect(result.status).toBe(1);
  });

  test.each(Object.keys(ENVIRONMENTS))('%s has one, naming the plugin as <name>-<version>, with its environment and namespace', (environment) => {
    const application = applications.find((a) => a.spec.source.plugin.env.some((e: any) => e.name === 'TASK_API_ENV' && e.value === environment));
    expect(application.metadata.name).toBe(`task-api-${environment}`);
    expect(application.spec.source.plugin.name).toBe(`${plugin.metadata.name}-${plugin.spec.version}`);
    expect(application.spec.source.path).toBe('.');
    expect(application.spec.destination.namespace).toBe(ENVIRONMENTS[environment].namespace);
  });
});

describe('the kustomize component', () => {
  const binary = findKubectl();

  test('builds offline on its own (kubectl kustomize deploy/argocd): the plugin ConfigMap', () => {
    const objects = parseAllDocuments(kubectl(binary, ['kustomize', ARGOCD])).map((d) => d.toJSON());
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('task-api-cmp-plugin-'));
    expect(configMap.data['plugin.yaml']).toBe(readFileSync(join(ARGOCD, 'plugin.yaml'), 'utf8'));
  });

  test('added to an Argo CD installation, runs the sidecar as Argo CD requires and leaves the repo server alone', () => {
    // The names the component relies on, as argo-cd's manifests/base define them.
    const install = folderWith({
      'repo-server.yaml': [
        'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: argocd-repo-server}', 'spec:',
        '  selector: {matchLabels: {app.kubernetes.io/name: argocd-repo-server}}', '  template:',
        '    metadata: {labels: {app.kubernetes.io/name: argocd-repo-server}}', '    spec:',
        '      containers: [{name: argocd-repo-server, image: quay.io/argoproj/argocd:latest,',
        '        volumeMounts: [{name: tmp, mountPath: /tmp}, {name: plugins, mountPath: /home/argocd/cmp-server/plugins}]}]',
        '      volumes: [{name: var-files, emptyDir: {}}, {name: plugins, emptyDir: {}}, {name: tmp, emptyDir: {}}]', '',
      ].join('\n'),
      'cmd-params.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cmd-params-cm}\n',
    });
    // kustomize takes a component by relative path only.
    writeFileSync(join(install, 'kustomization.yaml'), `namespace: argocd\nresources: [repo-server.yaml, cmd-params.yaml]\ncomponents: [${relative(install, ARGOCD)}]\n`);
    const objects = parseAllDocuments(kubectl(binary, ['kustomize', install])).map((d) => d.toJSON());
    const pod = objects.find((o) => o.kind === 'Deployment').spec.template.spec;
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('task-api-cmp-plugin-'));
    const container = pod.containers.find((c: any) => c.name === 'task-api-cdk8s');

    expect(container.command).toEqual(['/var/run/argocd/argocd-cmp-server']);
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999 });
    const volumeOf = (path: string) => pod.volumes.find((v: any) => v.name === container.volumeMounts.find((m: any) => m.mountPath === path)?.name);
    expect(volumeOf('/var/run/argocd').name).toBe('var-files');
    expect(volumeOf('/home/argocd/cmp-server/plugins').name).toBe('plugins');
    expect(volumeOf('/home/argocd/cmp-server/config/plugin.yaml').configMap.name).toBe(configMap.metadata.name);
    // Argo CD's advice since 2.4: the sidecar's /tmp is not the repo server's.
    expect(volumeOf('/tmp').name).not.toBe('tmp');
    expect(volumeOf('/tmp').emptyDir).toBeDefined();
    for (const mount of container.volumeMounts) expect(pod.volumes.map((v: any) => v.name)).toContain(mount.name);
    expect(pod.containers.find((c: any) => c.name === 'argocd-repo-server')).toEqual({
      name: 'argocd-repo-server',
      image: 'quay.io/argoproj/argocd:latest',
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, { name: 'plugins', mountPath: '/home/argocd/cmp-server/plugins' }],
    });
    expect(objects.find((o) => o.metadata.name === 'argocd-cmd-params-cm').data['server.repo.server.timeout.seconds']).toBe('300');
  });
});

function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'task-api-kustomize-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the plugin, run as Argo CD runs it', () => {
  jest.setTimeout(600_000);
  const sandbox = mkdtempSync(join(tmpdir(), 'task-api-cmp-'));
  let source: string;

  /**
   * The sidecar's environment: the container's env from the patch (its /tmp, a volume of the
   * sidecar, is a folder of this test), PATH, then what Argo CD adds for the Application: the
   * build environment and the Application's plugin env, each name prefixed with ARGOCD_ENV_.
   */
  function pluginEnv(application: any): Record<string, string> {
    const env: Record<string, string> = { PATH: process.env.PATH! };
    for (const { name, value } of sidecar.env) env[name] = String(value).replace(/^\/tmp(?=\/|$)/, sandbox);
    const revision = 'f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8';
    Object.assign(env, {
      ARGOCD_APP_NAME: application.metadata.name,
      ARGOCD_APP_NAMESPACE: application.spec.destination.namespace,
      ARGOCD_APP_PROJECT_NAME: application.spec.project,
      ARGOCD_APP_REVISION: revision,
      ARGOCD_APP_REVISION_SHORT: revision.slice(0, 7),
      ARGOCD_APP_REVISION_SHORT_8: revision.slice(0, 8),
      ARGOCD_APP_SOURCE_PATH: application.spec.source.path,
      ARGOCD_APP_SOURCE_REPO_URL: application.spec.source.repoURL,
      ARGOCD_APP_SOURCE_TARGET_REVISION: application.spec.source.targetRevision,
      KUBE_VERSION: '1.32.4',
      KUBE_API_VERSIONS: 'v1,apps/v1,argoproj.io/v1alpha1,external-secrets.io/v1',
    });
    for (const { name, value } of application.spec.source.plugin.env) env[`ARGOCD_ENV_${name}`] = value;
    return env;
  }

  beforeAll(() => {
    source = cleanCopy();
    // The node_modules of this lock file, as a first render would have left them in the sidecar's
    // cache (npm ci itself takes minutes here): this repository's own, linked.
    const cacheRoot = pluginEnv(applications[0]).TASK_API_CMP_CACHE;
    const entry = join(cacheRoot, argocdInit.cacheKey(readFileSync(join(source, 'package-lock.json'))));
    mkdirSync(entry, { recursive: true });
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(entry, 'node_modules'), 'dir');
    const init = run(commandLine(plugin.spec.init), source, pluginEnv(applications[0]));
    if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`);
  });

  test('discovery matches this repository and nothing else', () => {
    const discover = commandLine(plugin.spec.discover.find);
    expect(run(discover, source, pluginEnv(applications[0])).stdout.trim()).not.toBe('');
    expect(run(discover, mkdtempSync(join(tmpdir(), 'task-api-other-')), pluginEnv(applications[0]))).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  test.each(Object.keys(ENVIRONMENTS))('%s: generate prints exactly the objects npm run synth writes, the same twice', (environment) => {
    const application = applications.find((a) => a.metadata.name === `task-api-${environment}`);
    const env = pluginEnv(application);
    const first = run(commandLine(plugin.spec.generate), source, env);
    expect(first.stderr).toContain(`${environment}: `);
    expect(first.stderr).toContain('objects written to stdout');
    expect(first.status).toBe(0);
    const second = run(commandLine(plugin.spec.generate), source, env);
    expect(second.stdout).toBe(first.stdout);

    // What `npm run synth` writes for the environment, with the sidecar's settings.
    const outdir = mkdtempSync(join(sandbox, 'synth-'));
    const synth = run(['npm', 'run', 'synth'], source, { ...env, TASK_API_ENV: environment, CDK8S_OUTDIR: outdir });
    expect(synth.status).toBe(0);
    const written = objectsOfFiles(join(outdir, environment));
    expect(written.map((o) => o.kind)).toContain('ExternalSecret');
    expect(pyYamlDocuments(first.stdout)).toEqual(written);
  });

  test('a broken input fails the render with nothing on stdout', () => {
    const envFile = join(source, 'env', 'dev.env');
    const before = readFileSync(envFile);
    appendFileSync(envFile, 'NOT A SETTING\n');
    try {
      const result = run(commandLine(plugin.spec.generate), source, pluginEnv(applications.find((a) => a.metadata.name === 'task-api-dev')));
      expect(result.stdout).toBe('');
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/synth failed: .*dev\.env:\d+/);
    } finally {
      writeFileSync(envFile, before);
    }
  });

  test('an Application without TASK_API_ENV fails the render with nothing on stdout', () => {
    const application = structuredClone(applications[0]);
    application.spec.source.plugin.env = [];
    const result = run(commandLine(plugin.spec.generate), source, pluginEnv(application));
    expect(result).toMatchObject({ stdout: '' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set TASK_API_ENV in the Application');
  });
});

describe('the init cache', () => {
  test('keeps the most recently used node_modules trees and drops abandoned installs', () => {
    const cache = mkdtempSync(join(tmpdir(), 'task-api-cmp-cache-'));
    const names = ['a', 'b', 'c', 'd', '.e-unfinished', '.f-running'];
    names.forEach((name, i) => {
      mkdirSync(join(cache, name));
      const at = new Date(Date.UTC(2026, 0, 1, 12, i));
      utimesSync(join(cache, name), at, at);
    });
    // At 13:04:30 the install started 12:04 is over an hour old (abandoned), the one of 12:05 is
    // not; of the trees a to d (12:00 to 12:03) the three most recent stay.
    argocdInit.pruneCache(cache, 3, Date.UTC(2026, 0, 1, 13, 4, 30));
    expect(readdirSync(cache).sort()).toEqual(['.f-running', 'b', 'c', 'd']);
  });

  test('the key changes with the lock file and with the Node binary', () => {
    const node = { version: 'v20.20.2', platform: 'linux', arch: 'x64' };
    const key = argocdInit.cacheKey('{"lockfileVersion": 3}', node);
    expect(argocdInit.cacheKey('{"lockfileVersion": 3}', node)).toBe(key);
    expect(argocdInit.cacheKey('{"lockfileVersion": 3 }', node)).not.toBe(key);
    expect(argocdInit.cacheKey('{"lockfileVersion": 3}', { ...node, version: 'v22.0.0' })).not.toBe(key);
  });
});
