// Predicting Cyrus's twoskip recovery: recovery1 for a readable list, recovery2 (linear replay)
// when the list is broken, including Cyrus 3.6.1's recovery2 DELETE bug, checked against what
// cyr_dbtool actually leaves behind.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { recoverTwoskip } from '../../src/db/twoskip-recover.js';
import { decodeTwoskipRecord, readTwoskip, twoskipNext, TwoskipType, TWOSKIP_DUMMY_OFFSET } from '../../src/db/twoskip.js';
import type { DbRecord } from '../../src/db/types.js';
import { seenFixture } from '../helpers/fixtures.js';
import { batchScript, cyrusRecords, haveCyrus, scratch, type Scratch } from './cyrus-tool.js';

const keys = (recs: DbRecord[] | undefined) => recs?.map((r) => r.key.toString());
const pairs = (recs: DbRecord[] | undefined) => recs?.map((r) => [r.key.toString('hex'), r.value.toString('hex')]);

/** Offset of the live record with `key` (walks the level-0 list). */
function recordOf(buf: Buffer, key: string): number {
  const end = readTwoskip(buf).header.currentSize;
  let at = twoskipNext(decodeTwoskipRecord(buf, TWOSKIP_DUMMY_OFFSET), 0, end);
  while (at) {
    const r = decodeTwoskipRecord(buf, at);
    if (r.type === TwoskipType.RECORD && buf.subarray(r.keyOffset, r.keyOffset + r.keyLength).toString() === key) return at;
    at = r.type === TwoskipType.DELETE ? r.pointers[0]! : twoskipNext(r, 0, end);
  }
  throw new Error(`no record ${key}`);
}

/** Breaks the head CRC of the record at `at` and marks the file DIRTY (header CRC kept valid). */
function breakAndDirty(buf: Buffer, at: number): void {
  const r = decodeTwoskipRecord(buf, at);
  buf[r.keyOffset - 8] ^= 0xff;
  buf.writeUInt32BE(1, 56);
  buf.writeUInt32BE(crc32(buf.subarray(0, 60)), 60);
}

describe('twoskip recovery prediction (no Cyrus needed)', () => {
  it('says a clean file needs nothing', () => {
    const buf = readFileSync(join(seenFixture(), 'conf/mailboxes.db'));
    const r = recoverTwoskip(buf);
    expect(r.cyrusAction).toBe('none');
    expect(r.records.length).toBe(23);
    expect(r.cyrusRecords).toEqual(r.records);
  });

  it('predicts recovery1 for a DIRTY file whose list reads', () => {
    const buf = readFileSync(join(seenFixture(), 'conf/mailboxes.db'));
    buf.writeUInt32BE(1, 56);
    buf.writeUInt32BE(crc32(buf.subarray(0, 60)), 60);
    const r = recoverTwoskip(buf);
    expect(r.cyrusAction).toBe('recovery1');
    expect(r.records.length).toBe(23);
  });

  it('replays committed transactions when the list is broken', () => {
    const buf = readFileSync(join(seenFixture(), 'conf/mailboxes.db'));
    const before = readTwoskip(buf).records;
    const victim = recordOf(buf, 'Nshared');
    breakAndDirty(buf, victim);
    const r = recoverTwoskip(buf);
    expect(r.cyrusAction).toBe('recovery2');
    expect(r.listError?.offset).toBe(victim);
    expect(r.lostTransactions.length).toBeGreaterThan(0);
    // everything but what the lost transactions wrote is still there
    expect(keys(r.records)!.length).toBeLessThan(before.length);
    for (const rec of r.records) expect(before.some((b) => b.key.equals(rec.key))).toBe(true);
  });
});

const live = haveCyrus();

describe.skipIf(!live)('twoskip recovery prediction compared with Cyrus', () => {
  let s: Scratch;
  const S = () => (s ??= scratch());
  afterAll(() => s?.cleanup());

  it('reproduces Cyrus recovery2 deleting the successor of a deleted key (and gives the true contents)', () => {
    const db = S().path('abc.db');
    S().dbtool(db, 'twoskip', ['set', 'a', '1'], { flags: ['-n'] });
    S().dbtool(db, 'twoskip', ['set', 'b', '2']);
    S().dbtool(db, 'twoskip', ['set', 'c', '3']);
    S().dbtool(db, 'twoskip', ['delete', 'b']);
    const buf = readFileSync(db);
    breakAndDirty(buf, recordOf(buf, 'a'));
    writeFileSync(db, buf);
    const r = recoverTwoskip(buf);
    expect(r.cyrusAction).toBe('recovery2');
    expect(r.lostTransactions.length).toBe(1);
    expect(keys(r.records)).toEqual(['c']); // a's transaction is lost, b was deleted
    expect(keys(r.cyrusRecords)).toEqual(['b']); // Cyrus resurrects b and deletes c
    expect(pairs(r.cyrusRecords)).toEqual(pairs(cyrusRecords(S(), db, 'twoskip')));
  });

  it('predicts recovery2 over many transactions exactly as Cyrus performs it', () => {
    const db = S().path('many.db');
    const k = (i: number) => `k${i.toString().padStart(2, '0')}`;
    S().dbtool(db, 'twoskip', ['set', k(0), 'v'], { flags: ['-n'] });
    for (let i = 1; i < 30; i++) S().dbtool(db, 'twoskip', ['set', k(i), `v${i}`]);
    S().dbtool(db, 'twoskip', ['batch'], { input: batchScript([['DELETE', k(10)], ['SET', k(12), 'replaced'], ['DELETE', k(20)]]) });
    S().dbtool(db, 'twoskip', ['batch'], { input: batchScript([['DELETE', k(28)], ['SET', 'new', 'x']]) });
    const buf = readFileSync(db);
    breakAndDirty(buf, recordOf(buf, k(5)));
    writeFileSync(db, buf);
    const r = recoverTwoskip(buf);
    expect(r.cyrusAction).toBe('recovery2');
    expect(r.lostTransactions.length).toBe(1);
    const truth = new Map<string, string>();
    for (let i = 0; i < 30; i++) if (![5, 10, 20, 28].includes(i)) truth.set(k(i), i ? `v${i}` : 'v');
    truth.set(k(12), 'replaced');
    truth.set('new', 'x');
    expect(r.records.map((x) => [x.key.toString(), x.value.toString()])).toEqual([...truth.entries()].sort());
    expect(pairs(r.cyrusRecords)).toEqual(pairs(cyrusRecords(S(), db, 'twoskip')));
  });

  it('knows Cyrus recovery2 dies on the DELETE of the last key', () => {
    const db = S().path('last.db');
    S().dbtool(db, 'twoskip', ['set', 'a', '1'], { flags: ['-n'] });
    S().dbtool(db, 'twoskip', ['set', 'b', '2']);
    S().dbtool(db, 'twoskip', ['set', 'z', '3']);
    S().dbtool(db, 'twoskip', ['delete', 'z']);
    const buf = readFileSync(db);
    breakAndDirty(buf, recordOf(buf, 'a'));
    writeFileSync(db, buf);
    const r = recoverTwoskip(buf);
    expect(keys(r.records)).toEqual(['b']);
    expect(r.cyrusRecords).toBeUndefined();
    expect(r.cyrusFailure).toMatch(/assertion/);
    expect(() => cyrusRecords(S(), db, 'twoskip')).toThrow(/key && keylen/);
  });
});
