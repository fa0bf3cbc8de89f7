import { execFileSync, spawnSync } from 'child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { load } from 'js-yaml';
import { tmpdir } from 'os';
import { join } from 'path';

// The proof that the library is installable (issue 17): `npm pack`, a fresh folder outside the
// repository with its own package.json, the tarball and the peers installed from the npm registry,
// two apps compiled by tsc against the packed .d.ts (no skipLibCheck), then synthesized, planned
// and explained by plain Node: the README's example as written, and test/fixtures/consumer/ (a web
// Deployment, a worker, a CronJob, images on two registries with their own credentials).

const ROOT = join(__dirname, '..');
const PACKAGE_JSON = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const TSCONFIG = { compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, types: ['node'], outDir: 'out' }, files: ['main.ts'] };

let folder: string;

function run(command: string, args: readonly string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Compiles `<app>/main.ts` with the consumer's own tsc. */
function compile(app: string): void {
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  const tsc = spawnSync(process.execPath, [join(folder, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: app, encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}

/** `node out/main.js <args>` in `app`, with nothing but PATH and `env`. */
function program(app: string, args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['out/main.js', ...args], { cwd: app, env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The objects of dist/<environment>/, read by js-yaml (not the library's own reader). */
function objectsIn(app: string, environment = 'dev'): any[] {
  const dir = join(app, 'dist', environment);
  return readdirSync(dir).sort().map((file) => load(readFileSync(join(dir, file), 'utf8')) as any);
}

function find(objects: readonly any[], kind: string, name: string): any {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

function auths(secret: any): Record<string, any> {
  return JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString('utf8')).auths;
}

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'consumer-'));
  const [pack] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', folder], ROOT));
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const peers = Object.entries(PACKAGE_JSON.peerDependencies).map(([name, range]) => `${name}@${range}`);
  const tools = ['typescript', '@types/node'].map((name) => `${name}@${PACKAGE_JSON.devDependencies[name]}`);
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${pack.filename}`, ...peers, ...tools], folder);
}, 300_000);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('a consumer of the packed library', () => {
  test('the README example works as written: tsc compiles it, synth writes the app with its pull secret', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /<!-- example: main\.ts -->\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const app = join(folder, 'readme');
    mkdirSync(join(app, 'env'), { recursive: true });
    // The env files the README names beside the example.
    writeFileSync(join(app, 'env', 'defaults.env'), 'LOG_LEVEL=info\n');
    writeFileSync(join(app, 'env', 'dev.env'), 'LOG_LEVEL=debug\n');
    writeFileSync(join(app, 'env', 'dev.secrets.env.example'), 'DATABASE_URL=\n');
    writeFileSync(join(app, 'env', 'dev.secrets.env'), 'DATABASE_URL=postgresql://billing:fake-password@db/billing\nBILLING_API_HASH_KEY=fake-dev-hash-key\n');
    writeFileSync(join(app, 'main.ts'), example!);
    compile(app);
    const synth = program(app, ['synth'], { GITHUB_USERNAME: 'fake-user', GITHUB_TOKEN: 'fake-token' });
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    const objects = objectsIn(app);
    const deployment = find(objects, 'Deployment', 'billing-api');
    expect(deployment.metadata.namespace).toBe('billing-dev');
    expect(deployment.spec.template.spec.containers[0].image).toBe('ghcr.io/example-org/billing-api:1.0.0');
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'billing-api-registry' }]);
    expect(auths(find(objects, 'Secret', 'billing-api-registry'))['ghcr.io'].username).toBe('fake-user');
  });

  describe('a web service, a worker and a CronJob, images on two registries', () => {
    let app: string;
    beforeAll(() => {
      app = join(folder, 'shop');
      cpSync(join(ROOT, 'test', 'fixtures', 'consumer'), app, { recursive: true });
      compile(app);
    });

    test('synth writes every workload, each registry\'s pull secret with its own credentials, and the hashes', () => {
      const synth = program(app, ['synth']);
      expect(synth.stderr).toBe('');
      expect(synth.status).toBe(0);
      expect(synth.stdout).toContain('  image     ghcr.io/example-org/shop-web:1.0.0  from the project definition\n');
      const objects = objectsIn(app);
      const web = find(objects, 'Deployment', 'shop-web');
      const worker = find(objects, 'Deployment', 'shop-worker');
      const cleanup = find(objects, 'CronJob', 'shop-cleanup');
      expect(web.spec.template.spec.imagePullSecrets).toEqual([{ name: 'shop-web-registry' }]);
      expect(worker.spec.template.spec.imagePullSecrets).toEqual([{ name: 'shop-worker-registry' }]);
      expect(worker.spec.template.spec.containers[0].image).toBe('registry.example.com/shop/worker:2.0.0');
      expect(auths(find(objects, 'Secret', 'shop-web-registry'))).toEqual({ 'ghcr.io': expect.objectContaining({ username: 'fake-ghcr-user', password: 'fake-ghcr-token' }) });
      expect(auths(find(objects, 'Secret', 'shop-worker-registry'))).toEqual({ 'registry.example.com': expect.objectContaining({ username: 'fake-example-user', password: 'fake-example-token' }) });
      // One configuration, read by all three, and its hash on all three pod templates.
      const cronPod = cleanup.spec.jobTemplate.spec.template;
      const envFrom = web.spec.template.spec.containers[0].envFrom;
      expect(envFrom.map((source: any) => Object.keys(source)[0])).toEqual(['configMapRef', 'secretRef']);
      expect(worker.spec.template.spec.containers[0].envFrom).toEqual(envFrom);
      expect(cronPod.spec.containers[0].envFrom).toEqual(envFrom);
      const hash = web.spec.template.metadata.annotations['checksum/config'];
      expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(worker.spec.template.metadata.annotations['checksum/config']).toBe(hash);
      expect(cronPod.metadata.annotations['checksum/config']).toBe(hash);
      const configMap = find(objects, 'ConfigMap', envFrom[0].configMapRef.name);
      expect(configMap.data).toEqual({ LOG_LEVEL: 'debug', MAX_CONNECTIONS: '100' });
      expect(Buffer.from(find(objects, 'Secret', envFrom[1].secretRef.name).data.DATABASE_URL, 'base64').toString()).toBe('postgresql://shop:fake-dev-password@db:5432/shop');
      expect(cronPod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(synth.stdout).not.toMatch(/fake-(ghcr|example|dev)/);
    });

    test('the image comes from SHOP_IMAGE (a tag alone, or a full reference); an invalid one stops synth naming it', () => {
      const tagged = program(app, ['synth'], { SHOP_IMAGE: ':1.1.0' });
      expect(tagged.status).toBe(0);
      expect(tagged.stdout).toContain('  image     ghcr.io/example-org/shop-web:1.1.0  from $SHOP_IMAGE\n');
      expect(find(objectsIn(app), 'CronJob', 'shop-cleanup').spec.jobTemplate.spec.template.spec.containers[0].image).toBe('ghcr.io/example-org/shop-web:1.1.0');
      const digest = `ghcr.io/example-org/shop-web@sha256:${'a'.repeat(64)}`;
      expect(program(app, ['synth'], { SHOP_IMAGE: digest }).status).toBe(0);
      expect(find(objectsIn(app), 'Deployment', 'shop-web').spec.template.spec.containers[0].image).toBe(digest);
      const before = readdirSync(join(app, 'dist', 'dev'));
      const invalid = program(app, ['synth'], { SHOP_IMAGE: 'ghcr.io/Example/shop:1' });
      expect(invalid.status).toBe(1);
      expect(invalid.stderr).toBe('synth failed: SHOP_IMAGE: "ghcr.io/Example/shop:1" is not an image reference: repository must be lowercase\n');
      expect(readdirSync(join(app, 'dist', 'dev'))).toEqual(before);
    });

    test('plan reads the same definition: no changes after synth, the CronJob and the config change after an edit', () => {
      expect(program(app, ['synth']).status).toBe(0);
      const clean = program(app, ['plan']);
      expect(clean.stderr).toBe('');
      expect(clean.stdout).toBe('dev: image ghcr.io/example-org/shop-web:1.0.0 (from the project definition)\ndev: no changes (dist/dev/ matches a fresh synthesis)\n');
      expect(clean.status).toBe(0);
      appendFileSync(join(app, 'env', 'dev.env'), 'MAX_CONNECTIONS=5\n');
      try {
        const changed = program(app, ['plan']);
        expect(changed.status).toBe(1);
        expect(changed.stdout).toMatch(/^ {2}\+ ConfigMap shop-web-config-[a-z0-9]{10}: new version of shop-web-config-[a-z0-9]{10}$/m);
        expect(changed.stdout).toMatch(/^ {6}data: changed MAX_CONNECTIONS "100" → "5"$/m);
        expect(changed.stdout).toMatch(/^ {2}~ CronJob shop-cleanup$/m);
        expect(changed.stdout).toMatch(/^ {2}Deployment shop-worker will roll: its pod template changes$/m);
        expect(changed.stdout).not.toContain('would be pruned');
      } finally {
        writeFileSync(join(app, 'env', 'dev.env'), 'LOG_LEVEL=debug\n');
      }
    });

    test('explain shows every workload\'s container, each variable traced to its env file line', () => {
      const explain = program(app, ['explain']);
      expect(explain.stderr).toBe('');
      expect(explain.status).toBe(0);
      for (const container of ['Deployment shop-web, container shop-web', 'Deployment shop-worker, container worker']) {
        expect(explain.stdout).toContain(`dev: ${container} (namespace shop-dev)`);
      }
      expect(explain.stdout).toMatch(/^LOG_LEVEL=debug {2}# env\/dev\.env:1 \(environment\) via ConfigMap shop-web-config-[a-z0-9]{10}; overrides env\/defaults\.env:1 \(defaults\)$/m);
      expect(explain.stdout).toMatch(/^DATABASE_URL=<secret> {2}# env\/dev\.secrets\.env:1 \(secrets\) via Secret shop-web-secrets-[a-z0-9]{10}$/m);
      expect(explain.stdout).not.toContain('fake-dev-password');
    });
  });
});
