// The MIME tree of a message file, built the way Cyrus 3.6's message_parse_body does
// (imap/message.c): header blocks end only at a CR LF blank line or a pending boundary, boundary
// lines carry the CR LF before them, multiparts without a boundary are opaque, message/rfc822 is
// parsed recursively. Content is streamed line by line from a ByteSource; only header blocks are
// held in memory (up to a cap).
import { createHash } from 'node:crypto';
import { ByteSource } from './source.js';
import {
  cachedHeaderText,
  parseDisposition,
  parseEncoding,
  parseLanguage,
  parseString,
  parseType,
  rawFieldValue,
  rfc822space,
  type ContentType,
  type Param,
} from './fields.js';
import { parseAddressList, type Address } from './address.js';
import { cstr, eqIgnoreCase, isspace, toLower, B } from './bytes.js';
import { ContentHasher, ENCODING, type Encoding } from './transfer.js';
import { lookupCharset, type Charset } from './charset.js';
import { decodeMimeHeader } from './mimeheader.js';
import { resolveOptions, type ParseOptions, type ResolvedOptions } from './options.js';
import { cachedHeaderMinVersion } from './cached-headers.js';

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

const NULL_GUID = Buffer.alloc(20);
/** "No Content-Type parsed yet" (C's NULL type), distinct from a parsed empty type token. */
export const NO_TYPE: Buffer = Buffer.alloc(0);
const DEFAULT_TYPE = B('TEXT/PLAIN; CHARSET=us-ascii');
const DIGEST_DEFAULT_TYPE = B('MESSAGE/RFC822');

function emptyBody(): Body {
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
function typeFromString(s: Buffer): ContentType {
  return parseType(s, 0)!;
}

const isType = (b: Body, t: string) => b.type.equals(B(t));
const isSub = (b: Body, t: string) => b.subtype.equals(B(t));

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
  if ((b.type === NO_TYPE || isType(b, 'TEXT')) && opts.cacheVersion < 11) {
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
    if (isSub(b, 'RFC822')) charset = undefined;
    encoding = ENCODING.NONE;
  } else charset = undefined;
  return { encoding, charset };
}

interface Msg {
  src: ByteSource;
  offset: number;
  len: number;
  opts: ResolvedOptions;
  /** Longest boundary on the stack + 4: how much of a line a boundary test needs. */
  warnings: string[];
}

const HEADER_NAMES = new Map<string, string>(
  [
    'bcc',
    'cc',
    'content-description',
    'content-disposition',
    'content-id',
    'content-language',
    'content-location',
    'content-md5',
    'content-transfer-encoding',
    'content-type',
    'date',
    'from',
    'in-reply-to',
    'message-id',
    'reply-to',
    'received',
    'references',
    'subject',
    'sender',
    'to',
    'x-deliveredinternaldate',
    'x-me-message-id',
  ].map((n) => [n, n]),
);

