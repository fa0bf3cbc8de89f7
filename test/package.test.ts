import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { builtinModules } from 'module';
import { tmpdir } from 'os';
import { join } from 'path';

// What `npm pack` would put in the tarball, and whether that alone runs. Reads build/package/,
// which `npm test` builds first (scripts/build-package.cjs); --ignore-scripts keeps prepack from
// rebuilding it here. No network: the dependencies come from this repository's node_modules.
const ROOT = join(__dirname, '..');
const PACKAGE_JSON = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

function npm(args: string[], cwd = ROOT): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'build', 'package', 'index.js'))) throw new Error('build/package/ is missing: run node scripts/build-package.cjs (npm test does)');
});

describe('npm pack', () => {
  let files: string[];
  beforeAll(() => {
    const [pack] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts']));
    files = pack.files.map((file: { path: string }) => file.path);
  });

  test('holds the compiled library with its types and the bundled schema validators', () => {
    expect(files).toEqual(expect.arrayContaining([
      'package.json',
      'README.md',
      'build/package/index.js',
      'build/package/index.d.ts',
      'build/package/synth/validate.js',
      'build/package/synth/crd-models.js',
      'build/package/synth/schema-models.js',
    ]));
  });

  test('holds nothing else: no sources, tests, env files, synth output or scripts', () => {
    const outside = files.filter((file) => !file.startsWith('build/package/') && !['package.json', 'README.md', 'LICENSE'].includes(file));
    expect(outside).toEqual([]);
    const unexpected = files.filter((file) => /(^|\/)(test|env|dist|scripts|bench|examples|deploy|docs|bin|\.ci|\.github)\//.test(file)
      || /\.secrets\.env/.test(file) || /\.env$/.test(file) || (file.endsWith('.ts') && !file.endsWith('.d.ts')) || file.endsWith('.tsbuildinfo'));
    expect(unexpected).toEqual([]);
  });

  test('every compiled module has its .d.ts, except the bundles nothing imports the types of', () => {
    const modules = files.filter((file) => file.endsWith('.js')).map((file) => file.replace(/\.js$/, ''));
    const untyped = modules.filter((module) => !files.includes(`${module}.d.ts`));
    expect(untyped).toEqual(['build/package/synth/crd-models', 'build/package/synth/schema-models']);
  });
});

describe('package.json', () => {
  test('is installable: not private, its entry and types in the exports map, nothing else exported', () => {
    expect(PACKAGE_JSON.private).toBeUndefined();
    expect(PACKAGE_JSON.main).toBe('build/package/index.js');
    expect(PACKAGE_JSON.types).toBe('build/package/index.d.ts');
    expect(PACKAGE_JSON.exports).toEqual({
      '.': { types: './build/package/index.d.ts', default: './build/package/index.js' },
      './package.json': './package.json',
    });
  });

  test('takes cdk8s, cdk8s-plus-27 and constructs from the consumer, at the versions this repository tests with', () => {
    const peers = ['cdk8s', 'cdk8s-plus-27', 'constructs'];
    expect(Object.keys(PACKAGE_JSON.peerDependencies).sort()).toEqual(peers);
    for (const name of peers) {
      expect(PACKAGE_JSON.dependencies[name]).toBeUndefined();
      expect(PACKAGE_JSON.devDependencies[name]).toBe(PACKAGE_JSON.peerDependencies[name]);
    }
  });

  test('needs at run time only what it lists as dependencies (the ES-module-only CRD models are bundled)', () => {
    expect(PACKAGE_JSON.dependencies['@kubernetes-models/sealed-secrets']).toBeUndefined();
    expect(PACKAGE_JSON.dependencies['@kubernetes-models/external-secrets']).toBeUndefined();
    const bare = new Set<string>();
    for (const file of listJs(join(ROOT, 'build', 'package'))) {
      if (/synth\/(crd|schema)-models\.js$/.test(file)) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) bare.add(m[1].startsWith('@') ? m[1].split('/').slice(0, 2).join('/') : m[1].split('/')[0]);
    }
    const builtins = new Set(builtinModules);
    const external = [...bare].filter((name) => !builtins.has(name)).sort();
    expect(external.filter((name) => !(name in PACKAGE_JSON.dependencies) && !(name in PACKAGE_JSON.peerDependencies))).toEqual([]);
  });
});

describe('the packed library', () => {
  let consumer: string;
  beforeAll(() => {
    consumer = mkdtempSync(join(tmpdir(), 'package-test-'));
    const [pack] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', consumer]));
    const installed = join(consumer, 'node_modules', PACKAGE_JSON.name);
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', join(consumer, pack.filename), '-C', installed, '--strip-components=1']);
  });
  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  /** Runs Node in the consumer's folder: the tarball's files, and the dependencies through NODE_PATH. */
  function nodeInConsumer(script: string): string {
    return execFileSync(process.execPath, ['-e', script], {
      cwd: consumer,
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
    });
  }

  test('loads in plain Node, by its name, from the tarball alone', () => {
    const exported = JSON.parse(nodeInConsumer(`console.log(JSON.stringify(Object.keys(require(${JSON.stringify(PACKAGE_JSON.name)}))))`));
    expect(exported).toEqual(expect.arrayContaining(['LayeredConfig', 'RegistryPullSecret', 'synthEnvironments']));
  });

  test('loads the CRD models with require(), which the ES-module-only packages alone cannot do on Node 20', () => {
    const script = `const { dirname } = require('path');
      const m = require(dirname(require.resolve(${JSON.stringify(PACKAGE_JSON.name)})) + '/synth/crd-models.js');
      console.log(typeof m.SealedSecret, typeof m.ExternalSecret)`;
    expect(nodeInConsumer(script).trim()).toBe('function function');
  });

  test('exports nothing but its entry', () => {
    const script = `try { require(${JSON.stringify(`${PACKAGE_JSON.name}/build/package/synth/validate.js`)}) } catch (e) { console.log(e.code) }`;
    expect(nodeInConsumer(script).trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});

function listJs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name)).filter((path) => path.endsWith('.js'));
}
