// Byte → Unicode for the converters Cyrus opens through ICU: the probed single-byte tables and
// the multi-byte families, with ICU's substitution behaviour where it differs from WHATWG's.
import { SBCS_TABLES } from './charset-icu-data.js';
import type { DecoderSpec } from './charset.js';

const whatwg = new Map<string, InstanceType<typeof TextDecoder>>();
function whatwgDecode(label: string, bytes: Buffer): string {
  let d = whatwg.get(label);
  if (!d) {
    d = new TextDecoder(label, { fatal: false, ignoreBOM: true });
    whatwg.set(label, d);
  }
  return d.decode(bytes);
}

/** Decodes one flushed batch of bytes the way the ICU converter would (see README for limits). */
export function decodeIcu(spec: DecoderSpec, bytes: Buffer): string {
  if (spec.kind === 'sbcs') {
    const t = SBCS_TABLES[spec.table]!;
    let out = '';
    for (const c of bytes) out += c === 0 ? '\0' : t[c - 1];
    return out;
  }
  if (spec.kind !== 'family') return bytes.toString('latin1');
  switch (spec.family) {
    case 'icu-ascii':
      return perByte(bytes, (c) => (c < 0x80 ? String.fromCharCode(c) : '\ufffd'));
    case 'icu-utf-8':
      return whatwgDecode('utf-8', bytes);
    case 'big5':
    case 'gbk':
      return whatwgDecode(spec.family, bytes);
    case 'big5-hkscs':
      return dbcs(bytes, 'big5', () => '\ufffd', () => '\ufffd');
    case 'gb18030': // ICU < 73: GB 18030-2005
      return dbcs(bytes, 'gb18030', () => '\ufffd', () => '\ufffd', true, 0x81, undefined, gb2005Pair);
    case 'gb18030-2022': // ICU 73+: 0x80 alone is the euro sign, the 18 codes are standard
      return dbcs(bytes, 'gb18030', (b) => (b === 0x80 ? '\u20ac' : '\ufffd'), () => '\ufffd', true);
    // Node's legacy TextDecoders are ICU converters too, but not always the same ones; the IBM
    // variants differ in a few ASCII positions and substitute U+001A, as the probe showed.
    case 'euc-cn':
      return dbcs(bytes, 'gbk', eucSingle, () => '\u001a', false, 0xa1);
    case 'euc-jp':
    case 'euc-kr':
    case 'shift_jis':
      return sub1a(whatwgDecode(spec.family, bytes));
    case 'ibm-943':
      return ibmAscii(sub1a(whatwgDecode('shift_jis', bytes)), { yen: true }); // Node's already rotates
    case 'ibm-33722':
      return ibmAscii(sub1a(whatwgDecode('euc-jp', bytes)), { yen: true });
    case 'ibm-949':
      return dbcs(swapControls(bytes), 'euc-kr', ibm949Single, () => '\u001a', false, 0xa1, (c) => (c === 0x5c ? '\u20a9' : null));
    case 'ibm-950':
      return dbcs(swapControls(bytes), 'big5', () => '\u001a', () => '\u001a');
    case 'ibm-1363':
      return ibmAscii(decodeUhc(swapControls(bytes)), { won: true }).replace(/[\ufffd\u0080\uf8f7]/g, '\u001a');
    case 'ibm-1386':
      return dbcs(swapControls(bytes), 'gbk', (b) => (b === 0x80 ? '\u20ac' : '\u001a'), () => '\u001a');
    case 'iso-2022-jp':
      return whatwgDecode('iso-2022-jp', bytes);
    case 'uhc':
      return decodeUhc(bytes);
    case 'iso-2022-kr':
      return ibmAscii(decodeIso2022Kr(swapControls(bytes)), { won: true });
    case 'hz':
      return decodeHz(bytes);
    case 'gb2312-94':
      return decodeGb2312Raw(bytes);
    case 'utf-16':
      if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return utf16(bytes.subarray(2), 'le');
      if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return utf16(bytes.subarray(2), 'be');
      return utf16(bytes, 'be');
    case 'utf-16be':
      return utf16(bytes, 'be');
    case 'utf-16le':
      return utf16(bytes, 'le');
    case 'utf-32':
      if (bytes.length >= 4 && bytes.readUInt32LE(0) === 0xfeff) return utf32(bytes.subarray(4), 'le');
      if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0xfeff) return utf32(bytes.subarray(4), 'be');
      return utf32(bytes, 'be');
    case 'utf-32be':
      return utf32(bytes, 'be');
    case 'utf-32le':
      return utf32(bytes, 'le');
    case 'utf-7':
      return decodeUtf7(bytes, false);
    case 'imap-utf-7':
      return decodeUtf7(bytes, true);
    // Known to ICU, decoded here for ASCII only (their non-ASCII forms are not implemented).
    case 'euc-tw':
      return perByte(bytes, (c) => (c < 0x80 ? String.fromCharCode(c) : '\ufffd'));
    case 'iso-2022-cn':
      return perByte(bytes, (c) => (c === 0x0f ? '' : c === 0x0e || c === 0x1b || c >= 0x80 ? '\ufffd' : String.fromCharCode(c)));
    case 'scsu':
      return perByte(bytes, (c) =>
        c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f) ? String.fromCharCode(c) : c >= 0x0f && c <= 0x17 ? '' : c === 0x7f ? '\u007f' : '\ufffd',
      );
    default:
      return bytes.length ? '\ufffd' : '';
  }
}

