// The decisions of `check` for one mailbox, as pure functions over what was read from disk:
// metadata (cyrus.header, cyrus.index, cyrus.cache, annotations) and the folder listing in,
// findings and the list of message files to hash out; then each hash result in, findings out.
// No I/O here: run.ts reads, workers hash, confirm.ts re-reads under the lock and calls these
// again, so the unlocked first look and the locked second look decide by the same rules.
import { crc32 } from 'node:zlib';
import { FormatError } from '../errors.js';
import { finding, type Finding } from '../findings.js';
import { CACHE_ITEMS, cacheRecordCrc, decodeCacheHeader, decodeCacheRecord, NUM_CACHE_ITEMS } from '../format/cache.js';
import { SUPPORTED_CACHE_VERSIONS } from '../message/options.js';
import {
  decodeIndexHeader,
  decodeIndexRecord,
  indexGeometry,
  InternalFlag,
  SystemFlag,
  userFlagBits,
  type IndexHeader,
  type IndexRecord,
} from '../format/index/index.js';
import { wholeCache, type CacheBytes } from './cache-bytes.js';
import type { FolderScan } from './scan-folder.js';
import type { HashResult, ParseDigest } from './pool.js';

/** A file read from disk, or the errno code that stopped it. */
export type Loaded = { buf: Buffer; error?: undefined } | { buf?: undefined; error: string };

/** cyrus.cache, opened (whole or windowed, see cache-bytes.ts), or the errno code. */
export type CacheLoaded = { bytes: CacheBytes; error?: undefined } | { bytes?: undefined; error: string };

/** What cyrus.header says, as far as check needs it. */
export interface HeaderInfo {
  name?: string;
  uniqueid?: string;
  /** Flag names by slot; a hole (removed slot) is null/undefined/''. */
  userFlags: ReadonlyArray<string | null | undefined>;
}

/** The replication checksums recomputed from the records (synccrc.ts), when computable. */
export interface ComputedCrcs {
  basic?: number;
  annot?: number;
}

/** Everything verifyMetadata looks at, gathered by the caller (read.ts / confirm.ts). */
export interface MailboxData {
  dir: string;
  /** Where the metadata files are (for findings' `file`). */
  paths: { header: string; index: string; cache: string };
  archiveDir?: string;
  headerFile: Loaded;
  /** Decoded cyrus.header, or the decode error (HEADER_BAD). */
  header?: HeaderInfo;
  headerError?: string;
  /** CRC32 of the whole cyrus.header file. */
  headerCrc?: number;
  index: Loaded;
  cache: CacheLoaded;
  /** The archive partition's cyrus.cache, for ARCHIVED records, if a different file. */
  archiveCache?: CacheLoaded;
  /** Uniqueid mailboxes.db names for this mailbox. */
  expectedUniqueid?: string;
  /**
   * Recomputes SYNC_CRC / SYNC_CRC_ANNOT over the live records; supplied by the caller because
   * the annotation half needs cyrus.annotations. Absent: those two checks are skipped.
   */
  syncCrcs?: (header: IndexHeader, records: IndexRecord[], userFlags: HeaderInfo['userFlags']) => ComputedCrcs;
  /** Closes what reading left open (a big cyrus.cache's descriptor); call after verifying. */
  release?: () => void;
}

/** A message file to hash and what its record says it must be. */
export interface FileCheck {
  uid: number;
  path: string;
  size: number;
  /** Hex SHA-1, absent when the record has no GUID (v < 10) or an all-zero one. */
  guid?: string;
  /** check --deep: the stored cache record and parse-derived fields, to compare with a parse. */
  stored?: StoredCache;
  /** The file is in the archive partition's folder (an ARCHIVED record), not the spool folder. */
  inArchive?: boolean;
}

