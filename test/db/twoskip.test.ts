// The twoskip reader against what Cyrus 3.6.1 itself reads from the same files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { checkTwoskip, decodeTwoskipRecord, readTwoskip, TWOSKIP_BLANK, TWOSKIP_DIRTY } from '../../src/db/twoskip.js';
import type { DbRecord } from '../../src/db/types.js';
import { indexFixture, INDEX_VERSIONS, seenFixture } from '../helpers/fixtures.js';
import { lcg } from './prng.js';
import { batchScript, cyrusRecords, haveCyrus, parseShow, scratch, type Scratch } from './cyrus-tool.js';

const asText = (recs: DbRecord[]) => recs.map((r) => [r.key.toString('latin1'), r.value.toString('latin1')]);
const hexPairs = (recs: DbRecord[]) => recs.map((r) => [r.key.toString('hex'), r.value.toString('hex')]);

describe('twoskip: the seen fixture (dumped by cyr_dbtool at fixture time)', () => {
  for (const [db, dump] of [
    ['conf/mailboxes.db', 'mailboxes.db.cyr_dbtool.txt'],
    ['conf/fxseen.seen.db', 'fxseen.seen.db.txt'],
  ] as const) {
    it(`reads ${db} exactly as cyr_dbtool show printed it`, () => {
      const file = join(seenFixture(), db);
      const got = readTwoskip(readFileSync(file), file);
      const want = parseShow(readFileSync(join(seenFixture(), dump), 'latin1'));
      expect(want.length).toBeGreaterThan(3);
      expect(asText(got.records)).toEqual(want);
      expect(got.clean).toBe(true);
      expect(got.uncommitted).toBeNull();
      expect(got.header.numRecords).toBe(want.length);
      expect(checkTwoskip(readFileSync(file)).problems).toEqual([]);
    });
  }
});

const live = haveCyrus();

