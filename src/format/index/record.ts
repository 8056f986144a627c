// cyrus.index records: decode one at an offset (so a checker can stream), encode one (spec §5).
import { crc32 } from 'node:zlib';
import { FormatError } from '../../errors.js';
import { readFields, writeFields } from './fields.js';
import { layoutOf, type EncodeOptions, type IndexHeader } from './header.js';
import type { IndexLayout } from './layout.js';

/** Record time fields that are nanosecond-resolution in v20. */
export type RecordTimeField = 'internaldate' | 'sentdate' | 'gmtime' | 'lastUpdated' | 'savedate';

/**
 * A decoded record. Times are Unix seconds (number); modseqs, cids and `size` are bigint (size is
 * 64-bit in v20 and sums into the 64-bit quota fields, so it is bigint in every version). A field
 * is `undefined` when the version has no slot for it.
 */
export interface IndexRecord {
  uid: number;
  internaldate: number;
  sentdate: number;
  size: bigint;
  headerSize: number;
  /** v12+: Date: header time. */
  gmtime?: number;
  /** v6–v10: the slot at offset 20 is content_offset (= header_size), not gmtime. */
  contentOffset?: number;
  /** Full 48-bit cache offset (low word | high half of the cache_version word << 32); 0 = none. */
  cacheOffset: number;
  lastUpdated: number;
  /** IMAP system flags: low 16 bits of the flags word (SystemFlag). */
  systemFlags: number;
  /** Cyrus internal flags: high 16 bits of the flags word, unshifted (InternalFlag). */
  internalFlags: number;
  /** user_flags[0..3]; flag n is bit n%32 of word n/32 (userFlagBits). */
  userFlags: number[];
  /** v6–v14: body line count (3.x writes 0); covered by the v12–14 CRC, keep verbatim. */
  contentLines?: number;
  /** v15+ */
  savedate?: number;
  /** Low 16 bits of the cache_version word. */
  cacheVersion: number;
  /** v7–v9: 2.3's 12-byte message UUID, hex. */
  messageUuid?: string;
  /** v10+: SHA-1 of the message file, 40 lowercase hex digits. */
  guid?: string;
  /** v8+ */
  modseq?: bigint;
  /** v13+: conversation id ("thrid"). */
  cid?: bigint;
  /** v16+ */
  createdmodseq?: bigint;
  /** v20 */
  basecid?: bigint;
  /** v12+ */
  cacheCrc?: number;
  /** Stored record CRC (v12+). */
  recordCrc?: number;
  /** CRC32 of the record bytes before the CRC, as read (v12+). */
  recordCrcComputed?: number;
  /** Stored CRC equals the computed one; true for v6–v10, which have no record CRC. */
  crcOk: boolean;
  /** v20: sub-second part of each time field. */
  nsec?: Partial<Record<RecordTimeField, number>>;
  /** Bytes past the version's record layout (v19 header with 144-byte records), verbatim. */
  spare?: Buffer;
  /**
   * v8/v9 written by Cyrus 2.5–3.1.4: modseq stored as a u32 at offset 72 (§5.7 quirk 1). Set by
   * decode when detected (needs the header's highestmodseq); encoding as v8/v9 then writes it the
   * same way (other versions write a proper u64).
   */
  modseq32?: boolean;
}

/**
 * Every key up front, in one order: records then share one object shape, and the keyed stores in
 * readFields stay on V8's fast path (a 10× difference on large indexes). Absent fields stay
 * undefined.
 */
function emptyRecord(): IndexRecord {
  return {
    uid: 0, internaldate: 0, sentdate: 0, size: 0n, headerSize: 0, gmtime: undefined,
    contentOffset: undefined, cacheOffset: 0, lastUpdated: 0, systemFlags: 0, internalFlags: 0,
    userFlags: [], contentLines: undefined, savedate: undefined, cacheVersion: 0,
    messageUuid: undefined, guid: undefined, modseq: undefined, cid: undefined,
    createdmodseq: undefined, basecid: undefined, cacheCrc: undefined, recordCrc: undefined,
    recordCrcComputed: undefined, crcOk: true, nsec: undefined, spare: undefined, modseq32: undefined,
  };
}

const NO_NSEC: Record<string, number> = {};

type HeaderOrVersion = Pick<IndexHeader, 'minorVersion' | 'recordSize' | 'highestmodseq'> | number;

function resolve(h: HeaderOrVersion): { layout: IndexLayout; stride: number; highestmodseq?: bigint } {
  if (typeof h === 'number') {
    const layout = layoutOf(h);
    return { layout, stride: layout.recordSize };
  }
  const layout = layoutOf(h.minorVersion);
  return { layout, stride: h.recordSize, highestmodseq: h.highestmodseq };
}

