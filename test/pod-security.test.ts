import { ApiObject, Chart, Cron, JsonPatch, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { addNamespace, synthEnvironments } from '../lib/synth/pipeline';
import { EnvironmentBuilder } from '../lib/project';
import { buildTaskApi, TaskApiEnvironment } from '../main';
import { applyRestrictedPodSecurity, podSecurityFindings, RestrictedPodSecurityOptions } from '../lib/constructs/pod-security';
import { TaskApiApp, TaskApiAppProps } from '../lib/constructs/task-api-app';
import { BASELINE_CONTROLS, podSecurityViolations, podTemplateOf, RESTRICTED_CONTROLS } from './pod-security-standard';
import { committedEnvDir, fakeSecrets, findObject, testTaskApiProps, taskApiProject } from './support';

function synthTaskApi(overrides: Partial<TaskApiAppProps> = {}) {
  const chart = Testing.chart();
  new TaskApiApp(chart, 'TaskApi', testTaskApiProps(overrides));
  // As the pipeline does for an environment.
  addNamespace(chart, 'task-api-test');
  return Testing.synth(chart);
}

function taskApiPod(overrides: Partial<TaskApiAppProps> = {}) {
  return podTemplateOf(findObject(synthTaskApi(overrides), 'Deployment', 'task-api'));
}

/** The Namespace labels of Pod Security admission (kubernetes.io/docs/concepts/security/pod-security-admission). */
function expectedNamespaceLabels(enforce: string) {
  return {
    'pod-security.kubernetes.io/enforce': enforce,
    'pod-security.kubernetes.io/enforce-version': 'v1.32',
    'pod-security.kubernetes.io/warn': 'restricted',
    'pod-security.kubernetes.io/warn-version': 'v1.32',
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/audit-version': 'v1.32',
  };
}

/** A pod written by hand to meet restricted, straight from the standard. */
function compliantPod(): any {
  return {
    metadata: {},
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'app', image: 'app', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      volumes: [{ name: 'tmp', emptyDir: {} }],
    },
  };
}

// One breach per control, so that a control the checker forgot would show here.
const breaches: [string, (pod: any) => void][] = [
  ['HostProcess', (p) => { p.spec.securityContext.windowsOptions = { hostProcess: true }; }],
  ['Host Namespaces', (p) => { p.spec.hostPID = true; }],
  ['Privileged Containers', (p) => { p.spec.containers[0].securityContext.privileged = true; }],
  ['Capabilities', (p) => { p.spec.containers[0].securityContext.capabilities.add = ['SYS_ADMIN']; }],
  ['HostPath Volumes', (p) => { p.spec.volumes.push({ name: 'host', hostPath: { path: '/' } }); }],
  ['Host Ports', (p) => { p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 80 }]; }],
  ['Host Probes / Lifecycle Hooks', (p) => { p.spec.containers[0].readinessProbe = { httpGet: { host: '10.0.0.1', port: 80 } }; }],
  ['AppArmor', (p) => { p.spec.securityContext.appArmorProfile = { type: 'Unconfined' }; }],
  ['SELinux', (p) => { p.spec.containers[0].securityContext.seLinuxOptions = { user: 'system_u' }; }],
  ['/proc Mount Type', (p) => { p.spec.containers[0].securityContext.procMount = 'Unmasked'; }],
  ['Seccomp', (p) => { p.spec.securityContext.seccompProfile = { type: 'Unconfined' }; }],
  ['Sysctls', (p) => { p.spec.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]; }],
  ['Volume Types', (p) => { p.spec.volumes.push({ name: 'share', nfs: { server: 'nfs', path: '/' } }); }],
  ['Privilege Escalation', (p) => { delete p.spec.containers[0].securityContext.allowPrivilegeEscalation; }],
  ['Running as Non-root', (p) => { delete p.spec.securityContext.runAsNonRoot; }],
  ['Running as Non-root user', (p) => { p.spec.containers[0].securityContext.runAsUser = 0; }],
  ['Seccomp (restricted)', (p) => { delete p.spec.securityContext.seccompProfile; }],
  ['Capabilities (restricted)', (p) => { p.spec.containers[0].securityContext.capabilities.add = ['CHOWN']; }],
];

