// The twoskip writer: byte-identical to what Cyrus 3.6.1 writes for the same records and levels,
// and files we write are read, checked and further modified by Cyrus's own cyr_dbtool.
import { readFileSync, writeFileSync, chownSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTwoskip, decodeTwoskipRecord, encodeTwoskip, readTwoskip, twoskipNext, TwoskipType, TWOSKIP_DUMMY_OFFSET } from '../../src/db/twoskip.js';
import type { DbRecord } from '../../src/db/types.js';
import { lcg } from './prng.js';
import { batchScript, cyrusRecords, haveCyrus, scratch, type Scratch } from './cyrus-tool.js';

const hexPairs = (recs: DbRecord[]) => recs.map((r) => [r.key.toString('hex'), r.value.toString('hex')]);

/** The level of every live record of a twoskip file, in key order. */
function levelsOf(buf: Buffer): number[] {
  const h = readTwoskip(buf).header;
  const out: number[] = [];
  let at = twoskipNext(decodeTwoskipRecord(buf, TWOSKIP_DUMMY_OFFSET), 0, h.currentSize);
  while (at) {
    const r = decodeTwoskipRecord(buf, at);
    if (r.type === TwoskipType.RECORD) out.push(r.level);
    at = r.type === TwoskipType.DELETE ? r.pointers[0]! : twoskipNext(r, 0, h.currentSize);
  }
  return out;
}

function randomRecords(n: number, seed: number): DbRecord[] {
  const rnd = lcg(seed);
  const bin = (len: number) => Buffer.from(Array.from({ length: len }, () => rnd() & 0xff));
  const m = new Map<string, DbRecord>();
  for (let i = 0; i < n; i++) {
    const key = i % 4 ? Buffer.from(`user.k${i}`) : bin(1 + (rnd() % 30));
    m.set(key.toString('hex'), { key, value: i % 9 ? Buffer.from(`1 ${i} 2 3 1:${i}`) : bin(rnd() % 900) });
  }
  return [...m.values()];
}

describe('twoskip writer (no Cyrus needed)', () => {
  it('round-trips through our reader and passes the consistency check', () => {
    const recs = randomRecords(3000, 1);
    const buf = encodeTwoskip(recs, { generation: 5 });
    const db = readTwoskip(buf);
    expect(db.records.length).toBe(recs.length);
    expect(new Set(hexPairs(db.records).map((p) => p.join()))).toEqual(new Set(hexPairs(recs).map((p) => p.join())));
    expect(db.header.generation).toBe(5);
    expect(db.clean).toBe(true);
    expect(checkTwoskip(buf).problems).toEqual([]);
    expect(buf.includes(Buffer.from(' BLANK'))).toBe(true);
  });

  it('writes an empty database as header + DUMMY', () => {
    const buf = encodeTwoskip([]);
    expect(buf.length).toBe(0x150);
    expect(readTwoskip(buf).records).toEqual([]);
    expect(checkTwoskip(buf).problems).toEqual([]);
  });

  it('refuses duplicate keys and impossible levels', () => {
    const r = { key: Buffer.from('a'), value: Buffer.from('1') };
    expect(() => encodeTwoskip([r, { ...r }])).toThrow(RangeError);
    expect(() => encodeTwoskip([r], { levels: [32] })).toThrow(RangeError);
  });
});

const live = haveCyrus();

describe.skipIf(!live)('twoskip writer compared with live Cyrus', () => {
  let s: Scratch;
  const S = () => (s ??= scratch());
  afterAll(() => s?.cleanup());

  it('reproduces a Cyrus checkpoint byte for byte (same records and levels)', () => {
    const db = S().path('cp.db');
    const recs = randomRecords(2500, 2);
    recs.push({ key: Buffer.alloc(70000, 0x6b), value: Buffer.from('long key') }); // 64-bit key length
    S().dbtool(db, 'twoskip', ['batch'], { input: batchScript(recs.map((r) => ['SET', r.key, r.value] as ['SET', Buffer, Buffer])), flags: ['-n'] });
    S().dbtool(db, 'twoskip', ['repack']);
    const theirs = readFileSync(db);
    const read = readTwoskip(theirs);
    expect(read.header.generation).toBeGreaterThan(1);
    const ours = encodeTwoskip(read.records, { generation: read.header.generation, levels: levelsOf(theirs) });
    expect(ours.length).toBe(theirs.length);
    expect(ours.equals(theirs)).toBe(true);
  });

  it('reproduces a first transaction written in key order byte for byte', () => {
    const db = S().path('first.db');
    const recs = [
      { key: Buffer.from('7qbtb2ht81c3fqi8dodw6g8w'), value: Buffer.from('1 1795887681 6 1795887679 1,3') },
      { key: Buffer.from('a0rw081s2imhau4d73rsuijz'), value: Buffer.from('1 1795888450 1 1795888449 ') },
      { key: Buffer.from('zz'), value: Buffer.alloc(300, 0x31) },
    ];
    S().dbtool(db, 'twoskip', ['batch'], { input: batchScript(recs.map((r) => ['SET', r.key, r.value] as ['SET', Buffer, Buffer])), flags: ['-n'] });
    const theirs = readFileSync(db);
    expect(readTwoskip(theirs).header.generation).toBe(1);
    const ours = encodeTwoskip(recs, { firstTransaction: true, levels: levelsOf(theirs) });
    expect(ours.toString('hex')).toBe(theirs.toString('hex'));
  });

  it('writes files Cyrus reads, finds consistent, and keeps writing to', () => {
    const recs = randomRecords(5000, 3);
    const file = S().path('ours.db');
    writeFileSync(file, encodeTwoskip(recs, { generation: 7 }));
    const st = statSync(S().dir);
    chownSync(file, st.uid, st.gid);
    expect(S().dbtool(file, 'twoskip', ['consistent']).toString()).toContain('Yes, consistent');
    const expected = readTwoskip(readFileSync(file)).records;
    expect(hexPairs(cyrusRecords(S(), file, 'twoskip'))).toEqual(hexPairs(expected));
    // Cyrus appends transactions to our file; both readers agree afterwards
    const victim = expected[100]!.key;
    S().dbtool(file, 'twoskip', ['batch'], {
      input: batchScript([
        ['DELETE', victim],
        ['SET', Buffer.from('new-key'), Buffer.from('new value')],
        ['SET', expected[5]!.key, Buffer.from('replaced')],
      ]),
    });
    const after = readFileSync(file);
    const mine = readTwoskip(after);
    expect(hexPairs(mine.records)).toEqual(hexPairs(cyrusRecords(S(), file, 'twoskip')));
    expect(mine.records.some((r) => r.key.equals(victim))).toBe(false);
    expect(mine.records.length).toBe(expected.length);
    expect(checkTwoskip(after).problems).toEqual([]);
    expect(S().dbtool(file, 'twoskip', ['consistent']).toString()).toContain('Yes, consistent');
  });

  it('writes an empty database Cyrus accepts', () => {
    const file = S().path('empty.db');
    writeFileSync(file, encodeTwoskip([]));
    const st = statSync(S().dir);
    chownSync(file, st.uid, st.gid);
    expect(S().dbtool(file, 'twoskip', ['consistent']).toString()).toContain('Yes, consistent');
    S().dbtool(file, 'twoskip', ['set', 'a', 'b']);
    expect(readTwoskip(readFileSync(file)).records.map((r) => r.key.toString())).toEqual(['a']);
  });
});
