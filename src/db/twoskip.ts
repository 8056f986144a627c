// twoskip reader and consistency check (spec cyrus-db-seen-dlist.md §2; Cyrus 3.6
// lib/cyrusdb_twoskip.c). Pure functions over the file's bytes; the caller does I/O and locking.
//
// CRCs: every CRC here is zlib's CRC-32 (node:zlib crc32, reflected 0xEDB88320), as Cyrus's
// crc32_map computes it: header CRC over bytes 0..59, record head CRC over the record from its
// type byte to the end of its last pointer, tail CRC over key + value + zero padding.
import { crc32 } from 'node:zlib';
import { FormatError } from '../errors.js';
import { compareKeys, type KeyOrder } from './compare.js';
import type { DbProblem, DbRecord, UncommittedTail } from './types.js';

export const TWOSKIP_MAGIC = Buffer.from('\xa1\x02\x8b\x0dtwoskip file\0\0\0\0', 'latin1');
export const TWOSKIP_HEADER_SIZE = 64;
export const TWOSKIP_DUMMY_OFFSET = 64;
export const TWOSKIP_MAXLEVEL = 31;
export const TWOSKIP_VERSION = 1;
/** Header flag: a transaction is in progress (or a writer died in one). */
export const TWOSKIP_DIRTY = 1;
/** 8-byte filler Cyrus ≥ 3.2 writes so a record head never straddles a 512-byte block. */
export const TWOSKIP_BLANK = Buffer.from([0x20, 0x42, 0x4c, 0x41, 0x4e, 0x4b, 0x07, 0xa0]);

export const TwoskipType = { DUMMY: 0x3d, RECORD: 0x2b, DELETE: 0x2d, COMMIT: 0x24 } as const;

const TYPE_NAMES: Record<number, string> = { 0x3d: 'DUMMY', 0x2b: 'RECORD', 0x2d: 'DELETE', 0x24: 'COMMIT' };
export const twoskipTypeName = (t: number) => TYPE_NAMES[t] ?? `unknown type 0x${t.toString(16)}`;

export interface TwoskipHeader {
  version: number;
  generation: number;
  numRecords: number;
  repackSize: number;
  currentSize: number;
  flags: number;
  crc: number;
}

/** The decoded head of one record; key and value stay in the file buffer. */
export interface TwoskipRecordHead {
  offset: number;
  type: number;
  level: number;
  keyLength: number;
  valueLength: number;
  /** Slots 0..level: absolute offsets, 0 = end of list. */
  pointers: number[];
  headCrc: number;
  tailCrc: number;
  keyOffset: number;
  valueOffset: number;
  /** Total record length including padding. */
  length: number;
}

export interface TwoskipReadOptions {
  /** Check header, head and tail CRCs (default true), as Cyrus does unless opened with NOCRC. */
  verifyCrc?: boolean;
  /** Key order (default raw; 'mbox' only for databases opened with CYRUSDB_MBOXSORT). */
  order?: KeyOrder;
  /** Check tail CRCs (default: as verifyCrc). Cyrus's recovery1 walk checks only head CRCs. */
  verifyTailCrc?: boolean;
}

export interface TwoskipDb {
  backend: 'twoskip';
  header: TwoskipHeader;
  /** The committed contents, in key order. */
  records: DbRecord[];
  /** current_size == file size and DIRTY clear: Cyrus would open it without recovery. */
  clean: boolean;
  dirty: boolean;
  /** Bytes past current_size: an unfinished transaction that recovery would truncate. */
  uncommitted: UncommittedTail | null;
}

// 64-bit big-endian as a JS number: exact below 2^53, and values above that are only ever
// compared with file sizes, where "huge" is all that matters.
const u64 = (buf: Buffer, at: number) => buf.readUInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
const roundup8 = (n: number) => (n % 8 ? n + 8 - (n % 8) : n);
const hex = (n: number) => `0x${n.toString(16).toUpperCase()}`;

