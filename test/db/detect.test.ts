// readDb decides the backend by magic, as Cyrus 3.6's cyrusdb_detect does, not by configuration.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { checkDb, detectBackend, readDb, readDbFile } from '../../src/db/detect.js';
import { crc32 } from 'node:zlib';
import { decodeTwoskipRecord, twoskipNext } from '../../src/db/twoskip.js';
import { seenFixture } from '../helpers/fixtures.js';

// cyrusdb_detect looks at 16 bytes of a file of at least 32
const SKIPLIST = Buffer.concat([Buffer.from('\xa1\x02\x8b\x0dskiplist file\0\0\0', 'latin1'), Buffer.alloc(28)]);

describe('backend detection', () => {
  it('recognises twoskip by magic and reads it whatever imapd.conf says', () => {
    const buf = readFileSync(join(seenFixture(), 'conf/fxseen.seen.db'));
    expect(detectBackend(buf)).toBe('twoskip');
    for (const expect_ of ['skiplist', 'flat', undefined] as const) {
      const db = readDb(buf, 'seen.db', { expect: expect_ });
      expect(db.backend).toBe('twoskip');
      expect(db.records.length).toBe(4);
    }
  });

  it('recognises skiplist by magic', () => {
    expect(detectBackend(SKIPLIST)).toBe('skiplist');
  });

  it('falls back to flat for anything without magic, and to the expected backend for an empty file', () => {
    const flat = Buffer.from('a\t1\nb\t2\n');
    expect(detectBackend(flat)).toBeNull();
    expect(readDb(flat).records.map((r) => r.key.toString())).toEqual(['a', 'b']);
    expect(readDb(Buffer.alloc(0), 'x', { expect: 'twoskip' })).toEqual({ backend: 'twoskip', records: [], clean: true, uncommitted: null });
  });

  it('refuses text where a twoskip file was expected, naming the file', () => {
    try {
      readDb(Buffer.from('a\t1\n'.repeat(20)), '/x/seen.db', { expect: 'twoskip' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).code).toBe('BAD_MAGIC');
      expect((e as FormatError).file).toBe('/x/seen.db');
    }
  });

  it('reads a file from disk, and errors name it', () => {
    const file = join(seenFixture(), 'conf/mailboxes.db');
    expect(readDbFile(file).records.length).toBe(23);
    const notDb = join(seenFixture(), 'fxseen.seen.db.txt');
    expect(() => readDbFile(notDb, { expect: 'zeroskip' })).toThrow(expect.objectContaining({ code: 'BAD_MAGIC', file: notDb }));
  });

  it('checks any backend, and says when Cyrus will fall back to recovery2', () => {
    const buf = readFileSync(join(seenFixture(), 'conf/mailboxes.db'));
    expect(checkDb(buf)).toEqual({ backend: 'twoskip', problems: [] });
    expect(checkDb(Buffer.from('a\t1\nb\t2\n')).problems).toEqual([]);
    // break the head CRC of the first live record and mark the file DIRTY
    const first = twoskipNext(decodeTwoskipRecord(buf, 64), 0, buf.length);
    buf[first + 8] ^= 0xff; // a pointer byte: the head CRC no longer matches
    buf.writeUInt32BE(1, 56);
    buf.writeUInt32BE(crc32(buf.subarray(0, 60)), 60);
    const c = checkDb(buf);
    expect(c.problems.map((p) => p.code)).toContain('RECOVERY2');
    expect(c.recovery?.cyrusAction).toBe('recovery2');
  });
});
