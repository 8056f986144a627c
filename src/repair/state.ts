// Reading what a repair decides from: the metadata files (cyrus.index through the locked
// descriptor only), the folder listing, and facts about each message file (size, mtime, SHA-1;
// a full parse where plan.ts asks for one). I/O only; the decisions are in plan.ts.
//
// A big folder's files are hashed and parsed on all cores (FilePool: piscina threads running
// workers/repair-files.js over batches of UIDs) when there are 3 or more; a small folder, or any
// folder on a 2-core machine, in this thread with the same code, where starting the threads
// would cost more than it saves (figures at DEFAULT_THREADS). Workers only read message files:
// cyrus.index and every lock stay in this thread.
import { readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { Piscina } from 'piscina';
import { scanFolder } from '../check/scan-folder.js';
import { decodeCacheRecord } from '../format/cache.js';
import { expectedCacheRecord, type ExpectedCacheRecord } from '../message/record.js';
import type { ParseOptions } from '../message/options.js';
import { compiledWorker } from '../worker-threads.js';
import repairFiles, { type RepairFilesResult, type RepairFilesTask, type RepairParsed } from '../../workers/repair-files.js';

export interface MailboxFiles {
  index: string;
  header: string;
  cache: string;
  annotations: string;
  /** Spool folder (message files). */
  dir: string;
}

/** The raw bytes of the metadata files (undefined: absent or unreadable, with the errno code). */
export interface RawMailbox {
  name: string;
  files: MailboxFiles;
  index?: Buffer;
  header?: Buffer;
  headerError?: string;
  cache?: Buffer;
  cacheError?: string;
  annotations?: Buffer;
  /** UIDVALIDITY and uniqueid mailboxes.db holds for the mailbox (header salvage). */
  mboxlist?: { uidvalidity: number; uniqueid: string | null };
}

export interface FileFact {
  uid: number;
  path: string;
  size: number;
  /** Seconds; Cyrus sets it to the internaldate on append. */
  mtime: number;
  /** Lowercase hex SHA-1 of the content. */
  sha1: string;
}

export interface FolderFacts {
  files: Map<number, FileFact>;
  /** Names Cyrus would call odd files. */
  odd: string[];
  /** Message files that could not be read (errno by uid). */
  unreadable: Map<number, string>;
}

async function loadOpt(path: string): Promise<{ buf?: Buffer; error?: string }> {
  try {
    return { buf: await readFile(path) };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
}

/** Reads the metadata; cyrus.index only through `lockedIndex` (closing another fd would unlock it). */
export async function readRaw(name: string, files: MailboxFiles, lockedIndex: FileHandle | undefined): Promise<RawMailbox> {
  const raw: RawMailbox = { name, files };
  if (lockedIndex) {
    const { size } = await lockedIndex.stat();
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await lockedIndex.read(buf, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    raw.index = buf.subarray(0, off);
  } else {
    raw.index = (await loadOpt(files.index)).buf;
  }
  const [h, c, a] = await Promise.all([loadOpt(files.header), loadOpt(files.cache), loadOpt(files.annotations)]);
  raw.header = h.buf;
  raw.headerError = h.error;
  raw.cache = c.buf;
  raw.cacheError = c.error;
  raw.annotations = a.buf;
  return raw;
}

/**
 * Folders with fewer message files than this are read in this thread: starting the threads
 * (~0.1–0.3 s, each compiling the parser afresh) costs more than they save on fewer files.
 */
export const POOL_MIN_FILES = 1000;
/**
 * Threads by default: every core from 3 up. On 2 cores the threads did not pay (3,524 files,
 * 83 MB: hashing 0.18–0.37 s here vs 0.37–0.48 s on 2 threads with the page cache warm,
 * 0.60–0.73 vs 0.52–0.70 s cold; parsing them all 2.2–3.5 s vs 2.5–4.8 s, each thread paying
 * the parser's JIT warm-up again), so there the main thread reads everything.
 */
export const DEFAULT_THREADS = availableParallelism() > 2 ? availableParallelism() : 1;
/** Files per task: big enough that the per-task overhead is small, small enough to spread. */
const HASH_BATCH = 64;
const PARSE_BATCH = 16;

/** Threads for one repair's file reading, started on first use; close() when done. */
export class FilePool {
  private piscina?: Piscina<RepairFilesTask, RepairFilesResult>;
  constructor(readonly threads = DEFAULT_THREADS, readonly minFiles = POOL_MIN_FILES) {}

  /** The pool for `n` files, or undefined: too few files, one core, or no compiled worker. */
  for(n: number): Piscina<RepairFilesTask, RepairFilesResult> | undefined {
    if (n < this.minFiles || this.threads < 2) return undefined;
    if (!this.piscina) {
      const filename = compiledWorker('repair-files').found;
      if (!filename) return undefined;
      this.piscina = new Piscina({ filename, minThreads: this.threads, maxThreads: this.threads, idleTimeout: 10_000, recordTiming: false });
    }
    return this.piscina;
  }

  async close(): Promise<void> {
    const p = this.piscina;
    this.piscina = undefined;
    await p?.destroy();
  }
}

function batches(uids: number[], size: number): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let i = 0; i < uids.length; i += size) out.push(Uint32Array.from(uids.slice(i, i + size)));
  return out;
}

/**
 * Lists the folder and stats + hashes every message file (files are immutable in Cyrus), with
 * the same code in this thread or on the pool's (workers/repair-files.ts).
 */
export async function readFolder(dir: string, pool?: FilePool): Promise<FolderFacts> {
  const scan = await scanFolder(dir);
  const files = new Map<number, FileFact>();
  const unreadable = new Map<number, string>();
  const threads = pool?.for(scan.uids.length);
  const parts = batches([...scan.uids], HASH_BATCH);
  let results: RepairFilesResult[] = [];
  if (threads) results = await Promise.all(parts.map((uids) => threads.run({ dir, uids, hash: true })));
  else {
    for (const uids of parts) {
      results.push(await repairFiles({ dir, uids, hash: true }));
      await new Promise((r) => setImmediate(r)); // between batches, let a SIGINT handler run
    }
  }
  results.forEach((res, b) => {
    const uids = parts[b]!;
    const failed = new Map(res.errors ?? []);
    for (let i = 0; i < uids.length; i++) {
      const uid = uids[i]!;
      const code = failed.get(i);
      if (code === undefined) {
        files.set(uid, { uid, path: `${dir}/${uid}.`, size: res.sizes[i]!, mtime: res.mtimes[i]!, sha1: res.sha1.slice(i * 40, i * 40 + 40) });
      } else if (code !== 'ENOENT') unreadable.set(uid, code);
    }
  });
  return { files, odd: scan.odd, unreadable };
}

/** Parses the message files plan.ts asked for; a file that does not parse is left out. */
export function parseFiles(facts: FolderFacts, uids: Iterable<number>, opts: ParseOptions = {}): Map<number, ExpectedCacheRecord> {
  const out = new Map<number, ExpectedCacheRecord>();
  for (const uid of uids) {
    const f = facts.files.get(uid);
    if (!f || f.size === 0) continue;
    try {
      out.set(uid, expectedCacheRecord(f.path, opts));
    } catch {
      // unparseable: the plan reports it as left
    }
  }
  return out;
}

/** A worker's parse as the planner uses it (the cache items decoded from the record's bytes). */
function fromWorker(p: RepairParsed): ExpectedCacheRecord {
  const cacheRecord = Buffer.from(p.cacheRecord.buffer, p.cacheRecord.byteOffset, p.cacheRecord.byteLength);
  const framed = Buffer.concat([Buffer.alloc(4), cacheRecord]);
  return { record: p.record, cacheRecord, items: decodeCacheRecord(framed, 4).items, warnings: p.warnings };
}

/** parseFiles on the pool's threads when there are enough files (same answers). */
export async function parseFilesPooled(facts: FolderFacts, uids: Iterable<number>, pool: FilePool | undefined, opts: Omit<ParseOptions, 'charsets'> = {}): Promise<Map<number, ExpectedCacheRecord>> {
  const want = [...uids].filter((uid) => (facts.files.get(uid)?.size ?? 0) > 0).sort((a, b) => a - b);
  const threads = pool?.for(want.length);
  const out = new Map<number, ExpectedCacheRecord>();
  if (!threads) {
    for (let i = 0; i < want.length; i += PARSE_BATCH * 4) {
      for (const [uid, r] of parseFiles(facts, want.slice(i, i + PARSE_BATCH * 4), opts)) out.set(uid, r);
      await new Promise((r) => setImmediate(r)); // between batches, let a SIGINT handler run
    }
    return out;
  }
  const dir = dirname(facts.files.get(want[0]!)!.path);
  const parts = batches(want, PARSE_BATCH);
  const results = await Promise.all(parts.map((uids) => threads.run({ dir, uids, hash: false, parse: new Uint8Array(uids.length).fill(1), options: opts })));
  results.forEach((res, b) => {
    res.parsed?.forEach((p, i) => {
      if (p && !('error' in p)) out.set(parts[b]![i]!, fromWorker(p));
    });
  });
  return out;
}