/** Decodes the 64-byte header; checks magic and version but not the CRC (see twoskipHeaderCrcOk). */
export function decodeTwoskipHeader(buf: Buffer, file?: string): TwoskipHeader {
  if (buf.length < TWOSKIP_HEADER_SIZE)
    throw new FormatError('TRUNCATED', `twoskip header needs 64 bytes, file has ${buf.length}`, 0, file);
  if (!buf.subarray(0, 20).equals(TWOSKIP_MAGIC)) throw new FormatError('BAD_MAGIC', 'not a twoskip file', 0, file);
  const version = buf.readUInt32BE(20);
  if (version > TWOSKIP_VERSION) throw new FormatError('BAD_VERSION', `twoskip version ${version} > 1`, 20, file);
  return {
    version,
    generation: u64(buf, 24),
    numRecords: u64(buf, 32),
    repackSize: u64(buf, 40),
    currentSize: u64(buf, 48),
    flags: buf.readUInt32BE(56),
    crc: buf.readUInt32BE(60),
  };
}

export const twoskipHeaderCrcOk = (buf: Buffer) => crc32(buf.subarray(0, 60)) === buf.readUInt32BE(60);

/** Why a record cannot be decoded (the non-throwing form, for scans that expect failures). */
export interface TwoskipRecordFault {
  code: 'TRUNCATED' | 'BAD_VALUE';
  message: string;
}

/**
 * Decodes the record at `offset` (Cyrus read_onerecord): bounds against the whole buffer, level
 * ≤ 31. Does not check CRCs (twoskipHeadCrcOk / twoskipTailCrcOk do). Returns a fault instead of
 * throwing: linear scans over damaged files meet thousands of them.
 */
export function probeTwoskipRecord(buf: Buffer, offset: number, options: { anyOffset?: boolean } = {}): TwoskipRecordHead | TwoskipRecordFault {
  const where = () => `record at ${hex(offset)}`;
  // Cyrus itself reads wherever a pointer says; `anyOffset` does too (to replay Cyrus exactly)
  if (!options.anyOffset && (offset % 8 !== 0 || offset < TWOSKIP_DUMMY_OFFSET))
    return { code: 'BAD_VALUE', message: `record offset ${hex(offset)} is not 8-aligned past the header` };
  if (offset < 0 || offset + 24 > buf.length) return { code: 'TRUNCATED', message: `${where()} past end of file` };
  const type = buf[offset]!;
  const level = buf[offset + 1]!;
  if (level > TWOSKIP_MAXLEVEL) return { code: 'BAD_VALUE', message: `${where()}: level ${level} > 31` };
  let keyLength = buf.readUInt16BE(offset + 2);
  let valueLength = buf.readUInt32BE(offset + 4);
  let at = offset + 8;
  if (keyLength === 0xffff) {
    keyLength = u64(buf, at);
    at += 8;
  }
  if (valueLength === 0xffffffff) {
    valueLength = u64(buf, at);
    at += 8;
  }
  const length = at - offset + 8 * (level + 1) + 8 + roundup8(keyLength + valueLength);
  if (offset + length > buf.length) return { code: 'TRUNCATED', message: `${where()} (${length} bytes) runs past end of file` };
  const pointers: number[] = [];
  for (let i = 0; i <= level; i++, at += 8) pointers.push(u64(buf, at));
  const keyOffset = at + 8;
  return {
    offset,
    type,
    level,
    keyLength,
    valueLength,
    pointers,
    headCrc: buf.readUInt32BE(at),
    tailCrc: buf.readUInt32BE(at + 4),
    keyOffset,
    valueOffset: keyOffset + keyLength,
    length,
  };
}

export const isTwoskipFault = (r: TwoskipRecordHead | TwoskipRecordFault): r is TwoskipRecordFault => 'code' in r;

