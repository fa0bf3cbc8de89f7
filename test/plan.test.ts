import { spawnSync } from 'child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { synthEnvironments } from '../lib/synth/pipeline';
import { readManifests } from '../lib/synth/output';
import { planEnvironment, renderPlan } from '../lib/review/plan';
import { outputFor } from '../lib/terminal';
import { BUILD_DIR, folderState, project, runBuilt, writeSecretsFile } from './cli-support';
import { throwawayCertificate } from './sealing-certificate';
import { addDevSecret, committedEnvDir, fakeSecrets, findObject, findVersion, taskApiProject } from './support';

const PLAIN = outputFor(false, {});
const clone = (value: any) => JSON.parse(JSON.stringify(value));

function devObjects(): any[] {
  return synthEnvironments(taskApiProject(), ['dev'], { envDir: committedEnvDir(), processEnv: {} })[0].objects;
}

function edited(objects: any[], kind: string, name: string, edit: (object: any) => void): any[] {
  const copy = clone(objects);
  edit(findObject(copy, kind, name));
  return copy;
}

describe('planEnvironment', () => {
  test('identical objects plan no changes', () => {
    const objects = devObjects();
    const plan = planEnvironment('dev', objects, clone(objects));
    expect(plan).toMatchObject({ changes: [], rollouts: [], warnings: [] });
    expect(renderPlan(plan, 'dist/dev', PLAIN)).toEqual(['dev: no changes (dist/dev/ matches a fresh synthesis)']);
  });

  test('an object only in the fresh synthesis is added, one only in dist/ would be pruned', () => {
    const objects = devObjects();
    const extra = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old-config', namespace: 'task-api-dev' }, data: {} };
    const withoutService = objects.filter((o) => o.kind !== 'Service');
    const plan = planEnvironment('dev', [...withoutService, extra], objects);
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual(['remove ConfigMap old-config', 'add Service task-api']);
    expect(renderPlan(plan, 'dist/dev', PLAIN)).toEqual([
      'dev: dist/dev/ → fresh synthesis',
      '  + Service task-api',
      '  would be pruned (no longer in the output; kubectl apply leaves them, the ApplySet recipe deletes them):',
      '  - ConfigMap old-config',
      'dev: 1 to add, 0 to change, 1 to prune; 0 workloads will roll',
    ]);
  });

  test('a config change is a new version, diffed key by key against the one it replaces, and rolls the Deployment', () => {
    const before = devObjects();
    const envDir = committedEnvDir();
    writeFileSync(join(envDir, 'dev.env'), readFileSync(join(envDir, 'dev.env'), 'utf8').replace('LOG_LEVEL=debug', 'LOG_LEVEL=trace') + 'FEATURE_X=on\n');
    const after = synthEnvironments(taskApiProject(), ['dev'], { envDir, processEnv: {} })[0].objects;
    const [oldName, newName] = [findVersion(before, 'ConfigMap', 'task-api-config').metadata.name, findVersion(after, 'ConfigMap', 'task-api-config').metadata.name];
    const plan = planEnvironment('dev', before, after);
    // The ConfigMap's new version and the workloads reading it change (the old version would be
    // pruned, were it not carried for rollback); nothing else does.
    const described = plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`);
    expect(described).toEqual(expect.arrayContaining([`remove ConfigMap ${oldName}`, 'change Deployment task-api', `add ConfigMap ${newName}`]));
    expect(plan.changes.filter((c) => ['Namespace', 'Secret', 'Service'].includes(c.kind))).toEqual([]);
    expect(plan.changes.find((c) => c.action === 'add' && c.kind === 'ConfigMap')).toMatchObject({ versionOf: oldName, data: { added: ['FEATURE_X'], removed: [], changed: ['LOG_LEVEL'] } });
    expect(plan.rollouts).toContainEqual({
      workload: 'Deployment task-api',
      reasons: [`ConfigMap task-api-config: new version ${newName} (was ${oldName}): changed LOG_LEVEL "debug" → "trace"; added FEATURE_X="on"`],
    });
    const lines = renderPlan(plan, 'dist/dev', PLAIN);
    expect(lines).toContain(`  + ConfigMap ${newName}: new version of ${oldName}`);
    expect(lines).toContain('      data: changed LOG_LEVEL "debug" → "trace"; added FEATURE_X="on"');
    expect(lines).toContain('  Deployment task-api will roll: its pod template changes');
    expect(lines).toContainEqual(expect.stringMatching(/^ {6}spec\.template\.metadata\.annotations\["checksum\/config"\]: "sha256:/));
  });

  test('a Secret change is a new version listing key names only, never values', () => {
    const envDir = committedEnvDir();
    addDevSecret(envDir, 'OLD_KEY', 'fake-canary-old-value');
    const before = synthEnvironments(taskApiProject(), ['dev'], { envDir, processEnv: {} })[0].objects;
    writeFileSync(join(envDir, 'dev.secrets.env'), readFileSync(join(envDir, 'dev.secrets.env'), 'utf8')
      .replace(/^OLD_KEY=.*\n/m, '').replace(/^DATABASE_PASSWORD=.*$/m, 'DATABASE_PASSWORD=fake-canary-new-password') + 'NEW_KEY=fake-canary-new-value\n');
    writeFileSync(join(envDir, 'dev.secrets.env.example'), readFileSync(join(envDir, 'dev.secrets.env.example'), 'utf8').replace('OLD_KEY=', 'NEW_KEY='));
    const after = synthEnvironments(taskApiProject(), ['dev'], { envDir, processEnv: {} })[0].objects;
    const plan = planEnvironment('dev', before, after);
    const added = plan.changes.find((c) => c.action === 'add' && c.kind === 'Secret')!;
    expect(added).toMatchObject({ versionOf: findVersion(before, 'Secret', 'task-api-secrets').metadata.name, data: { added: ['NEW_KEY'], removed: ['OLD_KEY'], changed: ['DATABASE_PASSWORD'] } });
    expect(added.data!.values).toBeUndefined();
    const text = renderPlan(plan, 'dist/dev', PLAIN).join('\n');
    expect(text).toContain('data: changed DATABASE_PASSWORD; added NEW_KEY; removed OLD_KEY');
    expect(text).not.toMatch(/canary|ZmFrZS1jYW5hcnk|fake-dev/);
  });

  test('a fixed-name Secret whose data changes under an unchanged pod template is flagged', () => {
    const objects = devObjects();
    const pullSecret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fixed', namespace: 'task-api-dev' }, type: 'Opaque', data: { A: Buffer.from('fake-1').toString('base64') } };
    const reading = (data: any) => edited([...objects, { ...pullSecret, data }], 'Deployment', 'task-api', (d) => d.spec.template.spec.containers[0].envFrom.push({ secretRef: { name: 'fixed' } }));
    const plan = planEnvironment('dev', reading(pullSecret.data), reading({ A: Buffer.from('fake-2').toString('base64') }));
    expect(plan.warnings).toEqual(['Deployment task-api reads Secret fixed, whose data changes, but its pod template does not: running pods keep the old values until restarted']);
  });

  test('a replica count change changes the Deployment without rolling it', () => {
    const objects = devObjects();
    const plan = planEnvironment('dev', objects, edited(objects, 'Deployment', 'task-api', (d) => (d.spec.replicas = 3)));
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'change', kind: 'Deployment', fields: [{ path: 'spec.replicas', before: '1', after: '3' }] })]);
    expect(plan.rollouts).toEqual([]);
  });

  test('a new image rolls the Deployment, with the image as the reason', () => {
    const objects = devObjects();
    const plan = planEnvironment('dev', objects, edited(objects, 'Deployment', 'task-api', (d) => (d.spec.template.spec.containers[0].image = 'ghcr.io/example-org/task-api:2.0.0')));
    expect(plan.rollouts).toEqual([{
      workload: 'Deployment task-api',
      reasons: ['spec.template.spec.containers[0].image: "ghcr.io/example-org/task-api:dev" → "ghcr.io/example-org/task-api:2.0.0"'],
    }]);
  });
});

describe('readManifests', () => {
  test('reads back exactly what synth wrote, tricky YAML 1.1 scalars included', () => {
    const root = project();
    appendFileSync(join(root, 'env', 'dev.env'), 'YES=yes\nOCTAL=0755\nFLOAT=1e3\nNULLISH=null\nTILDE=~\nHEX=0x1F\nMULTI="a\\nb"\nSPACES=" padded "\nCOLON=a: b\nEMPTY=\n');
    expect(runBuilt('main.js', root).status).toBe(0);
    const fresh = synthEnvironments(taskApiProject(), ['dev'], { envDir: join(root, 'env'), processEnv: {} })[0].objects;
    expect(readManifests(join(root, 'dist', 'dev'))).toEqual(expect.arrayContaining(fresh));
    expect(planEnvironment('dev', readManifests(join(root, 'dist', 'dev')), fresh).changes).toEqual([]);
  });

  test('invalid YAML is an error naming the file and line, not its content', () => {
    const folder = join(project(), 'dist', 'dev');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, '2-secret-x.yaml'), 'data:\n  KEY: fake-canary\n bad: [\n');
    expect(() => readManifests(folder)).toThrow(/2-secret-x\.yaml:\d+: not valid YAML \([a-z ]+\); run synth again, or delete the file$/);
    expect(() => readManifests(folder)).not.toThrow(/canary/);
  });
});

describe('npm run plan (build/main.js plan)', () => {
  test('plan and explain print the warnings synth prints, such as a key the defaults lack', () => {
    const root = project();
    appendFileSync(join(root, 'env', 'dev.env'), 'LOG_LEVL=info\n');
    for (const program of ['plan', 'explain'] as const) {
      const result = runBuilt(program, root);
      expect(result.stderr).toMatch(/^warning: env\/dev\.env:\d+: LOG_LEVL: .*did you mean LOG_LEVEL\?/m);
      expect(result.stdout).not.toContain('warning:');
    }
  });

  test('exit 1 when nothing was synthesized yet, 0 right after synth, 1 after a change, and dist/ is never touched', () => {
    const root = project();
    const first = runBuilt('plan', root);
    expect(first.status).toBe(1);
    expect(first.stdout).toContain('dev: dist/dev/ does not exist yet: every object is new');
    // Everything is new: its count is what is listed, and nothing changes, goes or rolls.
    const added = first.stdout.split('\n').filter((line) => line.startsWith('  + ')).length;
    expect(first.stdout).toContain('  + Deployment task-api');
    expect(first.stdout).toContain(`dev: ${added} to add, 0 to change, 0 to prune; 0 workloads will roll`);

    expect(runBuilt('main.js', root).status).toBe(0);
    const synthesized = folderState(join(root, 'dist'));
    const clean = runBuilt('plan', root);
    expect(clean).toMatchObject({ status: 0, stdout: 'dev: image ghcr.io/example-org/task-api:dev (from the project definition)\ndev: no changes (dist/dev/ matches a fresh synthesis)\n', stderr: '' });

    appendFileSync(join(root, 'env', 'dev.env'), 'MAX_CONNECTIONS=5\n');
    const changed = runBuilt('plan', root);
    expect(changed.status).toBe(1);
    expect(changed.stdout).toMatch(/^ {6}ConfigMap task-api-config: new version task-api-config-[0-9a-z]{10} \(was task-api-config-[0-9a-z]{10}\): changed MAX_CONNECTIONS "100" → "5"$/m);
    expect(folderState(join(root, 'dist'))).toEqual(synthesized);

    // After synth, the old version stays in dist/ for rollback: nothing to prune yet.
    expect(runBuilt('main.js', root).status).toBe(0);
    expect(runBuilt('plan', root)).toMatchObject({ status: 0 });
  });

  test('plans several environments, naming secret keys only', () => {
    const root = project();
    const canary = 'fake-canary-rotated-password-5d1e';
    writeSecretsFile(root, 'staging');
    expect(runBuilt('main.js', root, { TASK_API_ENV: 'dev,staging' }).status).toBe(0);
    writeSecretsFile(root, 'staging', { ...fakeSecrets('staging'), DATABASE_PASSWORD: canary });
    const result = runBuilt('plan', root, { TASK_API_ENV: 'dev,staging' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('dev: no changes');
    expect(result.stdout).toMatch(/^ {6}Secret task-api-secrets: new version task-api-secrets-[0-9a-z]{10} \(was task-api-secrets-[0-9a-z]{10}\): changed DATABASE_PASSWORD$/m);
    for (const form of [canary, canary.slice(0, 16), Buffer.from(canary).toString('base64').slice(0, 16), 'fake-staging']) expect(result.out).not.toContain(form);
  });

  test('a user mistake exits 2 with one message and leaves dist/ alone', () => {
    const root = project();
    expect(runBuilt('main.js', root).status).toBe(0);
    const synthesized = folderState(join(root, 'dist'));
    appendFileSync(join(root, 'env', 'dev.env'), 'NOT A LINE\n');
    const result = runBuilt('plan', root);
    expect(result).toMatchObject({ status: 2, stdout: '', stderr: "plan failed: env/dev.env:5: expected KEY=value; this line has no '='\n" });
    expect(runBuilt('plan', root, { TASK_API_ENV: 'prod' }).status).toBe(2);
    expect(folderState(join(root, 'dist'))).toEqual(synthesized);
  });

  test('honours CDK8S_OUTDIR', () => {
    const root = project();
    expect(runBuilt('main.js', root, { CDK8S_OUTDIR: 'out' }).status).toBe(0);
    expect(runBuilt('plan', root, { CDK8S_OUTDIR: 'out' }).status).toBe(0);
    rmSync(join(root, 'out', 'dev', '3-service-task-api.yaml'));
    expect(runBuilt('plan', root, { CDK8S_OUTDIR: 'out' }).stdout).toContain('  + Service task-api');
  });
});

describe('npm run plan -- --no-secrets (a pull request\'s plan: no secret at all)', () => {
  /** build/main.js plan --no-secrets in `root`, with nothing but PATH and `env` in its environment. */
  const planWithoutSecrets = (root: string, env: Record<string, string> = {}) => {
    const result = spawnSync(process.execPath, [join(BUILD_DIR, 'main.js'), 'plan', '--no-secrets'], { cwd: root, env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, out: result.stdout + result.stderr };
  };
  const canary = 'fake-canary-secret-value-7f3a';
  /** Every form of a value that must not show: as written, its start, its base64. */
  const forms = (value: string) => [value, value.slice(0, 12), Buffer.from(value).toString('base64').slice(0, 16)];

  test('a plain environment synthesized with its secrets plans no changes, and says its values were not compared', () => {
    const root = project();
    writeSecretsFile(root, 'staging', { ...fakeSecrets('staging'), DATABASE_PASSWORD: canary });
    expect(runBuilt('main.js', root, { TASK_API_ENV: 'staging' }).status).toBe(0);
    // The secrets file is gone, as in CI: the plan needs none, nor the hash key or registry token.
    rmSync(join(root, 'env', 'staging.secrets.env'));
    const result = planWithoutSecrets(root, { TASK_API_ENV: 'staging' });
    expect(result.status).toBe(0);
    const secretName = readManifests(join(root, 'dist', 'staging')).find((o) => o.kind === 'Secret' && o.metadata.name.startsWith('task-api-secrets-'))!.metadata.name;
    expect(result.stdout).toContain('staging: planned without secret values (--no-secrets): Secrets are compared by key names only (the keys of env/staging.secrets.env.example)');
    expect(result.stdout).toContain(`  values not compared: Secret task-api-registry, Secret ${secretName}`);
    expect(result.stdout).toContain('staging: no changes but possibly secret values');
    // Not a false change from the placeholders: no Secret, hashed name or checksum/secret shows.
    expect(result.stdout).not.toMatch(/^ {2}[+~-] /m);
    expect(result.stdout).not.toContain('checksum/secret"]');
    for (const form of [...Object.values(fakeSecrets('staging')).flatMap(forms), ...forms(canary), 'placeholder']) expect(result.out).not.toContain(form);
  });

  test('every environment in one run: the placeholders are no shared hash key or shared secret', () => {
    const root = project();
    for (const environment of ['staging', 'production']) writeSecretsFile(root, environment);
    expect(runBuilt('main.js', root, { TASK_API_ENV: 'all' }).status).toBe(0);
    const result = planWithoutSecrets(root, { TASK_API_ENV: 'all' });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    for (const environment of ['dev', 'staging', 'production']) expect(result.stdout).toContain(`${environment}: no changes but possibly secret values`);
  });

  test('reads no secrets file and no secret variable: a changed value cannot show, a broken secrets file does not matter', () => {
    const root = project();
    expect(runBuilt('main.js', root).status).toBe(0);
    writeFileSync(join(root, 'env', 'dev.secrets.env'), `NOT A LINE\nDATABASE_PASSWORD=${canary}\n`);
    const result = planWithoutSecrets(root, { DATABASE_PASSWORD: canary, TASK_API_HASH_KEY: canary });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('dev: no changes but possibly secret values');
    for (const form of forms(canary)) expect(result.out).not.toContain(form);
  });

  test('ConfigMaps and workloads are compared in full; a key the .example adds is a new Secret version whose name the values decide', () => {
    const root = project();
    expect(runBuilt('main.js', root).status).toBe(0);
    const before = readManifests(join(root, 'dist', 'dev'));
    const oldSecret = findVersion(before, 'Secret', 'task-api-secrets').metadata.name;
    writeFileSync(join(root, 'env', 'dev.env'), readFileSync(join(root, 'env', 'dev.env'), 'utf8').replace('LOG_LEVEL=debug', 'LOG_LEVEL=trace'));
    const configOnly = planWithoutSecrets(root);
    expect(configOnly.status).toBe(1);
    // What a plan with the values says, but for its first lines: the same comparison.
    const withValues = runBuilt('plan', root);
    // (the image line, then the two lines on what was not compared)
    const [imageLine, ...rest] = configOnly.stdout.split('\n');
    expect([imageLine, ...rest.slice(2)]).toEqual(withValues.stdout.split('\n'));
    expect(configOnly.stdout).toMatch(/^ {6}data: changed LOG_LEVEL "debug" → "trace"$/m);
    expect(configOnly.stdout).not.toContain('checksum/secret"]');

    appendFileSync(join(root, 'env', 'dev.secrets.env.example'), 'NEW_KEY=\n');
    const newKey = planWithoutSecrets(root);
    expect(newKey.status).toBe(1);
    expect(newKey.stdout).toContain(`  + Secret task-api-secrets-<suffix from the values>: new version of ${oldSecret}\n      data: added NEW_KEY\n`);
    expect(newKey.stdout).toContain(`      Secret task-api-secrets: new version task-api-secrets-<suffix from the values> (was ${oldSecret}): added NEW_KEY`);
    expect(newKey.stdout).toMatch(/checksum\/secret"\]: "hmac-sha256:[0-9a-f]{12}…" → "\(computed from the secret values at synth\)"$/m);
    expect(newKey.stdout).not.toMatch(/changed DATABASE_PASSWORD|placeholder/);
  });

  test('a sealed environment: its committed SealedSecrets show no false change, and no ciphertext or fingerprint is made up', () => {
    const root = project();
    writeFileSync(join(root, 'env', 'staging.sealing-cert.pem'), throwawayCertificate().certificatePem);
    const env = { TASK_API_ENV: 'staging', TASK_API_SECRET_BACKEND: 'sealed' };
    expect(runBuilt('main.js', root, { ...env, ...fakeSecrets('staging') }).status).toBe(0);
    const result = planWithoutSecrets(root, env);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/values not compared: SealedSecret task-api-registry, SealedSecret task-api-secrets-[0-9a-z]{10}\n/);
    expect(result.stdout).toContain('staging: no changes but possibly secret values');
  });

  test('an external environment plans exactly as with the values: none passes through synth', () => {
    const root = project();
    const env = { TASK_API_ENV: 'production', TASK_API_SECRET_BACKEND: 'external' };
    expect(runBuilt('main.js', root, env).status).toBe(0);
    appendFileSync(join(root, 'env', 'production.secrets.env.example'), 'NEW_KEY=\n');
    const result = planWithoutSecrets(root, env);
    expect(result.stdout).toBe(runBuilt('plan', root, env).stdout);
    expect(result.stdout).not.toContain('values not compared');
    expect(result.stdout).toContain('ExternalSecret task-api-secrets');
  });

  test('an unknown argument exits 2 and plans nothing', () => {
    const result = spawnSync(process.execPath, [join(BUILD_DIR, 'main.js'), 'plan', '--no-secret'], { cwd: project(), env: { PATH: process.env.PATH! }, encoding: 'utf8' });
    expect(result).toMatchObject({ status: 2, stdout: '', stderr: 'plan failed: unknown argument "--no-secret": plan takes --no-secrets (see --help)\n' });
  });
});
