// Restore files: what we write, we read back exactly; and real cyr_dbtool's batch mode loads the
// same file into a database to the same bytes (awkward keys and values included: spaces, quotes,
// backslashes, 8-bit, CR/LF, NUL, long values, a leading '{').
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DbRecord } from '../../src/db/types.js';
import { FormatError } from '../../src/errors.js';
import { decodeRestoreFile, encodeAstring, encodeRestoreFile } from '../../src/seen/restore-file.js';
import { cyrusRecords, haveCyrus, scratch } from '../db/cyrus-tool.js';

const rec = (k: string | Buffer, v: string | Buffer): DbRecord => ({ key: Buffer.isBuffer(k) ? k : Buffer.from(k, 'latin1'), value: Buffer.isBuffer(v) ? v : Buffer.from(v, 'latin1') });
const AWKWARD: DbRecord[] = [
  rec('4cy9s5l19ogqp6vqiiobu88o', '1 1795888462 12 1795888460 1:2,5:7,9:10'),
  rec('3p3u926yjs7f55ytaez2m03l', '1 1795888462 3 1795888461 '),
  rec('a"b\\c', 'quote " and backslash \\'),
  rec('{7}', '{3}\r\nabc'),
  rec('\xe9t\xe9', 'line\nbreak'),
  rec('nul', Buffer.from([0x31, 0, 0x32])),
  rec('long', `1 1 100000 1 ${Array.from({ length: 3000 }, (_, i) => `${i * 3 + 1}:${i * 3 + 2}`).join(',')}`),
  rec('e', ''),
];
const header = { db: '/var/lib/cyrus/user/uuid/4/c/x y/seen.db', user: 'fr"ed', backend: 'twoskip', time: '2026-11-28T00:00:00.000Z' };

describe('restore file', () => {
  it('round-trips every key and value byte for byte', () => {
    const back = decodeRestoreFile(encodeRestoreFile(header, AWKWARD));
    expect(back.header).toEqual(header);
    expect(back.records).toEqual(AWKWARD);
  });
  it('plain seen entries stay readable lines', () => {
    const text = encodeRestoreFile(header, AWKWARD.slice(0, 2)).toString();
    expect(text.split('\n').slice(1)).toEqual(['BEGIN', 'SET 4cy9s5l19ogqp6vqiiobu88o "1 1795888462 12 1795888460 1:2,5:7,9:10"', 'SET 3p3u926yjs7f55ytaez2m03l "1 1795888462 3 1795888461 "', 'COMMIT', '']);
    expect(encodeAstring(Buffer.from('abc')).toString()).toBe('abc');
  });
  it('truncated or foreign files are typed errors', () => {
    const good = encodeRestoreFile(header, AWKWARD);
    for (const cut of [0, 10, good.length - 8, good.length - 1]) expect(() => decodeRestoreFile(good.subarray(0, cut))).toThrow(FormatError);
    expect(() => decodeRestoreFile(Buffer.from('BEGIN\nSET a b\nCOMMIT\n'))).toThrow(FormatError);
    expect(() => decodeRestoreFile(Buffer.from('GET "something else"\nBEGIN\nCOMMIT\n'))).toThrow(/not a cyrus-fsck/);
  });
  it.runIf(haveCyrus())('cyr_dbtool batch loads it into an empty twoskip db: the same records', () => {
    const s = scratch();
    try {
      const db = s.path('conf/restore-target.db');
      const text = encodeRestoreFile(header, AWKWARD);
      s.dbtool(db, 'twoskip', ['batch'], { input: text, flags: ['-n'] });
      const got = cyrusRecords(s, db, 'twoskip');
      const sorted = [...AWKWARD].sort((a, b) => Buffer.compare(a.key, b.key));
      expect(got).toEqual(sorted);
      expect(readFileSync(db).subarray(0, 4)).toEqual(Buffer.from([0xa1, 0x02, 0x8b, 0x0d]));
    } finally {
      s.cleanup();
    }
  });
});
