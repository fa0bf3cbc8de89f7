import { APPLYSET_LABELS, applySetName, applySetProblems, pruneCommand } from '../lib/synth/applyset';

describe('ApplySet compatibility', () => {
  test('objects may not carry the labels kubectl sets itself', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { [APPLYSET_LABELS[0]]: 'applyset-x-v1' } } };
    expect(applySetProblems([configMap])).toEqual([
      'ConfigMap c: metadata.labels["applyset.kubernetes.io/part-of"] is kubectl\'s to set; kubectl apply --applyset refuses objects that carry it',
    ]);
  });

  test('no Secret may take the parent\'s name', () => {
    expect(applySetProblems([{ kind: 'Secret', metadata: { name: applySetName() } }])).toHaveLength(1);
    expect(applySetProblems([{ kind: 'Secret', metadata: { name: 'task-api-secrets' } }])).toEqual([]);
  });

  test('the recipe names the namespace, a fixed parent and the folder', () => {
    expect(pruneCommand('task-api-staging', 'dist/staging'))
      .toBe('KUBECTL_APPLYSET=true kubectl apply --server-side -n task-api-staging --prune --applyset=task-api-applyset -f dist/staging/');
  });
});
