// Charset lookup and byte→Unicode decoding as Cyrus 3.6 does it (lib/charset.c + ICU).
// Cyrus first maps a name through its alias table (lib/charset/aliases.txt), uses its own
// converters for us-ascii and utf-8, and hands everything else to ICU. We cannot link ICU, so
// "ICU" here is data probed from the real thing (charset-icu-data.ts: which names it opens, and
// every single-byte converter's byte → code point table) plus decoders for the multi-byte
// families (WHATWG TextDecoder where it agrees with ICU, small hand-written ones where it does
// not: BOM-less UTF-16/32, UTF-7, UHC, ISO-2022-KR, HZ). Both tables can be replaced through
// CharsetTables.
import { ICU_CHARSETS, ICU_LOOSE, SBCS_TABLES } from './charset-icu-data.js';

/** Cyrus 3.6.1 lib/charset/aliases.txt: alias (case-insensitive) → canonical name. */
export const CYRUS_ALIASES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    (
      [
        ['utf-8', 'utf8 unicode-1-1-utf-8'],
        ['utf-7', 'utf7 unicode-1-1-utf-7'],
        ['IMAP-mailbox-name', 'imap-utf-7'],
        ['us-ascii', 'ascii ANSI_X3.4-1968 usascii'],
        [
          'windows-1252',
          'iso-8859-1 ISO_8859_1 ISO_8859-1 ISO_8859 ISO-8859 8859_1 iso--8859-1 so-8859-1 en_GB auto unknown ' +
            'unknown-8bit x-unknown x-user-defined x-europa none latin1 ISO8859-1 8859-1 es-windows-1252 DISPLAY Any ' +
            '1252 cp1252 cp-1252 win-1252',
        ],
        ['macintosh', 'x-mac-roman mac csmacintosh'],
        ['iso-8859-1', '646 ISO646-US'],
        ['iso-8859-2', '8859_2'],
        ['iso-8859-9', 'x-mac-turkish'],
        ['iso-8859-7', 'greek-ccitt'],
        ['iso-8859-8', 'iso-8859-8-i'],
        ['iso-8859-15', 'ISO8859_15_FDIS ISO8859-15'],
        ['iso-8859-11', 'tis-620 x-mac-thai'],
        ['iso-8859-6', 'ASMO-708'],
        ['koi8-r', 'WIN-KOI8 KOI8-R'],
        ['koi8-u', 'KOI8-U'],
        ['iso-2022-jp', '_iso-2022-jp$ESC _iso-2022-jp csISO2022JP'],
        ['ksc5601', 'ks_c_5601'],
        ['windows-1250', '1250 cp1250 win-1250 238'],
        ['windows-1251', '1251 cp1251 win-1251'],
        ['windows-1254', '1254 cp1254 win-1254'],
        ['windows-1255', '1255 cp1255 win-1255'],
        ['windows-1256', '1256 cp1256 win-1256 win1256'],
        ['windows-1257', '1257 cp1257 win-1257'],
        ['windows-1258', '1258 cp1258 win-1258'],
        ['windows-850', 'cp850 cp-850 dos-latin1 msdos-latin1'],
        ['windows-31j', 'cp932 cp-932 win-31j Shift_JIS'],
        ['windows-936', 'cp936 cp-936 win-936 gbk x-gbk gb2312'],
        ['big5', '136'],
      ] as const
    ).flatMap(([canon, aliases]) => aliases.split(' ').map((a) => [a.toLowerCase(), canon])),
  ),
);

/** How a charset's bytes become Unicode. */
export type DecoderSpec =
  | { kind: 'us-ascii' } // Cyrus's table: NUL dropped, 8-bit → U+FFFD
  | { kind: 'utf-8' } // Cyrus's own stateful decoder
  | { kind: 'sbcs'; table: number } // an ICU single-byte converter, as probed (charset-icu-data.ts)
  | { kind: 'family'; family: string }; // an ICU multi-byte converter family

