import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { POD_SPEC_POINTERS } from './pod-spec';

/**
 * Pod Security Standards levels, from most to least strict. A namespace label names the one it
 * enforces; a workload meets a level when nothing in its pod spec needs a looser one.
 */
export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

/**
 * The policy version the namespace labels pin. The admission controller evaluates a pinned
 * version with that version's checks, so a cluster upgrade cannot start rejecting pods before
 * someone bumps this on purpose (`latest` would); a cluster older than the pin evaluates its own
 * newest checks. v1.32: the Kubernetes version this project is checked against (kubectl 1.32,
 * envFrom key validation as of 1.32).
 */
export const POD_SECURITY_VERSION = 'v1.32';

/**
 * The Namespace labels for Pod Security admission: `enforce` at `enforce` (restricted unless a
 * workload's relaxation needs less), `warn` and `audit` always at restricted, so a relaxed
 * workload still shows up on every `kubectl apply` and in the audit log.
 */
export function podSecurityLabels(enforce: PodSecurityLevel = 'restricted'): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': enforce,
    'pod-security.kubernetes.io/enforce-version': POD_SECURITY_VERSION,
    'pod-security.kubernetes.io/warn': 'restricted',
    'pod-security.kubernetes.io/warn-version': POD_SECURITY_VERSION,
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/audit-version': POD_SECURITY_VERSION,
  };
}


/**
 * A container security context to merge over the restricted defaults. cdk8s-plus's own props,
 * with capabilities as plain names: `NET_BIND_SERVICE` and cdk8s-plus's
 * `Capability.NET_BIND_SERVICE` (`CAP_NET_BIND_SERVICE`) both work.
 */
export interface ContainerSecurityOverrides extends Omit<kplus.ContainerSecurityContextProps, 'capabilities'> {
  /**
   * Capabilities to add back, and more to drop. `ALL` is always dropped.
   * @default - all dropped, none added
   */
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
}

/** A pod security context to merge over the restricted defaults. */
export interface PodSecurityOverrides extends kplus.PodSecurityContextProps {
  /**
   * The pod's seccomp profile, for every container (cdk8s-plus 27 has no prop for it).
   * @default { type: 'RuntimeDefault' }
   */
  readonly seccompProfile?: { readonly type: 'RuntimeDefault' | 'Localhost' | 'Unconfined'; readonly localhostProfile?: string };
}

/**
 * Permission for a workload to fall short of `restricted`. It names the level the workload still
 * meets (settings that need a looser one stay errors) and why, so that the exception is visible
 * where it is made and in review; the namespace must then enforce that level.
 */
export interface PodSecurityRelaxation {
  /** The Pod Security level the workload still meets. */
  readonly level: 'baseline' | 'privileged';
  /** Why it cannot meet restricted (required: a relaxation nobody can explain is a bug). */
  readonly reason: string;
}

export interface RestrictedPodSecurityOptions {
  /**
   * Merged over the restricted defaults and each container's own security context, for every
   * container and init container.
   * @default - each container's own security context over the restricted defaults
   */
  readonly securityContext?: ContainerSecurityOverrides;
  /**
   * Merged over the restricted defaults and the workload's own pod security context.
   * @default - the workload's own pod security context over the restricted defaults
   */
  readonly podSecurityContext?: PodSecurityOverrides;
  /**
   * Lets the merged result fall short of restricted, down to the given level.
   * @default - restricted: a setting it forbids is an error naming the setting
   */
  readonly relaxPodSecurity?: PodSecurityRelaxation;
}

/**
 * Default user and group: not root, and above the range distributions give system accounts
 * and users (so a file on the host, should one be reached, is unlikely to be owned by it).
 */
export const NON_ROOT_ID = 10001;

/** What baseline lets a container add (the container runtime's default set). */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
/** Sysctls that baseline allows at the pinned version: namespaced and isolated from other pods. */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

const STRICTNESS: Readonly<Record<PodSecurityLevel, number>> = { restricted: 0, baseline: 1, privileged: 2 };

/** A setting and the strictest level that still allows it. */
interface Finding {
  readonly where: string;
  readonly setting: string;
  readonly needs: 'baseline' | 'privileged';
}

