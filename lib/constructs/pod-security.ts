import { ApiObject, Chart, JsonPatch } from 'cdk8s';
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

/** A setting, the Pod Security Standards control it breaks, and the strictest level that still allows it. */
export interface PodSecurityFinding {
  /** The object and the pod or container: `Deployment web container "app"`. */
  readonly where: string;
  /** The field and its value, from the pod spec or the container: `securityContext.privileged: true`. */
  readonly setting: string;
  /** The control, as the standard names it (kubernetes.io/docs/concepts/security/pod-security-standards). */
  readonly control: string;
  readonly needs: 'baseline' | 'privileged';
}
type Finding = PodSecurityFinding;

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
 * permitted. At synth, the workload's final JSON (JSON patches included) is checked against the
 * whole restricted profile on the same terms (podSecurityFindings: host network and ports,
 * volume types, a setting patched in or out...), and a container added after this call is an
 * error (call it last); synth checks every workload of an environment that way again.
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
    ...securityContextFindings(pod, `${where} pod`, 'pod'),
    ...containers.flatMap((c) => securityContextFindings(c.context, `${where} container "${c.container.name}"`, 'container')),
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
      // The object as it is written, JSON patches included: what admission will see.
      const findings = podSecurityFindings(apiObject.toJson());
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

const RUNTIME_SECCOMP = new Set(['RuntimeDefault', 'Localhost']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
/** The volume sources restricted allows. */
const RESTRICTED_VOLUME_SOURCES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

/**
 * What a pod or container security context sets that restricted forbids (not what it leaves
 * out: see podSecurityFindings). The one reading of these rules, for the contexts the helper
 * merges and for the final JSON alike.
 */
function securityContextFindings(sc: any, where: string, of: 'pod' | 'container'): Finding[] {
  const findings: Finding[] = [];
  const add = (setting: string, control: string, needs: Finding['needs']) => findings.push({ where, setting: `securityContext.${setting}`, control, needs });
  if (!sc || typeof sc !== 'object') return findings;
  if (sc.runAsNonRoot === false) add('runAsNonRoot: false', 'Running as Non-root', 'baseline');
  if (sc.runAsUser === 0) add('runAsUser: 0 (root)', 'Running as Non-root user', 'baseline');
  const seccomp = sc.seccompProfile?.type;
  if (seccomp !== undefined && seccomp !== null && !RUNTIME_SECCOMP.has(seccomp)) add(`seccompProfile.type: ${seccomp}`, 'Seccomp', 'privileged');
  if (sc.windowsOptions?.hostProcess === true) add('windowsOptions.hostProcess: true', 'HostProcess', 'privileged');
  const appArmor = sc.appArmorProfile?.type;
  if (appArmor !== undefined && appArmor !== null && !RUNTIME_SECCOMP.has(appArmor)) add(`appArmorProfile.type: ${appArmor}`, 'AppArmor', 'privileged');
  const seLinux = sc.seLinuxOptions ?? {};
  if (seLinux.type !== undefined && seLinux.type !== null && !SELINUX_TYPES.has(seLinux.type)) add(`seLinuxOptions.type: ${seLinux.type}`, 'SELinux', 'privileged');
  for (const name of ['user', 'role']) if (seLinux[name]) add(`seLinuxOptions.${name}: ${seLinux[name]}`, 'SELinux', 'privileged');
  if (of === 'pod') {
    for (const sysctl of sc.sysctls ?? []) {
      if (!SAFE_SYSCTLS.has(sysctl?.name)) add(`sysctls: ${sysctl?.name} (not a safe sysctl)`, 'Sysctls', 'privileged');
    }
    return findings;
  }
  if (sc.allowPrivilegeEscalation === true) add('allowPrivilegeEscalation: true', 'Privilege Escalation', 'baseline');
  if (sc.privileged === true) add('privileged: true', 'Privileged Containers', 'privileged');
  if (sc.procMount !== undefined && sc.procMount !== null && sc.procMount !== 'Default') add(`procMount: ${sc.procMount}`, '/proc Mount Type', 'privileged');
  for (const capability of sc.capabilities?.add ?? []) {
    if (capability === 'NET_BIND_SERVICE') continue;
    if (BASELINE_CAPABILITIES.has(capability)) add(`capabilities.add: ${capability}`, 'Capabilities (restricted)', 'baseline');
    else add(`capabilities.add: ${capability}`, 'Capabilities', 'privileged');
  }
  return findings;
}

/** A workload's pod template as JSON (`{ metadata, spec }`), wherever its kind keeps it; undefined for other kinds. */
function podTemplateOf(object: any): { metadata?: any; spec?: any } | undefined {
  const pointer = POD_SPEC_POINTERS.get(object?.kind);
  if (pointer === undefined) return undefined;
  if (object.kind === 'Pod') return { metadata: object.metadata, spec: object.spec };
  let template: any = object;
  for (const segment of pointer.split('/').slice(1, -1)) template = template?.[segment];
  return template && typeof template === 'object' ? template : undefined;
}

/**
 * Everything in a synthesized workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
 * CronJob, Pod) that falls short of Pod Security "restricted", read from its final JSON: what
 * it sets (host namespaces, host ports and paths, privileged, capabilities, root, seccomp,
 * AppArmor, SELinux, /proc mount, sysctls, volume types) and what it leaves out (`drop: [ALL]`,
 * `allowPrivilegeEscalation: false`, `runAsNonRoot`, a seccomp profile). Pure; other kinds have none.
 */
export function podSecurityFindings(object: any): PodSecurityFinding[] {
  const template = podTemplateOf(object);
  const spec = template?.spec;
  if (!spec || typeof spec !== 'object') return [];
  const name = `${object.kind} ${object.metadata?.name}`;
  const podWhere = `${name} pod`;
  const findings: Finding[] = securityContextFindings(spec.securityContext, podWhere, 'pod');
  const add = (where: string, setting: string, control: string, needs: Finding['needs']) => findings.push({ where, setting, control, needs });
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[field] === true) add(podWhere, `${field}: true`, 'Host Namespaces', 'privileged');
  for (const volume of spec.volumes ?? []) {
    if (volume?.hostPath) add(podWhere, `volumes "${volume.name}": hostPath`, 'HostPath Volumes', 'privileged');
    else if (!RESTRICTED_VOLUME_SOURCES.some((source) => volume?.[source] !== undefined && volume?.[source] !== null)) {
      add(podWhere, `volumes "${volume?.name}": ${Object.keys(volume ?? {}).filter((k) => k !== 'name').join(', ') || 'no source'}`, 'Volume Types', 'baseline');
    }
  }
  for (const [key, value] of Object.entries<any>(template?.metadata?.annotations ?? {})) {
    if (key.startsWith(APPARMOR_ANNOTATION) && value !== 'runtime/default' && !String(value).startsWith('localhost/')) {
      add(podWhere, `metadata.annotations["${key}"]: ${value}`, 'AppArmor', 'privileged');
    }
  }
  const linux = spec.os?.name !== 'windows';
  const podSeccomp = spec.securityContext?.seccompProfile?.type;
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const container of spec[list] ?? []) {
      const where = `${name} ${list === 'containers' ? 'container' : list === 'initContainers' ? 'init container' : 'ephemeral container'} "${container?.name}"`;
      const sc = container?.securityContext ?? {};
      findings.push(...securityContextFindings(sc, where, 'container'));
      for (const port of container?.ports ?? []) if (port?.hostPort) add(where, `ports.hostPort: ${port.hostPort}`, 'Host Ports', 'privileged');
      for (const handler of ['livenessProbe', 'readinessProbe', 'startupProbe'].map((p) => [p, container?.[p]] as const)
        .concat(['postStart', 'preStop'].map((h) => [`lifecycle.${h}`, container?.lifecycle?.[h]] as const))) {
        for (const kind of ['httpGet', 'tcpSocket']) {
          if (handler[1]?.[kind]?.host) add(where, `${handler[0]}.${kind}.host: ${handler[1][kind].host}`, 'Host Probes / Lifecycle Hooks', 'privileged');
        }
      }
      if (sc.runAsNonRoot === undefined && spec.securityContext?.runAsNonRoot !== true) {
        add(where, 'securityContext.runAsNonRoot: unset (and the pod does not set it true)', 'Running as Non-root', 'baseline');
      }
      if (!linux) continue;
      if (sc.allowPrivilegeEscalation === undefined || sc.allowPrivilegeEscalation === null) {
        add(where, 'securityContext.allowPrivilegeEscalation: unset (must be false)', 'Privilege Escalation', 'baseline');
      }
      if ((sc.seccompProfile?.type ?? podSeccomp) == null) {
        add(where, 'securityContext.seccompProfile.type: unset (and the pod sets none)', 'Seccomp (restricted)', 'baseline');
      }
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) add(where, 'securityContext.capabilities.drop: lacks ALL', 'Capabilities (restricted)', 'baseline');
    }
  }
  return findings;
}