/** probeTwoskipRecord that throws a FormatError (naming `file` and the offset) on a fault. */
export function decodeTwoskipRecord(buf: Buffer, offset: number, file?: string, options: { anyOffset?: boolean } = {}): TwoskipRecordHead {
  const r = probeTwoskipRecord(buf, offset, options);
  if (isTwoskipFault(r)) throw new FormatError(r.code, r.message, offset, file);
  return r;
}

export const twoskipHeadCrcOk = (buf: Buffer, r: TwoskipRecordHead) =>
  crc32(buf.subarray(r.offset, r.keyOffset - 8)) === r.headCrc;
export const twoskipTailCrcOk = (buf: Buffer, r: TwoskipRecordHead) =>
  crc32(buf.subarray(r.keyOffset, r.keyOffset + roundup8(r.keyLength + r.valueLength))) === r.tailCrc;

/**
 * Successor at skip level `level` (Cyrus _getloc). Level 0 has two slots: a slot at or past the
 * committed end belongs to an unfinished transaction and is ignored; otherwise the larger wins.
 */
export function twoskipNext(r: TwoskipRecordHead, level: number, end: number): number {
  if (level > 0) return r.pointers[level + 1] ?? 0;
  const [a = 0, b = 0] = r.pointers;
  if (a >= end) return b;
  if (b >= end) return a;
  return a > b ? a : b;
}

/** A BLANK filler block at `at` (compared byte by byte: scans call this at every offset). */
export function isTwoskipBlank(buf: Buffer, at: number): boolean {
  if (at < 0 || at + 8 > buf.length) return false;
  for (let i = 0; i < 8; i++) if (buf[at + i] !== TWOSKIP_BLANK[i]) return false;
  return true;
}
const isBlank = isTwoskipBlank;

/**
 * The committed contents of a twoskip file, exactly as Cyrus's recovery1 would leave them: walk
 * the level-0 list from the DUMMY with end = current_size, skipping DELETE records. Throws
 * FormatError (with the offset) on anything that stops Cyrus reading: bad magic/version/CRC, a
 * record out of bounds, a pointer loop, keys out of order, a non-RECORD in the list.
 */
export function readTwoskip(buf: Buffer, file?: string, options: TwoskipReadOptions = {}): TwoskipDb {
  const verify = options.verifyCrc ?? true;
  const verifyTail = options.verifyTailCrc ?? verify;
  const order = options.order ?? 'raw';
  const header = decodeTwoskipHeader(buf, file);
  if (verify && !twoskipHeaderCrcOk(buf)) throw new FormatError('BAD_CRC', 'twoskip header CRC mismatch', 60, file);
  const end = header.currentSize;
  const fail = (code: 'BAD_CRC' | 'BAD_VALUE', msg: string, at: number) => new FormatError(code, msg, at, file);

  const read = (at: number) => {
    const r = decodeTwoskipRecord(buf, at, file);
    if (verify && !twoskipHeadCrcOk(buf, r)) throw fail('BAD_CRC', `head CRC mismatch in record at ${hex(at)}`, at);
    return r;
  };

  const dummy = read(TWOSKIP_DUMMY_OFFSET);
  const records: DbRecord[] = [];
  // Loop guard: every record takes ≥ 24 bytes, so a walk longer than end/24 steps revisits one.
  // (A loop through RECORDs also breaks key order; this catches loops through DELETEs.)
  let steps = Math.floor(Math.min(end, buf.length) / 24) + 1;
  let prevKey: Buffer | null = null;
  let at = twoskipNext(dummy, 0, end);
  while (at !== 0) {
    if (at >= end) throw fail('BAD_VALUE', `committed list points to ${hex(at)}, at or past current_size ${hex(end)}`, at);
    if (--steps < 0) throw fail('BAD_VALUE', `pointer loop: the level-0 list revisits records (at ${hex(at)})`, at);
    const r = read(at);
    if (r.type === TwoskipType.DELETE) {
      at = r.pointers[0]!;
      continue;
    }
    if (r.type !== TwoskipType.RECORD)
      throw fail('BAD_VALUE', `level-0 list reaches a ${twoskipTypeName(r.type)} record at ${hex(at)}`, at);
    if (verifyTail && !twoskipTailCrcOk(buf, r)) throw fail('BAD_CRC', `tail CRC mismatch in record at ${hex(at)}`, at);
    // one private copy per record, key and value as views of it
    const kv = Buffer.from(buf.subarray(r.keyOffset, r.valueOffset + r.valueLength));
    const key = kv.subarray(0, r.keyLength);
    if (prevKey && compareKeys(order, prevKey, key) >= 0)
      throw fail('BAD_VALUE', `key at ${hex(at)} does not sort after the previous key`, at);
    records.push({ key, value: kv.subarray(r.keyLength) });
    prevKey = key;
    at = twoskipNext(r, 0, end);
  }

  const dirty = (header.flags & TWOSKIP_DIRTY) !== 0;
  return {
    backend: 'twoskip',
    header,
    records,
    clean: !dirty && end === buf.length,
    dirty,
    uncommitted: buf.length > end ? { offset: end, length: buf.length - end } : null,
  };
}

