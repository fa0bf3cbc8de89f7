import { synthEnvironments } from '../lib/synth/pipeline';
import { ENVIRONMENTS } from '../main';
import { readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join } from 'path';
import { validateObjects, validateObjectsWithNotes } from '../lib/synth/validate';
import { BUILT_IN_GROUPS } from '../lib/synth/builtin-models';
import { customResourceSchema, schemasFromCrd, schemasFromCrdYaml } from '../lib/config/custom-resource-schema';
import { BAD_WIDGETS, BUILT_IN_CASES, GOOD_WIDGETS, widget, withField } from './builtin-kinds';
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

  test('refuses an object without apiVersion or kind', () => {
    expect(validateObjects([{ kind: 'ConfigMap', metadata: { name: 'x' } }, { apiVersion: 'v1', metadata: { name: 'y' } }]))
      .toEqual(['ConfigMap x: apiVersion: is required', '(no kind) y: kind: is required']);
  });
});

describe('every built-in kind validates', () => {
  test.each(Object.keys(BUILT_IN_CASES))('a valid %s passes', (name) => {
    expect(validateObjectsWithNotes([BUILT_IN_CASES[name].valid])).toEqual({ problems: [], notes: [] });
  });

  test.each(Object.keys(BUILT_IN_CASES))('a %s with a field of the wrong type fails naming the field', (name) => {
    const { valid, field, value, message } = BUILT_IN_CASES[name];
    expect(validateObjects([withField(valid, field, value)])).toEqual([message]);
  });

  test('a kind with a pod template gets its container names checked like a Deployment', () => {
    const cronJob = withField(BUILT_IN_CASES['batch/v1 CronJob'].valid, 'spec.jobTemplate.spec.template.spec.containers.0.name', 'Clean_Up');
    expect(validateObjects([cronJob])).toEqual([
      expect.stringMatching(/^CronJob cleanup: spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.name: "Clean_Up" must be a DNS-1123 label/),
    ]);
  });

  test('a kind of a built-in group that kubernetes-models does not have is an error, with the kind it may mean', () => {
    const object = { apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' }, spec: {} };
    expect(validateObjectsWithNotes([object])).toEqual({
      problems: ['Deploymnet x: no schema for apps/v1/Deploymnet: kubernetes-models 4.5.1 (Kubernetes v1.33.0) has no kind Deploymnet in apps/v1; did you mean Deployment?'],
      notes: [],
    });
  });

  test('a part of a kind is not a kind', () => {
    expect(validateObjects([{ apiVersion: 'apps/v1', kind: 'DeploymentSpec', metadata: { name: 'x' } }]))
      .toEqual(['DeploymentSpec x: no schema for apps/v1/DeploymentSpec: kubernetes-models 4.5.1 (Kubernetes v1.33.0) has no kind DeploymentSpec in apps/v1']);
  });

  test('an apiVersion Kubernetes no longer serves is an error, though kubernetes-models keeps its schema', () => {
    expect(validateObjects([
      { apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata: { name: 'old' }, spec: {} },
      { apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'older' }, spec: {} },
    ])).toEqual([
      'Deployment old: no schema for apps/v1beta1/Deployment: Kubernetes v1.34 does not serve apps/v1beta1 (it serves apps/v1)',
      'Ingress older: no schema for extensions/v1beta1/Ingress: Kubernetes v1.34 does not serve extensions/v1beta1 nor any version of extensions',
    ]);
  });

  test('the built-in groups are the folders of kubernetes-models, the core group v1/ among them', () => {
    const root = dirname(require.resolve('kubernetes-models/package.json'));
    const folders = readdirSync(root).filter((name) => !name.startsWith('_') && name !== 'node_modules' && statSync(join(root, name)).isDirectory());
    expect([...BUILT_IN_GROUPS].map((group) => group || 'v1').sort()).toEqual(folders.sort());
  });
});

