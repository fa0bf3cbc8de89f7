import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { applyRestrictedPodSecurity, ContainerSecurityOverrides, PodSecurityOverrides, PodSecurityRelaxation } from './pod-security';
import { LayeredConfig } from './layered-config';
import { RegistryPullSecret, RegistryPullSecretProps } from './registry-pull-secret';
import { SecretBackend } from '../secrets/backend';

export interface TaskApiAppProps {
  /** The namespace everything lives in (the environment creates it: several apps may share one). */
  readonly namespace: string;
  /** The image, `ghcr.io/<owner>/task-api:<tag>`. */
  readonly image: string;
  /** Layers 1 and 2, merged (the ConfigMap). */
  readonly config: Readonly<Record<string, string>>;
  /** Layer 3 (the Secret); empty when the backend keeps the values in a store. */
  readonly secrets: Readonly<Record<string, string>>;
  /**
   * Layer 3 keys whose values stay in a secret store (see LayeredConfig).
   * @default - none
   */
  readonly storedSecretKeys?: readonly string[];
  /**
   * The registry and its credentials (credentials only when the backend writes values). The pull
   * secret is attached to the pods whenever the image's registry is its server.
   * @default - no pull secret: the image must be public or pullable by the node
   */
  readonly registry?: Omit<RegistryPullSecretProps, 'name' | 'namespace' | 'secretBackend'>;
  /** How the Secret and the pull secret reach the cluster. */
  readonly secretBackend: SecretBackend;
  /**
   * Base name of the Deployment, Service, ConfigMap (`<name>-config`), Secret (`<name>-secrets`)
   * and pull secret (`<name>-registry`).
   * @default 'task-api'
   */
  readonly name?: string;
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * The port the Task API listens on.
   * @default 8000
   */
  readonly port?: number;
  /**
   * HTTP path of the liveness and startup probes: answers 200 while the process can serve at
   * all, checking nothing outside it. A failure restarts the container, so a database outage
   * must never fail it (every pod would restart and none would help).
   * @default '/livez'
   */
  readonly livenessPath?: string;
  /**
   * HTTP path of the readiness probe: answers 200 only when the app can serve requests now,
   * its own dependencies included (database, Redis). A failure takes the pod out of the
   * Service until it passes again, without restarting it.
   * @default '/readyz'
   */
  readonly readinessPath?: string;
  /**
   * How many old ReplicaSets the Deployment keeps: how far back `kubectl rollout undo` reaches.
   * Synth keeps in dist/ the ConfigMap and Secret versions of that many earlier pod templates
   * plus the current one (lib/synth/retention.ts), so every kept revision finds its config.
   * @default 10 (Kubernetes' own default, written out so that it is visible and does not move)
   */
  readonly revisionHistoryLimit?: number;
  /**
   * CPU and memory requests and limits.
   * @default - cdk8s-plus's defaults
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * The container's security context, merged field by field over the restricted defaults
   * (see applyRestrictedPodSecurity): setting only the uid keeps the rest restricted.
   * @default - non-root (uid/gid 10001), read-only root filesystem (a writable /tmp is mounted),
   *   no privilege escalation, all capabilities dropped
   */
  readonly securityContext?: ContainerSecurityOverrides;
  /**
   * The pod's security context, merged the same way.
   * @default - non-root (uid/gid 10001), RuntimeDefault seccomp profile
   */
  readonly podSecurityContext?: PodSecurityOverrides;
  /**
   * Lets the security contexts fall short of Pod Security `restricted` (an image that must run
   * as root, say), down to the level given; the environment's Namespace then enforces that level.
   * @default - restricted: a setting it forbids is a synth error naming the setting
   */
  readonly relaxPodSecurity?: PodSecurityRelaxation;
}

/** Probe timings. Explicit, because the Kubernetes defaults (1 s timeout) suit no Python app under load. */
const PROBE_TIMINGS = {
  // Up to 24 × 5 s = 2 minutes to start (imports, connection pools) before liveness takes over.
  startup: { periodSeconds: Duration.seconds(5), timeoutSeconds: Duration.seconds(2), failureThreshold: 24 },
  // A hung process is restarted after about 30 s; one slow answer under load is not enough.
  liveness: { periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(2), failureThreshold: 3 },
  // Out of the Service within about 10 s of losing a dependency, back after one good answer.
  readiness: { periodSeconds: Duration.seconds(5), timeoutSeconds: Duration.seconds(2), failureThreshold: 2, successThreshold: 1 },
} as const;

