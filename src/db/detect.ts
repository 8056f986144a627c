// Backend sniffing and one entry point for reading any cyrusdb file (spec §1.4). Cyrus 3.6 opens
// a file with the configured backend and, if that fails, with whatever cyrusdb_detect recognises
// (twoskip and skiplist by the first 16 bytes of their magic); 3.6 even converts 2.4 skiplist seen
// files on open. So the magic decides, not imapd.conf; flat has no magic and is the fallback.
import { readFileSync } from 'node:fs';
import { FormatError, withFile } from '../errors.js';
import type { KeyOrder } from './compare.js';
import { checkFlat, readFlat } from './flat.js';
import { checkSkiplist, readSkiplist, SKIPLIST_MAGIC } from './skiplist.js';
import { recoverTwoskip, type TwoskipRecovery } from './twoskip-recover.js';
import { checkTwoskip, readTwoskip, TWOSKIP_MAGIC } from './twoskip.js';
import type { Backend, DbProblem, DbRecord, UncommittedTail } from './types.js';

/** Cyrus cyrusdb_detect: needs 32 bytes, compares 16. Returns null for anything else (flat…). */
export function detectBackend(buf: Buffer): 'twoskip' | 'skiplist' | null {
  if (buf.length < 32) return null;
  const head = buf.subarray(0, 16);
  if (head.equals(SKIPLIST_MAGIC.subarray(0, 16))) return 'skiplist';
  if (head.equals(TWOSKIP_MAGIC.subarray(0, 16))) return 'twoskip';
  return null;
}

export interface ReadDbOptions {
  /** The backend imapd.conf names (mboxlist_db…); used only when the magic says nothing: flat is
   * then read as flat, anything else is an error. Default flat. */
  expect?: Backend | string;
  /** Key order override (default: raw for twoskip, signed for skiplist). */
  order?: KeyOrder;
  /** twoskip only: verify CRCs (default true). */
  verifyCrc?: boolean;
  /** flat only: decode 3.x escapes (default true). */
  escaped?: boolean;
}

export interface DbContents {
  backend: Backend;
  records: DbRecord[];
  /** False when Cyrus would run recovery before using the file. */
  clean: boolean;
  uncommitted: UncommittedTail | null;
}

/** Reads any cyrusdb file: sniffs the magic, then the backend's reader. Throws FormatError. */
export function readDb(buf: Buffer, file?: string, options: ReadDbOptions = {}): DbContents {
  const backend = detectBackend(buf);
  const order = options.order ? { order: options.order } : {};
  switch (backend) {
    case 'twoskip': {
      const db = readTwoskip(buf, file, { ...order, verifyCrc: options.verifyCrc ?? true });
      return { backend, records: db.records, clean: db.clean, uncommitted: db.uncommitted };
    }
    case 'skiplist': {
      const db = readSkiplist(buf, file, order);
      const { uncommitted } = db;
      return { backend, records: db.records, clean: db.clean, uncommitted: uncommitted && { offset: uncommitted.offset, length: uncommitted.length } };
    }
    case null: {
      const expect = options.expect ?? 'flat';
      if (expect !== 'flat') {
        // An empty file is what Cyrus creates before the first write: no records, nothing wrong.
        if (buf.length === 0 && (expect === 'twoskip' || expect === 'skiplist')) return { backend: expect, records: [], clean: true, uncommitted: null };
        throw new FormatError(buf.length < 32 ? 'TRUNCATED' : 'BAD_MAGIC', `no twoskip or skiplist magic, and ${expect} is not flat`, 0, file);
      }
      return { backend: 'flat', records: readFlat(buf, file, { escaped: options.escaped ?? true }).records, clean: true, uncommitted: null };
    }
  }
}

/** Reads a database file from disk (the I/O edge of readDb); FormatErrors name the file. */
export function readDbFile(path: string, options: ReadDbOptions = {}): DbContents {
  const buf = readFileSync(path);
  return withFile(path, () => readDb(buf, path, options));
}

export interface DbCheck {
  /** null: no magic and not expected to be flat. */
  backend: Backend | null;
  problems: DbProblem[];
  /** twoskip files that are not clean: what Cyrus's recovery will make of them. */
  recovery?: TwoskipRecovery;
}

/**
 * Consistency check of any cyrusdb file (checkTwoskip / checkSkiplist / checkFlat by magic). For a
 * twoskip file that Cyrus would recover, adds what that recovery does: problem RECOVERY2 when the
 * level-0 list is broken and Cyrus falls back to its linear replay (which loses the damaged
 * transactions and, in 3.6.1, mishandles DELETEs - see twoskip-recover.ts).
 */
export function checkDb(buf: Buffer, options: Pick<ReadDbOptions, 'expect' | 'order'> = {}): DbCheck {
  const backend = detectBackend(buf);
  const order = options.order ? { order: options.order } : {};
  if (backend === 'skiplist') return { backend, problems: checkSkiplist(buf, order).problems };
  if (backend === null) {
    if ((options.expect ?? 'flat') !== 'flat')
      return { backend: null, problems: [{ code: 'HEADER', offset: 0, message: `no twoskip or skiplist magic, and ${options.expect} is not flat` }] };
    return { backend: 'flat', problems: checkFlat(buf).problems };
  }
  const problems = checkTwoskip(buf, order).problems;
  if (!problems.length) return { backend, problems };
  let recovery: TwoskipRecovery;
  try {
    recovery = recoverTwoskip(buf, undefined, order);
  } catch (e) {
    if (e instanceof FormatError) return { backend, problems }; // header unusable: already reported
    throw e;
  }
  if (recovery.cyrusAction === 'recovery2') {
    const lost = recovery.lostTransactions.length;
    const outcome = recovery.cyrusFailure ?? `Cyrus keeps ${recovery.cyrusRecords?.length ?? 0} records, the committed data has ${recovery.records.length}`;
    problems.push({
      code: 'RECOVERY2',
      offset: recovery.listError?.offset ?? 0,
      message: `the level-0 list is broken, so Cyrus will replay the file linearly on next open: ${lost} transaction(s) lost; ${outcome}`,
    });
  }
  return { backend, problems, recovery };
}
