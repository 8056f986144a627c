// A synthetic Cyrus spool for the benchmark (and for tests that need volume): N messages in
// mailboxes of M, laid out like a 3.6 uuid partition (uuid/<c0>/<c1>/<uniqueid>/), indexed by our
// own encoders (cyrus.header dlist, cyrus.index v17 with right counters and SYNC CRCs,
// cyrus.cache with framed records). Deterministic for a seed. Sizes follow a realistic mix:
// most messages 2–50 KB, a few 0.2–5 MB.
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_HEADER_SIZE, cacheRecordCrc, encodeCacheRecord } from '../src/format/cache.js';
import { encodeHeader, headerFileCrc } from '../src/format/header.js';
import { expectedCacheRecord } from '../src/message/record.js';
import { encodeIndex, SystemFlag, type IndexHeader, type IndexRecord } from '../src/format/index/index.js';
import { syncCrcAnnot, syncCrcBasic } from '../src/format/synccrc.js';
import { mulberry32 } from './prng.js';

export interface SynthOptions {
  root: string;
  messages: number;
  perMailbox?: number;
  /** Fraction of large (0.2–5 MB) messages; the rest are 2–50 KB. */
  largeFraction?: number;
  /** Override the size mix: every message this many bytes ± 50%. */
  fixedSize?: number;
  /**
   * Every message a sparse file of zeros of exactly this size (no disk used): for tests that
   * need a check to take a while. Not a parseable message; check never parses.
   */
  sparseSize?: number;
  seed?: number;
}

export interface SynthSpool {
  root: string;
  mailboxDirs: string[];
  files: string[] | undefined;
  messages: number;
  bytes: number;
}

/** "Mon, 02 Jan 2023 09:58:00 +0000" and that day's midnight (UTC), as Cyrus stores them. */
const DATE_GMT = 1672653480;
const DATE_MIDNIGHT = 1672617600;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const FLAGS = ['$Label1', 'Work', 'todo'];

/** Body text: lines of printable ASCII, CRLF, cut from one shared random pool. */
function textPool(rand: () => number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) {
    const col = i % 78;
    buf[i] = col === 76 ? 13 : col === 77 ? 10 : 32 + Math.floor(rand() * 95);
  }
  return buf;
}

const zeroSha1Cache = new Map<number, string>();
function zeroSha1(size: number): string {
  let v = zeroSha1Cache.get(size);
  if (!v) {
    const h = createHash('sha1');
    const chunk = Buffer.alloc(Math.min(size, 1 << 20));
    for (let left = size; left > 0; left -= chunk.length) h.update(left >= chunk.length ? chunk : chunk.subarray(0, left));
    zeroSha1Cache.set(size, (v = h.digest('hex')));
  }
  return v;
}