/**
 * Decodes the record starting at `offset` of `buf`. Pass the decoded header (preferred: it gives
 * the record stride and enables the v8/v9 modseq quirk check) or just a minor version.
 * Throws FormatError TRUNCATED if the record does not fit; a wrong CRC is reported in `crcOk`.
 */
export function decodeIndexRecord(buf: Buffer, offset: number, header: HeaderOrVersion): IndexRecord {
  const { layout, stride, highestmodseq } = resolve(header);
  if (!Number.isInteger(offset) || offset < 0 || offset + stride > buf.length) {
    throw new FormatError('TRUNCATED', `record needs ${stride} bytes, ${Math.max(0, buf.length - offset)} left`, offset);
  }
  // The packed words are split the way Cyrus splits them (§5.3, §5.5).
  const { packed } = layout;
  const flagsWord = buf.readUInt32BE(offset + packed.flags);
  const cacheVersionWord = buf.readUInt32BE(offset + packed.cacheVersion);
  const record = emptyRecord();
  record.systemFlags = flagsWord & 0xffff;
  record.internalFlags = (flagsWord & 0xffff0000) >>> 0;
  record.cacheVersion = cacheVersionWord & 0xffff;
  record.cacheOffset = buf.readUInt32BE(offset + packed.cacheOffsetLow) + (cacheVersionWord >>> 16) * 2 ** 32;
  // Only v20 has nanosecond fields; other versions never write to the scratch object.
  const nsec: Partial<Record<RecordTimeField, number>> = layout.version === 20 ? {} : NO_NSEC;
  readFields(buf, offset, layout.record, record as unknown as Record<string, unknown>, nsec);
  if (layout.version === 20) record.nsec = nsec;
  if (stride > layout.recordSize) record.spare = Buffer.from(buf.subarray(offset + layout.recordSize, offset + stride));
  if (layout.recordCrcOffset !== undefined) {
    record.recordCrc = buf.readUInt32BE(offset + layout.recordCrcOffset);
    record.recordCrcComputed = crc32(buf.subarray(offset, offset + layout.recordCrcOffset));
    record.crcOk = record.recordCrc === record.recordCrcComputed;
  }
  // §5.7 quirk 1: a u32 modseq at 72 and zero at 76 reads as modseq << 32.
  if (
    (layout.version === 8 || layout.version === 9) &&
    highestmodseq !== undefined &&
    record.modseq !== undefined &&
    record.modseq > highestmodseq &&
    buf.readUInt32BE(offset + 76) === 0
  ) {
    record.modseq = BigInt(buf.readUInt32BE(offset + 72));
    record.modseq32 = true;
  }
  return record;
}

/**
 * Encodes a record in the layout of minor `version` (fields that version lacks are dropped,
 * missing ones written as zero). The record CRC is the stored `recordCrc` unless
 * `recomputeCrc` is set or there is none. `spare` bytes are appended verbatim.
 */
export function encodeIndexRecord(record: IndexRecord, version: number, opts: EncodeOptions = {}): Buffer {
  const layout = layoutOf(version);
  const spare = record.spare ?? Buffer.alloc(0);
  const buf = Buffer.alloc(layout.recordSize + spare.length);
  const offset = record.cacheOffset;
  if (!Number.isInteger(offset) || offset < 0 || offset >= 2 ** 48) {
    throw new FormatError('BAD_VALUE', `cache offset ${offset} does not fit 48 bits`, 24);
  }
  const high = Math.floor(offset / 2 ** 32);
  let modseq = record.modseq;
  if (record.modseq32 && modseq !== undefined && (version === 8 || version === 9)) {
    if (modseq > 0xffffffffn) throw new FormatError('BAD_VALUE', `32-bit modseq ${modseq} too large`, 72);
    modseq <<= 32n;
  }
  writeFields(buf, 0, layout.record, record as unknown as Record<string, unknown>, record.nsec, {
    modseq,
    // 3.x writes header_size into the pre-v12 content_offset slot.
    contentOffset: record.contentOffset ?? record.headerSize,
  });
  const { packed } = layout;
  buf.writeUInt32BE(((record.systemFlags & 0xffff) | (record.internalFlags & 0xffff0000)) >>> 0, packed.flags);
  buf.writeUInt32BE(offset % 2 ** 32, packed.cacheOffsetLow);
  buf.writeUInt32BE(((high << 16) | (record.cacheVersion & 0xffff)) >>> 0, packed.cacheVersion);
  if (layout.recordCrcOffset !== undefined) {
    const crc =
      opts.recomputeCrc || record.recordCrc === undefined
        ? crc32(buf.subarray(0, layout.recordCrcOffset))
        : record.recordCrc;
    buf.writeUInt32BE(crc >>> 0, layout.recordCrcOffset);
  }
  spare.copy(buf, layout.recordSize);
  return buf;
}
