import { ApiObject, JsonPatch, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { byCodeUnits, contentHash } from '../config/content-hash';
import { kustomizeConfigMapSuffix, versionedName } from '../config/name-suffix';
import { BackendSecret, lazyString, SecretBackend } from '../secrets/backend';
import { POD_SPEC_POINTERS } from './pod-spec';

/** Pod-template annotation holding the hash of the ConfigMap data the pod consumes. */
export const CONFIG_HASH_ANNOTATION = 'checksum/config';

export interface LayeredConfigProps {
  /** The namespace both objects live in. */
  readonly namespace: string;
  /** Base name of the ConfigMap (layers 1 and 2); the written name ends in a suffix of its data. */
  readonly configMapName: string;
  /**
   * Base name of the Secret (layer 3); the written name ends in a keyed suffix of its data,
   * unless the backend keeps the values in a store.
   */
  readonly secretName: string;
  /** Layers 1 and 2, already merged: the environment file's values over the defaults. */
  readonly config: Readonly<Record<string, string>>;
  /** Layer 3: the values that must only ever live in a Secret. Empty when the backend holds no values. */
  readonly secrets: Readonly<Record<string, string>>;
  /**
   * Layer 3 keys whose values stay in a secret store (a backend that holds no values, such as
   * external): named here, never read.
   * @default - none
   */
  readonly storedSecretKeys?: readonly string[];
  /** How the Secret reaches the cluster and how its changes restart the workloads. */
  readonly secretBackend: SecretBackend;
}

/**
 * The three configuration layers, done the way the kubelet really resolves them.
 *
 * Layers 1 and 2 (defaults < environment file) are merged at synth time into one ConfigMap;
 * layer 3 goes into one Secret, written by the secret backend. A container gets both through
 * `envFrom: [configMapRef, secretRef]`: the kubelet applies envFrom sources in order, the later
 * winning, so a Secret key outranks a ConfigMap key. Nothing layered ever goes into `env:`,
 * because the kubelet applies `env` after every envFrom source and it would silently invert
 * the hierarchy.
 *
 * Restarts: `attachTo` marks each workload's pod template with a hash of exactly this data (and
 * whatever the backend uses for the Secret), so applying changed config rolls the pods.
 */
export class LayeredConfig extends Construct {
  /** A reference to the ConfigMap, for `envFrom`. */
  public readonly configMap: kplus.IConfigMap;
  /** A reference to the Secret, for `envFrom`. */
  public readonly secret: kplus.ISecret;
  /** The Secret as the backend wrote it (its restart marker and summary). */
  public readonly backendSecret: BackendSecret;
  public readonly secretBackend: SecretBackend;
  // Null-prototype records: keys such as `constructor` are plain data here.
  private readonly config: Record<string, string> = Object.create(null);
  private readonly secrets: Record<string, string> = Object.create(null);
  private readonly storedSecretKeys: readonly string[];
  /** The ConfigMap's name before its suffix: one line of versions per base name and namespace. */
  public readonly configMapBaseName: string;
  /** The Secret's name before its suffix. */
  public readonly secretBaseName: string;
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: LayeredConfigProps) {
    super(scope, id);
    this.secretBackend = props.secretBackend;
    this.storedSecretKeys = props.storedSecretKeys ?? [];
    if (this.secretBackend.holdsValues && this.storedSecretKeys.length > 0) {
      throw new Error(`the ${this.secretBackend.name} secret backend writes values: give them in "secrets", not in "storedSecretKeys"`);
    }
    for (const [key, value] of Object.entries(props.config)) this.addConfig(key, value);
    for (const [key, value] of Object.entries(props.secrets)) this.addSecret(key, value);

    // Versioned by content (kustomize's generator suffix) and immutable: a new version is a new
    // object, and the old one stays for the ReplicaSets that a rollback brings back.
    this.configMapBaseName = props.configMapName;
    this.secretBaseName = props.secretName;
    this.namespace = props.namespace;
    new ApiObject(this, 'ConfigMap', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: lazyString(() => this.configMapName), namespace: props.namespace },
      immutable: true,
      data: Lazy.any({ produce: () => sortedCopy(this.config) }),
    });
    this.configMap = kplus.ConfigMap.fromConfigMapName(this, 'ConfigMapRef', lazyString(() => this.configMapName));

    this.backendSecret = this.secretBackend.addSecret(this, 'Secret', {
      name: props.secretName,
      namespace: props.namespace,
      data: () => this.secrets,
      storedAs: () => Object.fromEntries([...Object.keys(this.secrets), ...this.storedSecretKeys].map((key) => [key, key])),
      contentAddressed: true,
    });
    // Workloads reference the Secret itself, which the backend's controller or operator may create.
    this.secret = kplus.Secret.fromSecretName(this, 'SecretRef', this.backendSecret.lazyName);
  }

  /** The ConfigMap's name: its base name and the suffix of its current data. */
  public get configMapName(): string {
    return versionedName(this.configMapBaseName, kustomizeConfigMapSuffix(this.config));
  }

  /** The name of the Secret workloads reference (versioned, unless the backend keeps values in a store). */
  public get secretName(): string {
    return this.backendSecret.name;
  }

  /** Adds a non-sensitive value to the ConfigMap. */
  public addConfig(key: string, value: string): void {
    if (key in this.config) {
      throw new Error(`unable to add the ConfigMap entry "${key}": it is already set`);
    }
    this.config[key] = value;
  }

  /** Adds a sensitive value to the Secret. */
  public addSecret(key: string, value: string): void {
    if (!this.secretBackend.holdsValues) {
      throw new Error(`unable to add the secret "${key}": with the ${this.secretBackend.name} backend its value stays in the secret store`);
    }
    if (key in this.secrets) {
      throw new Error(`unable to add the secret "${key}": it is already set`);
    }
    this.secrets[key] = value;
  }

  /** Hash of the ConfigMap data, as written on the pod template. */
  public configHash(): string {
    return contentHash(this.config);
  }

  /** What the synth summary says about the Secret (its restart hash or how it restarts; never a value). */
  public secretSummary(): string {
    return [this.backendSecret.restartHash(), this.backendSecret.summary()].filter((part) => part).join('  ');
  }

  /**
   * Feeds both layers to `container` (ConfigMap first, then Secret, so the Secret wins) and
   * marks `workload` so that a change of either rolls it: any workload with a pod template
   * (Deployment, StatefulSet, DaemonSet, Job, CronJob), as many as share this configuration.
   * The hashes are computed at synth time, so data added after this call still counts.
   *
   * It also turns off the Docker-link variables of the namespace's Services
   * (`enableServiceLinks: false`): a Service `web` would inject WEB_PORT=tcp://... and
   * friends into every pod of the namespace, which a settings class reading the WEB_
   * prefix would take for configuration. Configuration comes from the layers only.
   */
  public attachTo(workload: kplus.Workload, container: kplus.Container): void {
    const apiObject = ApiObject.of(workload);
    const podSpec = POD_SPEC_POINTERS.get(apiObject.kind);
    if (podSpec === undefined) throw new Error(`${apiObject.kind} ${apiObject.name}: LayeredConfig.attachTo knows no pod spec in a ${apiObject.kind}`);
    apiObject.addJsonPatch(JsonPatch.add(`${podSpec}/enableServiceLinks`, false));
    container.env.copyFrom(kplus.Env.fromConfigMap(this.configMap));
    container.env.copyFrom(kplus.Env.fromSecret(this.secret));
    workload.podMetadata.addAnnotation(CONFIG_HASH_ANNOTATION, lazyString(() => this.configHash()));
    const restart = this.backendSecret.restartAnnotations();
    for (const [key, value] of Object.entries(restart.podTemplate)) workload.podMetadata.addAnnotation(key, value);
    for (const [key, value] of Object.entries(restart.workload)) workload.metadata.addAnnotation(key, value);
  }
}

function sortedCopy(data: Readonly<Record<string, string>>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const key of Object.keys(data).sort(byCodeUnits)) copy[key] = data[key];
  return copy;
}