export interface TwoskipCheck {
  header: TwoskipHeader | null;
  problems: DbProblem[];
  /** Live records found on the level-0 list. */
  liveRecords: number;
}

/**
 * Problem codes of checkTwoskip:
 * HEADER (unreadable header), HEADER_CRC, SIZE (current_size impossible), NOT_CLEAN (DIRTY or
 * uncommitted bytes: Cyrus will run recovery), BAD_DUMMY, BAD_RECORD (unreadable record),
 * HEAD_CRC, TAIL_CRC, BAD_TYPE, LOOP, PAST_END (committed pointer ≥ current_size), ORDER,
 * LINKAGE (a level's pointer skips or misses a record), BROKEN_TAIL (a level does not end in 0) -
 * both only for level 0 when the file is not clean, since recovery rebuilds the upper levels -
 * COUNT (num_records ≠ live records), COMMIT_START (a COMMIT not pointing at its transaction).
 */
export function checkTwoskip(buf: Buffer, options: { order?: KeyOrder; maxProblems?: number } = {}): TwoskipCheck {
  const order = options.order ?? 'raw';
  const max = options.maxProblems ?? 200;
  const problems: DbProblem[] = [];
  const reported = new Set<string>();
  const add = (code: string, offset: number, message: string) => {
    const id = `${code}@${offset}`;
    if (problems.length >= max || reported.has(id)) return;
    reported.add(id);
    problems.push({ code, offset, message });
  };

  let header: TwoskipHeader;
  try {
    header = decodeTwoskipHeader(buf);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    add('HEADER', e.offset, e.message);
    return { header: null, problems, liveRecords: 0 };
  }
  if (!twoskipHeaderCrcOk(buf)) add('HEADER_CRC', 60, 'header CRC mismatch');
  const end = header.currentSize;
  if (end > buf.length) add('SIZE', 48, `current_size ${hex(end)} is past the end of the file (${hex(buf.length)})`);
  if (end < TWOSKIP_DUMMY_OFFSET) add('SIZE', 48, `current_size ${hex(end)} is inside the header`);
  // Cyrus runs recovery1 on a file that is not clean, which rebuilds every upper-level pointer
  // from the level-0 list: upper-level linkage problems are only reported for clean files.
  const clean = !(header.flags & TWOSKIP_DIRTY) && end === buf.length;
  if (header.flags & TWOSKIP_DIRTY) add('NOT_CLEAN', 56, 'DIRTY flag set: a writer did not finish its transaction');
  if (buf.length > end && end >= TWOSKIP_DUMMY_OFFSET)
    add('NOT_CLEAN', end, `${buf.length - end} uncommitted bytes past current_size`);

  // Decode with CRC problems reported, not thrown.
  const tryRead = (at: number): TwoskipRecordHead | null => {
    const r = probeTwoskipRecord(buf, at);
    if (isTwoskipFault(r)) {
      add('BAD_RECORD', at, r.message);
      return null;
    }
    if (!twoskipHeadCrcOk(buf, r)) add('HEAD_CRC', at, `head CRC mismatch in ${twoskipTypeName(r.type)} at ${hex(at)}`);
    return r;
  };
  const tailChecked = new Set<number>();
  const checkTail = (r: TwoskipRecordHead) => {
    if (tailChecked.has(r.offset)) return;
    tailChecked.add(r.offset);
    if (!twoskipTailCrcOk(buf, r)) add('TAIL_CRC', r.offset, `tail CRC mismatch in ${twoskipTypeName(r.type)} at ${hex(r.offset)}`);
  };

  const dummy = tryRead(TWOSKIP_DUMMY_OFFSET);
  if (!dummy) return { header, problems, liveRecords: 0 };
  if (dummy.type !== TwoskipType.DUMMY || dummy.level !== TWOSKIP_MAXLEVEL || dummy.keyLength || dummy.valueLength)
    add('BAD_DUMMY', 64, `record at 0x40 is ${twoskipTypeName(dummy.type)} level ${dummy.level}, not an empty level-31 DUMMY`);

  // Cyrus myconsistent: walk level 0; every record of level L must be the awaited successor on
  // each of its levels 0..L-1; afterwards every level must have run out.
  const fwd: number[] = [];
  for (let i = 0; i < TWOSKIP_MAXLEVEL; i++) fwd.push(twoskipNext(dummy, i, end));
  const seen = new Set<number>();
  let prevKey: Buffer | null = null;
  let live = 0;
  let walkOk = true;
  while (fwd[0]) {
    const at = fwd[0];
    if (at >= end) {
      add('PAST_END', at, `level-0 pointer to ${hex(at)} is at or past current_size`);
      walkOk = false;
      break;
    }
    if (seen.has(at)) {
      add('LOOP', at, `record at ${hex(at)} reached twice on level 0`);
      walkOk = false;
      break;
    }
    seen.add(at);
    const r = tryRead(at);
    if (!r) {
      walkOk = false;
      break;
    }
    if (r.type === TwoskipType.DELETE) {
      fwd[0] = r.pointers[0]!;
      continue;
    }
    if (r.type !== TwoskipType.RECORD) {
      add('BAD_TYPE', at, `level-0 list reaches a ${twoskipTypeName(r.type)} record`);
      walkOk = false;
      break;
    }
    checkTail(r);
    const key = buf.subarray(r.keyOffset, r.keyOffset + r.keyLength);
    if (prevKey && compareKeys(order, prevKey, key) >= 0) add('ORDER', at, `key does not sort after the previous key`);
    if (!prevKey && key.length === 0) add('ORDER', at, 'empty key (cannot sort after the DUMMY)');
    for (let i = 0; i < r.level; i++) {
      if (fwd[i] !== at && (i === 0 || clean)) add('LINKAGE', at, `level ${i} pointer goes to ${hex(fwd[i]!)}, expected this record`);
      fwd[i] = twoskipNext(r, i, end);
    }
    live++;
    prevKey = key;
  }
  if (walkOk) {
    for (let i = 0; i < TWOSKIP_MAXLEVEL; i++)
      if (fwd[i] && (i === 0 || clean)) add('BROKEN_TAIL', fwd[i]!, `level ${i} does not end after the last record (points to ${hex(fwd[i]!)})`);
    if (live !== header.numRecords) add('COUNT', 32, `num_records is ${header.numRecords}, the list holds ${live}`);
  }

  scanCommitted(buf, Math.min(end, buf.length), tryRead, checkTail, add);
  return { header, problems, liveRecords: live };
}

