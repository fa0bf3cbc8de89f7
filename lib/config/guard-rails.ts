import { EnvEntry } from './env-file';
import type { ResolvedValue } from './provenance';
import { MAX_DATA_BYTES } from './kubernetes-names';

/**
 * Exceptions to the guard rails, kept in code so that every one is reviewed like code.
 */
export interface GuardRailExceptions {
  /** Keys that look secret (by name or value) but belong in the ConfigMap, such as MAX_TOKENS. */
  readonly notSecret: readonly string[];
  /**
   * Keys that may be set both in a ConfigMap layer and in the secrets layer. The Secret's value
   * is the one the container sees.
   */
  readonly inBothLayers: readonly string[];
  /**
   * Keys of `env/<environment>.env` that `env/defaults.env` does not define, on purpose (a setting
   * only one environment has). Any other such key is a warning: a typo there (LOG_LEVL) adds a
   * key instead of overriding one, and the default silently stays.
   * @default none
   */
  readonly notInDefaults?: readonly string[];
  /**
   * Keys that a loader or language runtime reads to load code or options (RUNTIME_VARIABLES),
   * set on purpose, say `NODE_OPTIONS=--max-old-space-size=400`. Any other is a warning.
   * @default none
   */
  readonly runtimeVariables?: readonly string[];
}

/** Words that, as a whole segment of a key, mark it as a credential. */
const SECRET_WORDS = new Set([
  'password', 'passwd', 'passphrase', 'pass', 'pwd', 'secret', 'secrets', 'token', 'credential', 'credentials',
  'bearer', 'apikey', 'privatekey', 'accesskey', 'secretkey', 'signingkey', 'encryptionkey', 'clientsecret',
]);
/** Two-segment spellings of the same (API_KEY, PRIVATE_KEY, ...). */
const SECRET_PAIRS = new Set(['api key', 'private key', 'access key', 'secret key', 'signing key', 'encryption key', 'client secret']);

/** Well-known credential formats, by what they are called in the message. */
const SECRET_VALUE_FORMATS: ReadonlyArray<readonly [string, RegExp]> = [
  ['a private key', /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/],
  ['a GitHub token', /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,})/],
  ['an OpenAI-style API key', /\bsk-[A-Za-z0-9_-]{20,}/],
  ['a Stripe key', /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/],
  ['a Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ['an AWS access key id', /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/],
];

/**
 * A URL whose userinfo holds a password: `scheme://user:password@` or `scheme://:password@`
 * (Redis), anywhere in the value (a list of URLs, say). The userinfo ends at the first '/', '?'
 * or '#', so `http://host:8080/a@b` is no credential; an '@' left unencoded in the password still
 * matches. A user name alone (`postgres://app@db`) is not a credential: it names an account, as
 * a user name in any other setting does. An empty password (`app:@db`) is none either.
 * The pattern starts at the literal `://` (the scheme is checked looking back from there) so that
 * a long value costs linear time: a leading `[A-Za-z]...*` would rescan it from every position.
 */
