// cyrus.index codec, minor versions 6–10 and 12–20 (spec cyrus-mailbox-format.md §1–6).
//
// Public API (stable; check and repair build on it):
//   decodeIndexHeader(buf) → IndexHeader     throws FormatError TRUNCATED | BAD_VERSION | BAD_LENGTH
//                                            (offset set); header CRC reported in crcOk/crcComputed
//   indexGeometry(header, fileSize) → { expectedRecords, recordCount, expectedSize, truncated,
//                                       trailingBytes }        (truncated ⇒ INDEX_TRUNCATED)
//   decodeIndexRecord(buf, offset, header | version) → IndexRecord   stream records one by one;
//       record n (0-based) is at header.startOffset + n * header.recordSize; CRC in crcOk
//   decodeIndex(buf) → { header, records, trailing? }
//   encodeIndexHeader(header, {recomputeCrc?}), encodeIndexRecord(record, version, {recomputeCrc?}),
//   encodeIndex({header, records, trailing?}, {recomputeCrc?}) → Buffer
//       stored CRCs and spare bytes are written back verbatim unless recomputeCrc is set.
// Types: times are Unix seconds (number; v20 sub-seconds in `nsec`); modseqs, cids, sizes and
// quota byte counts are bigint; uids, counters, CRCs and flag words are number.
// Flags: record.systemFlags (SystemFlag bits), record.internalFlags (InternalFlag bits, unshifted),
// record.userFlags (4 words; userFlagBits() lists set flag numbers); names via systemFlagNames() etc.
export * from './header.js';
export * from './record.js';
export * from './file.js';
export * from './flags.js';
export { INDEX_VERSIONS, indexLayout, type IndexLayout } from './layout.js';
