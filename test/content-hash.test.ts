import { canonicalData, contentHash, keyedContentHash } from '../lib/config/content-hash';

describe('content hashes', () => {
  test('key order does not matter', () => {
    expect(contentHash({ A: '1', B: '2' })).toBe(contentHash({ B: '2', A: '1' }));
    expect(canonicalData({ b: '2', a: '1' })).toBe('[["a","1"],["b","2"]]');
  });

  test('a changed value, an added key or a renamed key changes the hash', () => {
    const base = contentHash({ A: '1', B: '2' });
    expect(contentHash({ A: '1', B: '3' })).not.toBe(base);
    expect(contentHash({ A: '1', B: '2', C: '' })).not.toBe(base);
    expect(contentHash({ A: '1', C: '2' })).not.toBe(base);
  });

  test('keys and values cannot be shifted into each other', () => {
    expect(contentHash({ A: 'B=1' })).not.toBe(contentHash({ 'A=B': '1' }));
  });

  test('the secret hash is an HMAC: it depends on the key and is not the plain hash', () => {
    const data = { DATABASE_PASSWORD: 'fake-password' };
    const keyed = keyedContentHash(data, 'fake-key-1');
    expect(keyed).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(keyedContentHash(data, 'fake-key-2')).not.toBe(keyed);
    expect(keyed.slice('hmac-sha256:'.length)).not.toBe(contentHash(data).slice('sha256:'.length));
  });

  test('an empty hash key is refused', () => {
    expect(() => keyedContentHash({ A: '1' }, '')).toThrow('the hash key is empty');
  });
});