describe('custom resources', () => {
  const widgetSchemas = () => schemasFromCrdYaml(readFileSync(join(__dirname, 'fixtures', 'widget-crd.yaml'), 'utf8'), 'test/fixtures/widget-crd.yaml');

  test('one without a schema is not validated and gets a note naming its kind, once per kind', () => {
    const gateway = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'web' }, spec: { anything: 1 } };
    expect(validateObjectsWithNotes([gateway, { ...gateway, metadata: { name: 'api' } }, widget({ size: 'big' })])).toEqual({
      problems: [],
      notes: [
        "gateway.networking.k8s.io/v1/HTTPRoute has no schema: not validated (register its CRD's openAPIV3Schema to validate it)",
        "example.com/v1/Widget has no schema: not validated (register its CRD's openAPIV3Schema to validate it)",
      ],
    });
  });

  test('one without a schema still has its name checked', () => {
    expect(validateObjects([{ ...widget({}), metadata: { name: 'Bad_Name' } }]))
      .toEqual([expect.stringMatching(/^Widget Bad_Name: metadata\.name: "Bad_Name" must be a DNS-1123 subdomain/)]);
  });

  test('a CRD file gives one schema per served version', () => {
    const schemas = widgetSchemas();
    expect(schemas.map(({ apiVersion, kind }) => `${apiVersion}/${kind}`)).toEqual(['example.com/v1/Widget']);
    expect(schemas[0].openAPIV3Schema).toMatchObject({ type: 'object', properties: { spec: { required: ['size'] } } });
  });

  test.each(GOOD_WIDGETS)('a registered schema passes %s', (_, object) => {
    expect(validateObjectsWithNotes([object], { schemas: widgetSchemas() })).toEqual({ problems: [], notes: [] });
  });

  test.each(BAD_WIDGETS)('a registered schema catches %s', (_, object, message) => {
    expect(validateObjectsWithNotes([object], { schemas: widgetSchemas() })).toEqual({ problems: [message], notes: [] });
  });

  test('the metadata of a registered kind is left to the naming rules', () => {
    const object = { ...widget({ size: 1 }), metadata: { name: 'w', labels: { a: 'b' }, annotations: { c: 'd' } } };
    expect(validateObjects([object], { schemas: widgetSchemas() })).toEqual([]);
  });

  test('an embedded resource takes apiVersion, kind and metadata besides its own fields', () => {
    const schema = customResourceSchema('example.com/v1', 'Wrapper', {
      type: 'object',
      properties: { spec: { type: 'object', properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { data: { type: 'string' } } } } } },
    });
    const object = (template: unknown) => ({ apiVersion: 'example.com/v1', kind: 'Wrapper', metadata: { name: 'w' }, spec: { template } });
    expect(validateObjects([object({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: 'y' })], { schemas: [schema] })).toEqual([]);
    expect(validateObjects([object({ data: 'y', other: 1 })], { schemas: [schema] })).toEqual(['Wrapper w: spec.template.other: unknown field']);
  });

  test('a nullable field takes null', () => {
    const schema = customResourceSchema('example.com/v1', 'Thing', { type: 'object', properties: { spec: { type: 'object', nullable: true } } });
    expect(validateObjects([{ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't' }, spec: null }], { schemas: [schema] })).toEqual([]);
  });

  test('a registered schema also covers a built-in kind newer than kubernetes-models (VolumeAttributesClass, GA in 1.34)', () => {
    const object = { apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttributesClass', metadata: { name: 'fast' }, driverName: 'csi.example.com', parameters: { iops: '3000' } };
    expect(validateObjects([object])).toEqual([
      'VolumeAttributesClass fast: no schema for storage.k8s.io/v1/VolumeAttributesClass: kubernetes-models 4.5.1 (Kubernetes v1.33.0) has no kind VolumeAttributesClass in storage.k8s.io/v1',
    ]);
    const schema = customResourceSchema('storage.k8s.io/v1', 'VolumeAttributesClass', {
      type: 'object', required: ['driverName'], properties: { driverName: { type: 'string' }, parameters: { type: 'object', additionalProperties: { type: 'string' } } },
    });
    expect(validateObjects([object], { schemas: [schema] })).toEqual([]);
  });

  test('customResourceSchema refuses an apiVersion, kind or schema it cannot use', () => {
    expect(() => customResourceSchema('widgets', 'Widget', { type: 'object' })).toThrow('customResourceSchema: apiVersion "widgets" is not <group>/<version> (e.g. example.com/v1)');
    expect(() => customResourceSchema('example.com/v1', 'widget', { type: 'object' })).toThrow('customResourceSchema: kind "widget" must be CamelCase letters and digits (e.g. Widget)');
    expect(() => customResourceSchema('example.com/v1', 'Widget', { type: 'string' })).toThrow('customResourceSchema: the schema of example.com/v1/Widget must be an object schema (type: object)');
  });

  test('schemasFromCrd names what is missing', () => {
    expect(() => schemasFromCrd({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, 'crds/x.yaml'))
      .toThrow('crds/x.yaml x: is not an apiextensions.k8s.io/v1 CustomResourceDefinition (apiVersion "v1", kind "ConfigMap")');
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' }, spec: { group: 'example.com', names: { kind: 'Widget' }, versions: [{ name: 'v1', served: true }] } };
    expect(() => schemasFromCrd(crd)).toThrow('CustomResourceDefinition widgets.example.com: spec.versions[0].schema.openAPIV3Schema: is required');
  });

  test('schemasFromCrdYaml names the file and line of a YAML error, and a file without a CRD', () => {
    expect(() => schemasFromCrdYaml('kind: CustomResourceDefinition\nspec: [a\n', 'crds/bad.yaml')).toThrow(/^crds\/bad\.yaml:\d+: /);
    expect(() => schemasFromCrdYaml('apiVersion: v1\nkind: Namespace\n', 'crds/none.yaml')).toThrow('crds/none.yaml: holds no CustomResourceDefinition');
  });

  test('two different schemas for one kind are refused', () => {
    const a = customResourceSchema('example.com/v1', 'Widget', { type: 'object' });
    const b = customResourceSchema('example.com/v1', 'Widget', { type: 'object' });
    expect(() => validateObjects([], { schemas: [a, b] })).toThrow('two schemas are registered for example.com/v1/Widget: register one');
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
