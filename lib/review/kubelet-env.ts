/**
 * A container's environment as the kubelet builds it (pkg/kubelet/kubelet_pods.go,
 * makeEnvironmentVariables), computed offline from the objects that would be applied. Pure.
 *
 * The kubelet's order, which this follows step by step:
 * 1. `envFrom` sources in list order, each key with the source's prefix; a later source wins a key.
 * 2. `env` entries in list order, each winning over any envFrom key of the same name. A `value` has
 *    `$(VAR)` references expanded against what is set so far (envFrom keys and EARLIER env
 *    entries) and then the service variables; `$$` is a literal `$`; an unresolved reference stays
 *    as written. `valueFrom` values and envFrom values are never expanded.
 * 3. Service link variables (`<SERVICE>_SERVICE_HOST`, ...) for names nothing else set: always for
 *    the API server's `kubernetes` Service, and for each Service of the namespace unless the pod
 *    sets `enableServiceLinks: false`.
 */

import { isStrictEnvVarName } from '../config/kubernetes-names';

/** A `configMapRef` or `secretRef` of `envFrom`, or a `configMapKeyRef` / `secretKeyRef`. */
export interface ObjectRef {
  readonly kind: 'ConfigMap' | 'Secret';
  readonly name: string;
}

/** Where one variable's value came from. */
export type VarOrigin =
  | { readonly type: 'envFrom'; readonly ref: ObjectRef; readonly key: string; readonly prefix: string }
  | { readonly type: 'env'; readonly index: number; readonly expanded: readonly string[] }
  | { readonly type: 'valueFrom'; readonly index: number; readonly ref?: ObjectRef; readonly key?: string; readonly field?: string }
  | { readonly type: 'service'; readonly service: string };

/** One variable of the effective environment. */
export interface EffectiveVar {
  readonly name: string;
  /** The value; `undefined` when only the cluster knows it (a pod field, a cluster IP). */
  readonly value: string | undefined;
  /** How the value reads when it is not known offline, e.g. `tcp://<cluster IP>:80`. */
  readonly template?: string;
  /** Whether the value comes from, or was expanded from, a Secret. */
  readonly secret: boolean;
  readonly origin: VarOrigin;
  /** What set this name earlier and was overridden, in the order they were applied. */
  readonly overrode: readonly VarOrigin[];
}

/** Something the kubelet would complain about. */
export interface EnvProblem {
  readonly message: string;
}

/** The data the container's references resolve against: the namespace's objects. */
export interface NamespaceData {
  /** ConfigMap name → data. */
  readonly configMaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Secret name → decoded data. A value is `undefined` where only the cluster will know it: the
   * Secrets that a SealedSecret's controller or an ExternalSecret's operator creates.
   */
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string | undefined>>>>;
  /** The namespace's Services (the API server's `kubernetes` Service is added by effectiveEnvironment). */
  readonly services: readonly ServiceLink[];
}

/** What of a Service its link variables are made of. */
export interface ServiceLink {
  readonly name: string;
  readonly ports: readonly { readonly name?: string; readonly port: number; readonly protocol?: string }[];
}

/** The `kubernetes` Service of the `default` namespace, whose variables every pod gets. */
const API_SERVER_SERVICE: ServiceLink = { name: 'kubernetes', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] };

