// One quota root's entry in the quota database (Cyrus 3.6 imap/quota_db.c quota_parseval,
// quota_write; lib/cyrusdb_quotalegacy.c for the one-file-per-root form). Pure encode/decode.
//
// 3.x writes a dlist: `%(S (<used> [<limit>]) M (…) AS (…) NF (…) [SCAN %(MBOX <name> S n M n AS n
// NF n)] MODSEQ <n>)` — used in bytes (storage, annotation storage) or counts, limit in the
// resource's units (KB for storage), no limit = unlimited. Older Cyrus wrote
// `<used> <limit> [<tmp>] [<name> <used> <limit> [<tmp>]]…` (quotalegacy files: the first space is a
// newline); Cyrus reads both and always writes the dlist back, so do we.
import { parseDlist } from '../dlist/parse.js';
import { printAstring } from '../dlist/print.js';
import { getChild, toAtom, toNum64 } from '../dlist/access.js';
import type { DlistNode } from '../dlist/types.js';
import { FormatError } from '../errors.js';

/** Cyrus's quota resources in its enum order, with the keys the dlist uses. */
export const QUOTA_RESOURCES = ['STORAGE', 'MESSAGE', 'X-ANNOTATION-STORAGE', 'X-NUM-FOLDERS'] as const;
export const QUOTA_DB_KEYS = ['S', 'M', 'AS', 'NF'] as const;
export type QuotaVector = [bigint, bigint, bigint, bigint];

export interface QuotaEntry {
  /** Usage per resource (bytes for STORAGE and annotation storage). */
  used: QuotaVector;
  /** Limit per resource in its units; undefined = unlimited (not stored). */
  limits: [bigint | undefined, bigint | undefined, bigint | undefined, bigint | undefined];
  /** A `quota -f` in progress: the mailbox it has reached and what it has counted so far. */
  scan?: { mbox: string; used: QuotaVector };
  modseq: bigint;
}

const zero = (): QuotaVector => [0n, 0n, 0n, 0n];

function num(n: DlistNode | undefined, what: string): bigint {
  const v = toNum64(n);
  if (v === undefined) throw new FormatError('BAD_VALUE', `quota entry: ${what} is not a number`, 0);
  return v;
}

/** Decodes a quota database value (the bytes cyrusdb_fetch returns, no trailing newline). */
export function decodeQuotaValue(data: Buffer): QuotaEntry {
  const q: QuotaEntry = { used: zero(), limits: [undefined, undefined, undefined, undefined], modseq: 0n };
  if (data.length === 0) throw new FormatError('TRUNCATED', 'quota entry is empty (Cyrus: no such quota root)', 0);
  if (data[0] === 0x25) {
    let node: DlistNode;
    try {
      node = parseDlist(data).node;
    } catch (e) {
      throw new FormatError('BAD_SYNTAX', `quota entry: ${(e as Error).message}`, (e as FormatError).offset ?? 0);
    }
    if (node.type !== 'kvlist') throw new FormatError('BAD_SYNTAX', 'quota entry: not a %(…) list', 0);
    QUOTA_DB_KEYS.forEach((k, res) => {
      const item = getChild(node, k);
      if (!item) return;
      const items = item.type === 'list' ? item.items : [item];
      if (items[0]) q.used[res] = num(items[0], `${k} used`);
      if (items[1]) q.limits[res] = num(items[1], `${k} limit`);
    });
    const scan = getChild(node, 'SCAN');
    const mbox = toAtom(getChild(scan, 'MBOX'));
    if (scan && mbox) {
      const used = zero();
      QUOTA_DB_KEYS.forEach((k, res) => {
        const v = getChild(scan, k);
        if (v) used[res] = num(v, `SCAN ${k}`);
      });
      q.scan = { mbox, used };
    }
    const ms = getChild(node, 'MODSEQ');
    if (ms) q.modseq = num(ms, 'MODSEQ');
    return q;
  }
  // The historical form: pairs of numbers, each later pair named by its resource key.
  const fields = data.toString('latin1').split(/[ \t\n\r]+/).filter(Boolean);
  let i = 0;
  let res = 0;
  const isNum = (s: string | undefined) => s !== undefined && /^-?\d+$/.test(s);
  for (;;) {
    if (!isNum(fields[i]) || !isNum(fields[i + 1])) throw new FormatError('BAD_SYNTAX', 'quota entry: expected "<used> <limit>"', 0);
    q.used[res] = BigInt(fields[i]!);
    const limit = BigInt(fields[i + 1]!);
    q.limits[res] = limit < 0n ? undefined : limit;
    i += 2;
    if (isNum(fields[i])) i++; // a failed quota -f's temporary count
    if (i === fields.length) break;
    res = QUOTA_DB_KEYS.findIndex((k) => k.toLowerCase() === fields[i]!.toLowerCase());
    if (res < 0) throw new FormatError('BAD_SYNTAX', `quota entry: unknown resource ${JSON.stringify(fields[i])}`, 0);
    i++;
  }
  return q;
}

/** The value quota_write stores: all four resources, SCAN if a scan is running, MODSEQ. */
export function encodeQuotaValue(q: QuotaEntry): Buffer {
  const parts = QUOTA_DB_KEYS.map((k, res) => {
    const lim = q.limits[res];
    return `${k} (${q.used[res]}${lim === undefined ? '' : ` ${lim}`})`;
  });
  if (q.scan) {
    const mbox = printAstring(q.scan.mbox).toString('latin1');
    parts.push(`SCAN %(MBOX ${mbox} ${QUOTA_DB_KEYS.map((k, res) => `${k} ${q.scan!.used[res]}`).join(' ')})`);
  }
  parts.push(`MODSEQ ${q.modseq}`);
  return Buffer.from(`%(${parts.join(' ')})`, 'latin1');
}

/** A quotalegacy file: the value and a newline (old form: its first space was a newline). */
export function decodeQuotaFile(file: Buffer): QuotaEntry {
  if (file.length === 0) throw new FormatError('TRUNCATED', 'quota file is empty', 0);
  if (file[file.length - 1] !== 0x0a) throw new FormatError('BAD_SYNTAX', 'quota file does not end with a newline (Cyrus: I/O error)', file.length);
  return decodeQuotaValue(file.subarray(0, file.length - 1));
}

export const encodeQuotaFile = (q: QuotaEntry): Buffer => Buffer.concat([encodeQuotaValue(q), Buffer.from('\n')]);

/**
 * quota_use for each resource, as quota_update_useds applies a mailbox's change: usage never
 * goes below 0 (Cyrus logs "Quota underflow" and clamps), and a running `quota -f` scan that
 * has already passed this mailbox (`mailboxCmp(name, scan.mbox) <= 0`) gets the change too.
 */
export function applyQuotaDelta(q: QuotaEntry, delta: QuotaVector, mboxname: string, compare: (a: string, b: string) => number = rawCompare): QuotaEntry {
  const used = q.used.map((u, res) => (delta[res]! < 0n && -delta[res]! > u ? 0n : u + delta[res]!)) as QuotaVector;
  const out: QuotaEntry = { ...q, used };
  if (q.scan && compare(mboxname, q.scan.mbox) <= 0) {
    out.scan = { mbox: q.scan.mbox, used: q.scan.used.map((u, res) => u + delta[res]!) as QuotaVector };
  }
  return out;
}

/** Byte order (the quota db is opened without mailbox sort, so cyrusdb_compar is memcmp-like). */
export function rawCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}
