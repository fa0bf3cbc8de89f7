import { mkdtempSync, readdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import * as kplus from 'cdk8s-plus-27';
import { LayeredConfig } from '../lib/constructs/layered-config';
import { TaskApiApp } from '../lib/constructs/task-api-app';
import { describeIdentity, identityOf, sharedIdentities } from '../lib/synth/identity';
import { kindsInFolder, manifestFileNames, manifestFiles, readManifests, writeEnvironment } from '../lib/synth/output';
import { synthEnvironments } from '../lib/synth/pipeline';
import { EnvironmentBuilder } from '../lib/project';
import { synthCommand } from '../lib/cli';
import { buildTaskApi, TaskApiEnvironment, taskApiProps } from '../main';
import { folderState, project } from './cli-support';
import { committedEnvDir, findVersion, taskApiProject } from './support';

const synthDev = (build: EnvironmentBuilder<TaskApiEnvironment>) => synthEnvironments(taskApiProject({ build }), ['dev'], { envDir: committedEnvDir(), processEnv: {} })[0];

/** The message synthEnvironments throws for `build` (fails the test if it does not throw). */
function synthError(build: EnvironmentBuilder<TaskApiEnvironment>): string {
  try {
    synthDev(build);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('synth did not fail');
}

/** A second Task API in the environment's namespace, named like the first unless `name` is given. */
const withSecondApp = (props: { name?: string; namespace?: string } = {}): EnvironmentBuilder<TaskApiEnvironment> => (chart, context) => {
  buildTaskApi(chart, context);
  if (props.namespace) new kplus.Namespace(chart, 'SecondNamespace', { metadata: { name: props.namespace } });
  new TaskApiApp(chart, 'Second', { ...taskApiProps(context), ...props });
};

const object = (apiVersion: string, kind: string, name: string, namespace?: string) =>
  ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });

describe('object identity', () => {
  test('is the group, kind, namespace and name, not the version', () => {
    expect(identityOf(object('apps/v1', 'Deployment', 'web', 'a'))).toEqual({ group: 'apps', kind: 'Deployment', namespace: 'a', name: 'web' });
    expect(identityOf(object('v1', 'Secret', 'web'))).toEqual({ group: '', kind: 'Secret', namespace: '', name: 'web' });
    expect(sharedIdentities([object('apps/v1', 'Deployment', 'web', 'a'), object('apps/v1beta1', 'Deployment', 'web', 'a')])).toEqual([[0, 1]]);
  });

  test('tells apart objects that differ only in namespace or in API group', () => {
    const objects = [
      object('v1', 'ConfigMap', 'shared', 'a'),
      object('v1', 'ConfigMap', 'shared', 'b'),
      object('example.com/v1', 'ConfigMap', 'shared', 'a'),
      object('v1', 'ConfigMap', 'shared', 'a'),
    ];
    expect(sharedIdentities(objects)).toEqual([[0, 3]]);
  });

  test('reads as kubectl names a resource: Kind.group name, and its namespace', () => {
    expect(describeIdentity(identityOf(object('apps/v1', 'Deployment', 'web', 'a')))).toBe('Deployment.apps web in namespace a');
    expect(describeIdentity(identityOf(object('v1', 'Namespace', 'a')))).toBe('Namespace a');
  });
});