describe('the test\'s own reading of the Pod Security Standards', () => {
  test('a pod written by hand to the restricted profile has no violations', () => {
    expect(podSecurityViolations(compliantPod())).toEqual([]);
  });

  test('the breaches below cover every control of Baseline and Restricted', () => {
    expect(breaches.map(([control]) => control).sort()).toEqual([...BASELINE_CONTROLS, ...RESTRICTED_CONTROLS].sort());
  });
  test.each(breaches)('a breach of "%s" is reported under that control', (control, breach) => {
    const pod = compliantPod();
    breach(pod);
    expect(podSecurityViolations(pod).map((v) => v.control)).toContain(control);
  });

  test('a breach in an init container counts like one in a container', () => {
    const pod = compliantPod();
    pod.spec.initContainers = [{ name: 'init', image: 'init', securityContext: { allowPrivilegeEscalation: false } }];
    expect(podSecurityViolations(pod)).toEqual([{ control: 'Capabilities (restricted)', detail: 'spec.initContainers[init].securityContext.capabilities.drop lacks ALL' }]);
  });

  test('cdk8s-plus\'s own defaults do not meet restricted: no capabilities dropped, no seccomp profile', () => {
    const chart = Testing.chart();
    new kplus.Deployment(chart, 'Plain').addContainer({ name: 'app', image: 'app' });
    const controls = podSecurityViolations(podTemplateOf(Testing.synth(chart)[0])).map((v) => v.control);
    expect(controls).toEqual(expect.arrayContaining(['Capabilities (restricted)', 'Seccomp (restricted)']));
  });
});

