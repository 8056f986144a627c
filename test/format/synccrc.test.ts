// SYNC_CRC / SYNC_CRC_ANNOT against the worked examples of the specs (cyrus-mailbox-format.md
// §2, §10.2, §10.8; cyrus-db-seen-dlist.md §9.7), which were checked against values real Cyrus
// stored. Records are built from the examples' tables.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InternalFlag, SystemFlag } from '../../src/format/index/index.js';
import {
  SYNC_CRC_ALGORITHMS,
  crcAnnot,
  isVirtualAnnotation,
  matchingAnnotAlgorithms,
  syncCrcAnnot,
  syncCrcBasic,
  syncCrcBasicRecord,
  syncCrcBasicString,
  syncFlagCrc,
  virtualAnnotations,
  type SyncCrcAnnotRecord,
} from '../../src/format/synccrc.js';

const R = SYNC_CRC_ALGORITHMS['3.x'];

/** A record from an example row: uid modseq last_updated internaldate guid, flags word, user_flags[0]. */
function rec(
  uid: number,
  modseq: number,
  lastUpdated: number,
  internaldate: number,
  guid: string,
  flagsWord = 0,
  user0 = 0,
  extra: Partial<SyncCrcAnnotRecord> = {},
): SyncCrcAnnotRecord {
  return {
    uid,
    modseq: BigInt(modseq),
    lastUpdated,
    internaldate,
    guid,
    systemFlags: flagsWord & 0xffff,
    internalFlags: (flagsWord & 0xffff0000) >>> 0,
    userFlags: [user0, 0, 0, 0],
    ...extra,
  };
}

const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

describe('flag CRCs (§2 vectors)', () => {
  const only = (systemFlags: number) => syncFlagCrc({ systemFlags, userFlags: [0, 0, 0, 0] }, []);
  it('hashes lower-cased system flag names', () => {
    expect(only(SystemFlag.DELETED)).toBe(301770925);
    expect(only(SystemFlag.ANSWERED)).toBe(2050749261);
    expect(only(SystemFlag.FLAGGED)).toBe(3986028895);
    expect(only(SystemFlag.DRAFT)).toBe(1255147686);
    expect(only(SystemFlag.SEEN)).toBe(3201761491);
  });
  it('hashes ASCII-lower-cased user flag names and ignores bits without a name', () => {
    const names = ['$Label1', undefined, '', 'NonJunk'];
    expect(syncFlagCrc({ systemFlags: 0, userFlags: [0b0001, 0, 0, 0] }, names)).toBe(979321343);
    expect(syncFlagCrc({ systemFlags: 0, userFlags: [0b1000, 0, 0, 0] }, names)).toBe(3204112192);
    expect(syncFlagCrc({ systemFlags: 0, userFlags: [0b0110, 0, 0, 0] }, names)).toBe(0);
    // Names are byte strings (latin1); bytes ≥ 0x80 are not case-folded (lib/util.c lcase).
    expect(syncFlagCrc({ systemFlags: 0, userFlags: [1, 0, 0, 0] }, ['\xc4B'])).toBe(crc32(Buffer.from([0xc4, 0x62])));
  });
  it('reaches user flags in the upper words (flag 100 = word 3 bit 4)', () => {
    const names: string[] = [];
    names[100] = 'High';
    expect(syncFlagCrc({ systemFlags: 0, userFlags: [0, 0, 0, 1 << 4] }, names)).toBe(crc32(Buffer.from('high')));
  });
});

