// Each damage of the contract's finding table, made on a private copy of a mailbox Cyrus 3.6.1
// wrote, is reported with its code — and with nothing else but the consequences named here.
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeIndexHeader, decodeIndexRecord } from '../../src/format/index/index.js';
import { copyOf, indexFixture } from '../helpers/fixtures.js';
import { buildDist, allFindings, checkPaths, codes, editIndex, flipByte } from './helpers.js';

beforeAll(() => {
  // The hashing workers run compiled JS (dist/workers/hash.js): make sure it is current.
  buildDist();
}, 120_000);

/** A writable copy of the fixture's mailbox folder. */
function mailbox(version: number): string {
  return join(copyOf(indexFixture(version)), 'mailbox');
}

const indexHeader = (mb: string) => decodeIndexHeader(readFileSync(join(mb, 'cyrus.index')));
const record = (mb: string, n: number) => {
  const buf = readFileSync(join(mb, 'cyrus.index'));
  const h = decodeIndexHeader(buf);
  return { offset: h.startOffset + (n - 1) * h.recordSize, rec: decodeIndexRecord(buf, h.startOffset + (n - 1) * h.recordSize, h), h };
};

interface Case {
  code: string;
  damage: (mb: string) => void;
  /** Every code the report must hold (the damage's own, plus stated consequences). */
  expect?: string[];
  versions?: number[];
}

const CASES: Case[] = [
  { code: 'HEADER_MISSING', damage: (mb) => rmSync(join(mb, 'cyrus.header')) },
  { code: 'HEADER_BAD', damage: (mb) => flipByte(join(mb, 'cyrus.header'), 2) },
  { code: 'INDEX_MISSING', damage: (mb) => rmSync(join(mb, 'cyrus.index')) },
  {
    code: 'INDEX_TRUNCATED',
    damage: (mb) => {
      const h = indexHeader(mb);
      truncateSync(join(mb, 'cyrus.index'), h.startOffset + 5 * h.recordSize);
    },
  },
  {
    code: 'INDEX_VERSION_UNSUPPORTED',
    damage: (mb) => {
      const p = join(mb, 'cyrus.index');
      const buf = readFileSync(p);
      buf.writeUInt32BE(11, 8); // 11 never existed publicly
      writeFileSync(p, buf);
    },
  },
  // pop3_last_login (offset 40) changed, CRC left alone.
  { code: 'INDEX_HEADER_CRC', damage: (mb) => flipByte(join(mb, 'cyrus.index'), 41) },
  {
    code: 'HEADER_FILE_CRC',
    damage: (mb) => {
      // Still a valid header: one ACL right changed ("n" → "a" duplicates nothing that matters).
      const p = join(mb, 'cyrus.header');
      const text = readFileSync(p, 'latin1');
      const changed = text.replace('lrswipkxtecdan', 'lrswipkxtecdaa');
      expect(changed).not.toBe(text);
      writeFileSync(p, changed, 'latin1');
    },
    versions: [16, 17],
  },
  { code: 'CACHE_MISSING', damage: (mb) => rmSync(join(mb, 'cyrus.cache')) },
  { code: 'CACHE_GENERATION', damage: (mb) => flipByte(join(mb, 'cyrus.cache'), 3) },
  { code: 'COUNTER_MISMATCH', damage: (mb) => editIndex(mb, (f) => void (f.header.answered += 1)) },
  { code: 'SYNC_CRC_MISMATCH', damage: (mb) => editIndex(mb, (f) => void (f.header.syncCrcBasic = (f.header.syncCrcBasic! ^ 1) >>> 0)) },
  {
    code: 'SYNC_CRC_ANNOT_MISMATCH',
    damage: (mb) => editIndex(mb, (f) => void (f.header.syncCrcAnnot = (f.header.syncCrcAnnot! ^ 1) >>> 0)),
    versions: [13, 17],
  },
  { code: 'LAST_UID_LOW', damage: (mb) => editIndex(mb, (f) => void (f.header.lastUid = 10)) },
  { code: 'HIGHESTMODSEQ_LOW', damage: (mb) => editIndex(mb, (f) => void (f.header.highestmodseq = 60n)) },
  // internaldate of record 3 changed, record CRC left alone.
  { code: 'RECORD_CRC', damage: (mb) => flipByte(join(mb, 'cyrus.index'), record(mb, 3).offset + 5) },
  {
    code: 'UID_ORDER',
    // Record 4 claims uid 3 (CRC fixed): Cyrus would wipe it, so file 4. has no record any more.
    damage: (mb) => editIndex(mb, (f) => void (f.records[3]!.uid = 3)),
    expect: ['UID_ORDER', 'UNINDEXED_FILE_REUSE'],
  },
  {
    code: 'CACHE_CRC',
    // A byte inside the ENVELOPE text of uid 1's cache record.
    damage: (mb) => flipByte(join(mb, 'cyrus.cache'), record(mb, 1).rec.cacheOffset + 20),
  },
  {
    code: 'CACHE_RECORD_BAD',
    damage: (mb) => {
      const p = join(mb, 'cyrus.cache');
      const buf = readFileSync(p);
      buf.writeUInt32BE(0x7fffff00, record(mb, 1).rec.cacheOffset); // ENVELOPE length past EOF
      writeFileSync(p, buf);
    },
  },
  { code: 'FILE_MISSING', damage: (mb) => rmSync(join(mb, '5.')) },
  {
    code: 'FILE_UNREADABLE',
    // Tests run as root, who reads anything: a folder where the file should be cannot be read.
    damage: (mb) => {
      rmSync(join(mb, '5.'));
      mkdirSync(join(mb, '5.'));
    },
  },
  { code: 'SIZE_MISMATCH', damage: (mb) => appendFileSync(join(mb, '5.'), 'x') },
  { code: 'GUID_MISMATCH', damage: (mb) => flipByte(join(mb, '5.'), 100) },
  {
    code: 'GUID_ZERO',
    // The GUID enters SYNC_CRC, so the stored checksum no longer matches either.
    damage: (mb) => editIndex(mb, (f) => void (f.records[4]!.guid = '0'.repeat(40))),
    expect: ['GUID_ZERO', 'SYNC_CRC_MISMATCH'],
  },
  {
    code: 'USER_FLAG_UNNAMED',
    damage: (mb) =>
      editIndex(mb, (f) => {
        f.records[4]!.userFlags[3] = (f.records[4]!.userFlags[3]! | 1) >>> 0; // flag 96: no name
      }),
  },
  { code: 'UNINDEXED_FILE', damage: (mb) => copyFileSync(join(mb, '5.'), join(mb, '99.')) },
  {
    code: 'UNINDEXED_FILE_REUSE',
    // uid 7 is EXPUNGED in these fixtures: dropping its record (as a repack would) changes no
    // counter and no checksum, but its file stays behind.
    damage: (mb) =>
      editIndex(mb, (f) => {
        const i = f.records.findIndex((r) => r.uid === 7);
        expect(f.records[i]!.internalFlags & 0x80000000).not.toBe(0);
        f.records.splice(i, 1);
      }),
  },
  { code: 'ODD_FILE', damage: (mb) => writeFileSync(join(mb, 'notes.txt'), 'left here by an admin\n') },
];