/** The kubelet's effective environment for `container` (a container spec as JSON). */
export function effectiveEnvironment(
  container: any,
  data: NamespaceData,
  options: { readonly enableServiceLinks?: boolean } = {},
): { vars: EffectiveVar[]; problems: EnvProblem[] } {
  const vars = new Map<string, EffectiveVar>();
  const problems: EnvProblem[] = [];
  const set = (entry: Omit<EffectiveVar, 'overrode'>) => {
    const previous = vars.get(entry.name);
    vars.set(entry.name, { ...entry, overrode: previous ? [...previous.overrode, previous.origin] : [] });
  };

  for (const source of container.envFrom ?? []) {
    const ref: ObjectRef | undefined = source.configMapRef
      ? { kind: 'ConfigMap', name: source.configMapRef.name }
      : source.secretRef ? { kind: 'Secret', name: source.secretRef.name } : undefined;
    if (!ref) continue;
    const optional = (source.configMapRef ?? source.secretRef).optional === true;
    const objectData = lookUp(data, ref);
    if (!objectData) {
      if (!optional) problems.push({ message: `envFrom ${ref.kind} ${ref.name} is not among the objects: the container would not start` });
      continue;
    }
    const prefix: string = source.prefix ?? '';
    for (const key of Object.keys(objectData)) {
      const name = prefix + key;
      if (!isStrictEnvVarName(name)) {
        problems.push({ message: `${name} (from ${ref.kind} ${ref.name}) is not a C-style variable name: kubelets before 1.32 skip it` });
      }
      set({ name, value: objectData[key], secret: ref.kind === 'Secret', origin: { type: 'envFrom', ref, key, prefix } });
    }
  }

  // The kubelet always adds the API server's Service; the namespace's own ones (which take the
  // name `kubernetes` over from it) only with service links on, the default.
  const namespaceServices = options.enableServiceLinks === false ? [] : data.services;
  const apiServer = namespaceServices.some((s) => s.name === API_SERVER_SERVICE.name) ? [] : [API_SERVER_SERVICE];
  const serviceVars = serviceLinkVariables([...apiServer, ...namespaceServices]);
  const serviceValues = new Map(serviceVars.map((v) => [v.name, v]));
  for (const [index, entry] of (container.env ?? []).entries()) {
    const name: string = entry.name;
    if (entry.value !== undefined && entry.value !== '') {
      const expanded: string[] = [];
      let secret = false;
      let unknown = false;
      const value = expand(entry.value, (reference) => {
        const found = vars.get(reference);
        if (found) {
          expanded.push(reference);
          secret ||= found.secret;
          if (found.value === undefined) unknown = true;
          return found.value ?? found.template ?? `$(${reference})`;
        }
        const service = serviceValues.get(reference);
        if (service) {
          expanded.push(reference);
          if (service.value === undefined) unknown = true;
          return service.value ?? service.template!;
        }
        return undefined;
      });
      set({ name, value: unknown ? undefined : value, template: unknown ? value : undefined, secret, origin: { type: 'env', index, expanded } });
    } else if (entry.valueFrom) {
      const from = entry.valueFrom;
      const keyRef = from.configMapKeyRef ?? from.secretKeyRef;
      if (keyRef) {
        const ref: ObjectRef = { kind: from.configMapKeyRef ? 'ConfigMap' : 'Secret', name: keyRef.name };
        const value = lookUp(data, ref)?.[keyRef.key];
        if (value === undefined) {
          if (keyRef.optional !== true) problems.push({ message: `${name}: ${ref.kind} ${ref.name} has no key ${keyRef.key}: the container would not start` });
          continue;
        }
        set({ name, value, secret: ref.kind === 'Secret', origin: { type: 'valueFrom', index, ref, key: keyRef.key } });
      } else {
        const field = from.fieldRef?.fieldPath ?? (from.resourceFieldRef ? `resource ${from.resourceFieldRef.resource}` : 'unknown source');
        set({ name, value: undefined, template: `<${field}>`, secret: false, origin: { type: 'valueFrom', index, field } });
      }
    } else {
      set({ name, value: '', secret: false, origin: { type: 'env', index, expanded: [] } });
    }
  }

  for (const serviceVar of serviceVars) {
    if (!vars.has(serviceVar.name)) vars.set(serviceVar.name, serviceVar);
  }
  // By name, the cluster's service variables after the container's own.
  const rank = (v: EffectiveVar) => (v.origin.type === 'service' ? 1 : 0);
  const sorted = [...vars.values()].sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { vars: sorted, problems };
}

/**
 * The kubelet's `$(VAR)` expansion (third_party/forked/golang/expansion): `$$` → `$`; `$(NAME)`
 * → `mapping(NAME)`, or left as written when that is undefined; `$(` without `)` and a `$`
 * before anything else are kept as they are.
 */
