// cyrus.header text format (Cyrus ≤ 3.4) and dlist format (3.6+) on constructed files and the
// spec's examples: reading follows mailbox_read_header, writing mailbox_commit_header, and a
// Cyrus-shaped file survives decode → encode byte for byte.
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import {
  HEADER_MAGIC,
  aclEntries,
  aclString,
  decodeHeader,
  encodeHeader,
  headerFileCrc,
  type MailboxHeader,
} from '../../src/format/header.js';
import { formatError } from '../helpers/errors.js';

const file = (body: string) => Buffer.concat([HEADER_MAGIC, Buffer.from(body, 'latin1')]);


describe('magic', () => {
  it('is the 115 bytes of MAILBOX_HEADER_MAGIC', () => {
    expect(HEADER_MAGIC.length).toBe(115);
    expect(HEADER_MAGIC.subarray(0, 4)).toEqual(Buffer.from([0xa1, 0x02, 0x8b, 0x0d]));
    expect(HEADER_MAGIC.toString('latin1').endsWith('\t--Jim Morris on Andrew\n')).toBe(true);
  });

  it('rejects other files with BAD_MAGIC at the first differing byte', () => {
    const buf = file('\tx\n\n\n');
    buf[30] ^= 1;
    const e = formatError(() => decodeHeader(buf));
    expect([e.code, e.offset]).toEqual(['BAD_MAGIC', 30]);
    expect(formatError(() => decodeHeader(Buffer.from('hello'))).code).toBe('BAD_MAGIC');
  });

  it('reports a file cut inside the magic as TRUNCATED', () => {
    expect(formatError(() => decodeHeader(HEADER_MAGIC.subarray(0, 50))).code).toBe('TRUNCATED');
  });
});

describe('text format (Cyrus 2.x – 3.4)', () => {
  const cases: Array<[string, string, Partial<MailboxHeader>]> = [
    [
      '2.4 mailbox with quota root, flags and ACL',
      'user.alice\t41f1e8b64e71fd5c\n$Label1 MixedCase $Junk NonJunk \nalice\tlrswipkxtecda\tanyone\tp\t\n',
      {
        quotaroot: 'user.alice',
        uniqueid: '41f1e8b64e71fd5c',
        userFlags: ['$Label1', 'MixedCase', '$Junk', 'NonJunk'],
        acl: 'alice\tlrswipkxtecda\tanyone\tp\t',
      },
    ],
    [
      'no quota root, no flags, empty ACL',
      '\tphybrsc2p15ejb7lz7nch1hz\n\n\n',
      { quotaroot: null, uniqueid: 'phybrsc2p15ejb7lz7nch1hz', userFlags: [], acl: '' },
    ],
    [
      '3.x UUID uniqueid',
      'user.bob\tc5575115-d09d-4d87-b74f-7d6b7a335dce\nImportant \nbob\tlrswipkxtecdan\t\n',
      { uniqueid: 'c5575115-d09d-4d87-b74f-7d6b7a335dce', userFlags: ['Important'] },
    ],
  ];

  it.each(cases)('%s: decodes and re-encodes byte for byte', (_n, body, fields) => {
    const h = decodeHeader(file(body));
    expect(h).toMatchObject({ format: 'text', mbtype: null, name: null, ...fields });
    expect(encodeHeader(h).toString('latin1')).toBe(file(body).toString('latin1'));
  });

  it('writes each used flag followed by one space, as mailbox_commit_header does', () => {
    const h: MailboxHeader = {
      format: 'text',
      quotaroot: 'user.carol',
      uniqueid: '0123456789abcdef',
      userFlags: ['a', 'b'],
      acl: aclString([{ identifier: 'carol', rights: 'lrswipkxtecda' }]),
      mbtype: null,
      name: null,
    };
    expect(encodeHeader(h).subarray(HEADER_MAGIC.length).toString()).toBe(
      'user.carol\t0123456789abcdef\na b \ncarol\tlrswipkxtecda\t\n',
    );
  });

  it('reads an empty token as an unused slot, and the writer closes the hole (Cyrus renumbering)', () => {
    const h = decodeHeader(file('\tu1\na  b \nx\tlrs\t\n'));
    expect(h.userFlags).toEqual(['a', '', 'b']);
    // Cyrus ≤ 3.4 writes only used slots, so "b" moves from bit 2 to bit 1 on rewrite.
    expect(encodeHeader(h).subarray(HEADER_MAGIC.length).toString()).toBe('\tu1\na b \nx\tlrs\t\n');
  });

  it('reads at most 128 flag slots', () => {
    const names = Array.from({ length: 130 }, (_, i) => `f${i}`);
    const h = decodeHeader(file(`\tu1\n${names.join(' ')} \n\n`));
    expect(h.userFlags).toEqual(names.slice(0, 128));
  });

  it('accepts a pre-2.0 line 1 without uniqueid, and ignores fields after the uniqueid', () => {
    expect(decodeHeader(file('user.old\n\n\n'))).toMatchObject({ quotaroot: 'user.old', uniqueid: null });
    expect(decodeHeader(file('\tabc\textra\n\n\n')).uniqueid).toBe('abc');
  });

  it('fails like Cyrus on an empty uniqueid or a missing line', () => {
    expect(formatError(() => decodeHeader(file('q\t\n\n\n'))).code).toBe('BAD_VALUE');
    const noAcl = formatError(() => decodeHeader(file('\tu\nflags \nacl-without-lf')));
    expect(noAcl.code).toBe('TRUNCATED');
    expect(formatError(() => decodeHeader(file('\tu\nflags'))).code).toBe('TRUNCATED');
    expect(formatError(() => decodeHeader(file('\tu'))).code).toBe('TRUNCATED');
  });

  it('CRC covers every byte including the final LF', () => {
    const a = file('\tu1\n\n\n');
    expect(headerFileCrc(a)).not.toBe(headerFileCrc(a.subarray(0, a.length - 1)));
  });
});