/**
 * The Task API in a namespace: LayeredConfig (ConfigMap + Secret), pull secret, Deployment,
 * Service, and a PodDisruptionBudget when it runs more than one pod.
 *
 * Other workloads of the same app (a worker, a migration Job: see examples/) share what it
 * exposes: `layers` (`layers.attachTo(workload, container)`), `dockerRegistryAuthFor(image)`,
 * `namespace` and `image`.
 */
export class TaskApiApp extends Construct {
  public readonly deployment: kplus.Deployment;
  public readonly container: kplus.Container;
  /** The app's configuration: attach it to any workload that should read the same values. */
  public readonly layers: LayeredConfig;
  public readonly pullSecret?: RegistryPullSecret;
  public readonly service: kplus.Service;
  /** Present when the app runs more than one pod (see the class comment). */
  public readonly disruptionBudget?: ApiObject;
  /** The namespace the app lives in. */
  public readonly namespace: string;
  /** The Task API image: other workloads of the app usually run the same one. */
  public readonly image: string;

  constructor(scope: Construct, id: string, props: TaskApiAppProps) {
    super(scope, id);
    const name = props.name ?? 'task-api';
    const port = props.port ?? 8000;
    const livenessPath = props.livenessPath ?? '/livez';
    const readinessPath = props.readinessPath ?? '/readyz';
    const replicas = props.replicas ?? 1;
    const namespace = props.namespace;
    this.namespace = namespace;
    this.image = props.image;
    const labels = { 'app.kubernetes.io/name': 'task-api', 'app.kubernetes.io/instance': name };
    const secretBackend = props.secretBackend;

    this.layers = new LayeredConfig(this, 'Config', {
      namespace,
      configMapName: `${name}-config`,
      secretName: `${name}-secrets`,
      config: props.config,
      secrets: props.secrets,
      storedSecretKeys: props.storedSecretKeys,
      secretBackend,
    });

    if (props.registry) {
      this.pullSecret = new RegistryPullSecret(this, 'PullSecret', { ...props.registry, name: `${name}-registry`, namespace, secretBackend });
    }

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name, namespace, labels },
      replicas,
      select: false,
      podMetadata: { labels },
      // A private image needs the pull secret; forgetting it is the classic 401/ImagePullBackOff.
      dockerRegistryAuth: this.dockerRegistryAuthFor(props.image),
    });
    this.deployment.select(kplus.LabelSelector.of({ labels }));

    this.container = this.deployment.addContainer({
      name,
      image: props.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      portNumber: port,
      startup: kplus.Probe.fromHttpGet(livenessPath, { port, ...PROBE_TIMINGS.startup }),
      liveness: kplus.Probe.fromHttpGet(livenessPath, { port, ...PROBE_TIMINGS.liveness }),
      readiness: kplus.Probe.fromHttpGet(readinessPath, { port, ...PROBE_TIMINGS.readiness }),
      resources: props.resources,
    });
    applyRestrictedPodSecurity(this.deployment, {
      securityContext: props.securityContext,
      podSecurityContext: props.podSecurityContext,
      relaxPodSecurity: props.relaxPodSecurity,
    });
    // Also turns off the Services' link variables: configuration comes from the layers only.
    this.layers.attachTo(this.deployment, this.container);

    // cdk8s-plus has no prop for it; the default would be implicit in the cluster.
    ApiObject.of(this.deployment).addJsonPatch(JsonPatch.add('/spec/revisionHistoryLimit', props.revisionHistoryLimit ?? 10));

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name, namespace, labels },
      ports: [{ name: 'http', port: 80, targetPort: port }],
    });
    for (const [key, value] of Object.entries(labels)) this.service.selectLabel(key, value);

    if (replicas > 1) {
      // A node drain or cluster upgrade evicts at most one pod at a time, whatever the replica
      // count becomes (minAvailable would have to follow it, and at the replica count it would
      // block every drain). Pods that are not ready may always be evicted: a crash-looping pod
      // serves nothing and must not hold up node maintenance.
      this.disruptionBudget = new ApiObject(this, 'DisruptionBudget', {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, namespace, labels },
        spec: {
          maxUnavailable: 1,
          selector: { matchLabels: this.deployment.matchLabels },
          unhealthyPodEvictionPolicy: 'AlwaysAllow',
        },
      });
    }
  }

  /**
   * The pull secret, for a workload's `dockerRegistryAuth`, when it serves `image`'s registry;
   * undefined otherwise (a public image, or one on another registry, needs none of it).
   */
  public dockerRegistryAuthFor(image: string): kplus.ISecret | undefined {
    return this.pullSecret?.servesImage(image) ? this.pullSecret.secret : undefined;
  }
}
