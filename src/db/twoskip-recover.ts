// What Cyrus's twoskip recovery will do to a file the next time any Cyrus process opens it, and
// what the file really holds (lib/cyrusdb_twoskip.c recovery, recovery1, recovery2, _copy_commit).
//
// A file that is not clean (DIRTY flag, or bytes past current_size) is recovered on open:
// recovery1 walks the level-0 list up to current_size; if that walk fails (a head CRC, a bound,
// key order), recovery2 replays, in file order, every transaction whose records all read back.
//
// Cyrus 3.6.1 (and HEAD) mishandles DELETE records in recovery2 (_copy_commit), all reproduced
// with cyr_dbtool in the tests: (1) it deletes the key of the record the DELETE points to, which
// is the *successor* of the deleted key - the deleted key comes back, its successor is lost;
// (2) it then steps on by that successor's length instead of the DELETE's, so the rest of the
// transaction is read at a wrong offset and usually the whole transaction is dropped; (3) a
// DELETE of the last key trips `assert(key && keylen)`, so every process opening the file dies.
// We report both: `records`, the transactions replayed correctly (a DELETE removes the key just
// before its successor at that point of the replay), and `cyrusRecords`, what Cyrus leaves.
import { FormatError } from '../errors.js';
import { compareKeys, type KeyOrder } from './compare.js';
import {
  decodeTwoskipHeader,
  decodeTwoskipRecord,
  isTwoskipFault,
  probeTwoskipRecord,
  readTwoskip,
  twoskipHeadCrcOk,
  twoskipHeaderCrcOk,
  twoskipTailCrcOk,
  TwoskipType,
  isTwoskipBlank,
  TWOSKIP_DIRTY,
  TWOSKIP_DUMMY_OFFSET,
  type TwoskipRecordHead,
} from './twoskip.js';
import type { DbRecord } from './types.js';

export interface TwoskipRecovery {
  /** What Cyrus does when it next opens the file. */
  cyrusAction: 'none' | 'recovery1' | 'recovery2';
  /** The contents the file really holds (after a correct recovery, when one is due). */
  records: DbRecord[];
  /** The contents Cyrus leaves after its own recovery (differs from `records` only for
   * recovery2 with DELETEs); undefined when Cyrus cannot use the file (recovery2 rescues nothing,
   * or a clean file whose list is unreadable: every read fails). */
  cyrusRecords: DbRecord[] | undefined;
  /** recovery2: transactions left out because a record in them did not read back. */
  lostTransactions: Array<{ offset: number; commit: number }>;
  /** Why Cyrus's own recovery cannot produce a usable file (then cyrusRecords is undefined). */
  cyrusFailure?: string;
  /** Why the level-0 list could not be used, when it could not. */
  listError?: FormatError;
}

/**
 * Predicts Cyrus's recovery of a twoskip file and computes its true committed contents. Throws
 * FormatError only when the header itself is unusable (Cyrus cannot open the file at all).
 */
export function recoverTwoskip(buf: Buffer, file?: string, options: { order?: KeyOrder } = {}): TwoskipRecovery {
  const order = options.order ?? 'raw';
  const header = decodeTwoskipHeader(buf, file);
  if (!twoskipHeaderCrcOk(buf)) throw new FormatError('BAD_CRC', 'twoskip header CRC mismatch', 60, file);
  const clean = !(header.flags & TWOSKIP_DIRTY) && header.currentSize === buf.length;

  let listError: FormatError | undefined;
  try {
    // recovery1 checks head CRCs and order while walking; tail CRCs fail later reads
    const db = readTwoskip(buf, file, { order, verifyTailCrc: false });
    const bad = db.records.length ? firstBadTail(buf, header.currentSize) : null;
    if (!bad) return { cyrusAction: clean ? 'none' : 'recovery1', records: db.records, cyrusRecords: db.records, lostTransactions: [] };
    listError = bad;
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    listError = e;
  }
  const replay = replayCommits(buf, order);
  if (clean) {
    const cyrusFailure = `the file is clean, so Cyrus runs no recovery and its reads fail: ${listError.message}`;
    return { cyrusAction: 'none', records: replay.records, cyrusRecords: undefined, lostTransactions: replay.lost, listError, cyrusFailure };
  }
  const cyrusFailure =
    replay.cyrusAbort ?? (replay.cyrus.length ? undefined : 'recovery2 rescues no records and gives up: the file stays unusable');
  return {
    cyrusAction: 'recovery2',
    records: replay.records,
    cyrusRecords: cyrusFailure ? undefined : replay.cyrus,
    lostTransactions: replay.lost,
    listError,
    ...(cyrusFailure ? { cyrusFailure } : {}),
  };
}

