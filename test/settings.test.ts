import { spawnSync } from 'child_process';
import fc from 'fast-check';
import { readdirSync } from 'fs';
import { join } from 'path';
import { readLayerInputs, resolveLayers, synthOnlyKeys } from '../lib/config/layers';
import { project as taskApi } from '../main';
import type { ResolvedValue, Source } from '../lib/config/provenance';
import {
  describeSetting, SettingDeclaration, SettingLayers, settingProblems, SettingsSchema, settingsSchemaProblems,
} from '../lib/config/settings';
import { TASK_API_SETTINGS } from './fixtures/task-api-settings';

const SYNTH_ONLY_KEYS = synthOnlyKeys(taskApi.synthKeys);

function value(key: string, text: string, layer: Source['layer'], at: string): ResolvedValue {
  return { key, value: text, source: { layer, at }, overrides: [] };
}

function staging(config: readonly ResolvedValue[], secrets: readonly ResolvedValue[] = [], more: Partial<SettingLayers> = {}): SettingLayers {
  return {
    environment: 'staging',
    config,
    secrets,
    defaultsFile: 'env/defaults.env',
    environmentFile: 'env/staging.env',
    secretsFile: 'env/staging.secrets.env',
    ...more,
  };
}

/** The problems of one value of a setting that is not secret, from line 3 of env/staging.env. */
function configProblems(declaration: SettingDeclaration, text: string): string[] {
  return settingProblems({ KEY: declaration }, staging([value('KEY', text, 'environment', 'env/staging.env:3')]));
}

// Verdicts as [value, accepted here, accepted by pydantic]. The pydantic column is what
// pydantic 2.13.4 (pydantic-core 2.46.4) answered to TypeAdapter(T).validate_python(value) for
// T = bool, int, datetime.timedelta and pydantic.AnyUrl; the cross-check at the end asks it
// again when pydantic 2 is installed. Where the columns differ the setting is stricter than
// pydantic, never looser: what synth accepts, the app parses.
type Verdicts = readonly (readonly [string, boolean, boolean])[];

const BOOLEAN_VERDICTS: Verdicts = [
  ['true', true, true], ['True', true, true], ['TRUE', true, true], ['tRuE', true, true],
  ['false', true, true], ['False', true, true], ['1', true, true], ['0', true, true],
  ['yes', true, true], ['Yes', true, true], ['no', true, true], ['NO', true, true],
  ['on', true, true], ['ON', true, true], ['off', true, true], ['Off', true, true],
  ['t', true, true], ['T', true, true], ['f', true, true], ['F', true, true],
  ['y', true, true], ['Y', true, true], ['n', true, true], ['N', true, true],
  ['ture', false, false], ['', false, false], [' true', false, false], ['true ', false, false],
  ['2', false, false], ['01', false, false], ['truee', false, false], ['enabled', false, false],
  ['none', false, false], ['null', false, false],
];

const INTEGER_VERDICTS: Verdicts = [
  ['100', true, true], ['0', true, true], ['-5', true, true], ['+1', true, true], ['00012', true, true],
  ['-0', true, true], ['9999999999999999999999', true, true],
  ['1OO', false, false], ['1.5', false, false], ['0x10', false, false], ['1e3', false, false], ['', false, false],
  ['+-1', false, false], ['3.', false, false], ['١٢', false, false], ['１２', false, false], ['1 000', false, false],
  // pydantic's own leniency, which Go's strconv.Atoi, Node's Number.isInteger(Number(x)) and others do not share.
  ['1.0', false, true], ['10.00', false, true], ['1_000', false, true], [' 7', false, true], ['7 ', false, true],
];

const DURATION_VERDICTS: Verdicts = [
  ['PT30S', true, true], ['PT5M', true, true], ['PT1H30M', true, true], ['P1D', true, true], ['P1DT2H', true, true],
  ['P2W', true, true], ['P1W', true, true], ['P1Y', true, true], ['P1M', true, true], ['P0D', true, true],
  ['PT1H30M15S', true, true], ['P1Y2M3DT4H5M6S', true, true],
  ['30s', false, false], ['5m', false, false], ['1h30m', false, false], ['30', false, false], ['PT', false, false],
  ['P', false, false], ['pt1h', false, false], ['P1H', false, false], ['P1D1H', false, false], ['', false, false],
  // pydantic's extensions to RFC 3339's duration: fractions, mixed weeks, signs, its own HH:MM:SS and "N days" forms.
  ['PT1.5S', false, true], ['P1W2D', false, true], ['-P1D', false, true], ['P1DT', false, true],
  ['01:30:00', false, true], ['1 day, 01:00:00', false, true], ['3 days', false, true], ['1d', false, true],
];

