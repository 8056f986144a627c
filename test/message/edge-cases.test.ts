// Cyrus's lenient parsing rules, one per test, with the results the spec verified against
// Cyrus 3.6.1 (cyrus-message-parse.md §4–§7 and the §10 edge-case catalogue).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectedCacheRecord } from '../../src/message/record.js';
import { parseMessage } from '../../src/message/parse.js';
import { BufferSource } from '../../src/message/source.js';
import { parseAddressList } from '../../src/message/address.js';
import { decodeMimeHeader } from '../../src/message/mimeheader.js';
import { ContentHasher, ENCODING } from '../../src/message/transfer.js';
import { lookupCharset } from '../../src/message/charset.js';

const msg = (s: string) => Buffer.from(s, 'latin1');
const items = (s: string) => expectedCacheRecord(msg(s)).items;
const text = (b: Buffer) => b.toString('latin1');
const FFFD = '\u00ef\u00bf\u00bd'; // U+FFFD as latin1-viewed UTF-8 bytes

describe('header block boundaries', () => {
  it('a bare-LF message has no header terminator: the whole file is header', () => {
    const r = expectedCacheRecord(msg('Subject: x\nContent-Type: text/plain; charset=utf-8\n\nbody\n'));
    expect(r.record.headerSize).toBe(r.record.size);
    expect(r.record.contentLines).toBe(0);
    // the unquoted last parameter runs into the bare LF and is dropped
    expect(text(r.items.BODY)).toBe('("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0)');
    expect(text(r.items.HEADERS)).toBe('Content-Type: text/plain; charset=utf-8\r\n');
  });

  it('a NUL in the header block truncates header_size and hides later headers', () => {
    const r = expectedCacheRecord(msg('Subject: a\r\nX-Y: b\0c\r\nTo: z@y\r\n\r\nbody'));
    expect(r.record.headerSize).toBe('Subject: a\r\nX-Y: b'.length);
    expect(text(r.items.TO)).toBe('');
    expect(text(r.items.ENVELOPE)).toContain('"a"');
  });

  it('the last Subject wins; empty is "" and missing is NIL', () => {
    expect(text(items('Subject: one\r\nSubject: two\r\n\r\n').SUBJECT)).toBe('"two"');
    expect(text(items('Subject:\r\n\r\n').SUBJECT)).toBe('""');
    expect(text(items('From: a@b\r\n\r\n').SUBJECT)).toBe('NIL');
  });

  it('raw 8-bit in Subject: ENVELOPE keeps the bytes, SUBJECT has U+FFFD per byte', () => {
    const it8 = items('Subject: caf\u00e9\r\n\r\n');
    expect(text(it8.ENVELOPE)).toContain('{4}\r\ncaf\u00e9');
    expect(text(it8.SUBJECT)).toBe(`{6}\r\ncaf${FFFD}`);
  });

  it('header names of 32+ characters are never cached, "Foo :" is', () => {
    const long = 'A'.repeat(32);
    const h = items(`${long}: x\r\n${'B'.repeat(31)}: y\r\nFoo : z\r\nX-Foo: no\r\nX-Mailer: yes\r\n\r\n`).HEADERS;
    expect(text(h)).toBe(`${'B'.repeat(31)}: y\r\nFoo : z\r\nX-Mailer: yes\r\n`);
  });
});

