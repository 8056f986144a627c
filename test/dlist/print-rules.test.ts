// The dlist printer writes what Cyrus writes (spec §9.2; lib/prot.c prot_printastring /
// prot_printstring / prot_printliteral, imap/dlist.c dlist_print @3.6.1, dlist_print_helper @2.4.17).
import { describe, expect, it } from 'vitest';
import {
  NIL,
  atom,
  atomOrNil,
  buf,
  file,
  flag,
  guid,
  hex,
  kvlist,
  list,
  num,
  printAstring,
  printDlist,
  printLine,
} from '../../src/dlist/index.js';

const p = (n: Parameters<typeof printDlist>[0], o: Parameters<typeof printDlist>[1] = {}) =>
  printDlist(n, o).toString('latin1');
const a = (s: string | null, o = {}) => printAstring(s, o).toString('latin1');

describe('astring rules (3.6)', () => {
  it('prints null as NIL and the empty string as ""', () => {
    expect(a(null)).toBe('NIL');
    expect(a('')).toBe('""');
  });

  it('prints atoms bare, but the string NIL quoted', () => {
    expect(a('user.foo')).toBe('user.foo');
    expect(a('[a]:b,c/d$e!f^g')).toBe('[a]:b,c/d$e!f^g');
    expect(a('NIL')).toBe('"NIL"');
    expect(a('nil')).toBe('nil');
  });

  it('treats 0x1F as an atom byte (db-names print unquoted) but quotes TAB, 0x1D, 0x1E', () => {
    expect(a('user\x1ffoo')).toBe('user\x1ffoo');
    expect(a('a\tb')).toBe('"a\tb"');
    expect(a('example.com\x1duser')).toBe('"example.com\x1duser"');
    expect(a('x\x1ey')).toBe('"x\x1ey"');
  });

  it.each(['a b', 'a{b', 'a(b', 'a)b', 'a*b', 'x\x7fy', 'x\x01y'])('quotes the non-atom %j', (s) => {
    expect(a(s)).toBe(`"${s}"`);
  });

  it.each(['a"b', 'a%b', 'a\\b', 'a\rb', 'a\nb', 'caf\xe9'])('sends %j as a {n+} literal', (s) => {
    expect(a(s)).toBe(`{${s.length}+}\r\n${s}`);
    expect(a(s, { literalPlus: false })).toBe(`{${s.length}}\r\n${s}`);
  });

  it('switches at 1024 bytes: 1023 stays an atom/quoted, 1024 becomes a literal', () => {
    expect(a('x'.repeat(1023))).toBe('x'.repeat(1023));
    expect(a('x'.repeat(1024))).toBe(`{1024+}\r\n${'x'.repeat(1024)}`);
    expect(a(' '.repeat(1023))).toBe(`"${' '.repeat(1023)}"`);
    expect(a(' '.repeat(1024))).toBe(`{1024+}\r\n${' '.repeat(1024)}`);
  });
});

