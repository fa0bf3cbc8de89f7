import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { readSealingCertificate } from '../lib/synth/backend-choice';
import { parseSealingCertificate, sealData, SealingTarget, sealValue, strictScopeLabel } from '../lib/secrets/sealing';
import { throwawayCertificate } from './sealing-certificate';

// Unsealing (and its refusal under another name or namespace) is tested on the real controller: test/cluster/sealed.test.ts.
const controller = throwawayCertificate();
const certificate = parseSealingCertificate(controller.certificatePem, 'test.pem');
const target: SealingTarget = { namespace: 'task-api-staging', name: 'task-api-secrets', certificate, hashKey: 'fake-hash-key', label: 'task-api' };
const DATA = {
  DATABASE_PASSWORD: 'fake-database-password',
  OPENAI_API_KEY: 'fake-openai-api-key',
  UNICODE: 'fake-ünïcødé-☃',
  EMPTY: '',
};

describe('sealValue', () => {
  test('the strict-scope label is <namespace>/<name>', () => {
    expect(strictScopeLabel('task-api-staging', 'task-api-secrets')).toBe('task-api-staging/task-api-secrets');
  });

  test('lays out the 2-byte big-endian RSA length, the RSA ciphertext, then the GCM ciphertext and tag', () => {
    const bytes = Buffer.from(sealValue('fake-12345', certificate.publicKey, 'ns/name'), 'base64');
    expect(bytes.readUInt16BE(0)).toBe(256); // a 2048-bit key
    expect(bytes.length).toBe(2 + 256 + 'fake-12345'.length + 16);
  });

  test('works with a 4096-bit key, the size the controller generates', () => {
    const big = throwawayCertificate(4096);
    const key = parseSealingCertificate(big.certificatePem, 'big.pem').publicKey;
    const sealed = sealValue('fake-value', key, 'ns/name');
    expect(Buffer.from(sealed, 'base64').readUInt16BE(0)).toBe(512);
    expect(Buffer.from(sealed, 'base64').length).toBe(2 + 512 + 'fake-value'.length + 16);
  });

  test('sealing is random: the same value seals differently each time', () => {
    expect(sealValue('fake-value', certificate.publicKey, 'ns/n')).not.toBe(sealValue('fake-value', certificate.publicKey, 'ns/n'));
  });
});