describe('MIME structure', () => {
  it('Content-Type without a slash is ignored: default TEXT/PLAIN us-ascii', () => {
    expect(text(items('Content-Type: text\r\n\r\nx').BODY)).toBe('("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 1 0)');
  });

  it('unknown CTE: uppercased in BODYSTRUCTURE, SECTION encoding 255 with a null hash', () => {
    const it2 = items('Content-Transfer-Encoding: x-uuencode\r\n\r\nabc\r\n');
    expect(text(it2.BODY)).toContain('"X-UUENCODE"');
    const sec = it2.SECTION;
    // part 1 block: 4 words of offsets, then the charset/encoding word
    const word = sec.readUInt32BE(4 + 16 + 32 + 16);
    expect(word & 0xff).toBe(255);
  });

  it('a bogus charset stays in BODYSTRUCTURE but SECTION says us-ascii', () => {
    const it3 = items('Content-Type: text/plain; charset=bogus-cs\r\n\r\nx');
    expect(text(it3.BODY)).toContain('("CHARSET" "bogus-cs")');
    expect(text(it3.SECTION)).toContain('us-ascii');
  });

  it('a multipart without boundary is written as an empty TEXT/PLAIN', () => {
    expect(text(items('Content-Type: multipart/mixed\r\n\r\nstuff\r\n').BODYSTRUCTURE)).toBe(
      '("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL)',
    );
  });

  it('"--abcdef" does not close boundary "abc"; a never-seen boundary gives one empty child', () => {
    const p = parseMessage(new BufferSource(msg('Content-Type: multipart/mixed; boundary=abc\r\n\r\n--abcdef\r\nx\r\n')));
    expect(p.root.subparts.length).toBe(1);
    expect(p.root.subparts[0]!.contentSize).toBe(0);
  });

  it('a one-line part before its boundary has size 13 and 0 lines', () => {
    const p = parseMessage(new BufferSource(msg('Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n\r\nHello=20world\r\n--XX--\r\n')));
    expect(p.root.subparts[0]).toMatchObject({ contentSize: 13, contentLines: 0 });
  });

  it('RFC 2231 continuations are joined, not decoded', () => {
    const b = items(`Content-Type: text/plain; title*0*=us-ascii'en'This%20is; title*1=" fun"\r\n\r\n`).BODYSTRUCTURE;
    expect(text(b)).toContain(`("TITLE*" {27}\r\nus-ascii'en'This%20is%20fun)`);
  });

  it('a folded token parameter keeps its CR LF (written as a literal)', () => {
    const b = items('Content-Type: message/external-body; access-type=mail-server\r\n   server=x@y\r\n\r\n').BODYSTRUCTURE;
    expect(text(b)).toContain('("ACCESS-TYPE" {26}\r\nmail-server\r\n   server=x@y)');
  });
});

describe('transfer decoding for content hashes', () => {
  const hash = (enc: (typeof ENCODING)[keyof typeof ENCODING], s: string) => {
    const h = new ContentHasher(enc);
    h.update(msg(s));
    return h.digest()!;
  };

  it('QP: trailing whitespace stripped, soft breaks joined, CR LF per line', () => {
    const d = hash(ENCODING.QP, 'caf=C3=A9  \r\nline2=\r\nsoft\r\n');
    expect(d.size).toBe(18);
    expect(d.guid.equals(createHash('sha1').update(msg('caf\u00c3\u00a9\r\nline2soft\r\n')).digest())).toBe(true);
  });

  it('base64: an unpadded trailing quantum still yields its complete bytes', () => {
    const d = hash(ENCODING.BASE64, 'XXX\r\n');
    expect(d.size).toBe(2);
    expect(d.guid.equals(createHash('sha1').update(Buffer.from([0x5d, 0x75])).digest())).toBe(true);
  });

  it('unknown encodings have no hash', () => {
    expect(new ContentHasher(ENCODING.UNKNOWN).digest()).toBeNull();
  });
});

describe('RFC 2047 and charsets', () => {
  const dec = (s: string) => decodeMimeHeader(msg(s)).toString('utf8');

  it('an unknown charset gives one U+FFFD; whitespace between words is dropped', () => {
    expect(dec('=?x-bogus-cs?q?zz?=')).toBe('\ufffd');
    expect(dec('=?utf-8?q?a?= \t =?utf-8?q?b?= c')).toBe('ab c');
  });

  it('iso-8859-1, latin1 and even "unknown" decode as windows-1252', () => {
    expect(dec('=?iso-8859-1?q?=80?=')).toBe('\u20ac');
    expect(dec('=?unknown?q?=80?=')).toBe('\u20ac');
    expect(dec('=?646?q?=80?=')).toBe('\u0080'); // 646 → genuine iso-8859-1
    expect(dec('=?iso-8859-9?q?=80=FD?=')).toBe('\u0080\u0131');
  });

  it('BOM-less utf-16 is big-endian, as in ICU', () => {
    expect(dec('=?utf-16?B?RABlAA==?=')).toBe('\u4400\u6500');
  });

  it('iso-2022-jp accepts NEC row 13', () => {
    expect(dec('=?iso-2022-jp?B?GyRCLWIbKEI=?=')).toBe('\u2116');
  });

  it('a UTF-8 character split across adjacent words decodes whole', () => {
    expect(dec('=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=')).toBe('caf\u00e9');
  });

  it('known charsets: alias table first, then ICU names', () => {
    expect(lookupCharset('UTF8')?.alias).toBe('UTF8');
    expect(lookupCharset('x-mac-cyrillic')).toBeDefined();
    expect(lookupCharset('bogus-cs')).toBeUndefined();
  });
});

