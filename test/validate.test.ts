import { synthEnvironments } from '../lib/synth/pipeline';
import { ENVIRONMENTS } from '../main';
import { validateObjects } from '../lib/synth/validate';
import { committedEnvDir, fakeSecrets, findObject, taskApiProject } from './support';

function synthOne(environment: string) {
  return synthEnvironments(taskApiProject(), [environment], { envDir: committedEnvDir(), processEnv: environment === 'dev' ? {} : fakeSecrets(environment) })[0];
}

const clone = (value: any) => JSON.parse(JSON.stringify(value));

describe('validateObjects', () => {
  test.each(['dev', 'staging', 'production'])('finds nothing wrong with any object of %s', (environment) => {
    const { objects } = synthOne(environment);
    expect(objects.length).toBeGreaterThanOrEqual(5);
    expect(validateObjects(objects)).toEqual([]);
  });

  test('reports a schema violation with the object and the field', () => {
    const deployment = clone(findObject(synthOne('dev').objects, 'Deployment', 'task-api'));
    deployment.spec.replicas = '3';
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http-port';
    expect(validateObjects([deployment])).toEqual([
      'Deployment task-api: spec.replicas: must be integer',
      'Deployment task-api: spec.template.spec.containers[0].ports[0].containerPort: must be integer',
    ]);
  });

  test('reports a missing required field by its path', () => {
    const deployment = clone(findObject(synthOne('dev').objects, 'Deployment', 'task-api'));
    delete deployment.spec.template.spec.containers[0].name;
    expect(validateObjects([deployment])).toContain('Deployment task-api: spec.template.spec.containers[0].name: is required');
  });

  test('reports names, data keys and labels the schema lets through', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name', labels: { tier: 'not valid!' } }, data: { 'bad key': 'x', good: 'y' } };
    expect(validateObjects([configMap])).toEqual([
      expect.stringMatching(/^ConfigMap Bad_Name: metadata\.name: "Bad_Name" must be a DNS-1123 subdomain/),
      expect.stringMatching(/^ConfigMap Bad_Name: metadata\.labels\["tier"\]: the value "not valid!" must be empty or at most 63/),
      expect.stringMatching(/^ConfigMap Bad_Name: data\["bad key"\]: is not a valid key/),
    ]);
  });

  test('holds Services to DNS-1035 labels and Namespaces to DNS-1123 labels', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: '1api', namespace: 'a.b' }, spec: { ports: [{ port: 80 }] } };
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team.dev' } };
    expect(validateObjects([service, namespace])).toEqual([
      expect.stringMatching(/^Service 1api: metadata\.name: "1api" must be a DNS-1035 label/),
      expect.stringMatching(/^Service 1api: metadata\.namespace: "a\.b" must be a DNS-1123 label/),
      expect.stringMatching(/^Namespace team\.dev: metadata\.name: "team\.dev" must be a DNS-1123 label/),
    ]);
  });

  test('reports Secret data over 1 MiB without showing any of it', () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 'fake-').toString('base64');
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'big' }, type: 'Opaque', data: { BLOB: big } };
    const problems = validateObjects([secret]);
    expect(problems).toEqual(['Secret big: data: 1048577 bytes is over the 1 MiB limit of a Secret; largest keys: BLOB (1048577 bytes)']);
  });

  test('names the largest keys of an object over 1 MiB with their decoded sizes, largest first', () => {
    const configMap = {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' },
      data: { SMALL: 'x', HALF_A: 'a'.repeat(512 * 1024), TINY: '', HALF_B: 'b'.repeat(512 * 1024 + 1) },
      binaryData: { LOGO: Buffer.alloc(100, 1).toString('base64') },
    };
    expect(validateObjects([configMap])).toEqual([
      'ConfigMap cfg: data: 1048678 bytes is over the 1 MiB limit of a ConfigMap; largest keys: HALF_B (524289 bytes), HALF_A (524288 bytes), LOGO (100 bytes)',
    ]);
  });

  test('refuses an object of a kind it has no schema for, so nothing goes unchecked', () => {
    expect(validateObjects([{ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x' } }]))
      .toEqual(['CronJob x: no schema for batch/v1/CronJob: add its model to lib/synth/schema-models.ts']);
  });
});

describe('synth validates what it synthesizes', () => {
  test('a broken object is a synth error naming the environment, the object and the field', () => {
    const environments = { dev: { ...ENVIRONMENTS.dev, namespace: 'Task_API', replicas: 1.5 } };
    let message = '';
    try {
      synthEnvironments(taskApiProject({ environments }), ['dev'], { envDir: committedEnvDir(), processEnv: {} });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^dev: Namespace Task_API: metadata\.name: "Task_API" must be a DNS-1123 label/m);
    expect(message).toMatch(/^dev: Deployment task-api: spec\.replicas: must be integer$/m);
    expect(message).toMatch(/^dev: ConfigMap task-api-config-[0-9a-z]{10}: metadata\.namespace: "Task_API" must be a DNS-1123 label/m);
    expect(message).not.toContain('fake-dev');
  });
});