/** Names ICU opens (probed from real Cyrus + ICU): the probed spellings and ICU-normalised forms. */
function icuTable(): Map<string, DecoderSpec> {
  const m = new Map<string, DecoderSpec>();
  const add = (k: string, spec: DecoderSpec) => {
    m.set(k, spec); // the probed spelling itself
    const n = `~${icuNormalise(k)}`;
    if (!m.has(n)) m.set(n, spec); // and ICU's loose matching for other spellings
  };
  for (const [k, v] of Object.entries(ICU_CHARSETS)) {
    add(k, typeof v === 'number' ? { kind: 'sbcs', table: v } : { kind: 'family', family: v });
  }
  // ICU's own names that Cyrus's alias table shadows: reachable by other spellings only.
  for (const [k, v] of Object.entries(ICU_LOOSE)) {
    m.set(`~${k}`, typeof v === 'number' ? { kind: 'sbcs', table: v } : { kind: 'family', family: v });
  }
  return m;
}

/**
 * ICU's lookup of a converter name (ucnv_open → ucnv_io_getConverterName): options after ','
 * are not part of the name; names compare loosely (icuNormalise); after a miss, a leading
 * lower-case "x-" is stripped and the rest tried once more.
 */
function icuLookup(icu: ReadonlyMap<string, DecoderSpec>, name: string): DecoderSpec | undefined {
  const comma = name.indexOf(',');
  const n = comma < 0 ? name : name.slice(0, comma);
  const find = (x: string) => icu.get(x.toLowerCase()) ?? icu.get(`~${icuNormalise(x)}`);
  return find(n) ?? (n.startsWith('x-') ? find(n.slice(2)) : undefined);
}

/**
 * ICU's name comparison (ucnv_io_stripASCIIForCompare): only letters and digits count, letters
 * lowercased, and a 0 that starts a number and is followed by another digit is dropped.
 */
export function icuNormalise(name: string): string {
  let out = '';
  let afterDigit = false;
  const s = name.toLowerCase();
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c >= '0' && c <= '9') {
      if (c === '0' && !afterDigit && s[i + 1] !== undefined && s[i + 1]! >= '0' && s[i + 1]! <= '9') continue;
      afterDigit = true;
      out += c;
    } else if (c >= 'a' && c <= 'z') {
      afterDigit = false;
      out += c;
    } else afterDigit = false;
  }
  return out;
}

export interface CharsetTables {
  /** Cyrus alias table (lowercased alias → canonical). */
  aliases: Readonly<Record<string, string>>;
  /** Names the ICU build opens: probed spellings (lowercase) and `~` + icuNormalise(name). */
  icu: ReadonlyMap<string, DecoderSpec>;
}

let defaultTables: CharsetTables | undefined;
export function defaultCharsetTables(): CharsetTables {
  defaultTables ??= { aliases: CYRUS_ALIASES, icu: icuTable() };
  return defaultTables;
}

export interface Charset {
  /** The name as written in the message (Cyrus's alias_name: what SECTION stores). */
  alias: string;
  /** Canonical name used to decide converter sharing between adjacent encoded words. */
  canonical: string;
  decoder: DecoderSpec;
}

const canonicalsByTables = new WeakMap<CharsetTables, Map<string, string>>();
const lookups = new WeakMap<CharsetTables, Map<string, Charset | undefined>>();

/** charset_lookupname: undefined = unknown charset. Memoised per table set. */
export function lookupCharset(name: string, tables: CharsetTables = defaultCharsetTables()): Charset | undefined {
  let memo = lookups.get(tables);
  if (!memo) lookups.set(tables, (memo = new Map()));
  if (memo.has(name)) return memo.get(name);
  const cs = lookupUncached(name, tables);
  if (memo.size < 10_000) memo.set(name, cs); // hostile input must not grow it without bound
  return cs;
}

