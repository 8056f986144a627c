// skiplist reader and consistency check (spec cyrus-db-seen-dlist.md §3; lib/cyrusdb_skiplist.c,
// byte-identical format in 2.4.17 and 3.6.1). No CRCs in this format.
//
// Reading is by replay, like Cyrus's recovery: the INORDER section written by the last checkpoint,
// then the log transaction by transaction; a trailing transaction without COMMIT is ignored (and
// reported), as recovery truncates it. The pointer walk is only used by the consistency check.
import { FormatError } from '../errors.js';
import { compareKeys, type KeyOrder } from './compare.js';
import type { DbProblem, DbRecord, UncommittedTail } from './types.js';

export const SKIPLIST_MAGIC = Buffer.from('\xa1\x02\x8b\x0dskiplist file\0\0\0', 'latin1');
export const SKIPLIST_HEADER_SIZE = 48;
export const SKIPLIST_DUMMY_OFFSET = 48;
export const SKIPLIST_MAXLEVEL = 20;
export const SkiplistType = { INORDER: 1, ADD: 2, DELETE: 4, COMMIT: 255, DUMMY: 257 } as const;
const TERMINATOR = 0xffffffff;

const TYPE_NAMES: Record<number, string> = { 1: 'INORDER', 2: 'ADD', 4: 'DELETE', 255: 'COMMIT', 257: 'DUMMY' };
const typeName = (t: number) => TYPE_NAMES[t] ?? `unknown type ${t}`;
const hex = (n: number) => `0x${n.toString(16).toUpperCase()}`;
const roundup4 = (n: number) => n + ((4 - (n % 4)) % 4); // not &~3: lengths reach 2^32

export interface SkiplistHeader {
  version: number;
  versionMinor: number;
  maxLevel: number;
  curLevel: number;
  /** Only maintained by recovery/checkpoint: do not trust. */
  listSize: number;
  logStart: number;
  lastRecovery: number;
}

export interface SkiplistRecordHead {
  offset: number;
  type: number;
  /** DUMMY/INORDER/ADD: key and data positions; DELETE: target = offset of the deleted record. */
  keyOffset: number;
  keyLength: number;
  dataOffset: number;
  dataLength: number;
  pointers: number[];
  target: number;
  length: number;
}

export interface SkiplistDb {
  backend: 'skiplist';
  header: SkiplistHeader;
  records: DbRecord[];
  /** End of the INORDER section as recovery computes it (where the log really starts). */
  logStart: number;
  /** A trailing log transaction without COMMIT (or a damaged one), which recovery would truncate. */
  uncommitted: (UncommittedTail & { reason: string }) | null;
  /** Ends the way Cyrus's SAFE_TO_APPEND wants and header logstart is right: no recovery needed. */
  clean: boolean;
}

export function decodeSkiplistHeader(buf: Buffer, file?: string): SkiplistHeader {
  if (buf.length < SKIPLIST_HEADER_SIZE)
    throw new FormatError('TRUNCATED', `skiplist header needs 48 bytes, file has ${buf.length}`, 0, file);
  if (!buf.subarray(0, 20).equals(SKIPLIST_MAGIC)) throw new FormatError('BAD_MAGIC', 'not a skiplist file', 0, file);
  const h: SkiplistHeader = {
    version: buf.readUInt32BE(20),
    versionMinor: buf.readUInt32BE(24),
    maxLevel: buf.readUInt32BE(28),
    curLevel: buf.readUInt32BE(32),
    listSize: buf.readUInt32BE(36),
    logStart: buf.readUInt32BE(40),
    lastRecovery: buf.readUInt32BE(44),
  };
  if (h.version !== 1) throw new FormatError('BAD_VERSION', `skiplist version ${h.version}, expected 1`, 20, file);
  if (h.maxLevel > SKIPLIST_MAXLEVEL) throw new FormatError('BAD_VALUE', `maxlevel ${h.maxLevel} > 20`, 28, file);
  if (h.curLevel > h.maxLevel) throw new FormatError('BAD_VALUE', `curlevel ${h.curLevel} > maxlevel`, 32, file);
  return h;
}

