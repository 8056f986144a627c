// cyrus.index header: decode, encode, and the file geometry derived from it (spec §3, §4).
import { crc32 } from 'node:zlib';
import { FormatError } from '../../errors.js';
import { readFields, writeFields } from './fields.js';
import { indexLayout, V19_WIDE_RECORD_SIZE, type IndexLayout } from './layout.js';

/** Header time fields that are nanosecond-resolution in v20. */
export type HeaderTimeField =
  | 'lastAppenddate' | 'pop3LastLogin' | 'recenttime' | 'pop3ShowAfter' | 'changesEpoch'
  | 'firstExpunged' | 'lastRepackTime';

/** Oddities a reader must tolerate; reported so a checker can say so (spec §1, §5.7). */
export type IndexQuirk =
  /** v19 header with 144-byte (v20-sized) records, from master dev builds; records read as v19. */
  | 'V19_WIDE_RECORDS'
  /** v13 with 1 or 2 at offset 120: FastMail dev-era SYNC_CRC_VERS, not an annot CRC. */
  | 'V13_SYNC_CRC_VERS';

/**
 * A decoded header. Times are Unix seconds (number). All 64-bit quantities — modseqs and quota
 * byte counts — are bigint. A field is `undefined` when this minor version has no slot for it
 * (no normalisation is applied: Cyrus's reader defaults, e.g. exists = num_records before v12,
 * are the caller's decision).
 */
export interface IndexHeader {
  generationNo: number;
  format: number;
  minorVersion: number;
  startOffset: number;
  recordSize: number;
  numRecords: number;
  lastAppenddate: number;
  lastUid: number;
  quotaMailboxUsed: bigint;
  pop3LastLogin: number;
  uidvalidity: number;
  deleted: number;
  answered: number;
  flagged: number;
  options: number;
  leakedCacheRecords: number;
  /** v8+ */
  highestmodseq?: bigint;
  /** v12+ */
  deletedmodseq?: bigint;
  exists?: number;
  firstExpunged?: number;
  lastRepackTime?: number;
  headerFileCrc?: number;
  syncCrcBasic?: number;
  recentuid?: number;
  recenttime?: number;
  /** v13+ */
  pop3ShowAfter?: number;
  /** v13+; only the low 32 bits are stored before v20. */
  quotaAnnotUsed?: bigint;
  syncCrcAnnot?: number;
  /** v14+ */
  unseen?: number;
  /** v16+ */
  createdmodseq?: bigint;
  /** v17+ */
  changesEpoch?: number;
  /** v18+ */
  quotaDeletedUsed?: bigint;
  quotaExpungedUsed?: bigint;
  /** v20: sub-second part (0–999999999) of each time field. */
  nsec?: Partial<Record<HeaderTimeField, number>>;
  /** Bytes no field covers, concatenated in offset order (zero in a well-formed file). */
  spare?: Buffer;
  /** Stored header CRC (v12+). */
  crcStored?: number;
  /** CRC32 of the header bytes before the CRC field, as read (v12+). */
  crcComputed?: number;
  /** Stored CRC equals the computed one; true for v6–v10, which have no header CRC. */
  crcOk: boolean;
  quirks: IndexQuirk[];
}

/** The layout for a header's version, or a BAD_VERSION error naming offset 8. */
export function layoutOf(version: number): IndexLayout {
  const layout = indexLayout(version);
  if (!layout) throw new FormatError('BAD_VERSION', `unknown cyrus.index minor version ${version}`, 8);
  return layout;
}

const BASE_SIZE = 24;

/**
 * Decodes the header at the start of `buf` (the file or at least its first start_offset bytes).
 * Throws FormatError TRUNCATED / BAD_VERSION / BAD_LENGTH; a wrong CRC is reported in `crcOk`.
 */
