import { writeFileSync } from 'fs';
import { join } from 'path';
import fc from 'fast-check';
import { EnvEntry, parseEnvFile, readEnvFile } from '../lib/config/env-file';
import { folderWith } from './support';

describe('parseEnvFile', () => {
  test('reads KEY=value lines with their line numbers, skipping blanks and comments', () => {
    const entries = parseEnvFile('# comment\n\nLOG_LEVEL=info\n  MAX_CONNECTIONS = 100\n', 'env/defaults.env');
    expect(entries.map(({ key, value, file, line }) => ({ key, value, file, line }))).toEqual([
      { key: 'LOG_LEVEL', value: 'info', file: 'env/defaults.env', line: 3 },
      { key: 'MAX_CONNECTIONS', value: '100', file: 'env/defaults.env', line: 4 },
    ]);
  });

  test('reads values the way dotenv does: quotes stripped, inline comments dropped, export accepted', () => {
    const record = toRecord(parseEnvFile([
      'A="quoted value"',
      "B='single'",
      'C=plain # a comment',
      'export D=exported',
      'E="line1\\nline2"',
      'F=',
    ].join('\n'), 'f.env'));
    expect(record).toEqual(Object.assign(Object.create(null), {
      A: 'quoted value', B: 'single', C: 'plain', D: 'exported', E: 'line1\nline2', F: '',
    }));
  });

  test('a quoted value spanning lines is one entry at its first line, and the next key keeps its line', () => {
    const entries = parseEnvFile('KEY="-----BEGIN-----\nabc\n-----END-----"\nNEXT=1\n', 'f.env');
    expect(entries.map((e) => [e.key, e.line])).toEqual([['KEY', 1], ['NEXT', 4]]);
    expect(entries[0].value).toBe('-----BEGIN-----\nabc\n-----END-----');
  });

  test('accepts a UTF-8 byte order mark and CRLF line endings without leaking \\r into values', () => {
    const entries = parseEnvFile('\uFEFFA=1\r\nB=two\r\n', 'f.env');
    expect(entries.map((e) => [e.key, e.value])).toEqual([['A', '1'], ['B', 'two']]);
  });

  test('fails on a line without "=", naming file and line but not the content', () => {
    expect(() => parseEnvFile('A=1\nghp_notreallyatoken\n', 'env/x.env'))
      .toThrow(/^env\/x\.env:2: expected KEY=value/);
    expect(() => parseEnvFile('A=1\nghp_notreallyatoken\n', 'env/x.env')).not.toThrow(/ghp_/);
  });

  test('fails on a key that is not a valid ConfigMap/Secret key', () => {
    expect(() => parseEnvFile('MY KEY=1', 'f.env')).toThrow('f.env:1: "MY KEY" is not a valid key');
    expect(() => parseEnvFile('BAD!KEY=1', 'f.env')).toThrow('f.env:1: "BAD!KEY" is not a valid key');
    expect(() => parseEnvFile('..A=1', 'f.env')).toThrow('f.env:1: "..A" is not a valid key');
    expect(() => parseEnvFile('=value', 'f.env')).toThrow('f.env:1: the line has no key');
  });

  test('fails on a key repeated within one file, naming both lines', () => {
    expect(() => parseEnvFile('A=1\nB=2\nA=3\n', 'f.env')).toThrow('f.env:3: A is already set on line 1');
  });

  test('fails on an unterminated quote instead of swallowing the following lines', () => {
    expect(() => parseEnvFile('A="open\nB=2\nC=3\n', 'f.env')).toThrow('f.env:1: A: the quoted value is never closed');
  });

  test('fails on NUL and other control characters, and on a lone carriage return', () => {
    expect(() => parseEnvFile('A=1\nB=x\u0000y\n', 'f.env')).toThrow('f.env:2: B: the line holds a control character');
    expect(() => parseEnvFile('A=x\u001by\n', 'f.env')).toThrow('f.env:1: A: the line holds a control character');
    expect(() => parseEnvFile('A=x\ry\n', 'f.env')).toThrow('f.env:1: A: the line holds a control character');
    expect(parseEnvFile('A=x\ty\n', 'f.env')[0].value).toBe('x\ty');
  });

  test('rejects __proto__ and constructor, which cannot reach YAML, and carries toString and friends as plain keys', () => {
    expect(() => parseEnvFile('__proto__=1', 'f.env')).toThrow('f.env:1: "__proto__" cannot be used as a key');
    expect(() => parseEnvFile('constructor=1', 'f.env')).toThrow('f.env:1: "constructor" cannot be used as a key');
    const record = toRecord(parseEnvFile('toString=1\nvalueOf=2\nhasOwnProperty=3\n', 'f.env'));
    expect({ ...record }).toEqual({ toString: '1', valueOf: '2', hasOwnProperty: '3' });
  });

  test('points out, by key, the lines kubectl --from-env-file reads differently', () => {
    const notes = parseEnvFile([
      'PLAIN=same for both',
      'QUOTED="x"',
      'COMMENTED=x # note',
      'export EXPORTED=1',
      'SPACED = 1',
      'MULTI="a',
      'b"',
    ].join('\n'), 'f.env').flatMap((e) => e.notes);
    expect(notes).toEqual([
      'f.env:2: QUOTED: kubectl --from-env-file would read this line differently (quotes: kubectl keeps them in the value)',
      "f.env:3: COMMENTED: kubectl --from-env-file would read this line differently ('#' starts a comment for dotenv only)",
      "f.env:4: EXPORTED: kubectl --from-env-file would read this line differently (an 'export ' prefix)",
      "f.env:5: SPACED: kubectl --from-env-file would read this line differently (space before '=', spaces around the value: kubectl keeps them)",
      'f.env:6: MULTI: kubectl --from-env-file would read this line differently (a value over several lines)',
    ]);
  });

  test('points out a valid key that is not a strict environment variable name', () => {
    expect(parseEnvFile('1ST_KEY=1', 'f.env')[0].notes).toEqual([
      'f.env:1: 1ST_KEY is not a strict environment variable name; clusters before 1.32 skip it in envFrom',
    ]);
  });
});

