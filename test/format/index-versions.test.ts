// Every minor version 6–10 and 12–20, including those no fixture covers (6–11, 18–20): files
// built byte by byte from the spec's own layout tables (cyrus-mailbox-format.md §4.2–4.4, §5.1,
// §5.2, cross-checked with the §6 quick lookup) decode to the values placed at those offsets and
// encode back to the same bytes.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  INDEX_VERSIONS,
  decodeIndex,
  decodeIndexHeader,
  decodeIndexRecord,
  encodeIndex,
  encodeIndexRecord,
  indexLayout,
  type IndexHeader,
  type IndexRecord,
} from '../../src/format/index/index.js';

type Kind = 4 | 8 | 'big4' | 'ns' | 16 | 20 | 12;
/** [field, offset, kind, first version, last version] as printed in the spec's tables. */
type Row = [string, number, Kind, number, number?];

const CLASSIC_HEADER: Row[] = [
  ['lastAppenddate', 24, 4, 6], ['lastUid', 28, 4, 6], ['quotaMailboxUsed', 32, 8, 6],
  ['pop3LastLogin', 40, 4, 6], ['uidvalidity', 44, 4, 6], ['deleted', 48, 4, 6], ['answered', 52, 4, 6],
  ['flagged', 56, 4, 6], ['options', 60, 4, 6], ['leakedCacheRecords', 64, 4, 6], ['highestmodseq', 68, 8, 8],
  ['deletedmodseq', 76, 8, 12], ['exists', 84, 4, 12], ['firstExpunged', 88, 4, 12], ['lastRepackTime', 92, 4, 12],
  ['headerFileCrc', 96, 4, 12], ['syncCrcBasic', 100, 4, 12], ['recentuid', 104, 4, 12], ['recenttime', 108, 4, 12],
  ['pop3ShowAfter', 112, 4, 13], ['quotaAnnotUsed', 116, 'big4', 13], ['syncCrcAnnot', 120, 4, 13],
  ['unseen', 124, 4, 14], ['createdmodseq', 128, 8, 16], ['changesEpoch', 136, 4, 17],
  ['quotaDeletedUsed', 140, 8, 18], ['quotaExpungedUsed', 148, 8, 18],
];
const V19_HEADER: Row[] = [
  ['lastAppenddate', 24, 4, 19], ['lastUid', 28, 4, 19], ['quotaMailboxUsed', 32, 8, 19],
  ['pop3LastLogin', 40, 4, 19], ['uidvalidity', 44, 4, 19], ['deleted', 48, 4, 19], ['answered', 52, 4, 19],
  ['flagged', 56, 4, 19], ['exists', 60, 4, 19], ['options', 64, 4, 19], ['leakedCacheRecords', 68, 4, 19],
  ['highestmodseq', 72, 8, 19], ['deletedmodseq', 80, 8, 19], ['firstExpunged', 88, 4, 19],
  ['lastRepackTime', 92, 4, 19], ['headerFileCrc', 96, 4, 19], ['syncCrcBasic', 100, 4, 19],
  ['recentuid', 104, 4, 19], ['recenttime', 108, 4, 19], ['pop3ShowAfter', 112, 4, 19],
  ['quotaAnnotUsed', 116, 'big4', 19], ['syncCrcAnnot', 120, 4, 19], ['unseen', 124, 4, 19],
  ['createdmodseq', 128, 8, 19], ['quotaDeletedUsed', 136, 8, 19], ['quotaExpungedUsed', 144, 8, 19],
  ['changesEpoch', 152, 4, 19],
];
const V20_HEADER: Row[] = [
  ['lastAppenddate', 24, 'ns', 20], ['quotaMailboxUsed', 32, 8, 20], ['pop3LastLogin', 40, 'ns', 20],
  ['deleted', 48, 4, 20], ['answered', 52, 4, 20], ['flagged', 56, 4, 20], ['exists', 60, 4, 20],
  ['options', 64, 4, 20], ['leakedCacheRecords', 68, 4, 20], ['highestmodseq', 72, 8, 20],
  ['deletedmodseq', 80, 8, 20], ['lastUid', 88, 4, 20], ['uidvalidity', 92, 4, 20], ['headerFileCrc', 96, 4, 20],
  ['syncCrcBasic', 100, 4, 20], ['recenttime', 104, 'ns', 20], ['pop3ShowAfter', 112, 'ns', 20],
  ['syncCrcAnnot', 120, 4, 20], ['unseen', 124, 4, 20], ['createdmodseq', 128, 8, 20],
  ['quotaDeletedUsed', 136, 8, 20], ['quotaExpungedUsed', 144, 8, 20], ['quotaAnnotUsed', 152, 8, 20],
  ['changesEpoch', 160, 'ns', 20], ['firstExpunged', 168, 'ns', 20], ['lastRepackTime', 176, 'ns', 20],
  ['recentuid', 184, 4, 20],
];
const CLASSIC_RECORD: Row[] = [
  ['uid', 0, 4, 6], ['internaldate', 4, 4, 6], ['sentdate', 8, 4, 6], ['size', 12, 'big4', 6],
  ['headerSize', 16, 4, 6], ['contentOffset', 20, 4, 6, 10], ['gmtime', 20, 4, 12], ['lastUpdated', 28, 4, 6],
  ['userFlags', 36, 16, 6], ['contentLines', 52, 4, 6, 14], ['savedate', 52, 4, 15],
  ['messageUuid', 60, 12, 7, 9], ['guid', 60, 20, 10], ['modseq', 72, 8, 8, 9], ['modseq', 80, 8, 10],
  ['cacheCrc', 88, 4, 12, 12], ['cid', 88, 8, 13], ['cacheCrc', 96, 4, 13, 15], ['createdmodseq', 96, 8, 16],
  ['cacheCrc', 104, 4, 16],
];
const V20_RECORD: Row[] = [
  ['uid', 0, 4, 20], ['internaldate', 8, 'ns', 20], ['sentdate', 16, 'ns', 20], ['size', 24, 8, 20],
  ['headerSize', 32, 4, 20], ['userFlags', 40, 16, 20], ['guid', 60, 20, 20], ['modseq', 80, 8, 20],
  ['cid', 88, 8, 20], ['createdmodseq', 96, 8, 20], ['gmtime', 104, 'ns', 20], ['lastUpdated', 112, 'ns', 20],
  ['savedate', 120, 'ns', 20], ['basecid', 128, 8, 20], ['cacheCrc', 136, 4, 20],
];
/** §1: header size, record size. */
const SIZES: Record<number, [number, number]> = {
  6: [76, 60], 7: [76, 72], 8: [92, 80], 9: [96, 80], 10: [96, 88], 12: [128, 96], 13: [128, 104],
  14: [160, 104], 15: [160, 104], 16: [160, 112], 17: [160, 112], 18: [160, 112], 19: [160, 112],
  20: [192, 144],
};
/** §6 quick lookup (v12–v20): hdr highestmodseq, exists, options, last_uid, uidvalidity, hdr CRC. */
const QUICK: Record<number, number[]> = {
  12: [68, 84, 60, 28, 44, 124], 13: [68, 84, 60, 28, 44, 124], 14: [68, 84, 60, 28, 44, 156],
  15: [68, 84, 60, 28, 44, 156], 16: [68, 84, 60, 28, 44, 156], 17: [68, 84, 60, 28, 44, 156],
  18: [68, 84, 60, 28, 44, 156], 19: [72, 60, 64, 28, 44, 156], 20: [72, 60, 64, 88, 92, 188],
};

