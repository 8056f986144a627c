// Charset lookup and byte→Unicode decoding as Cyrus 3.6 does it (lib/charset.c + ICU).
// Cyrus first maps a name through its alias table (lib/charset/aliases.txt), uses its own
// converters for us-ascii and utf-8, and hands everything else to ICU. We cannot link ICU, so
// "ICU" here is data probed from the real thing (charset-icu-data.ts: which names it opens, and
// every single-byte converter's byte → code point table) plus decoders for the multi-byte
// families (WHATWG TextDecoder where it agrees with ICU, small hand-written ones where it does
// not: BOM-less UTF-16/32, UTF-7, UHC, ISO-2022-KR, HZ). Both tables can be replaced through
// CharsetTables.
import { table2xStep, type Table2x } from './charset-2x-tables.js';
import { ICU_CHARSETS, ICU_LOOSE } from './charset-icu-data.js';
import { decodeIcu } from './charset-decoders.js';
import { ICU66_CONVERTER_NAMES } from './charset-icu66-names.js';

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

/** Cyrus 3.0.x lib/charset/aliases.txt: the ways of saying iso-8859-1 still meant iso-8859-1
 *  (3.2+ take them as windows-1252), x-mac-roman/macintosh among them. */
export const CYRUS30_ALIASES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    (
      [
        ['utf-8', 'utf8 unicode-1-1-utf-8'],
        ['utf-7', 'utf7 unicode-1-1-utf-7'],
        ['IMAP-mailbox-name', 'imap-utf-7'],
        ['us-ascii', 'ascii ANSI_X3.4-1968 usascii'],
        [
          'iso-8859-1',
          'ISO_8859_1 ISO_8859-1 ISO_8859 ISO-8859 8859_1 iso--8859-1 so-8859-1 x-mac-roman macintosh mac en_GB auto ' +
            'unknown unknown-8bit x-unknown x-user-defined x-europa none latin1 ISO8859-1 8859-1 es-iso-8859-1 DISPLAY Any 646 ISO646-US',
        ],
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
        ['windows-1252', '1252 cp1252 cp-1252 win-1252'],
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
  | { kind: 'utf-8'; lenient?: boolean } // Cyrus's own stateful decoder (lenient: 2.x's)
  | { kind: 'table2x'; table: Table2x } // Cyrus 2.x's own multi-byte tables (charset-2x-tables.ts)
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
function icuLookup<T>(icu: ReadonlyMap<string, T>, name: string): T | undefined {
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
  /** Cyrus 2.x: its UTF-8 decoder drops what does not decode instead of writing U+FFFD. */
  lenientUtf8?: boolean;
  /** Cyrus 3.0 only: ICU's internal converter names (ucnv_getName), keyed like `icu`. Present,
   *  a charset outside the alias table is named by its converter (Charset.converterName). */
  converterNames?: ReadonlyMap<string, string>;
}

/**
 * The ICU generations that decode differently: before 73 GB 18030 is the 2005 mapping, from 73
 * the 2022 one. Debian builds: 3.2.6 ICU 67, 3.6.1 ICU 72, 3.10.2 and 3.12.4 ICU 76.
 */
export type IcuGeneration = 'icu66' | 'icu72' | 'icu76';

/** ICU 66's internal converter names in the same keying as icuTable(). */
function converterNameTable(): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(ICU66_CONVERTER_NAMES)) {
    if (k in ICU_LOOSE) {
      m.set(`~${k}`, v);
      continue;
    }
    m.set(k, v);
    const n = `~${icuNormalise(k)}`;
    if (!m.has(n)) m.set(n, v);
  }
  return m;
}

const defaultTables = new Map<IcuGeneration, CharsetTables>();
export function defaultCharsetTables(icu: IcuGeneration = 'icu72'): CharsetTables {
  let t = defaultTables.get(icu);
  if (!t) {
    let map = icuTable();
    if (icu === 'icu76') {
      map = new Map([...map].map(([k, v]): [string, DecoderSpec] => [k, v.kind === 'family' && v.family === 'gb18030' ? { kind: 'family', family: 'gb18030-2022' } : v]));
    }
    t = icu === 'icu66' ? { aliases: CYRUS30_ALIASES, icu: map, converterNames: converterNameTable() } : { aliases: CYRUS_ALIASES, icu: map };
    defaultTables.set(icu, t);
  }
  return t;
}

