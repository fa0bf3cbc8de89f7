import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { valuesOf } from '../../lib/config/layers';
import { buildTaskApi, ENVIRONMENTS, TaskApiEnvironment, taskApiProps } from '../../main';
import { TaskApiApp } from '../../lib/constructs/task-api-app';
import { environmentFiles, synthEnvironments, SynthesizedEnvironment } from '../../lib/synth/pipeline';
import { writeEnvironment } from '../../lib/synth/output';
import { committedEnvDir, decodeData, fakeSecrets, taskApiProject } from '../support';
import { Backend, cluster, eventually, getJson, kubectl, kubectlOk, objectsIn } from './support';

/** What changes from one release to the next. */
export interface ReleaseChange { readonly config?: Record<string, string>; readonly secrets?: Record<string, string> }

/** What one release ran with: its dist/<environment>/ folder, the objects synth wrote, the values. */
export interface Release {
  readonly folder: string;
  readonly synthesized: SynthesizedEnvironment;
  /** The Task API Deployment's pod template, as synth wrote it. */
  readonly template: any;
  readonly configMapName: string;
  readonly secretName: string;
  readonly config: Record<string, string>;
  readonly secrets: Record<string, string>;
}

/**
 * One project whose staging environment lives in `namespace` (a namespace per test file, so that
 * cluster tests never share objects), released again and again into the same dist/ as `npm run
 * synth` writes it: the pipeline synth runs (main.ts), with the previous output in place.
 */
export class ReleaseProject {
  public readonly envDir = committedEnvDir();
  public readonly outdir = join(mkdtempSync(join(tmpdir(), 'task-api-release-')), 'dist');
  public readonly environment = 'staging';
  private readonly settings: TaskApiEnvironment;
  private releases = 0;

  /**
   * `settings` change the environment's (replicas…); `revisionHistoryLimit` the Deployment's
   * (default 10, the README's).
   */
  constructor(
    public readonly namespace: string,
    private readonly backend: Backend = 'plain',
    settings: Partial<TaskApiEnvironment> = {},
    private readonly revisionHistoryLimit?: number,
  ) {
    this.settings = { ...ENVIRONMENTS.staging, ...settings, namespace };
  }

  public get folder(): string {
    return join(this.outdir, this.environment);
  }

  /**
   * Synthesizes the next release into dist/staging/: `config` sets keys in env/staging.env, `secrets` override the fake staging secrets given as CI variables.
   */
  public release(change: ReleaseChange = {}): Release {
    this.releases += 1;
    const envFile = join(this.envDir, 'staging.env');
    let text = readFileSync(envFile, 'utf8');
    for (const [key, value] of Object.entries(change.config ?? {})) {
      const line = new RegExp(`^${key}=.*$`, 'm');
      text = line.test(text) ? text.replace(line, `${key}=${value}`) : `${text}${key}=${value}\n`;
    }
    writeFileSync(envFile, text);
    const processEnv: Record<string, string> = { ...fakeSecrets('staging'), ...change.secrets, TASK_API_SECRET_BACKEND: this.backend };
    if (this.backend === 'sealed') processEnv.TASK_API_SEALING_CERT = cluster().sealingCert;
    const project = taskApiProject({
      environments: { staging: this.settings },
      defaultEnvironment: 'staging',
      build: this.revisionHistoryLimit === undefined ? buildTaskApi
        : (chart, context) => void new TaskApiApp(chart, 'TaskApi', { ...taskApiProps(context), revisionHistoryLimit: this.revisionHistoryLimit }),
    });
    const [synthesized] = synthEnvironments(project, [this.environment], { envDir: this.envDir, processEnv, outdir: this.outdir });
    const folder = writeEnvironment(this.outdir, this.environment, environmentFiles(synthesized));
    const template = synthesized.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'task-api').spec.template;
    const [configRef, secretRef] = template.spec.containers[0].envFrom;
    return {
      folder, synthesized, template,
      configMapName: configRef.configMapRef.name,
      secretName: secretRef.secretRef.name,
      config: valuesOf(synthesized.layers.config),
      secrets: valuesOf(synthesized.layers.secrets),
    };
  }
}

