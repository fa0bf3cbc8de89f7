/**
 * A throwaway sealing certificate for tests that need one but no controller (what `kubeseal
 * --fetch-cert` prints: a self-signed certificate of an RSA key). Unsealing is tested against the
 * real Sealed Secrets controller (test/cluster/sealed.test.ts).
 */
import { generateKeyPairSync } from 'crypto';
import forge from 'node-forge';

export interface ThrowawayCertificate {
  /** The certificate, PEM. */
  readonly certificatePem: string;
  /** Its private key, PEM (PKCS#1): only to show that a key is not a certificate. */
  readonly privateKeyPem: string;
}

export function throwawayCertificate(modulusLength = 2048): ThrowawayCertificate {
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
