// u64 record fields are read as one exact number below 2^53 and through two words above: values
// on both sides of that boundary, and the largest u64, decode to what was encoded.
import { describe, expect, it } from 'vitest';
import { decodeIndexRecord, encodeIndexRecord, type IndexRecord } from '../../src/format/index/index.js';

const base: IndexRecord = {
  uid: 1, internaldate: 2, sentdate: 3, size: 4n, headerSize: 5, gmtime: 6, cacheOffset: 7, lastUpdated: 8,
  systemFlags: 0, internalFlags: 0, userFlags: [0, 0, 0, 0], savedate: 9, cacheVersion: 1,
  guid: '00'.repeat(20), modseq: 1n, cid: 1n, createdmodseq: 1n, crcOk: true,
};

describe('u64 fields around 2^53', () => {
  for (const v of [0n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
    it(`modseq, cid and createdmodseq ${v}`, () => {
      const buf = encodeIndexRecord({ ...base, modseq: v, cid: v, createdmodseq: v }, 17, { recomputeCrc: true });
      const r = decodeIndexRecord(buf, 0, 17);
      expect([r.modseq, r.cid, r.createdmodseq]).toEqual([v, v, v]);
      expect(r.crcOk).toBe(true);
    });
  }
});
