/**
 * The Pod Security Standards' Baseline and Restricted profiles, read independently from
 * kubernetes.io/docs/concepts/security/pod-security-standards (the tables of "Restricted Fields"
 * and "Allowed Values", as last modified 2025-08), for checking synthesized pod templates in
 * tests. Deliberately written without the project's helper or its constants: it is the second
 * reader of the standard. No API server runs here, so Pod Security admission itself cannot.
 */

export type CheckedLevel = 'baseline' | 'restricted';

export interface Violation {
  /** The control's name, as the standard's table names it. */
  readonly control: string;
  /** Which field holds what. */
  readonly detail: string;
}

/** Every control of Baseline, then what Restricted adds, by the standard's names. */
export const BASELINE_CONTROLS = [
  'HostProcess', 'Host Namespaces', 'Privileged Containers', 'Capabilities', 'HostPath Volumes', 'Host Ports',
  'Host Probes / Lifecycle Hooks', 'AppArmor', 'SELinux', '/proc Mount Type', 'Seccomp', 'Sysctls',
] as const;
export const RESTRICTED_CONTROLS = [
  'Volume Types', 'Privilege Escalation', 'Running as Non-root', 'Running as Non-root user', 'Seccomp (restricted)',
  'Capabilities (restricted)',
] as const;