describe('check reports each damage of the contract, and nothing else', () => {
  for (const c of CASES) {
    for (const v of c.versions ?? [17, 12]) {
      it(`${c.code} (index v${v})`, async () => {
        const mb = mailbox(v);
        c.damage(mb);
        const report = await checkPaths([mb]);
        expect(codes(report)).toEqual((c.expect ?? [c.code]).sort());
        expect(report.summary.findings[c.code]).toBeGreaterThan(0);
      });
    }
  }
});

describe('finding details', () => {
  it('GUID_MISMATCH names the uid, the file and both SHA-1s', async () => {
    const mb = mailbox(17);
    flipByte(join(mb, '5.'), 100);
    const [f] = allFindings(await checkPaths([mb]));
    expect(f).toMatchObject({ code: 'GUID_MISMATCH', severity: 'error', uid: 5, file: join(mb, '5.') });
    expect(f!.expected).toBe(record(mb, 5).rec.guid);
    expect(f!.actual).toMatch(/^[0-9a-f]{40}$/);
    expect(f!.actual).not.toBe(f!.expected);
  });

  it('COUNTER_MISMATCH names the field, stored and recomputed values', async () => {
    const mb = mailbox(17);
    editIndex(mb, (f) => void (f.header.answered += 1));
    const [f] = allFindings(await checkPaths([mb]));
    expect(f).toMatchObject({ code: 'COUNTER_MISMATCH', field: 'answered', expected: '4', actual: '5' });
  });

  it('an unreadable file (permission) is FILE_UNREADABLE for a user who cannot read it', async () => {
    // Only meaningful when not root; root reads through mode 000.
    if (process.getuid?.() === 0) return;
    const mb = mailbox(17);
    chmodSync(join(mb, '5.'), 0);
    expect(codes(await checkPaths([mb]))).toEqual(['FILE_UNREADABLE']);
  });
});
