// Charset lookup and byte→Unicode decoding as Cyrus 3.6 does it (lib/charset.c + ICU).
// Cyrus first maps a name through its alias table (lib/charset/aliases.txt), uses its own
// converters for us-ascii and utf-8, and hands everything else to ICU. We cannot link ICU, so
// "ICU" here is a table of converter names ICU knows (matched the ICU way: case-insensitive,
// ignoring '-', '_', ' ' and '.') mapped onto WHATWG TextDecoder labels or small hand-written
// decoders where WHATWG and ICU disagree (latin1, BOM-less UTF-16, UTF-7). Both tables are
// data and can be replaced through CharsetTables.

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
  | { kind: 'us-ascii' } // Cyrus table: NUL dropped, 8-bit → U+FFFD
  | { kind: 'utf-8' } // Cyrus's own stateful decoder
  | { kind: 'latin1' } // true ISO-8859-1 (WHATWG would give windows-1252)
  | { kind: 'windows-1252' } // hand table: Node's TextDecoder decodes this label as latin1
  | { kind: 'iso-8859-9' } // ICU's is genuine (C1 at 0x80–0x9F); WHATWG's is windows-1254
  | { kind: 'utf-16' } // ICU: BOM decides, BOM-less is big-endian
  | { kind: 'utf-7'; imap?: boolean }
  | { kind: 'whatwg'; label: string };

const W = (label: string): DecoderSpec => ({ kind: 'whatwg', label });

/** Converter names ICU (as shipped with Debian 12) opens, keyed by ICU-normalised name. */
function icuTable(): Map<string, DecoderSpec> {
  const m = new Map<string, DecoderSpec>();
  const add = (names: string, spec: DecoderSpec) => {
    for (const n of names.split(' ')) m.set(icuNormalise(n), spec);
  };
  add('utf-8 utf8 unicode-1-1-utf-8 cp1208 ibm-1208', { kind: 'utf-8' });
  add('utf-16 utf16 ucs-2 iso-10646-ucs-2 unicode csunicode ibm-1204', { kind: 'utf-16' });
  add('utf-16be unicodefffe x-utf-16be ibm-1200 ibm-1201 ibm-13488 ibm-17584', W('utf-16be'));
  add('utf-16le unicodefeff x-utf-16le ibm-1202 ibm-13490 ibm-17586', W('utf-16le'));
  add('utf-7 unicode-1-1-utf-7 unicode-2-0-utf-7', { kind: 'utf-7' });
  add('imap-mailbox-name', { kind: 'utf-7', imap: true });
  add('us-ascii ascii ansi_x3.4-1968 ansi_x3.4-1986 iso_646.irv:1991 iso646-us us csascii ibm-367 cp367 646', {
    kind: 'us-ascii',
  });
  add('iso-8859-1 iso_8859-1:1987 latin1 l1 ibm819 cp819 csisolatin1 8859_1 ibm-819 iso8859_1 iso8859-1', { kind: 'latin1' });
  for (const [n, extra] of [
    [2, 'latin2 l2 csisolatin2 ibm-912 cp912 912'],
    [3, 'latin3 l3 csisolatin3 ibm-913 cp913'],
    [4, 'latin4 l4 csisolatin4 ibm-914 cp914'],
    [5, 'cyrillic csisolatincyrillic ibm-915 cp915'],
    [6, 'arabic csisolatinarabic ecma-114 asmo-708 ibm-1089 cp1089'],
    [7, 'greek greek8 elot_928 ecma-118 csisolatingreek ibm-813 cp813'],
    [8, 'hebrew csisolatinhebrew ibm-5012 iso-8859-8-i iso-8859-8-e'],
    [9, 'latin5 l5 csisolatin5 ibm-920 cp920'],
    [10, 'latin6 l6 csisolatin6'],
    [13, 'ibm-921 cp921'],
    [14, 'latin8 l8'],
    [15, 'latin-9 latin9 l9 ibm-923 cp923 csisolatin9'],
    [16, 'latin10 l10'],
  ] as const) {
    add(`iso-8859-${n} iso_8859-${n} iso8859_${n} 8859_${n} ${extra}`, n === 9 ? { kind: 'iso-8859-9' } : W(`iso-8859-${n}`));
  }
  add('iso-8859-11 tis-620 windows-874 cp874 ibm-874 ibm-9066 x-ibm874', W('windows-874'));
  for (const n of [1250, 1251, 1252, 1253, 1254, 1255, 1256, 1257, 1258]) {
    const ibm = { 1250: 5346, 1251: 5347, 1252: 5348, 1253: 5349, 1254: 5350, 1255: 9447, 1256: 9448, 1257: 9449, 1258: 5354 }[n];
    add(`windows-${n} cp${n} ibm-${ibm}`, n === 1252 ? { kind: 'windows-1252' } : W(`windows-${n}`));
  }
  add('koi8-r koi8 cskoi8r ibm-878 cp878', W('koi8-r'));
  add('koi8-u ibm-1168', W('koi8-u'));
  add('macintosh mac csmacintosh x-mac-roman macos-0_2-10.2', W('macintosh'));
  add('x-mac-cyrillic mac-cyrillic macos-7_3-10.2 x-mac-ukrainian', W('x-mac-cyrillic'));
  add('windows-31j cp932 ms932 shift_jis sjis x-sjis ms_kanji csshiftjis csWindows31J ibm-943 ibm-943_p15a-2003 x-ms-cp932 pck', W('shift_jis'));
  add('euc-jp eucjp x-euc-jp cseucpkdfmtjapanese extended_unix_code_packed_format_for_japanese ibm-33722 ibm-954 ujis', W('euc-jp'));
  add('iso-2022-jp csiso2022jp iso2022jp', W('iso-2022-jp'));
  add('euc-kr euckr cseuckr ibm-970 ks_c_5601-1987 ks_c_5601-1989 ksc_5601 ksc5601 csksc56011987 korean iso-ir-149 windows-949 cp949 ms949 x-windows-949 5601 uhc', W('euc-kr'));
  add('windows-936 cp936 ms936 gbk x-gbk gb2312 csgb2312 euc-cn euccn x-euc-cn gb_2312-80 chinese iso-ir-58 csiso58gb231280 ibm-1386 windows-936-2000', W('gbk'));
  add('gb18030 ibm-1392 windows-54936', W('gb18030'));
  add('big5 csbig5 windows-950 x-big5 cp950 ms950 x-windows-950 big5-hkscs big5hk hkscs-big5 ibm-1373 ibm-950', W('big5'));
  add('ibm-866 cp866 866 ibm866 csibm866', W('ibm866'));
  return m;
}

