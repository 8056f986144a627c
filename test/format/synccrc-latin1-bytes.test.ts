// The CRCs hash raw bytes, one char per byte (latin1). The fast path hands ASCII strings to zlib
// as strings (zlib encodes them as UTF-8); these cases pin that chars 0x80–0xff still hash as one
// byte each, exactly as a latin1 Buffer would.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SystemFlag } from '../../src/format/index/index.js';
import { crcAnnot, syncCrcBasicRecord, syncCrcBasicString, syncFlagCrc } from '../../src/format/synccrc.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('non-ASCII byte strings hash as latin1 bytes', () => {
  it('crcAnnot: entry, userid and string value with bytes 0x80–0xff', () => {
    const entry = '/comment\xe9';
    const userid = 'us\xe9r';
    const value = 'v\xff\x80';
    const want = crc32(Buffer.concat([bytes(`7 ${entry} ${userid} `), bytes(value)]));
    expect(crcAnnot(7, entry, userid, value)).toBe(want);
    expect(crcAnnot(7, entry, userid, bytes(value))).toBe(want);
    // A UTF-8 value given as a Buffer is hashed as those bytes, not re-encoded.
    const utf8 = Buffer.from('é', 'utf8');
    expect(crcAnnot(7, '/x', 'u', utf8)).toBe(crc32(Buffer.concat([bytes('7 /x u '), utf8])));
  });

  it('flag names and guid: lower-casing touches only A–Z, other bytes hashed as they are', () => {
    const names = ['\xc9T\xe9'];
    const rec = { systemFlags: SystemFlag.SEEN, userFlags: [1, 0, 0, 0] };
    expect(syncFlagCrc(rec, names)).toBe((crc32(bytes('\\seen')) ^ crc32(bytes('\xc9t\xe9'))) >>> 0);
    const record = { uid: 3, modseq: 9n, lastUpdated: 4, internaldate: 5, systemFlags: 0, internalFlags: 0, userFlags: [0, 0, 0, 0], guid: 'ab\xe9' };
    expect(syncCrcBasicRecord(record, [])).toBe(crc32(bytes(syncCrcBasicString(record, []))));
  });
});