export interface Charset {
  /** The name as written in the message (Cyrus's alias_name: what SECTION stores). */
  alias: string;
  /** Canonical name used to decide converter sharing between adjacent encoded words. */
  canonical: string;
  decoder: DecoderSpec;
  /** Cyrus 3.0's charset_name: the alias table's canonical name, else ICU's converter name
   *  (only with CharsetTables.converterNames; otherwise the canonical or given name). */
  converterName: string;
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
    if (cl === 'us-ascii') return { alias: name, canonical: 'us-ascii', decoder: { kind: 'us-ascii' }, converterName: canon };
    if (cl === 'utf-8') return { alias: name, canonical: 'utf-8', decoder: tables.lenientUtf8 ? { kind: 'utf-8', lenient: true } : { kind: 'utf-8' }, converterName: canon };
  }
  const spec = icuLookup(tables.icu, canon ?? name);
  if (!spec) return undefined;
  const converterName = canon ?? (tables.converterNames ? icuLookup(tables.converterNames, name) : undefined) ?? name;
  // ICU's converter name is what Cyrus compares; our decoder spec identifies the converter.
  return { alias: name, canonical: JSON.stringify(spec), decoder: spec, converterName };
}

export const U_REPLACEMENT = 0xfffd;

/**
 * A to-Unicode converter in Cyrus's pipeline style: bytes in, code points out. Cyrus's own
 * converters (us-ascii, utf-8) keep state across calls until reset; ICU converters are flushed
 * at the end of every convert_catn, so ICU-backed ones decode each batch independently.
 */
export class ToUnicode {
  bytesLeft = 0;
  codepoint = 0;
  row = 0;
  private pending: number[] = [];
  constructor(
    readonly spec: DecoderSpec,
    private readonly out: (cp: number) => void,
  ) {}

  reset(): void {
    this.bytesLeft = 0;
    this.codepoint = 0;
    this.row = 0;
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
      case 'table2x':
        if (c === U_REPLACEMENT) this.out(c);
        else table2xStep(this.spec.table, this, c, this.out);
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
    if (this.spec.kind === 'us-ascii' || this.spec.kind === 'utf-8' || this.spec.kind === 'table2x') return;
    if (!this.pending.length) return;
    const bytes = Buffer.from(this.pending);
    this.pending = [];
    for (const cp of codePoints(decodeIcu(this.spec, bytes))) this.out(cp);
  }

  private utf8Lenient(c: number): void {
    utf8LenientStep(this, c, this.out);
  }

  // lib/charset.c utf8_2uni: no overlong/surrogate checks here (uni2utf8 replaces the
  // invalid ones), an interrupted sequence yields U+FFFD, a truncated tail is dropped.
  private utf8(c: number): void {
    if (this.spec.kind === 'utf-8' && this.spec.lenient) return this.utf8Lenient(c);
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

// 2.x's utf8_2uni: a lead byte silently abandons an unfinished sequence, a continuation byte
// nobody waits for is dropped, and bytes 0xF8-0xFF pass through as U+00F8-U+00FF.
export function utf8LenientStep(state: { bytesLeft: number; codepoint: number }, c: number, out: (cp: number) => void): void {
  if (c === U_REPLACEMENT) return out(c);
  if ((c & 0xf8) === 0xf0) {
    state.bytesLeft = 3;
    state.codepoint = c & 0x07;
  } else if ((c & 0xf0) === 0xe0) {
    state.bytesLeft = 2;
    state.codepoint = c & 0x0f;
  } else if ((c & 0xe0) === 0xc0) {
    state.bytesLeft = 1;
    state.codepoint = c & 0x1f;
  } else if ((c & 0xc0) === 0x80) {
    if (state.bytesLeft > 0) {
      state.codepoint = state.codepoint * 64 + (c & 0x3f);
      if (--state.bytesLeft === 0) {
        out(state.codepoint);
        state.codepoint = 0;
      }
    }
  } else {
    out(c);
    state.bytesLeft = 0;
    state.codepoint = 0;
  }
}

function* codePoints(s: string): Generator<number> {
  for (const ch of s) yield ch.codePointAt(0)!;
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