/** ICU compares converter names ignoring case and the separators '-', '_', ' ', '.'. */
export function icuNormalise(name: string): string {
  return name.toLowerCase().replace(/[-_ .]/g, '');
}

export interface CharsetTables {
  /** Cyrus alias table (lowercased alias → canonical). */
  aliases: Readonly<Record<string, string>>;
  /** Names the ICU build opens (icuNormalise(name) → decoder). */
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
  const spec = tables.icu.get(icuNormalise(canon ?? name));
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

// windows-1252 0x80–0x9F; the five unassigned bytes map to the C1 controls as in ICU and WHATWG.
const CP1252_HIGH = Array.from(
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
    '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178',
);

const whatwg = new Map<string, InstanceType<typeof TextDecoder>>();

/** Decodes one flushed batch of bytes the way the ICU converter would. */
export function decodeIcu(spec: DecoderSpec, bytes: Buffer): string {
  switch (spec.kind) {
    case 'latin1':
      return bytes.toString('latin1');
    case 'windows-1252': {
      let out = '';
      for (const c of bytes) out += c >= 0x80 && c < 0xa0 ? CP1252_HIGH[c - 0x80] : String.fromCharCode(c);
      return out;
    }
    case 'iso-8859-9': {
      let out = '';
      const d = decodeIcu(W('windows-1254'), bytes);
      let i = 0;
      for (const ch of d) out += bytes[i] !== undefined && bytes[i]! >= 0x80 && bytes[i]! < 0xa0 ? String.fromCharCode(bytes[i++]!) : (i++, ch);
      return out;
    }
    case 'utf-16': {
      if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return utf16(bytes.subarray(2), 'le');
      if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return utf16(bytes.subarray(2), 'be');
      return utf16(bytes, 'be');
    }
    case 'utf-7':
      return decodeUtf7(bytes, spec.imap === true);
    case 'whatwg': {
      if (spec.label === 'utf-16be' || spec.label === 'utf-16le') return utf16(bytes, spec.label === 'utf-16be' ? 'be' : 'le');
      let d = whatwg.get(spec.label);
      if (!d) {
        d = new TextDecoder(spec.label, { fatal: false, ignoreBOM: true });
        whatwg.set(spec.label, d);
      }
      return d.decode(bytes);
    }
    default:
      return bytes.toString('latin1');
  }
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

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** RFC 2152 UTF-7 (and IMAP's modified form), lenient like ICU: bad bytes become U+FFFD. */
function decodeUtf7(b: Buffer, imap: boolean): string {
  const shift = imap ? 0x26 : 0x2b; // '&' or '+'
  const alphabet = imap ? B64.replace('/', ',') : B64;
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c !== shift) {
      out += c < 0x80 ? String.fromCharCode(c) : '\ufffd';
      i++;
      continue;
    }
    i++;
    if (i < b.length && b[i] === 0x2d) {
      out += String.fromCharCode(shift);
      i++;
      continue;
    }
    let bits = 0;
    let nbits = 0;
    let units = '';
    while (i < b.length) {
      const v = alphabet.indexOf(String.fromCharCode(b[i]!));
      if (v < 0) break;
      bits = ((bits << 6) | v) & 0xffffff;
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        units += String.fromCharCode((bits >> nbits) & 0xffff);
      }
      i++;
    }
    out += units;
    if (i < b.length && b[i] === 0x2d) i++;
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