/** Decodes one record (Cyrus RECSIZE_safe/LEVEL_safe), bounds-checked against the buffer. */
export function decodeSkiplistRecord(buf: Buffer, offset: number, file?: string): SkiplistRecordHead {
  const need = (n: number) => {
    if (offset + n > buf.length)
      throw new FormatError('TRUNCATED', `skiplist record at ${hex(offset)} runs past end of file`, offset, file);
  };
  need(4);
  const type = buf.readUInt32BE(offset);
  const base = { offset, type, keyOffset: 0, keyLength: 0, dataOffset: 0, dataLength: 0, pointers: [], target: 0 };
  switch (type) {
    case SkiplistType.COMMIT:
      return { ...base, length: 4 };
    case SkiplistType.DELETE:
      need(8);
      return { ...base, target: buf.readUInt32BE(offset + 4), length: 8 };
    case SkiplistType.INORDER:
    case SkiplistType.ADD:
    case SkiplistType.DUMMY: {
      need(8);
      const keyLength = buf.readUInt32BE(offset + 4);
      const keyOffset = offset + 8;
      need(8 + roundup4(keyLength) + 4);
      const dataLength = buf.readUInt32BE(keyOffset + roundup4(keyLength));
      const dataOffset = keyOffset + roundup4(keyLength) + 4;
      let at = dataOffset + roundup4(dataLength);
      const pointers: number[] = [];
      for (;;) {
        if (at + 4 > buf.length)
          throw new FormatError('TRUNCATED', `skiplist record at ${hex(offset)}: no pointer terminator before end of file`, offset, file);
        const p = buf.readUInt32BE(at);
        at += 4;
        if (p === TERMINATOR) break;
        pointers.push(p);
      }
      if (pointers.length === 0)
        throw new FormatError('BAD_VALUE', `skiplist ${typeName(type)} at ${hex(offset)} has no pointers`, offset, file);
      return { ...base, keyOffset, keyLength, dataOffset, dataLength, pointers, length: at - offset };
    }
    default:
      throw new FormatError('BAD_VALUE', `skiplist record at ${hex(offset)} has ${typeName(type)}`, offset, file);
  }
}

const isNode = (t: number) => t === SkiplistType.INORDER || t === SkiplistType.ADD;
const keyOf = (buf: Buffer, r: SkiplistRecordHead) => buf.subarray(r.keyOffset, r.keyOffset + r.keyLength);
const dataOf = (buf: Buffer, r: SkiplistRecordHead) => buf.subarray(r.dataOffset, r.dataOffset + r.dataLength);

function readDummy(buf: Buffer, h: SkiplistHeader, file?: string): SkiplistRecordHead {
  const d = decodeSkiplistRecord(buf, SKIPLIST_DUMMY_OFFSET, file);
  if (d.type !== SkiplistType.DUMMY || d.keyLength || d.dataLength || d.pointers.length !== h.maxLevel)
    throw new FormatError('BAD_VALUE', `record at 0x30 is not an empty DUMMY with maxlevel (${h.maxLevel}) pointers`, 48, file);
  return d;
}

/**
 * The committed contents of a skiplist file, as Cyrus's recovery would rebuild them. Throws
 * FormatError for what stops recovery (bad header or DUMMY, a damaged INORDER record, a log record
 * that is neither ADD, DELETE nor COMMIT, a DELETE aimed at something that is not a record).
 */
