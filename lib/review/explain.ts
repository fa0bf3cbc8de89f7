import { debugRequested, Project, selectedEnvironments } from '../project';
import { describeSetting, SettingsSchema } from '../config/settings';
import { helpText, isHelpRequest, refuseArguments } from '../synth/commands';
import { EffectiveVar, effectiveEnvironment, namespaceData, ObjectRef, VarOrigin } from './kubelet-env';
import { ResolvedValue, Source } from '../config/layers';
import { Columns, CommandIO, failureLines, Output, outputFor, STANDARD_IO } from '../terminal';
import { outputFolder } from '../synth/output';
import { SynthesizedEnvironment, synthEnvironments } from '../synth/pipeline';

/** One container's environment, explained: each variable with where it came from. */
export interface ContainerExplanation {
  readonly environment: string;
  /** `Deployment web`. */
  readonly workload: string;
  readonly namespace: string;
  readonly container: string;
  readonly vars: readonly ExplainedVar[];
  /** What the kubelet would complain about (a missing referenced object, say). */
  readonly problems: readonly string[];
}

export interface ExplainedVar extends EffectiveVar {
  /** Where the value was written: `env/dev.env:3 (environment) via ConfigMap web-config`. */
  readonly from: string;
  /** What it replaced, first applied first: layers below it and envFrom sources before it. */
  readonly overrides: readonly string[];
}

/**
 * The containers of an environment's workloads, each with its effective environment as the
 * kubelet will build it from the synthesized objects, and every ConfigMap or Secret key traced
 * back to its env file line through the resolved layers.
 */
export function explainEnvironment(synthesized: SynthesizedEnvironment): ContainerExplanation[] {
  const { environment, objects, layers, layeredConfigs } = synthesized;
  // Key → resolved value, for the objects the layers became: that is how a key finds its line.
  // Every LayeredConfig of an environment is fed from the environment's layers.
  const provenance = new Map<string, Map<string, ResolvedValue>>(layeredConfigs.flatMap((config) => [
    [`ConfigMap/${config.configMapName}`, new Map(layers.config.map((v) => [v.key, v]))],
    [`Secret/${config.secretName}`, new Map(layers.secrets.map((v) => [v.key, v]))],
  ] as const));
  const layerValue = (ref: ObjectRef | undefined, key: string | undefined) =>
    ref && key !== undefined ? provenance.get(`${ref.kind}/${ref.name}`)?.get(key) : undefined;

  const explanations: ContainerExplanation[] = [];
  for (const workload of objects.filter((o) => o.spec?.template?.spec?.containers)) {
    const namespace = workload.metadata.namespace;
    const pod = workload.spec.template.spec;
    const data = namespaceData(objects, namespace);
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      const { vars, problems } = effectiveEnvironment(container, data, { enableServiceLinks: pod.enableServiceLinks });
      explanations.push({
        environment,
        workload: `${workload.kind} ${workload.metadata.name}`,
        namespace,
        container: container.name,
        problems: problems.map((p) => p.message),
        vars: vars.map((v) => ({
          ...v,
          from: describeOrigin(v.origin, layerValue),
          overrides: [
            ...v.overrode.flatMap((o) => [...layerOverrides(o, layerValue), describeOrigin(o, layerValue)]),
            ...layerOverrides(v.origin, layerValue),
          ],
        })),
      });
    }
  }
  return explanations;
}

type LayerLookup = (ref: ObjectRef | undefined, key: string | undefined) => ResolvedValue | undefined;

function originRef(origin: VarOrigin): { ref?: ObjectRef; key?: string } {
  return origin.type === 'envFrom' || origin.type === 'valueFrom' ? { ref: origin.ref, key: origin.key } : {};
}

function describeSource(source: Source): string {
  return source.layer === 'process-env' ? `${source.at} (process environment)` : `${source.at} (${source.layer})`;
}

