// Piscina worker: hashes a batch of message files. The worker opens and reads each file itself
// into one reused buffer (streaming big files through it), so file contents never cross threads
// and memory per worker stays at one buffer whatever the file sizes. Read-only: O_RDONLY, no
// locks, nothing written; an unreadable file is an answer (an error code), never a thrown task.
//
// Per batch, little crosses the thread boundary either way: the task names one or two folders
// and a typed array of uids and record sizes; the answer is a typed array of sizes and one string
// of concatenated hex digests (structured cloning of per-file objects and strings was a
// measurable share of check's CPU). The message parser (--deep) is loaded only when a task asks.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { createHash, hash as oneShot } from 'node:crypto';
import { workerData } from 'node:worker_threads';
import type { ParseOptions } from '../src/message/options.js';

/** Parse settings that can cross a thread boundary (imapd.conf's, and the server's time zone). */
export type WorkerParseSettings = Pick<ParseOptions, 'maxHeaderLines' | 'boundaryLimit' | 'rfc2046Strict' | 'rfc2047Utf8' | 'timeZone'>;

/** What the pool hands every worker at start (piscina workerData). */
export interface HashWorkerData {
  /** check --deep: how to parse (imapd.conf settings and time zone); absent = Cyrus's defaults
   *  in this machine's time zone. */
  parse?: WorkerParseSettings;
}

/** One batch of message files: file i is `<dirs[dirOf[i] ?? 0]>/<uids[i]>.` */
export interface HashTask {
  /** The mailbox's spool folder and, for ARCHIVED records, its archive folder. */
  dirs: string[];
  uids: Uint32Array;
  /** Per file, an index into `dirs`; absent when every file is in dirs[0]. */
  dirOf?: Uint8Array;
  /** Per file, the size its index record states: the read stops one byte past it. Absent (files
   *  hashed before their index was read): each file is read to its end. */
  sizes?: Float64Array;
  /** check --deep: per file, the cache_version to reproduce by parsing it (0 = no parse). */
  parse?: Uint8Array;
  /** check --deep: the mailbox's cyrus.index minor version. Cache versions 3 and 10 were each
   *  written by two releases with different parsers (2.4/2.5, 3.2/3.4); this tells them apart. */
  indexVersion?: number;
}

/** The answer for one batch, in task order. */
export interface HashBatchResult {
  /** Bytes in each file (0 for one that could not be read). */
  sizes: Float64Array;
  /** 40 hex characters per file, concatenated; 40 spaces for a file that could not be read. */
  sha1: string;
  /** Files that could not be read: [index, errno code or NOT_A_FILE]. */
  errors?: Array<[number, string]>;
  /** With `parse`: per file, the digest of a fresh parse or why there is none. */
  parsed?: Array<ParseDigest | { error: string } | undefined>;
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
  /**
   * The other outcome of a Date: whose parse depends on the Cyrus process (3.0/2.5's parser,
   * a value ending right after its year or time: Rules.rfc822UnterminatedParses). Present only
   * for such a message; a stored sentdate/gmtime equal to either outcome is Cyrus's.
   */
  alt?: { sentdate: number; gmtime: number };
}

/** What the worker learnt about one file: bytes read, SHA-1 (hex) of them, or why it failed. */
export interface HashResult {
  size: number;
  sha1: string;
  /** errno code (ENOENT, EACCES, EIO…) when the file could not be read to the end; NOT_A_FILE
   *  for a folder, FIFO or device in a message file's place. */
  error?: string;
  /** With a cache version: the digest of a fresh parse, or why there is none (MessageParseError
   *  code, UNSUPPORTED_CACHE_VERSION, errno). */
  parsed?: ParseDigest | { error: string };
}

const CHUNK = 1 << 20;
/**
 * Where the read buffer starts inside its allocation. A 1 MiB allocation comes from mmap, 16 bytes
 * past a page boundary; the kernel then copies page-aligned page-cache data to a destination 16
 * bytes further on, which stalls on 4K aliasing: ~30% more CPU for read + SHA-1 measured here
 * (same files, 2 threads: 1.82-2.15 CPU-s at offset 16, 1.41-1.60 elsewhere in the page).
 */