describe('sealData', () => {
  test('seals every value, sorted by key, with a keyed fingerprint per key', () => {
    const sealed = sealData(DATA, target);
    expect(Object.keys(sealed.encryptedData)).toEqual(['DATABASE_PASSWORD', 'EMPTY', 'OPENAI_API_KEY', 'UNICODE']);
    for (const key of Object.keys(DATA)) expect(sealed.fingerprints[key]).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(sealed.resealed).toEqual(Object.keys(sealed.encryptedData));
    expect(sealed.kept).toEqual([]);
  });

  test('unchanged values keep their previous ciphertext and a rotated one does not', () => {
    const first = sealData(DATA, target);
    const second = sealData({ ...DATA, OPENAI_API_KEY: 'fake-rotated-key' }, target, first);
    expect(second.encryptedData.DATABASE_PASSWORD).toBe(first.encryptedData.DATABASE_PASSWORD);
    expect(second.encryptedData.UNICODE).toBe(first.encryptedData.UNICODE);
    expect(second.fingerprints.DATABASE_PASSWORD).toBe(first.fingerprints.DATABASE_PASSWORD);
    expect(second.encryptedData.OPENAI_API_KEY).not.toBe(first.encryptedData.OPENAI_API_KEY);
    expect(second.resealed).toEqual(['OPENAI_API_KEY']);
    expect(second.kept).toEqual(['DATABASE_PASSWORD', 'EMPTY', 'UNICODE']);
  });

  test('a value rotated back to an earlier plaintext is sealed afresh: only the last ciphertext is remembered', () => {
    const first = sealData({ A: 'fake-a' }, target);
    const rotated = sealData({ A: 'fake-b' }, target, first);
    const back = sealData({ A: 'fake-a' }, target, rotated);
    expect(back.resealed).toEqual(['A']);
    expect(back.encryptedData.A).not.toBe(first.encryptedData.A);
  });

  test('everything is sealed afresh under a new certificate, hash key, namespace or name', () => {
    const first = sealData(DATA, target);
    const other = parseSealingCertificate(throwawayCertificate().certificatePem, 'other.pem');
    for (const changed of [
      { ...target, certificate: other },
      { ...target, hashKey: 'fake-other-hash-key' },
      { ...target, namespace: 'task-api-production' },
      { ...target, name: 'other-secrets' },
    ]) {
      const again = sealData(DATA, changed, first);
      expect(again.kept).toEqual([]);
      for (const key of Object.keys(DATA)) expect(again.encryptedData[key]).not.toBe(first.encryptedData[key]);
    }
  });

  test('a hand-edited ciphertext or fingerprint no longer matches, so the value is sealed afresh', () => {
    const first = sealData(DATA, target);
    const otherCiphertext = sealValue('fake-something-else', certificate.publicKey, 'task-api-staging/task-api-secrets');
    const edited = sealData(DATA, target, {
      encryptedData: { ...first.encryptedData, DATABASE_PASSWORD: otherCiphertext },
      fingerprints: { ...first.fingerprints, OPENAI_API_KEY: 'hmac-sha256:' + '0'.repeat(64) },
    });
    expect(edited.resealed).toEqual(['DATABASE_PASSWORD', 'OPENAI_API_KEY']);
    expect(edited.encryptedData.DATABASE_PASSWORD).not.toBe(otherCiphertext);
  });

  test('the fingerprints hold no value and depend on the hash key', () => {
    const sealed = sealData({ A: 'fake-guessable' }, target);
    const withOtherKey = sealData({ A: 'fake-guessable' }, { ...target, hashKey: 'fake-guess-key' }, { encryptedData: sealed.encryptedData, fingerprints: {} });
    expect(withOtherKey.fingerprints.A).not.toBe(sealed.fingerprints.A);
    expect(JSON.stringify(sealed)).not.toContain('fake-guessable');
  });
});

describe('the sealing certificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'task-api-cert-'));

  test('is read from the PEM that kubeseal --fetch-cert prints', () => {
    const file = join(dir, 'staging.sealing-cert.pem');
    writeFileSync(file, controller.certificatePem);
    const read = readSealingCertificate(file);
    expect(read.fingerprint).toBe(certificate.fingerprint);
    expect(read.file).toBe(file);
  });

  test('a missing certificate is an error naming the file and how to fetch it', () => {
    const file = join(dir, 'missing.pem');
    expect(() => readSealingCertificate(file))
      .toThrow(`the sealing certificate ${file} does not exist; fetch it from the cluster with: kubeseal --fetch-cert > ${file}`);
  });

  test('an unreadable certificate is an error naming the file', () => {
    expect(() => readSealingCertificate(dir)).toThrow(`the sealing certificate ${dir} cannot be read (EISDIR)`);
  });

  test('a file that is not a certificate is an error naming the file', () => {
    const file = join(dir, 'garbage.pem');
    writeFileSync(file, 'not a certificate\n');
    expect(() => readSealingCertificate(file)).toThrow(`the sealing certificate ${file} is not a PEM certificate (kubeseal --fetch-cert prints the controller's)`);
    // A private key is not the certificate either.
    writeFileSync(file, controller.privateKeyPem);
    expect(() => readSealingCertificate(file)).toThrow(`${file} is not a PEM certificate`);
  });

  test('a certificate with a non-RSA key is an error naming the file and the key type', () => {
    // An EC certificate (made with openssl req -x509 -newkey ec); its key was thrown away.
    const file = join(__dirname, 'fixtures', 'ec-certificate.pem');
    expect(() => readSealingCertificate(file)).toThrow(`${file} holds an EC key; the sealed-secrets controller seals with RSA keys only`);
  });
});