/** The 18 two-byte codes GB 18030-2005 maps to private use (2022, and WHATWG, to standard). */
const GB2005_PUA: ReadonlyMap<number, number> = new Map([
  [0xa6d9, 0xe78d], [0xa6da, 0xe78e], [0xa6db, 0xe78f], [0xa6dc, 0xe790], [0xa6dd, 0xe791], [0xa6de, 0xe792],
  [0xa6df, 0xe793], [0xa6ec, 0xe794], [0xa6ed, 0xe795], [0xa6f3, 0xe796], [0xfe59, 0xe81e], [0xfe61, 0xe826],
  [0xfe66, 0xe82b], [0xfe67, 0xe82c], [0xfe6d, 0xe832], [0xfe7e, 0xe843], [0xfe90, 0xe854], [0xfea0, 0xe864],
]);
const gb2005Pair = (lead: number, trail: number): string | null => {
  const cp = GB2005_PUA.get((lead << 8) | trail);
  return cp === undefined ? null : String.fromCharCode(cp);
};

/** EUC: a high byte that cannot start a character is a C1 control (0x80–0x9F but SS2/SS3), else SUB. */
const eucSingle = (b: number) => ((b >= 0x80 && b <= 0x8d) || (b >= 0x90 && b <= 0x9f) ? String.fromCharCode(b) : '\u001a');
/** IBM-949's single-byte extras. */
const ibm949Single = (b: number) => ({ 0x80: '\u00a2', 0x81: '\u00ac', 0x82: '\\', 0x83: '\u203e', 0x84: '\u00a6' })[b] ?? '\u001a';

/**
 * A double-byte charset walked lead by lead, as ICU's converter does: ASCII passes, a lead byte
 * (≥ leadMin) with a byte after it starts a character decoded by `label` (four bytes for GB 18030
 * when a digit follows), a lead at the end is `truncated`, any other high byte is `single`;
 * `ascii` may replace an ASCII byte (IBM code pages' ₩).
 */
function dbcs(
  b: Buffer,
  label: string,
  single: (b: number) => string,
  truncated: (b: number) => string,
  gb18030 = false,
  leadMin = 0x81,
  ascii?: (b: number) => string | null,
  pair?: (lead: number, trail: number) => string | null,
): string {
  let out = '';
  let run = 0; // start of pending multi-byte run
  const flush = (end: number) => {
    if (end > run) out += whatwgDecode(label, b.subarray(run, end));
  };
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      const a = ascii?.(c);
      if (a != null) {
        flush(i);
        out += a;
        run = i + 1;
      }
      i++;
      continue;
    }
    if (c >= leadMin && c <= 0xfe) {
      if (i + 1 >= b.length) {
        flush(i);
        out += truncated(c);
        run = ++i;
        continue;
      }
      const four = gb18030 && b[i + 1]! >= 0x30 && b[i + 1]! <= 0x39;
      const own = four ? null : pair?.(c, b[i + 1]!);
      if (own != null) {
        flush(i);
        out += own;
        run = i + 2;
      }
      i += four ? 4 : 2;
      continue;
    }
    flush(i);
    out += single(c);
    run = ++i;
  }
  flush(b.length);
  return out;
}