/** What the index and cyrus.cache hold for one message, reduced as the workers reduce a parse. */
export interface StoredCache {
  cacheVersion: number;
  /** CRC32 of the stored cache record (length words and padding included). */
  crc: number;
  /** CRC32 of each stored item, in CACHE_ITEMS order. */
  items: number[];
  headerSize: number;
  sentdate: number;
  /** Absent before index v12 (that slot held content_offset). */
  gmtime?: number;
}

export interface VerifyOptions {
  /** check --deep: gather StoredCache for every record whose cache record is sound. */
  deep?: boolean;
}

export interface MetaVerdict {
  findings: Finding[];
  files: FileCheck[];
  indexVersion?: number;
  uniqueid?: string;
  name?: string;
  records: number;
  /** UIDs that have a record (live or not), ascending; for UNINDEXED_* decisions. */
  recordUids: Uint32Array;
  header?: IndexHeader;
  /** Decoded records (kept for confirm: comparing the re-read with what was hashed). */
  recordsByUid: Map<number, IndexRecord>;
  /** --deep: records not compared because the parser cannot reproduce their cache_version. */
  deepUnsupported?: Map<number, number>;
}

const ZERO_GUID = '0'.repeat(40);
/** A set user-flag bit whose slot has no name (`named`: the named slots' bits, word by word). */
function hasUnnamed(words: readonly number[], named: Uint32Array): boolean {
  for (let i = 0; i < words.length && i < 4; i++) if (((words[i]! & ~named[i]!) >>> 0) !== 0) return true;
  return false;
}
const isUnlinked = (r: IndexRecord) => (r.internalFlags & InternalFlag.UNLINKED) !== 0;
const isExpunged = (r: IndexRecord) => (r.internalFlags & InternalFlag.EXPUNGED) !== 0;
/** A record Cyrus itself wiped (reconstruct: uid 0, EXPUNGED|UNLINKED): waiting for a repack. */
const isWiped = (r: IndexRecord) => r.uid === 0 && isUnlinked(r);

export function messagePath(dir: string, uid: number): string {
  return `${dir}/${uid}.`;
}

/**
 * Everything that can be decided from the metadata and the folder listing(s): `archiveScan` is
 * the archive partition's folder of this mailbox, when it has one (ARCHIVED records' files).
 */
