// What Cyrus derives from a message file, reproduced byte for byte (issue 5).
//
// Public API:
//   expectedCacheRecord(path | Buffer | ByteSource, options?) → { record, items, cacheRecord, warnings }
//       record: size, headerSize, contentLines, parsedSize, sentdate, gmtime (32-bit as stored; 0 =
//       Cyrus falls back to internaldate, see withFallbacks), guid (hex), cacheVersion, cacheCrc.
//       items: the ten cache items (format/cache.ts CacheItems); cacheRecord: the encoded record.
//       Throws MessageParseError (EMPTY, TOO_DEEP), UnsupportedCacheVersionError, fs errors.
//   parseMessage(source, options?) → ParsedMessage (the MIME tree) and recordFromParsed(parsed, options?)
//   parseDateHeader(value, timeZone, negativeDates?, highByteClasses?), withFallbacks(dates,
//       internaldate, timeZone), toIndexTime(t); DATE_HIGH_BYTE_CLASSES (per Cyrus build)
//   decodeMimeHeader(bytes, options?) → UTF-8 (RFC 2047, as charset_parse_mimeheader)
//   lookupCharset(name, tables?) → Charset | undefined ("known" as Cyrus + ICU decide)
//   ParseOptions: cacheVersion (6 Cyrus 3.0 | 10 Cyrus 3.2/3.4 | 11 Cyrus 3.6–3.10 | 13 Cyrus 3.12; others throw
//       UnsupportedCacheVersionError), indexVersion (cyrus.index minor version: with cache 10,
//       16 = Cyrus 3.2, else 3.4), rules (override single release behaviours, see Rules),
//       maxHeaderLines, boundaryLimit, rfc2046Strict, rfc2047Utf8, timeZone (IANA, the Cyrus
//       host's), charsets (defaultCharsetTables('icu66' | 'icu72' | 'icu76'); default by version;
//       'icu66' also carries Cyrus 3.0's alias table and ICU's converter names),
//       maxHeaderBytes, maxDepth.
//   rulesFor(cacheVersion, indexVersion?) → Rules: what differs between those releases.
//   FileSource / BufferSource: streaming byte sources (bounded memory for any file size).
export { expectedCacheRecord, recordFromParsed, type ExpectedCacheRecord, type ExpectedRecordFields } from './record.js';
export { parseMessage, partCharset, MessageParseError, type Body, type ParsedMessage } from './parse.js';
export { parseDateHeader, toIndexTime, withFallbacks, DATE_HIGH_BYTE_CLASSES, type DateResult } from './datetime.js';
export { decodeMimeHeader, type MimeHeaderOptions } from './mimeheader.js';
export { lookupCharset, defaultCharsetTables, CYRUS_ALIASES, CYRUS30_ALIASES, type Charset, type CharsetTables, type IcuGeneration } from './charset.js';
export { resolveOptions, rulesFor, SUPPORTED_CACHE_VERSIONS, UNPROVEN_CACHE_VERSIONS, UnsupportedCacheVersionError, type ParseOptions, type Rules } from './options.js';
export { BufferSource, FileSource, type ByteSource } from './source.js';
export { parseAddressList, type Address, type AddressRules } from './address.js';
