// One hand-made message per release rule (src/message/options.ts), run through the cache versions
// (and, for 10, the index versions) that differ on it. The rules that the corpus oracles prove
// (oracle-releases.test.ts) are shown here on their smallest case; boundaryNeedsTwo and
// quotedPhraseControls (Cyrus 3.2 vs 3.4, both cache v10) are not in the corpus: the crafted
// oracle (oracle-crafted-releases.test.ts) checks them against real 3.2.6 and 3.4.3.
import { describe, expect, it } from 'vitest';
import { expectedCacheRecord } from '../../src/message/record.js';
import { SUPPORTED_CACHE_VERSIONS, UnsupportedCacheVersionError, type ParseOptions } from '../../src/message/options.js';

const msg = (s: string) => Buffer.from(s, 'latin1');
const run = (s: string, o: ParseOptions) => expectedCacheRecord(msg(s), o);
const text = (b: Buffer) => b.toString('latin1');
const V32: ParseOptions = { cacheVersion: 10, indexVersion: 16 };
const V34: ParseOptions = { cacheVersion: 10, indexVersion: 17 };
const V36: ParseOptions = { cacheVersion: 11 };
const V312: ParseOptions = { cacheVersion: 13 };

/** SECTION of a single-part message: the encoding byte of its one part's charset word (after
 *  the part count, part 0's offsets and sizes and its 32-byte no-charset block, part 1's). */
const partEncoding = (section: Buffer) => section.readUInt32BE(4 + 16 + 32 + 16) & 0xff;

describe('cache versions', () => {
  it('reproduces 3, 6, 10, 11 and 13 and refuses the rest, naming the version', () => {
    expect([...SUPPORTED_CACHE_VERSIONS]).toEqual([3, 6, 10, 11, 13]);
    for (const v of [2, 4, 5, 12, 14]) {
      expect(() => run('Subject: x\r\n\r\nbody', { cacheVersion: v }), `v${v}`).toThrow(UnsupportedCacheVersionError);
    }
    for (const v of SUPPORTED_CACHE_VERSIONS) expect(run('Subject: x\r\n\r\nbody', { cacheVersion: v }).record.cacheVersion).toBe(v);
  });
});

describe('Cyrus 3.2 against 3.4 (both cache v10; told apart by the index version)', () => {
  it('a bare CR in a quoted phrase: 3.2 gives up on the whole address list, 3.4 reads a space', () => {
    const m = 'To: "ab\rcd" <x@example.com>\r\nSubject: s\r\n\r\nbody';
    expect(text(run(m, V32).items.TO)).toBe('');
    expect(text(run(m, V32).items.ENVELOPE)).toContain('"s" NIL NIL NIL NIL NIL NIL NIL NIL)');
    expect(text(run(m, V34).items.TO)).toBe('ab cd <x@example.com>');
    expect(text(run(m, V36).items.TO)).toBe('ab cd <x@example.com>');
  });

  it('a 1-byte part before a boundary: 3.4 keeps its byte, 3.2 underflows (and crashes): flagged', () => {
    const m = 'Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\n\r\n\n--X--\r\n';
    const r34 = run(m, V34);
    expect(text(r34.items.BODY)).toBe('(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 1 0) "MIXED")');
    expect(r34.warnings).toEqual([]);
    const r32 = run(m, V32);
    expect(r32.warnings.join()).toMatch(/underflows/);
  });

  it('BOUNDARY* names no boundary in 3.2: the multipart is one opaque part', () => {
    const m = "Content-Type: multipart/mixed; boundary*=us-ascii''X\r\n\r\n--X\r\n\r\nA\r\n--X--\r\n";
    expect(text(run(m, V34).items.BODY)).toBe('(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 1 0) "MIXED")');
    expect(text(run(m, V32).items.BODY)).toBe('("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0)');
  });

  it('a Date: before 1970 is a negative time in 3.2/3.4 and unparsable from 3.6', () => {
    const m = 'Date: Wed, 31 Dec 1969 00:00:00 +0000\r\n\r\nbody';
    expect(run(m, V32).record.gmtime).toBe(2 ** 32 - 86400);
    expect(run(m, V34).record.sentdate).toBe(2 ** 32 - 86400);
    expect(run(m, V36).record.gmtime).toBe(0);
  });
});

describe('Cyrus 3.12 (cache v13) against 3.6–3.10 (v11)', () => {
  const inner = 'From: a@example.com\r\nSubject: inner\r\n\r\nhello\r\n';

  it('message/global is parsed and written like message/rfc822', () => {
    const m = `Content-Type: message/global\r\n\r\n${inner}`;
    expect(text(run(m, V312).items.BODY)).toContain('("MESSAGE" "GLOBAL" NIL NIL NIL "7BIT" 46 (NIL "inner"');
    expect(text(run(m, V36).items.BODY)).toBe('("MESSAGE" "GLOBAL" NIL NIL NIL "7BIT" 46)');
  });

  it('a base64 message/rfc822 part keeps its encoding in SECTION and hashes decoded content', () => {
    const enc = Buffer.from(inner).toString('base64');
    const m = `Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n${enc}\r\n`;
    const v13 = run(m, V312).items.SECTION;
    const v11 = run(m, V36).items.SECTION;
    expect(partEncoding(v11)).toBe(0);
    expect(partEncoding(v13)).not.toBe(0);
    // the decoded size after the content GUID: v13 the decoded message, v11 the encoded bytes
    expect(v13.readUInt32BE(68 + 4 + 20)).toBe(inner.length);
    expect(v11.readUInt32BE(68 + 4 + 20)).toBe(enc.length + 2);
  });

  it('an unparsable Content-Type is application/octet-stream (lower case), no longer text/plain', () => {
    const m = 'Content-Type: text\r\n\r\nbody';
    expect(text(run(m, V312).items.BODY)).toBe('("application" "octet-stream" NIL NIL NIL "7BIT" 4)');
    expect(text(run(m, V36).items.BODY)).toBe('("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 4 0)');
    // a blank value is no Content-Type at all, in both
    expect(text(run('Content-Type: \r\n\r\nbody', V312).items.BODY)).toMatch(/^\("TEXT" "PLAIN"/);
  });

  it('8-bit bytes stay in an address domain', () => {
    const m = 'From: a@ex\xe4mple.com\r\n\r\nbody';
    expect(text(run(m, V312).items.FROM)).toBe('<a@ex\xe4mple.com>');
    // before: the domain ends at the 8-bit byte and the rest parses as a second, bare address
    expect(text(run(m, V36).items.FROM)).toBe('<a@ex>,<mple.com@unspecified-domain>');
  });
});