function describeOrigin(origin: VarOrigin, layerValue: LayerLookup): string {
  switch (origin.type) {
    case 'envFrom':
    case 'valueFrom': {
      if (origin.type === 'valueFrom' && !origin.ref) return `valueFrom ${origin.field}, set by the cluster`;
      if (!origin.ref) return '';
      const resolved = layerValue(origin.ref, origin.key);
      const object = `${origin.ref.kind} ${origin.ref.name}${origin.type === 'valueFrom' ? ` key ${origin.key} (env[${origin.index}])` : ''}`;
      const prefix = origin.type === 'envFrom' && origin.prefix ? ` with prefix ${origin.prefix}` : '';
      return resolved ? `${describeSource(resolved.source)} via ${object}${prefix}` : `${object}${prefix}`;
    }
    case 'env':
      return `env[${origin.index}] of the container${origin.expanded.length > 0 ? `, expanding ${origin.expanded.map((n) => `$(${n})`).join(' ')}` : ''}`;
    case 'service':
      return `link variable of Service ${origin.service}, set by the cluster`;
  }
}

/** The lower layers a ConfigMap or Secret key's value replaced in the env files. */
function layerOverrides(origin: VarOrigin, layerValue: LayerLookup): string[] {
  const { ref, key } = originRef(origin);
  return (layerValue(ref, key)?.overrides ?? []).map(describeSource);
}

/** A value as it may be shown: a secret never, nor anything derived from it (its size included). */
function displayValue(v: EffectiveVar): string {
  if (v.secret) return '<secret>';
  return v.value ?? v.template ?? '';
}

/** The per-container report. */
export function renderContainer(explanation: ContainerExplanation, out: Output): string[] {
  const { environment, workload, container, namespace } = explanation;
  const lines = [out.bold(`${environment}: ${workload}, container ${container} (namespace ${namespace})`)];
  if (out.aligned) {
    const table = new Columns(['KEY', 'VALUE', 'FROM', 'OVERRIDES'].map((h) => out.dim(h)));
    for (const v of explanation.vars) {
      table.add([v.name, out.value(displayValue(v), v.secret), out.dim(v.from), out.dim(v.overrides.join('; '))]);
    }
    lines.push(...table.render('  '));
  } else {
    for (const v of explanation.vars) {
      const overrides = v.overrides.length > 0 ? `; overrides ${v.overrides.join('; ')}` : '';
      lines.push(`${v.name}=${displayValue(v)}  # ${v.from}${overrides}`);
    }
  }
  for (const problem of explanation.problems) lines.push(out.warn(`warning: ${problem}`));
  return lines;
}

/**
 * A key-by-environment table of the same container across environments: values (secrets
 * masked), and whether they are the same everywhere, differ, or are missing somewhere. Secrets
 * are not compared here: "same" or "differs" would say something of their values in every log
 * that holds this output. Two environments that share a secret get synth's warning instead. Service link variables are left out:
 * their values are the cluster's.
 */
export function renderComparison(explanations: readonly ContainerExplanation[], out: Output): string[] {
  const environments = [...new Set(explanations.map((e) => e.environment))];
  const lines: string[] = [];
  const containers = [...new Set(explanations.map((e) => `${e.workload}, container ${e.container}`))];
  for (const container of containers) {
    const byEnvironment = new Map(explanations
      .filter((e) => `${e.workload}, container ${e.container}` === container)
      .map((e) => [e.environment, new Map(e.vars.filter((v) => v.origin.type !== 'service').map((v) => [v.name, v]))]));
    const names = [...new Set([...byEnvironment.values()].flatMap((vars) => [...vars.keys()]))].sort();
    lines.push(out.bold(`${container}, across ${environments.join(', ')}`));
    const table = new Columns(['KEY', ...environments, ''].map((h) => out.dim(h)));
    for (const name of names) {
      const cells = environments.map((env) => byEnvironment.get(env)?.get(name));
      const missing = environments.filter((_, i) => !cells[i]);
      const status = missing.length > 0 ? `missing in ${missing.join(', ')}`
        : cells.some((c) => c!.secret) ? 'secret, not compared' : agreement(environments, cells as ExplainedVar[]);
      const shown = cells.map((c) => (c ? displayValue(c) : '—'));
      if (out.aligned) {
        table.add([name, ...shown.map((s, i) => out.value(s, cells[i]?.secret ?? false)), status === 'same' || status === 'secret, not compared' ? out.dim(status) : out.warn(status)]);
      } else {
        lines.push(`${name}: ${environments.map((env, i) => `${env}=${quoteIfNeeded(shown[i])}`).join(' ')}  # ${status}`);
      }
    }
    if (out.aligned) lines.push(...table.render('  '));
  }
  return lines;
}

