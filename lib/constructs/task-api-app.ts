import { ApiObject, JsonPatch } from 'cdk8s';
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
   * HTTP path of the readiness and liveness probes.
   * @default '/health'
   */
  readonly healthPath?: string;
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
  /**
   * How many old ReplicaSets the Deployment keeps for `kubectl rollout undo`. Synth keeps in
   * dist/ the ConfigMap and Secret versions of that many earlier pod templates plus the current
   * one, so every kept revision finds its config. Set explicitly rather than left to the
   * cluster's default (10): it is a promise about what dist/ holds.
   * @default 5
   */
  readonly revisionHistoryLimit?: number;
}

/** Old ReplicaSets kept for rollback, as kapp keeps 5 config versions by default. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 5;

/**
 * The Task API in a namespace: LayeredConfig (ConfigMap + Secret), pull secret, Deployment and
 * Service. Other workloads share its configuration and pull secret through `layers` and
 * `pullSecret` (see examples/).
 */
export class TaskApiApp extends Construct {
  public readonly deployment: kplus.Deployment;
  public readonly container: kplus.Container;
  public readonly layers: LayeredConfig;
  public readonly pullSecret?: RegistryPullSecret;
  public readonly service: kplus.Service;

  constructor(scope: Construct, id: string, props: TaskApiAppProps) {
    super(scope, id);
    const name = props.name ?? 'task-api';
    const port = props.port ?? 8000;
    const healthPath = props.healthPath ?? '/health';
    const namespace = props.namespace;
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
      replicas: props.replicas ?? 1,
      select: false,
      podMetadata: { labels },
      // A private image needs the pull secret; forgetting it is the classic 401/ImagePullBackOff.
      dockerRegistryAuth: this.pullSecret?.servesImage(props.image) ? this.pullSecret.secret : undefined,
    });
    this.deployment.select(kplus.LabelSelector.of({ labels }));

    this.container = this.deployment.addContainer({
      name,
      image: props.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      portNumber: port,
      readiness: kplus.Probe.fromHttpGet(healthPath, { port }),
      liveness: kplus.Probe.fromHttpGet(healthPath, { port }),
      resources: props.resources,
    });
    applyRestrictedPodSecurity(this.deployment, {
      securityContext: props.securityContext,
      podSecurityContext: props.podSecurityContext,
      relaxPodSecurity: props.relaxPodSecurity,
    });
    // No Docker-link variables for the namespace's Services: the Service `task-api` would inject
    // TASK_API_PORT=tcp://... and friends, which a settings class reading the TASK_API_ prefix
    // would take for configuration. Configuration comes from the layers only.
    ApiObject.of(this.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/enableServiceLinks', false));
    // cdk8s-plus 27 has no revisionHistoryLimit prop.
    ApiObject.of(this.deployment).addJsonPatch(JsonPatch.add('/spec/revisionHistoryLimit', props.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT));
    this.layers.attachTo(this.deployment, this.container);

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name, namespace, labels },
      ports: [{ name: 'http', port: 80, targetPort: port }],
    });
    for (const [key, value] of Object.entries(labels)) this.service.selectLabel(key, value);
  }

}
