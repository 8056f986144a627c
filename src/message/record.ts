// What Cyrus would put in the index record and the cache record for a message file
// (message_create_record): the public entry point for check/repair and the parse worker.
import { parseRfc822Date } from './datetime-rfc822.js';
import { encodeCacheRecord, encodedCacheCrc, type CacheItems } from '../format/cache.js';
import { parseDateHeader, toIndexTime } from './datetime.js';
import { MessageParseError, parseMessage, type ParsedMessage } from './parse.js';
import { BufferSource, FileSource, type ByteSource } from './source.js';
import { resolveOptions, type ParseOptions } from './options.js';
import { cacheItems } from './write.js';

export interface ExpectedRecordFields {
  /** File length (3.x `size`). */
  size: number;
  headerSize: number;
  /** Root content lines: 2.x stored them at offset 52 of v6–v14 records (3.x writes 0 there);
   *  Cyrus 3.x keeps them only in the SECTION item. */
  contentLines: number;
  /** header_size + content_size of the root: what 2.4 stored as `size` (differs from the file
   *  length only when a NUL cuts the header block short). */
  parsedSize: number;
  /** From the Date: header, 32-bit as stored; 0 = Cyrus would fall back to internaldate. */
  sentdate: number;
  gmtime: number;
  /** SHA-1 of the file, 40 lowercase hex digits. */
  guid: string;
  cacheVersion: number;
  cacheCrc: number;
}

export interface ExpectedCacheRecord {
  record: ExpectedRecordFields;
  items: CacheItems;
  /** The encoded cache record (what cyrus.cache holds at cache_offset). */
  cacheRecord: Buffer;
  /** Parser notes Cyrus would have logged (limits hit, size mismatch). */
  warnings: string[];
}

/** Derives index fields and cache items from an already parsed message. */
export function recordFromParsed(parsed: ParsedMessage, options: ParseOptions = {}): ExpectedCacheRecord {
  const opts = resolveOptions(options);
  const root = parsed.root;
  const warnings = [...parsed.warnings];
  let dates: { sentdate: number; gmtime: number };
  if (opts.rules.rfc822Dates) {
    const d = parseRfc822Date(root.date, opts.timeZone, opts.rules.rfc822UnterminatedParses, opts.rules.rfc822DateComments);
    if (d.processDependent) {
      warnings.push('Date: ends after its year or time: Cyrus 3.0 parses or rejects it depending on the process (rules.rfc822UnterminatedParses)');
    }
    dates = d;
  } else dates = parseDateHeader(root.date, opts.timeZone, opts.rules.negativeDates, opts.rules.dateHighByteClasses);
  const items = cacheItems(root, opts);
  const cacheRecord = encodeCacheRecord(items);
  return {
    record: {
      // 2.x stored the parsed size (3.0+: the file's), wrong for a file a NUL cuts short.
      size: opts.rules.sizeFromParse ? root.headerSize + root.contentSize : parsed.size,
      headerSize: root.headerSize,
      contentLines: root.contentLines,
      parsedSize: root.headerSize + root.contentSize,
      sentdate: toIndexTime(dates.sentdate),
      gmtime: toIndexTime(dates.gmtime),
      guid: parsed.guid.toString('hex'),
      cacheVersion: opts.cacheVersion,
      cacheCrc: encodedCacheCrc(cacheRecord),
    },
    items,
    cacheRecord,
    warnings,
  };
}

/**
 * The cache record and index fields Cyrus would write for a message, from a path (read in
 * bounded memory), a Buffer, or any ByteSource. Throws MessageParseError for an empty file or
 * nesting beyond options.maxDepth, UnsupportedCacheVersionError for a version we cannot
 * reproduce, and the fs error if the file cannot be read.
 */
export function expectedCacheRecord(input: string | Buffer | ByteSource, options: ParseOptions = {}): ExpectedCacheRecord {
  const src = typeof input === 'string' ? new FileSource(input) : Buffer.isBuffer(input) ? new BufferSource(input) : input;
  try {
    return recordFromParsed(parseMessage(src, options), options);
  } catch (e) {
    // A stack overflow can only come from nesting; report it as such rather than crash.
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new MessageParseError('TOO_DEEP', 'MIME nesting too deep for this process stack', 0);
    }
    throw e;
  } finally {
    if (typeof input === 'string') src.close();
  }
}
