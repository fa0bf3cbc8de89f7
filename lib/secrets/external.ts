import { ApiObject, Lazy } from 'cdk8s';
import { byCodeUnits } from '../config/content-hash';
import { Construct } from 'constructs';
import { BackendSecret, SecretBackend, SecretSpec } from './backend';

/** The External Secrets Operator store an ExternalSecret reads from. */
export interface SecretStoreRef {
  readonly name: string;
  /** A namespaced SecretStore (in the Secret's namespace) or a cluster-wide ClusterSecretStore. */
  readonly kind: 'SecretStore' | 'ClusterSecretStore';
}

/** Where one value lives in the external store. */
export interface RemoteRef {
  /** The remote secret's key (path or name, as the store's provider takes it). */
  readonly key: string;
  /**
   * The property inside that remote secret (a JSON field, a Vault key...).
   * @default - the whole remote secret is the value
   */
  readonly property?: string;
}

/** How often the operator re-reads the store by default. */
export const DEFAULT_REFRESH_INTERVAL = '1h';

/**
 * Workload annotation naming the Secrets whose changes make Reloader (stakater/Reloader) roll
 * it: with the external backend the values never pass through synth, so no hash can see them.
 */
export const RELOADER_SECRETS_ANNOTATION = 'secret.reloader.stakater.com/reload';

export interface ExternalSecretBackendProps {
  /** The SecretStore or ClusterSecretStore the values are read from. */
  readonly store: SecretStoreRef;
  /** Where each variable (an app secret key, a registry's credential variables) lives in the store. */
  readonly remoteRef: (variable: string) => RemoteRef;
  /**
   * How often the operator re-reads the store.
   * @default '1h'
   */
  readonly refreshInterval?: string;
}

/**
 * External Secrets Operator: ExternalSecrets name where each value lives, the operator creates
 * the Secrets in the cluster, and Reloader rolls the workloads when they change. No value passes
 * through synth, so dist/ can be committed.
 */
export class ExternalSecretBackend implements SecretBackend {
  public readonly name = 'external';
  public readonly holdsValues = false;

  constructor(private readonly props: ExternalSecretBackendProps) {}

  public addSecret(scope: Construct, id: string, spec: SecretSpec): BackendSecret {
    const { store, remoteRef } = this.props;
    const refreshInterval = this.props.refreshInterval ?? DEFAULT_REFRESH_INTERVAL;
    new ExternalSecret(scope, id, {
      name: spec.name,
      namespace: spec.namespace,
      store,
      refreshInterval,
      type: spec.type,
      data: () => Object.fromEntries(Object.entries(spec.storedAs()).map(([key, variable]) => [key, remoteRef(variable)])),
      template: spec.template,
    });
    return {
      // Values change in the store without a synth: no name can follow them (contentAddressed
      // does not apply). The fixed name stays, and Reloader drives the restarts.
      name: spec.name,
      lazyName: spec.name,
      // Reloader watches the Secret the operator writes and rolls the workload when it changes.
      restartAnnotations: () => ({ podTemplate: {}, workload: { [RELOADER_SECRETS_ANNOTATION]: spec.name } }),
      restartHash: () => undefined,
      summary: () => `external: ${store.kind}/${store.name}, refreshed every ${refreshInterval}; ` +
        `restarts driven by Reloader (${RELOADER_SECRETS_ANNOTATION})`,
    };
  }
}

export interface ExternalSecretProps {
  /** The name of the ExternalSecret and of the Secret the operator creates from it. */
  readonly name: string;
  /** The namespace of both. */
  readonly namespace: string;
  /** The store the values come from. */
  readonly store: SecretStoreRef;
  /** The values: Secret key (or template variable) → where it lives in the store. Read at synth time. */
  readonly data: () => Readonly<Record<string, RemoteRef>>;
  /**
   * The Secret's type.
   * @default 'Opaque'
   */
  readonly type?: string;
  /**
   * ESO (engine v2) templates building the Secret's data from the values of `data`, which are
   * then template variables only.
   * @default - the values of `data` are the Secret's data as they are
   */
  readonly template?: Readonly<Record<string, string>>;
  /**
   * How often the operator re-reads the store (a rotated value reaches the Secret within it).
   * @default '1h'
   */
  readonly refreshInterval?: string;
}

/**
 * An External Secrets Operator ExternalSecret (external-secrets.io/v1): names the values, never
 * holds them. The operator reads them from the store and creates (and owns) the Secret.
 */
export class ExternalSecret extends Construct {
  public readonly name: string;

  constructor(scope: Construct, id: string, props: ExternalSecretProps) {
    super(scope, id);
    this.name = props.name;
    new ApiObject(this, 'Resource', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: props.name, namespace: props.namespace },
      spec: {
        refreshInterval: props.refreshInterval ?? DEFAULT_REFRESH_INTERVAL,
        secretStoreRef: { name: props.store.name, kind: props.store.kind },
        target: {
          name: props.name,
          // The operator owns the Secret: deleting the ExternalSecret deletes it.
          creationPolicy: 'Owner',
          template: {
            type: props.type ?? 'Opaque',
            ...(props.template ? { engineVersion: 'v2', data: { ...props.template } } : {}),
          },
        },
        data: Lazy.any({ produce: () => remoteEntries(props.data()) }),
      },
    });
  }
}

function remoteEntries(data: Readonly<Record<string, RemoteRef>>): { secretKey: string; remoteRef: RemoteRef }[] {
  return Object.keys(data).sort(byCodeUnits).map((secretKey) => ({ secretKey, remoteRef: { ...data[secretKey] } }));
}
