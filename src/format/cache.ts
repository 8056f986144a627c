// cyrus.cache codec: a BE32 generation number, then cache records appended back to back. A record
// is 10 items (ENVELOPE … SUBJECT), each a BE32 length, the bytes, and NUL padding to a multiple
// of 4. The framing is the same for every cache_version (2.x … master); only item contents differ,
// so decoding never needs the version except to say what it is looking at in errors.
import { crc32 } from 'node:zlib';
import { FormatError } from '../errors.js';

/** The ten cache items in record order (imap/mailbox.h CACHE_ENVELOPE … CACHE_SUBJECT). */
export const CACHE_ITEMS = [
  'ENVELOPE',
  'BODYSTRUCTURE',
  'BODY',
  'SECTION',
  'HEADERS',
  'FROM',
  'TO',
  'CC',
  'BCC',
  'SUBJECT',
] as const;
export type CacheItemName = (typeof CACHE_ITEMS)[number];
export const NUM_CACHE_ITEMS = CACHE_ITEMS.length;

/** Cache items by name, as Buffers (views into the decoded buffer, not copies). */
export type CacheItems = Record<CacheItemName, Buffer>;

export interface CacheRecord {
  /** Offset of the record in the file. */
  offset: number;
  /** Total bytes of the record: ten length words, data and padding. */
  length: number;
  items: CacheItems;
}

/** Size of the file header (the generation number). Offsets below it are never records. */
export const CACHE_HEADER_SIZE = 4;

const pad4 = (n: number) => (n + 3) & ~3;

/** Reads the generation number the file was created for. */
export function decodeCacheHeader(buf: Buffer): { generation: number } {
  if (buf.length < CACHE_HEADER_SIZE) {
    throw new FormatError('TRUNCATED', `cyrus.cache has ${buf.length} bytes, header needs 4`, 0);
  }
  return { generation: buf.readUInt32BE(0) };
}

/**
 * Decodes the record at `offset` and validates its framing against the buffer's end, as Cyrus's
 * cache_parserecord does: any item running past the end fails the record. `cacheVersion` is only
 * carried into error messages (framing is version-independent).
 */
export function decodeCacheRecord(buf: Buffer, offset: number, cacheVersion?: number): CacheRecord {
  const what = cacheVersion === undefined ? 'cache record' : `cache record (version ${cacheVersion})`;
  if (!Number.isSafeInteger(offset) || offset < CACHE_HEADER_SIZE) {
    throw new FormatError('BAD_VALUE', `${what} offset ${offset} is inside the file header`, offset);
  }
  if (offset >= buf.length) {
    throw new FormatError('TRUNCATED', `${what} offset ${offset} is at or past end of file (${buf.length})`, offset);
  }
  const items = {} as CacheItems;
  let pos = offset;
  for (const name of CACHE_ITEMS) {
    if (pos + 4 > buf.length) {
      throw new FormatError('TRUNCATED', `${what} at ${offset}: ${name} length word runs past end of file`, pos);
    }
    const len = buf.readUInt32BE(pos);
    const next = pos + 4 + pad4(len);
    if (next > buf.length) {
      throw new FormatError(
        'BAD_LENGTH',
        `${what} at ${offset}: ${name} length ${len} runs past end of file (${buf.length})`,
        pos,
      );
    }
    items[name] = buf.subarray(pos + 4, pos + 4 + len);
    pos = next;
  }
  return { offset, length: pos - offset, items };
}

/** The CRC the index stores as cache_crc: CRC32 over the whole record, length words and padding. */
export function cacheRecordCrc(buf: Buffer, offset: number, length: number): number {
  return crc32(buf.subarray(offset, offset + length)) >>> 0;
}

/** Encodes ten items (in CACHE_ITEMS order) as one record, with Cyrus's padding. */
export function encodeCacheRecord(items: CacheItems | readonly Buffer[]): Buffer {
  const list = Array.isArray(items) ? (items as readonly Buffer[]) : CACHE_ITEMS.map((n) => (items as CacheItems)[n]);
  if (list.length !== NUM_CACHE_ITEMS) {
    throw new FormatError('BAD_VALUE', `a cache record has ${NUM_CACHE_ITEMS} items, not ${list.length}`, 0);
  }
  let total = 0;
  for (const b of list) total += 4 + pad4(b.length);
  const out = Buffer.alloc(total); // zero-filled: the padding is NULs
  let pos = 0;
  for (const b of list) {
    out.writeUInt32BE(b.length, pos);
    b.copy(out, pos + 4);
    pos += 4 + pad4(b.length);
  }
  return out;
}

/** CRC of an encoded record (what Cyrus writes as cache_crc for it). */
export const encodedCacheCrc = (record: Buffer): number => crc32(record) >>> 0;

/** Index-record packing of 48-bit cache offsets (3.2+): high 16 bits live in the version word. */
export function unpackCacheOffset(offsetField: number, versionField: number): { cacheOffset: number; cacheVersion: number } {
  const high = (versionField >>> 16) & 0xffff;
  return { cacheOffset: high * 0x1_0000_0000 + (offsetField >>> 0), cacheVersion: versionField & 0xffff };
}

export function packCacheOffset(cacheOffset: number, cacheVersion: number): { offsetField: number; versionField: number } {
  if (!Number.isSafeInteger(cacheOffset) || cacheOffset < 0 || cacheOffset >= 2 ** 48) {
    throw new FormatError('BAD_VALUE', `cache offset ${cacheOffset} does not fit in 48 bits`, 0);
  }
  if (cacheVersion < 0 || cacheVersion > 0xffff) {
    throw new FormatError('BAD_VALUE', `cache version ${cacheVersion} does not fit in 16 bits`, 0);
  }
  const high = Math.floor(cacheOffset / 0x1_0000_0000);
  return { offsetField: cacheOffset % 0x1_0000_0000, versionField: ((high << 16) | cacheVersion) >>> 0 };
}

export interface CacheFile {
  generation: number;
  /** Records found by walking the file from offset 4 (includes leaked ones). */
  records: CacheRecord[];
}

/**
 * Walks the whole file record by record. Records are only ever appended, so a sequential walk
 * visits every record, referenced or leaked. A record that does not frame is a FormatError.
 */
export function decodeCacheFile(buf: Buffer): CacheFile {
  const { generation } = decodeCacheHeader(buf);
  const records: CacheRecord[] = [];
  let pos = CACHE_HEADER_SIZE;
  while (pos < buf.length) {
    const rec = decodeCacheRecord(buf, pos);
    records.push(rec);
    pos += rec.length;
  }
  return { generation, records };
}

/** Inverse of decodeCacheFile: byte-identical for any file that decodes. */
export function encodeCacheFile(file: { generation: number; records: readonly { items: CacheItems }[] }): Buffer {
  const head = Buffer.alloc(CACHE_HEADER_SIZE);
  head.writeUInt32BE(file.generation >>> 0, 0);
  return Buffer.concat([head, ...file.records.map((r) => encodeCacheRecord(r.items))]);
}

/** Names of the items that differ between two records (for CACHE_STALE-style findings). */
export function diffCacheItems(a: CacheItems, b: CacheItems): CacheItemName[] {
  return CACHE_ITEMS.filter((n) => !a[n].equals(b[n]));
}