const applies = (v: number, [, , , from, to]: Row) => v >= from && v <= (to ?? 99);

/** Writes a distinct value for each row at its spec offset and returns what the decoder must say. */
function place(buf: Buffer, base: number, rows: Row[], seed: number) {
  const want: Record<string, unknown> = {};
  const nsec: Record<string, number> = {};
  rows.forEach(([name, off, kind], i) => {
    const at = base + off;
    const n = seed * 1000 + i * 7 + 1;
    switch (kind) {
      case 4: buf.writeUInt32BE(n, at); want[name] = n; break;
      case 'big4': buf.writeUInt32BE(n, at); want[name] = BigInt(n); break;
      case 8: {
        const v = (BigInt(n) << 33n) | BigInt(n); // both halves non-zero: catches word swaps
        buf.writeBigUInt64BE(v, at); want[name] = v; break;
      }
      case 'ns': buf.writeBigUInt64BE(BigInt(n) * 1_000_000_000n + BigInt(n % 1000), at);
        want[name] = n; nsec[name] = n % 1000; break;
      case 16: {
        const words = [n, n + 1, 0x80000000 + n, n + 3];
        words.forEach((w, j) => buf.writeUInt32BE(w, at + 4 * j)); want[name] = words; break;
      }
      case 20: case 12: {
        const hex = Buffer.alloc(kind, n & 0xff).map((b, j) => (b + j) & 0xff);
        hex.copy(buf, at); want[name] = Buffer.from(hex).toString('hex'); break;
      }
    }
  });
  return { want, nsec };
}