export function readSkiplist(buf: Buffer, file?: string, options: { order?: KeyOrder } = {}): SkiplistDb {
  const order = options.order ?? 'signed';
  const header = decodeSkiplistHeader(buf, file);
  const dummy = readDummy(buf, header, file);
  const live = new Map<string, DbRecord>();
  const put = (r: SkiplistRecordHead) =>
    live.set(keyOf(buf, r).toString('latin1'), { key: Buffer.from(keyOf(buf, r)), value: Buffer.from(dataOf(buf, r)) });

  // INORDER section: records written by the last checkpoint, up to the first other type.
  let at = SKIPLIST_DUMMY_OFFSET + dummy.length;
  while (at + 4 <= buf.length && buf.readUInt32BE(at) === SkiplistType.INORDER) {
    const r = decodeSkiplistRecord(buf, at, file);
    put(r);
    at += r.length;
  }
  const logStart = at;

  // Log: transactions of ADD/DELETE ended by COMMIT.
  let uncommitted: SkiplistDb['uncommitted'] = null;
  while (at < buf.length) {
    if (at + 4 > buf.length) {
      uncommitted = { offset: at, length: buf.length - at, reason: 'partial word at end of file' };
      break;
    }
    const type = buf.readUInt32BE(at);
    if (type === 0) {
      at += 4; // recovery skips zero words left by old truncation bugs
      continue;
    }
    if (type === SkiplistType.COMMIT) {
      at += 4;
      continue;
    }
    if (type !== SkiplistType.ADD && type !== SkiplistType.DELETE)
      throw new FormatError('BAD_VALUE', `log record at ${hex(at)} is ${typeName(type)}, expected ADD or DELETE`, at, file);
    const txn = collectTransaction(buf, at, file);
    if ('reason' in txn) {
      uncommitted = { offset: at, length: buf.length - at, reason: txn.reason };
      break;
    }
    for (const r of txn.records) {
      if (r.type === SkiplistType.ADD) put(r);
      else {
        const victim = decodeSkiplistRecord(buf, r.target, file);
        if (!isNode(victim.type))
          throw new FormatError('BAD_VALUE', `DELETE at ${hex(r.offset)} points to a ${typeName(victim.type)}`, r.offset, file);
        live.delete(keyOf(buf, victim).toString('latin1'));
      }
    }
    at = txn.commit + 4;
  }

  const records = [...live.values()].sort((a, b) => compareKeys(order, a.key, b.key));
  const clean = uncommitted === null && header.logStart === logStart && endsSafely(buf, logStart);
  return { backend: 'skiplist', header, records, logStart, uncommitted, clean };
}

/** The records of the transaction starting at `start` up to its COMMIT, or why it has none. */
function collectTransaction(
  buf: Buffer,
  start: number,
  file?: string,
): { records: SkiplistRecordHead[]; commit: number } | { reason: string } {
  const records: SkiplistRecordHead[] = [];
  let at = start;
  while (at < buf.length) {
    let r: SkiplistRecordHead;
    try {
      r = decodeSkiplistRecord(buf, at, file);
    } catch (e) {
      if (e instanceof FormatError) return { reason: `damaged log record at ${hex(at)}: ${e.message}` };
      throw e;
    }
    if (r.type === SkiplistType.COMMIT) return { records, commit: at };
    if (r.type !== SkiplistType.ADD && r.type !== SkiplistType.DELETE)
      return { reason: `${typeName(r.type)} inside a log transaction at ${hex(at)}` };
    records.push(r);
    at += r.length;
  }
  return { reason: 'transaction without COMMIT' };
}

/** Cyrus SAFE_TO_APPEND inverted: the file ends at a record boundary that needs no recovery. */
function endsSafely(buf: Buffer, logStart: number): boolean {
  const n = buf.length;
  if (n % 4 || n < 12) return false;
  if (n === logStart) return buf.readUInt32BE(n - 4) === TERMINATOR;
  if (buf.readUInt32BE(n - 4) !== SkiplistType.COMMIT) return false;
  return buf.readUInt32BE(n - 8) === TERMINATOR || buf.readUInt32BE(n - 12) === SkiplistType.DELETE;
}

export interface SkiplistCheck {
  header: SkiplistHeader | null;
  problems: DbProblem[];
}

