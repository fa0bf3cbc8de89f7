import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { byCodeUnits } from '../config/content-hash';
import { BackendSecret, heldValuesSecret, lazyString, SecretBackend, SecretSpec, secretName } from './backend';

export interface PlainSecretBackendProps {
  /** Key of the HMAC restart marker (the environment's hash key); never written anywhere. */
  readonly hashKey: string;
}

/** Secrets with base64 data, as `kubectl create secret` writes them: dist/ then holds secret values. */
export class PlainSecretBackend implements SecretBackend {
  public readonly name = 'plain';
  public readonly holdsValues = true;

  constructor(private readonly props: PlainSecretBackendProps) {}

  public addSecret(scope: Construct, id: string, spec: SecretSpec): BackendSecret {
    // Values go base64 under `data`, not `stringData`: a key later removed from stringData stays
    // in the live Secret under `kubectl apply` (kubernetes#89938), a key removed from data is removed.
    const hashKey = this.props.hashKey;
    const name = () => secretName(spec, hashKey);
    new ApiObject(scope, id, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: lazyString(name), namespace: spec.namespace },
      // A versioned Secret never changes: a new version is a new name.
      ...(spec.contentAddressed ? { immutable: true } : {}),
      type: spec.type ?? 'Opaque',
      data: Lazy.any({ produce: () => base64Values(spec.data()) }),
    });
    return heldValuesSecret(spec, hashKey, () => '');
  }
}

function base64Values(data: Readonly<Record<string, string>>): Record<string, string> {
  const encoded: Record<string, string> = {};
  for (const key of Object.keys(data).sort(byCodeUnits)) encoded[key] = Buffer.from(data[key], 'utf8').toString('base64');
  return encoded;
}