const SKEW = 2048;
const NO_DIGEST = ' '.repeat(40);
let buffer: Buffer | undefined;

/**
 * Hashes one file. `expectedSize` (the record's) lets the usual case skip fstat(): read up to
 * one byte past it and see end of file; a file of another size, or anything odd, is then looked
 * at with fstat() and hashed as it is. Without it (-1), a file under CHUNK bytes is read to its
 * end the same way; bigger ones, and anything odd, by fstat().
 */
export function hashFile(path: string, cacheVersion = 0, expectedSize = -1, indexVersion?: number): HashResult {
  buffer ??= Buffer.allocUnsafe(CHUNK + 4096).subarray(SKEW, SKEW + CHUNK);
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO or device named like a message must not hang the scan in open().
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { size: 0, sha1: NO_DIGEST, error: errnoOf(e) };
  }
  try {
    const res = (expectedSize > 0 ? readExpected(fd, expectedSize) : expectedSize < 0 ? readSmall(fd) : undefined) ?? readByStat(fd);
    if (cacheVersion && !res.error) {
      // Parsed from the bytes just read when they are still in the buffer; a big file is parsed
      // streaming from disk (one read window), not held whole.
      res.parsed = parseDigest(res.size < CHUNK ? buffer.subarray(0, res.size) : path, cacheVersion, indexVersion);
    }
    return res;
  } catch (e) {
    return { size: 0, sha1: NO_DIGEST, error: errnoOf(e) };
  } finally {
    closeSync(fd);
  }
}

/**
 * A file of unknown size: read until end of file (a read that returns 0, as a plain read-to-EOF
 * does). Undefined for an empty answer (a FIFO without writer reads as empty too), a file of
 * CHUNK bytes or more, or a read error (EISDIR…): the caller decides by fstat().
 */
function readSmall(fd: number): HashResult | undefined {
  const buf = buffer!;
  try {
    const n = readFull(fd, buf, 0, CHUNK);
    if (n === 0 || n === CHUNK) return undefined;
    return { size: n, sha1: oneShot('sha1', buf.subarray(0, n), 'hex') };
  } catch {
    return undefined;
  }
}

/**
 * The fast path for a regular file of the expected size: read it, and the next read must say end
 * of file (as a plain read-to-EOF does; message files are immutable). Undefined when anything
 * differs (shorter, longer, a read error such as EISDIR): the caller re-reads by fstat().
 */
function readExpected(fd: number, expected: number): HashResult | undefined {
  const buf = buffer!;
  try {
    if (expected < CHUNK) {
      const n = readFull(fd, buf, 0, expected + 1);
      if (n !== expected) return undefined;
      return { size: n, sha1: oneShot('sha1', buf.subarray(0, n), 'hex') };
    }
    const hash = createHash('sha1');
    let size = 0;
    while (size < expected) {
      const n = readSync(fd, buf, 0, Math.min(CHUNK, expected - size), size);
      if (n === 0) return undefined;
      hash.update(buf.subarray(0, n));
      size += n;
    }
    if (readSync(fd, buf, 0, 1, size) !== 0) return undefined;
    return { size, sha1: hash.digest('hex') };
  } catch {
    return undefined;
  }
}

/** Reads what fstat says the file holds, from offset 0 (the slow path, and the one without an
 *  expected size). A file that shrank meanwhile ends early and shows as a size mismatch. */
function readByStat(fd: number): HashResult {
  const buf = buffer!;
  const st = fstatSync(fd);
  if (!st.isFile()) return { size: 0, sha1: NO_DIGEST, error: 'NOT_A_FILE' };
  if (st.size <= CHUNK) {
    const n = readFull(fd, buf, 0, st.size);
    return { size: n, sha1: oneShot('sha1', buf.subarray(0, n), 'hex') };
  }
  const hash = createHash('sha1');
  let size = 0;
  while (size < st.size) {
    const n = readSync(fd, buf, 0, Math.min(CHUNK, st.size - size), size);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    size += n;
  }
  return { size, sha1: hash.digest('hex') };
}