const URL_VERDICTS: Verdicts = [
  ['redis://:pass@host:6379/0', true, true], ['rediss://u:p@h', true, true], ['postgresql://user:pass@db:5432/app', true, true],
  ['https://api.example.com', true, true], ['http://localhost:8000', true, true], ['http://[::1]:80/', true, true],
  ['HTTP://X.COM', true, true], ['https://staging.api.example.com/v1?x=1#f', true, true], ['http://ex%61mple.com', true, true],
  ['example.com', false, false], ['http://', false, false], ['https://exa mple.com', false, false],
  ['http://host:99999', false, false], ['http://[::1', false, false], ['redis://h:abc', false, false], ['', false, false],
  // What the WHATWG parser repairs or takes without a host: a setting meant as a URL with a host is none of these.
  ['http:/x', false, true], ['http:example.com', false, true], ['mailto:x@y', false, true], ['foo:bar', false, true],
  ['file:///etc/passwd', false, true], ['x://', false, true], ['http://exa\tmple.com', false, true],
  ['postgresql:///db?host=/tmp', false, true],
];

const TABLES = { boolean: BOOLEAN_VERDICTS, integer: INTEGER_VERDICTS, duration: DURATION_VERDICTS, url: URL_VERDICTS } as const;

describe('each type accepts what the app parses', () => {
  test.each(Object.keys(TABLES) as (keyof typeof TABLES)[])('%s values as the table says', (type) => {
    const declaration = { type, description: 'd' } as SettingDeclaration;
    const verdicts = TABLES[type].map(([text]) => [text, configProblems(declaration, text).length === 0]);
    expect(verdicts).toEqual(TABLES[type].map(([text, accepted]) => [text, accepted]));
  });

  test('no value is accepted that pydantic refuses', () => {
    for (const table of Object.values(TABLES)) {
      expect(table.filter(([, here, pydantic]) => here && !pydantic)).toEqual([]);
    }
  });

  test('an integer range includes its bounds and compares the number, not the text', () => {
    const declaration: SettingDeclaration = { type: 'integer', min: 1, max: 1000, description: 'd' };
    const accepted = (text: string) => configProblems(declaration, text).length === 0;
    expect(['1', '1000', '+1000', '0001000', '500'].filter(accepted)).toEqual(['1', '1000', '+1000', '0001000', '500']);
    expect(['0', '-0', '1001', '-5', '9999999999999999999999'].filter(accepted)).toEqual([]);
    expect(configProblems({ type: 'integer', min: 0, description: 'd' }, '-0')).toEqual([]);
    expect(configProblems({ type: 'integer', max: 10, description: 'd' }, '11'))
      .toEqual(['env/staging.env:3: KEY: "11" is not an integer of at most 10']);
    expect(configProblems({ type: 'integer', min: 10, description: 'd' }, '9'))
      .toEqual(['env/staging.env:3: KEY: "9" is not an integer of at least 10']);
  });

  test('an enum is one of its values exactly, case and all', () => {
    const declaration: SettingDeclaration = { type: 'enum', values: ['debug', 'info', 'warning', 'error'], description: 'd' };
    expect(['debug', 'info', 'warning', 'error'].flatMap((text) => configProblems(declaration, text))).toEqual([]);
    expect(configProblems(declaration, 'verbose')).toEqual(['env/staging.env:3: KEY: "verbose" is not one of debug, info, warning, error']);
    expect(configProblems(declaration, 'INFO')).toEqual(['env/staging.env:3: KEY: "INFO" is not one of debug, info, warning, error']);
    expect(configProblems(declaration, '')).toEqual(['env/staging.env:3: KEY: "" is not one of debug, info, warning, error']);
  });

  test('a URL may be held to its schemes, in any case', () => {
    const declaration: SettingDeclaration = { type: 'url', schemes: ['redis', 'rediss'], description: 'd' };
    expect(['redis://:pw@redis:6379/0', 'rediss://cache.internal:6380', 'REDIS://h'].flatMap((text) => configProblems(declaration, text))).toEqual([]);
    expect(configProblems(declaration, 'http://redis:6379')).toEqual(['env/staging.env:3: KEY: "http://redis:6379" is not a URL with the scheme redis or rediss']);
    expect(configProblems(declaration, 'redis//redis:6379')).toEqual(['env/staging.env:3: KEY: "redis//redis:6379" is not a URL']);
  });

  test('a string pattern must match the whole value', () => {
    const declaration: SettingDeclaration = { type: 'string', pattern: '[a-z]+(-[a-z]+)*', description: 'd' };
    expect(configProblems(declaration, 'eu-west')).toEqual([]);
    expect(configProblems(declaration, 'eu-west-1')).toEqual(['env/staging.env:3: KEY: "eu-west-1" does not match ^(?:[a-z]+(-[a-z]+)*)$']);
    expect(configProblems({ type: 'string', description: 'd' }, 'anything at all')).toEqual([]);
    // Unicode-aware, as ajv compiles JSON Schema patterns.
    expect(configProblems({ type: 'string', pattern: '\\p{Lu}+', description: 'd' }, 'ÉTÉ')).toEqual([]);
  });
});

