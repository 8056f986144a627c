// XCONVMODSEQ and RACLMODSEQ sources read as Cyrus 3.6.1 reads them: folder status records of a
// conversations.db keyed by uniqueid or (older databases) by name, and the counters file's
// raclmodseq, which any length, version or CRC inconsistency turns into 0.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { countersRaclModseq, folderModseqs, xconvModseq } from '../../src/dump/index.js';

const rec = (key: string, value: string) => ({ key: Buffer.from(key, 'latin1'), value: Buffer.from(value, 'latin1') });

/** A counters file of `version` with raclmodseq at offset 88 and a valid trailing CRC. */
function counters(version: number, length: number, racl: bigint): Buffer {
  const b = Buffer.alloc(length);
  b.writeUInt32BE(version, 4);
  b.writeBigUInt64BE(racl, 88);
  b.writeUInt32BE(crc32(b.subarray(0, length - 4)) >>> 0, length - 4);
  return b;
}

describe('conversations.db folder status', () => {
  const mb = { name: 'user.carol.Work', uniqueid: 'u-123' };
  it('keys folders by uniqueid when $FOLDER_IDS exists', () => {
    const f = folderModseqs([rec('$FOLDER_IDS', '(u-123)'), rec('Fu-123', '0 (77 3 1 4 2)'), rec('Fuser.carol.Work', '0 (5 0 0 0 0)')]);
    expect(xconvModseq(f, mb)).toBe(77n);
  });
  it('keys folders by name in a $FOLDER_NAMES database', () => {
    const f = folderModseqs([rec('$FOLDER_NAMES', '(user.carol.Work)'), rec('Fuser.carol.Work', '0 (41 1 0 1 0)')]);
    expect(xconvModseq(f, mb)).toBe(41n);
  });
  it('an unknown status version or no record gives 0', () => {
    expect(xconvModseq(folderModseqs([rec('$FOLDER_IDS', '()'), rec('Fu-123', '1 (9 0 0 0 0)')]), mb)).toBe(0n);
    expect(xconvModseq(folderModseqs([rec('$FOLDER_IDS', '()')]), mb)).toBe(0n);
  });
});

describe('counters raclmodseq', () => {
  it('reads offset 88 from version 4 on', () => {
    expect(countersRaclModseq(counters(9, 296, 1234n))).toBe(1234n);
    expect(countersRaclModseq(counters(4, 104, 99n))).toBe(99n);
  });
  it('is 0 for older versions, a wrong length or a wrong CRC', () => {
    expect(countersRaclModseq(counters(3, 88 + 16, 5n))).toBe(0n);
    expect(countersRaclModseq(counters(9, 300, 5n))).toBe(0n);
    const bad = counters(9, 296, 5n);
    bad[90] ^= 1;
    expect(countersRaclModseq(bad)).toBe(0n);
    expect(countersRaclModseq(Buffer.alloc(3))).toBe(0n);
  });
});
