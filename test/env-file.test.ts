import { appendFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import fc from 'fast-check';
import { parse as dotenvParse } from 'dotenv';
import { EnvEntry, parseEnvFile, readEnvFile } from '../lib/config/env-file';
import { synthEnvironments } from '../lib/synth/pipeline';
import { committedEnvDir, fakeSecrets, folderWith, taskApiProject } from './support';

describe('parseEnvFile', () => {
  test('in a secrets file, names only the keys it is told of: another "key" may be a line of secret text', () => {
    const text = 'DATABASE_PASSWORD=fake#pw\n';
    const message = (knownKeys: string[]) => { try { parseEnvFile(text, 's.env', { sensitive: true, knownKeys }); return ''; } catch (e) { return (e as Error).message; } };
    expect(message(['DATABASE_PASSWORD'])).toMatch(/^s\.env:1: DATABASE_PASSWORD: '#' in an unquoted value/);
    expect(message([])).toMatch(/^s\.env:1: the text before '=': '#' in an unquoted value/);
    expect(message([])).not.toContain('DATABASE_PASSWORD');
  });

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

  test('points out, by key, an inline comment and spaces around an unquoted value, which kubectl keeps', () => {
    const entries = parseEnvFile([
      'PLAIN=same for both',
      'COMMENTED=x # note',
      'TABBED=x\t# note',
      'SPACED=  x  ',
      'EMPTY_COMMENTED= # nothing set',
    ].join('\n'), 'f.env');
    expect(entries.map((e) => [e.key, e.value])).toEqual([['PLAIN', 'same for both'], ['COMMENTED', 'x'], ['TABBED', 'x'], ['SPACED', 'x'], ['EMPTY_COMMENTED', '']]);
    expect(entries.flatMap((e) => e.valueNotes)).toEqual([
      "f.env:2: COMMENTED: the text from '#' on is a comment, which kubectl --from-env-file would keep in the value; put comments on a line of their own",
      "f.env:3: TABBED: the text from '#' on is a comment, which kubectl --from-env-file would keep in the value; put comments on a line of their own",
      'f.env:4: SPACED: the spaces around the value are dropped (kubectl --from-env-file keeps them); quote the value if they belong to it',
      "f.env:5: EMPTY_COMMENTED: the text from '#' on is a comment, which kubectl --from-env-file would keep in the value; put comments on a line of their own",
    ]);
  });

  test('quotes, export, spaces before "=" and multi-line values are read as written, without a note', () => {
    const entries = parseEnvFile([
      'DOUBLE="Xy7#fake kP2"',
      "SINGLE='  fake # not a comment  '",
      'BACKQUOTED=`fake "and" \'quotes\'`',
      'export EXPORTED=1',
      'SPACED = 1',
      'COMMENT_AFTER="fake" # a comment',
      'MULTI="a',
      'b"',
      'ESCAPES="line1\\nline2\\rend"',
    ].join('\n'), 'f.env');
    expect(entries.map((e) => [e.key, e.value])).toEqual([
      ['DOUBLE', 'Xy7#fake kP2'], ['SINGLE', '  fake # not a comment  '], ['BACKQUOTED', 'fake "and" \'quotes\''],
      ['EXPORTED', '1'], ['SPACED', '1'], ['COMMENT_AFTER', 'fake'], ['MULTI', 'a\nb'], ['ESCAPES', 'line1\nline2\rend'],
    ]);
    expect(entries.flatMap((e) => [...e.notes, ...e.valueNotes])).toEqual([]);
  });

  test('points out a valid key that is not a strict environment variable name', () => {
    expect(parseEnvFile('1ST_KEY=1', 'f.env')[0].notes).toEqual([
      'f.env:1: 1ST_KEY is not a strict environment variable name; clusters before 1.32 skip it in envFrom',
    ]);
  });
});

describe('lines dotenv would read other than as written are errors', () => {
  // Each row: a line, and what dotenv.parse makes of it (checked below, so a dotenv that changes
  // its mind shows here), against what the line says.
  const CUT_AT_HASH: ReadonlyArray<readonly [string, string]> = [
    ['DATABASE_PASSWORD=Xy7#kP2!q', 'Xy7'],
    ['DATABASE_PASSWORD=#fake', ''],
    ['DATABASE_PASSWORD=fake#', 'fake'],
    ['DATABASE_PASSWORD=fake#x # a comment', 'fake'],
    ['DATABASE_PASSWORD=fake\u00a0#x', 'fake'],
    ['DATABASE_PASSWORD=  fake#x', 'fake'],
  ];

  test.each(CUT_AT_HASH)('%j: dotenv cuts it at "#", so it stops synth with file:line and key, saying to quote it', (line, dotenvReads) => {
    expect(dotenvParse(line).DATABASE_PASSWORD).toBe(dotenvReads);
    for (const sensitive of [false, true]) {
      const attempt = () => parseEnvFile(`A=1\n${line}\n`, 'env/staging.secrets.env', { sensitive });
      expect(attempt).toThrow(/^env\/staging\.secrets\.env:2: DATABASE_PASSWORD: '#' in an unquoted value starts a comment for dotenv, which would cut the value there \(kubectl and a shell keep it\): quote the value, DATABASE_PASSWORD="\.\.\."$/);
      expect(attempt).not.toThrow(/fake|Xy7|kP2/);
    }
  });

  test.each(['defaults.env', 'staging.env', 'staging.secrets.env', 'staging.secrets.env.example'])(
    'in env/%s, it stops synth', (name) => {
      const envDir = committedEnvDir();
      writeFileSync(join(envDir, 'staging.secrets.env'), Object.entries(fakeSecrets('staging')).map(([k, v]) => `${k}=${v}\n`).join(''));
      appendFileSync(join(envDir, name), name.includes('secrets') ? 'DATABASE_PASSWORD_2=Xy7#kP2!q\n' : 'LOG_FORMAT=json#fake\n');
      expect(() => synthEnvironments(taskApiProject(), ['staging'], { envDir, processEnv: {} }))
        // A secrets-file key its .example does not list is not named: it may be secret text.
        .toThrow(new RegExp(`^${join(envDir, name).replace(/[.]/g, '\\.')}:\\d+: ${name === 'staging.secrets.env' ? "the text before '='" : '(DATABASE_PASSWORD_2|LOG_FORMAT)'}: '#' in an unquoted value`));
    });

  test('the quoting it suggests is one the value can take', () => {
    expect(() => parseEnvFile('P=fake"x#y', 'f.env')).toThrow(/quote the value, P='\.\.\.'$/);
    expect(() => parseEnvFile('P=fake\\x#y', 'f.env')).toThrow(/quote the value, P='\.\.\.'$/);
    expect(() => parseEnvFile('P=it\'s"x#y', 'f.env')).toThrow(/quote the value, P=`\.\.\.`$/);
    expect(() => parseEnvFile('P="it\'s\\fake"', 'f.env')).toThrow(/keep every character as it is, P=`\.\.\.`$/);
  });

  const BACKSLASH_IN_DOUBLE_QUOTES: ReadonlyArray<readonly [string, string]> = [
    ['P="fake\\"quote"', 'fake\\"quote'],
    ['P="fake\\\\backslash"', 'fake\\\\backslash'],
    ['P="fake\\\\nnot-a-newline"', 'fake\\\nnot-a-newline'],
    ['P="fake\\ttab"', 'fake\\ttab'],
    ['P="fake\\$dollar"', 'fake\\$dollar'],
    ['P="C:\\fake\\path"', 'C:\\fake\\path'],
    ['P="fake\\u0041"', 'fake\\u0041'],
    ['P="fake\\"', 'fake\\'],
  ];

  test.each(BACKSLASH_IN_DOUBLE_QUOTES)('%j: dotenv keeps the backslash, so it stops synth, saying to use single quotes', (line, dotenvReads) => {
    expect(dotenvParse(line).P).toBe(dotenvReads);
    const attempt = () => parseEnvFile(line, 'f.env');
    expect(attempt).toThrow(/^f\.env:1: P: a backslash in a "-quoted value: dotenv reads only \\n and \\r there and keeps every other backslash \(\\" stays \\"\): use quotes that keep every character as it is, P='\.\.\.'$/);
    expect(attempt).not.toThrow(/fake/);
  });

  test('\\n and \\r in double quotes are a newline and a carriage return, as dotenv, Docker Compose and JSON read them', () => {
    expect(parseEnvFile('P="fake\\nline\\rend"', 'f.env')[0].value).toBe('fake\nline\rend');
  });

  test('a quote escaped inside single quotes or backquotes, which dotenv keeps with its backslash, stops synth', () => {
    expect(dotenvParse("P='it\\'s-fake'").P).toBe("it\\'s-fake");
    expect(() => parseEnvFile("P='it\\'s-fake'", 'f.env')).toThrow(/^f\.env:1: P: a ' inside a '-quoted value: dotenv keeps the backslash before it; quote the value with other quotes, P="\.\.\."$/);
    expect(() => parseEnvFile('P=`it\\`s-fake`', 'f.env')).toThrow(/^f\.env:1: P: a ` inside a `-quoted value: dotenv keeps the backslash before it; quote the value with other quotes, P="\.\.\."$/);
    expect(() => parseEnvFile("P='it\\'s-fake'", 'f.env')).not.toThrow(/fake/);
  });

  test('a backslash is literal between single quotes and in an unquoted value, as for kubectl and a shell', () => {
    expect(toRecord(parseEnvFile("A='C:\\fake\\n'\nB=C:\\fake\\n\nC='\\'", 'f.env'))).toEqual(Object.assign(Object.create(null), {
      A: 'C:\\fake\\n', B: 'C:\\fake\\n', C: '\\',
    }));
  });
});

describe('characters that would not reach the cluster as they look', () => {
  test.each([
    ['NEL (U+0085)', '\u0085'], ['a C1 control (U+0080)', '\u0080'], ['a C1 control (U+009F)', '\u009f'],
  ])('%s in a value stops synth, naming file, line and key', (_name, character) => {
    expect(() => parseEnvFile(`A=1\nB=fake${character}value\n`, 'f.env')).toThrow(/^f\.env:2: B: the line holds a control character/);
  });

  test.each([
    ['U+2028', '\u2028'], ['U+2029', '\u2029'],
  ])('the line separator %s, in a value or a quoted value, stops synth, naming file, line and key', (_name, character) => {
    for (const text of [`A=1\nB=fake${character}value\n`, `A=1\nB='fake${character}value'\n`, `A=1\nB="fake\nx${character}"\n`]) {
      expect(() => parseEnvFile(text, 'f.env')).toThrow(/^f\.env:\d: B: the line holds a line break other than \\n/);
    }
  });

  test('a line break or a bidi control in a comment stops synth too: the comment could pass for a KEY=value line', () => {
    expect(() => parseEnvFile('A=1\n# note\u2028B=2\n', 'f.env')).toThrow(/^f\.env:2: the line holds a line break other than \\n/);
    expect(() => parseEnvFile('A=1\n# note\rB=2\n', 'f.env')).toThrow(/^f\.env:2: the line holds a line break other than \\n/);
    expect(() => parseEnvFile('# \u2066B=2\u2069\nA=1\n', 'f.env')).toThrow(/^f\.env:1: the line holds a bidirectional override or isolate/);
  });

  test.each(['202A', '202B', '202C', '202D', '202E', '2066', '2067', '2068', '2069'])(
    'the bidi control U+%s in a value stops synth, naming file, line and key', (codePoint) => {
      const character = String.fromCodePoint(parseInt(codePoint, 16));
      expect(() => parseEnvFile(`URL=https://fake${character}.example.com`, 'f.env'))
        .toThrow(/^f\.env:1: URL: the line holds a bidirectional override or isolate \(U\+202A-U\+202E, U\+2066-U\+2069\)/);
    });

  test('U+FFFE and U+FFFF, which YAML does not allow, stop synth, naming file, line and key', () => {
    for (const character of ['\ufffe', '\uffff']) {
      expect(() => parseEnvFile(`A=1\nB='fake${character}'\n`, 'f.env')).toThrow('f.env:2: B: the line holds U+FFFE or U+FFFF, which YAML does not allow');
    }
  });

  test('tab and spaces other than U+0020 are accepted in values (escaped wherever they are shown)', () => {
    const value = 'a\tb\u00a0c\u3000d\u034fe';
    expect(parseEnvFile(`A=${value}`, 'f.env')[0].value).toBe(value);
  });

  test.each([
    ['200B', 'ZERO WIDTH SPACE'], ['200C', 'ZERO WIDTH NON-JOINER'], ['200D', 'ZERO WIDTH JOINER'], ['200E', 'LEFT-TO-RIGHT MARK'],
    ['200F', 'RIGHT-TO-LEFT MARK'], ['2060', 'WORD JOINER'], ['00AD', 'SOFT HYPHEN'], ['061C', 'ARABIC LETTER MARK'],
    ['FEFF', 'ZERO WIDTH NO-BREAK SPACE (a byte order mark inside a line)'], ['E0001', 'LANGUAGE TAG'], ['E0041', ''],
  ])('the format character U+%s in a value stops synth, naming file, line, key and code point', (codePoint, name) => {
    const character = String.fromCodePoint(parseInt(codePoint, 16));
    const expected = `f.env:2: LOG_LEVEL: the line holds U+${codePoint}${name ? ` ${name}` : ''}, a format character that editors, diffs and terminals do not show`;
    expect(() => parseEnvFile(`A=1\nLOG_LEVEL=in${character}fo\n`, 'f.env')).toThrow(expected);
    expect(() => parseEnvFile(`A=1\nLOG_LEVEL='in${character}fo'\n`, 'f.env')).toThrow(expected);
  });

  test('a format character on a later line of a quoted value names that line', () => {
    expect(() => parseEnvFile('A=1\nB="one\ntw\u200Bo"\n', 'f.env')).toThrow(/^f\.env:3: B: the line holds U\+200B ZERO WIDTH SPACE/);
  });

  test('a zero width joiner inside an emoji sequence is accepted in a ConfigMap layer, never in a secrets file', () => {
    const value = 'team 👩\u200D💻 and 👨🏽\u200D🚀';
    expect(parseEnvFile(`GREETING=${value}`, 'f.env')[0].value).toBe(value);
    expect(() => parseEnvFile(`GREETING=${value}`, 'f.secrets.env', { sensitive: true, knownKeys: ['GREETING'] }))
      .toThrow(/^f\.secrets\.env:1: GREETING: the line holds U\+200D ZERO WIDTH JOINER, .*Delete it$/);
    expect(() => parseEnvFile('GREETING=a\u200Db', 'f.env')).toThrow(/U\+200D ZERO WIDTH JOINER/);
  });

  test('a secret value holding a format character is never shown in the message', () => {
    let message = '';
    try {
      parseEnvFile('DATABASE_PASSWORD=fake-\u200Bsecret-9d1e\n', 'f.secrets.env', { sensitive: true, knownKeys: ['DATABASE_PASSWORD'] });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^f\.secrets\.env:1: DATABASE_PASSWORD: the line holds U\+200B ZERO WIDTH SPACE/);
    expect(message).not.toContain('fake-');
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
