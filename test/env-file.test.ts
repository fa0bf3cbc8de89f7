import { parseEnvFile, toRecord } from '../lib/env-file';

describe('parseEnvFile', () => {
  test('reads KEY=value lines with their line numbers, skipping blanks and comments', () => {
    const entries = parseEnvFile('# comment\n\nLOG_LEVEL=info\n  MAX_CONNECTIONS = 100\n', 'env/defaults.env');
    expect(entries).toEqual([
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
});
