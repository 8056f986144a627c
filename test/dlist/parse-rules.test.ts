// The dlist readers accept what Cyrus accepts and refuse what it refuses (spec §9.3):
// `dlist_parse` (stream, lenient about whitespace) and `dlist_parsesax` (strict, for
// mailboxes.db values and cyrus.header). Bad input is a FormatError naming the offset.
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import {
  NIL,
  atom,
  buf,
  flag,
  getChild,
  kvlist,
  list,
  parseDlist,
  parseStrict,
  toAtom,
  toGuid,
  toHex64,
  toNum32,
  toNum64,
} from '../../src/dlist/index.js';

const P = (s: string, o: Parameters<typeof parseDlist>[1] = {}) => parseDlist(Buffer.from(s, 'latin1'), o);
const S = (s: string, o: Parameters<typeof parseStrict>[1] = {}) => parseStrict(Buffer.from(s, 'latin1'), o);

function err(fn: () => unknown): { code: string; offset: number } {
  try {
    fn();
  } catch (e) {
    if (e instanceof FormatError) return { code: e.code, offset: e.offset };
    throw e;
  }
  throw new Error('expected a FormatError');
}

describe('stream parser (dlist_parse @3.6.1)', () => {
  it('reads atoms, quoted strings, literals, flags, NIL, lists and kvlists', () => {
    expect(P('%(A x B "a b" C {3+}\r\nx y D \\Seen E NIL F (1 2) G %())').node).toEqual(
      kvlist(
        ['A', atom('x')],
        ['B', atom('a b')],
        ['C', buf('x y')],
        ['D', flag('\\Seen')],
        ['E', NIL],
        ['F', list(atom('1'), atom('2'))],
        ['G', kvlist()],
      ),
    );
  });

  it('reads a top-level name with parseKey', () => {
    expect(P('MAILBOX %(UID 1)', { parseKey: true })).toEqual({ key: 'MAILBOX', node: kvlist(['UID', atom('1')]) });
    expect(P('"my key" v', { parseKey: true }).key).toBe('my key');
  });

  it('treats any whitespace (including CR/LF) between elements as a separator', () => {
    expect(P('(  a\r\n \tb\x0b\x0c c )').node).toEqual(list(atom('a'), atom('b'), atom('c')));
    expect(P('%(K\r\n  v)').node).toEqual(kvlist(['K', atom('v')]));
  });

  it('needs no space where a delimiter ends a token', () => {
    expect(P('(a(b)"c"d)').node).toEqual(list(atom('a'), list(atom('b')), atom('c'), atom('d')));
  });

  it('accepts 8-bit, %, * and \\ inside atoms; quoted strings unescape with \\', () => {
    expect(P('(a%b*c\\d caf\xe9)').node).toEqual(list(atom('a%b*c\\d'), atom('caf\xe9')));
    expect(P('"a\\"b\\\\c"').node).toEqual(atom('a"b\\c'));
  });

  it('keeps a quoted "NIL" as a string and a literal as bytes', () => {
    expect(P('("NIL" NIL {3}\r\nNIL)').node).toEqual(list(atom('NIL'), NIL, buf('NIL')));
    expect(P('{4+}\r\na\0\r\n').node).toEqual(buf(Buffer.from('a\0\r\n', 'latin1')));
  });

  it('requires the whole buffer to be one dlist', () => {
    expect(err(() => P('(a) '))).toEqual({ code: 'BAD_SYNTAX', offset: 3 });
    expect(err(() => P('(a)(b)'))).toEqual({ code: 'BAD_SYNTAX', offset: 3 });
  });

  it.each([
    ['(a b', 'TRUNCATED', 4],
    ['%(K', 'TRUNCATED', 3],
    ['%(K v', 'TRUNCATED', 5],
    ['"abc', 'TRUNCATED', 4],
    ['{5+}\r\nabc', 'TRUNCATED', 9],
    ['{5+}\r', 'TRUNCATED', 5],
    ['%', 'TRUNCATED', 1],
    ['', 'TRUNCATED', 0],
    ['"ab\ncd"', 'BAD_SYNTAX', 3],
    ['%x', 'BAD_SYNTAX', 0],
    ['%(K )', 'BAD_SYNTAX', 4],
    ['{x}\r\n', 'BAD_SYNTAX', 1],
    ['{3}\nabc', 'BAD_SYNTAX', 3],
    ['{3+x}\r\nabc', 'BAD_SYNTAX', 3],
    ['{99999999999}\r\n', 'BAD_SYNTAX', 10],
    [')', 'BAD_SYNTAX', 0],
    ['%({1}\r\n\0 v)', 'BAD_SYNTAX', 7],
    ['(a\0b)', 'BAD_SYNTAX', 2], // Cyrus keeps C strings: a NUL would silently cut the value
    ['"a\\\0"', 'BAD_SYNTAX', 3],
  ])('%j → %s at %i', (input, code, offset) => {
    expect(err(() => P(input))).toEqual({ code, offset });
  });

  it('refuses quoted strings over maxquoted (128 KiB) and atoms over 1 MiB, as BAD_LENGTH', () => {
    expect(P(`"${'q'.repeat(131072)}"`).node).toEqual(atom('q'.repeat(131072)));
    expect(err(() => P(`"${'q'.repeat(131073)}"`)).code).toBe('BAD_LENGTH');
    expect(P('a'.repeat(1 << 20)).node).toEqual(atom('a'.repeat(1 << 20)));
    expect(err(() => P('a'.repeat((1 << 20) + 1))).code).toBe('BAD_LENGTH');
  });

  it('refuses nesting deeper than maxDepth instead of overflowing the stack', () => {
    expect(err(() => P('('.repeat(5000))).code).toBe('BAD_SYNTAX');
    expect(P('((((x))))', { maxDepth: 4 }).node.type).toBe('list');
    expect(err(() => P('(((((x)))))', { maxDepth: 4 })).code).toBe('BAD_SYNTAX');
  });
});