/** `kubectl apply --server-side -f dist/<env>/`, as the README deploys. */
export function applyServerSide(folder: string): string {
  return kubectlOk(['apply', '--server-side', '-f', folder]);
}

/** The README's ApplySet recipe, run as a shell runs it (KUBECTL_APPLYSET in the environment). */
export function applyWithApplySet(namespace: string, folder: string, { serverSide = true } = {}) {
  return kubectlWith({ KUBECTL_APPLYSET: 'true' }, ['apply', ...(serverSide ? ['--server-side'] : []), '-n', namespace, '--prune', '--applyset=task-api-applyset', '-f', `${folder}/`]);
}

/** Runs the test kubectl with extra environment variables; never throws. */
export function kubectlWith(env: Record<string, string>, args: readonly string[]) {
  const { kubeconfig, kubectl: binary } = cluster();
  const result = spawnSync(binary, args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/tmp', KUBECONFIG: kubeconfig, ...env } });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a documented shell command with the test kubectl first on PATH, against the test cluster. */
export function shell(command: string) {
  const { kubeconfig, kubectl: binary } = cluster();
  const result = spawnSync('sh', ['-c', command], {
    encoding: 'utf8', env: { PATH: `${dirname(binary)}:${process.env.PATH}`, HOME: '/tmp', KUBECONFIG: kubeconfig },
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Waits until the Deployment controller has seen the Deployment's latest spec. */
export async function deploymentSynced(namespace: string, name = 'task-api'): Promise<any> {
  return eventually(`the Deployment controller to observe deployment/${name} in ${namespace}`, () => {
    const deployment = getJson(['deployment', name, '-n', namespace]);
    return deployment.status?.observedGeneration === deployment.metadata.generation ? deployment : undefined;
  });
}

/** The Deployment's ReplicaSets, lowest revision first. */
export function replicaSets(namespace: string, name = 'task-api'): { revision: number; template: any; name: string }[] {
  return getJson(['replicasets', '-n', namespace]).items
    .filter((rs: any) => rs.metadata.ownerReferences?.some((o: any) => o.kind === 'Deployment' && o.name === name))
    .map((rs: any) => ({ revision: Number(rs.metadata.annotations['deployment.kubernetes.io/revision']), template: rs.spec.template, name: rs.metadata.name }))
    .sort((a: any, b: any) => a.revision - b.revision);
}

/** What the cluster holds now under the names a pod template's envFrom reads: data, decoded. */
export function envFromData(namespace: string, template: any): { configMap: Record<string, string> | 'missing'; secret: Record<string, string> | 'missing' } {
  const [configRef, secretRef] = template.spec.containers[0].envFrom;
  const get = (kind: string, name: string) => {
    const result = kubectl(['get', kind, name, '-n', namespace, '-o', 'json']);
    if (result.status !== 0 && /NotFound|not found/.test(result.stderr)) return undefined;
    if (result.status !== 0) throw new Error(result.stderr);
    return JSON.parse(result.stdout);
  };
  const configMap = get('configmap', configRef.configMapRef.name);
  const secret = get('secret', secretRef.secretRef.name);
  return { configMap: configMap ? configMap.data : 'missing', secret: secret ? decodeData(secret) : 'missing' };
}

/** Names of the live ConfigMaps and Secrets in `namespace` that the project wrote (not kubectl's or the cluster's). */
export function liveConfigNames(namespace: string): string[] {
  return getJson(['configmaps,secrets', '-n', namespace]).items
    .filter((o: any) => o.metadata.name.startsWith('task-api-') && o.metadata.name !== 'task-api-applyset')
    .map((o: any) => `${o.kind}/${o.metadata.name}`).sort();
}

/** Names of the ConfigMaps and Secrets in a dist/ folder, as liveConfigNames gives them. */
export function distConfigNames(folder: string): string[] {
  return objectsIn(folder).filter((o) => o.kind === 'ConfigMap' || o.kind === 'Secret').map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/** Deletes a test namespace without waiting (the namespace controller empties it). */
export function dropNamespace(namespace: string): void {
  kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
}
