// Cache version 3 (Cyrus 2.4 / 2.5) SECTION part words. Each part is described by one 32-bit
// word after its offsets: no charset name, no content GUID, no decoded sizes (those came in v4+).
// 2.4 packs (charset number << 16) | encoding, the charset number being the position in 2.4's
// built-in charset table (lib/mkchartable.pl's fixed list; -1 = none or unknown); 2.5 meant to do
// the same but shifts the charset the wrong way, so only the encoding byte survives.
import type { Body } from './body.js';
import { isType, NO_TYPE, partCharset } from './body.js';
import { B, cstr, eqIgnoreCase } from './bytes.js';
import type { ResolvedOptions } from './options.js';
import { defaultCharsetTables, icuNormalise, type CharsetTables, type DecoderSpec } from './charset.js';

/** 2.4's chartables_charset_table, in order: a part's charset number is its index here. */
const CHARSETS_24 = [
  'us-ascii', 'utf-8', 'utf-7', 'iso-8859-1', 'iso-8859-2', 'iso-8859-3', 'iso-8859-4', 'iso-8859-5',
  'iso-8859-6', 'iso-8859-7', 'iso-8859-8', 'iso-8859-9', 'koi8-r', 'iso-2022-jp', 'iso-2022-kr',
  'gb2312', 'big5', 'unicode-1-1-utf-7', 'unicode-2-0-utf-7', 'x-unicode-2-0-utf-7', 'iso-8859-15',
  'windows-1252', 'windows-1256', 'windows-1250', 'windows-1251', 'windows-1255', 'iso-8859-10',
  'iso-8859-11', 'iso-8859-13', 'iso-8859-14', 'iso-8859-16',
];

/** 2.4's charset_aliases (lib/charset/aliases.txt, byte-sorted; the first case-insensitive match
 *  is taken once, not followed further: "unicode-1-1-utf-8" → "utf8", which is no charset). */
const ALIASES_24: readonly (readonly [string, string])[] = [
  ['1250', 'windows-1250'],
  ['1251', 'windows-1251'],
  ['1252', 'windows-1252'],
  ['1255', 'windows-1255'],
  ['1256', 'windows-1256'],
  ['646', 'iso-8859-1'],
  ['8859_1', 'iso-8859-1'],
  ['8859_2', 'iso-8859-2'],
  ['ASMO-708', 'iso-8859-6'],
  ['ISO-8859', 'iso-8859-1'],
  ['ISO8859_15_FDIS', 'iso-8859-15'],
  ['ISO_8859', 'iso-8859-1'],
  ['ISO_8859_1', 'iso-8859-1'],
  ['WIN-KOI8', 'koi8-r'],
  ['auto', 'iso-8859-1'],
  ['cp1250', 'windows-1250'],
  ['cp1251', 'windows-1251'],
  ['cp1252', 'windows-1252'],
  ['cp1255', 'windows-1255'],
  ['cp1256', 'windows-1256'],
  ['en_GB', 'iso-8859-1'],
  ['greek-ccitt', 'iso-8859-7'],
  ['iso-8859-8-i', 'iso-8859-8'],
  ['latin1', 'iso-8859-1'],
  ['mac', 'iso-8859-1'],
  ['macintosh', 'iso-8859-1'],
  ['none', 'iso-8859-1'],
  ['so-8859-1', 'iso-8859-1'],
  ['tis-620', 'iso-8859-11'],
  ['unicode-1-1-utf-8', 'utf8'],
  ['unknown', 'iso-8859-1'],
  ['unknown-8bit', 'iso-8859-1'],
  ['utf7', 'utf-7'],
  ['utf8', 'utf-8'],
  ['win-1250', 'windows-1250'],
  ['win-1251', 'windows-1251'],
  ['win-1252', 'windows-1252'],
  ['win-1255', 'windows-1255'],
  ['win-1256', 'windows-1256'],
  ['x-mac-roman', 'iso-8859-1'],
  ['x-mac-turkish', 'iso-8859-9'],
  ['x-unknown', 'iso-8859-1'],
  ['x-user-defined', 'iso-8859-1'],
];