function build(v: number) {
  const [hsize, rsize] = SIZES[v]!;
  const buf = Buffer.alloc(hsize + 2 * rsize);
  const hrows = (v === 20 ? V20_HEADER : v === 19 ? V19_HEADER : CLASSIC_HEADER).filter((r) => applies(v, r));
  const header = place(buf, 0, hrows, 1);
  for (const [off, val] of [[4, 0], [8, v], [12, hsize], [16, rsize], [20, 2]] as const) buf.writeUInt32BE(val, off);
  const rrows = (v === 20 ? V20_RECORD : CLASSIC_RECORD).filter((r) => applies(v, r));
  const records = [0, 1].map((i) => {
    const base = hsize + i * rsize;
    const placed = place(buf, base, rrows, 2 + i);
    // Flags word and cache_version word: split into system/internal flags, 48-bit cache offset.
    const flagsAt = v === 20 ? 36 : 32;
    const cacheOffAt = v === 20 ? 4 : 24;
    buf.writeUInt32BE(0x80000011, base + flagsAt);
    buf.writeUInt32BE(0xdeadbeef, base + cacheOffAt);
    buf.writeUInt32BE(0x00070000 | 12, base + 56);
    if (v >= 12) buf.writeUInt32BE(crc32(buf.subarray(base, base + rsize - 4)), base + rsize - 4);
    return placed;
  });
  if (v >= 12) buf.writeUInt32BE(crc32(buf.subarray(0, hsize - 4)), hsize - 4);
  return { buf, header, records };
}

describe.each(INDEX_VERSIONS.map((v) => [v]))('minor version %i built from the spec tables', (v) => {
  it('has the spec sizes, and for v12+ the §6 offsets', () => {
    const layout = indexLayout(v)!;
    expect([layout.headerSize, layout.recordSize]).toEqual(SIZES[v]);
    if (QUICK[v]) {
      const at = (n: string) => layout.header.find((f) => f.name === n)!.offset;
      expect([at('highestmodseq'), at('exists'), at('options'), at('lastUid'), at('uidvalidity'), layout.headerCrcOffset])
        .toEqual(QUICK[v]);
    }
  });

  it('decodes every field from its spec offset', () => {
    const { buf, header, records } = build(v);
    const h = decodeIndexHeader(buf);
    expect(h).toMatchObject(header.want);
    expect(h.crcOk).toBe(true);
    if (v === 20) expect(h.nsec).toEqual(header.nsec);
    expect(h.spare === undefined || h.spare.every((b) => b === 0)).toBe(true);
    const file = decodeIndex(buf);
    file.records.forEach((r, i) => {
      expect(r).toMatchObject(records[i]!.want);
      if (v === 20) expect(r.nsec).toEqual(records[i]!.nsec);
      expect(r).toMatchObject({
        systemFlags: 0x11, internalFlags: 0x80000000, cacheVersion: 12, cacheOffset: 7 * 2 ** 32 + 0xdeadbeef, crcOk: true,
      });
    });
    // Fields the version lacks are absent, not zero.
    if (v < 8) expect(h.highestmodseq).toBeUndefined();
    if (v < 12) expect([h.exists, h.headerFileCrc, h.crcStored, file.records[0]!.recordCrc]).toEqual([undefined, undefined, undefined, undefined]);
    if (v < 10) expect(file.records[0]!.guid).toBeUndefined();
    if (v < 20) expect(file.records[0]!.basecid).toBeUndefined();
  });

  it('encodes back to the same bytes', () => {
    const { buf } = build(v);
    expect(encodeIndex(decodeIndex(buf)).equals(buf)).toBe(true);
    expect(encodeIndex(decodeIndex(buf), { recomputeCrc: true }).equals(buf)).toBe(true);
  });

  it('reports a lying CRC, keeps it on encode, and fixes it only when asked (v12+)', () => {
    const { buf } = build(v);
    const [hsize, rsize] = SIZES[v]!;
    buf[hsize + rsize + 1]! ^= 0x40; // a uid bit of record 2
    buf[29]! ^= 0x01; // a header byte
    const file = decodeIndex(buf);
    if (v < 12) {
      expect(file.header.crcOk && file.records[1]!.crcOk).toBe(true);
      return;
    }
    expect(file.header.crcOk).toBe(false);
    expect(file.records.map((r) => r.crcOk)).toEqual([true, false]);
    expect(encodeIndex(file).equals(buf)).toBe(true);
    const fixed = decodeIndex(encodeIndex(file, { recomputeCrc: true }));
    expect(fixed.header.crcOk && fixed.records.every((r) => r.crcOk)).toBe(true);
  });
});

