// Everything outside the message file that changes what Cyrus derives from it: imapd.conf
// settings, the process time zone, the cache version being reproduced, and our own safety caps.
import { defaultCharsetTables, type CharsetTables } from './charset.js';
import { DATE_HIGH_BYTE_CLASSES } from './datetime.js';
import { charsetTables2x } from './section-v3.js';

/**
 * Cache versions whose item contents we reproduce, each from the parser of the releases that
 * write it (imap/message.c, lib/parseaddr.c, lib/charset.c diffed across release tags):
 *   3: Cyrus 2.4 (index v12) and 2.5 (index v13; which one: ParseOptions.indexVersion, default
 *      2.5). Against 3.0: SECTION parts carry one charset/encoding word (2.4: its own charset
 *      number; 2.5 loses it to a shift bug), no name, GUID or sizes; the first Content-Type,
 *      -Disposition, -Transfer-Encoding and string header wins, address headers append; a bad
 *      parameter ends the list; '@' ends an address domain; cached header names are scanned for
 *      31 bytes; charsets are 2.x's own (alias files, GB2312 and ISO-2022-JP tables, lenient
 *      UTF-8; everything else unknown); the index size is the parsed size. 2.4 also: SUBJECT and
 *      address names in its search form (search-form-24.ts), a missing Subject: is "", its own
 *      Date: parser (comments skipped), header lines cut at a NUL.
 *   6: Cyrus 3.0.x. Against 3.2 (v10, index 16): SECTION has no decoded size or content lines;
 *      a charset is named by 3.0's alias table's canonical name, else by ICU's internal converter
 *      name (ICU 66 data); content GUIDs have a CRC-32 of type, subtype and that name XORed in;
 *      3.0's cached-header list (Message-ID, ARC-*, Authentication-Results... still cached) and
 *      alias table (iso-8859-1 is not windows-1252); Date: by parse_rfc822 (sentdate = local
 *      noon); RFC 2047 words scanned by strchr and decoded one by one; strict parameter tokens;
 *      base64 '=' ignored; no encoded Content-Type; no backslash-CR-LF rescue in addresses.
 *  10: Cyrus 3.2 and 3.4. Against 3.6: the first charset parameter decides; FROM/TO/CC/BCC names
 *      are never quoted; a Date: before 1970 is kept as a negative time. 3.2 (index v16) also:
 *      only BOUNDARY (not BOUNDARY*) names a boundary, a 1-byte part before a boundary underflows
 *      its size, a CR or LF inside a quoted phrase of an address ends the address list. Which of
 *      3.2/3.4 applies: ParseOptions.indexVersion (default 3.4).
 *  11: Cyrus 3.6–3.10 (defaults are Debian 12's 3.6.1 build: ICU 72 and its Date: quirk; a
 *      3.10 on ICU 73+ needs charsets: defaultCharsetTables('icu76'), see Rules too).
 *  13: Cyrus 3.12. Against 11: 8-bit bytes stay in address domains; message/global is parsed and
 *      written like message/rfc822; a message/* part keeps its Content-Transfer-Encoding (SECTION
 *      encoding, decoded size and content GUID); an unparsable Content-Type becomes
 *      "application/octet-stream" (lower case, unlike parsed types) instead of the default type.
 * 3 matches real 2.4.18 (Ubuntu xenial) and 2.5.10 (bionic) on the 881-message corpus, every
 * field and item (test/message/oracle-2.x.test.ts); 2.5's Date: has 3.0's per-process case.
 * 10, 11 and 13 match real Cyrus 3.2.6, 3.4.3, 3.6.1, 3.10.2 and 3.12.4 byte for byte on an
 * 881-message corpus and ~600 crafted messages (test/message/oracle*.test.ts); 6 matches real
 * 3.0.13 (Ubuntu 20.04, ICU 66) on the corpus and 642 crafted messages, every field and item
 * (test/message/oracle-3.0.test.ts), save one undefined behaviour of 3.0 that differs per process
 * (Rules.rfc822UnterminatedParses; such records get a warning).
 * Refused: 12 (only 3.12 development snapshots wrote it); 4–5 (between 2.5 and 3.0.0, not ported);
 * 2 and below (before 2.4).
 */