describe('messages', () => {
  test('a value that does not fit names the file, line and key, and shows the value', () => {
    const schema: SettingsSchema = {
      MAX_CONNECTIONS: { type: 'integer', min: 1, max: 1000, description: 'd' },
      ENABLE_METRICS: { type: 'boolean', description: 'd' },
      LOG_LEVEL: { type: 'enum', values: ['debug', 'info', 'warning', 'error'], description: 'd' },
      REQUEST_TIMEOUT: { type: 'duration', description: 'd' },
    };
    expect(settingProblems(schema, staging([
      value('ENABLE_METRICS', 'ture', 'defaults', 'env/defaults.env:5'),
      value('LOG_LEVEL', 'verbose', 'environment', 'env/staging.env:2'),
      value('MAX_CONNECTIONS', '1OO', 'environment', 'env/staging.env:3'),
      value('REQUEST_TIMEOUT', '30s', 'defaults', 'env/defaults.env:7'),
    ]))).toEqual([
      'env/defaults.env:5: ENABLE_METRICS: "ture" is not a boolean (true or false; also 1/0, yes/no, on/off, t/f, y/n)',
      'env/staging.env:2: LOG_LEVEL: "verbose" is not one of debug, info, warning, error',
      'env/staging.env:3: MAX_CONNECTIONS: "1OO" is not an integer',
      'env/defaults.env:7: REQUEST_TIMEOUT: "30s" is not an ISO 8601 duration (such as PT30S, PT5M, PT1H30M, P1D)',
    ]);
  });

  test("a secret's message names where it was written, never its value", () => {
    const schema: SettingsSchema = {
      DATABASE_URL: { type: 'url', secret: true, description: 'd' },
      REDIS_URL: { type: 'url', schemes: ['redis'], secret: true, description: 'd' },
      POOL_SIZE: { type: 'integer', min: 1, max: 10, secret: true, description: 'd' },
    };
    expect(settingProblems(schema, staging([], [
      value('DATABASE_URL', 'fake-not-a-url', 'secrets', 'env/staging.secrets.env:2'),
      value('POOL_SIZE', '11', 'secrets', 'env/staging.secrets.env:4'),
      value('REDIS_URL', 'http://fake-host', 'process-env', '$REDIS_URL'),
    ]))).toEqual([
      'env/staging.secrets.env:2: DATABASE_URL: not a URL',
      'env/staging.secrets.env:4: POOL_SIZE: not an integer from 1 to 10',
      '$REDIS_URL: not a URL with the scheme redis',
    ]);
  });

  test('a required key that no layer sets names the file it belongs in', () => {
    const schema: SettingsSchema = {
      LOG_LEVEL: { type: 'enum', values: ['info'], required: true, description: 'd' },
      TRACING: { type: 'boolean', description: 'd' },
      DATABASE_PASSWORD: { type: 'string', secret: true, description: 'd' },
      OPTIONAL_TOKEN: { type: 'string', secret: true, required: false, description: 'd' },
    };
    expect(settingProblems(schema, staging([]))).toEqual([
      'staging: LOG_LEVEL: a required setting, missing: set it in env/defaults.env or env/staging.env',
      'staging: DATABASE_PASSWORD: a required secret, missing: list it in env/staging.secrets.env.example and set it in env/staging.secrets.env',
    ]);
  });

  test('a required key set to the empty string is reported empty; an optional one is checked as any value', () => {
    const schema: SettingsSchema = {
      API_KEY: { type: 'string', secret: true, description: 'd' },
      LABEL: { type: 'string', description: 'd' },
      WORKERS: { type: 'integer', description: 'd' },
    };
    expect(settingProblems(schema, staging(
      [value('LABEL', '', 'defaults', 'env/defaults.env:1'), value('WORKERS', '', 'defaults', 'env/defaults.env:2')],
      [value('API_KEY', '', 'secrets', 'env/staging.secrets.env:1')],
    ))).toEqual([
      'env/defaults.env:2: WORKERS: "" is not an integer',
      'env/staging.secrets.env:1: API_KEY: a required setting, empty',
    ]);
  });

  test('a key in the wrong layer is told where to go, and a secret in a ConfigMap layer is not shown', () => {
    const schema: SettingsSchema = {
      OPENAI_API_KEY: { type: 'string', pattern: 'sk-.*', secret: true, description: 'd' },
      LOG_LEVEL: { type: 'enum', values: ['info'], description: 'd' },
    };
    expect(settingProblems(schema, staging(
      [value('OPENAI_API_KEY', 'fake-key-in-config', 'defaults', 'env/defaults.env:4')],
      [value('LOG_LEVEL', 'fake-level', 'secrets', 'env/staging.secrets.env:3')],
    ))).toEqual([
      'env/defaults.env:4: OPENAI_API_KEY: declared a secret: move it to env/staging.secrets.env (and list it in env/staging.secrets.env.example)',
      'env/defaults.env:4: OPENAI_API_KEY: does not match ^(?:sk-.*)$',
      'env/staging.secrets.env:3: LOG_LEVEL: declared not secret: move it to env/defaults.env or env/staging.env (and off env/staging.secrets.env.example)',
      'env/staging.secrets.env:3: LOG_LEVEL: not one of info',
    ]);
  });

  test('a key the settings do not declare is a typo until declared; the closest declared key is suggested', () => {
    const schema: SettingsSchema = { MAX_CONNECTIONS: { type: 'integer', description: 'd' } };
    expect(settingProblems(schema, staging(
      [value('MAX_CONECTIONS', '5', 'environment', 'env/staging.env:2'), value('MAX_CONNECTIONS', '5', 'defaults', 'env/defaults.env:1')],
      [value('UNRELATED', 'fake', 'process-env', '$UNRELATED')],
    ))).toEqual([
      'env/staging.env:2: MAX_CONECTIONS: not declared in the settings (did you mean MAX_CONNECTIONS?): declare it, or fix or remove the line',
      '$UNRELATED: not declared in the settings: declare it, or fix or remove the line',
    ]);
  });

  test('synth-only keys are never app settings: not reported undeclared, and not to be declared', () => {
    const schema: SettingsSchema = { LOG_LEVEL: { type: 'string', description: 'd' } };
    const layers = staging([], [value('TASK_API_HASH_KEY', 'fake-hash-key', 'secrets', 'env/staging.secrets.env:9')], {
      secretKeysWithoutValues: ['GITHUB_TOKEN'],
    });
    expect(settingProblems(schema, layers, SYNTH_ONLY_KEYS)).toEqual([]);
    expect(settingProblems({ ...schema, TASK_API_HASH_KEY: { type: 'string', secret: true, description: 'd' } }, layers, SYNTH_ONLY_KEYS))
      .toEqual(['settings.TASK_API_HASH_KEY: synth reads this key itself and never gives it to the containers: remove its declaration']);
  });

  test('secret keys without values (external backend, plan without secrets) are checked for presence and layer only', () => {
    const schema: SettingsSchema = {
      DATABASE_URL: { type: 'url', secret: true, description: 'd' },
      WEBHOOK_SECRET: { type: 'string', secret: true, description: 'd' },
      LOG_LEVEL: { type: 'string', description: 'd' },
    };
    expect(settingProblems(schema, staging([value('LOG_LEVEL', 'info', 'defaults', 'env/defaults.env:1')], [], {
      secretKeysWithoutValues: ['DATABASE_URL', 'WEBHOK_SECRET', 'LOG_LEVEL'],
    }))).toEqual([
      'staging: WEBHOK_SECRET: env/staging.secrets.env.example lists it, the settings do not declare it (did you mean WEBHOOK_SECRET?): declare it, or fix or remove it',
      'staging: LOG_LEVEL: declared not secret: move it to env/defaults.env or env/staging.env (and off env/staging.secrets.env.example)',
      'staging: WEBHOOK_SECRET: a required secret, missing: list it in env/staging.secrets.env.example and set it in env/staging.secrets.env',
    ]);
  });

  test('no secret value ever appears in a message', () => {
    // Every value holds the canary (a valid host name and path segment, so URLs with it still
    // parse), whatever fails or passes; no message may repeat it.
    const canary = 'zq7canaryx';
    const declaration: fc.Arbitrary<SettingDeclaration> = fc.oneof(
      fc.constant<SettingDeclaration>({ type: 'string', description: 'd' }),
      fc.constantFrom('[a-z0-9]+', 'sk-.*', '[0-9]+').map<SettingDeclaration>((pattern) => ({ type: 'string', pattern, description: 'd' })),
      fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: 5, max: 2000 })).map<SettingDeclaration>(([min, max]) => ({ type: 'integer', min, max, description: 'd' })),
      fc.constant<SettingDeclaration>({ type: 'integer', description: 'd' }),
      fc.constant<SettingDeclaration>({ type: 'boolean', description: 'd' }),
      fc.constant<SettingDeclaration>({ type: 'enum', values: ['debug', 'info'], description: 'd' }),
      fc.constantFrom(undefined, ['https'], ['redis', 'rediss']).map<SettingDeclaration>((schemes) => ({ type: 'url', schemes, description: 'd' })),
      fc.constant<SettingDeclaration>({ type: 'duration', description: 'd' }),
    ).chain((d) => fc.record({ required: fc.boolean(), secret: fc.boolean() }).map((flags) => ({ ...d, ...flags })));
    const text = fc.oneof(
      fc.string({ maxLength: 12 }).map((s) => `${s}${canary}`),
      fc.string({ maxLength: 12 }).map((s) => `${canary}${s}`),
      fc.integer().map((n) => `${n}${canary}`),
      fc.constantFrom('https', 'http', 'redis', 'ftp').map((scheme) => `${scheme}://${canary}.example:6379/0`),
      fc.constant(`https://user:${canary}@host.example`),
      fc.constant(`PT1H${canary}`),
      fc.constant(`sk-${canary}`),
    );
    const secretValue = fc.record({
      text,
      layer: fc.constantFrom<Source['layer']>('secrets', 'process-env', 'defaults', 'environment'),
    });
    fc.assert(fc.property(declaration, secretValue, fc.boolean(), (d, { text: secret, layer }, declared) => {
      // A value from the secrets layer, or one declared secret wherever it is, is a secret.
      fc.pre(d.secret === true || layer === 'secrets' || layer === 'process-env');
      const at = layer === 'process-env' ? '$KEY' : `env/${layer === 'secrets' ? 'staging.secrets.env' : 'staging.env'}:2`;
      const v = value('KEY', secret, layer, at);
      const inSecrets = layer === 'secrets' || layer === 'process-env';
      const messages = settingProblems(declared ? { KEY: d } : { OTHER: d }, staging(inSecrets ? [] : [v], inSecrets ? [v] : []));
      return messages.every((message) => !message.includes(canary) && !message.includes(secret));
    }), { numRuns: 300 });
  });

  test('the canary of the property above does show for a setting that is not secret', () => {
    expect(configProblems({ type: 'integer', description: 'd' }, '1zq7canaryx')).toEqual(['env/staging.env:3: KEY: "1zq7canaryx" is not an integer']);
  });
});