describe('version-specific behaviour', () => {
  it('reads a v19 header with 144-byte records as master does, flagging it and keeping the extra bytes', () => {
    const { buf } = build(19);
    const h = decodeIndexHeader(buf);
    const wide = Buffer.alloc(160 + 144);
    buf.copy(wide, 0, 0, 160 + 112);
    wide.fill(0xab, 160 + 112);
    wide.writeUInt32BE(144, 16);
    wide.writeUInt32BE(1, 20);
    wide.writeUInt32BE(crc32(wide.subarray(0, 156)), 156);
    const file = decodeIndex(wide);
    expect(file.header.quirks).toEqual(['V19_WIDE_RECORDS']);
    expect(file.records[0]!.crcOk).toBe(true);
    expect(file.records[0]!.uid).toBe(decodeIndexRecord(buf, 160, h).uid);
    expect(file.records[0]!.spare).toEqual(Buffer.alloc(32, 0xab));
    expect(encodeIndex(file).equals(wide)).toBe(true);
  });

  it('recognises the 32-bit modseq of v8/v9 files downgraded by Cyrus 2.5–3.1.4 (§5.7 quirk 1)', () => {
    for (const v of [8, 9]) {
      const { buf } = build(v);
      const [hsize] = SIZES[v]!;
      buf.writeBigUInt64BE(7n, 68); // header highestmodseq
      buf.writeUInt32BE(5, hsize + 72); // record 1: u32 modseq, zero at 76
      buf.writeUInt32BE(0, hsize + 76);
      buf.writeBigUInt64BE(6n, hsize + 80 + 72); // record 2: a genuine u64
      const file = decodeIndex(buf);
      expect([file.records[0]!.modseq, file.records[0]!.modseq32]).toEqual([5n, true]);
      expect([file.records[1]!.modseq, file.records[1]!.modseq32]).toEqual([6n, undefined]);
      // Without a header there is no highestmodseq to judge by: the raw u64 is returned.
      expect(decodeIndexRecord(buf, hsize, v).modseq).toBe(5n << 32n);
      expect(encodeIndex(file).equals(buf)).toBe(true);
      // Written as v10 (an upgrade), the modseq becomes a proper u64.
      expect(decodeIndexRecord(encodeIndexRecord(file.records[0]!, 10), 0, 10).modseq).toBe(5n);
    }
  });

  it('flags a v13 file with a FastMail SYNC_CRC_VERS number at offset 120', () => {
    const { buf } = build(13);
    buf.writeUInt32BE(2, 120);
    buf.writeUInt32BE(crc32(buf.subarray(0, 124)), 124);
    expect(decodeIndexHeader(buf).quirks).toEqual(['V13_SYNC_CRC_VERS']);
  });

  it('converts between versions: fields the target lacks are dropped, missing ones zero', () => {
    const v17 = decodeIndex(build(17).buf);
    const header: IndexHeader = { ...v17.header, minorVersion: 12, startOffset: 128, recordSize: 96, spare: undefined };
    const records: IndexRecord[] = v17.records.map((r) => ({ ...r, savedate: undefined }));
    const v12 = decodeIndex(encodeIndex({ header, records }, { recomputeCrc: true }));
    expect(v12.header.crcOk && v12.records.every((r) => r.crcOk)).toBe(true);
    expect(v12.header.unseen).toBeUndefined();
    expect(v12.header.spare).toEqual(Buffer.alloc(12));
    expect(v12.records[0]).toMatchObject({ uid: v17.records[0]!.uid, guid: v17.records[0]!.guid, contentLines: 0 });
    expect(v12.records[0]!.cid).toBeUndefined();
  });
});