export const SUPPORTED_CACHE_VERSIONS = [3, 6, 10, 11, 13] as const;

/** Ported rules not yet proven byte for byte against a real release: refused unless
 *  ParseOptions.allowUnproven (none at present; v6 was until test/message/oracle-3.0.test.ts). */
export const UNPROVEN_CACHE_VERSIONS: readonly number[] = [];

/** The parser behaviours that differ between the releases we reproduce (see above). */
export interface Rules {
  /** 3.6+: the last known charset parameter wins (3.2/3.4: the first one decides). */
  lastKnownCharset: boolean;
  /** 3.6+: search-form address names that are not atext are quoted. */
  quoteSearchNames: boolean;
  /** 3.4+: BOUNDARY* (RFC 2231) names a multipart boundary. */
  boundaryStar: boolean;
  /** 3.4+: a boundary takes the preceding CR LF only from content of 2+ bytes (3.2: of 1+). */
  boundaryNeedsTwo: boolean;
  /** 3.4+: CR/LF in a quoted address phrase become SP, other controls but HT vanish (3.2: fail). */
  quotedPhraseControls: boolean;
  /** 3.2/3.4: a Date: before 1970 gives a negative sentdate/gmtime (3.6+: treated as unparsable). */
  negativeDates: boolean;
  /** 3.12: bytes >= 0x80 belong to an address domain. */
  utf8Domains: boolean;
  /** 3.12: MESSAGE/GLOBAL is handled as MESSAGE/RFC822. */
  messageGlobal: boolean;
  /** 3.12: MESSAGE/* parts keep their transfer encoding (3.6–3.10 force none). */
  messageEncoding: boolean;
  /** 3.12: a Content-Type that does not parse becomes application/octet-stream. */
  badTypeIsOctetStream: boolean;
  /** What lib/times.c reads (out of bounds, so per build) as the class of bytes 0x80–0xFF in a
   *  Date: header. Default per version: Debian 11's 3.2.6 or Ubuntu 22.04's 3.4.3 (v10 by index
   *  version), Debian 12's 3.6.1 (for all of v11;
   *  Debian 13's 3.10.2 reads other bytes: DATE_HIGH_BYTE_CLASSES['debian13-3.10.2']), sid's
   *  3.12.4. Other builds of the same release may read yet other bytes. */
  dateHighByteClasses: readonly number[];
  /** 3.2+ (cache v8/v9): each SECTION part entry ends with the decoded size and content lines. */
  sectionSizes: boolean;
  /** 3.0: SECTION names a charset by the alias table's canonical name, else by ICU's internal
   *  converter name (3.2+: the name as the message wrote it). Needs CharsetTables.converterNames. */
  converterNames: boolean;
  /** 3.0: a part's content GUID has the CRC-32 of type, subtype and charset name XORed into its
   *  last four bytes (read big-endian, stored little-endian, as x86 builds do). */
  permutedContentGuid: boolean;
  /** 3.0: the cached-header list of imap/mailbox.c (message-id, ARC and Authentication-Results
   *  headers, Received-SPF, Archived-At and the Topicbox/Listbox headers were still cached). */
  cachedHeaders30: boolean;
  /** 3.0: Date: read by parse_rfc822 (datetime-rfc822.ts: fixed layout, sentdate at local noon,
   *  no time = 12:00 UTC, unknown zone = UTC, before 1970 fails) instead of time_from_rfc5322. */
  rfc822Dates: boolean;
  /** 3.0 only (undefined behaviour): a Date: ending right after its year or its time parses
   *  (true) or fails (false). Decided per reconstruct/imapd process by where its heap lies;
   *  default false, as real 3.0.13 did in our recorded run (datetime-rfc822.ts). */
  rfc822UnterminatedParses: boolean;
  /** 3.0: RFC 2047 words found by plain '?' scans and each decoded afresh (mimeheader.ts). */
  rfc2047Words30: boolean;
  /** 3.0: unquoted parameter values are strict tokens (fields.ts parseParams). */
  strictParamTokens: boolean;
  /** 3.2+: a Content-Type value starting "=?" is RFC 2047-decoded first (old Mail.app). */
  encodedContentType: boolean;
  /** 3.2+: a base64 '=' restarts the quantum (3.0 skips it like any non-alphabet byte). */
  base64PadResets: boolean;
  /** 3.2+: a backslash before CR LF inside a quoted address phrase is ignored (3.0: fails). */
  quotedBackslashCrlf: boolean;
  /** Cache v3 (2.4/2.5): a SECTION part is its offsets and one charset/encoding word (no charset
   *  name, no content GUID; section-v3.ts). */
  sectionWordsOnly: boolean;
  /** 2.x: the first Content-Type / -Disposition / -Transfer-Encoding that parses and the first
   *  of each string header count, later ones are ignored; address headers append (3.0+: the
   *  last one wins). */
  firstHeaderWins: boolean;
  /** 2.x: a parameter that does not parse ends the parameter list (3.0: skipped to the next ';'). */
  badParamEndsList: boolean;
  /** 2.x: an '@' in an address's domain ends the domain (3.0+: part of a garbage domain). */
  atEndsDomain: boolean;
  /** How many bytes of a line mailbox_cached_header_inline scans for the ':' ending a header
   *  name (2.x: 31, 3.0+: 32); a longer name is not cached. */
  cachedHeaderNameScan: number;
  /** 2.4: Date: read by message_parse_date, which skips comments like white space (and has no
   *  undefined behaviour at the end of the value). */
  rfc822DateComments: boolean;
  /** 2.x: the index record's size is header + content size as parsed (3.0+: the file size);
   *  they differ only where a NUL byte cut the parse short (a release bug). */
  sizeFromParse: boolean;
  /** 2.4: each header line is kept only up to its first NUL (3.0+ and 2.5: the whole header
   *  block is cut at its first NUL). */
  headerLinesCutAtNul: boolean;
  /** 2.4: SUBJECT and address names are stored in 2.4's search form (search-form-24.ts). */
  searchForm24: boolean;
  /** 2.4: that word holds 2.4's own charset number (2.5 loses it to a shift bug). */
  charsetNumbers: boolean;
}

