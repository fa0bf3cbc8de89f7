import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { byCodeUnits, keyedContentHash } from '../config/content-hash';
import { BackendSecret, keyedHashAnnotations, SecretBackend, SecretSpec } from './backend';

export interface PlainSecretBackendProps {
  /** Key of the HMAC restart marker (the environment's TASK_API_HASH_KEY); never written anywhere. */
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
    new ApiObject(scope, id, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: spec.name, namespace: spec.namespace },
      type: spec.type ?? 'Opaque',
      data: Lazy.any({ produce: () => base64Values(spec.data()) }),
    });
    const hashKey = this.props.hashKey;
    return {
      name: spec.name,
      restartAnnotations: () => keyedHashAnnotations(spec.data, hashKey),
      restartHash: () => keyedContentHash(spec.data(), hashKey),
      summary: () => '',
    };
  }
}

function base64Values(data: Readonly<Record<string, string>>): Record<string, string> {
  const encoded: Record<string, string> = {};
  for (const key of Object.keys(data).sort(byCodeUnits)) encoded[key] = Buffer.from(data[key], 'utf8').toString('base64');
  return encoded;
}