describe('the declarations themselves', () => {
  test('a well-formed schema has no problems', () => {
    expect(settingsSchemaProblems(TASK_API_SETTINGS)).toEqual([]);
  });

  test('each mistake is named with its key', () => {
    const schema = {
      BAD_PATTERN: { type: 'string', pattern: '([a-z]', description: 'd' },
      EMPTY_ENUM: { type: 'enum', values: [], description: 'd' },
      TWICE: { type: 'enum', values: ['a', 'b', 'a'], description: 'd' },
      RANGE: { type: 'integer', min: 10, max: 5, description: 'd' },
      FRACTION: { type: 'integer', max: 1.5, description: 'd' },
      FLOAT: { type: 'float', description: 'd' },
      NO_DESCRIPTION: { type: 'boolean' },
      TWO_LINES: { type: 'boolean', description: 'one\ntwo' },
      WRONG_FIELD: { type: 'boolean', values: ['x'], description: 'd' },
      SCHEME: { type: 'url', schemes: ['HTTP'], description: 'd' },
      'BAD KEY': { type: 'string', description: 'd' },
      FLAG: { type: 'string', required: 'yes', description: 'd' },
    } as unknown as SettingsSchema;
    expect(settingsSchemaProblems(schema)).toEqual([
      expect.stringMatching(/^settings\.BAD_PATTERN: the pattern does not compile: /),
      'settings.EMPTY_ENUM: values must be a non-empty list of strings',
      'settings.TWICE: values lists "a" more than once',
      'settings.RANGE: min (10) is greater than max (5): no value fits',
      'settings.FRACTION: max must be a safe integer',
      'settings.FLOAT: unknown type "float": expected one of string, integer, boolean, enum, url, duration',
      'settings.NO_DESCRIPTION: the description must be one line of text',
      'settings.TWO_LINES: the description must be one line of text',
      'settings.WRONG_FIELD: values is not a field of a boolean setting (it has description, required, secret)',
      'settings.SCHEME: schemes must be a non-empty list of lower-case URL schemes (such as http, https)',
      'settings.BAD KEY: not a possible ConfigMap or Secret key',
      'settings.FLAG: required must be true or false',
    ]);
  });

  test('with a wrong declaration, settingProblems reports the declarations and checks no value', () => {
    const schema = { RANGE: { type: 'integer', min: 10, max: 5, description: 'd' } } as SettingsSchema;
    expect(settingProblems(schema, staging([value('RANGE', 'x', 'defaults', 'env/defaults.env:1')])))
      .toEqual(['settings.RANGE: min (10) is greater than max (5): no value fits']);
  });
});