/** The workloads the helper was applied to, with the level each was allowed. */
const applied = new WeakMap<kplus.AbstractPod, PodSecurityLevel>();

/**
 * Gives a workload the restricted Pod Security settings, in every container and init container:
 * non-root (uid and gid 10001 unless set), no privilege escalation, not privileged, all
 * capabilities dropped (NET_BIND_SERVICE may be added back), the RuntimeDefault seccomp profile,
 * and a read-only root filesystem with an emptyDir at /tmp (one `tmp` volume for the pod,
 * mounted in each container that has no /tmp of its own).
 *
 * Custom settings, from `options` or from the containers' and the workload's own cdk8s-plus
 * security contexts, are merged over these defaults field by field (`options` winning), never
 * replacing them: changing only the uid keeps everything else restricted. A merged setting that
 * restricted forbids (runAsNonRoot false, runAsUser 0, privileged, allowPrivilegeEscalation,
 * adding a capability other than NET_BIND_SERVICE, an Unconfined seccomp profile, an unsafe
 * sysctl) throws an error naming it, unless `relaxPodSecurity` allows a level where it is
 * permitted. At synth, the host network and host ports are errors on the same terms, and so is
 * a container added after this call (call it last). Volume types are not checked: cdk8s-plus
 * does not show them without rendering the workload (a hostPath volume is for the namespace's
 * admission to refuse).
 *
 * A function over any cdk8s-plus workload (Deployment, StatefulSet, DaemonSet, Job, CronJob,
 * Pod) rather than a construct or a base class: it works on workloads built by anyone, after
 * the fact, like `LayeredConfig.attachTo`. cdk8s-plus 27 can express neither seccomp nor
 * capabilities in Kubernetes' spelling, so the merged contexts are written with JSON patches
 * at the kind's pod-spec path (a CronJob's is under its job template).
 */
export function applyRestrictedPodSecurity(workload: kplus.AbstractPod, options: RestrictedPodSecurityOptions = {}): void {
  const apiObject = ApiObject.of(workload);
  const podSpec = POD_SPEC_POINTERS.get(apiObject.kind);
  const where = `${apiObject.kind} ${apiObject.name}`;
  if (podSpec === undefined) throw new Error(`${where}: applyRestrictedPodSecurity knows no pod spec in a ${apiObject.kind}`);
  if (applied.has(workload)) throw new Error(`${where}: applyRestrictedPodSecurity was already applied; pass all options in one call`);
  const relaxation = options.relaxPodSecurity;
  if (relaxation && (relaxation.reason ?? '').trim() === '') throw new Error(`${where}: relaxPodSecurity needs a reason`);
  const allowed: PodSecurityLevel = relaxation?.level ?? 'restricted';

  const pod = mergePodContext(workload.securityContext, options.podSecurityContext);
  const containers = [
    ...workload.containers.map((container, index) => ({ container, pointer: `${podSpec}/containers/${index}` })),
    ...workload.initContainers.map((container, index) => ({ container, pointer: `${podSpec}/initContainers/${index}` })),
  ].map((c) => ({ ...c, context: mergeContainerContext(c.container.securityContext, options.securityContext, pod) }));

  const contextFindings = [
    ...podFindings(pod, `${where} pod`),
    ...containers.flatMap((c) => containerFindings(c.context, `${where} container "${c.container.name}"`)),
  ];
  const problems = messages(contextFindings, allowed);
  if (problems.length > 0) throw new Error(problems.join('\n'));

  applied.set(workload, allowed);
  apiObject.addJsonPatch(
    JsonPatch.add(`${podSpec}/securityContext`, pod),
    ...containers.map((c) => JsonPatch.add(`${c.pointer}/securityContext`, c.context)),
  );

  // A read-only root filesystem still needs somewhere for temporary files (Python's, for one).
  const needTmp = containers.filter((c) => c.context.readOnlyRootFilesystem && !c.container.mounts.some((m) => m.path === '/tmp'));
  if (needTmp.length > 0) {
    const tmp = kplus.Volume.fromEmptyDir(workload, 'RestrictedTmp', 'tmp');
    for (const { container } of needTmp) container.mount('/tmp', tmp);
  }

  const patchedContainers = workload.containers.length;
  const patchedInitContainers = workload.initContainers.length;
  workload.node.addValidation({
    validate: () => {
      const findings = [...contextFindings, ...hostFindings(workload, where)];
      return [
        ...workload.containers.slice(patchedContainers).map((c) => lateContainer(c, 'container')),
        ...workload.initContainers.slice(patchedInitContainers).map((c) => lateContainer(c, 'init container')),
        ...messages(findings, allowed),
        ...(relaxation ? looserThanNeeded(relaxation, findings, where) : []),
      ];
    },
  });
}

