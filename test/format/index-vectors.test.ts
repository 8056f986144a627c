// The byte vectors of cyrus-mailbox-format.md Appendix A (a Cyrus 2.4 v12 file and a v19 file
// from Cassandane's version19 fixture) decode to the annotated values, their CRCs check, and
// their records reproduce the SYNC_CRC strings of §10.8.
import { describe, expect, it } from 'vitest';
import {
  decodeIndexHeader,
  decodeIndexRecord,
  encodeIndexHeader,
  encodeIndexRecord,
  systemFlagNames,
} from '../../src/format/index/index.js';
import { syncCrcBasicRecord, syncCrcBasicString, virtualAnnotations } from '../../src/format/synccrc.js';

/** Appendix A hex dump lines (`0000: w w w w   comment`) → bytes. */
const dump = (text: string) =>
  Buffer.from(
    text
      .trim()
      .split('\n')
      .map((l) => l.trim().slice(6).split(/\s+/).slice(0, 4).join(''))
      .join(''),
    'hex',
  );

const A1 = dump(`
0000: 00000000 00000000 0000000c 00000080   gen=0 format=0 minor=12 start=128
0010: 00000060 00000004 4e71fdc3 00000004   recsize=96 num_records=4 last_appenddate last_uid=4
0020: 00000000 000021dc 00000000 4e71fd5c   quota_used=8668 pop3_last_login=0 uidvalidity=0x4e71fd5c
0030: 00000000 00000000 00000000 00000001   deleted answered flagged options=1 (POP3_NEW_UIDL)
0040: 00000000 00000000 00000003 00000000   leaked=0 highestmodseq=3 | deletedmodseq(hi)
0050: 00000000 00000004 00000000 00000000   deletedmodseq(lo)=0 exists=4 first_expunged last_repack
0060: 7b030e19 bee9e7ed 00000000 00000000   header_file_crc sync_crc recentuid recenttime
0070: 00000000 00000000 00000000 50a47d62   spare spare spare header_crc=CRC32(bytes 0-123)
`);

const A2 = dump(`
0000: 00000001 4e6f4b8c 4e6f45c0 00000877   uid=1 internaldate sentdate size=2167
0010: 00000127 4e6f4a6f 00000004 4e71fdc3   header_size=295 gmtime cache_offset=4 last_updated
0020: 00000000 00000000 00000000 00000000   system_flags user_flags[0..2]
0030: 00000000 0000001a 00000003 1b10b496   user_flags[3] content_lines=26 cache_version=3 guid...
0040: fcf86587 4d6c6ed4 58c596a6 efb38f39   ...guid
0050: 00000000 00000003 7dea3151 5c3a2af6   modseq=3 cache_crc record_crc=CRC32(bytes 0-91)
`);

const A3 = dump(`
0000: 00000001 00000000 00000013 000000a0
0010: 00000070 00000004 67b612fd 00000004
0020: 00000000 00000acf 00000000 67b612fe
0030: 00000000 00000000 00000000 00000004   deleted answered flagged exists=4
0040: 00000001 00000000 00000000 0000000f   options=1 leaked=0 highestmodseq=15
0050: 00000000 00000000 00000000 6852c4ff   deletedmodseq=0 first_expunged=0 last_repack_time
0060: 78499253 5a511607 00000004 67b612fd   header_file_crc basic recentuid=4 recenttime
0070: 00000000 00000000 8111ab84 00000003   pop3_show_after quota_annot_used annot unseen=3
0080: 00000000 00000001 00000000 00000000   createdmodseq=1 quota_deleted_used=0
0090: 00000000 00000000 67b612fd 99c27fe0   quota_expunged_used=0 changes_epoch header_crc=CRC32(bytes 0-155)
`);

const A4 = dump(`
0000: 00000001 67b5e8cd 67b56550 00000296   uid=1 internaldate sentdate size=662
0010: 00000295 67b5e8cd 00000004 6852c4ff   header_size=661 gmtime cache_offset=4 last_updated
0020: 00000010 00000000 00000000 00000000   system_flags=\\Seen user_flags[0..2]
0030: 00000000 67b612fd 0000000d 19b076ac   user_flags[3] savedate cache_version=13 guid...
0040: 177685e0 c8c58136 8515893e f5e2bcec   ...guid
0050: 00000000 0000000c 8843af4d 1c1f8ef2   modseq=12 cid=0x8843af4d1c1f8ef2
0060: 00000000 00000005 1c27ec6e bf67b837   createdmodseq=5 cache_crc record_crc=CRC32(bytes 0-107)
`);

