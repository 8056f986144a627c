// SYNC_CRC and SYNC_CRC_ANNOT recomputed from real Cyrus 3.6.1 mailboxes (records from
// cyrus.index, flag names from cyrus.header, annotations from cyrus.annotations) equal the values
// Cyrus stored in the index header; the other algorithm variants do not.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTwoskip } from '../../src/db/twoskip.js';
import { messageAnnotations, type MessageAnnotation } from '../../src/format/annotations.js';
import { decodeHeader } from '../../src/format/header.js';
import { decodeIndex, isExpunged } from '../../src/format/index/index.js';
import { SYNC_CRC_ALGORITHMS, matchingAnnotAlgorithms, syncCrcAnnot, syncCrcBasic } from '../../src/format/synccrc.js';
import { MAILBOX_FIXTURES } from '../helpers/fixtures.js';


function load(dir: string) {
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
  const mbox = join(dir, 'mailbox');
  const index = decodeIndex(readFileSync(join(mbox, 'cyrus.index')));
  const flags = decodeHeader(readFileSync(join(mbox, 'cyrus.header'))).userFlags;
  const db = readTwoskip(readFileSync(join(mbox, 'cyrus.annotations')));
  const annotations = messageAnnotations(db.records, expected.mailbox as string);
  return { expected, index, flags, annotations };
}

describe.each(MAILBOX_FIXTURES)('SYNC_CRCs of real Cyrus mailbox %s', (_name, dir) => {
  it('basic SYNC_CRC equals the stored value', () => {
    const { expected, index, flags } = load(dir());
    const crc = syncCrcBasic(index.records, flags, SYNC_CRC_ALGORITHMS['3.x']);
    expect(crc).toBe(expected.stored_sync_crc.basic);
    // 2.4 and 3.x share the algorithm; hashing names as printed would not match when flags are set.
    expect(syncCrcBasic(index.records, flags, SYNC_CRC_ALGORITHMS['2.4'])).toBe(crc);
    if (index.records.some((r) => !isExpunged(r) && r.systemFlags)) {
      expect(syncCrcBasic(index.records, flags, SYNC_CRC_ALGORITHMS['dev-2010'])).not.toBe(crc);
    }
  });

  it('SYNC_CRC_ANNOT equals the stored value (v13+), with the 3.1.8+ seed only', () => {
    const { expected, index, annotations } = load(dir());
    const v = index.header.minorVersion;
    if (expected.stored_sync_crc.annot === null) {
      expect(v).toBe(12);
      return;
    }
    const crc = syncCrcAnnot(index.records, annotations, v, SYNC_CRC_ALGORITHMS['3.x']);
    expect(crc).toBe(expected.stored_sync_crc.annot);
    expect(syncCrcAnnot(index.records, annotations, v, SYNC_CRC_ALGORITHMS['3.1.7'])).toBe((crc ^ 12345678) >>> 0);
    // No record has a cid (conversations off), so master's padded thrid cannot differ here.
    expect(matchingAnnotAlgorithms(index.records, annotations, v, expected.stored_sync_crc.annot)).toEqual(['3.x', 'master']);
  });

  it('annotations decode to what Cyrus counts in quota_annot_used', () => {
    const { expected, index, annotations } = load(dir());
    if (expected.index_header.quota_annot_used === null) return;
    // calc_one_annot adds every live annotation value of each non-expunged record.
    const live = new Set(index.records.filter((r) => !isExpunged(r)).map((r) => r.uid));
    const used = annotations.filter((a: MessageAnnotation) => live.has(a.uid)).reduce((n, a) => n + a.value.length, 0);
    expect(used).toBe(expected.index_header.quota_annot_used);
  });
});

describe('annotations of the v17 fixture', () => {
  it('carry the owner-private comment with the owner userid in place of [.OwNeR.]', () => {
    const dir = MAILBOX_FIXTURES.find(([n]) => n === 'index-v17')![1]();
    const { annotations } = load(dir);
    expect(annotations.map((a) => [a.uid, a.entry, a.userid, a.value.toString()])).toEqual([
      [1, '/comment', 'fx17', 'lab annotation on first message'],
    ]);
  });
});