/** message_pendingboundary over a line's first bytes (`head`) and its length `slen`. */
function pendingBoundary(head: Buffer, slen: number, boundaries: Buffer[], strict: boolean): boolean {
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

const maxBoundary = (bs: Buffer[]) => bs.reduce((m, b) => Math.max(m, b.length), 0);

/** Reads the next line [start, end) from msg.offset; null at end of data. */
function nextLine(msg: Msg): { start: number; end: number } | null {
  if (msg.offset >= msg.len) return null;
  const start = msg.offset;
  const lf = msg.src.indexOfLF(start);
  const end = lf < 0 || lf >= msg.len ? msg.len : lf + 1;
  msg.offset = end;
  return { start, end };
}

function parseBody(msg: Msg, body: Body, defaultType: Buffer, boundaries: Buffer[] | null, depth: number): void {
  if (depth > msg.opts.maxDepth) {
    throw new MessageParseError('TOO_DEEP', `MIME nesting deeper than ${msg.opts.maxDepth} levels`, msg.offset);
  }
  Object.assign(body, emptyBody());
  if (!boundaries) {
    boundaries = [];
    body.cacheHeaders = [];
  }
  const sawBoundary = parseHeaders(msg, body, defaultType, boundaries);

  if (isType(body, 'MULTIPART')) {
    if (!sawBoundary) parseMultipart(msg, body, boundaries, depth);
  } else if (isType(body, 'MESSAGE') && isSub(body, 'RFC822')) {
    const sub = emptyBody();
    body.subpart = sub;
    if (sawBoundary) {
      setType(sub, typeFromString(DEFAULT_TYPE));
    } else {
      const base = msg.offset;
      parseBody(msg, sub, DEFAULT_TYPE, boundaries, depth + 1);
      body.contentSize = sub.headerSize + sub.contentSize;
      body.contentLines = sub.headerLines + sub.contentLines;
      body.boundarySize = sub.boundarySize;
      body.boundaryLines = sub.boundaryLines;
      addContentGuid(msg, base, body);
    }
  } else if (!sawBoundary) {
    parseContent(msg, body, boundaries);
  }
}

function setType(b: Body, t: ContentType): void {
  b.type = t.type;
  b.subtype = t.subtype;
  b.params = t.params;
}

/** message_parse_headers; returns true when the block was ended by a boundary line. */
function parseHeaders(msg: Msg, body: Body, defaultType: Buffer, boundaries: Buffer[]): boolean {
  body.headerOffset = msg.offset;
  const cap = msg.opts.maxHeaderBytes;
  const pieces: Buffer[] = [B('\n')];
  let kept = 1;
  let total = 0; // header bytes read (after the priming LF)
  let truncated = false;
  let sawBoundary = false;
  let firstLine = true;
  let cutTo = -1; // header text length after a boundary cut

  for (;;) {
    const line = nextLine(msg);
    if (!line) break;
    const len = line.end - line.start;
    const head = Buffer.from(msg.src.view(line.start, Math.min(line.end, line.start + Math.max(2, maxBoundary(boundaries) + 4))));
    const lineStartInText = total;
    // Keep the line (bounded), as message_getline appends it to the header buffer.
    if (kept < cap) {
      const take = Math.min(len, cap - kept);
      pieces.push(Buffer.from(msg.src.view(line.start, line.start + take)));
      kept += take;
      if (take < len) truncated = true;
    } else truncated = true;
    total += len;

    if (head[0] === 0x0d && (len > 1 ? head[1] : 0) === 0x0a) break;
    if (head[0] === 0x2d) {
      // strlen(next): the boundary test sees the line only up to a NUL in it.
      const slen = lineLengthToNul(msg, line.start, line.end);
      if (pendingBoundary(head, slen, boundaries, msg.opts.rfc2046Strict)) {
        body.boundarySize = slen;
        body.boundaryLines++;
        if (!firstLine) {
          body.boundarySize += 2;
          body.boundaryLines++;
          cutTo = lineStartInText - 2;
        } else cutTo = 0;
        sawBoundary = true;
        break;
      }
    }
    firstLine = false;
  }
  body.contentOffset = msg.offset;
  if (truncated) msg.warnings.push(`header block at ${body.headerOffset} exceeds ${cap} bytes; only the first ${cap} parsed`);

  let h = Buffer.concat(pieces);
  if (cutTo >= 0) h = h.subarray(0, Math.max(1, cutTo + 1)); // +1: the priming LF
  const z = h.indexOf(0, 1);
  if (z >= 0) h = h.subarray(0, z);
  body.headerSize = truncated && z < 0 ? (cutTo >= 0 ? cutTo : total) : h.length - 1;

  scanHeaders(msg, body, h);
  if (body.type === NO_TYPE) setType(body, typeFromString(defaultType));
  return sawBoundary;
}

function lineLengthToNul(msg: Msg, start: number, end: number): number {
  let off = start;
  for (const chunk of msg.src.chunks(start, end)) {
    const z = chunk.indexOf(0);
    if (z >= 0) return off + z - start;
    off += chunk.length;
  }
  return end - start;
}

/** The scan over a collected header block `h` (priming LF first, cut at its first NUL). */
function scanHeaders(msg: Msg, body: Body, h: Buffer): void {
  const maxlines = msg.opts.maxHeaderLines;
  let lines = -1;
  let haveMax = false;
  for (let i = h.indexOf(0x0a); i >= 0; i = h.indexOf(0x0a, i + 1)) {
    lines++;
    if (haveMax) continue;
    if (maxlines && lines > maxlines) {
      msg.warnings.push(`more than ${maxlines} header lines at ${body.headerOffset}; the rest are not parsed`);
      haveMax = true;
      continue;
    }
    const p = i + 1;
    if (p >= h.length) continue;
    if (body.cacheHeaders && h[p] !== 0x20 && h[p] !== 0x09 && isCachedHeader(h, p, msg.opts.cacheVersion)) {
      body.cacheHeaders.push(cachedHeaderText(h, p));
    }
    applyHeader(msg, body, h, p);
  }
  body.headerLines = lines;
}

/** mailbox_cached_header_inline for the cache version being produced. */
function isCachedHeader(h: Buffer, p: number, cacheVersion: number): boolean {
  let name = '';
  for (let i = 0; i < 32; i++) {
    const c = p + i < h.length ? h[p + i]! : 0;
    if (!c || c === 0x0d || c === 0x0a) return false;
    if (c === 0x3a) {
      const min = cachedHeaderMinVersion(name, cacheVersion);
      return min !== null && min <= cacheVersion;
    }
    name += String.fromCharCode(toLower(c));
  }
  return false;
}

function applyHeader(msg: Msg, body: Body, h: Buffer, p: number): void {
  let e = p;
  while (e < h.length && h[e] !== 0x3a && h[e] !== 0x0d && h[e] !== 0x0a) e++;
  if (e >= h.length || h[e] !== 0x3a) return;
  if (e - p > 25) return; // longer than any name we look for
  let name = '';
  for (let i = p; i < e; i++) name += String.fromCharCode(toLower(h[i]!));
  const v = e + 1;
  switch (HEADER_NAMES.get(name)) {
    case 'bcc':
      body.bcc = addresses(h, v);
      break;
    case 'cc':
      body.cc = addresses(h, v);
      break;
    case 'content-description':
      body.description = parseString(h, v);
      break;
    case 'content-disposition': {
      body.disposition = null;
      body.dispositionParams = [];
      const d = parseDisposition(h, v);
      if (d) {
        body.disposition = d.disposition;
        body.dispositionParams = d.params;
      }
      break;
    }
    case 'content-id':
      body.id = parseString(h, v);
      break;
    case 'content-language': {
      const l = parseLanguage(h, v);
      body.language = l.length ? l : null;
      break;
    }
    case 'content-location':
      body.location = parseString(h, v);
      break;
    case 'content-md5':
      body.md5 = parseString(h, v);
      break;
    case 'content-transfer-encoding':
      body.encoding = parseEncoding(h, v);
      break;
    case 'content-type':
      parseBodyType(msg, body, h, v);
      break;
    case 'date':
      body.date = parseString(h, v);
      break;
    case 'from':
      body.from = addresses(h, v);
      break;
    case 'in-reply-to':
      body.inReplyTo = parseString(h, v);
      break;
    case 'message-id':
      body.messageId = parseString(h, v);
      break;
    case 'reply-to':
      body.replyTo = addresses(h, v);
      break;
    case 'subject':
      body.subject = parseString(h, v);
      break;
    case 'sender':
      body.sender = addresses(h, v);
      break;
    case 'to':
      body.to = addresses(h, v);
      break;
    default:
      break; // Received, References, X-*: nothing in the 3.x cache depends on them
  }
}

function addresses(h: Buffer, v: number): Address[] | null {
  const list = parseAddressList(rawFieldValue(h, v));
  return list.length ? list : null;
}

/** message_parse_bodytype: every Content-Type clears the previous one, valid or not. */
function parseBodyType(msg: Msg, body: Body, h: Buffer, v: number): void {
  body.type = NO_TYPE;
  body.subtype = NO_TYPE;
  body.params = [];
  const p = rfc822space(h, v);
  if (p === null) return;
  let t: ContentType | null;
  if (p + 2 < h.length && h[p] === 0x3d && h[p + 1] === 0x3f) {
    // Old Mail.app encoded the whole Content-Type as an RFC 2047 word (see README: approximate).
    const raw = cstr(h.subarray(p));
    const decoded = decodeMimeHeader(raw, { rfc2047Utf8: msg.opts.rfc2047Utf8, charsets: msg.opts.charsets });
    if (!decoded.equals(raw)) {
      t = parseType(decoded, 0);
      if (t) {
        for (const prm of t.params) {
          const a = prm.attribute;
          if (!a.length || a[a.length - 1] === 0x2a) continue;
          if (prm.value.some((c) => c >= 0x80)) prm.value = encodeMimeWord(prm.value);
        }
      }
    } else t = parseType(h, p);
  } else t = parseType(h, p);
  if (t) setType(body, t);
}

/** charset_encode_mimeheader for a UTF-8 value: one Q-encoded word. */
function encodeMimeWord(v: Buffer): Buffer {
  let s = '=?UTF-8?Q?';
  for (const c of v) {
    const safe = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || '!*+-/'.includes(String.fromCharCode(c));
    s += c === 0x20 ? '_' : safe ? String.fromCharCode(c) : '=' + c.toString(16).toUpperCase().padStart(2, '0');
  }
  return B(s + '?=');
}

/** charset_parse_mimexvalue for BOUNDARY*: charset'lang'%XX → UTF-8, or null. */
function parseMimeXValue(v: Buffer, opts: ResolvedOptions): Buffer | null {
  const q1 = v.indexOf(0x27);
  const q2 = q1 < 0 ? -1 : v.indexOf(0x27, q1 + 1);
  if (q2 < 0) return null;
  const cs = lookupCharset(v.subarray(0, q1).toString('latin1'), opts.charsets);
  if (!cs) return null;
  const raw: number[] = [];
  for (let i = q2 + 1; i < v.length; i++) {
    if (v[i] === 0x25) {
      const hx = v.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(hx)) return null;
      raw.push(parseInt(hx, 16));
      i += 2;
    } else raw.push(v[i]!);
  }
  const word = Buffer.concat([B(`=?${cs.alias}?B?`), B(Buffer.from(raw).toString('base64')), B('?=')]);
  return decodeMimeHeader(word, { charsets: opts.charsets });
}