function uniqueid(rand: () => number): string {
  let s = '';
  for (let i = 0; i < 24; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

function messageSize(rand: () => number, o: SynthOptions): number {
  if (o.fixedSize) return Math.max(200, Math.round(o.fixedSize * (0.5 + rand())));
  if (rand() < (o.largeFraction ?? 0.01)) return Math.round(200_000 + rand() * 4_800_000);
  return Math.round(2_000 + rand() * 48_000);
}

/** check --deep reproduces sentdate in this machine's zone: the spool is written in it too. */
const LOCAL_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

function placeholderCache(id: string, uid: number, head: Buffer): Buffer {
  const env = Buffer.from(`("Mon, 02 Jan 2023 09:58:00 +0000" "benchmark message ${uid}" NIL NIL NIL NIL NIL NIL NIL "<${id}.${uid}@bench.example>")`);
  const empty = Buffer.alloc(0);
  return encodeCacheRecord([env, empty, empty, empty, head, empty, empty, empty, empty, Buffer.from(`benchmark message ${uid}`)]);
}

/** Builds the spool; returns where the mailboxes are and how much was written. */
export function buildSpool(o: SynthOptions): SynthSpool {
  const rand = mulberry32(o.seed ?? 42);
  const pool = textPool(rand, 6 << 20);
  const perMailbox = o.perMailbox ?? 500;
  const mailboxDirs: string[] = [];
  let bytes = 0;
  let made = 0;
  for (let m = 0; made < o.messages; m++) {
    const count = Math.min(perMailbox, o.messages - made);
    const id = uniqueid(rand);
    const dir = join(o.root, 'uuid', id[0]!, id[1]!, id);
    mkdirSync(dir, { recursive: true });
    bytes += writeMailbox(dir, `user.bench${m}`, id, count, rand, pool, o);
    mailboxDirs.push(dir);
    made += count;
  }
  return { root: o.root, mailboxDirs, files: undefined, messages: made, bytes };
}

function writeMailbox(dir: string, name: string, id: string, count: number, rand: () => number, pool: Buffer, o: SynthOptions): number {
  const now = 1_795_000_000;
  const sparseGuid = o.sparseSize ? zeroSha1(o.sparseSize) : undefined;
  const records: IndexRecord[] = [];
  const cacheParts: Buffer[] = [Buffer.alloc(CACHE_HEADER_SIZE)];
  let cacheLen = CACHE_HEADER_SIZE;
  let bytes = 0;
  for (let uid = 1; uid <= count; uid++) {
    const size = messageSize(rand, o);
    const head = Buffer.from(
      `Return-Path: <sender${uid}@example.com>\r\nMessage-ID: <${id}.${uid}@bench.example>\r\n` +
        `From: Sender ${uid} <sender${uid}@example.com>\r\nTo: ${name}@example.com\r\n` +
        `Subject: benchmark message ${uid}\r\nDate: Mon, 02 Jan 2023 09:58:00 +0000\r\n\r\n`,
    );
    const bodyLen = Math.max(0, size - head.length);
    const start = Math.floor(rand() * (pool.length - Math.min(bodyLen, pool.length)));
    const parts: Buffer[] = [head];
    for (let left = bodyLen; left > 0; ) {
      const n = Math.min(left, pool.length - start);
      parts.push(pool.subarray(start, start + n));
      left -= n;
    }
    let content = Buffer.concat(parts);
    let guid: string;
    if (o.sparseSize) {
      const fd = openSync(join(dir, `${uid}.`), 'w');
      ftruncateSync(fd, o.sparseSize);
      closeSync(fd);
      content = Buffer.alloc(0);
      guid = sparseGuid!;
    } else {
      writeFileSync(join(dir, `${uid}.`), content);
      guid = createHash('sha1').update(content).digest('hex');
    }
    const fileSize = o.sparseSize ?? content.length;
    bytes += fileSize;
    // The cache record Cyrus 3.6 writes for this message (our parser reproduces it byte for
    // byte), so check --deep has real records to compare and cyrus.cache has real sizes.
    // Sparse files (all zeros) keep a placeholder record: there is no message to parse.
    const parsed = o.sparseSize ? undefined : expectedCacheRecord(content, { cacheVersion: 11, timeZone: LOCAL_ZONE });
    const cache = parsed?.cacheRecord ?? placeholderCache(id, uid, head);
    const cacheOffset = cacheLen;
    cacheParts.push(cache);
    cacheLen += cache.length;
    const seen = rand() < 0.7 ? SystemFlag.SEEN : 0;
    const answered = rand() < 0.2 ? SystemFlag.ANSWERED : 0;
    records.push({
      uid,
      internaldate: now - (count - uid) * 60,
      // What Cyrus derives from the Date: header (so `reconstruct -n -G` finds nothing to say).
      sentdate: parsed?.record.sentdate ?? DATE_MIDNIGHT,
      size: BigInt(fileSize),
      headerSize: parsed?.record.headerSize ?? head.length,
      gmtime: parsed?.record.gmtime ?? DATE_GMT,
      cacheOffset,
      lastUpdated: now,
      systemFlags: seen | answered,
      internalFlags: 0,
      userFlags: [rand() < 0.1 ? 1 : 0, 0, 0, 0],
      savedate: now,
      cacheVersion: 11,
      guid,
      modseq: BigInt(uid + 1),
      cid: 0n,
      createdmodseq: BigInt(uid + 1),
      cacheCrc: cacheRecordCrc(cache, 0, cache.length),
      crcOk: true,
    });
  }
  const cacheBuf = Buffer.concat(cacheParts);
  cacheBuf.writeUInt32BE(0, 0); // generation 0, like the index
  const headerBuf = encodeHeader({
    format: 'dlist',
    quotaroot: name,
    uniqueid: id,
    userFlags: FLAGS,
    acl: `${name.slice(5)}\tlrswipkxtecdan\t`,
    mbtype: 'e',
    name,
  });
  const live = records;
  const header: IndexHeader = {
    generationNo: 0,
    format: 0,
    minorVersion: 17,
    startOffset: 160,
    recordSize: 112,
    numRecords: records.length,
    lastAppenddate: now,
    lastUid: count,
    quotaMailboxUsed: live.reduce((a, r) => a + r.size, 0n),
    pop3LastLogin: 0,
    uidvalidity: now,
    deleted: 0,
    answered: live.filter((r) => r.systemFlags & SystemFlag.ANSWERED).length,
    flagged: 0,
    options: 1,
    leakedCacheRecords: 0,
    highestmodseq: BigInt(count + 1),
    deletedmodseq: 0n,
    exists: live.length,
    firstExpunged: 0,
    lastRepackTime: 0,
    headerFileCrc: headerFileCrc(headerBuf),
    syncCrcBasic: syncCrcBasic(live, FLAGS),
    recentuid: count,
    recenttime: now,
    pop3ShowAfter: 0,
    quotaAnnotUsed: 0n,
    syncCrcAnnot: syncCrcAnnot(live, [], 17),
    unseen: live.filter((r) => !(r.systemFlags & SystemFlag.SEEN)).length,
    createdmodseq: 1n,
    changesEpoch: now,
    crcOk: true,
    quirks: [],
  };
  writeFileSync(join(dir, 'cyrus.header'), headerBuf);
  writeFileSync(join(dir, 'cyrus.cache'), cacheBuf);
  writeFileSync(join(dir, 'cyrus.index'), encodeIndex({ header, records }, { recomputeCrc: true }));
  return bytes;
}