/** Linear scan of [DUMMY end, end) as Cyrus's dump/recovery2 do: every byte must be a BLANK or a
 * readable record, and each COMMIT must point back at the start of its own transaction. */
function scanCommitted(
  buf: Buffer,
  end: number,
  tryRead: (at: number) => TwoskipRecordHead | null,
  checkTail: (r: TwoskipRecordHead) => void,
  add: (code: string, offset: number, message: string) => void,
): void {
  const dummy = tryRead(TWOSKIP_DUMMY_OFFSET);
  if (!dummy) return;
  let at = TWOSKIP_DUMMY_OFFSET + dummy.length;
  let txnStart = at;
  let last = TwoskipType.DUMMY as number;
  while (at < end) {
    if (isBlank(buf, at)) {
      at += 8;
      continue;
    }
    const r = tryRead(at);
    if (!r) return;
    checkTail(r);
    if (r.type === TwoskipType.COMMIT) {
      if (r.pointers[0] !== txnStart)
        add('COMMIT_START', at, `COMMIT points to ${hex(r.pointers[0]!)}, its transaction began at ${hex(txnStart)}`);
      txnStart = at + r.length;
    } else if (r.type !== TwoskipType.RECORD && r.type !== TwoskipType.DELETE) {
      add('BAD_TYPE', at, `${twoskipTypeName(r.type)} record in the body of the file`);
    }
    last = r.type;
    at += r.length;
  }
  if (at > end) add('BAD_RECORD', end, `a record straddles current_size`);
  else if (last !== TwoskipType.COMMIT && last !== TwoskipType.DUMMY)
    add('COMMIT_START', end, 'committed data does not end with a COMMIT record');
}