/**
 * Problem codes: HEADER, BAD_DUMMY, BAD_RECORD, NOT_CLEAN (uncommitted/damaged log tail, or a file
 * end that makes Cyrus run recovery), LOGSTART (header logstart differs from the INORDER end),
 * PAST_END (pointer beyond the file), LOOP, BAD_TYPE, ORDER (Cyrus myconsistent: every pointer
 * must lead to a larger key), WALK_MISMATCH (level-0 list differs from the replayed contents).
 */
export function checkSkiplist(buf: Buffer, options: { order?: KeyOrder; maxProblems?: number } = {}): SkiplistCheck {
  const order = options.order ?? 'signed';
  const max = options.maxProblems ?? 200;
  const problems: DbProblem[] = [];
  const add = (code: string, offset: number, message: string) => {
    if (problems.length < max) problems.push({ code, offset, message });
  };
  let header: SkiplistHeader;
  let db: SkiplistDb;
  try {
    header = decodeSkiplistHeader(buf);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    add('HEADER', e.offset, e.message);
    return { header: null, problems };
  }
  try {
    readDummy(buf, header);
    db = readSkiplist(buf, undefined, { order });
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    add(e.offset === SKIPLIST_DUMMY_OFFSET ? 'BAD_DUMMY' : 'BAD_RECORD', e.offset, e.message);
    return { header, problems };
  }
  if (db.uncommitted) add('NOT_CLEAN', db.uncommitted.offset, `${db.uncommitted.length} bytes recovery would drop: ${db.uncommitted.reason}`);
  else if (!db.clean && header.logStart === db.logStart) add('NOT_CLEAN', buf.length, 'file does not end at a safe append point');
  if (header.logStart !== db.logStart)
    add('LOGSTART', 40, `header logstart ${hex(header.logStart)}, INORDER section ends at ${hex(db.logStart)}`);

  // Pointer walk (Cyrus myconsistent) and comparison with the replay. Only meaningful when the
  // file ends cleanly: an unfinished writer may have rewritten pointers in place.
  if (db.uncommitted) return { header, problems };
  const walked: DbRecord[] = [];
  const seen = new Set<number>();
  const dummy = decodeSkiplistRecord(buf, SKIPLIST_DUMMY_OFFSET);
  let at = dummy.pointers[0]!;
  while (at !== 0) {
    if (at >= buf.length) {
      add('PAST_END', at, `level-0 pointer ${hex(at)} beyond end of file`);
      break;
    }
    if (seen.has(at)) {
      add('LOOP', at, `record at ${hex(at)} reached twice on level 0`);
      break;
    }
    seen.add(at);
    let r: SkiplistRecordHead;
    try {
      r = decodeSkiplistRecord(buf, at);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      add('BAD_RECORD', at, e.message);
      break;
    }
    if (!isNode(r.type)) {
      add('BAD_TYPE', at, `level-0 list reaches a ${typeName(r.type)} record`);
      break;
    }
    if (r.pointers.length > header.maxLevel) add('BAD_RECORD', at, `record has ${r.pointers.length} levels > maxlevel`);
    for (let i = 0; i < r.pointers.length; i++) {
      const next = r.pointers[i]!;
      if (!next) continue;
      if (next > buf.length) add('PAST_END', at, `level ${i} pointer ${hex(next)} beyond end of file`);
      else {
        try {
          const q = decodeSkiplistRecord(buf, next);
          if (compareKeys(order, keyOf(buf, r), keyOf(buf, q)) >= 0) add('ORDER', at, `level ${i} pointer leads to a key that does not sort after this one`);
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
          add('BAD_RECORD', next, e.message);
        }
      }
    }
    walked.push({ key: keyOf(buf, r), value: dataOf(buf, r) });
    at = r.pointers[0]!;
  }
  const same =
    walked.length === db.records.length &&
    walked.every((w, i) => w.key.equals(db.records[i]!.key) && w.value.equals(db.records[i]!.value));
  if (!same) add('WALK_MISMATCH', SKIPLIST_DUMMY_OFFSET, `level-0 list holds ${walked.length} records, the log replay ${db.records.length}`);
  return { header, problems };
}