describe.skipIf(!live)('twoskip: compared with live cyr_dbtool', () => {
  let s: Scratch;
  const S = () => (s ??= scratch());
  afterAll(() => s?.cleanup());

  it.each(INDEX_VERSIONS)('reads index-v%i cyrus.annotations as Cyrus does', (v) => {
    const file = join(indexFixture(v), 'mailbox', 'cyrus.annotations');
    const buf = readFileSync(file);
    const ours = readTwoskip(buf, file);
    expect(hexPairs(ours.records)).toEqual(hexPairs(cyrusRecords(S(), file, 'twoskip')));
    expect(checkTwoskip(buf).problems).toEqual([]);
  });

  it('follows inserts, replacements, deletes and binary keys across many transactions', () => {
    const db = S().path('mixed.db');
    const model = new Map<string, Buffer>();
    const rnd = lcg(7);
    const bin = (n: number) => Buffer.from(Array.from({ length: n }, () => rnd() & 0xff));
    // transaction 1: a bulk load, including binary keys/values and a key longer than 512 bytes
    const ops: Array<['SET', Buffer, Buffer] | ['DELETE', Buffer]> = [];
    for (let i = 0; i < 3000; i++) {
      const key = i % 10 === 0 ? bin(1 + (rnd() % 40)) : Buffer.from(`key-${i.toString().padStart(5, '0')}`);
      const value = i % 7 === 0 ? bin(rnd() % 300) : Buffer.from(`value ${i}`);
      ops.push(['SET', key, value]);
    }
    ops.push(['SET', Buffer.alloc(700, 0x41), Buffer.alloc(5000, 0x00)]);
    for (const op of ops) model.set(op[1].toString('hex'), op[2]);
    S().dbtool(db, 'twoskip', ['batch'], { input: batchScript(ops), flags: ['-n'] });
    // then many small transactions: replace, delete, re-insert
    for (let t = 0; t < 40; t++) {
      const keys = [...model.keys()];
      const tx: Array<['SET', Buffer, Buffer] | ['DELETE', Buffer]> = [];
      for (let j = 0; j < 5; j++) {
        const k = Buffer.from(keys[rnd() % keys.length]!, 'hex');
        if (rnd() % 3 === 0) {
          tx.push(['DELETE', k]);
          model.delete(k.toString('hex'));
        } else {
          const v = bin(rnd() % 50);
          tx.push(['SET', k, v]);
          model.set(k.toString('hex'), v);
        }
      }
      S().dbtool(db, 'twoskip', ['batch'], { input: batchScript(tx) });
    }
    const buf = readFileSync(db);
    const ours = readTwoskip(buf, db);
    const theirs = cyrusRecords(S(), db, 'twoskip');
    expect(hexPairs(ours.records)).toEqual(hexPairs(theirs));
    const expected = [...model.entries()]
      .map(([k, v]) => [k, v.toString('hex')])
      .sort((a, b) => Buffer.compare(Buffer.from(a[0]!, 'hex'), Buffer.from(b[0]!, 'hex')));
    expect(hexPairs(ours.records)).toEqual(expected);
    expect(ours.clean).toBe(true);
    expect(checkTwoskip(buf).problems).toEqual([]);
  });

  it('reads a repacked file (generation 2, one COMMIT)', () => {
    const db = S().path('repack.db');
    S().dbtool(db, 'twoskip', ['set', 'a', '1'], { flags: ['-n'] });
    for (const [k, v] of [['b', '2'], ['a', '3'], ['c', '4']]) S().dbtool(db, 'twoskip', ['set', k!, v!]);
    S().dbtool(db, 'twoskip', ['delete', 'b']);
    S().dbtool(db, 'twoskip', ['repack']);
    const buf = readFileSync(db);
    const ours = readTwoskip(buf, db);
    expect(ours.header.generation).toBe(2);
    expect(asText(ours.records)).toEqual([['a', '3'], ['c', '4']]);
    expect(hexPairs(ours.records)).toEqual(hexPairs(cyrusRecords(S(), db, 'twoskip')));
    expect(checkTwoskip(buf).problems).toEqual([]);
  });

  it('ignores and reports a transaction a crashed writer left behind, like Cyrus recovery', () => {
    const base = S().path('base.db');
    S().dbtool(base, 'twoskip', ['set', 'alpha', 'one'], { flags: ['-n'] });
    S().dbtool(base, 'twoskip', ['set', 'omega', 'two']);
    const many = Array.from({ length: 300 }, (_, i) => ['SET', `k${i}`, `v${i}`] as ['SET', string, string]);
    S().dbtool(base, 'twoskip', ['batch'], { input: batchScript(many) });
    // `damage` stores INVALID=CRASHME inside a transaction and dies before committing. Its record
    // level is random; retry until the crash left upper-level pointers of committed records
    // rewritten in place (level ≥ 2, probability 1/2 per try), the case recovery has to undo.
    let db = '';
    let buf = Buffer.alloc(0);
    for (let attempt = 0; attempt < 30; attempt++) {
      db = S().copyIn(base, `damaged-${attempt}.db`);
      try {
        S().dbtool(db, 'twoskip', ['damage']);
      } catch {
        /* exits non-zero by design */
      }
      buf = readFileSync(db);
      if (upperPointersPastEnd(buf) > 0) break;
    }
    expect(upperPointersPastEnd(buf)).toBeGreaterThan(0);
    const ours = readTwoskip(buf, db);
    expect(ours.dirty).toBe(true);
    expect(ours.clean).toBe(false);
    expect(ours.uncommitted).toEqual({ offset: ours.header.currentSize, length: buf.length - ours.header.currentSize });
    expect(ours.uncommitted!.length).toBeGreaterThan(0);
    expect(buf.includes('CRASHME')).toBe(true);
    expect(ours.records.length).toBe(302);
    expect(ours.records.some((r) => r.key.toString() === 'INVALID')).toBe(false);
    expect(hexPairs(ours.records)).toEqual(hexPairs(cyrusRecords(S(), db, 'twoskip')));
    // the only problem reported is the unfinished transaction, not the pointers recovery rebuilds
    expect(new Set(checkTwoskip(buf).problems.map((p) => p.code))).toEqual(new Set(['NOT_CLEAN']));
  });
});