// ---- writing ------------------------------------------------------------------------------------

export interface TwoskipEncodeOptions {
  /** Header generation (Cyrus: old generation + 1 on every checkpoint). Default 1. */
  generation?: number;
  /** Key order of the database (default raw). Records are sorted into it; duplicates are refused. */
  order?: KeyOrder;
  /** Skip-list level (1..31) of each record in key order. Default: deterministic 1 + trailing
   * zero bits of (index+1), the shape a p=0.5 skip list has on average. */
  levels?: readonly number[];
  /** Header repack_size as a file created and filled in its first transaction (0x150) rather
   * than as a checkpoint (the offset where the COMMIT's padding starts). */
  firstTransaction?: boolean;
}

const DUMMY_END = TWOSKIP_DUMMY_OFFSET + 8 + 8 * (TWOSKIP_MAXLEVEL + 1) + 8;
const BLOCK = 512;

/** Cyrus add_padding: BLANKs so a head of `headLen` bytes written at `end` stays in one block. */
function padBefore(end: number, headLen: number, blanks: number[]): number {
  if (headLen > BLOCK - 8) return end;
  while ((end + 8) % BLOCK > (end - 8 + headLen) % BLOCK) {
    blanks.push(end);
    end += 8;
  }
  return end;
}

/**
 * A complete twoskip file holding `records`, laid out exactly as Cyrus 3.6's checkpoint writes
 * one (header, DUMMY, every record in key order with BLANK padding, one COMMIT): the form to write
 * to `<file>.NEW` and rename over the original, under the original's exclusive lock (spec §2.11).
 */