export function verifyMetadata(d: MailboxData, scan: FolderScan, archiveScan?: FolderScan, opts: VerifyOptions = {}): MetaVerdict {
  const findings: Finding[] = [];
  const files: FileCheck[] = [];
  const recordsByUid = new Map<number, IndexRecord>();
  const v: MetaVerdict = { findings, files, records: 0, recordUids: new Uint32Array(0), recordsByUid };

  // cyrus.header
  if (d.headerFile.buf === undefined) {
    if (d.headerFile.error === 'ENOENT') findings.push(finding('HEADER_MISSING', 'cyrus.header is missing', { file: d.paths.header }));
    else findings.push(finding('HEADER_BAD', `cyrus.header cannot be read: ${d.headerFile.error}`, { file: d.paths.header }));
  } else if (!d.header) {
    findings.push(finding('HEADER_BAD', `cyrus.header does not parse: ${d.headerError ?? 'unknown error'}`, { file: d.paths.header }));
  } else {
    v.name = d.header.name;
    v.uniqueid = d.header.uniqueid;
    if (d.expectedUniqueid !== undefined && d.header.uniqueid !== d.expectedUniqueid) {
      findings.push(
        finding('UNIQUEID_MISMATCH', 'cyrus.header and mailboxes.db name different uniqueids', {
          expected: d.expectedUniqueid,
          actual: d.header.uniqueid ?? '',
        }),
      );
    }
  }

  // cyrus.index header
  if (d.index.buf === undefined) {
    if (d.index.error === 'ENOENT') findings.push(finding('INDEX_MISSING', 'cyrus.index is missing', { file: d.paths.index }));
    else findings.push(finding('INDEX_MISSING', `cyrus.index cannot be read: ${d.index.error}`, { file: d.paths.index }));
    return withFileFindings(v, scan, false, archiveScan);
  }
  const ibuf: Buffer = d.index.buf;
  let h: IndexHeader;
  try {
    h = decodeIndexHeader(ibuf);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    if (e.code === 'BAD_VERSION') {
      findings.push(finding('INDEX_VERSION_UNSUPPORTED', e.message, { file: d.paths.index, offset: e.offset, actual: ibuf.readUInt32BE(8) }));
    } else if (e.code === 'TRUNCATED') {
      findings.push(finding('INDEX_TRUNCATED', e.message, { file: d.paths.index, offset: e.offset, actual: ibuf.length }));
    } else {
      // start_offset / record_size that do not fit the version: the geometry cannot be trusted.
      findings.push(finding('INDEX_HEADER_CRC', `cyrus.index header is inconsistent: ${e.message}`, { file: d.paths.index, offset: e.offset }));
    }
    return withFileFindings(v, scan, false, archiveScan);
  }
  v.header = h;
  v.indexVersion = h.minorVersion;
  const headerOk = h.crcOk;
  if (!headerOk) {
    findings.push(
      finding('INDEX_HEADER_CRC', 'cyrus.index header CRC is wrong', {
        file: d.paths.index,
        expected: hex(h.crcComputed),
        actual: hex(h.crcStored),
      }),
    );
  }
  const geo = indexGeometry(h, ibuf.length);
  v.records = h.numRecords;
  if (geo.truncated) {
    // Cyrus refuses such an index ("IOERROR: refreshing index"); bytes past the committed
    // records, on the other hand, are an uncommitted append and legal.
    findings.push(
      finding('INDEX_TRUNCATED', `cyrus.index holds ${geo.recordCount} of its ${h.numRecords} records`, {
        file: d.paths.index,
        expected: geo.expectedSize,
        actual: ibuf.length,
      }),
    );
    return withFileFindings(v, scan, false, archiveScan);
  }

  // header_file_crc: Cyrus warns only when both sides are non-zero (never-set is not damage);
  // a header that does not parse is already HEADER_BAD.
  if (d.header && d.headerCrc !== undefined && h.headerFileCrc !== undefined && h.headerFileCrc !== 0 && h.headerFileCrc !== d.headerCrc) {
    findings.push(
      finding('HEADER_FILE_CRC', "cyrus.index's header_file_crc does not match cyrus.header", {
        file: d.paths.header,
        expected: hex(d.headerCrc),
        actual: hex(h.headerFileCrc),
      }),
    );
  }

  // records
  const userFlags = d.header?.userFlags;
  const named = (n: number) => !!userFlags?.[n];
  // Bit masks of the named slots, word by word: the per-record test is then four ANDs.
  // A typed array: a plain one holds small integers or doubles depending on bit 31, and meeting
  // both kinds deoptimized the loop below.
  const namedMask = new Uint32Array(4);
  for (let n = 0; n < 128; n++) if (named(n)) namedMask[n >> 5]! |= 1 << (n & 31);
  const live: IndexRecord[] = [];
  const uids: number[] = [];
  let prevUid = 0;
  let badRecords = 0;
  let needsCache = false;
  const counts = { exists: 0, answered: 0, flagged: 0, deleted: 0, unseen: 0, quotaMailboxUsed: 0n };
  for (let i = 0; i < h.numRecords; i++) {
    const offset = h.startOffset + i * h.recordSize;
    const r = decodeIndexRecord(ibuf, offset, h);
    if (!r.crcOk) {
      badRecords++;
      findings.push(
        finding('RECORD_CRC', `record ${i + 1} CRC is wrong`, {
          uid: r.uid,
          file: d.paths.index,
          offset,
          expected: hex(r.recordCrcComputed),
          actual: hex(r.recordCrc),
        }),
      );
      // Its uid probably still names its file: keep the file "indexed", verify nothing else.
      if (r.uid > 0) uids.push(r.uid);
      continue;
    }
    if (isWiped(r)) continue;
    if (r.uid <= prevUid) {
      findings.push(
        finding('UID_ORDER', `record ${i + 1} has uid ${r.uid}, not above the previous ${prevUid}`, {
          uid: r.uid,
          file: d.paths.index,
          offset,
          expected: `> ${prevUid}`,
          actual: r.uid,
        }),
      );
      // Cyrus keeps the first record of a uid and wipes this one; it must not claim a file.
      badRecords++;
      continue;
    }
    prevUid = r.uid;
    uids.push(r.uid);
    recordsByUid.set(r.uid, r);
    if (h.lastUid < r.uid) {
      findings.push(finding('LAST_UID_LOW', `uid ${r.uid} is above last_uid ${h.lastUid}`, { uid: r.uid, expected: `>= ${r.uid}`, actual: h.lastUid }));
    }
    if (h.highestmodseq !== undefined && r.modseq !== undefined && r.modseq > h.highestmodseq) {
      findings.push(
        finding('HIGHESTMODSEQ_LOW', `uid ${r.uid} has modseq ${r.modseq}, above highestmodseq ${h.highestmodseq}`, {
          uid: r.uid,
          expected: `>= ${r.modseq}`,
          actual: String(h.highestmodseq),
        }),
      );
    }
    if (!isExpunged(r)) {
      live.push(r);
      counts.exists++;
      counts.quotaMailboxUsed += r.size;
      if (r.systemFlags & SystemFlag.ANSWERED) counts.answered++;
      if (r.systemFlags & SystemFlag.FLAGGED) counts.flagged++;
      if (r.systemFlags & SystemFlag.DELETED) counts.deleted++;
      if (!(r.systemFlags & SystemFlag.SEEN)) counts.unseen++;
    }
    if (userFlags && hasUnnamed(r.userFlags, namedMask)) {
      const unnamed = userFlagBits(r.userFlags).filter((n) => !named(n));
      {
        findings.push(
          finding('USER_FLAG_UNNAMED', `user flag${unnamed.length > 1 ? 's' : ''} ${unnamed.join(', ')} set but not named in cyrus.header`, {
            uid: r.uid,
            actual: unnamed.join(','),
          }),
        );
      }
    }
    if (isUnlinked(r)) continue; // no file, no cache record to trust any more
    // cache record
    const archived = (r.internalFlags & InternalFlag.ARCHIVED) !== 0;
    const cache = archived && d.archiveCache ? d.archiveCache : d.cache;
    if (r.cacheOffset !== 0) needsCache = true;
    let stored: StoredCache | undefined;
    if (cache.bytes) {
      const f = verifyCacheRecord(cache.bytes, r, d.paths.cache);
      if (f) findings.push(f);
      else if (opts.deep && r.cacheOffset !== 0) {
        if ((SUPPORTED_CACHE_VERSIONS as readonly number[]).includes(r.cacheVersion)) stored = storedCache(cache.bytes, r);
        else {
          v.deepUnsupported ??= new Map();
          v.deepUnsupported.set(r.cacheVersion, (v.deepUnsupported.get(r.cacheVersion) ?? 0) + 1);
        }
      }
    }
    // message file
    const size = Number(r.size);
    const guid = r.guid && r.guid !== ZERO_GUID ? r.guid : undefined;
    if (h.minorVersion >= 10 && !guid) {
      findings.push(finding('GUID_ZERO', 'record has no GUID: its content cannot be verified', { uid: r.uid }));
    }
    const inArchive = archived && d.archiveDir !== undefined;
    const fc: FileCheck = { uid: r.uid, path: messagePath(inArchive ? d.archiveDir! : d.dir, r.uid), size, guid };
    if (stored) fc.stored = stored;
    if (inArchive) fc.inArchive = true;
    files.push(fc);
  }
  v.recordUids = Uint32Array.from(uids).sort();

  // cyrus.cache: present when records point into it, and of the index's generation.
  if (d.cache.bytes === undefined) {
    if (needsCache) {
      const what = d.cache.error === 'ENOENT' ? 'is missing' : `cannot be read: ${d.cache.error}`;
      findings.push(finding('CACHE_MISSING', `cyrus.cache ${what}`, { file: d.paths.cache }));
    }
  } else {
    const gen = cacheGeneration(d.cache);
    if (gen !== undefined && gen !== h.generationNo) {
      findings.push(
        finding('CACHE_GENERATION', "cyrus.cache's generation differs from cyrus.index's", {
          file: d.paths.cache,
          expected: h.generationNo,
          actual: gen,
        }),
      );
    }
  }

  // Header-derived checks need a header we trust and records we could all read.
  if (headerOk && badRecords === 0) {
    const want: Array<[string, number | bigint | undefined, number | bigint]> = [
      ['answered', h.answered, counts.answered],
      ['flagged', h.flagged, counts.flagged],
      ['deleted', h.deleted, counts.deleted],
      ['quota_mailbox_used', h.quotaMailboxUsed, counts.quotaMailboxUsed],
    ];
    // exists and the seen state live in the record only from v12 on; unseen from v14.
    if (h.minorVersion >= 12) want.push(['exists', h.exists, counts.exists]);
    if (h.minorVersion >= 14) want.push(['unseen', h.unseen, counts.unseen]);
    for (const [field, stored, actual] of want) {
      if (stored !== undefined && BigInt(stored) !== BigInt(actual)) {
        findings.push(
          finding('COUNTER_MISMATCH', `header ${field} is ${stored}, the records say ${actual}`, {
            field,
            expected: String(actual),
            actual: String(stored),
          }),
        );
      }
    }
    if (d.syncCrcs && userFlags && h.minorVersion >= 12) {
      const c = d.syncCrcs(h, live, userFlags);
      if (c.basic !== undefined && h.syncCrcBasic !== undefined && c.basic !== h.syncCrcBasic) {
        findings.push(
          finding('SYNC_CRC_MISMATCH', 'stored SYNC_CRC differs from the one computed from the records', {
            expected: c.basic,
            actual: h.syncCrcBasic,
          }),
        );
      }
      if (c.annot !== undefined && h.syncCrcAnnot !== undefined && !h.quirks.includes('V13_SYNC_CRC_VERS') && c.annot !== h.syncCrcAnnot) {
        findings.push(
          finding('SYNC_CRC_ANNOT_MISMATCH', 'stored SYNC_CRC_ANNOT differs from the one computed from the records and annotations', {
            expected: c.annot,
            actual: h.syncCrcAnnot,
          }),
        );
      }
    }
  }
  return withFileFindings(v, scan, true, archiveScan);
}