describe('address lists', () => {
  const show = (s: string) =>
    parseAddressList(msg(s)).map((a) => [a.name, a.route, a.mailbox, a.domain].map((x) => (x ? text(x) : null)));

  it('quoted names, groups, trailing comment names, source routes', () => {
    expect(show('"Doe, John" <John.Doe@Example.COM>')).toEqual([['Doe, John', null, 'John.Doe', 'Example.COM']]);
    expect(show('<@route1,@route2:user@Dom.Example>')).toEqual([[null, '@route1,@route2', 'user', 'Dom.Example']]);
    expect(show('<@machine.tld:mary@example.net>')).toEqual([[null, '@machine.tld', 'mary', 'example.net']]);
    expect(show('Group: a@b.c, "D E" <d@e.f>;, (comment) g@h.i (Real Name)')).toEqual([
      [null, null, 'Group', null],
      [null, null, 'a', 'b.c'],
      ['D E', null, 'd', 'e.f'],
      [null, null, null, null],
      ['Real Name', null, 'g', 'h.i'],
    ]);
    expect(show('undisclosed-recipients:;')).toEqual([
      [null, null, 'undisclosed-recipients', null],
      [null, null, null, null],
    ]);
    expect(show('foo')).toEqual([[null, null, 'foo', 'unspecified-domain']]);
    expect(show('')).toEqual([]);
  });

  it('FROM search form: each raw 8-bit byte of a name is U+FFFD, and the name is quoted', () => {
    expect(text(items('From: J\u00c3\u00b6rg <j@x.de>\r\n\r\n').FROM)).toBe(`"J${FFFD}${FFFD}rg" <j@x.de>`);
  });
});

describe('decoders are independent of how the content is chunked', () => {
  let seed = 99;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const sample = (kind: number) => {
    let s = '';
    const len = 200 + rnd(3000);
    for (let i = 0; i < len; i++) {
      const r = rnd(100);
      // base64: long clean runs (the native fast path) broken by rare '=' and invalid bytes
      if (kind === 0) s += r < 2 ? '\r\n' : r < 3 && rnd(8) === 0 ? '=' : r < 4 && rnd(8) === 0 ? '*' : alphabet[rnd(64)];
      else s += r < 3 ? '\r\n' : r < 6 ? '=' + 'A3f='[rnd(4)] : r < 8 ? ' ' : String.fromCharCode(32 + rnd(95));
    }
    return Buffer.from(s, 'latin1');
  };

  for (const [name, enc] of [['base64', ENCODING.BASE64], ['quoted-printable', ENCODING.QP]] as const) {
    it(`${name}: one chunk, 1-byte chunks and odd-sized chunks hash the same`, () => {
      for (let t = 0; t < 60; t++) {
        const data = sample(enc === ENCODING.BASE64 ? 0 : 1);
        const whole = new ContentHasher(enc);
        whole.update(data);
        const bytes = new ContentHasher(enc);
        for (let i = 0; i < data.length; i++) bytes.update(data.subarray(i, i + 1));
        const odd = new ContentHasher(enc);
        for (let i = 0; i < data.length; i += 300 + (i % 7)) odd.update(data.subarray(i, i + 300 + (i % 7)));
        const [a, b, c] = [whole.digest()!, bytes.digest()!, odd.digest()!];
        expect(b).toEqual(a);
        expect(c).toEqual(a);
      }
    });
  }
});