function perByte(bytes: Buffer, f: (c: number) => string): string {
  let out = '';
  for (const c of bytes) out += f(c);
  return out;
}

const sub1a = (s: string) => s.replace(/\ufffd/g, '\u001a');

/**
 * IBM code pages rotate three ASCII controls (1A → 1C → 7F → 1A). Done on the input bytes: these
 * bytes are never trail bytes, and the substitution character 1A the converter emits must not
 * be rotated.
 */
function swapControls(b: Buffer): Buffer {
  if (!b.some((c) => c === 0x1a || c === 0x1c || c === 0x7f)) return b;
  return Buffer.from(b.map((c) => (c === 0x1a ? 0x1c : c === 0x1c ? 0x7f : c === 0x7f ? 0x1a : c)));
}

/** IBM code pages' ASCII quirks on the output: ¥ ‾ or ₩ for \ and ~. */
function ibmAscii(s: string, o: { yen?: boolean; won?: boolean }): string {
  let out = '';
  for (const ch of s) {
    if (o.yen && ch === '\\') out += '\u00a5';
    else if (o.yen && ch === '~') out += '\u203e';
    else if (o.won && ch === '\\') out += '\u20a9';
    else out += ch;
  }
  return out;
}

/** GB 2312 as a bare 94×94 set (ISO-IR-58): byte pairs 0x21–0x7E, no ASCII at all. */
function decodeGb2312Raw(b: Buffer): string {
  let out = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c > 0x20 && c < 0x7f && i + 1 < b.length) out += whatwgDecode('gbk', Buffer.from([c | 0x80, b[++i]! | 0x80]));
    else out += '\ufffd';
  }
  return out;
}

function utf16(b: Buffer, order: 'be' | 'le'): string {
  let s = '';
  let n = b.length & ~1;
  const unit = (i: number) => (order === 'be' ? (b[i]! << 8) | b[i + 1]! : b[i]! | (b[i + 1]! << 8));
  // ICU at flush: a pending high surrogate and an odd last byte are one truncated character.
  if (b.length & 1 && n >= 2 && (unit(n - 2) & 0xfc00) === 0xd800) n -= 2;
  for (let i = 0; i < n; i += 2) s += String.fromCharCode(unit(i));
  if (b.length & 1) s += '\ufffd';
  return s;
}

function utf32(b: Buffer, order: 'be' | 'le'): string {
  let s = '';
  const n = b.length & ~3;
  for (let i = 0; i < n; i += 4) {
    const c = order === 'be' ? b.readUInt32BE(i) : b.readUInt32LE(i);
    s += c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ? '\ufffd' : String.fromCodePoint(c);
  }
  if (b.length & 3) s += '\ufffd';
  return s;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * RFC 2152 UTF-7 (or IMAP's modified form) as ICU decodes it: bytes that may not appear directly
 * (controls, and '\\' and '~' in plain UTF-7) and 8-bit bytes become U+FFFD.
 */
function decodeUtf7(b: Buffer, imap: boolean): string {
  const shift = imap ? 0x26 : 0x2b; // '&' or '+'
  const alphabet = imap ? B64.replace('/', ',') : B64;
  const direct = (c: number) =>
    imap ? c >= 0x20 && c < 0x7f : c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f && c !== 0x5c && c !== 0x7e);
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c !== shift) {
      out += direct(c) ? String.fromCharCode(c) : '\ufffd';
      i++;
      continue;
    }
    i++;
    if (i < b.length && b[i] === 0x2d) {
      out += String.fromCharCode(shift);
      i++;
      continue;
    }
    if (imap && i >= b.length) {
      out += '\ufffd'; // ICU: an IMAP shift with nothing after it is an error; UTF-7's is not
      continue;
    }
    let bits = 0;
    let nbits = 0;
    while (i < b.length) {
      const v = alphabet.indexOf(String.fromCharCode(b[i]!));
      if (v < 0) break;
      bits = ((bits << 6) | v) & 0xffffff;
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        out += String.fromCharCode((bits >> nbits) & 0xffff);
      }
      i++;
    }
    if (i < b.length && b[i] === 0x2d) i++;
  }
  return out;
}