export function encodeTwoskip(records: readonly DbRecord[], options: TwoskipEncodeOptions = {}): Buffer {
  const order = options.order ?? 'raw';
  const sorted = [...records].sort((a, b) => compareKeys(order, a.key, b.key));
  for (let i = 1; i < sorted.length; i++)
    if (compareKeys(order, sorted[i - 1]!.key, sorted[i]!.key) === 0) throw new RangeError(`duplicate key at index ${i}`);
  const levels = sorted.map((_, i) => {
    const l = options.levels?.[i] ?? Math.min(TWOSKIP_MAXLEVEL, 1 + Math.log2((i + 1) & -(i + 1)));
    if (!Number.isInteger(l) || l < 1 || l > TWOSKIP_MAXLEVEL) throw new RangeError(`level ${l} for record ${i} not in 1..31`);
    return l;
  });

  // Layout: where each record (and the BLANKs before it) go.
  const blanks: number[] = [];
  const offsets: number[] = [];
  const headLen = (r: DbRecord, level: number) =>
    8 + (r.key.length >= 0xffff ? 8 : 0) + (r.value.length >= 0xffffffff ? 8 : 0) + 8 * (level + 1) + 8;
  let end = DUMMY_END;
  sorted.forEach((r, i) => {
    const h = headLen(r, levels[i]!);
    end = padBefore(end, h, blanks);
    offsets.push(end);
    end += h + roundup8(r.key.length + r.value.length);
  });
  const repackSize = options.firstTransaction ? DUMMY_END : end;
  let commitAt = 0;
  if (sorted.length) {
    end = padBefore(end, 24, blanks);
    commitAt = end;
    end += 24;
  }

  const buf = Buffer.alloc(end);
  for (const b of blanks) TWOSKIP_BLANK.copy(buf, b);
  const put64 = (v: number, at: number) => {
    buf.writeUInt32BE(Math.floor(v / 4294967296), at);
    buf.writeUInt32BE(v >>> 0, at + 4);
  };
  // Head: type, level, lengths, pointers (slot 0 stays 0: level-0 successors live in slot 1, as in
  // a fresh Cyrus transaction), head CRC, then the tail CRC over key + value + padding.
  const writeRecord = (at: number, type: number, level: number, key: Buffer, value: Buffer, slots: number[]) => {
    buf[at] = type;
    buf[at + 1] = level;
    let p = at + 8;
    buf.writeUInt16BE(Math.min(key.length, 0xffff), at + 2);
    buf.writeUInt32BE(Math.min(value.length, 0xffffffff), at + 4);
    if (key.length >= 0xffff) put64(key.length, (p += 8) - 8);
    if (value.length >= 0xffffffff) put64(value.length, (p += 8) - 8);
    for (let i = 0; i <= level; i++, p += 8) put64(slots[i] ?? 0, p);
    key.copy(buf, p + 8);
    value.copy(buf, p + 8 + key.length);
    buf.writeUInt32BE(crc32(buf.subarray(at, p)), p);
    buf.writeUInt32BE(crc32(buf.subarray(p + 8, p + 8 + roundup8(key.length + value.length))), p + 4);
  };

  // Successors, built backwards: next[i] = the following record that reaches skip level i.
  const next = new Array<number>(TWOSKIP_MAXLEVEL).fill(0);
  const slotsFor = (level: number) => [0, next[0]!, ...next.slice(1, level)];
  for (let j = sorted.length - 1; j >= 0; j--) {
    writeRecord(offsets[j]!, TwoskipType.RECORD, levels[j]!, sorted[j]!.key, sorted[j]!.value, slotsFor(levels[j]!));
    for (let i = 0; i < levels[j]!; i++) next[i] = offsets[j]!;
  }
  writeRecord(TWOSKIP_DUMMY_OFFSET, TwoskipType.DUMMY, TWOSKIP_MAXLEVEL, Buffer.alloc(0), Buffer.alloc(0), slotsFor(TWOSKIP_MAXLEVEL));
  if (commitAt) writeRecord(commitAt, TwoskipType.COMMIT, 0, Buffer.alloc(0), Buffer.alloc(0), [DUMMY_END]);

  TWOSKIP_MAGIC.copy(buf, 0);
  buf.writeUInt32BE(TWOSKIP_VERSION, 20);
  put64(options.generation ?? 1, 24);
  put64(sorted.length, 32);
  put64(repackSize, 40);
  put64(end, 48);
  buf.writeUInt32BE(0, 56);
  buf.writeUInt32BE(crc32(buf.subarray(0, 60)), 60);
  return buf;
}
