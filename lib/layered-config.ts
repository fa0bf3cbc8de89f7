import { ApiObject, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { byCodeUnits, contentHash, keyedContentHash } from './content-hash';
import { ExternalSecret } from './external-secret';
import { SealedSecret } from './sealed-secret';
import { PLAIN_BACKEND, SecretBackend } from './secret-backend';

/** Pod-template annotation holding the hash of the ConfigMap data the pod consumes. */
export const CONFIG_HASH_ANNOTATION = 'checksum/config';
/** Pod-template annotation holding the keyed hash of the Secret data the pod consumes. */
export const SECRET_HASH_ANNOTATION = 'checksum/secret';
/**
 * Workload annotation naming the Secrets whose changes make Reloader (stakater/Reloader) roll
 * it: with the external backend the values never pass through synth, so no hash can see them.
 */
export const RELOADER_SECRETS_ANNOTATION = 'secret.reloader.stakater.com/reload';

export interface LayeredConfigProps {
  /** The namespace both objects live in. */
  readonly namespace: string;
  /** Name of the ConfigMap (layers 1 and 2). */
  readonly configMapName: string;
  /** Name of the Opaque Secret (layer 3). */
  readonly secretName: string;
  /** Layers 1 and 2, already merged: the environment file's values over the defaults. */
  readonly config: Readonly<Record<string, string>>;
  /** Layer 3: the values that must only ever live in a Secret. */
  readonly secrets: Readonly<Record<string, string>>;
  /**
   * Key of the HMAC over the Secret data. It lives with the environment's secrets and is never
   * written into any object.
   */
  readonly hashKey: string;
  /**
   * How the Secret reaches the cluster. With `external`, `secrets` must be empty: the keys come
   * from the backend and the values stay in the store.
   * @default - plain: a Secret with base64 data
   */
  readonly secretBackend?: SecretBackend;
}

/**
 * The three configuration layers, done the way the kubelet really resolves them.
 *
 * Layers 1 and 2 (defaults < environment file) are merged at synth time into one ConfigMap;
 * layer 3 goes into one Opaque Secret. A container gets both through
 * `envFrom: [configMapRef, secretRef]`: the kubelet applies envFrom sources in order, the later
 * winning, so a Secret key outranks a ConfigMap key. Nothing layered ever goes into `env:`,
 * because the kubelet applies `env` after every envFrom source and it would silently invert
 * the hierarchy.
 *
 * Restarts: `attachTo` puts hashes of exactly this data on the pod template, so applying
 * changed config changes the template and rolls the pods.
 */
export class LayeredConfig extends Construct {
  /** A reference to the ConfigMap, for `envFrom`. */
  public readonly configMap: kplus.IConfigMap;
  /** A reference to the Secret, for `envFrom`. */
  public readonly secret: kplus.ISecret;
  public readonly secretName: string;
  // Null-prototype records: keys such as `constructor` are plain data here.
  private readonly config: Record<string, string> = Object.create(null);
  private readonly secrets: Record<string, string> = Object.create(null);
  /** How the Secret reaches the cluster. */
  public readonly secretBackend: SecretBackend;
  /** The SealedSecret standing for the Secret (sealed backend only). */
  public readonly sealedSecret?: SealedSecret;
  private readonly hashKey: string;

  constructor(scope: Construct, id: string, props: LayeredConfigProps) {
    super(scope, id);
    this.hashKey = props.hashKey;
    this.secretName = props.secretName;
    this.secretBackend = props.secretBackend ?? PLAIN_BACKEND;
    for (const [key, value] of Object.entries(props.config)) this.addConfig(key, value);
    for (const [key, value] of Object.entries(props.secrets)) this.addSecret(key, value);

    new ApiObject(this, 'ConfigMap', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: props.configMapName, namespace: props.namespace },
      data: Lazy.any({ produce: () => sortedCopy(this.config) }),
    });
    this.configMap = kplus.ConfigMap.fromConfigMapName(this, 'ConfigMapRef', props.configMapName);

    const backend = this.secretBackend;
    const metadata = { name: props.secretName, namespace: props.namespace };
    if (backend.kind === 'plain') {
      // Secret values go base64 under `data`, as `kubectl create secret` writes them. Not
      // `stringData`: a key later removed from stringData stays in the live Secret under
      // `kubectl apply` (kubernetes#89938), while a key removed from data is removed.
      new ApiObject(this, 'Secret', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata,
        type: 'Opaque',
        data: Lazy.any({ produce: () => base64Values(this.secrets) }),
      });
    } else if (backend.kind === 'sealed') {
      this.sealedSecret = new SealedSecret(this, 'Secret', {
        ...metadata,
        data: () => this.secrets,
        certificate: backend.certificate,
        hashKey: backend.hashKey,
        previous: backend.previous.get(props.secretName),
      });
    } else {
      new ExternalSecret(this, 'Secret', {
        ...metadata,
        store: backend.store,
        refreshInterval: backend.refreshInterval,
        data: Object.fromEntries(backend.keys.map((key) => [key, backend.remoteRef(key)])),
      });
    }
    // The workload references the Secret itself, which the controller or operator creates.
    this.secret = kplus.Secret.fromSecretName(this, 'SecretRef', props.secretName);
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
    if (this.secretBackend.kind === 'external') {
      throw new Error(`unable to add the secret "${key}": with the external backend its value stays in the secret store`);
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

  /** Keyed hash of the Secret data, as written on the pod template (not for the external backend). */
  public secretHash(): string {
    if (this.secretBackend.kind === 'external') throw new Error('the external backend has no secret values to hash');
    return keyedContentHash(this.secrets, this.hashKey);
  }

  /** What the synth summary says about the Secret. */
  public secretSummary(): string {
    const backend = this.secretBackend;
    if (backend.kind === 'external') {
      return `external: ${backend.store.kind}/${backend.store.name}, refreshed every ${backend.refreshInterval}; ` +
        `restarts driven by Reloader (${RELOADER_SECRETS_ANNOTATION})`;
    }
    if (this.sealedSecret) return `${this.secretHash()}  sealed: ${this.sealedSecret.summary()}`;
    return this.secretHash();
  }

  /**
   * Feeds both layers to `container` (ConfigMap first, then Secret, so the Secret wins) and
   * marks the workload's pod template with their hashes. The hashes are computed at synth time,
   * so data added after this call still counts.
   */
  public attachTo(workload: kplus.Deployment, container: kplus.Container): void {
    container.env.copyFrom(kplus.Env.fromConfigMap(this.configMap));
    container.env.copyFrom(kplus.Env.fromSecret(this.secret));
    workload.podMetadata.addAnnotation(CONFIG_HASH_ANNOTATION, lazyString(() => this.configHash()));
    if (this.secretBackend.kind === 'external') {
      // Reloader watches the Secret the operator writes and rolls the workload when it changes.
      workload.metadata.addAnnotation(RELOADER_SECRETS_ANNOTATION, this.secretName);
    } else {
      workload.podMetadata.addAnnotation(SECRET_HASH_ANNOTATION, lazyString(() => this.secretHash()));
    }
  }
}

function sortedCopy(data: Readonly<Record<string, string>>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const key of Object.keys(data).sort(byCodeUnits)) copy[key] = data[key];
  return copy;
}

function base64Values(data: Readonly<Record<string, string>>): Record<string, string> {
  const encoded: Record<string, string> = {};
  for (const key of Object.keys(data).sort(byCodeUnits)) encoded[key] = Buffer.from(data[key], 'utf8').toString('base64');
  return encoded;
}

/** A string resolved at synth time (annotation values are typed as strings). */
function lazyString(produce: () => string): string {
  return Lazy.any({ produce }) as unknown as string;
}
