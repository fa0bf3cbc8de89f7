import { ApiObject, Chart } from 'cdk8s';
import { synthEnvironments } from '../lib/synth/pipeline';
import { EnvironmentContext } from '../lib/project';
import { buildTaskApi, TaskApiEnvironment } from '../main';
import { committedEnvDir, fakeSecrets, taskApiProject } from './support';
import { readFileSync } from 'fs';
import { join } from 'path';
import { adoptionCommands, APPLYSET_LABELS, applySetId, applySetName, applySetProblems, pruneCommand } from '../lib/synth/applyset';

describe('ApplySet compatibility', () => {
  test('objects may not carry the labels kubectl sets itself', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { [APPLYSET_LABELS[0]]: 'applyset-x-v1' } } };
    expect(applySetProblems([configMap], 'task-api')).toEqual([
      'ConfigMap c: metadata.labels["applyset.kubernetes.io/part-of"] is kubectl\'s to set; kubectl apply --applyset refuses objects that carry it',
    ]);
  });

  test('no Secret may take the parent\'s name', () => {
    expect(applySetProblems([{ kind: 'Secret', metadata: { name: applySetName('task-api') } }], 'task-api')).toHaveLength(1);
    expect(applySetProblems([{ kind: 'Secret', metadata: { name: 'task-api-secrets' } }], 'task-api')).toEqual([]);
  });

  test('the recipe names the namespace, a fixed parent and the folder', () => {
    expect(pruneCommand('task-api-staging', 'dist/staging', 'task-api'))
      .toBe('KUBECTL_APPLYSET=true kubectl apply --server-side -n task-api-staging --prune --applyset=task-api-applyset -f dist/staging/');
  });
});

describe('adopting objects applied without --applyset', () => {
  // That these commands do what docs/rollback.md says, on a real API server: test/cluster/pruning.test.ts.
  test('the id is kubectl\'s: applyset-, base64url of SHA-256 of <name>.<namespace>.Secret., -v1', () => {
    expect(applySetId('task-api-dev', 'task-api')).toBe('applyset-d_y6Q073etZHrUJbnmDjazv-D_YtS_vY4aa8b7CPc2A-v1');
  });

  test('docs/rollback.md shows the commands for production exactly', () => {
    const docs = readFileSync(join(__dirname, '..', 'docs', 'rollback.md'), 'utf8');
    const { list, adopt } = adoptionCommands('task-api-production', 'task-api');
    expect(docs).toContain(`\n${list}\n`);
    expect(docs).toContain(`\n${adopt}\n`);
  });
});

describe('synth and ApplySets', () => {
  test('refuses an object that carries the label kubectl sets itself, naming the environment and the object', () => {
    const build = (chart: Chart, context: EnvironmentContext<TaskApiEnvironment>) => {
      buildTaskApi(chart, context);
      new ApiObject(chart, 'Labelled', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'labelled', namespace: context.settings.namespace, labels: { [APPLYSET_LABELS[0]]: 'applyset-x-v1' } } });
    };
    expect(() => synthEnvironments(taskApiProject({ build }), ['dev'], { envDir: committedEnvDir(), processEnv: {} }))
      .toThrow('dev: ConfigMap labelled: metadata.labels["applyset.kubernetes.io/part-of"] is kubectl\'s to set');
  });

  test('what synth writes for every environment is ApplySet-ready and holds its Namespace', () => {
    for (const environment of ['dev', 'staging', 'production']) {
      const [synthesized] = synthEnvironments(taskApiProject(), [environment], { envDir: committedEnvDir(), processEnv: environment === 'dev' ? {} : fakeSecrets(environment) });
      expect(applySetProblems(synthesized.objects, 'task-api')).toEqual([]);
      expect(synthesized.objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).toEqual([`task-api-${environment}`]);
    }
  });
});