describe('TaskApiApp meets Pod Security "restricted"', () => {
  test('by default', () => {
    expect(podSecurityViolations(taskApiPod())).toEqual([]);
  });

  test('in the Deployment every environment synthesizes', () => {
    for (const environment of ['dev', 'staging', 'production']) {
      const processEnv = environment === 'dev' ? {} : fakeSecrets(environment);
      const [{ objects }] = synthEnvironments(taskApiProject(), [environment], { envDir: committedEnvDir(), processEnv });
      expect(podSecurityViolations(podTemplateOf(findObject(objects, 'Deployment', 'task-api')))).toEqual([]);
      expect(findObject(objects, 'Namespace', `task-api-${environment}`).metadata.labels).toEqual(expectedNamespaceLabels('restricted'));
    }
  });

  test('its Namespace enforces restricted, and warns and audits at restricted, each version pinned', () => {
    expect(findObject(synthTaskApi(), 'Namespace', 'task-api-test').metadata.labels).toEqual(expectedNamespaceLabels('restricted'));
  });

  test('when only the container\'s uid is changed, and keeps every other restricted setting', () => {
    const pod = taskApiPod({ securityContext: { user: 20000 } });
    expect(podSecurityViolations(pod)).toEqual([]);
    expect(pod.spec.containers[0].securityContext).toMatchObject({ runAsUser: 20000, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
  });

  test('when only the pod\'s uid and gid are changed, and the container runs as them too', () => {
    const pod = taskApiPod({ podSecurityContext: { user: 20000, group: 20000 } });
    expect(podSecurityViolations(pod)).toEqual([]);
    expect(pod.spec.securityContext).toMatchObject({ runAsUser: 20000, runAsGroup: 20000 });
    expect(pod.spec.containers[0].securityContext).toMatchObject({ runAsUser: 20000, runAsGroup: 20000 });
  });

  test('with a writable root filesystem, which restricted does not forbid', () => {
    const pod = taskApiPod({ securityContext: { readOnlyRootFilesystem: false } });
    expect(podSecurityViolations(pod)).toEqual([]);
    expect(pod.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(false);
  });

  test('with NET_BIND_SERVICE added back, in the spelling Pod Security admission compares', () => {
    // cdk8s-plus's enum says CAP_NET_BIND_SERVICE, which admission would reject.
    const pod = taskApiPod({ securityContext: { capabilities: { add: [kplus.Capability.NET_BIND_SERVICE] } } });
    expect(podSecurityViolations(pod)).toEqual([]);
    expect(pod.spec.containers[0].securityContext.capabilities).toEqual({ add: ['NET_BIND_SERVICE'], drop: ['ALL'] });
  });

  test('with its read-only root filesystem and a writable /tmp', () => {
    const pod = taskApiPod();
    expect(pod.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.spec.containers[0].volumeMounts).toContainEqual({ mountPath: '/tmp', name: 'tmp' });
    expect(pod.spec.volumes).toContainEqual({ name: 'tmp', emptyDir: {} });
  });
});

describe('relaxing a restricted setting must be explicit', () => {
  const relaxations: [string, Partial<TaskApiAppProps>, RegExp][] = [
    ['running as root (container)', { securityContext: { ensureNonRoot: false } }, /container "task-api": securityContext\.runAsNonRoot: false/],
    ['running as root (pod)', { podSecurityContext: { ensureNonRoot: false } }, /pod: securityContext\.runAsNonRoot: false/],
    ['uid 0', { securityContext: { user: 0 } }, /container "task-api": securityContext\.runAsUser: 0/],
    ['uid 0 on the pod', { podSecurityContext: { user: 0 } }, /pod: securityContext\.runAsUser: 0/],
    ['privilege escalation', { securityContext: { allowPrivilegeEscalation: true } }, /securityContext\.allowPrivilegeEscalation: true/],
    ['a privileged container', { securityContext: { privileged: true } }, /securityContext\.privileged: true/],
    ['adding a capability', { securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }, /securityContext\.capabilities\.add: SYS_ADMIN/],
    ['seccomp Unconfined', { podSecurityContext: { seccompProfile: { type: 'Unconfined' } } }, /securityContext\.seccompProfile\.type: Unconfined/],
    ['an unsafe sysctl', { podSecurityContext: { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] } }, /securityContext\.sysctls: kernel\.msgmax/],
  ];
  test.each(relaxations)('%s is a synth error naming the setting', (_, props, setting) => {
    expect(() => synthTaskApi(props)).toThrow(setting);
    expect(() => synthTaskApi(props)).toThrow(/is not allowed by Pod Security "restricted"; if it must be, pass relaxPodSecurity: \{ level: '(baseline|privileged)'/);
  });

  test('an image that runs as root runs with relaxPodSecurity at baseline, and its Namespace enforces baseline', () => {
    const objects = synthTaskApi({
      securityContext: { ensureNonRoot: false, user: 0 },
      podSecurityContext: { ensureNonRoot: false, user: 0 },
      relaxPodSecurity: { level: 'baseline', reason: 'the vendor image needs root' },
    });
    const pod = podTemplateOf(findObject(objects, 'Deployment', 'task-api'));
    expect(pod.spec.containers[0].securityContext).toMatchObject({ runAsNonRoot: false, runAsUser: 0, capabilities: { drop: ['ALL'] } });
    expect(podSecurityViolations(pod, 'baseline')).toEqual([]);
    expect(podSecurityViolations(pod).map((v) => v.control)).toEqual(expect.arrayContaining(['Running as Non-root', 'Running as Non-root user']));
    // Still warned about and audited at restricted.
    expect(findObject(objects, 'Namespace', 'task-api-test').metadata.labels).toEqual(expectedNamespaceLabels('baseline'));
  });

  test('a relaxation to baseline does not let through what only privileged allows', () => {
    const relaxPodSecurity = { level: 'baseline' as const, reason: 'needs root' };
    expect(() => synthTaskApi({ securityContext: { privileged: true }, relaxPodSecurity }))
      .toThrow(/securityContext\.privileged: true is not allowed by Pod Security "baseline"; if it must be, pass relaxPodSecurity: \{ level: 'privileged'/);
    expect(() => synthTaskApi({ securityContext: { capabilities: { add: ['CHOWN'] } }, relaxPodSecurity })).not.toThrow();
    expect(() => synthTaskApi({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } }, relaxPodSecurity })).toThrow(/capabilities\.add: SYS_ADMIN/);
  });

  test('a relaxation looser than the settings need is a synth error: it would weaken the Namespace for nothing', () => {
    expect(() => synthTaskApi({ relaxPodSecurity: { level: 'baseline', reason: 'left over' } }))
      .toThrow(/relaxPodSecurity level "baseline" is looser than its settings need \("restricted"\): remove relaxPodSecurity/);
    expect(() => synthTaskApi({ securityContext: { ensureNonRoot: false }, relaxPodSecurity: { level: 'privileged', reason: 'root' } }))
      .toThrow(/relaxPodSecurity level "privileged" is looser than its settings need \("baseline"\): set level: 'baseline'/);
  });

  test('a relaxation without a reason is refused', () => {
    expect(() => synthTaskApi({ securityContext: { privileged: true }, relaxPodSecurity: { level: 'privileged', reason: ' ' } }))
      .toThrow('Deployment task-api: relaxPodSecurity needs a reason');
  });
});

describe('applyRestrictedPodSecurity gives any workload the restricted settings', () => {
  type Build = (chart: Chart) => kplus.AbstractPod;
  const workloads: [string, Build][] = [
    ['Deployment', (chart) => new kplus.Deployment(chart, 'Workload', { metadata: { name: 'workload' } })],
    ['StatefulSet', (chart) => new kplus.StatefulSet(chart, 'Workload', {
      metadata: { name: 'workload' },
      service: new kplus.Service(chart, 'Headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
    })],
    ['DaemonSet', (chart) => new kplus.DaemonSet(chart, 'Workload', { metadata: { name: 'workload' } })],
    ['Job', (chart) => new kplus.Job(chart, 'Workload', { metadata: { name: 'workload' } })],
    ['CronJob', (chart) => new kplus.CronJob(chart, 'Workload', { metadata: { name: 'workload' }, schedule: Cron.daily() })],
  ];
  const resources = { cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(200) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } };

  function synthWorkload(build: Build, options?: RestrictedPodSecurityOptions, apply = true) {
    const chart = Testing.chart();
    const workload = build(chart);
    workload.addContainer({ name: 'app', image: 'app', portNumber: 8080, resources });
    workload.addContainer({ name: 'sidecar', image: 'sidecar', resources, securityContext: { user: 30000, readOnlyRootFilesystem: false } });
    workload.addInitContainer({ name: 'migrate', image: 'app', resources });
    if (apply) applyRestrictedPodSecurity(workload, options);
    return podTemplateOf(findObject(Testing.synth(chart), ApiObject.of(workload).kind, 'workload'));
  }

  test.each(workloads)('a %s with two containers and an init container meets restricted', (_, build) => {
    expect(podSecurityViolations(synthWorkload(build))).toEqual([]);
  });

  test.each(workloads)('the same %s without the helper does not', (_, build) => {
    expect(podSecurityViolations(synthWorkload(build, {}, false))).not.toEqual([]);
  });

  test.each(workloads)('a %s keeps each container\'s own settings, merged over the defaults', (_, build) => {
    const pod = synthWorkload(build);
    const sidecar = pod.spec.containers.find((c: any) => c.name === 'sidecar');
    expect(sidecar.securityContext).toMatchObject({ runAsUser: 30000, readOnlyRootFilesystem: false, capabilities: { drop: ['ALL'] } });
    expect(sidecar.volumeMounts).toBeUndefined();
    for (const name of ['app', 'migrate']) {
      const container = [...pod.spec.containers, ...pod.spec.initContainers].find((c: any) => c.name === name);
      expect(container.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, readOnlyRootFilesystem: true });
      expect(container.volumeMounts).toContainEqual({ mountPath: '/tmp', name: 'tmp' });
    }
  });

  test('options apply to every container, init containers included', () => {
    const pod = synthWorkload(workloads[4][1], { securityContext: { user: 40000 }, podSecurityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/app.json' } } });
    expect(podSecurityViolations(pod)).toEqual([]);
    expect([...pod.spec.containers, ...pod.spec.initContainers].map((c: any) => c.securityContext.runAsUser)).toEqual([40000, 40000, 40000]);
    expect(pod.spec.securityContext.seccompProfile).toEqual({ type: 'Localhost', localhostProfile: 'profiles/app.json' });
  });

  test('a container added after the helper stops synth, naming it', () => {
    const chart = Testing.chart();
    const job = new kplus.Job(chart, 'Job', { metadata: { name: 'job' } });
    job.addContainer({ name: 'app', image: 'app' });
    applyRestrictedPodSecurity(job);
    job.addContainer({ name: 'late', image: 'late' });
    expect(() => Testing.synth(chart)).toThrow(/container "late" was added after applyRestrictedPodSecurity/);
  });

  test('the host network or a host port stops synth unless relaxed to privileged', () => {
    const hostNetwork = Testing.chart();
    const deployment = new kplus.Deployment(hostNetwork, 'D', { metadata: { name: 'd' }, hostNetwork: true });
    deployment.addContainer({ name: 'app', image: 'app' });
    applyRestrictedPodSecurity(deployment);
    expect(() => Testing.synth(hostNetwork)).toThrow(/Deployment d pod: hostNetwork: true is not allowed by Pod Security "restricted"/);

    const hostPort = Testing.chart();
    const daemonSet = new kplus.DaemonSet(hostPort, 'D', { metadata: { name: 'd' } });
    daemonSet.addContainer({ name: 'app', image: 'app', ports: [{ number: 80, hostPort: 80 }] });
    applyRestrictedPodSecurity(daemonSet, { relaxPodSecurity: { level: 'baseline', reason: 'a node agent' } });
    expect(() => Testing.synth(hostPort)).toThrow(/DaemonSet d container "app": ports\.hostPort: 80 is not allowed by Pod Security "baseline"/);

    const relaxed = Testing.chart();
    const agent = new kplus.DaemonSet(relaxed, 'D', { metadata: { name: 'd' }, hostNetwork: true });
    agent.addContainer({ name: 'app', image: 'app', ports: [{ number: 80, hostPort: 80 }] });
    applyRestrictedPodSecurity(agent, { relaxPodSecurity: { level: 'privileged', reason: 'a node agent' } });
    expect(() => Testing.synth(relaxed)).not.toThrow();
  });

  test('applying it twice is refused: one call takes all the options', () => {
    const chart = Testing.chart();
    const job = new kplus.Job(chart, 'Job', { metadata: { name: 'job' } });
    job.addContainer({ name: 'app', image: 'app' });
    applyRestrictedPodSecurity(job);
    expect(() => applyRestrictedPodSecurity(job, { securityContext: { user: 1 } })).toThrow(/already applied/);
  });
});

describe('synth checks Pod Security on the objects as written (the final JSON)', () => {
  const PRIVILEGED = JsonPatch.add('/spec/template/spec/containers/0/securityContext/privileged', true);
  const synthDev = (build: EnvironmentBuilder<TaskApiEnvironment>) => synthEnvironments(taskApiProject({ build }), ['dev'], { envDir: committedEnvDir(), processEnv: {} })[0];
  const patched = (props: Partial<TaskApiAppProps> = {}): EnvironmentBuilder<TaskApiEnvironment> => (chart, context) => {
    const api = new TaskApiApp(chart, 'TaskApi', { ...testTaskApiProps(), namespace: context.settings.namespace, secretBackend: context.secretBackend, ...props });
    ApiObject.of(api.deployment).addJsonPatch(PRIVILEGED);
  };

  test('a JSON patch making the container privileged stops synth, naming the object, the field and the control', () => {
    expect(() => synthDev(patched())).toThrow(
      /Deployment task-api container "task-api": securityContext\.privileged: true is not allowed by Pod Security "restricted"; .*Pod Security Standards control: Privileged Containers$/m);
  });

  test('relaxPodSecurity still works there: privileged lets the patch through, baseline does not', () => {
    const relaxed = synthDev(patched({ relaxPodSecurity: { level: 'privileged', reason: 'a node agent' } }));
    expect(findObject(relaxed.objects, 'Deployment', 'task-api').spec.template.spec.containers[0].securityContext.privileged).toBe(true);
    expect(findObject(relaxed.objects, 'Namespace', 'task-api-dev').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(() => synthDev(patched({ securityContext: { ensureNonRoot: false }, relaxPodSecurity: { level: 'baseline', reason: 'root' } })))
      .toThrow(/securityContext\.privileged: true is not allowed by Pod Security "baseline"/);
  });

  test('a patch removing a restricted setting is caught too', () => {
    const build: EnvironmentBuilder<TaskApiEnvironment> = (chart, context) => {
      ApiObject.of(buildTaskApi(chart, context).deployment).addJsonPatch(JsonPatch.remove('/spec/template/spec/containers/0/securityContext/capabilities'));
    };
    expect(() => synthDev(build)).toThrow(/container "task-api": securityContext\.capabilities\.drop: lacks ALL is not allowed .*control: Capabilities \(restricted\)/);
  });

  test('a workload the helper never saw is held to what its Namespace enforces', () => {
    const build: EnvironmentBuilder<TaskApiEnvironment> = (chart, context) => {
      buildTaskApi(chart, context);
      new kplus.Deployment(chart, 'Plain', { metadata: { name: 'plain', namespace: context.settings.namespace } }).addContainer({ name: 'app', image: 'app' });
    };
    expect(() => synthDev(build)).toThrow(/Deployment plain container "app": securityContext\.capabilities\.drop: lacks ALL is not allowed by Pod Security "restricted"/);
  });

  /** The hand-written compliant pod as each workload kind holds it. */
  const kinds: [string, (pod: any) => any][] = [
    ['Deployment', (pod) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w' }, spec: { template: pod } })],
    ['StatefulSet', (pod) => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'w' }, spec: { template: pod } })],
    ['DaemonSet', (pod) => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'w' }, spec: { template: pod } })],
    ['ReplicaSet', (pod) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'w' }, spec: { template: pod } })],
    ['Job', (pod) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'w' }, spec: { template: pod } })],
    ['CronJob', (pod) => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'w' }, spec: { jobTemplate: { spec: { template: pod } } } })],
    ['Pod', (pod) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w', ...pod.metadata }, spec: pod.spec })],
  ];
  test.each(kinds)('a compliant %s has no finding, a privileged one has, naming the kind and the control', (kind, wrap) => {
    expect(podSecurityFindings(wrap(compliantPod()))).toEqual([]);
    const pod = compliantPod();
    pod.spec.containers[0].securityContext.privileged = true;
    expect(podSecurityFindings(wrap(pod))).toEqual([
      { where: `${kind} w container "app"`, setting: 'securityContext.privileged: true', control: 'Privileged Containers', needs: 'privileged' },
    ]);
  });

  // Against the test's own, independent reading of the standard: the product misses no control.
  test.each(breaches)('a breach of "%s" is a finding of the final check too', (_, breach) => {
    const pod = compliantPod();
    breach(pod);
    expect(podSecurityFindings(kinds[0][1](pod))).not.toEqual([]);
  });
});
