// The ten cache items from a parsed message (imap/message.c message_write_cache and friends):
// IMAP ENVELOPE / BODY / BODYSTRUCTURE text, the binary SECTION map, cached headers, the search
// forms of the address headers and the decoded subject.
import { searchForm24 } from './search-form-24.js';
import { noCharsetWordV3, sectionWordV3 } from './section-v3.js';
import type { CacheItems } from '../format/cache.js';
import type { Address } from './address.js';
import { B, isalnum, isspace, lower } from './bytes.js';
import { decodeMimeHeader } from './mimeheader.js';
import { partCharset, type Body } from './parse.js';
import { isRfc822 } from './body.js';
import type { Param } from './fields.js';
import type { ResolvedOptions } from './options.js';

class Out {
  private parts: Buffer[] = [];
  s(str: string): this {
    this.parts.push(B(str));
    return this;
  }
  b(buf: Buffer): this {
    this.parts.push(buf);
    return this;
  }
  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** message_write_nstring: NIL, "quoted" (never escaped), or a {literal}. */
function nstring(o: Out, v: Buffer | null): void {
  if (!v) {
    o.s('NIL');
    return;
  }
  let literal = v.length >= 1024;
  if (!literal) {
    for (const c of v) {
      if (c === 0 || c >= 0x80 || c === 0x0d || c === 0x0a || c === 0x22 || c === 0x25 || c === 0x5c) {
        literal = true;
        break;
      }
    }
  }
  if (literal) o.s(`{${v.length}}\r\n`).b(v);
  else o.s('"').b(v).s('"');
}

/** The C-string view of stored values: nstring(s) writes strlen(s) bytes. */
const cz = (v: Buffer | null): Buffer | null => {
  if (!v) return v;
  const z = v.indexOf(0);
  return z < 0 ? v : v.subarray(0, z);
};

function addressList(o: Out, list: Address[] | null): void {
  if (!list || !list.length) {
    o.s('NIL');
    return;
  }
  o.s('(');
  for (const a of list) {
    o.s('(');
    nstring(o, a.name);
    o.s(' ');
    nstring(o, a.route);
    o.s(' ');
    nstring(o, a.mailbox);
    o.s(' ');
    nstring(o, a.domain);
    o.s(')');
  }
  o.s(')');
}

function envelope(o: Out, b: Body): void {
  o.s('(');
  nstring(o, cz(b.date));
  o.s(' ');
  nstring(o, cz(b.subject));
  o.s(' ');
  addressList(o, b.from);
  o.s(' ');
  addressList(o, b.sender ?? b.from);
  o.s(' ');
  addressList(o, b.replyTo ?? b.from);
  o.s(' ');
  addressList(o, b.to);
  o.s(' ');
  addressList(o, b.cc);
  o.s(' ');
  addressList(o, b.bcc);
  o.s(' ');
  nstring(o, cz(b.inReplyTo));
  o.s(' ');
  nstring(o, cz(b.messageId));
  o.s(')');
}

function params(o: Out, ps: Param[]): void {
  if (!ps.length) {
    o.s('NIL');
    return;
  }
  o.s('(');
  ps.forEach((p, i) => {
    if (i) o.s(' ');
    nstring(o, cz(p.attribute));
    o.s(' ');
    nstring(o, cz(p.value));
  });
  o.s(')');
}

function extension(o: Out, b: Body): void {
  o.s(' ');
  if (b.disposition) {
    o.s('(');
    nstring(o, b.disposition);
    o.s(' ');
    params(o, b.dispositionParams);
    o.s(')');
  } else o.s('NIL');
  o.s(' ');
  if (b.language) {
    o.s('(');
    b.language.forEach((l, i) => {
      if (i) o.s(' ');
      nstring(o, l);
    });
    o.s(')');
  } else o.s('NIL');
  o.s(' ');
  nstring(o, cz(b.location));
}

const ZERO_TEXT: Body = (() => {
  // message_write_body's stand-in for a zero-part multipart: TEXT/PLAIN us-ascii, 0 bytes.
  const b = {
    type: B('TEXT'),
    subtype: B('PLAIN'),
    params: [{ attribute: B('CHARSET'), value: B('us-ascii') }],
    id: null,
    description: null,
    encoding: null,
    md5: null,
    location: null,
    disposition: null,
    dispositionParams: [],
    language: null,
    contentSize: 0,
    contentLines: 0,
    subparts: [],
    subpart: null,
  } as unknown as Body;
  return b;
})();

/** message_write_body: BODY (ext = false) or BODYSTRUCTURE (ext = true). */
function body(o: Out, b: Body, ext: boolean, opts: ResolvedOptions): void {
  if (b.type.equals(B('MULTIPART'))) {
    if (!b.subparts.length) return body(o, ZERO_TEXT, ext, opts);
    o.s('(');
    for (const c of b.subparts) body(o, c, ext, opts);
    o.s(' ');
    nstring(o, b.subtype);
    if (ext) {
      o.s(' ');
      params(o, b.params);
      extension(o, b);
    }
    o.s(')');
    return;
  }
  o.s('(');
  nstring(o, b.type);
  o.s(' ');
  nstring(o, b.subtype);
  o.s(' ');
  params(o, b.params);
  o.s(' ');
  nstring(o, cz(b.id));
  o.s(' ');
  nstring(o, cz(b.description));
  o.s(' ');
  nstring(o, b.encoding ?? B('7BIT'));
  o.s(` ${b.contentSize >>> 0}`);
  if (b.type.equals(B('TEXT'))) o.s(` ${b.contentLines >>> 0}`);
  else if (isRfc822(b, opts)) {
    o.s(' ');
    envelope(o, b.subpart!);
    o.s(' ');
    body(o, b.subpart!, ext, opts);
    o.s(` ${b.contentLines >>> 0}`);
  }
  if (ext) {
    o.s(' ');
    nstring(o, cz(b.md5));
    extension(o, b);
  }
  o.s(')');
}

function nocharset(o: Out, b: Body | null, opts: ResolvedOptions): void {
  if (opts.rules.sectionWordsOnly) return void o.u32(noCharsetWordV3(opts));
  o.u32(0x0000ffff);
  o.b(b ? b.contentGuid : Buffer.alloc(20));
  if (!opts.rules.sectionSizes) return;
  o.u32(b ? b.decodedContentSize : 0);
  o.u32(b ? b.contentLines : 0);
}

function charsetBlock(o: Out, b: Body, opts: ResolvedOptions): void {
  if (opts.rules.sectionWordsOnly) return void o.u32(sectionWordV3(b, opts));
  const { encoding, charset } = partCharset(b, opts);
  let len = 0;
  let name: Buffer | null = null;
  if (charset) {
    name = B(opts.rules.converterNames ? charset.converterName : charset.alias);
    len = (Math.floor(name.length / 4) + 1) * 4;
    if (len > 0xffff) len = 0;
  }
  o.u32(((len & 0xffff) << 16) | (encoding & 0xff));
  if (len) {
    const padded = Buffer.alloc(len);
    name!.copy(padded);
    o.b(padded);
  }
  o.b(b.contentGuid);
  if (!opts.rules.sectionSizes) return;
  o.u32(b.decodedContentSize);
  o.u32(b.contentLines);
}

const isZeroMultipart = (b: Body) => b.type.equals(B('MULTIPART')) && !b.subparts.length;

/** message_write_section; `b` is the synthetic MESSAGE/RFC822 wrapper at the top. */
function section(o: Out, b: Body, opts: ResolvedOptions): void {
  if (isRfc822(b, opts)) {
    const s = b.subpart!;
    if (s.subparts.length) {
      o.u32(s.subparts.length + 1).u32(s.headerOffset).u32(s.headerSize).u32(s.contentOffset).u32(s.contentSize);
      nocharset(o, s, opts);
      for (const c of s.subparts) {
        o.u32(c.headerOffset).u32(c.headerSize).u32(c.contentOffset);
        o.u32(isZeroMultipart(c) ? 0 : c.contentSize);
        charsetBlock(o, c, opts);
      }
      for (const c of s.subparts) section(o, c, opts);
    } else {
      o.u32(2).u32(s.headerOffset).u32(s.headerSize).u32(s.contentOffset).u32(s.contentSize);
      nocharset(o, s, opts);
      o.u32(s.headerOffset).u32(s.headerSize).u32(s.contentOffset);
      if (s.type.equals(B('MULTIPART'))) {
        o.u32(0);
        nocharset(o, null, opts);
      } else {
        o.u32(s.contentSize);
        charsetBlock(o, s, opts);
      }
      section(o, s, opts);
    }
  } else if (b.subparts.length) {
    o.u32(b.subparts.length + 1).u32(0).u32(0xffffffff).u32(0).u32(0xffffffff);
    nocharset(o, null, opts);
    for (const c of b.subparts) {
      o.u32(c.headerOffset).u32(c.headerSize).u32(c.contentOffset);
      if (isZeroMultipart(c)) {
        o.u32(0);
        nocharset(o, c, opts);
      } else {
        o.u32(c.contentSize);
        charsetBlock(o, c, opts);
      }
    }
    for (const c of b.subparts) section(o, c, opts);
  } else o.u32(0);
}

/** A header value as the SUBJECT / address-name items hold it: RFC 2047-decoded, and in 2.4
 *  also put in 2.4's search form. */
function searchText(v: Buffer, opts: ResolvedOptions): Buffer {
  const d = decodeMimeHeader(v, { rfc2047Utf8: opts.rfc2047Utf8, charsets: opts.charsets, cyrus30: opts.rules.rfc2047Words30 });
  return opts.rules.searchForm24 ? searchForm24(d) : d;
}

const ATEXT_SPECIALS = new Set(Array.from("!#$%&'*+-/=?^_`{|}~", (c) => c.charCodeAt(0)));

/** message_write_searchaddr: the FROM/TO/CC/BCC search form. */
function searchAddr(o: Out, list: Address[] | null, opts: ResolvedOptions): void {
  if (!list) return;
  const dec = (v: Buffer) => searchText(v, opts);
  let prev = false;
  for (const a of list) {
    if (!a.domain) {
      if (a.mailbox) {
        if (prev) o.s(',');
        o.b(dec(a.mailbox)).s(':');
        prev = false;
      } else {
        o.s(';');
        prev = true;
      }
      continue;
    }
    if (prev) o.s(',');
    if (a.name) {
      const name = dec(a.name);
      const quote = opts.rules.quoteSearchNames && name.some((c) => !isalnum(c) && !isspace(c) && !ATEXT_SPECIALS.has(c));
      if (quote) {
        const q: number[] = [0x22];
        for (const c of name) {
          if (c === 0x5c || c === 0x22) q.push(0x5c);
          q.push(c);
        }
        q.push(0x22);
        o.b(Buffer.from(q));
      } else o.b(name);
      o.s(' ');
    }
    o.s('<');
    if (a.route) o.b(lower(cz(a.route)!)).s(':');
    o.b(lower(cz(a.mailbox ?? B(''))!)).s('@');
    o.b(lower(cz(a.domain)!)).s('>');
    prev = true;
  }
}

/** All ten items, in record order, for a parsed root body. */
export function cacheItems(root: Body, opts: ResolvedOptions): CacheItems {
  const build = (f: (o: Out) => void) => {
    const o = new Out();
    f(o);
    return o.done();
  };
  const top = { type: B('MESSAGE'), subtype: B('RFC822'), subpart: root, subparts: [] } as unknown as Body;
  // 2.4's decoder answers "" for a missing Subject: (later releases: NIL).
  const subject = root.subject ? searchText(root.subject, opts) : opts.rules.searchForm24 ? Buffer.alloc(0) : null;
  return {
    ENVELOPE: build((o) => envelope(o, root)),
    BODYSTRUCTURE: build((o) => body(o, root, true, opts)),
    BODY: build((o) => body(o, root, false, opts)),
    SECTION: build((o) => section(o, top, opts)),
    HEADERS: Buffer.concat(root.cacheHeaders ?? []),
    FROM: build((o) => searchAddr(o, root.from, opts)),
    TO: build((o) => searchAddr(o, root.to, opts)),
    CC: build((o) => searchAddr(o, root.cc, opts)),
    BCC: build((o) => searchAddr(o, root.bcc, opts)),
    SUBJECT: build((o) => nstring(o, subject)),
  };
}