function lookupUncached(name: string, tables: CharsetTables): Charset | undefined {
  const lc = name.toLowerCase();
  let canonicals = canonicalsByTables.get(tables);
  if (!canonicals) {
    canonicals = new Map(Object.values(tables.aliases).map((c) => [c.toLowerCase(), c]));
    canonicalsByTables.set(tables, canonicals);
  }
  const canon: string | undefined = (Object.hasOwn(tables.aliases, lc) ? tables.aliases[lc] : undefined) ?? canonicals.get(lc);
  if (canon !== undefined) {
    const cl = canon.toLowerCase();
    if (cl === 'us-ascii') return { alias: name, canonical: 'us-ascii', decoder: { kind: 'us-ascii' } };
    if (cl === 'utf-8') return { alias: name, canonical: 'utf-8', decoder: { kind: 'utf-8' } };
  }
  const spec = icuLookup(tables.icu, canon ?? name);
  if (!spec) return undefined;
  // ICU's converter name is what Cyrus compares; our decoder spec identifies the converter.
  return { alias: name, canonical: JSON.stringify(spec), decoder: spec };
}

export const U_REPLACEMENT = 0xfffd;

/**
 * A to-Unicode converter in Cyrus's pipeline style: bytes in, code points out. Cyrus's own
 * converters (us-ascii, utf-8) keep state across calls until reset; ICU converters are flushed
 * at the end of every convert_catn, so ICU-backed ones decode each batch independently.
 */
export class ToUnicode {
  private bytesLeft = 0;
  private codepoint = 0;
  private pending: number[] = [];
  constructor(
    readonly spec: DecoderSpec,
    private readonly out: (cp: number) => void,
  ) {}

  reset(): void {
    this.bytesLeft = 0;
    this.codepoint = 0;
    this.pending = [];
  }

  /** One byte, or U_REPLACEMENT to signal "unknown character here". */
  put(c: number): void {
    switch (this.spec.kind) {
      case 'us-ascii':
        if (c === U_REPLACEMENT) this.out(c);
        else if (c >= 0x80) this.out(U_REPLACEMENT);
        else if (c !== 0) this.out(c); // the table maps NUL to "no character"
        return;
      case 'utf-8':
        this.utf8(c);
        return;
      default:
        if (c === U_REPLACEMENT) {
          this.flush();
          this.out(c);
        } else this.pending.push(c);
    }
  }

  /** End of a convert_catn: ICU converters decode what they buffered. */
  flush(): void {
    if (this.spec.kind === 'us-ascii' || this.spec.kind === 'utf-8') return;
    if (!this.pending.length) return;
    const bytes = Buffer.from(this.pending);
    this.pending = [];
    for (const cp of codePoints(decodeIcu(this.spec, bytes))) this.out(cp);
  }

  // lib/charset.c utf8_2uni: no overlong/surrogate checks here (uni2utf8 replaces the
  // invalid ones), an interrupted sequence yields U+FFFD, a truncated tail is dropped.
  private utf8(c: number): void {
    if (c === U_REPLACEMENT) {
      this.out(U_REPLACEMENT);
      this.bytesLeft = 0;
      this.codepoint = 0;
      return;
    }
    const bad = () => {
      this.out(U_REPLACEMENT);
      this.bytesLeft = 0;
      this.codepoint = 0;
    };
    if ((c & 0xf8) === 0xf0) {
      if (this.bytesLeft) this.out(U_REPLACEMENT);
      if (c >= 0xf5 && c <= 0xf7) return bad();
      this.bytesLeft = 3;
      this.codepoint = c & 0x07;
    } else if ((c & 0xf0) === 0xe0) {
      if (this.bytesLeft) this.out(U_REPLACEMENT);
      this.bytesLeft = 2;
      this.codepoint = c & 0x0f;
    } else if ((c & 0xe0) === 0xc0) {
      if (this.bytesLeft) this.out(U_REPLACEMENT);
      if (c === 0xc0 || c === 0xc1) return bad();
      this.bytesLeft = 1;
      this.codepoint = c & 0x1f;
    } else if ((c & 0xc0) === 0x80) {
      if (this.bytesLeft > 0) {
        this.codepoint = this.codepoint * 64 + (c & 0x3f);
        if (--this.bytesLeft === 0) {
          this.out(this.codepoint);
          this.codepoint = 0;
        }
      } else bad();
    } else if (c >= 0xf8) {
      bad();
    } else {
      if (this.bytesLeft) this.out(U_REPLACEMENT);
      this.out(c);
      this.bytesLeft = 0;
      this.codepoint = 0;
    }
  }
}