/** Odd files always; unindexed files only when the index could be read to the end. */
function withFileFindings(v: MetaVerdict, scan: FolderScan, indexUsable: boolean, archiveScan?: FolderScan): MetaVerdict {
  const usable = indexUsable && v.header !== undefined;
  for (const sc of archiveScan && !archiveScan.error ? [scan, archiveScan] : [scan]) {
    v.findings.push(...folderFindings(sc, usable ? v.recordUids : undefined, v.header?.lastUid ?? 0));
  }
  return v;
}

/**
 * ODD_FILE for every odd name of a folder listing; UNINDEXED_FILE(_REUSE) for every `N.` file
 * whose uid has no record (`recordUids` ascending; undefined when the index is unusable).
 */
export function folderFindings(scan: FolderScan, recordUids: Uint32Array | undefined, lastUid: number): Finding[] {
  const out: Finding[] = [];
  for (const name of scan.odd) {
    out.push(finding('ODD_FILE', 'a file Cyrus does not expect in a mailbox folder', { file: `${scan.dir}/${name}` }));
  }
  if (!recordUids) return out;
  let j = 0;
  for (const uid of scan.uids) {
    while (j < recordUids.length && recordUids[j]! < uid) j++;
    if (j < recordUids.length && recordUids[j] === uid) continue;
    const file = messagePath(scan.dir, uid);
    if (uid > lastUid) {
      out.push(finding('UNINDEXED_FILE', `message file with no record, above last_uid ${lastUid}`, { uid, file }));
    } else {
      out.push(
        finding('UNINDEXED_FILE_REUSE', `message file with no record, at or below last_uid ${lastUid} (appending it as-is would reuse a UID)`, {
          uid,
          file,
        }),
      );
    }
  }
  return out;
}