/** KS X 1001 pair (both bytes 0xA1–0xFE) through the EUC-KR decoder. */
const ksx1001 = (l: number, t: number) => whatwgDecode('euc-kr', Buffer.from([l, t]));

let uhcExt: Map<number, string> | undefined;
/**
 * Unified Hangul Code (windows-949): the 8,822 Hangul syllables missing from KS X 1001 fill the
 * extension codes 0x8141… in Unicode order (trail bytes 41–5A, 61–7A, 81–FE; for leads ≥ 0xA1 only
 * up to 0xA0) — an ordering rule, so the table is computed rather than stored.
 */
function uhcTable(): Map<number, string> {
  if (uhcExt) return uhcExt;
  const inKsx = new Set<number>();
  for (let l = 0xb0; l <= 0xc8; l++) for (let t = 0xa1; t <= 0xfe; t++) inKsx.add(ksx1001(l, t).codePointAt(0)!);
  const trails = (lead: number) => {
    const t: number[] = [];
    for (let c = 0x41; c <= 0x5a; c++) t.push(c);
    for (let c = 0x61; c <= 0x7a; c++) t.push(c);
    for (let c = 0x81; c <= (lead >= 0xa1 ? 0xa0 : 0xfe); c++) t.push(c);
    return t;
  };
  const map = new Map<number, string>();
  let syl = 0xac00;
  outer: for (let lead = 0x81; lead <= 0xc6; lead++) {
    for (const t of trails(lead)) {
      while (syl <= 0xd7a3 && inKsx.has(syl)) syl++;
      if (syl > 0xd7a3) break outer;
      map.set((lead << 8) | t, String.fromCharCode(syl++));
    }
  }
  uhcExt = map;
  return map;
}

function decodeUhc(b: Buffer): string {
  const ext = uhcTable();
  let out = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x81 || c === 0xff) {
      out += c === 0xff ? '\uf8f7' : String.fromCharCode(c); // ICU: 0x80 → U+0080, 0xFF → U+F8F7
      continue;
    }
    if (i + 1 >= b.length) {
      out += '\ufffd';
      continue;
    }
    const t = b[i + 1]!;
    const e = ext.get((c << 8) | t);
    if (e) out += e;
    else if (c >= 0xa1 && t >= 0xa1 && t <= 0xfe) out += ksx1001(c, t);
    else {
      out += '\ufffd';
      if (t >= 0x41) i++; // ICU consumes a plausible trail byte with the bad pair
      continue;
    }
    i++;
  }
  return out;
}

/** ISO-2022-KR: SO/SI switch between ASCII and KS X 1001 (7-bit pairs + 0x80). */
function decodeIso2022Kr(b: Buffer): string {
  let out = '';
  let so = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x1b && b[i + 1] === 0x24 && b[i + 2] === 0x29 && b[i + 3] === 0x43) {
      i += 3;
      continue;
    }
    if (c === 0x0e) so = true;
    else if (c === 0x0f) so = false;
    else if (c === 0x1b || c >= 0x80) out += '\ufffd';
    else if (so && c > 0x20 && c < 0x7f && i + 1 < b.length) out += ksx1001(c | 0x80, b[++i]! | 0x80);
    else if (so && c > 0x20) out += '\ufffd';
    else out += String.fromCharCode(c);
  }
  return out;
}

/** HZ-GB-2312: "~{" … "~}" brackets GB 2312 pairs written 7-bit; "~~" is "~". */
function decodeHz(b: Buffer): string {
  let out = '';
  let gb = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x7e) {
      const n = b[i + 1];
      if (n === 0x7b) gb = true;
      else if (n === 0x7d) gb = false;
      else if (n === 0x7e) out += '~';
      else if (n !== 0x0a && n !== undefined) out += '\ufffd';
      i++;
      continue;
    }
    if (c >= 0x80) out += '\ufffd';
    else if (gb && c > 0x20 && i + 1 < b.length) out += whatwgDecode('gbk', Buffer.from([c | 0x80, b[++i]! | 0x80]));
    else out += String.fromCharCode(c);
  }
  return out;
}