describe('two objects of one identity in an environment', () => {
  test('a second app of the same name is an error naming both construct paths of each shared object', () => {
    const message = synthError(withSecondApp());
    expect(message).toMatch(/^dev: dev\/TaskApi\/Config\/Secret and dev\/Second\/Config\/Secret both make Secret task-api-secrets-[0-9a-z]{10} in namespace task-api-dev/m);
    expect(message).toContain('dev/TaskApi/Deployment/Resource and dev/Second/Deployment/Resource both make Deployment.apps task-api in namespace task-api-dev');
    expect(message).toContain('Give each its own name or namespace');
    expect(message).not.toMatch(/fake-dev/);
  });

  test('two LayeredConfigs given the same names are an error, and no value is printed', () => {
    const message = synthError((chart, context) => {
      buildTaskApi(chart, context);
      new LayeredConfig(chart, 'Extra', {
        namespace: context.settings.namespace,
        configMapName: 'task-api-config',
        secretName: 'task-api-secrets',
        config: { EXTRA: 'plain' },
        secrets: { EXTRA_SECRET: 'fake-extra-secret-value' },
        secretBackend: context.secretBackend,
      });
    });
    // Their data differ, so their versioned names do: no object would replace the other, but one
    // line of versions would hold both.
    expect(message).toContain('dev: dev/TaskApi/Config and dev/Extra both make versions of ConfigMap task-api-config in namespace task-api-dev');
    expect(message).toContain('dev: dev/TaskApi/Config and dev/Extra both make versions of Secret task-api-secrets in namespace task-api-dev');
    expect(message).not.toContain('fake-extra-secret-value');
  });

  test('three makers of one object are all named', () => {
    const message = synthError((chart, context) => {
      buildTaskApi(chart, context);
      for (const id of ['B', 'C', 'D']) new kplus.ConfigMap(chart, id, { metadata: { name: 'shared-config', namespace: context.settings.namespace } });
    });
    expect(message).toContain('dev/B/Resource, dev/C/Resource and dev/D/Resource all make ConfigMap shared-config');
  });

  test('a second app under another name is fine', () => {
    const { objects } = synthDev(withSecondApp({ name: 'task-api-2' }));
    findVersion(objects, 'Secret', 'task-api-2-secrets');
  });
});

describe('file names', () => {
  test("an environment's usual objects keep their names: <rank>-<kind>-<name>.yaml", () => {
    const names = manifestFileNames([
      object('apps/v1', 'Deployment', 'task-api', 'ns'),
      object('v1', 'Namespace', 'ns'),
      object('v1', 'Secret', 'task-api-secrets', 'ns'),
      object('bitnami.com/v1alpha1', 'SealedSecret', 'task-api-registry', 'ns'),
    ]);
    expect(names).toEqual(['4-deployment-task-api.yaml', '0-namespace-ns.yaml', '2-secret-task-api-secrets.yaml', '2-sealedsecret-task-api-registry.yaml']);
  });

  test('objects of one kind and name in two namespaces get the namespace, and the Namespaces still come first', () => {
    const files = manifestFiles([
      object('v1', 'ConfigMap', 'shared', 'team-b'),
      object('v1', 'ConfigMap', 'shared', 'team-a'),
      object('v1', 'ConfigMap', 'only-a', 'team-a'),
      object('v1', 'Namespace', 'team-b'),
      object('v1', 'Namespace', 'team-a'),
    ]).map((file) => file.name);
    expect(files).toEqual([
      '0-namespace-team-a.yaml',
      '0-namespace-team-b.yaml',
      '1-configmap-only-a.yaml',
      '1-configmap-shared_team-a.yaml',
      '1-configmap-shared_team-b.yaml',
    ]);
  });

  test('same-named kinds of two API groups get the group, the core one keeping its name', () => {
    const names = manifestFileNames([
      object('v1', 'ConfigMap', 'shared', 'a'),
      object('example.com/v1', 'ConfigMap', 'shared', 'a'),
      object('other.example.com/v1', 'ConfigMap', 'shared', 'b'),
    ]);
    expect(names).toEqual(['1-configmap-shared_a.yaml', '1-configmap-shared_a@example.com.yaml', '1-configmap-shared_b@other.example.com.yaml']);
  });

  test('names with a namespace or group still give their kind', () => {
    const folder = mkdtempSync(join(tmpdir(), 'task-api-kinds-'));
    writeEnvironment(folder, 'dev', manifestFiles([
      object('bitnami.com/v1alpha1', 'SealedSecret', 'shared', 'a'),
      object('example.com/v1', 'SealedSecret', 'shared', 'a'),
      object('v1', 'Namespace', 'a'),
    ]));
    expect(readdirSync(join(folder, 'dev'))).toContain('2-sealedsecret-shared@bitnami.com.yaml');
    expect(kindsInFolder(join(folder, 'dev'))).toEqual(new Set(['namespace', 'sealedsecret']));
  });

  test('writeEnvironment refuses two files of one name before touching the output', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'task-api-clash-'));
    writeEnvironment(outdir, 'dev', manifestFiles([object('v1', 'ConfigMap', 'kept', 'a')]));
    const before = folderState(outdir);
    const files = manifestFiles([object('v1', 'Secret', 'same', 'a'), object('v1', 'Secret', 'same', 'a'), object('v1', 'ConfigMap', 'other', 'a')]);
    expect(() => writeEnvironment(outdir, 'dev', files))
      .toThrow(`${join(outdir, 'dev')}/ was not written: several objects would be written to 2-secret-same.yaml, each replacing the one before`);
    expect(folderState(outdir)).toEqual(before);
  });

  test('writeEnvironment compares names ignoring case, as macOS and Windows file systems do', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'task-api-case-'));
    expect(() => writeEnvironment(outdir, 'dev', [
      { name: '1-configmap-a.yaml', content: '', mode: 0o644 },
      { name: '1-ConfigMap-A.yaml', content: '', mode: 0o644 },
    ])).toThrow(/several objects would be written to 1-configmap-a\.yaml/);
  });
});