/** 2.5's alias file (more spellings; "unicode-1-1-utf-8" fixed to "utf-8"). */
const ALIASES_25: readonly (readonly [string, string])[] = [
  ['1250', 'windows-1250'],
  ['1251', 'windows-1251'],
  ['1252', 'windows-1252'],
  ['1254', 'windows-1254'],
  ['1255', 'windows-1255'],
  ['1256', 'windows-1256'],
  ['1258', 'windows-1258'],
  ['646', 'iso-8859-1'],
  ['8859-1', 'iso-8859-1'],
  ['8859_1', 'iso-8859-1'],
  ['8859_2', 'iso-8859-2'],
  ['ANSI_X3.4-1968', 'us-ascii'],
  ['ASMO-708', 'iso-8859-6'],
  ['Any', 'iso-8859-1'],
  ['DISPLAY', 'iso-8859-1'],
  ['ISO-8859', 'iso-8859-1'],
  ['ISO646-US', 'iso-8859-1'],
  ['ISO8859-1', 'iso-8859-1'],
  ['ISO8859-15', 'iso-8859-15'],
  ['ISO8859_15_FDIS', 'iso-8859-15'],
  ['ISO_8859', 'iso-8859-1'],
  ['ISO_8859_1', 'iso-8859-1'],
  ['WIN-KOI8', 'koi8-r'],
  ['ascii', 'us-ascii'],
  ['auto', 'iso-8859-1'],
  ['cp1250', 'windows-1250'],
  ['cp1251', 'windows-1251'],
  ['cp1252', 'windows-1252'],
  ['cp1254', 'windows-1254'],
  ['cp1255', 'windows-1255'],
  ['cp1256', 'windows-1256'],
  ['cp1258', 'windows-1258'],
  ['en_GB', 'iso-8859-1'],
  ['greek-ccitt', 'iso-8859-7'],
  ['iso-8859-8-i', 'iso-8859-8'],
  ['latin1', 'iso-8859-1'],
  ['mac', 'iso-8859-1'],
  ['macintosh', 'iso-8859-1'],
  ['none', 'iso-8859-1'],
  ['so-8859-1', 'iso-8859-1'],
  ['tis-620', 'iso-8859-11'],
  ['unicode-1-1-utf-8', 'utf-8'],
  ['unknown', 'iso-8859-1'],
  ['unknown-8bit', 'iso-8859-1'],
  ['utf7', 'utf-7'],
  ['utf8', 'utf-8'],
  ['win-1250', 'windows-1250'],
  ['win-1251', 'windows-1251'],
  ['win-1252', 'windows-1252'],
  ['win-1254', 'windows-1254'],
  ['win-1255', 'windows-1255'],
  ['win-1256', 'windows-1256'],
  ['win-1258', 'windows-1258'],
  ['x-mac-roman', 'iso-8859-1'],
  ['x-mac-turkish', 'iso-8859-9'],
  ['x-unknown', 'iso-8859-1'],
  ['x-user-defined', 'iso-8859-1'],
];

/** 2.5's table: 2.4's plus three Windows code pages. */
const CHARSETS_25 = [...CHARSETS_24, 'windows-1254', 'windows-1258', 'windows-874'];

const tablesByRelease = new Map<string, CharsetTables>();

/**
 * The charsets 2.x decodes (its own built-in tables, no ICU): the names of its table, reached
 * exactly or by one alias step; GB2312 and ISO-2022-JP by 2.x's own tables, the others by the
 * same-named ICU decoder (single-byte tables agree; Big5 and ISO-2022-KR are not checked against
 * 2.x's tables); any other name is unknown (one U+FFFD per encoded word).
 */
export function charsetTables2x(release: '2.4' | '2.5'): CharsetTables {
  let t = tablesByRelease.get(release);
  if (t) return t;
  const icu66 = defaultCharsetTables('icu66').icu;
  const icu = new Map<string, DecoderSpec>();
  for (const name of release === '2.4' ? CHARSETS_24 : CHARSETS_25) {
    const spec: DecoderSpec | undefined =
      name === 'gb2312' || name === 'iso-2022-jp' ? { kind: 'table2x', table: name } : (icu66.get(name) ?? icu66.get(`~${icuNormalise(name)}`));
    if (spec) icu.set(name, spec);
  }
  const aliases: Record<string, string> = {};
  for (const [a, c] of release === '2.4' ? ALIASES_24 : ALIASES_25) {
    const k = a.toLowerCase();
    if (!Object.hasOwn(aliases, k)) aliases[k] = c; // the first case-insensitive match wins
  }
  t = { aliases, icu, lenientUtf8: true };
  tablesByRelease.set(release, t);
  return t;
}

/** charset_lookupname of 2.4: alias once, then the table; -1 when unknown. */
export function charsetNumber24(name: string): number {
  let n = name.toLowerCase();
  const alias = ALIASES_24.find(([a]) => a.toLowerCase() === n);
  if (alias) n = alias[1].toLowerCase();
  return CHARSETS_24.indexOf(n);
}

/** message_parse_charset of 2.x: TEXT (or no type) takes the first charset parameter, even an
 *  empty or unknown one; MESSAGE/RFC822 and non-TEXT, non-MESSAGE types have none (-1); other
 *  MESSAGE/* keep us-ascii (0). Encoding as in later releases (MESSAGE/* forced to none). */
function charsetNumber(b: Body): number {
  if (b.type === NO_TYPE || isType(b, 'TEXT')) {
    const p = b.params.find((q) => eqIgnoreCase(q.attribute, 'charset'));
    return p ? charsetNumber24(cstr(p.value).toString('latin1')) : 0;
  }
  if (isType(b, 'MESSAGE')) return b.subtype.equals(B('RFC822')) ? -1 : 0;
  return -1;
}

/** The word for a part: message_write_charset of 2.4 (charsetNumbers) or 2.5. */
export function sectionWordV3(b: Body, opts: ResolvedOptions): number {
  const { encoding } = partCharset(b, opts);
  if (!opts.rules.charsetNumbers) return encoding & 0xff;
  return (((charsetNumber(b) << 16) | encoding) >>> 0);
}

/** The word for "no charset" (part 0 of a message, a zero-part multipart): (-1 << 16) | none in
 *  2.4, a literal 0x0000ffff in 2.5. */
export const noCharsetWordV3 = (opts: ResolvedOptions): number => (opts.rules.charsetNumbers ? 0xffff0000 : 0x0000ffff);