/** Restricted defaults < the workload's own pod security context < the overrides. */
function mergePodContext(own: kplus.PodSecurityContext, overrides: PodSecurityOverrides = {}) {
  const sysctls = overrides.sysctls ?? own.sysctls;
  return sortedKeys({
    fsGroup: overrides.fsGroup ?? own.fsGroup,
    fsGroupChangePolicy: overrides.fsGroupChangePolicy ?? own.fsGroupChangePolicy,
    runAsGroup: overrides.group ?? own.group ?? NON_ROOT_ID,
    runAsNonRoot: overrides.ensureNonRoot ?? own.ensureNonRoot,
    runAsUser: overrides.user ?? own.user ?? NON_ROOT_ID,
    seccompProfile: overrides.seccompProfile ?? { type: 'RuntimeDefault' },
    sysctls: sysctls.length > 0 ? sysctls.map((s) => ({ name: s.name, value: s.value })) : undefined,
  });
}

/**
 * Restricted defaults < the container's own security context < the overrides. The user and
 * group default to the pod's, so that changing them on the pod alone changes them everywhere.
 */
function mergeContainerContext(own: kplus.ContainerSecurityContext, overrides: ContainerSecurityOverrides = {}, pod: ReturnType<typeof mergePodContext>) {
  const add = [...new Set([...own.capabilities?.add ?? [], ...overrides.capabilities?.add ?? []].map(kubernetesCapability))];
  const drop = [...new Set(['ALL', ...own.capabilities?.drop ?? [], ...overrides.capabilities?.drop ?? []].map(kubernetesCapability))];
  return sortedKeys({
    allowPrivilegeEscalation: overrides.allowPrivilegeEscalation ?? own.allowPrivilegeEscalation,
    capabilities: sortedKeys({ add: add.length > 0 ? add : undefined, drop }),
    privileged: overrides.privileged ?? own.privileged,
    readOnlyRootFilesystem: overrides.readOnlyRootFilesystem ?? own.readOnlyRootFilesystem,
    runAsGroup: overrides.group ?? own.group ?? pod.runAsGroup,
    runAsNonRoot: overrides.ensureNonRoot ?? own.ensureNonRoot,
    runAsUser: overrides.user ?? own.user ?? pod.runAsUser,
  });
}

/**
 * Kubernetes' spelling of a capability. cdk8s-plus's enum writes `CAP_NET_BIND_SERVICE`, which
 * the runtime accepts but Pod Security admission does not: it compares with `NET_BIND_SERVICE`.
 */
function kubernetesCapability(name: string): string {
  return name.startsWith('CAP_') ? name.slice('CAP_'.length) : name;
}

function podFindings(pod: ReturnType<typeof mergePodContext>, where: string): Finding[] {
  const findings: Finding[] = [];
  if (pod.runAsNonRoot === false) findings.push({ where, setting: 'securityContext.runAsNonRoot: false', needs: 'baseline' });
  if (pod.runAsUser === 0) findings.push({ where, setting: 'securityContext.runAsUser: 0 (root)', needs: 'baseline' });
  const seccomp = pod.seccompProfile.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') findings.push({ where, setting: `securityContext.seccompProfile.type: ${seccomp}`, needs: 'privileged' });
  for (const { name } of pod.sysctls ?? []) {
    if (!SAFE_SYSCTLS.has(name)) findings.push({ where, setting: `securityContext.sysctls: ${name} (not a safe sysctl)`, needs: 'privileged' });
  }
  return findings;
}

