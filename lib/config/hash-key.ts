/**
 * The hash key guards every value derived from a secret that synth writes where others can read
 * it: `checksum/secret` on pod templates, the Secret's name suffix, the sealed backend's per-value
 * HMACs in git. A short, published or shared key turns each of them into an offline guessing
 * oracle, value by value, for as long as the output exists. These rules are pure: the pipeline
 * gathers the keys and their sources.
 */

/** At least this many bytes (UTF-8), outside environments whose secrets are fake and committed. */
export const HASH_KEY_MIN_BYTES = 32;

/** One environment's hash key and where it came from. */
export interface HashKeyUse {
  readonly environment: string;
  readonly value: string;
  /** `file:line`, or `$<variable>`. */
  readonly at: string;
}

const HOW_TO_MAKE = 'make one with `openssl rand -base64 32`';

/**
 * What is wrong with `use.value` as a real environment's hash key. `committed` are the keys of
 * files in the repository (dev's fake secrets); `others`, other real environments' keys. Messages
 * name the variable (the project's hash key variable, `variable`) and the sources, never a key.
 */
export function hashKeyProblems(use: HashKeyUse, committed: readonly HashKeyUse[], others: readonly HashKeyUse[], variable: string): string[] {
  const head = use.at === `$${variable}` ? use.at : `${use.at}: ${variable}`;
  if (Buffer.byteLength(use.value, 'utf8') < HASH_KEY_MIN_BYTES) {
    return [`${head}: shorter than ${HASH_KEY_MIN_BYTES} bytes: a short key lets anyone who can read the Deployments or the ` +
      `committed output guess secret values offline; ${HOW_TO_MAKE}`];
  }
  const published = committed.find((other) => other.value === use.value);
  if (published) {
    return [`${head}: the same key as ${published.at}, which is committed to the repository: anyone who can read it can ` +
      `guess ${use.environment}'s secret values offline; ${HOW_TO_MAKE}`];
  }
  const shared = others.find((other) => other.environment !== use.environment && other.value === use.value);
  if (shared) {
    return [`${head}: the same key as ${shared.environment}'s (${shared.at}): each environment needs its own, or a leak ` +
      `of one reaches the other; ${HOW_TO_MAKE}`];
  }
  return [];
}
