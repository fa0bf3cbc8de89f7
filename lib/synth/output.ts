import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'fs';
import { CORE_SCHEMA, loadAll, YAMLException } from 'js-yaml';
import { join, relative, resolve } from 'path';
import { byCodeUnits } from '../config/content-hash';
import { identityOf, ObjectIdentity } from './identity';
import { manifestYaml } from './manifest-yaml';

/**
 * Apply order. `kubectl apply -f DIR` applies a folder's files in name order, so the file name
 * starts with the kind's rank: the Namespace first, then what the workload reads, then the workload.
 */
const KIND_RANK: Readonly<Record<string, number>> = {
  Namespace: 0,
  ConfigMap: 1,
  Secret: 2,
  // They stand for Secrets (the controller or operator creates the Secret from them).
  SealedSecret: 2,
  ExternalSecret: 2,
  Service: 3,
  Deployment: 4,
};
const OTHER_KINDS_RANK = 5;

/**
 * Kinds whose files hold secret material: written readable by the owner only. SealedSecrets and
 * ExternalSecrets hold none (ciphertext, or only where values live), so they are 0644 like the rest.
 */
export const SECRET_KINDS = new Set(['Secret']);

/** The mode of a file holding `objects`: owner-only when any of them holds secret material. */
export function fileMode(objects: readonly any[]): number {
  return objects.some((object) => SECRET_KINDS.has(object?.kind)) ? 0o600 : 0o644;
}

/** One file of an environment's output. */
export interface ManifestFile {
  readonly name: string;
  readonly content: string;
  readonly mode: number;
}

/**
 * cdk8s.yaml's `output:`, a scratch folder. cdk8s-cli deletes its output folder before it runs
 * the app (and with `output:` set, even for `--stdout`), so it is given one that holds nothing
 * of value; the program, seeing that folder in CDK8S_OUTDIR, writes dist/ as `npm run synth`
 * does and leaves links to the files it wrote there for cdk8s-cli to list.
 */
export const CDK8S_CLI_SCRATCH = '.cdk8s-out';

/** Whether CDK8S_OUTDIR is cdk8s.yaml's scratch folder: `npx cdk8s synth` runs the program. */
export function isCdk8sCliScratch(processEnv: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(processEnv.CDK8S_OUTDIR) && resolve(processEnv.CDK8S_OUTDIR!) === resolve(CDK8S_CLI_SCRATCH);
}

/** Where the manifests go: $CDK8S_OUTDIR (which cdk8s-cli sets), else dist; dist for cdk8s.yaml's scratch folder. */
export function outputFolder(processEnv: Readonly<Record<string, string | undefined>>): string {
  return isCdk8sCliScratch(processEnv) ? 'dist' : processEnv.CDK8S_OUTDIR || 'dist';
}

/**
 * For cdk8s-cli, which lists (and would validate) the YAML files in its output folder: a link
 * in `<scratch>/<environment>/` to each file of `<outdir>/<environment>/`. No copy: the
 * Secrets stay in dist/ only.
 */
export function linkForCdk8sCli(scratch: string, outdir: string, environment: string, files: readonly ManifestFile[]): void {
  const folder = join(scratch, environment);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const file of files) symlinkSync(relative(folder, join(outdir, environment, file.name)), join(folder, file.name));
}

/** An environment name is used as a folder name: keep it to one plain path segment. */
const ENVIRONMENT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Starts every file, so that files concatenated in any order are a valid YAML stream of one
 * object each: `cdk8s synth --stdout` prints the files back to back without separators.
 */
export const DOCUMENT_START = '---\n';

/**
 * The files for an environment's objects, one per object, sorted by name. See manifestFileNames.
 */
export function manifestFiles(objects: readonly any[]): ManifestFile[] {
  const names = manifestFileNames(objects);
  return objects
    .map((object, index) => ({
      name: names[index],
      content: DOCUMENT_START + manifestYaml(object),
      mode: fileMode([object]),
    }))
    .sort((a, b) => byCodeUnits(a.name, b.name));
}

/**
 * The file name of each object, in the order given: `<rank>-<kind>-<name>.yaml`. Objects of one
 * kind and name in different namespaces, or of same-named kinds in different API groups, are
 * different objects: those (and only those, so that the usual names never change) get the
 * namespace as `_<namespace>` and a group other than the core one as `@<group>`, as far as needed
 * to tell them apart (`2-secret-shared_team-a.yaml`, `5-certificate-web@cert-manager.io.yaml`).
 * Neither `_` nor `@` can occur in a kind, a name, a namespace or a group, so names stay unique
 * and the kind is always the word after the rank. Two objects of one identity (an error the
 * pipeline reports) would still share a name: writeEnvironment refuses that.
 */
export function manifestFileNames(objects: readonly any[]): string[] {
  const bases = objects.map((object) => `${KIND_RANK[object.kind] ?? OTHER_KINDS_RANK}-${String(object.kind).toLowerCase()}-${object.metadata.name}`);
  const sharing = new Map<string, ObjectIdentity[]>();
  bases.forEach((base, index) => {
    const identities = sharing.get(base);
    if (identities) identities.push(identityOf(objects[index]));
    else sharing.set(base, [identityOf(objects[index])]);
  });
  return bases.map((base, index) => {
    const others = sharing.get(base)!;
    if (others.length === 1) return `${base}.yaml`;
    const { namespace, group } = identityOf(objects[index]);
    const byNamespace = new Set(others.map((o) => o.namespace)).size > 1 && namespace !== '';
    const byGroup = new Set(others.map((o) => o.group)).size > 1 && group !== '';
    return `${base}${byNamespace ? `_${namespace}` : ''}${byGroup ? `@${group}` : ''}.yaml`;
  });
}

