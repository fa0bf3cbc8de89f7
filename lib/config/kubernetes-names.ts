// The API server's rules for the names this project writes, in one place: env files, the
// validation of synthesized objects and explain's kubelet model all apply the same ones.

/** A ConfigMap/Secret data key (k8s.io/apimachinery IsConfigMapKey). */
export function isDataKey(key: string): boolean {
  return /^[-._a-zA-Z0-9]+$/.test(key) && key.length <= 253 && key !== '.' && key !== '..' && !key.startsWith('..');
}

/** What a data key may be, for messages. */
export const DATA_KEY_RULE = "letters, digits, '-', '_' and '.' (at most 253 characters, not '.', '..' or starting with '..')";

/**
 * The strict env var name (IsEnvVarName): kubelets before RelaxedEnvironmentVariableValidation
 * (beta in 1.32) skip envFrom keys that are not one.
 */
export function isStrictEnvVarName(name: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name);
}

/** ConfigMap and Secret data, decoded, is limited to 1 MiB per object. */
export const MAX_DATA_BYTES = 1024 * 1024;