describe('describeSetting', () => {
  test('gives the type, whether it is required and the description, for explain', () => {
    expect(Object.fromEntries(Object.entries(TASK_API_SETTINGS).map(([key, d]) => [key, describeSetting(d)]))).toEqual({
      API_BASE_URL: 'URL (http or https) · required · Base URL the API is served at',
      ENABLE_METRICS: 'boolean · required · Whether the app exports metrics',
      LOG_LEVEL: 'one of debug, info, warning, error, critical · required · Least severe log level written (Python logging level names, lower case)',
      MAX_CONNECTIONS: 'integer 1–1000 · required · Most connections the app holds open at once',
      NODE_ENV: 'one of development, production, test · required · Runtime mode: development or production behaviour',
      REQUEST_TIMEOUT_MS: 'integer 1–600000 · required · How long a request may take, in milliseconds',
      DATABASE_PASSWORD: 'string · required · Password of the database user',
      OPENAI_API_KEY: 'string · required · API key for the OpenAI API',
      REDIS_URL: 'URL (redis or rediss) · required · Redis connection URL, credentials included',
      WEBHOOK_SECRET: 'string · required · Shared secret that signs webhook payloads',
    });
    expect([
      describeSetting({ type: 'integer', min: 1, description: 'x' }),
      describeSetting({ type: 'integer', max: 9, description: 'x' }),
      describeSetting({ type: 'integer', description: 'x' }),
      describeSetting({ type: 'string', pattern: '[a-z]+', description: 'x' }),
      describeSetting({ type: 'duration', description: 'x' }),
      describeSetting({ type: 'url', description: 'x' }),
      describeSetting({ type: 'string', secret: true, required: false, description: 'x' }),
    ]).toEqual([
      'integer ≥ 1 · x', 'integer ≤ 9 · x', 'integer · x', 'string matching ^(?:[a-z]+)$ · x',
      'duration (ISO 8601, such as PT30S) · x', 'URL · x', 'string · x',
    ]);
  });
});

