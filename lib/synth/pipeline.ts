import { ApiObject, App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { existsSync } from 'fs';
import { join } from 'path';
import { byCodeUnits } from '../config/content-hash';
import { readLayerInputs, registryVariables, resolveLayers, ResolvedLayers, synthOnlyKeys } from '../config/layers';
import { settingProblems } from '../config/settings';
import { readEnvFile } from '../config/env-file';
import { hashKeyProblems, HashKeyUse } from '../config/hash-key';
import { clientSideApplyWarnings } from '../config/guard-rails';
import { LayeredConfig } from '../constructs/layered-config';
import { loosestPodSecurityLevel, podSecurityKey, podSecurityLabels, PodSecurityLevel, podSecurityLevels, podSecurityProblems } from '../constructs/pod-security';
import { imageRegistry, registryHost, RegistryPullSecret } from '../constructs/registry-pull-secret';
import { EnvironmentSettings } from '../environments';
import { EnvironmentContext, Project, RegistryAccess } from '../project';
import { lazyString, SecretBackend } from '../secrets/backend';
import { chooseSecretBackend, loadSecretBackend, readSealingCertificate, SecretBackendChoice, sharedSealingCertificate } from './backend-choice';
import { applySetProblems, pruneCommand } from './applyset';
import { filesGitWouldCommit, GitAnswer } from './git';
import { describeIdentity, identityOf, sharedIdentities } from './identity';
import { withoutNoise } from './noise';
import { fileMode, kindsInFolder, ManifestFile, manifestFileNames, manifestFiles, SECRET_KINDS } from './output';
import { ObjectRef, OutputFile, readOutputFiles, RETAINED_BYTES_LIMIT, Retention, retainVersions } from './retention';
import { validateObjectsWithNotes } from './validate';
import { imageFromVariable } from '../config/image-reference';
import { placeholderInputs, withoutPlaceholders } from './placeholder-secrets';

/**
 * The pipeline: env files → resolved layers (lib/config) → a secret backend per environment →
 * constructs in one Chart per environment → objects without noise (./noise.ts) → validated objects. Writing them is the caller's
 * (lib/synth/output.ts); explain and plan read the same result.
 */

/** What the process environment holds and where the output is. */
export interface SynthOptions {
  /** The process environment: secrets, registry credentials and the project's variables, for CI. */
  readonly processEnv: Readonly<Record<string, string | undefined>>;
  /**
   * The folder holding defaults.env and the environments' env files.
   * @default - the project's envDir
   */
  readonly envDir?: string;
  /**
   * Where the output goes and earlier output is (`<outdir>/<environment>/`): the config
   * versions that kept revisions read are carried forward from it, sealed environments keep the
   * ciphertext of every value that has not changed, and plain Secrets are refused where git would
   * commit them.
   * @default - none: nothing is carried, every value is sealed afresh, and git is not asked
   */
  readonly outdir?: string;
  /**
   * Synthesize without any secret value (`npm run plan -- --no-secrets`): no secrets file and no
   * process variable is read for layer 3; each key of the `.example` and the hash key get a
   * placeholder, and what the placeholders decide (Secret data, hashed names, `checksum/secret`,
   * ciphertexts) is taken from the earlier output or marked unknown (./placeholder-secrets.ts).
   * The objects are for comparing only: never to be written.
   * @default false
   */
  readonly withoutSecretValues?: boolean;
}

/** One environment, synthesized. */
export interface SynthesizedEnvironment {
  readonly environment: string;
  readonly layers: ResolvedLayers;
  readonly chart: Chart;
  /** The image the environment runs, and where it came from (see EnvironmentContext). */
  readonly image: string;
  readonly imageFrom: string;
  /** Every LayeredConfig in the environment (one per app). */
  readonly layeredConfigs: readonly LayeredConfig[];
  /** Every registry pull secret in the environment. */
  readonly pullSecrets: readonly RegistryPullSecret[];
  /** The Kubernetes objects, as JSON. */
  readonly objects: any[];
  /**
   * Files of the previous output kept as they were, byte for byte: the ConfigMap and Secret
   * versions that the Deployment's kept revisions read (lib/synth/retention.ts).
   */
  readonly carried: readonly OutputFile[];
  /** Objects of the previous output that this one no longer holds: what ApplySet pruning would delete. */
  readonly prunable: readonly ObjectRef[];
  /** Whether there was previous output (with nothing to carry from, a rollback finds no earlier config). */
  readonly previousOutput: boolean;
  /** Things worth a look that do not stop synthesis (never holding a value). */
  readonly warnings: string[];
  /** What the summary says about the environment besides its objects (never holding a value). */
  readonly notes: string[];
  /** With `withoutSecretValues`: the Secrets and SealedSecrets whose values could not be compared. */
  readonly secretsNotCompared: readonly ObjectRef[];
}

/**
 * Every file of an environment's output, in apply order: its objects' files and the earlier
 * config versions carried forward for rollback. What synth writes and `--stdout` prints.
 */
export function environmentFiles(synthesized: SynthesizedEnvironment): ManifestFile[] {
  // A carried file keeps its bytes, not its mode: one an older version wrote 0644 may hold a Secret.
  const carried = synthesized.carried.map((file) => ({ name: file.name, content: file.content, mode: fileMode(file.objects) }));
  return [...manifestFiles(synthesized.objects), ...carried].sort((a, b) => byCodeUnits(a.name, b.name));
}

/**
 * The environment owns its Namespace: every app built into it shares the one object, which
 * enforces the Pod Security level the loosest of them was allowed (restricted by default). The
 * level is read at synth time, once every workload is built.
 */
export function addNamespace(chart: Chart, name: string): kplus.Namespace {
  const enforce = lazyString(() => loosestPodSecurityLevel(chart)) as PodSecurityLevel;
  return new kplus.Namespace(chart, 'Namespace', { metadata: { name, labels: podSecurityLabels(enforce) } });
}

/**
 * Resolves and synthesizes the named environments, each in an App of its own (one Chart per
 * App keeps synthesis linear: cdk8s re-validates the whole App for every Chart).
 *
 * Every environment is resolved before anything is built, so that the problems of all of them
 * (say, the missing secrets of staging and of production) are reported together. Every object
 * is then validated (lib/synth/validate.ts), again reporting the problems of all environments together.
 */
export function synthEnvironments<S extends EnvironmentSettings>(project: Project<S>, names: readonly string[], options: SynthOptions): SynthesizedEnvironment[] {
  const { environments, build } = project;
  const envDir = options.envDir ?? project.envDir;
  const problems: string[] = [];
  const contexts: EnvironmentContext<S>[] = [];
  const backendChoices = new Map<string, SecretBackendChoice>();
  const previousOutputs = new Map<string, OutputFile[]>();
  for (const name of names) {
    const settings = environments[name];
    try {
      const choice = chooseSecretBackend(name, settings, options.processEnv, envDir, project);
      backendChoices.set(name, choice);
      if (choice.kind === 'plain' && options.outdir) refuseGitTrackedFolder(join(options.outdir, name), name);
      // Read once: the sealed backend keeps its ciphertexts from it, retention its versions.
      const previous = options.outdir ? readOutputFiles(join(options.outdir, name)) : [];
      previousOutputs.set(name, previous);
      const previousObjects = previous.flatMap((file) => file.objects);
      const placeholders = options.withoutSecretValues === true && choice.kind !== 'external';
      const inputs = readLayerInputs(envDir, name, {
        synthKeys: project.synthKeys,
        requireRegistryCredentials: settings.requireRegistryCredentials,
        exceptions: project.guardRailExceptions,
        secretsInCluster: choice.kind === 'external',
        withoutSecretValues: options.withoutSecretValues,
      });
      // Without secret values, no secret comes from the process environment either.
      const layers = placeholders ? resolveLayers(placeholderInputs(inputs, previousObjects), {}) : resolveLayers(inputs, options.processEnv);
      if (project.settings) {
        problems.push(...settingProblems(project.settings, {
          environment: name,
          config: layers.config,
          // Placeholders stand in for the values: only the keys can be judged.
          secrets: placeholders ? [] : layers.secrets,
          secretKeysWithoutValues: placeholders ? layers.secrets.map((v) => v.key) : layers.externalSecretKeys,
          defaultsFile: join(envDir, 'defaults.env'),
          environmentFile: join(envDir, `${name}.env`),
          secretsFile: inputs.secretsPath,
        }, synthOnlyKeys(project.synthKeys)));
      }
      const secretBackend = loadSecretBackend(choice, { previousObjects, hashKey: layers.hashKey, annotationPrefix: project.name });
      const { image, imageFrom } = environmentImage(project, settings, options.processEnv);
      contexts.push({ environment: name, settings, layers, secretBackend, image, imageFrom, registryAccess: registryAccessFor(project, settings, layers, secretBackend) });
    } catch (error) {
      problems.push((error as Error).message);
      // So that a bad certificate is reported in the same run as missing secrets.
      const choice = backendChoices.get(name);
      if (choice?.kind === 'sealed') problems.push(...attempt(() => readSealingCertificate(choice.certificateFile)));
    }
  }
  if (names.length > 1) problems.push(...sharedProcessSecrets(contexts.map((c) => c.layers), project, envDir), ...sharedSealingCertificate(backendChoices, project.variables.sealingCertificate));
  // Placeholders are one value everywhere: there is no key or secret of the user's to judge.
  if (!options.withoutSecretValues) problems.push(...weakHashKeys(contexts, environments, envDir, project.variables.hashKey));
  const sharedSecrets = options.withoutSecretValues ? new Map<string, string[]>() : sharedSecretValueWarnings(contexts);
  failOn(problems);

  const synthesized = contexts.map((context) => {
    const chart = new Chart(new App(), context.environment);
    addNamespace(chart, context.settings.namespace);
    build(chart, context);
    const previous = previousOutputs.get(context.environment) ?? [];
    const constructs = chart.node.findAll();
    const layeredConfigs = constructs.filter((c): c is LayeredConfig => c instanceof LayeredConfig);
    let built = withoutNoise(chart.toJson());
    let secretsNotCompared: readonly ObjectRef[] = [];
    if (options.withoutSecretValues && context.secretBackend.holdsValues) {
      // Before retention, so that it sees the names the earlier output holds.
      const placeholderSecrets = layeredConfigs.map((config) => ({
        namespace: config.namespace, base: config.secretBaseName, name: config.secretName, restartHash: config.backendSecret.restartHash(),
      }));
      ({ objects: built, notCompared: secretsNotCompared } = withoutPlaceholders(built, previous.flatMap((file) => file.objects), placeholderSecrets, project.name));
    }
    // Plain Secrets may only be carried where plain Secrets are written: never into a folder of
    // SealedSecrets or ExternalSecrets, which may be committed.
    const retention = retainVersions(previous, built, { carryPlainSecrets: context.secretBackend.name === 'plain', annotationPrefix: project.name });
    const objects = retention.objects;
    const warnings = [...context.layers.warnings, ...clientSideApplyWarnings(context.environment, objects, context.layers),
      ...(sharedSecrets.get(context.environment) ?? [])];
    if (retention.droppedForSize.length > 0) {
      warnings.push(`${context.environment}: ${retention.droppedForSize.map((ref) => `${ref.kind} ${ref.name}`).join(', ')} left out: ` +
        `the earlier config versions kept for rollback would exceed ${RETAINED_BYTES_LIMIT / 1024 / 1024} MiB, so the oldest revisions can no longer be rolled back to`);
    }
    const pullSecrets = constructs.filter((c): c is RegistryPullSecret => c instanceof RegistryPullSecret);
    return {
      environment: context.environment,
      layers: context.layers,
      image: context.image,
      imageFrom: context.imageFrom,
      chart,
      layeredConfigs,
      secretsNotCompared,
      pullSecrets,
      objects,
      carried: retention.carried,
      prunable: retention.prunable,
      previousOutput: previous.length > 0,
      warnings,
      notes: [
        ...missingPullSecretNotes(project, context, objects),
        ...(options.outdir ? retentionNotes(join(options.outdir, context.environment), objects, retention, previous.length > 0, project.name) : []),
      ],
    };
  });
  for (const { environment, chart, objects } of synthesized) problems.push(...sameObjectProblems(environment, chart, objects));
  for (const { environment, layeredConfigs } of synthesized) problems.push(...sharedVersionLines(environment, layeredConfigs));
  // What the API server (or kubectl's ApplySet pruning) would reject is a synth error, not a
  // surprise at `kubectl apply`.
  for (const { environment, chart, objects, notes } of synthesized) {
    const validation = validateObjectsWithNotes(objects, { schemas: project.customResourceSchemas });
    problems.push(...[...validation.problems, ...applySetProblems(objects, project.name), ...finalPodSecurityProblems(chart, objects)].map((problem) => `${environment}: ${problem}`));
    notes.push(...validation.notes);
  }
  if (options.outdir) {
    const outdir = options.outdir;
    // One git call for every environment: starting git is most of what the check costs.
    const secretFiles = synthesized.flatMap(({ environment, objects, carried }) => {
      const written = [...objects, ...carried.flatMap((file) => file.objects)];
      return manifestFileNames(written).filter((_, index) => SECRET_KINDS.has(written[index].kind)).map((name) => `${environment}/${name}`);
    });
    const answer = filesGitWouldCommit(outdir, secretFiles, options.processEnv);
    for (const { environment } of synthesized) {
      const { problem } = refuseSecretsGitWouldCommit(join(outdir, environment), environment, answerFor(answer, environment));
      if (problem) problems.push(problem);
    }
  }
  failOn(problems);
  return synthesized;
}

/**
 * Pod Security, checked on the objects as they are written (a JSON patch or an ApiObject
 * workload the helper never saw included): each workload at the level applyRestrictedPodSecurity
 * allowed it, any other at what its Namespace enforces (none without the label; restricted when
 * the output holds no such Namespace), which is what admission will hold it to.
 */
function finalPodSecurityProblems(chart: Chart, objects: readonly any[]): string[] {
  const levels = podSecurityLevels(chart);
  const enforced = new Map<string, PodSecurityLevel>(objects.filter((o) => o?.kind === 'Namespace' && o?.apiVersion === 'v1')
    .map((o) => [o.metadata?.name, (o.metadata?.labels?.['pod-security.kubernetes.io/enforce'] ?? 'privileged') as PodSecurityLevel]));
  return podSecurityProblems(objects, (object) =>
    levels.get(podSecurityKey(object.kind, object.metadata?.namespace, object.metadata?.name)) ?? enforced.get(object.metadata?.namespace) ?? 'restricted');
}

/** The part of git's answer (about `<environment>/<file>` paths under the output folder) for one environment's files. */
function answerFor(answer: GitAnswer, environment: string): GitAnswer {
  if (answer.kind !== 'answered') return answer;
  const prefix = `${environment}/`;
  const own = (paths: readonly string[]) => paths.filter((path) => path.startsWith(prefix)).map((path) => path.slice(prefix.length));
  return { kind: 'answered', wouldCommit: own(answer.wouldCommit), tracked: own(answer.tracked) };
}

/**
 * Two LayeredConfigs with one base name in one namespace and different data write two versions
 * side by side (no object replaces the other), but retention, plan and rollback read the versions
 * of a base name as one line, the later replacing the earlier: each is a problem naming both.
 * Same data makes the same object, which sameObjectProblems reports.
 */
function sharedVersionLines(environment: string, configs: readonly LayeredConfig[]): string[] {
  const problems: string[] = [];
  const lines = [
    { kind: 'ConfigMap', base: (c: LayeredConfig) => c.configMapBaseName, name: (c: LayeredConfig) => c.configMapName },
    { kind: 'Secret', base: (c: LayeredConfig) => c.secretBaseName, name: (c: LayeredConfig) => c.secretName },
  ];
  for (const { kind, base, name } of lines) {
    const byBase = new Map<string, LayeredConfig[]>();
    for (const config of configs) {
      const key = JSON.stringify([config.namespace, base(config)]);
      byBase.set(key, [...(byBase.get(key) ?? []), config]);
    }
    for (const sharing of byBase.values()) {
      if (sharing.length < 2 || new Set(sharing.map(name)).size === 1) continue;
      const paths = sharing.map((config) => config.node.path);
      problems.push(`${environment}: ${paths.slice(0, -1).join(', ')} and ${paths[paths.length - 1]} ${paths.length === 2 ? 'both' : 'all'} make versions of ` +
        `${kind} ${base(sharing[0])} in namespace ${sharing[0].namespace}: rollback, retention and plan would take one for a newer version ` +
        'of the other. Give each its own name or namespace');
    }
  }
  return problems;
}

/** What the summary says about earlier config versions and pruning (names only, never values). */
function retentionNotes(folder: string, objects: readonly any[], retention: Retention, previousOutput: boolean, projectName: string): string[] {
  if (!previousOutput) {
    return [`no previous output in ${folder}/: no earlier config versions carried forward, so \`kubectl rollout undo\` to a ` +
      'revision applied before this one will find no ConfigMap or Secret, and nothing can be listed for pruning ' +
      '(keep the folder between runs: a CI artifact or cache)'];
  }
  const notes: string[] = [];
  const kept = retention.carried.flatMap((file) => file.objects).map((o) => `${o.kind} ${o.metadata?.name}`);
  if (kept.length > 0) notes.push(`kept for rollback: ${kept.join(', ')}`);
  if (retention.prunable.length > 0) {
    const namespace = objects.find((o) => o.kind === 'Namespace')?.metadata?.name ?? '<namespace>';
    notes.push('no longer in the output (npm run plan lists them; kubectl apply leaves them in the cluster): ' +
      `${retention.prunable.map((ref) => `${ref.kind} ${ref.name}`).join(', ')}; prune with: ${pruneCommand(namespace, folder, projectName)}`);
  }
  return notes;
}

/**
 * Two objects of one identity in an environment (two apps or LayeredConfigs given the same names)
 * would be one file in dist/, holding the last one only, and one object in the cluster: the other's
 * data would be lost without a word. Each such identity is a problem naming the constructs that
 * made the objects, found only then (toJson per object is the costly part).
 */
function sameObjectProblems(environment: string, chart: Chart, objects: readonly any[]): string[] {
  const shared = sharedIdentities(objects);
  if (shared.length === 0) return [];
  const paths = new Map<string, string[]>();
  for (const apiObject of chart.node.findAll().filter(ApiObject.isApiObject)) {
    const key = JSON.stringify(identityOf(apiObject.toJson()));
    paths.set(key, [...(paths.get(key) ?? []), apiObject.node.path]);
  }
  return shared.map(([first]) => {
    const identity = identityOf(objects[first]);
    const makers = paths.get(JSON.stringify(identity)) ?? [];
    const list = `${makers.slice(0, -1).join(', ')} and ${makers[makers.length - 1]}`;
    return `${environment}: ${list} ${makers.length === 2 ? 'both' : 'all'} make ${describeIdentity(identity)}: ` +
      'in dist/ and in the cluster one would replace the other. Give each its own name or namespace';
  });
}

/**
 * Plain Secrets (base64 is not encryption) must never be committed. Whatever the backend, a file of
 * a kind in SECRET_KINDS that git would commit (the folder un-ignored, say `!dist/staging/` in
 * .gitignore, or the file already tracked) is refused; sealed and external environments write no
 * such file, and then git is not even asked. Outside a work tree there is nothing to check.
 */
function refuseSecretsGitWouldCommit(folder: string, environment: string, answer: GitAnswer): { problem?: string } {
  if (answer.kind === 'failed') {
    // Fail closed: in a work tree, a git that cannot answer might commit the values.
    const trust = `git config --global --add safe.directory ${answer.workTree ?? '<the repository>'}`;
    const fix = /dubious ownership/.test(answer.reason) ? `trust the repository (${trust})`
      : /not installed/.test(answer.reason) ? 'install git' : 'mend what git names';
    return { problem: `${environment}: git could not say whether it would commit the plain Secrets synth writes to ${folder}/ ` +
      `(git: ${answer.reason}). To synthesize, ${fix}, or run synth outside the git work tree, or use the sealed or external secret backend for ${environment}` };
  }
  if (answer.kind === 'outside' || answer.wouldCommit.length === 0) return {};
  const tracked = answer.tracked;
  const untracked = answer.wouldCommit.filter((name) => !tracked.includes(name));
  const otherBackend = `or use the sealed or external secret backend for ${environment}`;
  const parts = [
    ...(untracked.length > 0
      ? [`git would commit the plain Secrets synth writes to ${folder}/ (${untracked.join(', ')}), as no ignore rule excludes ` +
        `them. Have git ignore ${folder}/ (the project's .gitignore has dist/*; a line like !dist/${environment}/ un-ignores it), ${otherBackend}`]
      : []),
    ...(tracked.length > 0
      ? [`git already tracks ${tracked.map((name) => `${folder}/${name}`).join(', ')}, where synth would write plain secret values. ` +
        `Untrack ${tracked.length > 1 ? 'them' : 'it'} (git rm --cached; rotate any value already committed) and keep ${folder}/ ignored, ${otherBackend}`]
      : []),
  ];
  return { problem: parts.map((part) => `${environment}: ${part}`).join('\n') };
}

/**
 * Without registry credentials an environment that does not require them (dev) gets no pull
 * secret, and its pods pull from the registry anonymously: fine for a public image, ImagePullBackOff
 * (401) for a private one. The summary says so rather than nothing, for each workload that pulls
 * from one of the project's registries with no pull secret attached.
 */
function missingPullSecretNotes(project: Project<any>, context: EnvironmentContext<any>, objects: readonly any[]): string[] {
  return project.registries.flatMap((registry) => {
    const host = registryHost(registry.server);
    const pulls = objects.flatMap((object) => podSpecsOf(object)
      .filter((spec) => !(spec.imagePullSecrets?.length > 0))
      .flatMap((spec) => [...(spec.initContainers ?? []), ...(spec.containers ?? [])])
      .map((container) => String(container.image ?? ''))
      .filter((image) => imageRegistry(image) === host)
      .map((image) => `${object.kind} ${object.metadata?.name} pulls ${image}`));
    if (pulls.length === 0) return [];
    const fix = context.secretBackend.holdsValues
      ? `set both ${registry.username} and ${registry.password}, in the shell or ${join(project.envDir, `${context.environment}.secrets.env`)}`
      : `set requireRegistryCredentials for ${context.environment} in the project definition (the ${context.secretBackend.name} backend ` +
        `then reads ${registry.username} and ${registry.password} from the store)`;
    return [`no pull secret: ${[...new Set(pulls)].join(', ')} without registry credentials. A private image cannot be ` +
      `pulled (ImagePullBackOff); to attach a pull secret, ${fix}`];
  });
}

/**
 * An environment's pull secret props for one of the project's registries. A backend that keeps
 * values in a store reads the credentials there: the pull secret is then written whenever the
 * environment requires one. A backend that writes values needs both (or, where not required,
 * writes none without them).
 */
function registryAccessFor(project: Project<any>, settings: EnvironmentSettings, layers: ResolvedLayers, backend: SecretBackend): (server: string) => RegistryAccess | undefined {
  return (server) => {
    const registry = project.registries.find((r) => r.server === server);
    if (!registry) {
      throw new Error(`no credentials are defined for the registry ${server}: add it to the project definition's registries ` +
        `(known: ${project.registries.map((r) => r.server).join(', ') || 'none'})`);
    }
    const storeKeys = { username: registry.username, password: registry.password };
    if (!backend.holdsValues) return settings.requireRegistryCredentials ? { server, storeKeys } : undefined;
    const credentials = layers.registries[server];
    return credentials && { server, username: credentials.username, password: credentials.password, storeKeys };
  };
}

/**
 * The image an environment runs: the project's image variable when set (a full reference, or
 * only `:<tag>` or `@<digest>` for the environment's own image), else the environment's `image`.
 */
function environmentImage(project: Project<any>, settings: EnvironmentSettings, processEnv: Readonly<Record<string, string | undefined>>): { image: string; imageFrom: string } {
  const variable = project.variables.image;
  const value = Object.hasOwn(processEnv, variable) ? processEnv[variable] : undefined;
  // Checks the default too: a typo in the project definition is found before anything is built.
  const image = imageFromVariable(variable, value, settings.image);
  return { image, imageFrom: value === undefined || value === '' ? 'the project definition' : `$${variable}` };
}

/** The pod specs of a workload object (none for other kinds). */
function podSpecsOf(object: any): any[] {
  const spec = object?.kind === 'Pod' ? object.spec
    : object?.kind === 'CronJob' ? object.spec?.jobTemplate?.spec?.template?.spec
      : object?.spec?.template?.spec;
  return spec && typeof spec === 'object' ? [spec] : [];
}

/** The message of what `run` throws, if it throws. */
function attempt(run: () => unknown): string[] {
  try {
    run();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/**
 * A folder of SealedSecrets or ExternalSecrets may be committed (GitOps); plain Secrets written
 * over it (say, a `<PREFIX>_SECRET_BACKEND=plain` left over) would put secret values into git.
 */
function refuseGitTrackedFolder(folder: string, environment: string): void {
  const kinds = kindsInFolder(folder);
  if (kinds.has('sealedsecret') || kinds.has('externalsecret')) {
    throw new Error(
      `${environment}: ${folder}/ holds SealedSecrets or ExternalSecrets (it may be committed to git); plain ` +
      `Secrets written there would put secret values in it. Use that environment's backend, or delete ${folder}/ first.`);
  }
}

/**
 * The hash key of every real environment in this run (one with secrets of its own, not dev's
 * committed fakes, and a backend that hashes values) against hashKeyProblems: long enough, in no
 * committed file (the fake environments' secrets files, any `.example`), and its own, compared with
 * the other environments of this run and with the secrets files of those not in it.
 */
function weakHashKeys(contexts: readonly EnvironmentContext<any>[], environments: Readonly<Record<string, EnvironmentSettings>>, envDir: string, variable: string): string[] {
  const inRun = new Map(contexts.filter((c) => c.layers.hashKey !== '')
    .map((c) => [c.environment, { environment: c.environment, value: c.layers.hashKey, at: c.layers.hashKeyAt }]));
  const fromFile = (environment: string, file: string): HashKeyUse[] => {
    const path = join(envDir, file);
    if (!existsSync(path)) return [];
    try {
      const entry = readEnvFile(path, { sensitive: true }).find((e) => e.key === variable && e.value !== '');
      return entry ? [{ environment, value: entry.value, at: `${entry.file}:${entry.line}` }] : [];
    } catch {
      return []; // That environment's own synth reports its file.
    }
  };
  const names = Object.keys(environments);
  const committed = names.flatMap((name) => [
    ...(environments[name].fakeSecrets ? fromFile(name, `${name}.secrets.env`) : []),
    ...fromFile(name, `${name}.secrets.env.example`),
  ]);
  const real = names.filter((name) => !environments[name].fakeSecrets);
  const others = real.flatMap((name) => inRun.has(name) ? [inRun.get(name)!] : fromFile(name, `${name}.secrets.env`));
  return [...inRun.values()].filter((use) => !environments[use.environment].fakeSecrets)
    .flatMap((use) => hashKeyProblems(use, committed, others, variable));
}

/**
 * A secret that two environments of this run hold with one value: a compromise of the one (staging,
 * say) reaches the other. Compared in memory, only when both values are at hand (so never in a
 * run without secrets, such as a pull request's plan); the warning names the key and the
 * environments, never anything of the value, and goes to the last environment of each group.
 */
function sharedSecretValueWarnings(contexts: readonly EnvironmentContext<any>[]): Map<string, string[]> {
  const warnings = new Map<string, string[]>();
  const keys = [...new Set(contexts.flatMap((c) => c.layers.secrets.map((v) => v.key)))].sort(byCodeUnits);
  for (const key of keys) {
    const byValue = new Map<string, EnvironmentContext<any>[]>();
    for (const context of contexts) {
      const held = context.layers.secrets.find((v) => v.key === key);
      if (held && held.value !== '') byValue.set(held.value, [...(byValue.get(held.value) ?? []), context]);
    }
    for (const group of byValue.values()) {
      if (group.length < 2) continue;
      const names = group.map((c) => c.environment);
      const fake = group.filter((c) => c.settings.fakeSecrets).map((c) => c.environment);
      const last = names[names.length - 1];
      const risk = fake.length > 0
        ? `${fake.join(' and ')}'s secrets are committed to the repository: treat the value as public and replace it`
        : `a compromise of one reaches the others: give each environment its own`;
      warnings.set(last, [...(warnings.get(last) ?? []), `${last}: ${key} holds the same value in ${names.slice(0, -1).join(', ')} and ${last}: ${risk}`]);
    }
  }
  return warnings;
}

/** Throws one error holding every problem, each once (defaults.env is shared by all environments). */
function failOn(problems: readonly string[]): void {
  if (problems.length > 0) throw new Error([...new Set(problems.join('\n').split('\n'))].join('\n'));
}

/**
 * Process variables are not scoped by environment: a database password set for one run would
 * become the password of every environment it synthesizes. So with several environments
 * selected, only the registry credentials (one account can serve all) may come from there.
 */
function sharedProcessSecrets(resolved: readonly ResolvedLayers[], project: Project<any>, envDir: string): string[] {
  const registryKeys = registryVariables(project.synthKeys);
  return resolved
    .map((layers) => ({ environment: layers.environment, keys: layers.fromProcessEnv.filter((key) => !registryKeys.includes(key)) }))
    .filter(({ keys }) => keys.length > 0)
    .map(({ environment, keys }) =>
      `${environment}: ${keys.join(', ')} would come from the process environment, which every selected environment ` +
      `shares: unset them and use ${join(envDir, `${environment}.secrets.env`)}, or synthesize one environment per run`);
}