describe('readEnvFile', () => {
  test('fails on invalid UTF-8, naming the line', () => {
    const dir = folderWith({});
    writeFileSync(join(dir, 'bad.env'), Buffer.concat([Buffer.from('A=1\nB=caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(() => readEnvFile(join(dir, 'bad.env'))).toThrow(`${join(dir, 'bad.env')}:2: the line is not valid UTF-8`);
  });

  test('names a missing file', () => {
    expect(() => readEnvFile('/nonexistent/staging.env')).toThrow('/nonexistent/staging.env: no such file');
  });
});

describe('round trip', () => {
  // Any valid key and any value without control characters, written the way this project's docs
  // say to (single quotes when the value needs them), reads back exactly.
  const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,40}$/).filter((k) => k !== '__proto__' && k !== 'constructor');
  const value = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_=:/@#"`$\\{}!é✓'.split('')), maxLength: 30 })
    .filter((v) => v.trim() === v);
  test('random valid env files parse back to exactly what was written', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 12 }), (pairs) => {
      const text = pairs.map(([k, v]) => `${k}='${v}'`).join('\n');
      expect(parseEnvFile(text, 'f.env').map((e) => [e.key, e.value])).toEqual(pairs);
    }));
  });
  test('plain values without quotes or # round-trip unquoted too', () => {
    const plain = value.filter((v) => !/[#"'`]/.test(v) && v !== '');
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(key, plain), { selector: ([k]) => k, maxLength: 12 }), (pairs) => {
      const text = '\uFEFF' + pairs.map(([k, v]) => `${k}=${v}`).join('\r\n');
      expect(parseEnvFile(text, 'f.env').map((e) => [e.key, e.value])).toEqual(pairs);
    }));
  });
});

describe('quoted values, as dotenv reads them', () => {
  test('a backslash before the closing quote still closes it when nothing follows', () => {
    expect(parseEnvFile("A='\\'\nB=2", 'f.env').map((e) => [e.key, e.value])).toEqual([['A', '\\'], ['B', '2']]);
  });

  test('text after the closing quote is an error, not a value', () => {
    expect(() => parseEnvFile("A='abc' trailing\nB=2", 'f.env')).toThrow("f.env:1: A: unexpected text after the closing '");
  });
});

/** The entries as key → value (null prototype, so keys such as toString are plain data). */
function toRecord(entries: readonly EnvEntry[]): Record<string, string> {
  return Object.assign(Object.create(null), Object.fromEntries(entries.map((entry) => [entry.key, entry.value])));
}