describe('basic SYNC_CRC (§10.2, §10.8 examples 1, 2, 5)', () => {
  const guid24 = '1b10b496fcf865874d6c6ed458c596a6efb38f39';
  it('builds the §10.2 string and hashes it', () => {
    const r = rec(1, 3, 1316093379, 1315916684, guid24);
    expect(syncCrcBasicString(r, [])).toBe(`1 3 1316093379 (0) 1315916684 ${guid24}`);
    expect(hex(syncCrcBasicRecord(r, []))).toBe('3de5d9d6');
    expect(syncFlagCrc(rec(1, 3, 0, 0, guid24, SystemFlag.SEEN, 1), ['$Label1'])).toBe(2223522092);
  });

  it('example 1: Cyrus 2.4 user.cassandane, stored bee9e7ed', () => {
    const records = [1, 2, 3, 4].map((uid) => rec(uid, 3, 1316093379, 1315916684, guid24));
    expect(records.map((r) => hex(syncCrcBasicRecord(r, [])))).toEqual(['3de5d9d6', 'd64f916b', '8f29a900', 'da6a0650']);
    expect(hex(syncCrcBasic(records, [], SYNC_CRC_ALGORITHMS['2.4']))).toBe('bee9e7ed');
  });

  it('example 2: version12 user.cassandane, stored 578db63c', () => {
    const rows: Array<[number, number, number, string]> = [
      [1, 0x10, 1471228073, '4355b0d3d08ee200938b528dcf6be6ffd5d8e0ee'],
      [2, 0, 1471228073, '814050f992d070dcf18bf627a7ce20efd2ddfbb2'],
      [3, 0x10, 1471228073, 'a8005aa2a60a3b36d7973d56244bb402dd9c5b3b'],
      [4, 0, 1471228073, 'ae0df4b9b7a2d944ab8f925183a603bcd90c4b77'],
      [5, 0, 1471228074, 'd538c53cadb24c7a840105e8c0e49bebec124958'],
      [6, 0, 1471228074, '3fb467c3d2b58b7761d0b92a5790922689499181'],
      [7, 0, 1471228074, '92655c79d08befafd5424ee01b70280f457693fd'],
      [8, 0, 1471228074, '42a3923597237e109e6ffca02e51d90b7ea0192c'],
      [9, 0, 1471228074, 'febc07a8daa21181fdfe9a6398fe3045c6efe101'],
    ];
    const records = rows.map(([uid, f, idate, g]) => rec(uid, 2, 1471228297, idate, g, f));
    expect(records.map((r) => hex(syncCrcBasicRecord(r, [])))).toEqual([
      'd9d38489', '62237ebc', '31d5e255', 'c8bd0a43', 'f22b4004', 'd263e29b', '58b9a149', '07451949', '6aa1be80',
    ]);
    expect(hex(syncCrcBasic(records, []))).toBe('578db63c');
  });

  it('example 5: Cyrus 3.6.1 user.alice with user flags and an expunged record, stored 84d62e20', () => {
    const flags = ['$Label1', 'MixedCase', '$Junk', 'NonJunk'];
    const records = alice();
    expect(records.map((r) => syncFlagCrc(r, flags))).toEqual([
      2223522092, 3679758242, 3204112192, 820771819, 301770925, 3201761491, 3587980796,
    ]);
    expect(syncCrcBasicString(records[1]!, flags)).toBe(
      '2 14 1795887717 (3679758242) 1704164645 48d94336e9c9c427c367aa053408cb1e375b8a7a',
    );
    expect(records.map((r) => hex(syncCrcBasicRecord(r, flags)))).toEqual([
      'd7e56e73', 'ddf114a8', '51f2faff', 'b80d23d4', '00000000', 'e5a352c7', '829edf17',
    ]);
    expect(hex(syncCrcBasic(records, flags))).toBe('84d62e20');
  });

  it('hashes 40 zeros for versions without a GUID and modseq 0 before v8', () => {
    const r = { uid: 7, lastUpdated: 5, internaldate: 6, systemFlags: 0, internalFlags: 0, userFlags: [0, 0, 0, 0] };
    expect(syncCrcBasicString(r, [])).toBe(`7 0 5 (0) 6 ${'0'.repeat(40)}`);
  });
});

/** Example 5's records (user.alice, v17); uid 5's annotation fields are made up: it is expunged. */
function alice(): SyncCrcAnnotRecord[] {
  const rows: Array<[number, number, number, number, string, number, number, number, string]> = [
    [1, 4, 1795887716, 0x10, 'd1d57976973a837e5daf68cd2882bd2c9a7a8877', 1, 1795887716, 4, '4026a0979c53886c'],
    [2, 14, 1795887717, 0x02, '48d94336e9c9c427c367aa053408cb1e375b8a7a', 2, 1795887716, 5, 'd92a9ad7e2a0cf35'],
    [3, 16, 1795887717, 0x00, 'e7d2969ffeb88a3ea15a1d627831ad196e9475a3', 8, 1795887716, 6, '76214f7ef5d1812c'],
    [4, 7, 1795887717, 0x09, 'fa32ad631afcda77f320caf8fadfd4bf5504d09c', 0, 1795887717, 7, '6bc174821195d165'],
    [5, 8, 1795887717, 0x80000004, '0123456789abcdef0123456789abcdef01234567', 0, 1795887717, 8, '1234'],
    [6, 9, 1795887717, 0x10, 'd1d57976973a837e5daf68cd2882bd2c9a7a8877', 0, 1795887717, 9, '4026a0979c53886c'],
    [7, 10, 1795887717, 0x00, '0dc8bca2ca00c90a3548484bfa3b50408cbf0173', 4, 1795887717, 10, '9c3b6543c169c218'],
  ];
  return rows.map(([uid, modseq, lu, f, g, u0, savedate, cms, cid]) =>
    rec(uid, modseq, lu, 1704164645, g, f, u0, { savedate, createdmodseq: BigInt(cms), cid: BigInt(`0x${cid}`) }),
  );
}

