import { EnvEntry } from './env-file';

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
 * Why a key or value looks like a credential, or undefined. The key is split into words at
 * '-', '_', '.' and camelCase, so OPENAI_API_KEY and apiKey match and MAX_TOKENS does not.
 */
export function secretLooking(key: string, value: string): string | undefined {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[-_. ]+/).filter((w) => w !== '');
  const word = words.find((w) => SECRET_WORDS.has(w));
  if (word) return `its name contains "${word}"`;
  for (let i = 0; i + 1 < words.length; i++) {
    if (SECRET_PAIRS.has(`${words[i]} ${words[i + 1]}`)) return `its name contains "${words[i]}_${words[i + 1]}"`;
  }
  const format = SECRET_VALUE_FORMATS.find(([, pattern]) => pattern.test(value));
  return format ? `its value looks like ${format[0]}` : undefined;
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
        `${where}: ${entry.key} looks like a secret (${reason}): move it to ${secretsPath}, ` +
        `or list it in GUARD_RAIL_EXCEPTIONS.notSecret (lib/environments.ts) if it is not one`);
    }
    if (secretKeys.has(entry.key) && !exceptions.inBothLayers.includes(entry.key)) {
      problems.push(
        `${where}: ${entry.key} is also set in the secrets layer (${secretsPath} or the process environment); ` +
        `keep one, or list it in GUARD_RAIL_EXCEPTIONS.inBothLayers (lib/environments.ts) to let the Secret win`);
    }
  }
  return problems;
}

/** Client-side `kubectl apply` copies the object into an annotation, which fails past this. */
export const CLIENT_SIDE_APPLY_BYTES = 256 * 1024;

/**
 * Objects too large for client-side `kubectl apply` (the API server's own 1 MiB data limit is an
 * error, checked with the schema in lib/validate.ts).
 */
export function clientSideApplyWarnings(environment: string, objects: readonly any[]): string[] {
  return objects
    .filter((object) => JSON.stringify(object).length > CLIENT_SIDE_APPLY_BYTES)
    .map((object) => `${environment}: ${object.kind} ${object.metadata?.name} is over 256 KiB: ` +
      'client-side kubectl apply will fail on it; use kubectl apply --server-side');
}