/** The project's declared settings: each key's type, whether required or secret, and its description. */
export function renderSettings(settings: SettingsSchema, out: Output): string[] {
  const keys = Object.keys(settings).sort();
  const table = new Columns(['KEY', 'SETTING'].map((h) => out.dim(h)));
  for (const key of keys) table.add([key, describeSetting(settings[key])]);
  return [out.bold('settings, as the project definition declares them'), ...(out.aligned ? table.render('  ') : keys.map((key) => `${key}: ${describeSetting(settings[key])}`))];
}

/** `same`, or `differs` with the environments that agree with each other: `differs (staging = production)`. */
function agreement(environments: readonly string[], cells: readonly ExplainedVar[]): string {
  const groups = new Map<string, string[]>();
  cells.forEach((c, i) => {
    const identity = JSON.stringify([c.secret, c.value, c.template]);
    groups.set(identity, [...(groups.get(identity) ?? []), environments[i]]);
  });
  if (groups.size === 1) return 'same';
  const agreeing = [...groups.values()].filter((g) => g.length > 1).map((g) => g.join(' = '));
  return agreeing.length > 0 ? `differs (${agreeing.join('; ')})` : 'differs';
}

function quoteIfNeeded(value: string): string {
  return value === '' || /[\s"']/.test(value) ? JSON.stringify(value) : value;
}

/**
 * `npm run explain`: for the environments in the project's environment variable (as synth selects them), every
 * container's effective environment; with several environments, the comparison table too.
 * Returns the exit code: 0, or 2 with one message on an error (as plan: 1 would read as "changes").
 */
export function explainCommand(project: Project<any>, processEnv: Readonly<Record<string, string | undefined>>, io: CommandIO = STANDARD_IO, args: readonly string[] = []): number {
  // Before anything is read: help needs no env file, variable or secret.
  if (isHelpRequest(args)) {
    helpText('explain', project).forEach((line) => io.out(line));
    return 0;
  }
  try {
    refuseArguments('explain', args);
    const names = selectedEnvironments(project, processEnv[project.variables.environment]);
    // With the output folder, as synth and plan: sealed values keep their ciphertext.
    const synthesized = synthEnvironments(project, names, { processEnv, outdir: outputFolder(processEnv) });
    // The same warnings synth prints, so what explain shows is never read without them.
    for (const warning of new Set(synthesized.flatMap((s) => s.warnings))) io.err(`warning: ${warning}`);
    const explanations = synthesized.flatMap(explainEnvironment);
    const out = outputFor(io.isTTY, processEnv);
    const blocks = explanations.map((e) => renderContainer(e, out));
    if (names.length > 1) blocks.push(renderComparison(explanations, out));
    if (project.settings) blocks.push(renderSettings(project.settings, out));
    blocks.forEach((block, i) => {
      if (i > 0) io.out('');
      block.forEach((line) => io.out(line));
    });
    return 0;
  } catch (error) {
    failureLines('explain', error, debugRequested(project, processEnv)).forEach((line) => io.err(line));
    return 2;
  }
}
