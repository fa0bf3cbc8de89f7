/**
 * Test stand-ins for the sealed-secrets controller: a key pair with its certificate (what
 * `kubeseal --fetch-cert` prints), and unsealing written independently of lib/sealing.ts, with
 * node-forge's RSA-OAEP and AES-GCM rather than node:crypto, after the controller's HybridDecrypt
 * (bitnami-labs/sealed-secrets pkg/crypto/crypto.go).
 */
import { generateKeyPairSync } from 'crypto';
import forge from 'node-forge';

export interface TestController {
  /** The certificate, PEM. */
  readonly certificatePem: string;
  /** The private key, PEM (PKCS#1). */
  readonly privateKeyPem: string;
}

/** A fresh RSA key pair and a self-signed certificate for it, like the controller's. */
export function testController(modulusLength = 2048): TestController {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  certificate.serialNumber = '01';
  certificate.validity.notBefore = new Date(Date.now() - 60_000);
  certificate.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const subject = [{ name: 'commonName', value: 'sealed-secret' }, { name: 'organizationName', value: 'sealed-secret' }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(certificate), privateKeyPem };
}

const forgeKeys = new WeakMap<TestController, forge.pki.rsa.PrivateKey>();
function forgeKey(controller: TestController): forge.pki.rsa.PrivateKey {
  let key = forgeKeys.get(controller);
  if (!key) forgeKeys.set(controller, key = forge.pki.privateKeyFromPem(controller.privateKeyPem));
  return key;
}

/**
 * Unseals one `spec.encryptedData` value as the controller does, for `label`
 * (`<namespace>/<name>` in strict scope). Throws when the label or key does not match.
 */
export function unseal(controller: TestController, ciphertextBase64: string, label: string): string {
  const bytes = forge.util.decode64(ciphertextBase64);
  if (bytes.length < 2) throw new Error('SealedSecret data is too short');
  const rsaLength = (bytes.charCodeAt(0) << 8) | bytes.charCodeAt(1);
  if (bytes.length < rsaLength + 2) throw new Error('SealedSecret data is too short');
  const encryptedKey = bytes.substring(2, 2 + rsaLength);
  const encryptedValue = bytes.substring(2 + rsaLength);

  const privateKey = forgeKey(controller);
  const sessionKey = privateKey.decrypt(encryptedKey, 'RSA-OAEP', {
    md: forge.md.sha256.create(),
    mgf1: { md: forge.md.sha256.create() },
    label: forge.util.encodeUtf8(label),
  });
  if (sessionKey.length !== 32) throw new Error(`session key of ${sessionKey.length} bytes`);

  const tagLength = 16;
  const decipher = forge.cipher.createDecipher('AES-GCM', sessionKey);
  decipher.start({
    iv: '\0'.repeat(12),
    tagLength: tagLength * 8,
    tag: forge.util.createBuffer(encryptedValue.substring(encryptedValue.length - tagLength)),
  });
  decipher.update(forge.util.createBuffer(encryptedValue.substring(0, encryptedValue.length - tagLength)));
  if (!decipher.finish()) throw new Error('GCM authentication failed');
  return forge.util.decodeUtf8(decipher.output.getBytes());
}