// ---- writing ------------------------------------------------------------------------------------

export interface SkiplistEncodeOptions {
  /** Key order (default signed, as Cyrus's skiplist without MBOXSORT). */
  order?: KeyOrder;
  /** Level (1..20) of each record in key order; default 1 + trailing zero bits of (index+1). */
  levels?: readonly number[];
  /** Header curlevel; default the highest level used (Cyrus keeps its old value on checkpoint). */
  curLevel?: number;
  /** Header last_recovery (Unix seconds). Must not be older than `<configdirectory>/db/skipstamp`,
   * or Cyrus recovers (rewrites) the file on open. Default: now. */
  lastRecovery?: number;
}

/**
 * A complete skiplist file holding `records` in the form Cyrus's checkpoint writes (header, DUMMY,
 * INORDER records in key order, no log; spec §3.4, §3.5a): to be written to `<file>.NEW` and
 * renamed over the original under its exclusive lock.
 */
export function encodeSkiplist(records: readonly DbRecord[], options: SkiplistEncodeOptions = {}): Buffer {
  const order = options.order ?? 'signed';
  const sorted = [...records].sort((a, b) => compareKeys(order, a.key, b.key));
  for (let i = 1; i < sorted.length; i++)
    if (compareKeys(order, sorted[i - 1]!.key, sorted[i]!.key) === 0) throw new RangeError(`duplicate key at index ${i}`);
  const levels = sorted.map((_, i) => {
    const l = options.levels?.[i] ?? Math.min(SKIPLIST_MAXLEVEL, 1 + Math.log2((i + 1) & -(i + 1)));
    if (!Number.isInteger(l) || l < 1 || l > SKIPLIST_MAXLEVEL) throw new RangeError(`level ${l} for record ${i} not in 1..20`);
    return l;
  });
  const dummyLen = 4 * (3 + SKIPLIST_MAXLEVEL + 1);
  const offsets: number[] = [];
  let end = SKIPLIST_DUMMY_OFFSET + dummyLen;
  sorted.forEach((r, i) => {
    offsets.push(end);
    end += 12 + roundup4(r.key.length) + roundup4(r.value.length) + 4 * levels[i]! + 4;
  });
  if (end > 0xffffffff) throw new RangeError('skiplist files are limited to 4 GiB');
  const buf = Buffer.alloc(end);

  const next = new Array<number>(SKIPLIST_MAXLEVEL).fill(0);
  const writeNode = (at: number, type: number, key: Buffer, value: Buffer, level: number) => {
    buf.writeUInt32BE(type, at);
    buf.writeUInt32BE(key.length, at + 4);
    key.copy(buf, at + 8);
    let p = at + 8 + roundup4(key.length);
    buf.writeUInt32BE(value.length, p);
    value.copy(buf, p + 4);
    p += 4 + roundup4(value.length);
    for (let i = 0; i < level; i++, p += 4) buf.writeUInt32BE(next[i]!, p);
    buf.writeUInt32BE(TERMINATOR, p);
  };
  for (let j = sorted.length - 1; j >= 0; j--) {
    writeNode(offsets[j]!, SkiplistType.INORDER, sorted[j]!.key, sorted[j]!.value, levels[j]!);
    for (let i = 0; i < levels[j]!; i++) next[i] = offsets[j]!;
  }
  writeNode(SKIPLIST_DUMMY_OFFSET, SkiplistType.DUMMY, Buffer.alloc(0), Buffer.alloc(0), SKIPLIST_MAXLEVEL);

  SKIPLIST_MAGIC.copy(buf, 0);
  const header = [1, 2, SKIPLIST_MAXLEVEL, options.curLevel ?? Math.max(0, ...levels), sorted.length, end, options.lastRecovery ?? Math.floor(Date.now() / 1000)];
  header.forEach((v, i) => buf.writeUInt32BE(v >>> 0, 20 + 4 * i));
  return buf;
}