const BASELINE_ADDABLE_CAPABILITIES = [
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP',
  'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
];
const ALLOWED_SYSCTLS = [
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
const ALLOWED_VOLUME_SOURCES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

/**
 * What a pod template (`{ metadata, spec }`) breaks of the given profile. Restricted includes
 * everything from Baseline.
 */
export function podSecurityViolations(template: any, level: CheckedLevel = 'restricted'): Violation[] {
  const metadata = template?.metadata ?? {};
  const spec = template?.spec ?? {};
  const pod = spec.securityContext ?? {};
  const containers: any[] = [
    ...(spec.containers ?? []).map((c: any) => ({ ...c, list: 'containers' })),
    ...(spec.initContainers ?? []).map((c: any) => ({ ...c, list: 'initContainers' })),
    ...(spec.ephemeralContainers ?? []).map((c: any) => ({ ...c, list: 'ephemeralContainers' })),
  ];
  const found: Violation[] = [];
  const report = (control: string, detail: string) => found.push({ control, detail });
  const field = (c: any, path: string) => `spec.${c.list}[${c.name}].${path}`;
  const isFalseOrUnset = (value: unknown) => value === undefined || value === null || value === false;
  const isEmptyOrUnset = (value: unknown) => value === undefined || value === null || value === '';

  // HostProcess
  if (!isFalseOrUnset(pod.windowsOptions?.hostProcess)) report('HostProcess', 'spec.securityContext.windowsOptions.hostProcess');
  for (const c of containers) {
    if (!isFalseOrUnset(c.securityContext?.windowsOptions?.hostProcess)) report('HostProcess', field(c, 'securityContext.windowsOptions.hostProcess'));
  }
  // Host Namespaces
  for (const name of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (!isFalseOrUnset(spec[name])) report('Host Namespaces', `spec.${name}: ${spec[name]}`);
  }
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    // Privileged Containers
    if (!isFalseOrUnset(sc.privileged)) report('Privileged Containers', field(c, `securityContext.privileged: ${sc.privileged}`));
    // Capabilities (Baseline)
    for (const capability of sc.capabilities?.add ?? []) {
      if (!BASELINE_ADDABLE_CAPABILITIES.includes(capability)) report('Capabilities', field(c, `securityContext.capabilities.add: ${capability}`));
    }
    // Host Ports
    for (const port of c.ports ?? []) {
      if (!(port.hostPort === undefined || port.hostPort === null || port.hostPort === 0)) report('Host Ports', field(c, `ports.hostPort: ${port.hostPort}`));
    }
    // Host Probes / Lifecycle Hooks (the standard lists containers and initContainers)
    if (c.list !== 'ephemeralContainers') {
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        for (const handler of ['httpGet', 'tcpSocket']) {
          if (!isEmptyOrUnset(c[probe]?.[handler]?.host)) report('Host Probes / Lifecycle Hooks', field(c, `${probe}.${handler}.host`));
        }
      }
      for (const hook of ['postStart', 'preStop']) {
        for (const handler of ['httpGet', 'tcpSocket']) {
          if (!isEmptyOrUnset(c.lifecycle?.[hook]?.[handler]?.host)) report('Host Probes / Lifecycle Hooks', field(c, `lifecycle.${hook}.${handler}.host`));
        }
      }
    }
    // /proc Mount Type
    if (!(sc.procMount === undefined || sc.procMount === null || sc.procMount === 'Default')) report('/proc Mount Type', field(c, `securityContext.procMount: ${sc.procMount}`));
  }
  // HostPath Volumes
  for (const volume of spec.volumes ?? []) {
    if (volume.hostPath !== undefined && volume.hostPath !== null) report('HostPath Volumes', `spec.volumes[${volume.name}].hostPath`);
  }
  // AppArmor
  const appArmorTypes = [['spec.securityContext', pod], ...containers.map((c) => [field(c, 'securityContext'), c.securityContext ?? {}])];
  for (const [where, sc] of appArmorTypes) {
    const type = sc.appArmorProfile?.type;
    if (!(type === undefined || type === null || type === 'RuntimeDefault' || type === 'Localhost')) report('AppArmor', `${where}.appArmorProfile.type: ${type}`);
  }
  for (const [key, value] of Object.entries<string>(metadata.annotations ?? {})) {
    if (key.startsWith(APPARMOR_ANNOTATION) && !(value === 'runtime/default' || value.startsWith('localhost/'))) report('AppArmor', `metadata.annotations[${key}]: ${value}`);
  }
  // SELinux
  for (const [where, sc] of appArmorTypes) {
    const options = sc.seLinuxOptions ?? {};
    if (!(options.type === undefined || options.type === null || SELINUX_TYPES.includes(options.type))) report('SELinux', `${where}.seLinuxOptions.type: ${options.type}`);
    for (const name of ['user', 'role']) {
      if (!isEmptyOrUnset(options[name])) report('SELinux', `${where}.seLinuxOptions.${name}`);
    }
  }
  // Seccomp (Baseline): never explicitly Unconfined
  for (const [where, sc] of appArmorTypes) {
    const type = sc.seccompProfile?.type;
    if (!(type === undefined || type === null || type === 'RuntimeDefault' || type === 'Localhost')) report('Seccomp', `${where}.seccompProfile.type: ${type}`);
  }
  // Sysctls
  for (const sysctl of pod.sysctls ?? []) {
    if (!ALLOWED_SYSCTLS.includes(sysctl.name)) report('Sysctls', `spec.securityContext.sysctls: ${sysctl.name}`);
  }
  if (level === 'baseline') return found;

  // Volume Types
  for (const volume of spec.volumes ?? []) {
    if (!ALLOWED_VOLUME_SOURCES.some((source) => volume[source] !== undefined && volume[source] !== null)) {
      report('Volume Types', `spec.volumes[${volume.name}]: ${Object.keys(volume).filter((k) => k !== 'name').join(', ')}`);
    }
  }
  // Running as Non-root: the pod says true, or every container does; nobody says false.
  if (pod.runAsNonRoot === false) report('Running as Non-root', 'spec.securityContext.runAsNonRoot: false');
  for (const c of containers) {
    const value = c.securityContext?.runAsNonRoot;
    if (value === false || ((value === undefined || value === null) && pod.runAsNonRoot !== true)) {
      report('Running as Non-root', field(c, `securityContext.runAsNonRoot: ${value}`));
    }
  }
  // Running as Non-root user
  if (pod.runAsUser === 0) report('Running as Non-root user', 'spec.securityContext.runAsUser: 0');
  for (const c of containers) {
    if (c.securityContext?.runAsUser === 0) report('Running as Non-root user', field(c, 'securityContext.runAsUser: 0'));
  }
  // Linux-only controls, relaxed for pods that declare Windows.
  if (spec.os?.name !== 'windows') {
    for (const c of containers) {
      const sc = c.securityContext ?? {};
      // Privilege Escalation: must be false, explicitly.
      if (sc.allowPrivilegeEscalation !== false) report('Privilege Escalation', field(c, `securityContext.allowPrivilegeEscalation: ${sc.allowPrivilegeEscalation}`));
      // Seccomp (Restricted): explicitly RuntimeDefault or Localhost, on the pod or on every container.
      const type = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
      if (type !== 'RuntimeDefault' && type !== 'Localhost') report('Seccomp (restricted)', field(c, `securityContext.seccompProfile.type: ${type}`));
      // Capabilities (Restricted): drop ALL, add back nothing but NET_BIND_SERVICE.
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) report('Capabilities (restricted)', field(c, 'securityContext.capabilities.drop lacks ALL'));
      for (const capability of sc.capabilities?.add ?? []) {
        if (capability !== 'NET_BIND_SERVICE') report('Capabilities (restricted)', field(c, `securityContext.capabilities.add: ${capability}`));
      }
    }
  }
  return found;
}

/** The pod template of a synthesized workload, found by kind. */
export function podTemplateOf(object: any): any {
  switch (object.kind) {
    case 'Pod': return { metadata: object.metadata, spec: object.spec };
    case 'CronJob': return object.spec.jobTemplate.spec.template;
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'Job': case 'ReplicaSet': return object.spec.template;
    default: throw new Error(`${object.kind} has no pod template`);
  }
}