/** Reads up to `want` bytes from file offset `from` into the start of buf (fewer at end of file). */
function readFull(fd: number, buf: Buffer, from: number, want: number): number {
  let got = 0;
  while (got < want) {
    const n = readSync(fd, buf, got, want - got, from + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function errnoOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' ? code : String((e as Error)?.message ?? e);
}

type Parser = (input: string | Buffer, cacheVersion: number, indexVersion?: number) => ParseDigest | { error: string };

/** The rule whose process-dependent outcome a parse warning names (src/message/record.ts). */
const PROCESS_DEPENDENT_DATE = 'rfc822UnterminatedParses';
let parser: Parser | undefined;

/** Loads the message parser (only --deep needs it: plain hashing workers start faster without). */
export async function loadParser(settings: WorkerParseSettings = {}): Promise<Parser> {
  if (parser) return parser;
  const [{ CACHE_ITEMS }, { expectedCacheRecord }, { MessageParseError }, { UnsupportedCacheVersionError, resolveOptions }, { crc32 }] = await Promise.all([
    import('../src/format/cache.js'),
    import('../src/message/record.js'),
    import('../src/message/parse.js'),
    import('../src/message/options.js'),
    import('node:zlib'),
  ]);
  // sentdate depends on the zone of the Cyrus that parsed the message; check runs on that
  // server, so its own zone (TZ) is the one to reproduce unless told otherwise.
  const options: ParseOptions = { ...settings, timeZone: settings.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone };
  parser = (input, cacheVersion, indexVersion) => {
    try {
      const opts: ParseOptions = { ...options, cacheVersion, indexVersion };
      const r = expectedCacheRecord(input, opts);
      const digest: ParseDigest = {
        crc: r.record.cacheCrc,
        items: CACHE_ITEMS.map((n) => crc32(r.items[n]) >>> 0),
        headerSize: r.record.headerSize,
        sentdate: r.record.sentdate,
        gmtime: r.record.gmtime,
      };
      if (r.warnings.some((w) => w.includes(PROCESS_DEPENDENT_DATE))) {
        // Parsed again the other way (only these rare messages pay for a second parse).
        const flipped = !resolveOptions(opts).rules.rfc822UnterminatedParses;
        const a = expectedCacheRecord(input, { ...opts, rules: { rfc822UnterminatedParses: flipped } }).record;
        digest.alt = { sentdate: a.sentdate, gmtime: a.gmtime };
      }
      return digest;
    } catch (e) {
      if (e instanceof MessageParseError) return { error: e.code };
      if (e instanceof UnsupportedCacheVersionError) return { error: 'UNSUPPORTED_CACHE_VERSION' };
      return { error: errnoOf(e) };
    }
  };
  return parser;
}

/** Parses a message as Cyrus 3.x would index it and keeps only CRCs and the derived fields
 *  (the parser must have been loaded: loadParser()). */
export function parseDigest(input: string | Buffer, cacheVersion: number, indexVersion?: number): ParseDigest | { error: string } {
  if (!parser) throw new Error('message parser not loaded');
  return parser(input, cacheVersion, indexVersion);
}

const settings = (workerData as HashWorkerData | undefined)?.parse;

export default function hashBatch(task: HashTask): HashBatchResult | Promise<HashBatchResult> {
  if (task.parse && !parser) return loadParser(settings).then(() => hashAll(task));
  return hashAll(task);
}

function hashAll(task: HashTask): HashBatchResult {
  const n = task.uids.length;
  const sizes = new Float64Array(n);
  const digests: string[] = new Array(n);
  let errors: Array<[number, string]> | undefined;
  let parsed: HashBatchResult['parsed'];
  if (task.parse) parsed = new Array(n);
  for (let i = 0; i < n; i++) {
    const dir = task.dirs[task.dirOf ? task.dirOf[i]! : 0]!;
    const r = hashFile(`${dir}/${task.uids[i]}.`, task.parse ? task.parse[i]! : 0, task.sizes ? task.sizes[i]! : -1, task.indexVersion);
    sizes[i] = r.size;
    digests[i] = r.sha1;
    if (r.error) (errors ??= []).push([i, r.error]);
    if (parsed) parsed[i] = r.parsed;
  }
  const out: HashBatchResult = { sizes, sha1: digests.join('') };
  if (errors) out.errors = errors;
  if (parsed) out.parsed = parsed;
  return out;
}