describe('node types', () => {
  it('numbers are unsigned 64-bit decimal; hex is 16 lowercase digits', () => {
    expect(p(num(0))).toBe('0');
    expect(p(num((1n << 64n) - 1n))).toBe('18446744073709551615');
    expect(p(num(-1))).toBe('18446744073709551615'); // %llu of a negative
    expect(p(hex(0xabcn))).toBe('0000000000000abc');
    expect(p(hex((1n << 64n) - 1n))).toBe('ffffffffffffffff');
  });

  it('flags and guids are printed raw; NIL is NIL', () => {
    expect(p(flag('\\Seen'))).toBe('\\Seen');
    expect(p(guid('FA45CFFB05B14F8693CD24EFD711DCDF9BF0A046'))).toBe('fa45cffb05b14f8693cd24efd711dcdf9bf0a046');
    expect(p(NIL)).toBe('NIL');
    expect(p(atomOrNil(null))).toBe('NIL');
  });

  it('a buffer is an astring unless it holds NUL (then a literal)', () => {
    expect(p(buf('plain'))).toBe('plain');
    expect(p(buf('he said "hi" 100%'))).toBe('{17+}\r\nhe said "hi" 100%');
    expect(p(buf(Buffer.from([0x61, 0, 0x62])))).toBe('{3+}\r\na\0b');
  });

  it('lists and kvlists: single spaces, nothing after ( or before ), empty forms', () => {
    expect(p(list())).toBe('()');
    expect(p(kvlist())).toBe('%()');
    expect(p(list(atom('a'), list(), kvlist(['K', num(1)])))).toBe('(a () %(K 1))');
    expect(p(kvlist(['A', kvlist(['a b', atom('lrs')])], ['U', list(atom('x'), NIL)]))).toBe('%(A %("a b" lrs) U (x NIL))');
  });

  it('prints the top-level name as an astring', () => {
    expect(p(kvlist(['UID', num(1)]), { key: 'MAILBOX' })).toBe('MAILBOX %(UID 1)');
    expect(p(atom('v'), { key: 'two words' })).toBe('"two words" v');
  });

  it('file literals: %{partition guid size} CRLF bytes; NIL when size or SHA-1 disagree', () => {
    const data = Buffer.from('hello');
    const sha = 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d';
    expect(p(list(file('default', sha, 5, { kind: 'memory', data })))).toBe(`(%{default ${sha} 5}\r\nhello)`);
    expect(p(file('default', sha, 6, { kind: 'memory', data }))).toBe('NIL');
    expect(p(file('default', '0'.repeat(40), 5, { kind: 'memory', data }))).toBe('NIL');
    expect(p(file('default', '0'.repeat(40), 5, { kind: 'memory', data }), { verifyFiles: false })).toBe(
      `%{default ${'0'.repeat(40)} 5}\r\nhello`,
    );
    expect(p(file('default', sha, 5, { kind: 'none' }))).toBe('NIL');
  });

  it('printLine joins values with SP and ends with CRLF', () => {
    expect(printLine([atom('APPLY'), atom('SEEN'), kvlist(['USERID', atom('bar')])]).toString()).toBe(
      'APPLY SEEN %(USERID bar)\r\n',
    );
  });
});

describe('2.4 printing differences (dlist_print_helper @2.4.17)', () => {
  const o = { dialect: '2.4' } as const;

  it('prints an atom NIL bare and keys raw', () => {
    expect(p(atom('NIL'), o)).toBe('NIL');
    expect(p(kvlist(['a b', atom('x')]), o)).toBe('%(a b x)');
  });

  it('always prints buffers as literals', () => {
    expect(p(buf('plain'), o)).toBe('{5+}\r\nplain');
  });

  it('starts each kvlist inside a list on a new line, indented one more space per level', () => {
    const rec = (uid: number, ...extra: Array<[string, ReturnType<typeof list>]>) =>
      kvlist(['UID', num(uid)], ['FLAGS', list(flag('\\Seen'))], ...extra);
    const mailbox = kvlist(
      ['MBOXNAME', atom('user.foo')],
      ['RECORD', list(rec(1), rec(2, ['ANNOTATIONS', list(kvlist(['ENTRY', atom('/comment')]))]))],
    );
    expect(p(mailbox, o)).toBe(
      '%(MBOXNAME user.foo RECORD (\r\n  %(UID 1 FLAGS (\\Seen)) \r\n  %(UID 2 FLAGS (\\Seen) ANNOTATIONS (\r\n   %(ENTRY /comment)))))',
    );
    // a kvlist directly inside such a kvlist keeps its parent's level
    expect(p(list(kvlist(['A', kvlist(['B', num(1)])])), o)).toBe('(\r\n  %(A \r\n  %(B 1)))');
    // 3.6 has none of that
    expect(p(mailbox)).toBe(
      '%(MBOXNAME user.foo RECORD (%(UID 1 FLAGS (\\Seen)) %(UID 2 FLAGS (\\Seen) ANNOTATIONS (%(ENTRY /comment)))))',
    );
  });

  it('checks file literals by size only', () => {
    const data = Buffer.from('hello');
    expect(p(file('default', '0'.repeat(40), 5, { kind: 'memory', data }), o)).toBe(`%{default ${'0'.repeat(40)} 5}\r\nhello`);
    expect(p(file('default', '0'.repeat(40), 4, { kind: 'memory', data }), o)).toBe('NIL');
  });
});
