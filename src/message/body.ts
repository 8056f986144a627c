// The MIME body node and the line/boundary primitives the header and content parsers share
// (imap/message.c struct body, message_getline, message_pendingboundary, message_parse_charset).
import type { ByteSource } from './source.js';
import { parseType, type ContentType, type Param } from './fields.js';
import type { Address } from './address.js';
import { B, cstr, eqIgnoreCase, isspace } from './bytes.js';
import { ENCODING, type Encoding } from './transfer.js';
import { lookupCharset, type Charset } from './charset.js';
import type { ResolvedOptions } from './options.js';

export interface Body {
  type: Buffer;
  subtype: Buffer;
  params: Param[];
  id: Buffer | null;
  description: Buffer | null;
  encoding: Buffer | null;
  md5: Buffer | null;
  location: Buffer | null;
  disposition: Buffer | null;
  dispositionParams: Param[];
  language: Buffer[] | null;

  headerOffset: number;
  headerSize: number;
  headerLines: number;
  contentOffset: number;
  contentSize: number;
  contentLines: number;
  boundarySize: number;
  boundaryLines: number;
  contentGuid: Buffer;
  decodedContentSize: number;

  /** Children of a multipart (empty for leaves and boundary-less multiparts). */
  subparts: Body[];
  /** The encapsulated message of a MESSAGE/RFC822 part. */
  subpart: Body | null;

  date: Buffer | null;
  subject: Buffer | null;
  inReplyTo: Buffer | null;
  messageId: Buffer | null;
  from: Address[] | null;
  sender: Address[] | null;
  replyTo: Address[] | null;
  to: Address[] | null;
  cc: Address[] | null;
  bcc: Address[] | null;
  /** Root only: the HEADERS cache item. */
  cacheHeaders: Buffer[] | null;
}

/** Why a message could not be parsed the way Cyrus would (hostile or oversized input). */
export class MessageParseError extends Error {
  override readonly name = 'MessageParseError';
  constructor(
    readonly code: 'EMPTY' | 'TOO_DEEP',
    message: string,
    readonly offset: number,
  ) {
    super(`offset ${offset}: ${message}`);
  }
}

export const NULL_GUID = Buffer.alloc(20);
/** "No Content-Type parsed yet" (C's NULL type), distinct from a parsed empty type token. */
export const NO_TYPE: Buffer = Buffer.alloc(0);
export const DEFAULT_TYPE = B('TEXT/PLAIN; CHARSET=us-ascii');
export const DIGEST_DEFAULT_TYPE = B('MESSAGE/RFC822');

export function emptyBody(): Body {
  return {
    type: NO_TYPE,
    subtype: NO_TYPE,
    params: [],
    id: null,
    description: null,
    encoding: null,
    md5: null,
    location: null,
    disposition: null,
    dispositionParams: [],
    language: null,
    headerOffset: 0,
    headerSize: 0,
    headerLines: 0,
    contentOffset: 0,
    contentSize: 0,
    contentLines: 0,
    boundarySize: 0,
    boundaryLines: 0,
    contentGuid: NULL_GUID,
    decodedContentSize: 0,
    subparts: [],
    subpart: null,
    date: null,
    subject: null,
    inReplyTo: null,
    messageId: null,
    from: null,
    sender: null,
    replyTo: null,
    to: null,
    cc: null,
    bcc: null,
    cacheHeaders: null,
  };
}

/** Parses a Content-Type value held in a standalone buffer (the defaults). */
export function typeFromString(s: Buffer): ContentType {
  return parseType(s, 0)!;
}

export const isType = (b: Body, t: string) => b.type.equals(B(t));
export const isSub = (b: Body, t: string) => b.subtype.equals(B(t));

/** A part whose content is parsed as a message: MESSAGE/RFC822, and from 3.12 MESSAGE/GLOBAL. */
export const isRfc822 = (b: Body, opts: ResolvedOptions) =>
  isType(b, 'MESSAGE') && (isSub(b, 'RFC822') || (opts.rules.messageGlobal && isSub(b, 'GLOBAL')));