describe('Appendix A.1/A.2: v12 written by Cyrus 2.4', () => {
  it('decodes the header and checks its CRC', () => {
    expect(A1.length).toBe(128);
    const h = decodeIndexHeader(A1);
    expect(h).toMatchObject({
      generationNo: 0, format: 0, minorVersion: 12, startOffset: 128, recordSize: 96, numRecords: 4,
      lastAppenddate: 0x4e71fdc3, lastUid: 4, quotaMailboxUsed: 8668n, pop3LastLogin: 0,
      uidvalidity: 0x4e71fd5c, deleted: 0, answered: 0, flagged: 0, options: 1, leakedCacheRecords: 0,
      highestmodseq: 3n, deletedmodseq: 0n, exists: 4, firstExpunged: 0, lastRepackTime: 0,
      headerFileCrc: 0x7b030e19, syncCrcBasic: 0xbee9e7ed, recentuid: 0, recenttime: 0,
      crcStored: 0x50a47d62, crcComputed: 0x50a47d62, crcOk: true,
    });
    expect(h.pop3ShowAfter).toBeUndefined();
    expect(h.syncCrcAnnot).toBeUndefined();
    expect(h.spare).toEqual(Buffer.alloc(12));
    expect(encodeIndexHeader(h).equals(A1)).toBe(true);
  });

  it('decodes record 1, checks its CRC and rebuilds example 1 of §10.8', () => {
    const r = decodeIndexRecord(A2, 0, 12);
    expect(r).toMatchObject({
      uid: 1, internaldate: 0x4e6f4b8c, sentdate: 0x4e6f45c0, size: 2167n, headerSize: 295,
      gmtime: 0x4e6f4a6f, cacheOffset: 4, lastUpdated: 0x4e71fdc3, systemFlags: 0, internalFlags: 0,
      userFlags: [0, 0, 0, 0], contentLines: 26, cacheVersion: 3,
      guid: '1b10b496fcf865874d6c6ed458c596a6efb38f39', modseq: 3n, cacheCrc: 0x7dea3151,
      recordCrc: 0x5c3a2af6, recordCrcComputed: 0x5c3a2af6, crcOk: true,
    });
    expect(syncCrcBasicString(r, [])).toBe('1 3 1316093379 (0) 1315916684 1b10b496fcf865874d6c6ed458c596a6efb38f39');
    expect(syncCrcBasicRecord(r, [])).toBe(0x3de5d9d6);
    expect(encodeIndexRecord(r, 12).equals(A2)).toBe(true);
  });
});

describe('Appendix A.3/A.4: v19 (Cassandane version19 fixture)', () => {
  it('decodes the re-ordered v19 header and checks its CRC', () => {
    expect(A3.length).toBe(160);
    const h = decodeIndexHeader(A3);
    expect(h).toMatchObject({
      generationNo: 1, minorVersion: 19, startOffset: 160, recordSize: 112, numRecords: 4,
      lastAppenddate: 0x67b612fd, lastUid: 4, quotaMailboxUsed: 0xacfn, uidvalidity: 0x67b612fe,
      exists: 4, options: 1, leakedCacheRecords: 0, highestmodseq: 15n, deletedmodseq: 0n,
      firstExpunged: 0, lastRepackTime: 0x6852c4ff, headerFileCrc: 0x78499253, syncCrcBasic: 0x5a511607,
      recentuid: 4, recenttime: 0x67b612fd, pop3ShowAfter: 0, quotaAnnotUsed: 0n, syncCrcAnnot: 0x8111ab84,
      unseen: 3, createdmodseq: 1n, quotaDeletedUsed: 0n, quotaExpungedUsed: 0n, changesEpoch: 0x67b612fd,
      crcStored: 0x99c27fe0, crcOk: true, quirks: [],
    });
    expect(h.spare).toBeUndefined();
    expect(encodeIndexHeader(h).equals(A3)).toBe(true);
  });

  it('decodes record 1 and rebuilds the basic and virtual-annotation strings of example 3', () => {
    const r = decodeIndexRecord(A4, 0, decodeIndexHeader(A3));
    expect(r).toMatchObject({
      uid: 1, internaldate: 0x67b5e8cd, sentdate: 0x67b56550, size: 662n, headerSize: 661,
      gmtime: 0x67b5e8cd, cacheOffset: 4, lastUpdated: 0x6852c4ff, savedate: 0x67b612fd,
      cacheVersion: 13, guid: '19b076ac177685e0c8c581368515893ef5e2bcec', modseq: 12n,
      cid: 0x8843af4d1c1f8ef2n, createdmodseq: 5n, cacheCrc: 0x1c27ec6e, recordCrc: 0xbf67b837, crcOk: true,
    });
    expect(systemFlagNames(r.systemFlags)).toEqual(['\\Seen']);
    expect(r.contentLines).toBeUndefined();
    expect(syncCrcBasicRecord(r, [])).toBe(0x6d86bfed);
    expect(virtualAnnotations(r, 19).map((a) => `${a.entry}=${a.value}`)).toEqual([
      '/vendor/cmu/cyrus-imapd/createdmodseq=5',
      '/vendor/cmu/cyrus-imapd/savedate=1739985661',
      '/vendor/cmu/cyrus-imapd/thrid=8843af4d1c1f8ef2',
    ]);
    expect(encodeIndexRecord(r, 19).equals(A4)).toBe(true);
  });
});
