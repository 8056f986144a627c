// Everything outside the message file that changes what Cyrus derives from it: imapd.conf
// settings, the process time zone, the cache version being reproduced, and our own safety caps.
import { defaultCharsetTables, type CharsetTables } from './charset.js';

/**
 * Cache versions whose item contents we reproduce. 11 (Cyrus 3.6–3.10) is validated against real
 * Cyrus output; 10 (3.2–3.4) applies the two differences found in 3.4.9's source (first charset
 * parameter wins; FROM/TO/CC/BCC names never quoted) and is not validated against a real 3.4.
 * 2.4's version 3 needs Cyrus's search normalisation tables, 3.0's 4–6 ICU canonical converter
 * names, 3.12's 12/13 a port of its changed parser: all refused rather than guessed.
 */
export const SUPPORTED_CACHE_VERSIONS = [10, 11] as const;

export interface ParseOptions {
  /** cache_version to produce (default 11, Cyrus 3.6). */
  cacheVersion?: number;
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
  /** Charset alias table and known-converter table (default: Cyrus 3.6.1 + ICU 72). */
  charsets?: CharsetTables;
  /** Our cap on one header block held in memory (default 16 MiB); beyond it only counting. */
  maxHeaderBytes?: number;
  /** Our cap on MIME nesting (multipart + message/rfc822 levels; default 2500). */
  maxDepth?: number;
}

export type ResolvedOptions = Required<ParseOptions>;

export class UnsupportedCacheVersionError extends Error {
  override readonly name = 'UnsupportedCacheVersionError';
  constructor(readonly cacheVersion: number) {
    super(`cache version ${cacheVersion} cannot be reproduced (supported: ${SUPPORTED_CACHE_VERSIONS.join(', ')})`);
  }
}

export function resolveOptions(o: ParseOptions = {}): ResolvedOptions {
  const cacheVersion = o.cacheVersion ?? 11;
  if (!(SUPPORTED_CACHE_VERSIONS as readonly number[]).includes(cacheVersion)) throw new UnsupportedCacheVersionError(cacheVersion);
  return {
    cacheVersion,
    maxHeaderLines: o.maxHeaderLines ?? 1000,
    boundaryLimit: o.boundaryLimit ?? 1000,
    rfc2046Strict: o.rfc2046Strict ?? false,
    rfc2047Utf8: o.rfc2047Utf8 ?? false,
    timeZone: o.timeZone ?? 'UTC',
    charsets: o.charsets ?? defaultCharsetTables(),
    maxHeaderBytes: o.maxHeaderBytes ?? 16 * 1024 * 1024,
    maxDepth: o.maxDepth ?? 2500,
  };
}