describe("the Task API's declarations", () => {
  const envDir = join(__dirname, '..', 'env');
  const environments = readdirSync(envDir).filter((f) => /^[a-z]+\.env$/.test(f) && f !== 'defaults.env').map((f) => f.replace(/\.env$/, '')).sort();

  test('cover the committed environments', () => {
    expect(environments).toEqual(['dev', 'production', 'staging']);
  });

  test.each(environments)('accept the committed env files of %s (secret values where committed, else the .example keys)', (environment) => {
    const paths = { defaultsFile: join(envDir, 'defaults.env'), environmentFile: join(envDir, `${environment}.env`), secretsFile: join(envDir, `${environment}.secrets.env`) };
    // dev's secrets file is committed (fake values): its values are checked. The others have only
    // an .example, whose keys the external backend's path reads without values.
    const withValues = environment === 'dev';
    const layers = resolveLayers(readLayerInputs(envDir, environment, { requireRegistryCredentials: false, secretsInCluster: !withValues, synthKeys: taskApi.synthKeys }), {});
    expect(withValues ? layers.secrets.map((v) => v.key) : layers.externalSecretKeys).toEqual(['DATABASE_PASSWORD', 'OPENAI_API_KEY', 'REDIS_URL', 'WEBHOOK_SECRET']);
    expect(settingProblems(TASK_API_SETTINGS, {
      environment, config: layers.config, secrets: layers.secrets, secretKeysWithoutValues: layers.externalSecretKeys, ...paths,
    }, SYNTH_ONLY_KEYS)).toEqual([]);
  });

  test('refuse the issue\'s typos in them', () => {
    const layers = resolveLayers(readLayerInputs(envDir, 'dev', { requireRegistryCredentials: false, synthKeys: taskApi.synthKeys }), {});
    const typo: Record<string, string> = { MAX_CONNECTIONS: '1OO', ENABLE_METRICS: 'ture', LOG_LEVEL: 'verbose' };
    const config = layers.config.map((v) => (typo[v.key] ? { ...v, value: typo[v.key] } : v));
    expect(settingProblems(TASK_API_SETTINGS, {
      environment: 'dev', config, secrets: layers.secrets, defaultsFile: 'env/defaults.env', environmentFile: 'env/dev.env', secretsFile: 'env/dev.secrets.env',
    }, SYNTH_ONLY_KEYS).map((m) => m.replace(envDir, 'env'))).toEqual([
      'env/defaults.env:5: ENABLE_METRICS: "ture" is not a boolean (true or false; also 1/0, yes/no, on/off, t/f, y/n)',
      'env/dev.env:2: LOG_LEVEL: "verbose" is not one of debug, info, warning, error, critical',
      'env/defaults.env:6: MAX_CONNECTIONS: "1OO" is not an integer',
    ]);
  });
});