function cacheGeneration(cache: CacheLoaded): number | undefined {
  if (cache.bytes === undefined) return undefined;
  try {
    return decodeCacheHeader(cache.bytes.window(0, 4).buf).generation;
  } catch {
    return undefined;
  }
}

/**
 * Length of the cache record at `offset` — ten items, each a BE32 length, the bytes, padding to 4
 * (the framing of format/cache.ts decodeCacheRecord) — or undefined if it does not frame. The
 * hot path of check: one record per message, so no item views are built.
 */
function cacheRecordLength(src: CacheBytes, offset: number): number | undefined {
  if (!(offset >= 4 && offset < src.size)) return undefined;
  let pos = offset;
  for (let i = 0; i < NUM_CACHE_ITEMS; i++) {
    if (pos + 4 > src.size) return undefined;
    const { buf, base } = src.window(pos, 4096);
    pos += 4 + Math.ceil(buf.readUInt32BE(pos - base) / 4) * 4;
    if (pos > src.size) return undefined;
  }
  return pos - offset;
}

/** CACHE_RECORD_BAD when the record cannot be framed, CACHE_CRC when its CRC is wrong. */
export function verifyCacheRecord(cacheFile: CacheBytes | Buffer, r: IndexRecord, file: string): Finding | undefined {
  if (r.cacheCrc === undefined) return undefined; // v < 12: no cache CRC to check
  const cache = Buffer.isBuffer(cacheFile) ? wholeCache(cacheFile) : cacheFile;
  if (r.cacheOffset === 0) {
    return finding('CACHE_RECORD_BAD', 'record has no cache record (offset 0)', { uid: r.uid, file, offset: 0 });
  }
  const length = cacheRecordLength(cache, r.cacheOffset);
  if (length === undefined) {
    // The codec says precisely what is wrong (it is the authority on framing) when the file is
    // in memory; a windowed big file gets the plain statement.
    let why = `runs past the end of the file (${cache.size} bytes)`;
    if (cache.whole) {
      try {
        decodeCacheRecord(cache.whole, r.cacheOffset, r.cacheVersion);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        why = e.message;
      }
    }
    return finding('CACHE_RECORD_BAD', `cache record does not frame: ${why}`, { uid: r.uid, file, offset: r.cacheOffset });
  }
  // Cyrus accepts a zero cache_crc unchecked (an old-style record, re-parsed on use).
  if (r.cacheCrc === 0) return undefined;
  const { buf, base } = cache.window(r.cacheOffset, length);
  const crc = cacheRecordCrc(buf, r.cacheOffset - base, length);
  if (crc !== r.cacheCrc) {
    return finding('CACHE_CRC', 'cache record CRC is wrong', {
      uid: r.uid,
      file,
      offset: r.cacheOffset,
      expected: hex(crc),
      actual: hex(r.cacheCrc),
    });
  }
  return undefined;
}