/** The kinds (lowercase, as in the file names manifestFileNames gives) of the objects in `folder`. */
export function kindsInFolder(folder: string): Set<string> {
  const names = exists(folder) ? readdirSync(folder) : [];
  return new Set(names.map((name) => /^\d+-([a-z0-9]+)-/.exec(name)?.[1]).filter((kind) => kind !== undefined));
}

/**
 * Replaces `<outdir>/<environment>/` with `files`, atomically as far as the file system allows:
 * the files are written into a temporary folder beside it, which is then renamed into place. If
 * anything fails before the rename, the previous output is left exactly as it was.
 *
 * Two files of one name (compared ignoring case, as macOS and Windows do) are refused before
 * anything is touched: the second would silently replace the first, and the summary would count
 * an object that is not there.
 */
export function writeEnvironment(outdir: string, environment: string, files: readonly ManifestFile[]): string {
  if (!ENVIRONMENT_NAME.test(environment)) {
    throw new Error(`"${environment}" cannot be an output folder name: use lowercase letters, digits and '-'`);
  }
  const clashes = sharedFileNames(files);
  if (clashes.length > 0) {
    throw new Error(`${join(outdir, environment)}/ was not written: several objects would be written to ${clashes.join(', ')}, each replacing the one before`);
  }
  ensureDirectory(outdir);
  recoverInterruptedSwap(outdir, environment);
  const target = join(outdir, environment);
  const staging = join(outdir, `.${environment}.new-${process.pid}`);
  const previous = join(outdir, `.${environment}.old-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    mkdirSync(staging, { mode: 0o755 });
    for (const file of files) writeFileSync(join(staging, file.name), file.content, { mode: file.mode });
    if (exists(target)) renameSync(target, previous);
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!exists(target) && exists(previous)) renameSync(previous, target);
    throw error;
  }
  rmSync(previous, { recursive: true, force: true });
  return target;
}

/** The file names (as first given) that more than one of `files` has, ignoring case. */
function sharedFileNames(files: readonly ManifestFile[]): string[] {
  const seen = new Map<string, number>();
  for (const { name } of files) seen.set(name.toLowerCase(), (seen.get(name.toLowerCase()) ?? 0) + 1);
  return files.map(({ name }) => name).filter((name, index, names) => seen.get(name.toLowerCase())! > 1
    && names.findIndex((other) => other.toLowerCase() === name.toLowerCase()) === index);
}

/**
 * A run killed between its two renames leaves the previous output as `.<env>.old-<pid>` and no
 * `<env>`: put it back before anything else, and drop half-written folders of killed runs.
 * Synth calls it first thing, so even a run that then fails repairs the output.
 */
export function recoverInterruptedSwap(outdir: string, environment: string): void {
  if (!exists(outdir) || !statSync(outdir).isDirectory()) return;
  const leftovers = readdirSync(outdir).filter((name) => name.startsWith(`.${environment}.old-`) || name.startsWith(`.${environment}.new-`));
  const target = join(outdir, environment);
  for (const name of leftovers.sort()) {
    if (name.startsWith(`.${environment}.old-`) && !exists(target)) {
      renameSync(join(outdir, name), target);
    } else {
      rmSync(join(outdir, name), { recursive: true, force: true });
    }
  }
}

function ensureDirectory(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error: any) {
    if (error.code === 'EEXIST' || error.code === 'ENOTDIR') {
      throw new Error(`the output folder ${path} cannot be used: a file of that name is in the way`);
    }
    throw error;
  }
  if (!statSync(path).isDirectory()) {
    throw new Error(`the output folder ${path} cannot be used: it is not a folder`);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The objects of the YAML files in `folder` (as synth writes them: one or more documents per
 * file). Errors name the file and line, never the content: Secret files are read here.
 */
export function readManifests(folder: string): any[] {
  const objects: any[] = [];
  for (const name of readdirSync(folder).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const file = join(folder, name);
    try {
      objects.push(...parseManifests(readFileSync(file, 'utf8')));
    } catch (error) {
      if (!(error instanceof YAMLException)) throw error;
      throw new Error(`${file}:${error.mark ? error.mark.line + 1 : '?'}: not valid YAML (${error.reason}); run synth again, or delete the file`);
    }
  }
  return objects;
}

/**
 * The objects of one YAML file as synth writes it (empty documents left out). Read with js-yaml's
 * core schema: manifestYaml quotes every string any YAML 1.1 or 1.2 reader could take for
 * something else, so the core schema reads exactly what was written, and about four times
 * faster than the \`yaml\` package (synth reads every earlier file, for retention). Throws a
 * YAMLException, whose message may quote the file: callers say where, never what.
 */
export function parseManifests(text: string): any[] {
  return loadAll(text, undefined, { schema: CORE_SCHEMA }).filter((object: any) => object && typeof object === 'object' && Object.keys(object).length > 0);
}