describe('dlist format (Cyrus 3.6+)', () => {
  // spec cyrus-mailbox-format.md §7.3, real examples
  const examples = [
    '%(T el N user.cassandane I c5575115-d09d-4d87-b74f-7d6b7a335dce A %(cassandane lrswipkxtecdan admin lrswipkxtecdan anyone p))',
    '%(T el N user.alice I 46bmkcs7rx11ten45bbkwm0l A %(alice lrswipkxtecdan) U ($Label1 MixedCase $Junk NonJunk))',
    '%(T e N user.carol I phybrsc2p15ejb7lz7nch1hz A %(carol lrswipkxtecdan) U (Important))',
  ];

  it.each(examples)('spec example round-trips: %s', (line) => {
    const buf = file(line + '\n');
    expect(encodeHeader(decodeHeader(buf)).equals(buf)).toBe(true);
  });

  it('decodes the spec example fields', () => {
    const h = decodeHeader(file(examples[1]! + '\n'));
    expect(h).toEqual({
      format: 'dlist',
      mbtype: 'el',
      name: 'user.alice',
      uniqueid: '46bmkcs7rx11ten45bbkwm0l',
      quotaroot: null,
      acl: 'alice\tlrswipkxtecdan\t',
      userFlags: ['$Label1', 'MixedCase', '$Junk', 'NonJunk'],
    });
  });

  it('keeps flag numbering with NIL holes and writes Q before A', () => {
    const h: MailboxHeader = {
      format: 'dlist',
      mbtype: 'e',
      name: 'user.dave.Sent Items',
      uniqueid: 'abc',
      quotaroot: 'user.dave',
      acl: 'dave\tlrswipkxtecdan\tgroup:staff\tlrs\t',
      userFlags: ['one', '', 'three'],
      jmapid: undefined,
    };
    const line = encodeHeader(h).subarray(HEADER_MAGIC.length).toString('latin1');
    expect(line).toBe(
      '%(T e N "user.dave.Sent Items" I abc Q user.dave A %(dave lrswipkxtecdan group:staff lrs) U (one NIL three))\n',
    );
    expect(decodeHeader(file(line))).toEqual({ ...h, jmapid: undefined });
  });

  it('writes a J (master) key only when the header had one', () => {
    const buf = file('%(T e N user.x I u1 J NIL A %(x lrs))\n');
    const h = decodeHeader(buf);
    expect(h.jmapid).toBeNull();
    expect(encodeHeader(h).equals(buf)).toBe(true);
  });

  it('reads only the first line and ignores unknown keys, like _parse_header_data', () => {
    const h = decodeHeader(file('%(T e Z whatever N user.y I u2)\ngarbage after'));
    expect(h).toMatchObject({ name: 'user.y', uniqueid: 'u2', acl: null, userFlags: [] });
  });

  it('rejects what dlist_parsesax rejects, at the offset in the file', () => {
    const e = formatError(() => decodeHeader(file('%(T e  N user.y)\n')));
    expect(e.code).toBe('BAD_SYNTAX');
    expect(e.offset).toBeGreaterThanOrEqual(HEADER_MAGIC.length);
    expect(formatError(() => decodeHeader(file('%(T e N user.y\n'))).code).toBe('TRUNCATED');
    expect(formatError(() => decodeHeader(file('%(T e N user.y)'))).code).toBe('TRUNCATED');
  });

  it('quotes or literals ACL identifiers that are not atoms, as Cyrus 3.6 writes them', () => {
    const h: MailboxHeader = {
      format: 'dlist',
      mbtype: 'e',
      name: 'shared.x',
      uniqueid: 'u3',
      quotaroot: null,
      acl: aclString([
        { identifier: 'a b', rights: 'lrs' },
        { identifier: 'caf\xe9', rights: 'lr' },
      ]),
      userFlags: [],
    };
    const out = encodeHeader(h);
    expect(out.subarray(HEADER_MAGIC.length).toString('latin1')).toBe(
      '%(T e N shared.x I u3 A %("a b" lrs {4+}\r\ncaf\xe9 lr))\n',
    );
    // The literal's own CRLF ends the line Cyrus reads (up to the first LF), so Cyrus cannot read
    // back a header it wrote with an 8-bit identifier: IMAP_MAILBOX_BADFORMAT. Neither can we.
    expect(formatError(() => decodeHeader(out)).code).toBe('TRUNCATED');
    const quotedOnly = { ...h, acl: aclString([{ identifier: 'a b', rights: 'lrs' }]) };
    expect(decodeHeader(encodeHeader(quotedOnly))).toEqual(quotedOnly);
    expect(aclEntries(h.acl)).toEqual([
      { identifier: 'a b', rights: 'lrs' },
      { identifier: 'caf\xe9', rights: 'lr' },
    ]);
  });
});
