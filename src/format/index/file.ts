// A whole cyrus.index: header, the num_records committed records, and whatever follows them.
import { FormatError } from '../../errors.js';
import { decodeIndexHeader, encodeIndexHeader, indexGeometry, type EncodeOptions, type IndexHeader } from './header.js';
import { decodeIndexRecord, encodeIndexRecord, type IndexRecord } from './record.js';

export interface IndexFile {
  header: IndexHeader;
  records: IndexRecord[];
  /** Bytes after the last committed record (uncommitted appends, §3); usually empty. */
  trailing?: Buffer;
}

/** Decodes a complete cyrus.index. Throws FormatError (TRUNCATED if records are missing). */
export function decodeIndex(buf: Buffer): IndexFile {
  const header = decodeIndexHeader(buf);
  const geo = indexGeometry(header, buf.length);
  if (geo.truncated) {
    throw new FormatError(
      'TRUNCATED',
      `num_records ${header.numRecords} needs ${geo.expectedSize} bytes, file has ${buf.length}`,
      header.startOffset + geo.recordCount * header.recordSize,
    );
  }
  const records: IndexRecord[] = [];
  for (let i = 0; i < header.numRecords; i++) {
    records.push(decodeIndexRecord(buf, header.startOffset + i * header.recordSize, header));
  }
  const trailing = geo.trailingBytes ? Buffer.from(buf.subarray(geo.expectedSize)) : undefined;
  return { header, records, trailing };
}

/**
 * Encodes a complete cyrus.index in the header's version. Stored CRCs are kept unless
 * `recomputeCrc` (so decode → encode is byte-identical, even for files with wrong CRCs).
 */
export function encodeIndex(file: IndexFile, opts: EncodeOptions = {}): Buffer {
  const { header, records } = file;
  if (records.length !== header.numRecords) {
    throw new FormatError('BAD_VALUE', `num_records ${header.numRecords} but ${records.length} records given`, 20);
  }
  const parts = [encodeIndexHeader(header, opts)];
  for (const r of records) {
    const rec = encodeIndexRecord(r, header.minorVersion, opts);
    if (rec.length !== header.recordSize) {
      throw new FormatError('BAD_VALUE', `record uid ${r.uid} encodes to ${rec.length} bytes, record_size is ${header.recordSize}`, 16);
    }
    parts.push(rec);
  }
  if (file.trailing) parts.push(file.trailing);
  return Buffer.concat(parts);
}
