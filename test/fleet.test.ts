import { writeFileSync } from 'fs';
import { join } from 'path';
import { Chart } from 'cdk8s';
import { fleetServiceNames, synthFleet } from '../bench/fleet';
import { synthEnvironments } from '../lib/synth/pipeline';
import { committedEnvDir, fakeSecrets, findObject, findVersion, taskApiProject } from './support';

/** The committed env files plus fake staging and production secrets files. */
function envDirWithAllSecrets(): string {
  const envDir = committedEnvDir();
  for (const environment of ['staging', 'production']) {
    writeFileSync(join(envDir, `${environment}.secrets.env`), Object.entries(fakeSecrets(environment)).map(([k, v]) => `${k}=${v}\n`).join(''));
  }
  return envDir;
}

const ALL = ['dev', 'staging', 'production'];

describe('the benchmark fleet', () => {
  test('names its services svc-0001, svc-0002, …', () => {
    expect(fleetServiceNames(3)).toEqual(['svc-0001', 'svc-0002', 'svc-0003']);
  });

  test('synthesizes one Deployment per service in every environment, each in its own namespace', () => {
    const fleet = [...synthFleet(ALL, fleetServiceNames(3), { envDir: envDirWithAllSecrets(), processEnv: {} })];
    expect(fleet.map((f) => f.environment)).toEqual(ALL);
    for (const { environment, objects } of fleet) {
      expect(objects.filter((o) => o.kind === 'Deployment')).toHaveLength(3);
      for (const service of fleetServiceNames(3)) {
        findObject(objects, 'Namespace', `${service}-${environment}`);
        expect(findObject(objects, 'Deployment', service).metadata.namespace).toBe(`${service}-${environment}`);
        expect(findObject(objects, 'Service', service).metadata.namespace).toBe(`${service}-${environment}`);
      }
    }
  });

  test('puts every service of an environment in one Chart, the only Chart of its App', () => {
    for (const { services } of synthFleet(ALL, fleetServiceNames(3), { envDir: envDirWithAllSecrets(), processEnv: {} })) {
      const chart = Chart.of(services[0]);
      expect(services.every((service) => Chart.of(service) === chart)).toBe(true);
      expect(chart.node.scope!.node.children).toEqual([chart]);
    }
  });

  test("gives each service its environment's resolved configuration and secrets", () => {
    const envDir = envDirWithAllSecrets();
    const [single] = synthEnvironments(taskApiProject(), ['staging'], { envDir, processEnv: {} });
    const [fleet] = synthFleet(['staging'], fleetServiceNames(2), { envDir, processEnv: {} });
    const expected = findVersion(single.objects, 'ConfigMap', 'task-api-config').data;
    expect(findVersion(fleet.objects, 'ConfigMap', 'svc-0002-config').data).toEqual(expected);
    expect(findVersion(fleet.objects, 'Secret', 'svc-0002-secrets').data).toEqual(findVersion(single.objects, 'Secret', 'task-api-secrets').data);
    expect(findObject(fleet.objects, 'Deployment', 'svc-0002').spec.template.spec.imagePullSecrets).toEqual([{ name: 'svc-0002-registry' }]);
  });

  test('reports missing secrets like npm run synth does, before building anything', () => {
    expect(() => [...synthFleet(ALL, fleetServiceNames(2), { envDir: committedEnvDir(), processEnv: {} })])
      .toThrow(/staging: missing or empty secrets: .*\nproduction: missing or empty secrets: /);
  });
});