/** Committed records whose upper-level slots point into the uncommitted tail. */
function upperPointersPastEnd(buf: Buffer): number {
  const end = readTwoskip(buf).header.currentSize;
  let n = 0;
  for (let at = 0x40; at < end; ) {
    if (buf.subarray(at, at + 8).equals(TWOSKIP_BLANK)) {
      at += 8;
      continue;
    }
    const r = decodeTwoskipRecord(buf, at);
    if (r.pointers.slice(2).some((p) => p >= end)) n++;
    at += r.length;
  }
  return n;
}

describe('twoskip: hostile input', () => {
  const real = () => readFileSync(join(seenFixture(), 'conf/mailboxes.db'));
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (e instanceof FormatError) return [e.code, e.offset];
      throw e;
    }
    return 'no error';
  };

  it('rejects short, foreign and future-version files with the offset', () => {
    expect(code(() => readTwoskip(Buffer.alloc(10)))).toEqual(['TRUNCATED', 0]);
    expect(code(() => readTwoskip(Buffer.alloc(100)))).toEqual(['BAD_MAGIC', 0]);
    const b = real();
    b.writeUInt32BE(2, 20);
    expect(code(() => readTwoskip(b))).toEqual(['BAD_VERSION', 20]);
  });

  it('detects a header CRC mismatch, and reads on when asked to ignore CRCs', () => {
    const b = real();
    b.writeUInt32BE(b.readUInt32BE(32) + 1, 32); // num_records
    expect(code(() => readTwoskip(b))).toEqual(['BAD_CRC', 60]);
    expect(readTwoskip(b, undefined, { verifyCrc: false }).records.length).toBe(23);
    expect(checkTwoskip(b).problems.map((p) => p.code)).toEqual(['HEADER_CRC', 'COUNT']);
  });

  it('detects a flipped value byte by the tail CRC, naming the record', () => {
    const b = real();
    const at = b.indexOf('lrswipkxtecdan');
    b[at] ^= 0x20;
    const [c, off] = code(() => readTwoskip(b)) as [string, number];
    expect(c).toBe('BAD_CRC');
    const rec = decodeTwoskipRecord(b, off);
    expect(at).toBeGreaterThan(rec.keyOffset);
    expect(at).toBeLessThan(rec.keyOffset + rec.keyLength + rec.valueLength);
    expect(checkTwoskip(b).problems).toContainEqual(expect.objectContaining({ code: 'TAIL_CRC', offset: off }));
  });

  it('stops at a pointer loop instead of hanging', () => {
    const b = real();
    const first = readTwoskip(b);
    expect(first.records.length).toBe(23);
    // point the DUMMY's level-0 slots back at the DUMMY itself; without CRCs nothing else stops it
    b.writeUInt32BE(0, 0x48);
    b.writeUInt32BE(0x40, 0x4c);
    b.writeUInt32BE(0, 0x50);
    b.writeUInt32BE(0x40, 0x54);
    expect(code(() => readTwoskip(b, undefined, { verifyCrc: false }))[0]).toBe('BAD_VALUE');
    expect(checkTwoskip(b).problems.length).toBeGreaterThan(0);
  });

  it('treats a lying current_size: pointers to the cut-off part are past the end', () => {
    const b = real();
    const hdr = readTwoskip(b).header;
    b.writeUInt32BE(0x200, 52); // current_size = 0x200, far less than the file
    b.writeUInt32BE(0, 48);
    // the DUMMY's newest level-0 pointer is now "uncommitted", so the older one is followed
    const r = code(() => readTwoskip(b, undefined, { verifyCrc: false }));
    expect(r === 'no error' || (r as unknown[])[0] === 'BAD_VALUE').toBe(true);
    expect(hdr.currentSize).toBe(b.length);
    const probs = checkTwoskip(b).problems.map((p) => p.code);
    expect(probs).toContain('NOT_CLEAN');
  });

  it('marks a DIRTY flag even when the size matches', () => {
    const b = real();
    b.writeUInt32BE(TWOSKIP_DIRTY, 56);
    const r = readTwoskip(b, undefined, { verifyCrc: false });
    expect(r.dirty).toBe(true);
    expect(r.clean).toBe(false);
    expect(r.uncommitted).toBeNull();
  });
});
