import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { parseImageReference } from '../config/image-reference';
import { BackendSecret, SecretBackend } from '../secrets/backend';

export interface RegistryPullSecretProps {
  /** The Secret's name. */
  readonly name: string;
  /** The namespace the Secret lives in (the pods that pull must be in the same one). */
  readonly namespace: string;
  /** The registry, as `kubectl create secret docker-registry --docker-server` takes it (`ghcr.io`). */
  readonly server: string;
  /**
   * Registry user name. Needed when the backend writes values (plain, sealed); a backend that
   * keeps values in a store reads `storeKeys.username` there instead.
   * @default - none
   */
  readonly username?: string;
  /**
   * Registry password or token (for ghcr.io, a token with read:packages). Needed as `username` is.
   * @default - none
   */
  readonly password?: string;
  /**
   * The variables the two values are kept under in a secret store (a backend that holds no
   * values reads them there, each through the environment's remoteRef).
   * @default - none: a store-backed backend then refuses the pull secret
   */
  readonly storeKeys?: { readonly username: string; readonly password: string };
  /**
   * E-mail written into the config, as `--docker-email` does.
   * @default - none, left out of the config like kubectl does
   */
  readonly email?: string;
  /** How the Secret reaches the cluster. */
  readonly secretBackend: SecretBackend;
}

const DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';

/**
 * A `kubernetes.io/dockerconfigjson` Secret that lets the kubelet pull a private image.
 *
 * Without it (in a pod's `imagePullSecrets`) a private ghcr.io image fails with 401 and
 * ImagePullBackOff; an Opaque Secret holding the same JSON is ignored by the kubelet.
 */
export class RegistryPullSecret extends Construct {
  /** The registry this Secret authenticates to, as given. */
  public readonly server: string;
  /** The Secret, for a workload's `dockerRegistryAuth`. */
  public readonly secret: kplus.ISecret;
  /** The Secret as the backend wrote it. Not a restart marker: a token rotation must not roll pods. */
  public readonly backendSecret: BackendSecret;

  constructor(scope: Construct, id: string, props: RegistryPullSecretProps) {
    super(scope, id);
    const { server, username, password, email, storeKeys } = props;
    const backend = props.secretBackend;
    this.server = server;
    if (backend.holdsValues) {
      const missing = [username ? undefined : 'username', password ? undefined : 'password'].filter((name) => name !== undefined);
      if (missing.length > 0) {
        throw new Error(`registry credentials for ${server} are missing: the ${backend.name} secret backend needs the ${missing.join(' and ')}`);
      }
    } else if (!storeKeys) {
      throw new Error(`the pull secret for ${server} needs storeKeys: the ${backend.name} secret backend reads the credentials from a store`);
    }
    this.backendSecret = backend.addSecret(this, 'Resource', {
      name: props.name,
      namespace: props.namespace,
      type: DOCKER_CONFIG_JSON,
      data: () => ({ '.dockerconfigjson': dockerConfigJson({ server, username: username!, password: password!, email }) }),
      // In the cluster, the same JSON is built from the two values kept in the store.
      storedAs: () => ({ username: storeKeys!.username, password: storeKeys!.password }),
      template: { '.dockerconfigjson': dockerConfigJsonTemplate(server, email) },
    });
    this.secret = kplus.Secret.fromSecretName(this, 'Ref', this.backendSecret.name);
  }

  /** Whether pods running `image` need this Secret to pull it. */
  public servesImage(image: string): boolean {
    return imageRegistry(image) === registryHost(this.server);
  }
}

export interface DockerCredentials {
  readonly server: string;
  readonly username: string;
  readonly password: string;
  readonly email?: string;
}

/**
 * The `.dockerconfigjson` that `kubectl create secret docker-registry` writes, byte for byte:
 * `{"auths":{S:{"username","password","email"?,"auth"}}}` with no spaces, email left out when
 * empty, auth the base64 of `user:password`, and Go's escaping (k8s.io/kubectl create_secret_docker.go).
 */
export function dockerConfigJson(credentials: DockerCredentials): string {
  const { server, username, password, email } = credentials;
  const entry: Record<string, string> = { username, password };
  if (email) entry.email = email;
  entry.auth = Buffer.from(`${username}:${password}`).toString('base64');
  return goJson({ auths: { [server]: entry } });
}

/**
 * An External Secrets Operator template (engine v2) that builds, in the cluster, the same
 * `.dockerconfigjson` as dockerConfigJson from the template variables `username` and `password`.
 * sprig's `toJson` is Go's encoding/json, the encoder kubectl uses, so the bytes match too.
 */
export function dockerConfigJsonTemplate(server: string, email?: string): string {
  const quoted = (variable: string) => `{{ ${variable} | toJson }}`;
  const entry = [
    `"username":${quoted('.username')}`,
    `"password":${quoted('.password')}`,
    ...(email ? [`"email":${goJson(email)}`] : []),
    `"auth":${quoted('printf "%s:%s" .username .password | b64enc')}`,
  ];
  return `{"auths":{${goJson(server)}:{${entry.join(',')}}}}`;
}

/**
 * JSON as Go's encoding/json writes it: like JSON.stringify, but with <, >, & and the JavaScript
 * line separators escaped (Go's HTML-safe default), so a password holding them still matches.
 */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * The registry host of an image reference, the way Docker reads it (lib/config/image-reference.ts):
 * the first path component is a registry when it has a '.' or ':', is `localhost` or has an
 * uppercase letter; otherwise the image is on Docker Hub. Lowercase, as host names compare. Empty
 * for text that is not an image reference: no registry serves it (the kubelet refuses it).
 */
export function imageRegistry(image: string): string {
  return parseImageReference(image).reference?.registry.toLowerCase() ?? '';
}

/** The host of a `--docker-server` value, which may be a URL (`https://index.docker.io/v1/`). */
export function registryHost(server: string): string {
  const host = server.replace(/^[a-z]+:\/\//i, '').split('/')[0].toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}
