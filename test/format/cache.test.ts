import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CACHE_ITEMS,
  cacheRecordCrc,
  decodeCacheFile,
  decodeCacheRecord,
  diffCacheItems,
  encodeCacheFile,
  encodeCacheRecord,
  encodedCacheCrc,
  packCacheOffset,
  unpackCacheOffset,
} from '../../src/format/cache.js';
import { FormatError } from '../../src/errors.js';
import { fixture, indexFixture, INDEX_VERSIONS } from '../helpers/fixtures.js';
import { readIndexFields } from '../message/index-fields.js';

const mailboxes = () => [
  ...INDEX_VERSIONS.map((v) => ({ name: `index-v${v}`, dir: join(indexFixture(v), 'mailbox') })),
  { name: 'corpus-indexed', dir: join(fixture('corpus-indexed'), 'corpus-indexed', 'mailbox') },
];

describe('cyrus.cache records written by Cyrus', () => {
  for (const { name, dir } of mailboxes()) {
    it(`${name}: every index record's cache_crc equals the CRC of the record at its cache_offset`, () => {
      const cache = readFileSync(join(dir, 'cyrus.cache'));
      const index = readIndexFields(join(dir, 'cyrus.index'));
      expect(index.records.length).toBeGreaterThan(0);
      for (const r of index.records) {
        const rec = decodeCacheRecord(cache, r.cacheOffset, r.cacheVersion);
        expect(cacheRecordCrc(cache, rec.offset, rec.length)).toBe(r.cacheCrc);
        // Re-encoding the decoded items gives the same bytes, hence the same CRC.
        const again = encodeCacheRecord(rec.items);
        expect(again.equals(cache.subarray(rec.offset, rec.offset + rec.length))).toBe(true);
        expect(encodedCacheCrc(again)).toBe(r.cacheCrc);
      }
    });

    it(`${name}: the whole file walks record by record and re-encodes byte-identically`, () => {
      const cache = readFileSync(join(dir, 'cyrus.cache'));
      const index = readIndexFields(join(dir, 'cyrus.index'));
      const file = decodeCacheFile(cache);
      expect(file.generation).toBe(index.generation);
      const starts = new Set(file.records.map((r) => r.offset));
      for (const r of index.records) expect(starts.has(r.cacheOffset)).toBe(true);
      expect(encodeCacheFile(file).equals(cache)).toBe(true);
    });
  }

  it('the ENVELOPE and SUBJECT of the first corpus message are what mbexamine printed', () => {
    const dir = join(fixture('corpus-indexed'), 'corpus-indexed');
    const cache = readFileSync(join(dir, 'mailbox', 'cyrus.cache'));
    const first = readIndexFields(join(dir, 'mailbox', 'cyrus.index')).records[0]!;
    const rec = decodeCacheRecord(cache, first.cacheOffset);
    const mbexamine = readFileSync(join(dir, 'mbexamine.txt'), 'latin1');
    const env = /Envel>\{(\d+)\}/.exec(mbexamine)!;
    expect(rec.items.ENVELOPE.length).toBe(Number(env[1]));
    expect(mbexamine).toContain(`Envel>{${rec.items.ENVELOPE.length}}${rec.items.ENVELOPE.toString('latin1')}`);
    expect(mbexamine).toContain(`Subjct>{${rec.items.SUBJECT.length}}${rec.items.SUBJECT.toString('latin1')}`);
  });
});

describe('cyrus.cache framing errors', () => {
  const items = CACHE_ITEMS.map((n, i) => Buffer.from(n.repeat(i % 3)));
  const file = Buffer.concat([Buffer.from([0, 0, 0, 7]), encodeCacheRecord(items)]);

  it('pads each item to 4 bytes with NULs and frames ten items', () => {
    const rec = decodeCacheRecord(file, 4);
    expect(rec.length).toBe(file.length - 4);
    CACHE_ITEMS.forEach((n, i) => expect(rec.items[n].equals(items[i]!)).toBe(true));
  });

  it('an item running past end of file is BAD_LENGTH naming the length word offset', () => {
    const bad = Buffer.from(file);
    bad.writeUInt32BE(1000, 4); // ENVELOPE claims 1000 bytes
    const err = (() => { try { decodeCacheRecord(bad, 4); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('BAD_LENGTH');
    expect((err as FormatError).offset).toBe(4);
  });

  it('a record cut in the middle of a length word is TRUNCATED', () => {
    const cut = file.subarray(0, file.length - 6);
    expect(() => decodeCacheRecord(cut, 4)).toThrow(FormatError);
    expect(() => decodeCacheFile(cut)).toThrow(/runs past end of file/);
  });

  it('offsets inside the header or past the end are rejected', () => {
    expect(() => decodeCacheRecord(file, 0)).toThrow(/inside the file header/);
    expect(() => decodeCacheRecord(file, file.length)).toThrow(/past end of file/);
  });

  it('diffCacheItems names exactly the items that differ', () => {
    const a = decodeCacheRecord(file, 4).items;
    const other = CACHE_ITEMS.map((n, i) => (n === 'SUBJECT' || n === 'BODY' ? Buffer.from('changed') : items[i]!));
    const b = decodeCacheRecord(Buffer.concat([Buffer.from([0, 0, 0, 7]), encodeCacheRecord(other)]), 4).items;
    expect(diffCacheItems(a, b)).toEqual(['BODY', 'SUBJECT']);
    expect(diffCacheItems(a, a)).toEqual([]);
  });

  it('a record of other than ten items cannot be encoded', () => {
    expect(() => encodeCacheRecord(items.slice(1))).toThrow(FormatError);
  });

  it('48-bit cache offsets pack into the cache_version word and back', () => {
    for (const off of [4, 0xffffffff, 2 ** 32 + 12, 2 ** 48 - 1]) {
      const p = packCacheOffset(off, 11);
      expect(unpackCacheOffset(p.offsetField, p.versionField)).toEqual({ cacheOffset: off, cacheVersion: 11 });
    }
    expect(() => packCacheOffset(2 ** 48, 11)).toThrow(FormatError);
  });
});
