import { byCodeUnits } from '../config/content-hash';
import { constants, createCipheriv, createHash, createHmac, KeyObject, publicEncrypt, randomBytes, X509Certificate } from 'crypto';

/**
 * Sealing values the way the Bitnami sealed-secrets controller unseals them
 * (bitnami-labs/sealed-secrets pkg/crypto/crypto.go, HybridEncrypt), and deciding when a value's
 * previous ciphertext may be kept. Pure apart from the randomness of sealing itself.
 */

/** The controller's public certificate, as `kubeseal --fetch-cert` prints it. */
export interface SealingCertificate {
  /** The RSA public key values are sealed with. */
  readonly publicKey: KeyObject;
  /** `sha256:<hex>` of the certificate (DER): a new certificate re-seals every value. */
  readonly fingerprint: string;
  /** Where the certificate was read, for messages. */
  readonly file: string;
}

/** Bytes of the AES-256-GCM session key, one per sealed value. */
const SESSION_KEY_BYTES = 32;
/** Each session key is used once, so the controller uses an all-zero GCM nonce. */
const ZERO_NONCE = Buffer.alloc(12);

/**
 * Reads the controller's certificate. A file that is not a PEM certificate, or whose key is not
 * RSA (the controller only seals with RSA-OAEP), is an error naming the file.
 */
export function parseSealingCertificate(pem: string | Buffer, file: string): SealingCertificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new Error(`the sealing certificate ${file} is not a PEM certificate (kubeseal --fetch-cert prints the controller's)`);
  }
  const publicKey = certificate.publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new Error(`the sealing certificate ${file} holds an ${String(publicKey.asymmetricKeyType).toUpperCase()} key; the sealed-secrets controller seals with RSA keys only`);
  }
  return { publicKey, fingerprint: 'sha256:' + createHash('sha256').update(certificate.raw).digest('hex'), file };
}

/**
 * The label that binds a sealed value to one Secret: strict scope, `<namespace>/<name>`. The
 * controller refuses to unseal the value into any other namespace or name.
 */
export function strictScopeLabel(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * Seals one value: a random AES-256-GCM session key encrypts the value (zero nonce, no
 * additional data), RSA-OAEP SHA-256 under `label` encrypts the session key, laid out as
 * uint16 big-endian length of the RSA ciphertext ‖ RSA ciphertext ‖ GCM ciphertext and tag,
 * in base64 as `spec.encryptedData` holds it.
 */
export function sealValue(value: string, publicKey: KeyObject, label: string): string {
  const sessionKey = randomBytes(SESSION_KEY_BYTES);
  const encryptedKey = publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label, 'utf8') },
    sessionKey,
  );
  const cipher = createCipheriv('aes-256-gcm', sessionKey, ZERO_NONCE);
  const encryptedValue = Buffer.concat([cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(encryptedKey.length);
  return Buffer.concat([length, encryptedKey, encryptedValue]).toString('base64');
}

/** Where a value is sealed for. */
export interface SealingTarget {
  readonly namespace: string;
  /** The Secret's (and the SealedSecret's) name. */
  readonly name: string;
  readonly certificate: SealingCertificate;
  /** The environment's hash key: keys the fingerprints. */
  readonly hashKey: string;
  /** Who makes the fingerprints (the project's name): the first word of what is hashed. */
  readonly label: string;
}

/**
 * A keyed fingerprint binding one plaintext value to the ciphertext that seals it, for one
 * certificate, namespace, Secret name and key.
 *
 * It is written beside the ciphertext so that the next synth can tell the value has not changed
 * and keep the ciphertext. Without the hash key it tells a reader nothing: an unkeyed hash of
 * the value would let anyone who can read the repository test guesses of the secret offline.
 * Binding the ciphertext too means a hand-edited ciphertext no longer matches, and is re-sealed.
 */
export function sealedValueFingerprint(target: SealingTarget, key: string, value: string, ciphertext: string): string {
  if (target.hashKey === '') throw new Error('the hash key is empty');
  const message = JSON.stringify([`${target.label} sealed value`, target.certificate.fingerprint, target.namespace, target.name, key, value, ciphertext]);
  return 'hmac-sha256:' + createHmac('sha256', target.hashKey).update(message).digest('hex');
}

/** What an earlier synth wrote for one SealedSecret. */
export interface PreviousSealedSecret {
  /** `spec.encryptedData`. */
  readonly encryptedData: Readonly<Record<string, string>>;
  /** The fingerprints written beside it, by key. */
  readonly fingerprints: Readonly<Record<string, string>>;
}

/** One Secret's data, sealed. */
export interface SealedData {
  /** Key → base64 ciphertext, sorted by key. */
  readonly encryptedData: Record<string, string>;
  /** Key → fingerprint (see sealedValueFingerprint), sorted by key. */
  readonly fingerprints: Record<string, string>;
  /** Keys sealed afresh: new, changed, or with no usable previous ciphertext. */
  readonly resealed: readonly string[];
  /** Keys whose previous ciphertext was kept. */
  readonly kept: readonly string[];
}

/**
 * Seals a Secret's data. A value whose previous ciphertext's fingerprint still matches (same
 * plaintext, certificate, namespace, name, key and hash key) keeps that ciphertext, so that
 * re-running synth changes only what changed: sealing is random, and re-sealing everything
 * would rewrite every value in git.
 */
export function sealData(
  data: Readonly<Record<string, string>>,
  target: SealingTarget,
  previous?: PreviousSealedSecret,
): SealedData {
  const label = strictScopeLabel(target.namespace, target.name);
  const encryptedData: Record<string, string> = {};
  const fingerprints: Record<string, string> = {};
  const resealed: string[] = [];
  const kept: string[] = [];
  for (const key of Object.keys(data).sort(byCodeUnits)) {
    const value = data[key];
    const earlier = previous?.encryptedData[key];
    const unchanged = earlier !== undefined &&
      previous!.fingerprints[key] === sealedValueFingerprint(target, key, value, earlier);
    const ciphertext = unchanged ? earlier : sealValue(value, target.certificate.publicKey, label);
    encryptedData[key] = ciphertext;
    fingerprints[key] = sealedValueFingerprint(target, key, value, ciphertext);
    (unchanged ? kept : resealed).push(key);
  }
  return { encryptedData, fingerprints, resealed, kept };
}
