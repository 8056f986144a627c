// The flat reader against Cyrus 3.6.1's own flat files and the spec's examples.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { checkFlat, encodeFlat, flatDecode, flatEncode, readFlat } from '../../src/db/flat.js';
import type { DbRecord } from '../../src/db/types.js';
import { lcg } from './prng.js';
import { batchScript, cyrusRecords, haveCyrus, scratch, type Scratch } from './cyrus-tool.js';

const hexPairs = (recs: DbRecord[]) => recs.map((r) => [r.key.toString('hex'), r.value.toString('hex')]);

describe('flat: spec examples', () => {
  it('reads a 3.6 subscriptions file (sub.db)', () => {
    const sub = Buffer.from('1f5645521f09320a4e494e424f58090a4e494e424f581f537562090a4e736861726564090a', 'hex');
    const db = readFlat(sub);
    expect(db.records.map((r) => [r.key.toString('latin1'), r.value.toString()])).toEqual([
      ['\x1fVER\x1f', '2'],
      ['NINBOX', ''],
      ['NINBOX\x1fSub', ''],
      ['Nshared', ''],
    ]);
    expect(checkFlat(sub).problems).toEqual([]);
  });

  it('decodes escapes and sorts "." before "-"', () => {
    const f = Buffer.concat([Buffer.from('a.b\tv 2\na-b\ttab'), Buffer.from([0xff, 0x89]), Buffer.from('here\nkey\tvalue\n')]);
    expect(readFlat(f).records.map((r) => [r.key.toString(), r.value.toString()])).toEqual([
      ['a.b', 'v 2'],
      ['a-b', 'tab\there'],
      ['key', 'value'],
    ]);
    expect(checkFlat(f).problems).toEqual([]);
    expect(readFlat(f, undefined, { escaped: false }).records[1]!.value).toEqual(Buffer.from([0x74, 0x61, 0x62, 0xff, 0x89, 0x68, 0x65, 0x72, 0x65]));
  });

  it('encode and decode are inverse on every byte', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(flatDecode(flatEncode(all))).toEqual(all);
  });

  it('names the offset of a line without TAB or LF, and finds order problems', () => {
    const at = (b: Buffer) => {
      try {
        readFlat(b);
      } catch (e) {
        if (e instanceof FormatError) return [e.code, e.offset];
      }
      return null;
    };
    expect(at(Buffer.from('a\t1\nb 2\n'))).toEqual(['BAD_SYNTAX', 4]);
    expect(at(Buffer.from('a\t1\nb\t2'))).toEqual(['BAD_SYNTAX', 4]);
    expect(checkFlat(Buffer.from('b\t1\na\t2\na\t3\n')).problems.map((p) => [p.code, p.offset])).toEqual([
      ['ORDER', 4],
      ['DUPLICATE', 8],
    ]);
  });
});

const live = haveCyrus();

describe.skipIf(!live)('flat: compared with live cyr_dbtool', () => {
  let s: Scratch;
  const S = () => (s ??= scratch());
  afterAll(() => s?.cleanup());

  it('reads binary keys and values written by Cyrus, in Cyrus order', () => {
    const db = S().path('bin.flat');
    const rnd = lcg(5);
    const bin = (n: number) => Buffer.from(Array.from({ length: n }, () => rnd() & 0xff));
    const ops: Array<['SET', Buffer, Buffer] | ['DELETE', Buffer]> = [];
    for (let i = 0; i < 400; i++) ops.push(['SET', i % 2 ? bin(1 + (rnd() % 12)) : Buffer.from(`user.x${i}.a.b`), bin(rnd() % 40)]);
    ops.push(['DELETE', ops[10]![1]]);
    S().dbtool(db, 'flat', ['batch'], { input: batchScript(ops), flags: ['-n'] });
    const buf = readFileSync(db);
    const ours = readFlat(buf, db);
    expect(ours.records.length).toBeGreaterThan(390);
    expect(hexPairs(ours.records)).toEqual(hexPairs(cyrusRecords(S(), db, 'flat')));
    expect(checkFlat(buf).problems).toEqual([]);
  });
});

describe.skipIf(!live)('flat writer compared with live Cyrus', () => {
  let s: Scratch;
  const S = () => (s ??= scratch());
  afterAll(() => s?.cleanup());

  it('writes the same bytes Cyrus writes for the same records', () => {
    const db = S().path('w.flat');
    const rnd = lcg(9);
    const ops = Array.from({ length: 300 }, (_, i) => {
      const key = i % 2 ? Buffer.from(Array.from({ length: 1 + (rnd() % 8) }, () => rnd() & 0xff)) : Buffer.from(`user.a${i}.b-c`);
      return ['SET', key, Buffer.from(Array.from({ length: rnd() % 20 }, () => rnd() & 0xff))] as ['SET', Buffer, Buffer];
    });
    S().dbtool(db, 'flat', ['batch'], { input: batchScript(ops), flags: ['-n'] });
    const theirs = readFileSync(db);
    expect(encodeFlat(readFlat(theirs).records).equals(theirs)).toBe(true);
  });
});

describe('flat writer', () => {
  it('sorts, escapes, and refuses what a 2.4 file cannot hold', () => {
    const recs = [
      { key: Buffer.from('key'), value: Buffer.from('value') },
      { key: Buffer.from('a-b'), value: Buffer.from('tab\there') },
      { key: Buffer.from('a.b'), value: Buffer.from('v 2') },
    ];
    expect(encodeFlat(recs).toString('latin1')).toBe('a.b\tv 2\na-b\ttab\xff\x89here\nkey\tvalue\n');
    expect(() => encodeFlat(recs, { escaped: false })).toThrow(RangeError);
    expect(() => encodeFlat([recs[0]!, recs[0]!])).toThrow(RangeError);
  });
});