function parseMultipart(msg: Msg, body: Body, boundaries: Buffer[], depth: number): void {
  const defaultType = isSub(body, 'DIGEST') ? DIGEST_DEFAULT_TYPE : DEFAULT_TYPE;
  const limit = msg.opts.boundaryLimit;
  const bp = body.params.find((p) => p.attribute.equals(B('BOUNDARY')) || p.attribute.equals(B('BOUNDARY*')));
  if (!bp) {
    parseContent(msg, body, boundaries);
    return;
  }
  let id: Buffer | null = null;
  if (bp.attribute.length > 8) id = parseMimeXValue(bp.value, msg.opts);
  boundaries.push(cstr(id ?? bp.value));
  const level = boundaries.length;

  const preamble = emptyBody();
  parseContent(msg, preamble, boundaries, false);
  while (boundaries.length === level && (limit === 0 || boundaries.length < limit)) {
    const child = emptyBody();
    parseBody(msg, child, defaultType, boundaries, depth + 1);
    if (msg.offset === msg.len && child.boundarySize === 0) boundaries.length = 0;
    body.subparts.push(child);
  }
  const epilogue = emptyBody();
  if (boundaries.length === level - 1) {
    parseContent(msg, epilogue, boundaries, false);
  } else if (body.subparts.length) {
    const last = body.subparts[body.subparts.length - 1]!;
    body.boundarySize = last.boundarySize;
    body.boundaryLines = last.boundaryLines;
    last.boundarySize = 0;
    last.boundaryLines = 0;
  } else {
    body.boundarySize = preamble.boundarySize;
    body.boundaryLines = preamble.boundaryLines;
    preamble.boundarySize = 0;
    preamble.boundaryLines = 0;
  }
  body.contentSize = preamble.contentSize + preamble.boundarySize;
  body.contentLines = preamble.contentLines + preamble.boundaryLines;
  for (const c of body.subparts) {
    body.contentSize += c.headerSize + c.contentSize + c.boundarySize;
    body.contentLines += c.headerLines + c.contentLines + c.boundaryLines;
  }
  body.contentSize += epilogue.contentSize;
  body.contentLines += epilogue.contentLines;
  body.boundarySize += epilogue.boundarySize;
  body.boundaryLines += epilogue.boundaryLines;
  if (limit && level === limit) msg.warnings.push(`MIME boundary limit ${limit} reached; deeper parts not parsed`);
}

