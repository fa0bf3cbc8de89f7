import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { canonicalData } from '../config/content-hash';
import { BackendSecret, heldValuesSecret, lazyString, SecretBackend, SecretSpec, secretName } from './backend';
import { PreviousSealedSecret, SealedData, sealData, SealingCertificate } from './sealing';

export interface SealedSecretBackendProps {
  /** The controller's certificate (`kubeseal --fetch-cert`). */
  readonly certificate: SealingCertificate;
  /**
   * The environment's hash key: keys the restart marker and the fingerprints that let
   * unchanged values keep their ciphertext. Never written anywhere.
   */
  readonly hashKey: string;
  /**
   * The prefix of the annotation the fingerprints are kept in and the label they are made under:
   * the project's name.
   */
  readonly annotationPrefix: string;
  /**
   * What the previous synth wrote, by SealedSecret name (previousSealedSecrets).
   * @default - nothing: every value is sealed afresh
   */
  readonly previous?: ReadonlyMap<string, PreviousSealedSecret>;
}

/**
 * Bitnami SealedSecrets: each value encrypted at synth time for the cluster's controller, so
 * dist/ can be committed. Unchanged values keep their earlier ciphertext.
 */
export class SealedSecretBackend implements SecretBackend {
  public readonly name = 'sealed';
  public readonly holdsValues = true;

  constructor(private readonly props: SealedSecretBackendProps) {}

  public addSecret(scope: Construct, id: string, spec: SecretSpec): BackendSecret {
    const { certificate, hashKey, previous, annotationPrefix } = this.props;
    const name = () => secretName(spec, hashKey);
    // Each version is its own SealedSecret, sealed for its own name (strict scope).
    const sealed = new SealedSecret(scope, id, {
      name,
      namespace: spec.namespace,
      type: spec.type,
      data: spec.data,
      certificate,
      hashKey,
      annotationPrefix,
      previous: (sealedName) => previous?.get(sealedName),
      immutable: spec.contentAddressed,
    });
    return heldValuesSecret(spec, hashKey, () => `sealed: ${sealed.summary()}`);
  }
}

/**
 * Annotation on a SealedSecret holding, per key, the keyed fingerprint of the value its
 * ciphertext seals (see sealedValueFingerprint): how the next synth knows which ciphertexts to keep.
 * One key per line, so that a git diff shows which values changed. Its prefix is the project's name.
 */
export function sealedValueHmacsAnnotation(prefix: string): string {
  return `${prefix}/sealed-value-hmacs`;
}

export interface SealedSecretProps {
  /**
   * The name of the SealedSecret and of the Secret the controller creates from it; a function
   * when it depends on data that may still grow (a content-addressed name), read at synth time.
   */
  readonly name: string | (() => string);
  /** The namespace of both. */
  readonly namespace: string;
  /**
   * The Secret's type.
   * @default 'Opaque'
   */
  readonly type?: string;
  /** The Secret's data (plaintext); read at synth time, so entries added later still count. */
  readonly data: () => Readonly<Record<string, string>>;
  /** The controller's certificate. */
  readonly certificate: SealingCertificate;
  /** Key of the fingerprints (the environment's hash key); never written anywhere. */
  readonly hashKey: string;
  /** The fingerprints' annotation prefix and label: the project's name. */
  readonly annotationPrefix: string;
  /**
   * What the previous synth wrote for this SealedSecret (or, given its name, for the one of
   * that name).
   * @default - none: every value is sealed afresh
   */
  readonly previous?: PreviousSealedSecret | ((name: string) => PreviousSealedSecret | undefined);
  /**
   * Whether the Secret the controller writes is immutable (a content-addressed version).
   * @default false
   */
  readonly immutable?: boolean;
}

/**
 * A Bitnami SealedSecret (bitnami.com/v1alpha1) in place of a Secret: every value encrypted
 * for this namespace and name only (strict scope), so it can be committed; the controller in
 * the cluster decrypts it into the Secret named in `spec.template`, which workloads reference
 * as usual.
 */
export class SealedSecret extends Construct {
  private readonly props: SealedSecretProps;
  private sealed?: { readonly canonical: string; readonly result: SealedData };

  constructor(scope: Construct, id: string, props: SealedSecretProps) {
    super(scope, id);
    this.props = props;
    const metadata = { name: lazyString(() => this.name), namespace: props.namespace };
    new ApiObject(this, 'Resource', {
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: {
        ...metadata,
        annotations: { [sealedValueHmacsAnnotation(this.props.annotationPrefix)]: Lazy.any({ produce: () => JSON.stringify(this.seal().fingerprints, null, 1) }) },
      },
      spec: {
        encryptedData: Lazy.any({ produce: () => this.seal().encryptedData }),
        template: { metadata, type: props.type ?? 'Opaque', ...(props.immutable ? { immutable: true } : {}) },
      },
    });
  }

  /** The name of the SealedSecret and of its Secret. */
  public get name(): string {
    return typeof this.props.name === 'string' ? this.props.name : this.props.name();
  }

  /**
   * The sealed data. Sealed once per distinct data (both lazy fields and the synth summary must
   * see the same random ciphertexts).
   */
  public seal(): SealedData {
    const data = this.props.data();
    const name = this.name;
    // The name is sealed into every value: a new name (a new version) is a new sealing.
    const canonical = JSON.stringify([name, canonicalData(data)]);
    if (this.sealed?.canonical !== canonical) {
      const { namespace, certificate, hashKey, previous, annotationPrefix } = this.props;
      const earlier = typeof previous === 'function' ? previous(name) : previous;
      this.sealed = { canonical, result: sealData(data, { namespace, name, certificate, hashKey, label: annotationPrefix }, earlier) };
    }
    return this.sealed.result;
  }

  /** `2 kept, new ciphertext for A, B`, for the synth summary (key names only, never values). */
  public summary(): string {
    const { kept, resealed } = this.seal();
    const parts: string[] = [];
    if (kept.length > 0) parts.push(`${kept.length} kept`);
    if (resealed.length > 0) parts.push(`new ciphertext for ${resealed.join(', ')}`);
    return parts.join(', ') || 'no values';
  }
}

/**
 * What earlier output holds for each SealedSecret, by name: the input `previous` of the next
 * synth. Pure; anything unexpected (another kind, a missing or malformed field or annotation)
 * is skipped, which only means those values are sealed afresh.
 */
export function previousSealedSecrets(objects: readonly any[], annotationPrefix: string): Map<string, PreviousSealedSecret> {
  const found = new Map<string, PreviousSealedSecret>();
  for (const object of objects) {
    if (object?.apiVersion !== 'bitnami.com/v1alpha1' || object?.kind !== 'SealedSecret') continue;
    const name = object.metadata?.name;
    if (typeof name !== 'string') continue;
    found.set(name, {
      encryptedData: stringEntries(object.spec?.encryptedData),
      fingerprints: stringEntries(parseJson(object.metadata?.annotations?.[sealedValueHmacsAnnotation(annotationPrefix)])),
    });
  }
  return found;
}

function stringEntries(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