const URL_WITH_PASSWORD = /:\/\/(?<=[A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#@:]*:[^\s/?#@]+@/;

/**
 * Why a key or value looks like a credential, or undefined. The key is split into words at
 * '-', '_', '.' and camelCase, so PAYMENT_API_KEY and apiKey match and MAX_TOKENS does not.
 */
export function secretLooking(key: string, value: string): string | undefined {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[-_. ]+/).filter((w) => w !== '');
  const word = words.find((w) => SECRET_WORDS.has(w));
  if (word) return `its name contains "${word}"`;
  for (let i = 0; i + 1 < words.length; i++) {
    if (SECRET_PAIRS.has(`${words[i]} ${words[i + 1]}`)) return `its name contains "${words[i]}_${words[i + 1]}"`;
  }
  const format = SECRET_VALUE_FORMATS.find(([, pattern]) => pattern.test(value));
  if (format) return `its value looks like ${format[0]}`;
  return URL_WITH_PASSWORD.test(value) ? 'its value holds a URL with a password, user:password@' : undefined;
}

/**
 * The tutorial's mistakes, caught before anything is written: a credential in a ConfigMap layer
 * (readable by anyone who can read ConfigMaps), and a key set in both a ConfigMap layer and the
 * secrets layer (which value was meant?). Returns one message per problem; never a value.
 */
export function guardRailProblems(
  configEntries: readonly EnvEntry[],
  secretKeys: ReadonlySet<string>,
  secretsPath: string,
  exceptions: GuardRailExceptions,
): string[] {
  const problems: string[] = [];
  for (const entry of configEntries) {
    const where = `${entry.file}:${entry.line}`;
    const reason = exceptions.notSecret.includes(entry.key) ? undefined : secretLooking(entry.key, entry.value);
    if (reason) {
      problems.push(
        `${where}: ${entry.key}: looks like a secret (${reason}); move it to ${secretsPath}, ` +
        `or list it in guardRailExceptions.notSecret of the project definition if it is not one`);
    }
    if (secretKeys.has(entry.key) && !exceptions.inBothLayers.includes(entry.key)) {
      problems.push(
        `${where}: ${entry.key}: is also set in the secrets layer (${secretsPath} or the process environment); ` +
        `keep one, or list it in guardRailExceptions.inBothLayers of the project definition to let the Secret win`);
    }
  }
  return problems;
}

/**
 * Names the kubelet sets in every container for the API server's `kubernetes` Service
 * (pkg/kubelet/envvars). envFrom keys win over them, so a ConfigMap or Secret key of that name
 * sends every in-cluster Kubernetes client (client-go's in-cluster config reads
 * KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT) to another address. Never legitimate in
 * an env file, so no exception list. Exactly these names: KUBERNETES_PORTAL is not one.
 */
const CLUSTER_OWNED_NAME = /^KUBERNETES_(?:SERVICE_HOST|SERVICE_PORT(?:_.*)?|PORT(?:_.*)?)$/;

/**
 * Names a dynamic loader, language runtime or shell reads at start-up to load code or take
 * options, in every program the container runs that reads them: a value here changes what runs,
 * not only how it is configured. Each with what reads it (ld.so(8), python(1), node --help,
 * perlrun(1), ruby(1), the JDK's java(1), .NET's host startup hooks, bash(1) and POSIX sh).
 * Legitimate uses exist (NODE_OPTIONS=--max-old-space-size=...), hence a warning, silenced
 * per key by GuardRailExceptions.runtimeVariables.
 */
const RUNTIME_VARIABLES: Readonly<Record<string, string>> = {
  LD_PRELOAD: 'the dynamic loader loads the libraries it names into every program',
  LD_LIBRARY_PATH: 'the dynamic loader looks for libraries there before the system folders',
  LD_AUDIT: 'the dynamic loader loads the auditing libraries it names into every program',
  PYTHONPATH: 'Python imports modules from there before its own',
  PYTHONHOME: 'Python takes its standard library from there',
  PYTHONSTARTUP: 'interactive Python runs the file it names',
  NODE_OPTIONS: 'Node.js takes it as command-line options (--require and --import load code)',
  NODE_PATH: 'Node.js resolves modules from there',
  PERL5OPT: 'Perl takes it as command-line options (-M loads a module)',
  PERL5LIB: 'Perl loads modules from there first',
  PERLLIB: 'Perl loads modules from there first',
  RUBYOPT: 'Ruby takes it as command-line options (-r loads a library)',
  RUBYLIB: 'Ruby loads libraries from there first',
  JAVA_TOOL_OPTIONS: 'the JVM takes it as options (-javaagent loads code)',
  JDK_JAVA_OPTIONS: 'the java launcher takes it as options (-javaagent loads code)',
  _JAVA_OPTIONS: 'the JVM takes it as options (-javaagent loads code)',
  DOTNET_STARTUP_HOOKS: '.NET loads and runs the assemblies it names',
  BASH_ENV: 'bash runs the file it names before every script',
  ENV: 'an interactive sh runs the file it names',
};

/**
 * Names that do not configure the app but the cluster or the programs in the container, checked
 * in every layer (a Secret key is as much a variable as a ConfigMap key), where each key is
 * written: a name the cluster owns is an error, a name a runtime executes a warning.
 */
export function reservedNameProblems(entries: readonly EnvEntry[]): string[] {
  return entries
    .filter((entry) => CLUSTER_OWNED_NAME.test(entry.key))
    .map((entry) =>
      `${where(entry)}: ${entry.key}: the kubelet sets this name in every container to reach the API server, ` +
      'and a value here replaces it, sending every in-cluster Kubernetes client elsewhere; remove it (rename it if the app needs such a setting)');
}

/** Keys a loader or runtime reads (RUNTIME_VARIABLES), unless listed as meant. */
export function runtimeVariableWarnings(entries: readonly EnvEntry[], exceptions: GuardRailExceptions): string[] {
  return entries
    .filter((entry) => Object.hasOwn(RUNTIME_VARIABLES, entry.key) && !(exceptions.runtimeVariables ?? []).includes(entry.key))
    .map((entry) =>
      `${where(entry)}: ${entry.key}: ${RUNTIME_VARIABLES[entry.key]}, in whatever the container runs; ` +
      'if that is meant, list it in guardRailExceptions.runtimeVariables of the project definition');
}

/** `file:line`, or the file alone for an entry known by name only (line 0). */
function where(entry: EnvEntry): string {
  return entry.line > 0 ? `${entry.file}:${entry.line}` : entry.file;
}

/**
 * Keys of an environment file that the defaults do not define: a typo there adds a key and the
 * default stays. Each names the closest defaults key when one is near (closestKey).
 */
export function notInDefaultsWarnings(
  defaults: readonly EnvEntry[],
  environmentFile: readonly EnvEntry[],
  defaultsPath: string,
  exceptions: GuardRailExceptions,
): string[] {
  const defined = defaults.map((entry) => entry.key);
  return environmentFile
    .filter((entry) => !defined.includes(entry.key) && !(exceptions.notInDefaults ?? []).includes(entry.key))
    .map((entry) => {
      const near = closestKey(entry.key, defined);
      return `${entry.file}:${entry.line}: ${entry.key}: ${defaultsPath} does not define it, so this adds a key instead of overriding one` +
        (near ? ` (did you mean ${near}?); fix the name, define it` : '; define it') +
        ` in ${defaultsPath}, or list it in guardRailExceptions.notInDefaults of the project definition`;
    });
}

/**
 * The candidate nearest to `key` by edit distance, ignoring case, if it is near enough to be a
 * typo: at most a third of the key's length (at least 1), so COLR finds COLOR (1) and
 * PORT does not find HOST (2). Ties go to the earlier candidate.
 */
export function closestKey(key: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(key.length / 3));
  let best: { key: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(key.toUpperCase(), candidate.toUpperCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** Levenshtein distance: the fewest single-character insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** Client-side `kubectl apply` copies the object into an annotation, which fails past this. */
const CLIENT_SIDE_APPLY_BYTES = 256 * 1024;
/** How many keys a size message names. */
const LARGEST_KEYS = 3;

/** One key's share of an object's size, and where it was written when that is known. */
interface KeySize {
  readonly key: string;
  readonly bytes: number;
  /** `file:line`. */
  readonly at?: string;
}

/**
 * The resolved layers whose values would make the ConfigMap or the Secret bigger than the API
 * server accepts (it counts the values' bytes, decoded). Checked on the layers, before anything
 * is built, so that the message can name the largest keys where they were written;
 * lib/validate.ts checks every object again. The Secret is checked only when the layers hold its
 * values (not with the external backend). Never a value: only key names and byte counts.
 */
export function layerSizeProblems(environment: string, config: readonly ResolvedValue[], secrets: readonly ResolvedValue[]): string[] {
  const problems: string[] = [];
  for (const [kind, values] of [['ConfigMap', config], ['Secret', secrets]] as const) {
    const sizes = values.map((v) => ({ key: v.key, bytes: Buffer.byteLength(v.value), at: v.source.at }));
    const total = sizes.reduce((sum, size) => sum + size.bytes, 0);
    if (total <= MAX_DATA_BYTES) continue;
    const { lead, top, next } = largest(sizes, `${environment}: ${kind}`);
    problems.push(
      `${lead}: the largest value (${top} bytes) of ${environment}'s ${kind}, ` +
      `whose data is ${total} bytes, over the ${MAX_DATA_BYTES} (1 MiB) the API server accepts${next}; ` +
      'make these values smaller: a large file belongs in the image or a volume, not in an env file');
  }
  return problems;
}

/**
 * Objects too large for client-side `kubectl apply`, which stores the whole object as JSON in an
 * annotation (at most 256 KiB). Each message names the object's largest data keys with their
 * size as written in the object (a Secret's values as base64, a SealedSecret's as ciphertext)
 * and, given the layers, the `file:line` they came from: a ConfigMap's keys are looked up in the
 * config layer, a Secret's or SealedSecret's in the secrets layer; keys found in neither (the
 * pull secret's) are named without one.
 */
export function clientSideApplyWarnings(
  environment: string,
  objects: readonly any[],
  layers?: { readonly config: readonly ResolvedValue[]; readonly secrets: readonly ResolvedValue[] },
): string[] {
  const warnings: string[] = [];
  for (const object of objects) {
    const bytes = Buffer.byteLength(JSON.stringify(object));
    if (bytes <= CLIENT_SIDE_APPLY_BYTES) continue;
    const what = `${object.kind} ${object.metadata?.name}`;
    const layer = object.kind === 'ConfigMap' ? layers?.config : layers?.secrets;
    const sizes = Object.entries<unknown>(dataOf(object)).map(([key, value]) => ({
      key,
      bytes: Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value) ?? ''),
      at: layer?.find((v) => v.key === key)?.source.at,
    }));
    const size = `${bytes} bytes as JSON, over the ${CLIENT_SIDE_APPLY_BYTES} (256 KiB) that client-side kubectl apply can store`;
    const fix = 'use kubectl apply --server-side, or make these values smaller';
    if (sizes.length === 0) {
      warnings.push(`${environment}: ${what}: ${size}; use kubectl apply --server-side`);
      continue;
    }
    const { lead, top, next } = largest(sizes, `${environment}: ${what}`);
    warnings.push(`${lead}: the largest value (${top} bytes as written) of ${environment}'s ${what}, which is ${size}${next}; ${fix}`);
  }
  return warnings;
}

/** The data maps of a ConfigMap, Secret or SealedSecret, merged. */
function dataOf(object: any): Record<string, unknown> {
  return { ...object.data, ...object.binaryData, ...object.stringData, ...object.spec?.encryptedData };
}

/**
 * For a size message: its lead, `file:line: KEY` of the largest key (`<fallback>: KEY` when its
 * line is not known), that key's bytes, and `; next largest: ...` naming the few after it.
 */
function largest(sizes: readonly KeySize[], fallback: string): { lead: string; top: number; next: string } {
  const sorted = [...sizes].sort((a, b) => b.bytes - a.bytes || (a.key < b.key ? -1 : 1));
  const rest = sorted.slice(1, LARGEST_KEYS).map((size) => `${size.at ? `${size.at}: ` : ''}${size.key} (${size.bytes} bytes)`);
  return {
    lead: `${sorted[0].at ?? fallback}: ${sorted[0].key}`,
    top: sorted[0].bytes,
    next: rest.length > 0 ? `; next largest: ${rest.join(', ')}` : '',
  };
}
