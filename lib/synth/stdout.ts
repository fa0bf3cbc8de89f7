import { statSync } from 'fs';
import { join } from 'path';
import { Project, selectedEnvironments } from '../project';
import { DOCUMENT_START, outputFolder, readManifests } from './output';
import { environmentFiles, synthEnvironments } from './pipeline';
import { chooseSecretBackend } from './backend-choice';

/**
 * `synth --stdout`: one environment's manifests as one YAML stream on stdout, for a tool that
 * renders from source, such as an Argo CD config management plugin (deploy/argocd/plugin.yaml).
 *
 * Such a tool takes whatever is on stdout as the whole application: with automated pruning, an
 * empty or partial stream deletes objects from the cluster. So everything is synthesized and
 * checked first, and the stream is written once at the very end; any problem before that is an
 * error with nothing on stdout. Messages and warnings go to stderr.
 */

export const STDOUT_FLAG = '--stdout';
export const ALLOW_PLAIN_SECRETS_FLAG = '--allow-plain-secrets';

/** What the synth command line asks for. */
export interface SynthArguments {
  /** Print one environment's manifests on stdout instead of writing dist/<environment>/. */
  readonly stdout: boolean;
  /** --stdout with the plain backend: print Secrets, knowing where stdout ends up. */
  readonly allowPlainSecrets: boolean;
}

/** Reads synth's arguments; anything it does not know is an error (a typo must not write dist/). */
export function parseSynthArguments(args: readonly string[]): SynthArguments {
  const known = [STDOUT_FLAG, ALLOW_PLAIN_SECRETS_FLAG];
  const unknown = args.filter((arg) => !known.includes(arg));
  if (unknown.length > 0) {
    throw new Error(`unknown argument ${unknown.map((arg) => JSON.stringify(arg)).join(', ')}: synth takes ${STDOUT_FLAG} [${ALLOW_PLAIN_SECRETS_FLAG}] (see --help)`);
  }
  const parsed = { stdout: args.includes(STDOUT_FLAG), allowPlainSecrets: args.includes(ALLOW_PLAIN_SECRETS_FLAG) };
  if (parsed.allowPlainSecrets && !parsed.stdout) throw new Error(`${ALLOW_PLAIN_SECRETS_FLAG} only applies with ${STDOUT_FLAG}`);
  return parsed;
}

/** The environment --stdout prints: exactly one, from the project's environment variable (unset means the default). */
export function stdoutEnvironment(project: Project<any>, value: string | undefined): string {
  const variable = project.variables.environment;
  const known = Object.keys(project.environments);
  const names = selectedEnvironments(project, value);
  if (names.length !== 1) {
    throw new Error(`${STDOUT_FLAG} prints one environment: set ${variable} to one of ${known.join(', ')} (it is ${JSON.stringify(value)})`);
  }
  return names[0];
}

/** Where --stdout reads its inputs and writes its stream. */
export interface StdoutContext {
  readonly project: Project<any>;
  readonly processEnv: Readonly<Record<string, string | undefined>>;
  /** Writes the stream (once). @default process.stdout */
  readonly write?: (text: string) => void;
  /** One line to stderr: the summary and warnings. */
  readonly err: (line: string) => void;
}

/**
 * Synthesizes the environment in the project's environment variable and writes its manifests to stdout as one YAML
 * stream, in the order of the files of dist/<environment>/ (apply order). Writes no file. Throws
 * on any problem, before anything is written; returns the exit code otherwise.
 */
export function synthToStdout(args: SynthArguments, context: StdoutContext): number {
  const { processEnv, project } = context;
  const environment = stdoutEnvironment(project, processEnv[project.variables.environment]);
  const backend = chooseSecretBackend(environment, project.environments[environment], processEnv, project.envDir, project).kind;
  // Earlier output, read only: the sealed backend keeps its ciphertexts from there.
  const outdir = outputFolder(processEnv);
  const previous = join(outdir, environment);
  const variables = project.variables;
  if (backend === 'plain' && !args.allowPlainSecrets) throw new Error(plainRefused(environment, variables.secretBackend));
  if (backend === 'sealed' && !isDirectory(previous)) throw new Error(sealedWithoutPreviousOutput(environment, previous, variables.environment));

  const [synthesized] = synthEnvironments(project, [environment], { processEnv, outdir });
  if (backend === 'sealed') {
    const resealed = newCiphertexts(synthesized.objects, readManifests(previous));
    if (resealed.length > 0) throw new Error(sealedWouldChange(environment, previous, resealed, variables.environment));
  }
  const files = environmentFiles(synthesized);
  // Never an empty stream: to Argo CD with automated pruning it means "delete everything".
  if (files.length === 0) throw new Error(`${environment}: nothing to print (no objects); an empty stream would delete the application's objects`);

  for (const warning of new Set(synthesized.warnings)) context.err(`warning: ${warning}`);
  context.err(`${environment}: ${files.length} objects written to stdout (${backend} secret backend; image ${synthesized.image} from ${synthesized.imageFrom})`);
  // Carried files are earlier output byte for byte; a file written before every file began with
  // `---` still needs one here to be a document of its own.
  const stream = files.map((file) => (file.content.startsWith(DOCUMENT_START) ? file.content : DOCUMENT_START + file.content)).join('');
  (context.write ?? ((text) => process.stdout.write(text)))(stream);
  return 0;
}

function plainRefused(environment: string, backendVariable: string): string {
  return `${environment} uses the plain secret backend, which would print its Secrets (base64, not encrypted) on stdout. ` +
    'A tool rendering from source keeps what it renders: Argo CD stores generated manifests in plaintext in its Redis ' +
    'cache and serves them through its repo server, so the secret values would live there. Use the external backend ' +
    `(${backendVariable}=external: nothing secret is needed or printed), or add ${ALLOW_PLAIN_SECRETS_FLAG} if that is really meant.`;
}

function sealedWithoutPreviousOutput(environment: string, previous: string, environmentVariable: string): string {
  return `${environment} uses the sealed secret backend, and ${previous}/ (its previous output) does not exist. Sealing is ` +
    `random: without the previous ciphertexts every render would print new ones, and the tool would see a change ` +
    `each time. Commit ${previous}/ as written by \`${environmentVariable}=${environment} npm run synth\` (the rendered-folder ` +
    `route), set CDK8S_OUTDIR to where it is, or use the external backend.`;
}

function sealedWouldChange(environment: string, previous: string, resealed: readonly string[], environmentVariable: string): string {
  return `${environment}: ${resealed.join(', ')} would get a new ciphertext (the value, certificate or hash key changed, ` +
    `or ${previous}/ is not the latest synth output). Printed here, it would change on every render: run ` +
    `\`${environmentVariable}=${environment} npm run synth\` and commit ${previous}/ first.`;
}

/**
 * `SealedSecret <name> <key>` for every ciphertext in `objects` that `previousObjects` does not
 * hold for the same SealedSecret and key. Key names only.
 */
export function newCiphertexts(objects: readonly any[], previousObjects: readonly any[]): string[] {
  const sealed = (list: readonly any[]) => list.filter((o) => o?.kind === 'SealedSecret' && o?.apiVersion === 'bitnami.com/v1alpha1');
  const before = new Map(sealed(previousObjects).map((o) => [o.metadata?.name, o.spec?.encryptedData ?? {}]));
  return sealed(objects).flatMap((o) =>
    Object.entries(o.spec?.encryptedData ?? {})
      .filter(([key, ciphertext]) => before.get(o.metadata.name)?.[key] !== ciphertext)
      .map(([key]) => `SealedSecret ${o.metadata.name} ${key}`));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
