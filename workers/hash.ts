// Piscina worker: hashes a batch of message files. The worker opens and reads each file itself
// into one reused buffer (streaming big files through it), so file contents never cross threads
// and memory per worker stays at one buffer whatever the file sizes. Read-only: O_RDONLY, no
// locks, nothing written; an unreadable file is an answer ({error}), never a thrown task.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { createHash, hash as oneShot } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { CACHE_ITEMS } from '../src/format/cache.js';
import { expectedCacheRecord } from '../src/message/record.js';
import { MessageParseError } from '../src/message/parse.js';
import { UnsupportedCacheVersionError } from '../src/message/options.js';

// sentdate depends on the zone of the Cyrus that parsed the message; check runs on that server,
// so its own zone (TZ) is the one to reproduce.
const LOCAL_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** One batch: the files to hash, in order. */
export interface HashTask {
  paths: string[];
  /** check --deep: per path, the cache_version to reproduce by parsing the file (0 = no parse). */
  parse?: number[];
}

/** A fresh parse, reduced to what the main thread compares (never the items themselves). */
export interface ParseDigest {
  /** CRC32 of the whole encoded cache record Cyrus would write. */
  crc: number;
  /** CRC32 of each item, in CACHE_ITEMS order. */
  items: number[];
  headerSize: number;
  sentdate: number;
  gmtime: number;
}

/** What the worker learnt about one file: bytes read, SHA-1 (hex) of them, or why it failed. */
export interface HashResult {
  size: number;
  sha1: string;
  /** errno code (ENOENT, EACCES, EIO…) when the file could not be read to the end; NOT_A_FILE
   *  for a folder, FIFO or device in a message file's place. */
  error?: string;
  /** With `parse`: the digest of a fresh parse, or why there is none (MessageParseError code,
   *  UNSUPPORTED_CACHE_VERSION, errno). */
  parsed?: ParseDigest | { error: string };
}

const CHUNK = 1 << 20;
let buffer: Buffer | undefined;

export function hashFile(path: string, cacheVersion = 0): HashResult {
  buffer ??= Buffer.allocUnsafe(CHUNK);
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO or device named like a message must not hang the scan in open().
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { size: 0, sha1: '', error: errnoOf(e) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { size: 0, sha1: '', error: 'NOT_A_FILE' };
    // Most messages fit one buffer: hash them in one call, without a Hash object per file.
    if (st.size <= CHUNK) {
      const n = readFull(fd, buffer, st.size);
      const res: HashResult = { size: n, sha1: oneShot('sha1', buffer.subarray(0, n), 'hex') };
      // Parsed from the bytes just read (the digest is taken before the buffer is reused).
      if (cacheVersion) res.parsed = parseDigest(buffer.subarray(0, n), cacheVersion);
      return res;
    }
    const hash = createHash('sha1');
    let size = 0;
    // Message files are immutable: read what stat says is there, then stop — without the extra
    // read() that would only report end of file (one syscall per message saved). A file that
    // shrank meanwhile ends the loop early and shows as a size mismatch.
    while (size < st.size) {
      const n = readSync(fd, buffer, 0, Math.min(CHUNK, st.size - size), null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      size += n;
    }
    const res: HashResult = { size, sha1: hash.digest('hex') };
    // A big file is parsed streaming from disk (one read window), not held whole.
    if (cacheVersion) res.parsed = parseDigest(path, cacheVersion);
    return res;
  } catch (e) {
    return { size: 0, sha1: '', error: errnoOf(e) };
  } finally {
    closeSync(fd);
  }
}

/** Reads up to `want` bytes from the start of fd (fewer if the file shrank). */
function readFull(fd: number, buf: Buffer, want: number): number {
  let got = 0;
  while (got < want) {
    const n = readSync(fd, buf, got, want - got, null);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function errnoOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' ? code : String((e as Error)?.message ?? e);
}

/** Parses a message as Cyrus 3.x would index it and keeps only CRCs and the derived fields. */
export function parseDigest(input: string | Buffer, cacheVersion: number): ParseDigest | { error: string } {
  try {
    const r = expectedCacheRecord(input, { cacheVersion, timeZone: LOCAL_TIME_ZONE });
    return {
      crc: r.record.cacheCrc,
      items: CACHE_ITEMS.map((n) => crc32(r.items[n]) >>> 0),
      headerSize: r.record.headerSize,
      sentdate: r.record.sentdate,
      gmtime: r.record.gmtime,
    };
  } catch (e) {
    if (e instanceof MessageParseError) return { error: e.code };
    if (e instanceof UnsupportedCacheVersionError) return { error: 'UNSUPPORTED_CACHE_VERSION' };
    return { error: errnoOf(e) };
  }
}

export default function hashBatch(task: HashTask): HashResult[] {
  return task.paths.map((p, i) => hashFile(p, task.parse?.[i] ?? 0));
}