export function rulesFor(cacheVersion: number, indexVersion?: number): Rules {
  const v30 = cacheVersion < 10;
  const v2x = cacheVersion < 6;
  const v24 = v2x && indexVersion !== undefined && indexVersion <= 12;
  const v34 = cacheVersion > 10 || (!v30 && (indexVersion === undefined || indexVersion >= 17));
  const v312 = cacheVersion >= 13;
  return {
    lastKnownCharset: cacheVersion >= 11,
    quoteSearchNames: cacheVersion >= 11,
    boundaryStar: v34,
    boundaryNeedsTwo: v34,
    quotedPhraseControls: v34,
    negativeDates: cacheVersion < 11,
    utf8Domains: v312,
    messageGlobal: v312,
    messageEncoding: v312,
    badTypeIsOctetStream: v312,
    dateHighByteClasses:
      DATE_HIGH_BYTE_CLASSES[v312 ? 'debian-sid-3.12.4' : cacheVersion >= 11 ? 'debian12-3.6.1' : v34 ? 'ubuntu2204-3.4.3' : 'debian11-3.2.6']!,
    sectionSizes: !v30,
    converterNames: v30,
    permutedContentGuid: v30,
    cachedHeaders30: v30,
    rfc822Dates: v30,
    rfc822UnterminatedParses: false,
    rfc2047Words30: v30,
    strictParamTokens: v30,
    encodedContentType: !v30,
    base64PadResets: !v30,
    quotedBackslashCrlf: !v30,
    sectionWordsOnly: v2x,
    firstHeaderWins: v2x,
    badParamEndsList: v2x,
    atEndsDomain: v2x,
    sizeFromParse: v2x,
    cachedHeaderNameScan: v2x ? 31 : 32,
    charsetNumbers: v24,
    searchForm24: v24,
    headerLinesCutAtNul: v24,
    rfc822DateComments: v24,
  };
}