function* codePoints(s: string): Generator<number> {
  for (const ch of s) yield ch.codePointAt(0)!;
}

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
    case 'gb18030':
      return whatwgDecode(spec.family, bytes);
    // Node's legacy TextDecoders are ICU converters too, but not always the same ones; the IBM
    // variants differ in a few ASCII positions and substitute U+001A, as the probe showed.
    case 'euc-cn':
      return sub1a(whatwgDecode('gbk', bytes));
    case 'euc-jp':
    case 'euc-kr':
    case 'shift_jis':
      return sub1a(whatwgDecode(spec.family, bytes));
    case 'ibm-943':
      return ibmAscii(sub1a(whatwgDecode('shift_jis', bytes)), { yen: true }); // Node's already rotates
    case 'ibm-33722':
      return ibmAscii(sub1a(whatwgDecode('euc-jp', bytes)), { yen: true });
    case 'ibm-949':
      return ibmAscii(sub1a(whatwgDecode('euc-kr', bytes)), { won: true, swap: true });
    case 'ibm-950':
      return ibmAscii(sub1a(whatwgDecode('big5', bytes)), { swap: true });
    case 'ibm-1363':
      return ibmAscii(decodeUhc(bytes), { won: true, swap: true });
    case 'ibm-1386':
      return ibmAscii(whatwgDecode('gbk', bytes), { swap: true });
    case 'iso-2022-jp':
      return whatwgDecode('iso-2022-jp', bytes);
    case 'uhc':
      return decodeUhc(bytes);
    case 'iso-2022-kr':
      return ibmAscii(decodeIso2022Kr(bytes), { won: true, swap: true });
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

function perByte(bytes: Buffer, f: (c: number) => string): string {
  let out = '';
  for (const c of bytes) out += f(c);
  return out;
}

const sub1a = (s: string) => s.replace(/\ufffd/g, '\u001a');

/** IBM code page quirks in the ASCII range: 1A/1C/7F rotated, and ¥ ‾ or ₩ for \ and ~. */
function ibmAscii(s: string, o: { swap?: boolean; yen?: boolean; won?: boolean }): string {
  let out = '';
  for (const ch of s) {
    if (o.swap && ch === '\u001a') out += '\u001c';
    else if (o.swap && ch === '\u001c') out += '\u007f';
    else if (o.swap && ch === '\u007f') out += '\u001a';
    else if (o.yen && ch === '\\') out += '\u00a5';
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
  const n = b.length & ~1;
  for (let i = 0; i < n; i += 2) {
    s += String.fromCharCode(order === 'be' ? (b[i]! << 8) | b[i + 1]! : b[i]! | (b[i + 1]! << 8));
  }
  if (b.length & 1) s += '\ufffd'; // ICU: truncated code unit at flush
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

/** Unicode code point → UTF-8 bytes as Cyrus's uni2utf8 (surrogates and > U+10FFFF → U+FFFD). */
export function pushUtf8(out: number[], c: number): void {
  if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff || c < 0) c = U_REPLACEMENT;
  if (c > 0xffff) {
    out.push(0xf0 + ((c >> 18) & 0x07), 0x80 + ((c >> 12) & 0x3f), 0x80 + ((c >> 6) & 0x3f), 0x80 + (c & 0x3f));
  } else if (c > 0x7ff) {
    out.push(0xe0 + ((c >> 12) & 0x0f), 0x80 + ((c >> 6) & 0x3f), 0x80 + (c & 0x3f));
  } else if (c > 0x7f) {
    out.push(0xc0 + ((c >> 6) & 0x1f), 0x80 + (c & 0x3f));
  } else out.push(c);
}