export function decodeIndexHeader(buf: Buffer): IndexHeader {
  if (buf.length < BASE_SIZE) {
    throw new FormatError('TRUNCATED', `index header needs ${BASE_SIZE} bytes, file has ${buf.length}`, buf.length);
  }
  const version = buf.readUInt32BE(8);
  const layout = layoutOf(version);
  const startOffset = buf.readUInt32BE(12);
  const recordSize = buf.readUInt32BE(16);
  if (startOffset !== layout.headerSize) {
    throw new FormatError('BAD_LENGTH', `start_offset ${startOffset}, v${version} headers are ${layout.headerSize} bytes`, 12);
  }
  const wide = version === 19 && recordSize === V19_WIDE_RECORD_SIZE;
  if (recordSize !== layout.recordSize && !wide) {
    throw new FormatError('BAD_LENGTH', `record_size ${recordSize}, v${version} records are ${layout.recordSize} bytes`, 16);
  }
  if (buf.length < layout.headerSize) {
    throw new FormatError('TRUNCATED', `v${version} header needs ${layout.headerSize} bytes, file has ${buf.length}`, buf.length);
  }

  const header = { crcOk: true, quirks: [] } as unknown as IndexHeader;
  const nsec: Partial<Record<HeaderTimeField, number>> = {};
  readFields(buf, 0, layout.header, header as unknown as Record<string, unknown>, nsec);
  if (version === 20) header.nsec = nsec;
  if (layout.headerSpare.length) {
    header.spare = Buffer.concat(layout.headerSpare.map(([s, e]) => buf.subarray(s, e)));
  }
  if (layout.headerCrcOffset !== undefined) {
    header.crcStored = buf.readUInt32BE(layout.headerCrcOffset);
    header.crcComputed = crc32(buf.subarray(0, layout.headerCrcOffset));
    header.crcOk = header.crcStored === header.crcComputed;
  }
  if (wide) header.quirks.push('V19_WIDE_RECORDS');
  if (version === 13 && (header.syncCrcAnnot === 1 || header.syncCrcAnnot === 2)) {
    header.quirks.push('V13_SYNC_CRC_VERS');
  }
  return header;
}

export interface EncodeOptions {
  /** Write freshly computed CRCs instead of the stored ones (default: keep stored bytes). */
  recomputeCrc?: boolean;
}

/**
 * Encodes a header in the layout of `header.minorVersion`. Fields missing for that version are
 * written as zero, spare bytes as `header.spare` (or zero). The CRC is the stored `crcStored`
 * unless `recomputeCrc` is set or there is none.
 */
export function encodeIndexHeader(header: IndexHeader, opts: EncodeOptions = {}): Buffer {
  const layout = layoutOf(header.minorVersion);
  const buf = Buffer.alloc(layout.headerSize);
  writeFields(buf, 0, layout.header, header as unknown as Record<string, unknown>, header.nsec);
  if (header.spare) {
    const want = layout.headerSpare.reduce((n, [s, e]) => n + e - s, 0);
    if (header.spare.length !== want) {
      throw new FormatError('BAD_VALUE', `spare is ${header.spare.length} bytes, v${header.minorVersion} has ${want}`, 0);
    }
    let at = 0;
    for (const [s, e] of layout.headerSpare) at += header.spare.copy(buf, s, at, at + e - s);
  }
  if (layout.headerCrcOffset !== undefined) {
    const crc =
      opts.recomputeCrc || header.crcStored === undefined
        ? crc32(buf.subarray(0, layout.headerCrcOffset))
        : header.crcStored;
    buf.writeUInt32BE(crc >>> 0, layout.headerCrcOffset);
  }
  return buf;
}

export interface IndexGeometry {
  /** num_records from the header. */
  expectedRecords: number;
  /** How many of them are wholly inside the file (= expectedRecords unless truncated). */
  recordCount: number;
  /** start_offset + num_records × record_size. */
  expectedSize: number;
  /** The file ends before the last committed record does (INDEX_TRUNCATED). */
  truncated: boolean;
  /** Bytes after the committed records: uncommitted appends or garbage (legal, §3). */
  trailingBytes: number;
}

/** Where the records are, given a decoded header and the file's length. */
export function indexGeometry(
  header: Pick<IndexHeader, 'startOffset' | 'recordSize' | 'numRecords'>,
  fileSize: number,
): IndexGeometry {
  const { startOffset, recordSize, numRecords } = header;
  const expectedSize = startOffset + numRecords * recordSize;
  const fit = Math.max(0, Math.floor((fileSize - startOffset) / recordSize));
  return {
    expectedRecords: numRecords,
    recordCount: Math.min(numRecords, fit),
    expectedSize,
    truncated: fileSize < expectedSize,
    trailingBytes: Math.max(0, fileSize - expectedSize),
  };
}