export interface ParseOptions {
  /** cache_version to produce (default 11, Cyrus 3.6). */
  cacheVersion?: number;
  /** cyrus.index minor version of the mailbox. Only matters for cache version 10, written by
   *  Cyrus 3.2 (index 16) and 3.4 (index 17): 16 selects 3.2's parser, anything else 3.4's; and
   *  for cache version 3, written by 2.4 (index 12 or below) and 2.5 (13, the default). */
  indexVersion?: number;
  /** Also accept UNPROVEN_CACHE_VERSIONS (ported rules that do not yet match real Cyrus fully). */
  allowUnproven?: boolean;
  /** Overrides of single release behaviours (tests, or a patched Cyrus); default from the versions. */
  rules?: Partial<Rules>;
  /** imapd.conf maxheaderlines (default 1000; 0 = unlimited). */
  maxHeaderLines?: number;
  /** imapd.conf boundary_limit (default 1000; 0 = unlimited). */
  boundaryLimit?: number;
  /** imapd.conf rfc2046_strict (default false). */
  rfc2046Strict?: boolean;
  /** imapd.conf rfc2047_utf8 (default false). */
  rfc2047Utf8?: boolean;
  /** IANA zone of the Cyrus process that parsed the message: decides sentdate (default UTC). */
  timeZone?: string;
  /** Charset alias table and known-converter table (default: Cyrus's aliases + ICU 72, or
   *  ICU 76 for cache version 13; defaultCharsetTables('icu76') for a 3.10 built on ICU 73+). */
  charsets?: CharsetTables;
  /** Our cap on one header block held in memory (default 16 MiB); beyond it only counting. */
  maxHeaderBytes?: number;
  /** Our cap on MIME nesting (multipart + message/rfc822 levels; default 2500). */
  maxDepth?: number;
}

export type ResolvedOptions = Required<Omit<ParseOptions, 'indexVersion' | 'rules' | 'allowUnproven'>> & { rules: Rules };

export class UnsupportedCacheVersionError extends Error {
  override readonly name = 'UnsupportedCacheVersionError';
  constructor(readonly cacheVersion: number) {
    super(`cache version ${cacheVersion} cannot be reproduced (supported: ${SUPPORTED_CACHE_VERSIONS.join(', ')})`);
  }
}

export function resolveOptions(o: ParseOptions = {}): ResolvedOptions {
  const cacheVersion = o.cacheVersion ?? 11;
  const unproven = o.allowUnproven && (UNPROVEN_CACHE_VERSIONS as readonly number[]).includes(cacheVersion);
  if (!unproven && !(SUPPORTED_CACHE_VERSIONS as readonly number[]).includes(cacheVersion)) throw new UnsupportedCacheVersionError(cacheVersion);
  return {
    cacheVersion,
    rules: { ...rulesFor(cacheVersion, o.indexVersion), ...o.rules },
    maxHeaderLines: o.maxHeaderLines ?? 1000,
    boundaryLimit: o.boundaryLimit ?? 1000,
    rfc2046Strict: o.rfc2046Strict ?? false,
    rfc2047Utf8: o.rfc2047Utf8 ?? false,
    timeZone: o.timeZone ?? 'UTC',
    // The ICU of the Debian build we matched per version (v11: 3.6.1's ICU 72; 3.10.2 has 76).
    charsets:
      o.charsets ??
      (cacheVersion < 6
        ? charsetTables2x(o.indexVersion !== undefined && o.indexVersion <= 12 ? '2.4' : '2.5')
        : defaultCharsetTables(cacheVersion >= 13 ? 'icu76' : cacheVersion >= 10 ? 'icu72' : 'icu66')),
    maxHeaderBytes: o.maxHeaderBytes ?? 16 * 1024 * 1024,
    maxDepth: o.maxDepth ?? 2500,
  };
}