// The tables' pydantic column, asked of pydantic itself. CI's clean machine may lack pydantic 2
// (Debian's python3-pydantic is 1.x, whose parsing differs): the tables above are then what
// runs, as written out from pydantic 2.13.4.
const PYDANTIC_SCRIPT = `
import json, sys
from datetime import timedelta
import pydantic
from pydantic import AnyUrl, TypeAdapter
adapters = {'boolean': TypeAdapter(bool), 'integer': TypeAdapter(int), 'duration': TypeAdapter(timedelta), 'url': TypeAdapter(AnyUrl)}
def accepts(kind, value):
    try:
        adapters[kind].validate_python(value)
        return True
    except pydantic.ValidationError:
        return False
cases = json.load(sys.stdin)
json.dump({'version': pydantic.VERSION, 'verdicts': [accepts(kind, value) for kind, value in cases]}, sys.stdout)
`;

const pydantic2 = spawnSync('python3', ['-c', 'import sys, pydantic; sys.exit(0 if pydantic.VERSION.startswith("2.") else 1)']).status === 0;
(pydantic2 ? test : test.skip)(
  `the pydantic column is what pydantic 2 answers${pydantic2 ? '' : ' (skipped: python3 has no pydantic 2 here; the tables were taken from pydantic 2.13.4)'}`,
  () => {
    const cases = Object.entries(TABLES).flatMap(([kind, table]) => table.map(([text]) => [kind, text]));
    const result = spawnSync('python3', ['-c', PYDANTIC_SCRIPT], { input: JSON.stringify(cases), encoding: 'utf8' });
    expect(result.status).toBe(0);
    const { verdicts } = JSON.parse(result.stdout) as { verdicts: boolean[] };
    const asked = cases.map(([kind, text], i) => [kind, text, verdicts[i]]);
    expect(asked).toEqual(Object.entries(TABLES).flatMap(([kind, table]) => table.map(([text, , pydantic]) => [kind, text, pydantic])));
  },
);