function containerFindings(context: ReturnType<typeof mergeContainerContext>, where: string): Finding[] {
  const findings: Finding[] = [];
  if (context.runAsNonRoot === false) findings.push({ where, setting: 'securityContext.runAsNonRoot: false', needs: 'baseline' });
  if (context.runAsUser === 0) findings.push({ where, setting: 'securityContext.runAsUser: 0 (root)', needs: 'baseline' });
  if (context.allowPrivilegeEscalation === true) findings.push({ where, setting: 'securityContext.allowPrivilegeEscalation: true', needs: 'baseline' });
  if (context.privileged === true) findings.push({ where, setting: 'securityContext.privileged: true', needs: 'privileged' });
  for (const capability of context.capabilities.add ?? []) {
    if (capability === 'NET_BIND_SERVICE') continue;
    const needs = BASELINE_CAPABILITIES.has(capability) ? 'baseline' : 'privileged';
    findings.push({ where, setting: `securityContext.capabilities.add: ${capability}`, needs });
  }
  return findings;
}

/**
 * The host access cdk8s-plus 27 can express outside the security contexts: the host network and
 * host ports. Read from the model rather than the rendered manifest, which would cost a second
 * rendering of the workload (about a millisecond) on every synth.
 */
function hostFindings(workload: kplus.AbstractPod, where: string): Finding[] {
  const findings: Finding[] = [];
  if (workload.hostNetwork === true) findings.push({ where: `${where} pod`, setting: 'hostNetwork: true', needs: 'privileged' });
  for (const container of [...workload.containers, ...workload.initContainers]) {
    for (const port of container.ports) {
      if (port.hostPort) findings.push({ where: `${where} container "${container.name}"`, setting: `ports.hostPort: ${port.hostPort}`, needs: 'privileged' });
    }
  }
  return findings;
}

function messages(findings: readonly Finding[], allowed: PodSecurityLevel): string[] {
  return findings
    .filter((f) => STRICTNESS[f.needs] > STRICTNESS[allowed])
    .map((f) => `${f.where}: ${f.setting} is not allowed by Pod Security "${allowed}"; ` +
      `if it must be, pass relaxPodSecurity: { level: '${f.needs}', reason: '<why>' } (and the namespace must enforce "${f.needs}")`);
}

/**
 * A relaxation looser than what the workload needs would lower the namespace's enforce level
 * for nothing (and stays behind when the setting that needed it goes).
 */
function looserThanNeeded(relaxation: PodSecurityRelaxation, findings: readonly Finding[], where: string): string[] {
  const needed = findings.reduce<PodSecurityLevel>((level, f) => (STRICTNESS[f.needs] > STRICTNESS[level] ? f.needs : level), 'restricted');
  if (needed === relaxation.level) return [];
  return [`${where}: relaxPodSecurity level "${relaxation.level}" is looser than its settings need ("${needed}"): ` +
    (needed === 'restricted' ? 'remove relaxPodSecurity' : `set level: '${needed}'`)];
}

function lateContainer(container: kplus.Container, what: string): string {
  return `${what} "${container.name}" was added after applyRestrictedPodSecurity, so it lacks the restricted settings: ` +
    'call applyRestrictedPodSecurity after adding the last container';
}

/** A copy without undefined fields, keys in order: the YAML reads like the rest of cdk8s's. */
function sortedKeys<T extends object>(object: T): T {
  const sorted: any = {};
  for (const key of Object.keys(object).sort()) {
    const value = (object as any)[key];
    if (value !== undefined) sorted[key] = value;
  }
  return sorted;
}

const LEVEL_ORDER: readonly PodSecurityLevel[] = ['restricted', 'baseline', 'privileged'];

/**
 * The loosest level any workload under `scope` was allowed by applyRestrictedPodSecurity: what
 * the Namespace they share must enforce for all of them to be admitted.
 */
export function loosestPodSecurityLevel(scope: IConstruct): PodSecurityLevel {
  let loosest: PodSecurityLevel = 'restricted';
  for (const child of scope.node.findAll()) {
    const level = applied.get(child as kplus.AbstractPod);
    if (level !== undefined && LEVEL_ORDER.indexOf(level) > LEVEL_ORDER.indexOf(loosest)) loosest = level;
  }
  return loosest;
}