describe('file literals', () => {
  const g = 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d';
  it('reads %{partition guid size}, CR optional, bytes raw, next token directly after', () => {
    const r = P(`(%{default ${g} 5}\r\nhello %{p2 ${g.toUpperCase()} 5}\nhello)`).node;
    expect(r).toMatchObject({
      type: 'list',
      items: [
        { type: 'file', partition: 'default', guid: g, size: 5, content: { kind: 'memory', data: Buffer.from('hello') } },
        { type: 'file', partition: 'p2', guid: g.toUpperCase(), size: 5 },
      ],
    });
  });

  it.each([
    [`%{default ${g}}\r\nhello`, 'BAD_SYNTAX'],
    [`%{default xyz 5}\r\nhello`, 'BAD_SYNTAX'],
    [`%{default ${g} 5}x`, 'BAD_SYNTAX'],
    [`%{default ${g} 5}\r\nhel`, 'TRUNCATED'],
    [`%{default ${g} 99999999999}\r\n`, 'BAD_SYNTAX'],
  ])('%j → %s', (input, code) => {
    expect(err(() => P(input)).code).toBe(code);
  });
});

describe('2.4 dialect', () => {
  const o = { dialect: '2.4' } as const;
  it('keeps NIL as the three-letter atom and reads \\flags as atoms', () => {
    expect(P('(NIL \\Seen)', o).node).toEqual(list(atom('NIL'), atom('\\Seen')));
  });
  it('reads keys as words up to whitespace or a paren', () => {
    expect(P('%(UID 1 FLAGS(\\Seen))', o).node).toEqual(kvlist(['UID', atom('1')], ['FLAGS', list(atom('\\Seen'))]));
  });
  it('reads its own indented output (CRLF inside lists)', () => {
    expect(P('%(RECORD (\r\n  %(UID 1) \r\n  %(UID 2)))', o).node).toEqual(
      kvlist(['RECORD', list(kvlist(['UID', atom('1')]), kvlist(['UID', atom('2')]))]),
    );
  });
});

describe('strict parser (dlist_parsesax @3.6.1)', () => {
  it('reads what Cyrus writes into mailboxes.db', () => {
    const v = '%(T e N user\x1ffoo P default V 1795887675 A %(foo lrswipkxtecdan bar lrs) H ())';
    expect(S(v).node).toEqual(
      kvlist(
        ['T', atom('e')],
        ['N', atom('user\x1ffoo')],
        ['P', atom('default')],
        ['V', atom('1795887675')],
        ['A', kvlist(['foo', atom('lrswipkxtecdan')], ['bar', atom('lrs')])],
        ['H', list()],
      ),
    );
  });

  it('runs atoms to the next SP, stripping trailing )', () => {
    expect(S('%(K a(b"c)').node).toEqual(kvlist(['K', atom('a(b"c')]));
  });

  it('reads quoted strings, {n}/{n+} literals and NIL', () => {
    expect(S('%(A "x y" B {2+}\r\nab C {1}\r\nz D NIL)').node).toEqual(
      kvlist(['A', atom('x y')], ['B', buf('ab')], ['C', buf('z')], ['D', NIL]),
    );
  });

  it.each([
    ['%(K  v)', 'BAD_SYNTAX'], // two spaces
    [' %(K v)', 'BAD_SYNTAX'], // leading space: the atom " %(K" … then trailing bytes
    ['%(K v) ', 'BAD_SYNTAX'],
    ['%(K v)\r\n', 'TRUNCATED'], // the atom runs to the end ("v)\r\n"), leaving the kvlist open
    ['%(K\tv)', 'BAD_SYNTAX'], // TAB is not a separator: key "K\tv", then ")" where SP must be
    ['%(NIL v)', 'BAD_SYNTAX'],
    ['%(K {2}\r\nab', 'TRUNCATED'], // a literal needs a byte after it
    ['%(K %{p g 1}\r\nx)', 'BAD_SYNTAX'],
    ['%(K "v)', 'TRUNCATED'],
    ['%(K v', 'TRUNCATED'],
  ])('%j → %s', (input, code) => {
    expect(err(() => S(input)).code).toBe(code);
  });
});

describe('typed getters (dlist_to*)', () => {
  const kv = P(
    '%(N 42 BIG 18446744073709551615 OVER 18446744073709551616 NEG -1 H 00000000deadbeef G FA45CFFB05B14F8693CD24EFD711DCDF9BF0A046 X NIL)',
  ).node;
  it('converts on demand, as Cyrus does', () => {
    expect(toNum64(getChild(kv, 'N'))).toBe(42n);
    expect(toNum64(getChild(kv, 'BIG'))).toBe((1n << 64n) - 1n);
    expect(toNum64(getChild(kv, 'OVER'))).toBeUndefined();
    expect(toNum64(getChild(kv, 'NEG'))).toBeUndefined();
    expect(toNum32(getChild(kv, 'BIG'))).toBe(0xffffffff); // silently truncated
    expect(toHex64(getChild(kv, 'H'))).toBe(0xdeadbeefn);
    expect(toGuid(getChild(kv, 'G'))).toBe('fa45cffb05b14f8693cd24efd711dcdf9bf0a046');
    expect(toGuid(getChild(kv, 'N'))).toBeUndefined();
    expect(toAtom(getChild(kv, 'X'))).toBeNull();
    expect(getChild(kv, 'missing')).toBeUndefined();
  });
  it('returns the first of duplicate keys', () => {
    expect(toAtom(getChild(P('%(K a K b)').node, 'K'))).toBe('a');
  });
});