describe('SYNC_CRC_ANNOT (§10.3, §10.8 examples 3–7)', () => {
  it('hashes `<uid> <entry> <userid> <value>` with two spaces for shared values', () => {
    expect(hex(crcAnnot(1, '/vendor/cmu/cyrus-imapd/createdmodseq', '', '5'))).toBe('8ba92b7e');
    expect(hex(crcAnnot(2, '/comment', '', Buffer.from('hello world')))).toBe('c07206f3');
    expect(hex(crcAnnot(3, '/comment', 'alice', 'private note'))).toBe('e9c898fd');
  });

  it('example 3: version19 user.cassandane, stored basic 5a511607, annot 8111ab84', () => {
    const records = [
      rec(1, 12, 1750254847, 1739974861, '19b076ac177685e0c8c581368515893ef5e2bcec', 0x10, 0,
        { createdmodseq: 5n, savedate: 1739985661, cid: 0x8843af4d1c1f8ef2n }),
      rec(2, 13, 1750254847, 1739985661, 'e6881ec78d00b6472014fcc7ef232f1eaf736bd5', 0, 0,
        { createdmodseq: 6n, savedate: 1739985661, cid: 0x777bc7268669bd55n }),
      rec(3, 14, 1750254847, 1739978461, '24db7db47ad9cdfa3fc6f8cd619d9ccd6b47461b', 0, 0,
        { createdmodseq: 7n, savedate: 1739985661, cid: 0x8843af4d1c1f8ef2n }),
      rec(4, 15, 1750254847, 1739982061, '33ba3aba9b053bd328bb8ce4c7a4a73b0b306f5e', 0, 0,
        { createdmodseq: 8n, savedate: 1739985661, cid: 0x8843af4d1c1f8ef2n }),
    ];
    expect(records.map((r) => hex(syncCrcBasicRecord(r, [])))).toEqual(['6d86bfed', '00dfd2b0', '0f6d69e8', '386512b2']);
    expect(hex(syncCrcBasic(records, []))).toBe('5a511607');
    expect(virtualAnnotations(records[0]!, 19).map((a) => `1 ${a.entry}  ${a.value}`).sort()).toEqual([
      '1 /vendor/cmu/cyrus-imapd/createdmodseq  5',
      '1 /vendor/cmu/cyrus-imapd/savedate  1739985661',
      '1 /vendor/cmu/cyrus-imapd/thrid  8843af4d1c1f8ef2',
    ]);
    expect(hex(syncCrcAnnot(records, [], 19, R))).toBe('8111ab84');
  });

  it('example 4: version19 user.cassandane.foo, stored basic dfd7854a, annot 8c1a448c', () => {
    const records = [
      rec(1, 16, 1750254847, 1739974861, '19b076ac177685e0c8c581368515893ef5e2bcec', 0x10, 0,
        { createdmodseq: 5n, savedate: 1739985661, cid: 0x8843af4d1c1f8ef2n }),
      rec(2, 17, 1750254847, 1737922434, 'e6881ec78d00b6472014fcc7ef232f1eaf736bd5', 0, 0,
        { createdmodseq: 17n, savedate: 1750254847, cid: 0x777bc7268669bd55n }),
    ];
    expect(hex(syncCrcBasic(records, []))).toBe('dfd7854a');
    expect(hex(syncCrcAnnot(records, [], 19, R))).toBe('8c1a448c');
  });

  it('example 5: user.alice with shared and owner-private annotations, stored bd93262f', () => {
    const annots = [
      { uid: 2, entry: '/comment', userid: '', value: Buffer.from('hello world') },
      { uid: 3, entry: '/comment', userid: 'alice', value: Buffer.from('private note') },
      // Not counted: expunged record, mailbox-level, unknown uid, empty value, entries virtual at v17.
      { uid: 5, entry: '/comment', userid: '', value: Buffer.from('gone') },
      { uid: 0, entry: '/comment', userid: '', value: Buffer.from('mailbox') },
      { uid: 99, entry: '/comment', userid: '', value: Buffer.from('orphan') },
      { uid: 1, entry: '/comment', userid: '', value: Buffer.alloc(0) },
      { uid: 1, entry: '/vendor/cmu/cyrus-imapd/savedate', userid: '', value: Buffer.from('1') },
    ];
    expect(hex(syncCrcAnnot(alice(), annots, 17, R))).toBe('bd93262f');
    // 2.5.0–3.1.7 start from 0 instead of CRC_INIT_ANNOT.
    expect(syncCrcAnnot(alice(), annots, 17, SYNC_CRC_ALGORITHMS['2.5'])).toBe((0xbd93262f ^ 12345678) >>> 0);
  });

  it('example 6: thrid text is %llx in releases and %016llx on master', () => {
    const r2 = rec(2, 1, 1, 1, '0'.repeat(40), 0, 0, { cid: 0x038ce293a794fe30n });
    const r6 = rec(6, 1, 1, 1, '0'.repeat(40), 0, 0, { cid: 0x074d815a4fdd70d9n });
    expect(virtualAnnotations(r2, 17, R)).toEqual([{ entry: '/vendor/cmu/cyrus-imapd/thrid', value: '38ce293a794fe30' }]);
    expect(virtualAnnotations(r2, 17, SYNC_CRC_ALGORITHMS.master)[0]!.value).toBe('038ce293a794fe30');
    expect(hex(syncCrcAnnot([r2], [], 17, R) ^ 12345678)).toBe('efb118ad');
    expect(hex(syncCrcAnnot([r2], [], 17, SYNC_CRC_ALGORITHMS.master) ^ 12345678)).toBe('2f6fe175');
    expect(hex(syncCrcAnnot([r6], [], 17, R) ^ 12345678)).toBe('3ca5d1be');
    expect(hex(syncCrcAnnot([r6], [], 17, SYNC_CRC_ALGORITHMS.master) ^ 12345678)).toBe('5a4f2d99');
    const stored = syncCrcAnnot([r2, r6], [], 17, R);
    expect(matchingAnnotAlgorithms([r2, r6], [], 17, stored)).toEqual(['3.x']);
    expect(matchingAnnotAlgorithms([r2, r6], [], 17, (stored ^ 12345678) >>> 0)).toEqual(['2.4', '2.5', '3.1.7']);
    expect(matchingAnnotAlgorithms([r2, r6], [], 17, 1)).toEqual([]);
  });

  it('example 7: an empty mailbox has basic 0 and annot 12345678 (0 before 3.1.8)', () => {
    expect(syncCrcBasic([], [])).toBe(0);
    expect(syncCrcAnnot([], [], 19, R)).toBe(0x00bc614e);
    expect(syncCrcAnnot([], [], 16, SYNC_CRC_ALGORITHMS['3.1.7'])).toBe(0);
  });

  it('presents record fields as annotations only from the version that moved them', () => {
    const r = rec(1, 1, 1, 1, '0'.repeat(40), 0, 0, {
      cid: 0xabn, savedate: 9, createdmodseq: 3n, basecid: 0xcdn, nsec: { internaldate: 42 },
    });
    const names = (v: number) => virtualAnnotations(r, v).map((a) => a.entry.split('/').pop());
    expect(names(12)).toEqual([]);
    expect(names(13)).toEqual(['thrid']);
    expect(names(15)).toEqual(['savedate', 'thrid']);
    expect(names(16)).toEqual(['createdmodseq', 'savedate', 'thrid']);
    expect(names(20)).toEqual(['internaldate.nsec', 'basethrid', 'createdmodseq', 'savedate', 'thrid']);
    expect(virtualAnnotations(r, 20, SYNC_CRC_ALGORITHMS.master)[1]!.value).toBe('00000000000000cd');
    expect(isVirtualAnnotation('/vendor/cmu/cyrus-imapd/savedate', 14)).toBe(false);
    expect(isVirtualAnnotation('/vendor/cmu/cyrus-imapd/savedate', 15)).toBe(true);
    expect(isVirtualAnnotation('/vendor/cmu/cyrus-imapd/basethrid', 19)).toBe(false);
    // An expunged record contributes nothing, virtual or stored.
    const gone = { ...r, internalFlags: InternalFlag.EXPUNGED };
    expect(syncCrcAnnot([gone], [{ uid: 1, entry: '/x', userid: '', value: 'v' }], 20, R)).toBe(12345678);
  });

  it('NULL userids: skipped from 3.1.7, hashed as empty before', () => {
    const r = rec(1, 1, 1, 1, '0'.repeat(40));
    const a = [{ uid: 1, entry: '/x', userid: null, value: 'v' }];
    expect(syncCrcAnnot([r], a, 17, R)).toBe(12345678);
    expect(syncCrcAnnot([r], a, 13, SYNC_CRC_ALGORITHMS['2.5'])).toBe(crcAnnot(1, '/x', '', 'v'));
  });
});

describe('the 2010 APPLY MAILBOX example (cyrus-db-seen-dlist.md §9.7)', () => {
  const r = rec(1, 1, 1278460344, 1268029091, '196922b6d822b618c665874fb523b9058a0adb56', SystemFlag.FLAGGED);
  it('gives 2544541980 with the released (lower-casing) algorithm', () => {
    expect(syncCrcBasicString(r, [])).toBe(
      '1 1 1278460344 (3986028895) 1268029091 196922b6d822b618c665874fb523b9058a0adb56',
    );
    expect(syncCrcBasic([r], [], SYNC_CRC_ALGORITHMS['2.4'])).toBe(2544541980);
  });
  it('gives the transmitted 123100176 only when the flag is hashed as printed', () => {
    expect(syncCrcBasic([r], [], SYNC_CRC_ALGORITHMS['dev-2010'])).toBe(123100176);
  });
});
