import { createHash, createHmac } from 'crypto';

/**
 * The one canonical form of a data map that both hashes are taken over: entries sorted by key
 * (code-unit order, locale-independent), serialized as JSON. Comments, blank lines, key order and
 * quoting style in the env files are gone by the time data reaches here, so they change nothing.
 */
export function canonicalData(data: Readonly<Record<string, string>>): string {
  const keys = Object.keys(data).sort(byCodeUnits);
  return JSON.stringify(keys.map((key) => [key, data[key]]));
}

/** SHA-256 of non-sensitive data (a ConfigMap's), as `sha256:<hex>`. */
export function contentHash(data: Readonly<Record<string, string>>): string {
  return 'sha256:' + createHash('sha256').update(canonicalData(data)).digest('hex');
}

/**
 * Keyed HMAC-SHA256 of sensitive data (a Secret's), as `hmac-sha256:<hex>`.
 *
 * A plain hash of Secret data on a Deployment would let anyone who can read Deployments test
 * guesses of a secret offline; without the key, the HMAC tells them nothing.
 */
export function keyedContentHash(data: Readonly<Record<string, string>>, key: string): string {
  if (key === '') throw new Error('the hash key is empty');
  return 'hmac-sha256:' + createHmac('sha256', key).update(canonicalData(data)).digest('hex');
}

/** Sorts strings by UTF-16 code units, the same on every machine and locale (unlike localeCompare). */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