/** A committed record on the level-0 list whose tail CRC fails (Cyrus fails reads of it). */
function firstBadTail(buf: Buffer, end: number): FormatError | null {
  let at = nextOf(decodeTwoskipRecord(buf, TWOSKIP_DUMMY_OFFSET), end);
  while (at) {
    const r = decodeTwoskipRecord(buf, at);
    if (r.type === TwoskipType.DELETE) {
      at = r.pointers[0]!;
      continue;
    }
    if (!twoskipTailCrcOk(buf, r)) return new FormatError('BAD_CRC', `tail CRC mismatch in record at 0x${at.toString(16)}`, at);
    at = nextOf(r, end);
  }
  return null;
}

function nextOf(r: TwoskipRecordHead, end: number): number {
  const [a = 0, b = 0] = r.pointers;
  if (a >= end) return b;
  if (b >= end) return a;
  return a > b ? a : b;
}

/** A sorted key → value map with predecessor lookup. Inserts are binary-search + splice: cheap
 * for the usual recovery2 input, a checkpoint's one big transaction in key order plus a short log. */
class SortedMap {
  private keys: Buffer[] = [];
  private values: Buffer[] = [];
  constructor(private readonly order: KeyOrder) {}
  private find(key: Buffer): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(this.order, this.keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  set(key: Buffer, value: Buffer): void {
    const i = this.find(key);
    if (i < this.keys.length && compareKeys(this.order, this.keys[i]!, key) === 0) this.values[i] = value;
    else {
      this.keys.splice(i, 0, key);
      this.values.splice(i, 0, value);
    }
  }
  delete(key: Buffer): void {
    const i = this.find(key);
    if (i < this.keys.length && compareKeys(this.order, this.keys[i]!, key) === 0) {
      this.keys.splice(i, 1);
      this.values.splice(i, 1);
    }
  }
  /** The last key sorting before `key` (the largest key when `key` is null). */
  before(key: Buffer | null): Buffer | undefined {
    const i = key ? this.find(key) : this.keys.length;
    return i > 0 ? this.keys[i - 1] : undefined;
  }
  entries(): DbRecord[] {
    return this.keys.map((key, i) => ({ key, value: this.values[i]! }));
  }
}

type Op = { kind: 'set'; key: Buffer; value: Buffer } | { kind: 'delete'; successor: Buffer | null };

/** recovery2: scan the whole file; replay each COMMIT's transaction if all its records read. */
function replayCommits(buf: Buffer, order: KeyOrder) {
  const ours = new SortedMap(order);
  const cyrus = new SortedMap(order);
  const lost: Array<{ offset: number; commit: number }> = [];
  let cyrusAbort: string | undefined;
  const read = (at: number, anyOffset = false): TwoskipRecordHead | null => {
    const r = probeTwoskipRecord(buf, at, { anyOffset });
    return !isTwoskipFault(r) && twoskipHeadCrcOk(buf, r) ? r : null;
  };
  const isBlank = (at: number) => isTwoskipBlank(buf, at);
  const copy = (r: TwoskipRecordHead) => {
    const kv = Buffer.from(buf.subarray(r.keyOffset, r.valueOffset + r.valueLength));
    return { key: kv.subarray(0, r.keyLength), value: kv.subarray(r.keyLength) };
  };

  // The true start of a transaction is the end of the COMMIT before it: a start pointer further
  // back is damage (and following it would make the replay quadratic). Cyrus follows it anyway;
  // its simulation gets a step budget instead.
  let txnFloor = TWOSKIP_DUMMY_OFFSET;
  let cyrusSteps = 4 * (buf.length >> 3) + 1024;
  let dirty = false;
  for (let at = TWOSKIP_DUMMY_OFFSET; at < buf.length; ) {
    if (isBlank(at)) {
      at += 8;
      continue;
    }
    const r = read(at);
    if (!r) {
      dirty = true;
      at += 8;
      continue;
    }
    if (r.type === TwoskipType.COMMIT && !dirty) {
      const ops = r.pointers[0]! >= txnFloor ? ourTransaction(r) : null;
      if (ops) {
        for (const op of ops) {
          if (op.kind === 'set') ours.set(op.key, op.value);
          else {
            const victim = ours.before(op.successor);
            if (victim) ours.delete(victim);
          }
        }
      } else lost.push({ offset: r.pointers[0]!, commit: at });
      if (!cyrusAbort) cyrusTransaction(r);
    } else if (r.type === TwoskipType.COMMIT) lost.push({ offset: r.pointers[0]!, commit: at });
    if (r.type === TwoskipType.COMMIT) {
      dirty = false;
      txnFloor = at + r.length;
    }
    at += r.length;
  }
  return { records: ours.entries(), cyrus: cyrus.entries(), lost, cyrusAbort };

  // The operations between a COMMIT's start pointer and the COMMIT, or null if one does not read
  // back. Tail CRCs are checked too (Cyrus would import a damaged key or value).
  function ourTransaction(commit: TwoskipRecordHead): Op[] | null {
    const ops: Op[] = [];
    for (let at = commit.pointers[0]!; at < commit.offset; ) {
      if (isBlank(at)) {
        at += 8;
        continue;
      }
      const r = read(at);
      if (!r) return null;
      if (r.type === TwoskipType.RECORD) {
        if (!twoskipTailCrcOk(buf, r)) return null;
        ops.push({ kind: 'set', ...copy(r) });
      } else if (r.type === TwoskipType.DELETE) {
        const target = r.pointers[0]!;
        const s = target ? read(target) : null;
        if (target && !s) return null;
        ops.push({ kind: 'delete', successor: s ? copy(s).key : null });
      } else return null;
      at += r.length;
    }
    return ops;
  }

  // Cyrus's _copy_commit, faithfully: a DELETE deletes the key of the record it points to (the
  // successor), and the loop then advances by *that* record's length, so whatever follows a DELETE
  // is read at a wrong offset - usually failing, which aborts the whole transaction; a DELETE with
  // no successor stores an empty key and trips an assertion.
  function cyrusTransaction(commit: TwoskipRecordHead): void {
    const ops: Array<() => void> = [];
    for (let at = commit.pointers[0]!; at < commit.offset; ) {
      if (--cyrusSteps < 0) {
        cyrusAbort = 'COMMIT records point far back: Cyrus recovery2 would replay overlapping ranges; not simulated further';
        return;
      }
      if (isBlank(at)) {
        at += 8;
        continue;
      }
      const r = read(at, true);
      if (!r) return;
      if (r.type === TwoskipType.RECORD) {
        const { key, value } = copy(r);
        ops.push(() => cyrus.set(key, value));
        at += r.length;
      } else if (r.type === TwoskipType.DELETE) {
        const target = r.pointers[0]!;
        if (target === 0) {
          cyrusAbort = `recovery2 aborts (assertion key && keylen) on the DELETE of the last key at 0x${r.offset.toString(16)}: every Cyrus process opening the file dies`;
          return;
        }
        const s = read(target, true);
        if (!s) return;
        const { key } = copy(s);
        ops.push(() => cyrus.delete(key));
        at += s.length;
      } else return;
    }
    for (const op of ops) op();
  }
}
