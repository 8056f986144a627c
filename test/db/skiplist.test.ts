// The skiplist reader (log replay) against what Cyrus 3.6.1 reads from the same files.
import { chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { checkSkiplist, decodeSkiplistRecord, encodeSkiplist, readSkiplist, SkiplistType } from '../../src/db/skiplist.js';
import type { DbRecord } from '../../src/db/types.js';
import { batchScript, cyrusRecords, haveCyrus, scratch, type Scratch } from './cyrus-tool.js';
import { lcg } from './prng.js';

const hexPairs = (recs: DbRecord[]) => recs.map((r) => [r.key.toString('hex'), r.value.toString('hex')]);

// The spec's hex walkthrough (§3.6): `cyr_dbtool -n s2.db skiplist set key value`, never reopened.
const SPEC_S2 = Buffer.from(
  [
    'a1028b0d 736b69706c6973742066696c65 000000', // magic
    '00000001 00000002 00000014 00000003 00000000 00000090 6b0b11dd', // v1.2, maxlevel 20, curlevel 3, logstart 0x90
    '00000101 00000000 00000000 00000090 00000090 00000090', // DUMMY: ptr0-2 = 0x90
    '00000000'.repeat(17) + 'ffffffff', // ptr3-19, terminator at 0x8C
    '00000002 00000003 6b657900 00000005 76616c75 65000000', // ADD "key" = "value"
    '00000000 00000000 00000000 ffffffff 000000ff', // three pointers, terminator, COMMIT
  ]
    .join('')
    .replace(/ /g, ''),
  'hex',
);

describe('skiplist: the spec example', () => {
  it('replays the ADD of a one-transaction log', () => {
    expect(SPEC_S2.length).toBe(0xbc);
    const db = readSkiplist(SPEC_S2);
    expect(db.records.map((r) => [r.key.toString(), r.value.toString()])).toEqual([['key', 'value']]);
    expect(db.logStart).toBe(0x90);
    expect(db.clean).toBe(true);
    expect(checkSkiplist(SPEC_S2).problems).toEqual([]);
  });

  it('drops a transaction without COMMIT and says where it starts', () => {
    const cut = SPEC_S2.subarray(0, SPEC_S2.length - 4);
    const db = readSkiplist(cut);
    expect(db.records).toEqual([]);
    expect(db.uncommitted).toEqual({ offset: 0x90, length: cut.length - 0x90, reason: 'transaction without COMMIT' });
    expect(checkSkiplist(cut).problems.map((p) => p.code)).toEqual(['NOT_CLEAN']);
  });

  it('rejects damaged headers and DUMMYs with their offsets', () => {
    const err = (b: Buffer) => {
      try {
        readSkiplist(b);
      } catch (e) {
        if (e instanceof FormatError) return [e.code, e.offset];
      }
      return null;
    };
    expect(err(SPEC_S2.subarray(0, 20))).toEqual(['TRUNCATED', 0]);
    const v = Buffer.from(SPEC_S2);
    v.writeUInt32BE(2, 20);
    expect(err(v)).toEqual(['BAD_VERSION', 20]);
    const d = Buffer.from(SPEC_S2);
    d.writeUInt32BE(1, 0x30);
    expect(err(d)).toEqual(['BAD_VALUE', 0x30]);
    const t = Buffer.from(SPEC_S2);
    t.writeUInt32BE(7, 0x90); // unknown log record type
    expect(err(t)).toEqual(['BAD_VALUE', 0x90]);
  });
});

const live = haveCyrus();

describe.skipIf(!live)('skiplist: compared with live cyr_dbtool', () => {
  let s: Scratch;
  const S = () => (s ??= scratch());
  afterAll(() => s?.cleanup());

  it('replays a log of inserts, replacements and deletes, including signed-char key order', () => {
    const db = S().path('log.db');
    const rnd = lcg(11);
    const model = new Map<string, Buffer>();
    const bin = (n: number) => Buffer.from(Array.from({ length: n }, () => rnd() & 0xff));
    const scripts: Buffer[] = [];
    // a big first transaction (Cyrus checkpoints after it: INORDER section), then small ones (log)
    const bulk: Array<['SET', Buffer, Buffer]> = [];
    for (let i = 0; i < 2500; i++) {
      const key = i % 5 === 0 ? bin(1 + (rnd() % 20)) : Buffer.from(`k${i}`);
      bulk.push(['SET', key, i % 3 ? Buffer.from(`v${i}`) : bin(rnd() % 100)]);
    }
    for (const [, k, v] of bulk) model.set(k.toString('hex'), v);
    scripts.push(batchScript(bulk));
    for (let t = 0; t < 30; t++) {
      const keys = [...model.keys()];
      const tx: Array<['SET', Buffer, Buffer] | ['DELETE', Buffer]> = [];
      for (let j = 0; j < 4; j++) {
        const k = j === 3 ? bin(3) : Buffer.from(keys[rnd() % keys.length]!, 'hex');
        if (j < 3 && rnd() % 2) {
          tx.push(['DELETE', k]);
          model.delete(k.toString('hex'));
        } else {
          const v = bin(rnd() % 30);
          tx.push(['SET', k, v]);
          model.set(k.toString('hex'), v);
        }
      }
      scripts.push(batchScript(tx));
    }
    S().dbtool(db, 'skiplist', ['batch'], { input: Buffer.concat(scripts), flags: ['-n'] });
    const buf = readFileSync(db);
    const ours = readSkiplist(buf, db);
    // the file really has both an INORDER section and a log with DELETEs to replay
    expect(ours.logStart).toBeLessThan(buf.length - 1000);
    expect(buf.subarray(ours.logStart).includes(Buffer.from([0, 0, 0, SkiplistType.DELETE]))).toBe(true);
    expect(hexPairs(ours.records)).toEqual(hexPairs(cyrusRecords(S(), db, 'skiplist')));
    expect(ours.records.length).toBe(model.size);
    expect(ours.clean).toBe(true);
    expect(checkSkiplist(buf).problems).toEqual([]);
  });

  it('ignores the transaction of a writer that died, as recovery does', () => {
    const db = S().path('damaged.db');
    S().dbtool(db, 'skiplist', ['set', 'alpha', 'one'], { flags: ['-n'] });
    S().dbtool(db, 'skiplist', ['set', 'omega', 'two']);
    try {
      S().dbtool(db, 'skiplist', ['damage']);
    } catch {
      /* dies by design */
    }
    const buf = readFileSync(db);
    expect(buf.includes('CRASHME')).toBe(true);
    const ours = readSkiplist(buf, db);
    expect(ours.uncommitted).not.toBeNull();
    expect(ours.records.map((r) => [r.key.toString(), r.value.toString()])).toEqual([
      ['alpha', 'one'],
      ['omega', 'two'],
    ]);
    expect(hexPairs(ours.records)).toEqual(hexPairs(cyrusRecords(S(), db, 'skiplist')));
    expect(checkSkiplist(buf).problems.map((p) => p.code)).toContain('NOT_CLEAN');
  });

  it('reads a file Cyrus checkpointed (INORDER only, no log)', () => {
    const db = S().path('cp.db');
    S().dbtool(db, 'skiplist', ['set', 'b', '2'], { flags: ['-n'] });
    S().dbtool(db, 'skiplist', ['set', 'a', '1']);
    S().dbtool(db, 'skiplist', ['show']); // no skipstamp here: opening runs recovery + checkpoint
    const buf = readFileSync(db);
    const ours = readSkiplist(buf, db);
    expect(ours.logStart).toBe(buf.length);
    expect(ours.records.map((r) => r.key.toString())).toEqual(['a', 'b']);
    expect(checkSkiplist(buf).problems).toEqual([]);
  });

  it('reports a level-0 pointer that skips a record', () => {
    const db = S().path('walk.db');
    S().dbtool(db, 'skiplist', ['batch'], { input: batchScript([['SET', 'a', '1'], ['SET', 'b', '2'], ['SET', 'c', '3']]), flags: ['-n'] });
    S().dbtool(db, 'skiplist', ['show']);
    const buf = readFileSync(db);
    const first = buf.readUInt32BE(0x30 + 12); // DUMMY level-0 pointer → "a"
    const afterA = readSkiplist(buf).records.length;
    expect(afterA).toBe(3);
    // make the DUMMY skip "a" on level 0
    const bad = Buffer.from(buf);
    const a = first;
    const keyLen = bad.readUInt32BE(a + 4);
    const dataLen = bad.readUInt32BE(a + 8 + ((keyLen + 3) & ~3));
    const firstPtr = a + 8 + ((keyLen + 3) & ~3) + 4 + ((dataLen + 3) & ~3);
    bad.writeUInt32BE(bad.readUInt32BE(firstPtr), 0x30 + 12);
    expect(checkSkiplist(bad).problems.map((p) => p.code)).toContain('WALK_MISMATCH');
  });
});

/** Levels of the records of a checkpointed (INORDER-only) skiplist file, in file order. */
function inorderLevels(buf: Buffer): number[] {
  const out: number[] = [];
  for (let at = 48 + 4 * (3 + 20 + 1); at < buf.length; ) {
    const r = decodeSkiplistRecord(buf, at);
    out.push(r.pointers.length);
    at += r.length;
  }
  return out;
}

describe('skiplist writer', () => {
  it('round-trips through our reader and check', () => {
    const recs = Array.from({ length: 500 }, (_, i) => ({ key: Buffer.from([0x80 + (i % 50), i & 0xff, i >> 8]), value: Buffer.from(`v${i}`) }));
    const buf = encodeSkiplist(recs, { lastRecovery: 1795888460 });
    const db = readSkiplist(buf);
    expect(db.records.length).toBe(500);
    expect(db.clean).toBe(true);
    expect(checkSkiplist(buf).problems).toEqual([]);
  });
});

describe.skipIf(!live)('skiplist writer compared with live Cyrus', () => {
  let s: Scratch;
  const S = () => (s ??= scratch());
  afterAll(() => s?.cleanup());

  it('reproduces a Cyrus checkpoint byte for byte, and Cyrus reads what we write', () => {
    const db = S().path('cp.db');
    const rnd = lcg(23);
    const ops = Array.from({ length: 1500 }, (_, i) => {
      const key = i % 3 ? Buffer.from(`user.u${i}`) : Buffer.from(Array.from({ length: 1 + (rnd() % 9) }, () => rnd() & 0xff));
      return ['SET', key, Buffer.from(`1 ${i} 0 0 1:${i}`)] as ['SET', Buffer, Buffer];
    });
    S().dbtool(db, 'skiplist', ['batch'], { input: batchScript(ops), flags: ['-n'] });
    S().dbtool(db, 'skiplist', ['show']); // recovery + checkpoint (no skipstamp here)
    const theirs = readFileSync(db);
    const read = readSkiplist(theirs);
    expect(read.logStart).toBe(theirs.length);
    const ours = encodeSkiplist(read.records, {
      levels: inorderLevels(theirs),
      curLevel: read.header.curLevel,
      lastRecovery: read.header.lastRecovery,
    });
    expect(ours.equals(theirs)).toBe(true);

    const mine = S().path('mine.db');
    writeFileSync(mine, encodeSkiplist(read.records));
    chownSync(mine, statSync(S().dir).uid, statSync(S().dir).gid);
    expect(S().dbtool(mine, 'skiplist', ['consistent']).toString()).toContain('Yes, consistent');
    expect(hexPairs(cyrusRecords(S(), mine, 'skiplist'))).toEqual(hexPairs(read.records));
  });
});
