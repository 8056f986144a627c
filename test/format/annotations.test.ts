// cyrus.annotations entries: key and value layout as Cyrus 3.6 writes them (annotate.c make_key,
// make_entry), checked on the real fixture databases and on damaged input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTwoskip } from '../../src/db/twoskip.js';
import { FormatError } from '../../src/errors.js';
import {
  decodeAnnotation,
  decodeAnnotationKey,
  decodeAnnotationValue,
  mailboxOwner,
  messageAnnotations,
} from '../../src/format/annotations.js';
import { indexFixture, seenFixture } from '../helpers/fixtures.js';

/** An entry value exactly as make_entry lays it out on a 64-bit little-endian host. */
function entryValue(value: string, modseq: bigint, flags: number): Buffer {
  const len = Buffer.alloc(8);
  len.writeUInt32BE(value.length, 0);
  const ms = Buffer.alloc(8);
  ms.writeBigUInt64BE(modseq);
  return Buffer.concat([len, Buffer.from(`${value}\0text/plain\0`, 'latin1'), Buffer.alloc(8), ms, Buffer.from([flags])]);
}

const db = (file: string) => readTwoskip(readFileSync(file)).records;

describe('decoding entries', () => {
  it('splits keys into uid, entry and userid (empty = shared, missing = null)', () => {
    expect(decodeAnnotationKey(Buffer.from('12\0/comment\0\0', 'latin1'))).toEqual({ uid: 12, entry: '/comment', userid: '' });
    expect(decodeAnnotationKey(Buffer.from('3\0/comment\0[.OwNeR.]\0', 'latin1'))).toEqual({
      uid: 3, entry: '/comment', userid: '[.OwNeR.]',
    });
    expect(decodeAnnotationKey(Buffer.from('3\0/comment', 'latin1'))).toEqual({ uid: 3, entry: '/comment', userid: null });
  });

  it('reads value, modseq and flags; tolerates old records without the tail', () => {
    expect(decodeAnnotationValue(entryValue('hello', 57n, 0))).toEqual({ value: Buffer.from('hello'), modseq: 57n, flags: 0 });
    expect(decodeAnnotationValue(entryValue('', 63n, 1))).toEqual({ value: Buffer.alloc(0), modseq: 63n, flags: 1 });
    const short = Buffer.concat([Buffer.from([0, 0, 0, 2, 0, 0, 0, 0]), Buffer.from('hi\0')]);
    expect(decodeAnnotationValue(short)).toEqual({ value: Buffer.from('hi'), modseq: 0n, flags: 0 });
    const ilp32 = Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('hi\0text/plain\0'), Buffer.alloc(4), Buffer.alloc(7), Buffer.from([9, 1])]);
    expect(decodeAnnotationValue(ilp32, { longSize: 4 })).toEqual({ value: Buffer.from('hi'), modseq: 9n, flags: 1 });
  });

  it('derives the owner from the mailbox name like mboxname_to_userid', () => {
    expect(mailboxOwner('user.alice')).toBe('alice');
    expect(mailboxOwner('user.alice.Sent.2024')).toBe('alice');
    expect(mailboxOwner('user.john^doe.Trash')).toBe('john.doe');
    expect(mailboxOwner('example.com!user.bob.INBOX')).toBe('bob@example.com');
    expect(mailboxOwner('DELETED.user.alice.Old.6553F1A2')).toBe('alice');
    expect(mailboxOwner('shared.fxteam')).toBeNull();
    expect(mailboxOwner('user')).toBeNull();
  });

  it('rejects damaged entries with FormatError', () => {
    const bad: Array<[Buffer, Buffer]> = [
      [Buffer.from('no-nul-at-all'), entryValue('x', 1n, 0)],
      [Buffer.from('1x\0/comment\0\0'), entryValue('x', 1n, 0)],
      [Buffer.from('99999999999\0/comment\0\0'), entryValue('x', 1n, 0)],
      [Buffer.from('1\0/comment\0\0'), Buffer.from([0, 0, 1, 0, 0, 0, 0, 0, 65])],
      [Buffer.from('1\0/comment\0\0'), Buffer.from([0, 0])],
    ];
    for (const [key, value] of bad) {
      expect(() => decodeAnnotation({ key, value })).toThrow(FormatError);
    }
  });
});

describe('the real fixture databases', () => {
  it('v12: stored savedate/createdmodseq entries and the owner-private comment', () => {
    const all = db(join(indexFixture(12), 'mailbox', 'cyrus.annotations')).map((r) => decodeAnnotation(r));
    expect(all).toHaveLength(25);
    expect(all[0]).toMatchObject({ uid: 1, entry: '/comment', userid: '[.OwNeR.]', flags: 0 });
    expect(all[0]!.value.toString()).toBe('lab annotation on first message');
    const saved = all.filter((a) => a.entry === '/vendor/cmu/cyrus-imapd/savedate');
    expect(saved).toHaveLength(12);
    expect(saved.every((a) => a.userid === '' && /^\d{10}$/.test(a.value.toString()))).toBe(true);
    const created = all.find((a) => a.uid === 10 && a.entry.endsWith('/createdmodseq'))!;
    expect(created.value.toString()).toBe('11');
    expect(messageAnnotations(db(join(indexFixture(12), 'mailbox', 'cyrus.annotations')), 'user.fx12')[0]!.userid).toBe('fx12');
  });

  it('user.fxseen.NoSeen: tombstones (deleted flag, empty value) are dropped', () => {
    const records = db(join(seenFixture(), 'user.fxseen.NoSeen', 'mailbox', 'cyrus.annotations'));
    const all = records.map((r) => decodeAnnotation(r));
    expect(all).toHaveLength(6);
    expect(all.every((a) => a.flags === 1 && a.value.length === 0)).toBe(true);
    expect(messageAnnotations(records, 'user.fxseen.NoSeen')).toEqual([]);
  });
});

describe('fuzzing entry decoding', () => {
  it('5,000 mutated real entries: decode returns or throws FormatError', () => {
    const records = db(join(indexFixture(12), 'mailbox', 'cyrus.annotations'));
    let state = 0x1234567;
    const int = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    let thrown = 0;
    for (let i = 0; i < 5000; i++) {
      const src = records[int(records.length)]!;
      const key = Buffer.from(src.key);
      const value = Buffer.from(src.value).subarray(0, int(src.value.length + 1));
      for (let j = 0, n = int(4); j < n; j++) {
        const b = int(2) ? key : value;
        if (b.length) b[int(b.length)] = int(256);
      }
      try {
        decodeAnnotation({ key, value });
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`case ${i}: ${(e as Error).stack}`);
        thrown++;
      }
    }
    expect(thrown).toBeGreaterThan(100);
  });
});