export function expand(input: string, mapping: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i++;
    } else if (input[i + 1] === '$') {
      out += '$';
      i += 2;
    } else if (input[i + 1] === '(') {
      const close = input.indexOf(')', i + 2);
      if (close === -1) {
        out += '$(';
        i += 2;
      } else {
        const name = input.slice(i + 2, close);
        out += mapping(name) ?? `$(${name})`;
        i = close + 1;
      }
    } else {
      out += c + input[i + 1];
      i += 2;
    }
  }
  return out;
}

/**
 * The link variables the kubelet gives a container for `services` (pkg/kubelet/envvars), with the
 * cluster IP, which only the cluster knows, as `<cluster IP>` in the template.
 */
function serviceLinkVariables(services: readonly ServiceLink[]): EffectiveVar[] {
  const result: EffectiveVar[] = [];
  const ip = '<cluster IP>';
  for (const service of services) {
    if (service.ports.length === 0) continue;
    const prefix = envName(service.name);
    const origin: VarOrigin = { type: 'service', service: service.name };
    const add = (name: string, value: string | undefined, template?: string) => result.push({ name, value, template, secret: false, origin, overrode: [] });
    add(`${prefix}_SERVICE_HOST`, undefined, ip);
    add(`${prefix}_SERVICE_PORT`, String(service.ports[0].port));
    for (const port of service.ports) if (port.name) add(`${prefix}_SERVICE_PORT_${envName(port.name)}`, String(port.port));
    service.ports.forEach((port, i) => {
      const protocol = port.protocol ?? 'TCP';
      const url = `${protocol.toLowerCase()}://${ip}:${port.port}`;
      if (i === 0) add(`${prefix}_PORT`, undefined, url);
      const portPrefix = `${prefix}_PORT_${port.port}_${protocol.toUpperCase()}`;
      add(portPrefix, undefined, url);
      add(`${portPrefix}_PROTO`, protocol.toLowerCase());
      add(`${portPrefix}_PORT`, String(port.port));
      add(`${portPrefix}_ADDR`, undefined, ip);
    });
  }
  return result;
}

/** The data, services and pod settings a namespace's synthesized objects give its containers. */
export function namespaceData(objects: readonly any[], namespace: string): NamespaceData {
  const inNamespace = objects.filter((o) => o.metadata?.namespace === namespace);
  const configMaps: Record<string, Record<string, string>> = {};
  const secrets: Record<string, Record<string, string | undefined>> = {};
  const services: ServiceLink[] = [];
  for (const object of inNamespace) {
    if (object.kind === 'ConfigMap') configMaps[object.metadata.name] = { ...object.data };
    if (object.kind === 'Secret') {
      const decoded: Record<string, string> = {};
      for (const [key, value] of Object.entries<string>(object.data ?? {})) decoded[key] = Buffer.from(value, 'base64').toString('utf8');
      secrets[object.metadata.name] = { ...decoded, ...object.stringData };
    }
    // The Secrets the sealed-secrets controller and the External Secrets operator will create:
    // their keys are known here, their values only in the cluster.
    if (object.kind === 'SealedSecret') {
      const name = object.spec?.template?.metadata?.name ?? object.metadata.name;
      secrets[name] = Object.fromEntries(Object.keys(object.spec?.encryptedData ?? {}).map((key) => [key, undefined]));
    }
    if (object.kind === 'ExternalSecret') {
      const name = object.spec?.target?.name ?? object.metadata.name;
      secrets[name] = Object.fromEntries((object.spec?.data ?? []).map((entry: any) => [entry.secretKey, undefined]));
    }
    const spec = object.spec ?? {};
    if (object.kind === 'Service' && spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
      services.push({ name: object.metadata.name, ports: spec.ports ?? [] });
    }
  }
  return { configMaps, secrets, services };
}

function lookUp(data: NamespaceData, ref: ObjectRef): Readonly<Record<string, string | undefined>> | undefined {
  return (ref.kind === 'ConfigMap' ? data.configMaps : data.secrets)[ref.name];
}

function envName(name: string): string {
  return name.replace(/-/g, '_').toUpperCase();
}

