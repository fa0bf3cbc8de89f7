import { readFileSync } from 'fs';
import { join } from 'path';
import { apiGroup, BUILT_IN_GROUPS, SERVED_API_VERSIONS } from '../../lib/synth/builtin-models';
import { schemasFromCrdYaml } from '../../lib/config/custom-resource-schema';
import { validateObjects } from '../../lib/synth/validate';
import { BAD_WIDGETS, BUILT_IN_CASES, GOOD_WIDGETS, withField } from '../builtin-kinds';
import { eventually, kubectl, kubectlOk } from './support';

// The validator's verdicts next to the API server's on the very same objects: what synth refuses,
// the server refuses, and what synth lets through, the server takes (`--dry-run=server`: the
// request goes through decoding, schema validation and admission, and nothing is stored).

const NAMESPACE = 'validate-kinds';
const CRD_FILE = join(__dirname, '..', 'fixtures', 'widget-crd.yaml');

/** The server's verdict on one object: a dry-run create with strict field validation. */
function server(object: unknown): { accepted: boolean; message: string } {
  const result = kubectl(['create', '--dry-run=server', '--validate=strict', '-n', NAMESPACE, '-o', 'name', '-f', '-'], JSON.stringify(object));
  return { accepted: result.status === 0, message: result.stderr };
}

beforeAll(async () => {
  kubectlOk(['create', 'namespace', NAMESPACE]);
  kubectlOk(['apply', '-f', CRD_FILE]);
  kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/widgets.example.com']);
  // Established can come a moment before the group is in discovery, which kubectl reads.
  await eventually('example.com/v1 in discovery', () => (kubectl(['api-resources', '--api-group=example.com']).stdout.includes('Widget') ? true : undefined));
});

afterAll(() => {
  kubectl(['delete', 'namespace', NAMESPACE, '--wait=false']);
  kubectl(['delete', '-f', CRD_FILE, '--wait=false']);
});

describe('the validator and a v1.34 API server agree', () => {
  test('the built-in apiVersions synth validates are the ones the server serves', () => {
    const served = kubectlOk(['api-versions']).trim().split('\n');
    const crdGroups = new Set(kubectlOk(['get', 'crd', '-o', 'jsonpath={.items[*].spec.group}']).trim().split(/\s+/));
    expect(served.filter((version) => BUILT_IN_GROUPS.has(apiGroup(version))).sort()).toEqual([...SERVED_API_VERSIONS].sort());
    // Built-in groups kubernetes-models 4.5.1 lacks: their objects get the custom resources' note.
    const missing = [...new Set(served.map(apiGroup))].filter((group) => !BUILT_IN_GROUPS.has(group) && !crdGroups.has(group));
    expect(missing).toEqual(['resource.k8s.io']);
  });

  test.each(Object.keys(BUILT_IN_CASES))('a valid %s: both take it', (name) => {
    const { valid } = BUILT_IN_CASES[name];
    expect(validateObjects([valid])).toEqual([]);
    expect(server(valid)).toEqual({ accepted: true, message: '' });
  });

  test.each(Object.keys(BUILT_IN_CASES))('a %s with a field of the wrong type: both refuse it', (name) => {
    const { valid, field, value, message } = BUILT_IN_CASES[name];
    const broken = withField(valid, field, value);
    expect(validateObjects([broken])).toEqual([message]);
    const verdict = server(broken);
    expect(verdict.accepted).toBe(false);
    expect(verdict.message).toContain(field.split('.').pop());
  });

  test.each([
    ['a misspelt kind', { apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' }, spec: {} }],
    ['a removed apiVersion', { apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata: { name: 'x' }, spec: {} }],
  ])('%s of a built-in group: both refuse it', (_, object) => {
    expect(validateObjects([object])).toEqual([expect.stringMatching(/^\w+ x: no schema for /)]);
    const verdict = server(object);
    expect(verdict.accepted).toBe(false);
    expect(verdict.message).toContain(`no matches for kind "${object.kind}" in version "${object.apiVersion}"`);
  });

  test('a kind v1.34 added to a built-in group: the server takes it, synth refuses it until a schema is registered', () => {
    const object = { apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttributesClass', metadata: { name: 'fast' }, driverName: 'csi.example.com', parameters: { iops: '3000' } };
    expect(server(object)).toEqual({ accepted: true, message: '' });
    expect(validateObjects([object])).toEqual([expect.stringContaining('has no kind VolumeAttributesClass in storage.k8s.io/v1')]);
  });

  const schemas = schemasFromCrdYaml(readFileSync(CRD_FILE, 'utf8'), 'test/fixtures/widget-crd.yaml');

  test.each(GOOD_WIDGETS)('a Widget with %s: both take it', (_, object) => {
    expect(validateObjects([object], { schemas })).toEqual([]);
    expect(server(object)).toEqual({ accepted: true, message: '' });
  });

  test.each(BAD_WIDGETS)('a Widget with %s: both refuse it, naming the same field', (_, object, message) => {
    expect(validateObjects([object], { schemas })).toEqual([message]);
    const verdict = server(object);
    expect(verdict.accepted).toBe(false);
    const field = message.split(': ')[1];
    expect(verdict.message).toContain(field);
  });
});