/** The stored side of a --deep comparison, for a record whose cache record frames (checked). */
function storedCache(cache: CacheBytes, r: IndexRecord): StoredCache | undefined {
  const length = cacheRecordLength(cache, r.cacheOffset);
  if (length === undefined) return undefined;
  const { buf, base } = cache.window(r.cacheOffset, length);
  const start = r.cacheOffset - base;
  const items: number[] = [];
  let pos = start;
  for (let i = 0; i < NUM_CACHE_ITEMS; i++) {
    const len = buf.readUInt32BE(pos);
    items.push(crc32(buf.subarray(pos + 4, pos + 4 + len)) >>> 0);
    pos += 4 + Math.ceil(len / 4) * 4;
  }
  const s: StoredCache = {
    cacheVersion: r.cacheVersion,
    crc: cacheRecordCrc(buf, start, length),
    items,
    headerSize: r.headerSize,
    sentdate: r.sentdate,
  };
  if (r.gmtime !== undefined) s.gmtime = r.gmtime;
  return s;
}

/**
 * check --deep: CACHE_STALE when a fresh parse of the (hash-verified) file gives another cache
 * record, or other header_size / sentdate / gmtime, than the ones stored. Items are named by
 * comparing per-item CRCs; expected/actual carry those CRCs (the parse's vs the stored ones).
 */
