// Header blocks of a part (imap/message.c message_parse_headers and the per-field parsers it
// dispatches to): collected up to the blank line or a pending boundary, scanned once, each known
// field parsed with Cyrus's last-one-wins rule, cacheable lines kept for HEADERS (root only).
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
  type ParamSyntax,
} from './fields.js';
import { parseAddressList, type Address } from './address.js';
import { B, cstr, toLower } from './bytes.js';
import { decodeMimeHeader } from './mimeheader.js';
import { cachedHeaderMinVersion } from './cached-headers.js';
import type { ResolvedOptions } from './options.js';
import { maxBoundary, nextLine, NO_TYPE, pendingBoundary, setType, typeFromString, type Body, type Msg } from './body.js';

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

/** message_parse_headers; returns true when the block was ended by a boundary line. */
export function parseHeaders(msg: Msg, body: Body, defaultType: Buffer, boundaries: Buffer[]): boolean {
  body.headerOffset = msg.offset;
  const cap = msg.opts.maxHeaderBytes;
  const pieces: Buffer[] = [B('\n')];
  let kept = 1;
  let total = 0; // header bytes read (after the priming LF)
  let truncated = false;
  let sawBoundary = false;
  let firstLine = true;
  let cutTo = -1; // header text length after a boundary cut
  // 2.4 appends each line only up to its first NUL (strlen), so the next line overwrites the rest
  // and the blank-line and boundary tests look at the byte before as kept.
  const cutLines = msg.opts.rules.headerLinesCutAtNul;
  let prevLf = true; // the priming LF

  for (;;) {
    const line = nextLine(msg);
    if (!line) break;
    const len = cutLines ? lineLengthToNul(msg, line.start, line.end) : line.end - line.start;
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
    const afterLf = prevLf;
    if (len) prevLf = msg.src.view(line.start + len - 1, line.start + len)[0] === 0x0a;

    if (afterLf && head[0] === 0x0d && (line.end - line.start > 1 ? head[1] : 0) === 0x0a) break;
    if (afterLf && head[0] === 0x2d) {
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
    if (body.cacheHeaders && h[p] !== 0x20 && h[p] !== 0x09 && isCachedHeader(h, p, msg.opts)) {
      body.cacheHeaders.push(cachedHeaderText(h, p));
    }
    applyHeader(msg, body, h, p);
  }
  body.headerLines = lines;
}

/** mailbox_cached_header_inline for the cache version being produced. */
function isCachedHeader(h: Buffer, p: number, opts: ResolvedOptions): boolean {
  const cacheVersion = opts.cacheVersion;
  let name = '';
  for (let i = 0; i < opts.rules.cachedHeaderNameScan; i++) {
    const c = p + i < h.length ? h[p + i]! : 0;
    if (!c || c === 0x0d || c === 0x0a) return false;
    if (c === 0x3a) {
      const min = cachedHeaderMinVersion(name, opts.rules.cachedHeaders30);
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
  // 2.x kept the first of each header (a failed parse does not count) and appended address lists.
  const first = msg.opts.rules.firstHeaderWins;
  switch (HEADER_NAMES.get(name)) {
    case 'bcc':
      body.bcc = first ? appended(body.bcc, addresses(msg, h, v)) : addresses(msg, h, v);
      break;
    case 'cc':
      body.cc = first ? appended(body.cc, addresses(msg, h, v)) : addresses(msg, h, v);
      break;
    case 'content-description':
      if (!(first && body.description)) body.description = parseString(h, v);
      break;
    case 'content-disposition': {
      if (first && body.disposition) break;
      body.disposition = null;
      body.dispositionParams = [];
      const d = parseDisposition(h, v, paramSyntax(msg));
      if (d) {
        body.disposition = d.disposition;
        body.dispositionParams = d.params;
      }
      break;
    }
    case 'content-id':
      if (!(first && body.id)) body.id = parseString(h, v);
      break;
    case 'content-language': {
      const l = parseLanguage(h, v);
      body.language = l.length ? l : null;
      break;
    }
    case 'content-location':
      if (!(first && body.location)) body.location = parseString(h, v);
      break;
    case 'content-md5':
      if (!(first && body.md5)) body.md5 = parseString(h, v);
      break;
    case 'content-transfer-encoding':
      if (!(first && body.encoding)) body.encoding = parseEncoding(h, v);
      break;
    case 'content-type':
      if (!(first && body.type !== NO_TYPE)) parseBodyType(msg, body, h, v);
      break;
    case 'date':
      if (!(first && body.date)) body.date = parseString(h, v);
      break;
    case 'from':
      body.from = first ? appended(body.from, addresses(msg, h, v)) : addresses(msg, h, v);
      break;
    case 'in-reply-to':
      if (!(first && body.inReplyTo)) body.inReplyTo = parseString(h, v);
      break;
    case 'message-id':
      if (!(first && body.messageId)) body.messageId = parseString(h, v);
      break;
    case 'reply-to':
      body.replyTo = first ? appended(body.replyTo, addresses(msg, h, v)) : addresses(msg, h, v);
      break;
    case 'subject':
      if (!(first && body.subject)) body.subject = parseString(h, v);
      break;
    case 'sender':
      body.sender = first ? appended(body.sender, addresses(msg, h, v)) : addresses(msg, h, v);
      break;
    case 'to':
      body.to = first ? appended(body.to, addresses(msg, h, v)) : addresses(msg, h, v);
      break;
    default:
      break; // Received, References, X-*: nothing in the 3.x cache depends on them
  }
}

const paramSyntax = (msg: Msg): ParamSyntax => (msg.opts.rules.badParamEndsList ? 'stop' : msg.opts.rules.strictParamTokens);

const appended = (a: Address[] | null, b: Address[] | null): Address[] | null => (a && b ? a.concat(b) : a ?? b);

function addresses(msg: Msg, h: Buffer, v: number): Address[] | null {
  const { quotedPhraseControls, utf8Domains, quotedBackslashCrlf: backslashCrlf, atEndsDomain } = msg.opts.rules;
  const list = parseAddressList(rawFieldValue(h, v), { quotedPhraseControls, utf8Domains, backslashCrlf, atEndsDomain });
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
  const strict = paramSyntax(msg);
  if (msg.opts.rules.encodedContentType && p + 2 < h.length && h[p] === 0x3d && h[p + 1] === 0x3f) {
    // Old Mail.app encoded the whole Content-Type as an RFC 2047 word; 8-bit parameter values
    // that decoding yields are re-encoded (encodeMimeWord).
    const raw = cstr(h.subarray(p));
    const decoded = decodeMimeHeader(raw, { rfc2047Utf8: msg.opts.rfc2047Utf8, charsets: msg.opts.charsets, cyrus30: msg.opts.rules.rfc2047Words30 });
    if (!decoded.equals(raw)) {
      t = parseType(decoded, 0);
      if (t) {
        for (const prm of t.params) {
          const a = prm.attribute;
          if (!a.length || a[a.length - 1] === 0x2a) continue;
          if (prm.value.some((c) => c >= 0x80)) prm.value = encodeMimeWord(prm.value);
        }
      }
    } else t = parseType(h, p, strict);
  } else t = parseType(h, p, strict);
  if (t) setType(body, t);
  // 3.12 rejects a non-blank value that does not parse rather than fall back to the default type;
  // its stand-in is stored in lower case (not upper-cased like parsed types, so BODY shows it so).
  else if (msg.opts.rules.badTypeIsOctetStream) setType(body, { type: B('application'), subtype: B('octet-stream'), params: [] });
}

/**
 * charset_encode_mimeheader (qp_encode for a header) of a value with 8-bit bytes: Q-encoded
 * UTF-8 words, printable ASCII kept except = ? _, SP as _, a new word before 72 columns (earlier
 * for a UTF-8 lead byte, so no character is split), a CR LF fold closing the word.
 * Cyrus 3.4+ first looks for an addr-spec in the value and then encodes only the text around it;
 * that path is not reproduced (a parameter value holding both 8-bit text and an address).
 */
function encodeMimeWord(v: Buffer): Buffer {
  const OPEN = '=?UTF-8?Q?';
  const FOLD = '?=\r\n =?UTF-8?Q?';
  let s = OPEN;
  let cnt = OPEN.length;
  for (let n = 0; n < v.length; n++) {
    const c = v[n]!;
    const need = c < 0xc0 ? 0 : c < 0xe0 ? 3 : c < 0xf0 ? 6 : c < 0xf8 ? 9 : 0;
    if (cnt + need >= 72) {
      s += FOLD;
      cnt = 11;
    }
    if (c >= 0x21 && c <= 0x7e && c !== 0x3d && c !== 0x3f && c !== 0x5f) {
      s += String.fromCharCode(c);
      cnt++;
    } else if (c === 0x20) {
      s += '_';
      cnt++;
    } else if (c === 0x0d && v[n + 1] === 0x0a) {
      if (n < v.length - 2) {
        if (v[n + 2] === 0x20 || v[n + 2] === 0x09) n++;
        s += FOLD;
        cnt = 12;
      }
      n++;
    } else {
      s += '=' + c.toString(16).toUpperCase().padStart(2, '0');
      cnt += 3;
    }
  }
  return B(s + '?=');
}