/**
 * The Pod Security problems of the objects as written, one message each: every workload's
 * findings that need a looser level than the one it is allowed (`allowedLevel`: what
 * applyRestrictedPodSecurity recorded for it, or what its Namespace enforces). Pure.
 */
export function podSecurityProblems(objects: readonly any[], allowedLevel: (object: any) => PodSecurityLevel): string[] {
  return objects.flatMap((object) => {
    const findings = podSecurityFindings(object);
    return findings.length === 0 ? [] : messages(findings, allowedLevel(object));
  });
}

function messages(findings: readonly Finding[], allowed: PodSecurityLevel): string[] {
  return findings
    .filter((f) => STRICTNESS[f.needs] > STRICTNESS[allowed])
    .map((f) => `${f.where}: ${f.setting} is not allowed by Pod Security "${allowed}"; ` +
      `if it must be, pass relaxPodSecurity: { level: '${f.needs}', reason: '<why>' } (and the namespace must enforce "${f.needs}"); ` +
      `Pod Security Standards control: ${f.control}`);
}

/**
 * The level applyRestrictedPodSecurity allowed each workload under `scope`, by
 * `<kind>/<namespace>/<name>` as its object is written: what the check of the final JSON
 * holds each of them to.
 */
export function podSecurityLevels(scope: IConstruct): Map<string, PodSecurityLevel> {
  const levels = new Map<string, PodSecurityLevel>();
  for (const child of scope.node.findAll()) {
    const level = applied.get(child as kplus.AbstractPod);
    if (level === undefined) continue;
    const apiObject = ApiObject.of(child);
    levels.set(podSecurityKey(apiObject.kind, apiObject.metadata.namespace ?? Chart.of(child).namespace, apiObject.name), level);
  }
  return levels;
}

/** The key of podSecurityLevels for a written object. */
export function podSecurityKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
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