export function verifyDeep(fc: FileCheck, parsed: ParseDigest): Finding | undefined {
  const st = fc.stored;
  if (!st) return undefined;
  const diffs: Array<[string, string | number, string | number]> = [];
  if (parsed.crc !== st.crc) {
    CACHE_ITEMS.forEach((name, i) => {
      if (parsed.items[i] !== st.items[i]) diffs.push([name, hex(parsed.items[i]), hex(st.items[i])]);
    });
    // Same items, other bytes: only the framing/padding can differ.
    if (diffs.length === 0) diffs.push(['record', hex(parsed.crc), hex(st.crc)]);
  }
  if (parsed.headerSize !== st.headerSize) diffs.push(['header_size', parsed.headerSize, st.headerSize]);
  // 0 from the parser: no usable Date:, Cyrus fills in another time; nothing to compare.
  const dateDiffs = (d: { sentdate: number; gmtime: number }) => {
    const out: typeof diffs = [];
    if (d.sentdate !== 0 && d.sentdate !== st.sentdate) out.push(['sentdate', d.sentdate, st.sentdate]);
    if (d.gmtime !== 0 && st.gmtime !== undefined && d.gmtime !== st.gmtime) out.push(['gmtime', d.gmtime, st.gmtime]);
    return out;
  };
  // A Date: whose outcome depended on the Cyrus process: either outcome is Cyrus's own.
  const dates = dateDiffs(parsed);
  if (dates.length === 0 || !parsed.alt || dateDiffs(parsed.alt).length > 0) diffs.push(...dates);
  if (diffs.length === 0) return undefined;
  const names = diffs.map((d) => d[0]);
  return finding('CACHE_STALE', `cache record differs from a fresh parse of the file (cache version ${st.cacheVersion}): ${names.join(', ')}`, {
    uid: fc.uid,
    file: fc.path,
    field: names.join(','),
    expected: diffs.map((d) => `${d[0]}=${d[1]}`).join(' '),
    actual: diffs.map((d) => `${d[0]}=${d[2]}`).join(' '),
  });
}

/** The finding (if any) for one hashed file. */
export function verifyFile(fc: FileCheck, res: HashResult): Finding | undefined {
  if (res.error) {
    if (res.error === 'ENOENT') return finding('FILE_MISSING', 'message file is missing', { uid: fc.uid, file: fc.path });
    return finding('FILE_UNREADABLE', `message file cannot be read: ${res.error}`, { uid: fc.uid, file: fc.path, actual: res.error });
  }
  if (res.size !== fc.size) {
    return finding('SIZE_MISMATCH', 'message file size differs from its record', {
      uid: fc.uid,
      file: fc.path,
      expected: fc.size,
      actual: res.size,
    });
  }
  if (fc.guid && res.sha1 !== fc.guid) {
    return finding('GUID_MISMATCH', 'file content does not match its GUID', {
      uid: fc.uid,
      file: fc.path,
      expected: fc.guid,
      actual: res.sha1,
    });
  }
  return undefined;
}

const hex = (n: number | undefined) => (n === undefined ? '' : (n >>> 0).toString(16).padStart(8, '0'));

/** CRC32 of a whole cyrus.header (what cyrus.index stores as header_file_crc). */
export const fileCrc = (buf: Buffer) => crc32(buf) >>> 0;
