// The MIME tree of a message file, built the way Cyrus 3.6's message_parse_body does
// (imap/message.c): header blocks end only at a CR LF blank line or a pending boundary, boundary
// lines carry the CR LF before them, multiparts without a boundary are opaque, message/rfc822 is
// parsed recursively. Content is streamed line by line from a ByteSource; only header blocks are
// held in memory (up to a cap).
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ByteSource } from './source.js';
import { B, cstr } from './bytes.js';
import { ContentHasher, ENCODING } from './transfer.js';
import { lookupCharset } from './charset.js';
import { decodeMimeHeader } from './mimeheader.js';
import { resolveOptions, type ParseOptions, type ResolvedOptions } from './options.js';
import {
  DEFAULT_TYPE,
  DIGEST_DEFAULT_TYPE,
  emptyBody,
  isRfc822,
  isSub,
  isType,
  MessageParseError,
  maxBoundary,
  nextLine,
  NULL_GUID,
  partCharset,
  pendingBoundary,
  setType,
  typeFromString,
  type Body,
  type Msg,
} from './body.js';
import { parseHeaders } from './headers.js';

export { MessageParseError, NO_TYPE, partCharset, type Body } from './body.js';

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
  } else if (isRfc822(body, msg.opts)) {
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
  return decodeMimeHeader(word, { charsets: opts.charsets, cyrus30: opts.rules.rfc2047Words30 });
}

function parseMultipart(msg: Msg, body: Body, boundaries: Buffer[], depth: number): void {
  const defaultType = isSub(body, 'DIGEST') ? DIGEST_DEFAULT_TYPE : DEFAULT_TYPE;
  const limit = msg.opts.boundaryLimit;
  const star = msg.opts.rules.boundaryStar;
  const bp = body.params.find((p) => p.attribute.equals(B('BOUNDARY')) || (star && p.attribute.equals(B('BOUNDARY*'))));
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
      } else if (body.contentSize === 1 && !msg.opts.rules.boundaryNeedsTwo) {
        // Cyrus 3.2 takes the CR LF from a 1-byte part too: its 32-bit size wraps, and hashing
        // 4 GiB of "content" makes that Cyrus crash; we keep 0 and say so.
        body.contentSize = 0;
        body.boundarySize += 2;
        msg.warnings.push(`1-byte part before a boundary at ${line.start}: Cyrus 3.2's size underflows (it crashes)`);
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
  const { encoding, charset } = partCharset(body, msg.opts);
  const hasher = new ContentHasher(encoding, msg.opts.rules.base64PadResets);
  if (encoding !== ENCODING.UNKNOWN) {
    for (const chunk of msg.src.chunks(base, base + body.contentSize)) hasher.update(chunk);
  }
  const d = hasher.digest();
  body.contentGuid = d ? d.guid : NULL_GUID;
  body.decodedContentSize = d ? d.size : 0;
  if (d && msg.opts.rules.permutedContentGuid) {
    // 3.0: CRC-32 of type, subtype and charset_name, XORed into the last word; Cyrus reads that
    // word big-endian and stores the result in host (little-endian) order.
    const name = charset ? Buffer.from(charset.converterName, 'latin1') : Buffer.alloc(0);
    const crc = crc32(Buffer.concat([cstr(body.type), cstr(body.subtype), name]));
    const g = Buffer.from(body.contentGuid);
    g.writeUInt32LE((g.readUInt32BE(16) ^ crc) >>> 0, 16);
    body.contentGuid = g;
  }
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
