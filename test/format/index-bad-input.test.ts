// Damaged cyrus.index files: every failure is a typed FormatError naming the offset, or a
// reported flag (crcOk, geometry.truncated) — never another exception, never a hang.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, withFile } from '../../src/errors.js';
import {
  decodeIndex,
  decodeIndexHeader,
  decodeIndexRecord,
  encodeIndex,
  encodeIndexHeader,
  encodeIndexRecord,
  indexGeometry,
} from '../../src/format/index/index.js';
import { indexFixture } from '../helpers/fixtures.js';
import { formatError } from '../helpers/errors.js';

const v17 = () => readFileSync(join(indexFixture(17), 'mailbox', 'cyrus.index'));


describe('header problems throw FormatError with the offset', () => {
  it('too short for the base fields: TRUNCATED at the end of the data', () => {
    expect(formatError(() => decodeIndexHeader(Buffer.alloc(0)))).toMatchObject({ code: 'TRUNCATED', offset: 0 });
    expect(formatError(() => decodeIndexHeader(v17().subarray(0, 23)))).toMatchObject({ code: 'TRUNCATED', offset: 23 });
  });

  it('too short for the version header: TRUNCATED', () => {
    expect(formatError(() => decodeIndexHeader(v17().subarray(0, 100)))).toMatchObject({ code: 'TRUNCATED', offset: 100 });
  });

  it.each([0, 5, 11, 21, 0xffffffff])('minor version %i: BAD_VERSION at offset 8', (version) => {
    const buf = v17();
    buf.writeUInt32BE(version, 8);
    expect(formatError(() => decodeIndex(buf))).toMatchObject({ code: 'BAD_VERSION', offset: 8 });
  });

  it('start_offset or record_size not those of the version: BAD_LENGTH at their offset', () => {
    const a = v17();
    a.writeUInt32BE(128, 12);
    expect(formatError(() => decodeIndexHeader(a))).toMatchObject({ code: 'BAD_LENGTH', offset: 12 });
    const b = v17();
    b.writeUInt32BE(104, 16);
    expect(formatError(() => decodeIndexHeader(b))).toMatchObject({ code: 'BAD_LENGTH', offset: 16 });
    const c = v17();
    c.writeUInt32BE(144, 16); // only v19 may carry v20-sized records
    expect(formatError(() => decodeIndexHeader(c))).toMatchObject({ code: 'BAD_LENGTH', offset: 16 });
  });

  it('garbage: not an index', () => {
    const text = Buffer.from('This is not a cyrus.index file at all, just some text.\n'.repeat(10));
    expect(formatError(() => decodeIndex(text)).code).toBe('BAD_VERSION');
  });

  it('names the file when decoded through withFile', () => {
    const e = formatError(() => withFile('/spool/user/x/cyrus.index', () => decodeIndex(Buffer.alloc(10))));
    expect(e.file).toBe('/spool/user/x/cyrus.index');
    expect(e.message).toContain('/spool/user/x/cyrus.index: offset 10');
  });
});

describe('record area problems', () => {
  it('a short record area: geometry says truncated, decodeIndex throws TRUNCATED at the missing record', () => {
    const buf = v17().subarray(0, 160 + 112 * 11 + 50);
    const h = decodeIndexHeader(buf);
    expect(indexGeometry(h, buf.length)).toEqual({
      expectedRecords: 12, recordCount: 11, expectedSize: 160 + 112 * 12, truncated: true, trailingBytes: 0,
    });
    expect(formatError(() => decodeIndex(buf))).toMatchObject({ code: 'TRUNCATED', offset: 160 + 112 * 11 });
    expect(formatError(() => decodeIndexRecord(buf, 160 + 112 * 11, h))).toMatchObject({
      code: 'TRUNCATED', offset: 160 + 112 * 11,
    });
  });

  it('a num_records far beyond the file: TRUNCATED at once, nothing allocated for it', () => {
    const buf = v17();
    buf.writeUInt32BE(0xffffffff, 20);
    const geo = indexGeometry(decodeIndexHeader(buf), buf.length);
    expect(geo).toMatchObject({ recordCount: 12, truncated: true });
    expect(formatError(() => decodeIndex(buf))).toMatchObject({ code: 'TRUNCATED', offset: 160 + 112 * 12 });
  });

  it('bytes after the committed records (uncommitted appends) are kept, not an error', () => {
    const orig = v17();
    const buf = Buffer.concat([orig, orig.subarray(160, 160 + 112 + 7)]);
    const file = decodeIndex(buf);
    expect(file.records).toHaveLength(12);
    expect(file.trailing?.length).toBe(119);
    expect(indexGeometry(file.header, buf.length).trailingBytes).toBe(119);
    expect(encodeIndex(file).equals(buf)).toBe(true);
  });

  it('record offsets outside the buffer: TRUNCATED, even negative or fractional ones', () => {
    const buf = v17();
    const h = decodeIndexHeader(buf);
    for (const at of [buf.length, buf.length - 1, -1, 1.5, Number.NaN]) {
      expect(formatError(() => decodeIndexRecord(buf, at, h)).code).toBe('TRUNCATED');
    }
  });

  it('lying CRCs are reported per record and for the header, not thrown', () => {
    const buf = v17();
    buf[160 + 112 * 3 + 13]! ^= 0x01; // size of record 4
    buf[44]! ^= 0x80; // uidvalidity
    const file = decodeIndex(buf);
    expect(file.header.crcOk).toBe(false);
    expect(file.header.crcComputed).not.toBe(file.header.crcStored);
    expect(file.records.map((r) => r.crcOk)).toEqual(file.records.map((_, i) => i !== 3));
    expect(encodeIndex(file).equals(buf)).toBe(true);
  });
});

describe('encoding impossible values throws BAD_VALUE', () => {
  it('rejects out-of-range fields and inconsistent record counts', () => {
    const file = decodeIndex(v17());
    expect(formatError(() => encodeIndexHeader({ ...file.header, lastUid: -1 })).code).toBe('BAD_VALUE');
    expect(formatError(() => encodeIndexHeader({ ...file.header, highestmodseq: 1n << 64n })).code).toBe('BAD_VALUE');
    expect(formatError(() => encodeIndexHeader({ ...file.header, spare: Buffer.alloc(3) })).code).toBe('BAD_VALUE');
    expect(formatError(() => encodeIndexHeader({ ...file.header, minorVersion: 11 })).code).toBe('BAD_VERSION');
    const r = file.records[0]!;
    expect(formatError(() => encodeIndexRecord({ ...r, guid: 'xyz' }, 17)).code).toBe('BAD_VALUE');
    expect(formatError(() => encodeIndexRecord({ ...r, cacheOffset: 2 ** 48 }, 17)).code).toBe('BAD_VALUE');
    expect(formatError(() => encodeIndexRecord({ ...r, size: 1n << 32n }, 17)).code).toBe('BAD_VALUE');
    expect(encodeIndexRecord({ ...r, size: 1n << 32n }, 20).length).toBe(144); // v20 sizes are 64-bit
    expect(formatError(() => encodeIndex({ header: file.header, records: file.records.slice(1) }))).toMatchObject({
      code: 'BAD_VALUE', offset: 20,
    });
  });
});