describe('the synth summary', () => {
  /** Runs main in `root` (a project folder) with `build`; returns the exit code and what it printed. */
  function runMain(root: string, build?: EnvironmentBuilder<TaskApiEnvironment>) {
    const lines: string[] = [];
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const status = synthCommand(taskApiProject(build ? { build } : {}), { TASK_API_ENV: 'dev' }, { out: (line) => lines.push(line), err: (line) => lines.push(line), isTTY: false });
      return { status, out: lines.join('\n') };
    } finally {
      process.chdir(cwd);
    }
  }

  test('counts the files written: an app in a second namespace under the same names', () => {
    const root = project();
    const result = runMain(root, withSecondApp({ namespace: 'task-api-dev-b' }));
    expect(result.status).toBe(0);
    const folder = join(root, 'dist', 'dev');
    const files = readdirSync(folder);
    expect(result.out).toMatch(new RegExp(`^dev: ${files.length} objects written to dist/dev/$`, 'm'));
    expect(files).toEqual(expect.arrayContaining([
      expect.stringMatching(/^2-secret-task-api-secrets-[0-9a-z]{10}_task-api-dev\.yaml$/),
      expect.stringMatching(/^2-secret-task-api-secrets-[0-9a-z]{10}_task-api-dev-b\.yaml$/),
    ]));
    // Each file holds its own object: every one of the synthesized objects is on disk once.
    const written = readManifests(folder);
    const { objects } = synthDev(withSecondApp({ namespace: 'task-api-dev-b' }));
    expect(written).toHaveLength(objects.length);
    expect(written).toEqual(expect.arrayContaining(objects));
  });

  test('counts the files written for the usual environment too', () => {
    const root = project();
    const result = runMain(root);
    expect(result.status).toBe(0);
    expect(result.out).toMatch(new RegExp(`^dev: ${readdirSync(join(root, 'dist', 'dev')).length} objects written to dist/dev/$`, 'm'));
  });

  test('a second app of the same name fails synth and leaves dist/ as it was', () => {
    const root = project();
    expect(runMain(root).status).toBe(0);
    const before = folderState(join(root, 'dist'));
    const result = runMain(root, withSecondApp());
    expect(result.status).toBe(1);
    expect(result.out).toMatch(/both make Secret task-api-secrets-[0-9a-z]{10} in namespace task-api-dev/);
    expect(folderState(join(root, 'dist'))).toEqual(before);
  });
});