/** message_parse_charset: the transfer encoding and (for TEXT) the last known charset. */
export function partCharset(b: Body, opts: ResolvedOptions): { encoding: Encoding; charset: Charset | undefined } {
  let encoding: Encoding = ENCODING.NONE;
  const e = b.encoding;
  if (e && e.length) {
    const s = e.toString('latin1');
    if (s[0] === '7' || s[0] === '8') encoding = s.slice(1) === 'BIT' ? ENCODING.NONE : ENCODING.UNKNOWN;
    else if (s[0] === 'B') encoding = s === 'BASE64' ? ENCODING.BASE64 : s === 'BINARY' ? ENCODING.NONE : ENCODING.UNKNOWN;
    else if (s[0] === 'Q') encoding = s === 'QUOTED-PRINTABLE' ? ENCODING.QP : ENCODING.UNKNOWN;
    else encoding = ENCODING.UNKNOWN;
  } else if (e) encoding = ENCODING.UNKNOWN; // an empty token: encoding[0] is NUL → default case
  let charset = lookupCharset('us-ascii', opts.charsets);
  if ((b.type === NO_TYPE || isType(b, 'TEXT')) && !opts.rules.lastKnownCharset) {
    // 3.2/3.4 (cache v10): the first charset parameter decides, even when unknown or empty.
    const p = b.params.find((q) => eqIgnoreCase(q.attribute, 'charset'));
    const v = p ? cstr(p.value) : null;
    if (v && v.length) charset = lookupCharset(v.toString('latin1'), opts.charsets);
  } else if (b.type === NO_TYPE || isType(b, 'TEXT')) {
    for (const p of b.params) {
      if (!eqIgnoreCase(p.attribute, 'charset')) continue;
      const v = cstr(p.value);
      if (!v.length) continue;
      const cs = lookupCharset(v.toString('latin1'), opts.charsets);
      if (cs) charset = cs;
    }
  } else if (isType(b, 'MESSAGE')) {
    if (isRfc822(b, opts)) charset = undefined;
    // Before 3.12 every MESSAGE/* part was taken as unencoded, whatever its header said.
    if (!opts.rules.messageEncoding) encoding = ENCODING.NONE;
  } else charset = undefined;
  return { encoding, charset };
}

export interface Msg {
  src: ByteSource;
  offset: number;
  len: number;
  opts: ResolvedOptions;
  /** Longest boundary on the stack + 4: how much of a line a boundary test needs. */
  warnings: string[];
}

/** message_pendingboundary over a line's first bytes (`head`) and its length `slen`. */
export function pendingBoundary(head: Buffer, slen: number, boundaries: Buffer[], strict: boolean): boolean {
  if (slen < 2 || head[0] !== 0x2d || head[1] !== 0x2d) return false;
  const blen = slen - 2;
  const at = (i: number) => (2 + i < head.length ? head[2 + i]! : 0);
  for (let i = 0; i < boundaries.length; i++) {
    const b = boundaries[i]!;
    const len = b.length;
    if (blen < len) continue;
    if (head.length < 2 + len || head.compare(b, 0, len, 2, 2 + len) !== 0) continue;
    if (blen >= len + 2 && at(len) === 0x2d && at(len + 1) === 0x2d) {
      boundaries.length = i;
    } else if (!strict && blen > len + 1 && at(len) !== 0 && !isspace(at(len))) {
      continue;
    }
    return true;
  }
  return false;
}

export const maxBoundary = (bs: Buffer[]) => bs.reduce((m, b) => Math.max(m, b.length), 0);

/** Reads the next line [start, end) from msg.offset; null at end of data. */
export function nextLine(msg: Msg): { start: number; end: number } | null {
  if (msg.offset >= msg.len) return null;
  const start = msg.offset;
  const lf = msg.src.indexOfLF(start);
  const end = lf < 0 || lf >= msg.len ? msg.len : lf + 1;
  msg.offset = end;
  return { start, end };
}

export function setType(b: Body, t: ContentType): void {
  b.type = t.type;
  b.subtype = t.subtype;
  b.params = t.params;
}