/** message_parse_content: lines until a pending boundary; then the part's content hash. */
function parseContent(msg: Msg, body: Body, boundaries: Buffer[], hash = true): void {
  const start = msg.offset;
  const need = Math.max(2, maxBoundary(boundaries) + 4);
  for (;;) {
    const line = nextLine(msg);
    if (!line) break;
    const len = line.end - line.start;
    if (
      len >= 2 &&
      msg.src.byteAt(line.start) === 0x2d &&
      msg.src.byteAt(line.start + 1) === 0x2d &&
      pendingBoundary(msg.src.view(line.start, Math.min(line.end, line.start + need)), len, boundaries, msg.opts.rfc2046Strict)
    ) {
      body.boundarySize = len;
      body.boundaryLines++;
      if (body.contentLines) {
        body.contentLines--;
        body.boundaryLines++;
      }
      if (body.contentSize > 1) {
        body.contentSize -= 2;
        body.boundarySize += 2;
      }
      break;
    }
    body.contentSize += len;
    if (msg.src.byteAt(line.end - 1) === 0x0a) body.contentLines++;
  }
  // Preamble and epilogue hashes are never written anywhere; skip the work.
  if (hash) addContentGuid(msg, start, body);
}

/** body_add_content_guid: SHA-1 of the decoded content (null GUID for unknown encodings). */
function addContentGuid(msg: Msg, base: number, body: Body): void {
  const { encoding } = partCharset(body, msg.opts);
  const hasher = new ContentHasher(encoding);
  if (encoding !== ENCODING.UNKNOWN) {
    for (const chunk of msg.src.chunks(base, base + body.contentSize)) hasher.update(chunk);
  }
  const d = hasher.digest();
  body.contentGuid = d ? d.guid : NULL_GUID;
  body.decodedContentSize = d ? d.size : 0;
}

export interface ParsedMessage {
  root: Body;
  /** File size (the index record's `size`). */
  size: number;
  /** SHA-1 of the whole file. */
  guid: Buffer;
  /** Things Cyrus would have logged (header limits, size mismatch …). */
  warnings: string[];
}

/** message_parse_mapped over a byte source. */
export function parseMessage(src: ByteSource, options: ParseOptions = {}): ParsedMessage {
  const opts = resolveOptions(options);
  if (src.size === 0) throw new MessageParseError('EMPTY', 'message file is empty', 0);
  const msg: Msg = { src, offset: 0, len: src.size, opts, warnings: [] };
  const root = emptyBody();
  parseBody(msg, root, DEFAULT_TYPE, null, 0);
  const sha = createHash('sha1');
  for (const chunk of src.chunks(0, src.size)) sha.update(chunk);
  if (root.headerSize + root.contentSize !== src.size) {
    msg.warnings.push(`size mismatch on parse: file ${src.size}, parsed ${root.headerSize + root.contentSize}`);
  }
  return { root, size: src.size, guid: sha.digest(), warnings: msg.warnings };
}
