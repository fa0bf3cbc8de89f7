import { effectiveEnvironment, expand, NamespaceData } from '../lib/review/kubelet-env';

const DATA: NamespaceData = {
  configMaps: {
    base: { LOG_LEVEL: 'info', HOST: 'db', PORT: '5432', LITERAL: '$(HOST)' },
    override: { LOG_LEVEL: 'debug' },
  },
  secrets: { creds: { DB_PASSWORD: 'fake-password', LOG_LEVEL: 'fake-secret-level' } },
  services: [{ name: 'task-api', ports: [{ name: 'http', port: 80 }] }],
};

function envOf(container: any, data: NamespaceData = DATA, options = {}) {
  const { vars, problems } = effectiveEnvironment(container, data, options);
  return { vars: Object.fromEntries(vars.map((v) => [v.name, v])), problems: problems.map((p) => p.message) };
}

describe('effectiveEnvironment follows the kubelet', () => {
  test('a later envFrom source wins a key, and the earlier one is recorded as overridden', () => {
    const { vars } = envOf({ envFrom: [{ configMapRef: { name: 'base' } }, { configMapRef: { name: 'override' } }, { secretRef: { name: 'creds' } }] });
    expect(vars.LOG_LEVEL.value).toBe('fake-secret-level');
    expect(vars.LOG_LEVEL.secret).toBe(true);
    expect(vars.LOG_LEVEL.origin).toEqual({ type: 'envFrom', ref: { kind: 'Secret', name: 'creds' }, key: 'LOG_LEVEL', prefix: '' });
    expect(vars.LOG_LEVEL.overrode.map((o: any) => o.ref.name)).toEqual(['base', 'override']);
    expect(vars.HOST.value).toBe('db');
    expect(vars.HOST.secret).toBe(false);
  });

  test('env entries win over every envFrom source, whatever the order in the manifest', () => {
    const { vars } = envOf({ env: [{ name: 'LOG_LEVEL', value: 'warning' }], envFrom: [{ secretRef: { name: 'creds' } }] });
    expect(vars.LOG_LEVEL.value).toBe('warning');
    expect(vars.LOG_LEVEL.secret).toBe(false);
    expect(vars.LOG_LEVEL.overrode).toEqual([{ type: 'envFrom', ref: { kind: 'Secret', name: 'creds' }, key: 'LOG_LEVEL', prefix: '' }]);
  });

  test('a prefix is put in front of every key of its source only', () => {
    const { vars } = envOf({ envFrom: [{ configMapRef: { name: 'base' }, prefix: 'APP_' }, { configMapRef: { name: 'override' } }] });
    expect(vars.APP_LOG_LEVEL.value).toBe('info');
    expect(vars.APP_HOST.value).toBe('db');
    expect(vars.LOG_LEVEL.value).toBe('debug');
    expect(vars.LOG_LEVEL.overrode).toEqual([]);
    expect(vars.HOST).toBeUndefined();
  });

  test('env values expand $(VAR) from envFrom keys and earlier env entries, not later ones', () => {
    const { vars } = envOf({
      envFrom: [{ configMapRef: { name: 'base' } }],
      env: [
        { name: 'URL', value: 'postgres://$(HOST):$(PORT)/$(NAME)' },
        { name: 'NAME', value: 'tasks' },
        { name: 'URL2', value: 'postgres://$(HOST)/$(NAME)' },
      ],
    });
    expect(vars.URL.value).toBe('postgres://db:5432/$(NAME)');
    expect(vars.URL.origin).toEqual({ type: 'env', index: 0, expanded: ['HOST', 'PORT'] });
    expect(vars.URL2.value).toBe('postgres://db/tasks');
  });

  test('$$ escapes a reference, and an unresolved reference stays as written', () => {
    const { vars } = envOf({
      envFrom: [{ configMapRef: { name: 'base' } }],
      env: [{ name: 'A', value: '$$(HOST) costs $$5, $(MISSING) and $(HOST' }],
    });
    expect(vars.A.value).toBe('$(HOST) costs $5, $(MISSING) and $(HOST');
  });

  test('envFrom values and valueFrom values are never expanded', () => {
    const { vars } = envOf({
      envFrom: [{ configMapRef: { name: 'base' } }],
      env: [{ name: 'FROM_KEY', valueFrom: { configMapKeyRef: { name: 'base', key: 'LITERAL' } } }],
    });
    expect(vars.LITERAL.value).toBe('$(HOST)');
    expect(vars.FROM_KEY.value).toBe('$(HOST)');
  });

  test('a value expanded from a secret is itself a secret', () => {
    const { vars } = envOf({
      envFrom: [{ secretRef: { name: 'creds' } }],
      env: [{ name: 'DSN', value: 'postgres://app:$(DB_PASSWORD)@db' }, { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'DB_PASSWORD' } } }],
    });
    expect(vars.DSN.secret).toBe(true);
    expect(vars.PW.secret).toBe(true);
  });

  test('service link variables come last: for the namespace Services and the API server, never over a set name', () => {
    const data = { ...DATA, configMaps: { ...DATA.configMaps, links: { TASK_API_SERVICE_PORT: 'mine' } } };
    const { vars } = envOf({ envFrom: [{ configMapRef: { name: 'links' } }], env: [{ name: 'SELF', value: '$(TASK_API_PORT_80_TCP_PORT)' }] }, data);
    expect(vars.TASK_API_SERVICE_PORT.value).toBe('mine');
    expect(vars.TASK_API_SERVICE_PORT_HTTP.value).toBe('80');
    expect(vars.TASK_API_SERVICE_HOST).toMatchObject({ value: undefined, template: '<cluster IP>' });
    expect(vars.TASK_API_PORT.template).toBe('tcp://<cluster IP>:80');
    expect(vars.TASK_API_PORT_80_TCP_PROTO.value).toBe('tcp');
    expect(vars.KUBERNETES_SERVICE_PORT.value).toBe('443');
    expect(vars.KUBERNETES_SERVICE_PORT_HTTPS.value).toBe('443');
    expect(vars.SELF.value).toBe('80');
  });

  test('enableServiceLinks: false leaves only the API server variables', () => {
    const { vars } = envOf({}, DATA, { enableServiceLinks: false });
    expect(Object.keys(vars).sort()).toEqual([
      'KUBERNETES_PORT', 'KUBERNETES_PORT_443_TCP', 'KUBERNETES_PORT_443_TCP_ADDR', 'KUBERNETES_PORT_443_TCP_PORT',
      'KUBERNETES_PORT_443_TCP_PROTO', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'KUBERNETES_SERVICE_PORT_HTTPS',
    ]);
  });

  test('a missing referenced object is a problem unless optional', () => {
    expect(envOf({ envFrom: [{ configMapRef: { name: 'nope' } }] }).problems).toEqual(['envFrom ConfigMap nope is not among the objects: the container would not start']);
    expect(envOf({ envFrom: [{ configMapRef: { name: 'nope', optional: true } }] }).problems).toEqual([]);
    expect(envOf({ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'NOPE' } } }] }).problems)
      .toEqual(['X: Secret creds has no key NOPE: the container would not start']);
  });

  test('a key that is not a C-style name is flagged: kubelets before 1.32 skip it', () => {
    const data = { ...DATA, configMaps: { odd: { '1ST': 'x' } } };
    expect(envOf({ envFrom: [{ configMapRef: { name: 'odd' } }] }, data).problems)
      .toEqual(['1ST (from ConfigMap odd) is not a C-style variable name: kubelets before 1.32 skip it']);
  });
});

describe('expand', () => {
  const mapping = (name: string) => ({ A: 'a', EMPTY: '' } as Record<string, string>)[name];
  test.each([
    ['$(A)', 'a'],
    ['x$(A)y$(A)', 'xaya'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$a'],
    ['$(B)', '$(B)'],
    ['$(EMPTY)!', '!'],
    ['$(A', '$(A'],
    ['$A', '$A'],
    ['100$', '100$'],
    ['$()', '$()'],
    ['', ''],
  ])('%j expands to %j', (input, output) => {
    expect(expand(input, mapping)).toBe(output);
  });
});
