import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { contentNamedJobBase, nameJobAfterContent } from '../lib/constructs/content-named-job';
import { planEnvironment } from '../lib/review/plan';

function jobObject(options: { image?: string; ttl?: number; name?: string } = {}): any {
  const chart = Testing.chart();
  const job = new kplus.Job(chart, 'Migrate', {
    metadata: { name: options.name ?? 'migrate', namespace: 'ns' },
    ttlAfterFinished: Duration.seconds(options.ttl ?? 3600),
  });
  job.addContainer({ image: options.image ?? 'ghcr.io/o/task-api:1', command: ['alembic', 'upgrade', 'head'] });
  nameJobAfterContent(job);
  return Testing.synth(chart).find((o) => o.kind === 'Job');
}

describe('nameJobAfterContent', () => {
  test('names the Job <name>-<10 hex digits>', () => {
    expect(jobObject().metadata.name).toMatch(/^migrate-[0-9a-f]{10}$/);
  });

  test('the same content gives the same name, so kubectl apply of an unchanged Job changes nothing', () => {
    expect(jobObject().metadata.name).toBe(jobObject().metadata.name);
  });

  test('any change to the spec gives a new name: the pod template, or a field beside it', () => {
    const names = [jobObject(), jobObject({ image: 'ghcr.io/o/task-api:2' }), jobObject({ ttl: 60 })].map((job) => job.metadata.name);
    expect(new Set(names).size).toBe(names.length);
  });

  test('refuses a name too long for the suffix: the Job controller puts the name in a 63-character label', () => {
    const chart = Testing.chart();
    const job = new kplus.Job(chart, 'Long', { metadata: { name: 'x'.repeat(53) } });
    expect(() => nameJobAfterContent(job)).toThrow(`Job ${'x'.repeat(53)}: the name is too long to take a 10-digit content suffix: keep it to 52 characters`);
    expect(() => nameJobAfterContent(new kplus.Job(chart, 'Fits', { metadata: { name: 'x'.repeat(52) } }))).not.toThrow();
  });

  test('contentNamedJobBase gives back the name given, and nothing for other names', () => {
    expect(contentNamedJobBase(jobObject().metadata.name)).toBe('migrate');
    expect(contentNamedJobBase('task-api-migrate-0123456789')).toBe('task-api-migrate');
    expect(contentNamedJobBase('migrate')).toBeUndefined();
    expect(contentNamedJobBase('migrate-0123456789abc')).toBeUndefined();
  });
});

describe('planEnvironment with content-named Jobs', () => {
  test('a new Job replacing one of the same name runs, with what changed in its spec as the reasons', () => {
    const [before, after] = [jobObject({ ttl: 3600 }), jobObject({ ttl: 60 })];
    const plan = planEnvironment('dev', [before], [after]);
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([`remove Job ${before.metadata.name}`, `add Job ${after.metadata.name}`]);
    expect(plan.rollouts).toEqual([{ workload: `Job ${after.metadata.name}`, reasons: ['spec.ttlSecondsAfterFinished: 3600 → 60'], replaces: `Job ${before.metadata.name}` }]);
  });

  test('a Job of another name, or a Job that is simply new, only appears as added', () => {
    expect(planEnvironment('dev', [jobObject({ name: 'seed' })], [jobObject()]).rollouts).toEqual([]);
    expect(planEnvironment('dev', [], [jobObject()]).rollouts).toEqual([]);
  });
});
