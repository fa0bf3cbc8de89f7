import { versionBase } from '../lib/config/name-suffix';
import { TaskApiAppProps } from '../lib/constructs/task-api-app';
import { defineProject, Project, ProjectDefinition } from '../lib/project';
import { TASK_API, TaskApiEnvironment } from '../main';
import { PlainSecretBackend } from '../lib/secrets/plain';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

export const REPO_ENV_DIR = join(__dirname, '..', 'env');

/**
 * A copy of the committed env files only: the real env/ folder of a developer may hold
 * env/staging.secrets.env with real secrets, which must never reach a test or a snapshot.
 */
export function committedEnvDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'task-api-env-'));
  for (const name of readdirSync(REPO_ENV_DIR)) {
    const committed = name === 'dev.secrets.env' || !name.endsWith('.secrets.env');
    if (committed) copyFileSync(join(REPO_ENV_DIR, name), join(dir, name));
  }
  return dir;
}

/** Obviously fake secrets for an environment, as CI would inject them. */
export function fakeSecrets(environment: string): Record<string, string> {
  return {
    DATABASE_PASSWORD: `fake-${environment}-database-password`,
    OPENAI_API_KEY: `fake-${environment}-openai-api-key`,
    REDIS_URL: `redis://:fake-${environment}-redis-password@redis:6379/0`,
    WEBHOOK_SECRET: `fake-${environment}-webhook-secret`,
    TASK_API_HASH_KEY: `fake-${environment}-hash-key-for-tests-only-0123456789`,
    GITHUB_USERNAME: 'fake-github-user',
    GITHUB_TOKEN: `fake-${environment}-github-token`,
  };
}

/** Writes files (name → text) into a fresh temporary folder and returns it. */
export function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'task-api-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The object of `kind` named `name` among synthesized objects. */
export function findObject(objects: readonly any[], kind: string, name: string): any {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  return found;
}

export function decodeData(secret: any): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** Adds a secret to dev in `envDir`: its value to dev.secrets.env, its key to the .example. */
export function addDevSecret(envDir: string, key: string, value: string): void {
  appendFileSync(join(envDir, 'dev.secrets.env'), `${key}=${value}\n`);
  appendFileSync(join(envDir, 'dev.secrets.env.example'), `${key}=\n`);
}

/**
 * The one object of `kind` that is a version of `base` (`task-api-config` → the ConfigMap
 * `task-api-config-<suffix>`): versioned names depend on the data, so tests find them by base.
 */
export function findVersion(objects: readonly any[], kind: string, base: string): any {
  const found = objects.filter((o) => o.kind === kind && versionBase(o.metadata?.name ?? '') === base && o.metadata.name !== base);
  if (found.length !== 1) throw new Error(`${found.length} versions of ${kind} ${base} among ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  return found[0];
}

/** mulberry32: a small seeded generator, so a failure can be reproduced from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** TaskApiApp props for a test chart: one config value, one fake secret, the plain backend. */
export function testTaskApiProps(overrides: Partial<TaskApiAppProps> = {}): TaskApiAppProps {
  return {
    namespace: 'task-api-test',
    image: 'ghcr.io/example-org/task-api:1.0.0',
    config: { LOG_LEVEL: 'info' },
    secrets: { DATABASE_PASSWORD: 'fake-pw' },
    secretBackend: new PlainSecretBackend({ hashKey: 'fake-hash-key' }),
    ...overrides,
  };
}

/** The Task API's project, with some of its definition replaced (another builder, environments...). */
export function taskApiProject(overrides: Partial<ProjectDefinition<TaskApiEnvironment>> = {}): Project<TaskApiEnvironment> {
  return defineProject({ ...TASK_API, ...overrides });
}
