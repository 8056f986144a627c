// The quota root's usage when a repair changes what a mailbox holds, changed exactly as Cyrus 3.6
// changes it (imap/mailbox.c mailbox_get_usage, mailbox_commit_quota; imap/quota_db.c
// quota_update_useds, quota_use): a mailbox contributes STORAGE = its index header's
// quota_mailbox_used, MESSAGE = exists, X-ANNOTATION-STORAGE = quota_annot_used and
// X-NUM-FOLDERS = 1 (all 0 for a mailbox flagged DELETED); when a commit changes them, the
// difference between the header as it was and the header as written is added to the root named
// in cyrus.header, under the quota database's write lock, clamped at 0. So the root stays equal
// to the sum of its mailboxes' headers — what `quota -f` recomputes and compares.
//
// Where the root is: imapd.conf quota_db (3.6 default quotalegacy: one file per root,
// lib/cyrusdb_quotalegacy.c hash_quota; twoskip/skiplist/flat: one database, key = root).
import { dirname, join } from 'node:path';
import type { ImapdConf } from '../config/imapd-conf.js';
import { dirHashChar } from '../config/paths.js';
import { readDb, type DbRecord } from '../db/index.js';
import { lockDbFile, rewriteLockedDb, type LockedDb } from '../db/locked.js';
import { decodeHeader } from '../format/header.js';
import { decodeIndexHeader, IndexOption, type IndexHeader } from '../format/index/index.js';
import { applyQuotaDelta, decodeQuotaFile, decodeQuotaValue, encodeQuotaFile, encodeQuotaValue, QUOTA_RESOURCES, type QuotaVector } from '../format/quota.js';
import { replaceFile } from './atomic.js';
import type { LockWait } from './locks.js';
import type { Plan, QuotaChange } from './plan.js';
import type { SalvagedIndex } from './salvage.js';
import type { RawMailbox } from './state.js';

/** Where imapd.conf says the quota database is. */
export interface QuotaDbLocation {
  backend: string;
  /** quotas.db (quotalegacy: its folder holds quota/<hash>/<root>). */
  path: string;
  fullDirHash: boolean;
  virtDomains: boolean;
  /** The global annotations.db (mailbox-level annotations count in X-ANNOTATION-STORAGE). */
  annotationsDb: string;
}

export function quotaDbLocation(conf: ImapdConf): QuotaDbLocation {
  let path = conf.raw('quota_db_path') ?? `${conf.configDirectory}/quotas.db`;
  if (path.slice(0, 17).toLowerCase() === '{configdirectory}') path = conf.configDirectory + path.slice(17);
  let annotationsDb = conf.raw('annotation_db_path') ?? `${conf.configDirectory}/annotations.db`;
  if (annotationsDb.slice(0, 17).toLowerCase() === '{configdirectory}') annotationsDb = conf.configDirectory + annotationsDb.slice(17);
  return { backend: conf.raw('quota_db') ?? 'quotalegacy', path, fullDirHash: conf.fullDirHash, virtDomains: conf.virtDomains !== 'off', annotationsDb };
}

/** hash_quota: `<dir>/quota/<c>/<root>`, or `<dir>/domain/<d>/<domain>/quota/…` (`…/quota/root` for a domain's own root). */
export function quotaLegacyPath(loc: QuotaDbLocation, root: string): string {
  let base = dirname(loc.path);
  let qr = root;
  const bang = loc.virtDomains ? root.indexOf('!') : -1;
  if (bang >= 0) {
    const domain = root.slice(0, bang);
    base = join(base, 'domain', dirHashChar(domain, loc.fullDirHash), domain);
    qr = root.slice(bang + 1);
    if (!qr) return join(base, 'quota', 'root');
  }
  const dot = qr.indexOf('.');
  return join(base, 'quota', dirHashChar(dot < 0 ? qr : qr.slice(dot + 1), loc.fullDirHash), qr);
}

/** mailbox_get_usage over a decoded index header. */
export function usageOf(h: IndexHeader): QuotaVector {
  if (h.options & IndexOption.MAILBOX_DELETED) return [0n, 0n, 0n, 0n];
  return [h.quotaMailboxUsed, BigInt(h.exists ?? h.numRecords), h.quotaAnnotUsed ?? 0n, 1n];
}

function headerOf(index: Buffer | undefined): IndexHeader | undefined {
  try {
    const h = index ? decodeIndexHeader(index) : undefined;
    return h?.crcOk ? h : undefined;
  } catch {
    return undefined;
  }
}

const fmt = (d: QuotaVector) =>
  QUOTA_RESOURCES.map((r, i) => (d[i] ? `${r} ${d[i]! > 0n ? '+' : ''}${d[i]}` : '')).filter(Boolean).join(', ');

/**
 * Adds the quota change of a plan (plan.quota and a 'quota-usage' action) when the mailbox has
 * a quota root and the usage its header states changes. Without the old header (missing, or its
 * CRC wrong and no single byte explains it) the previous contribution is unknown: reported as
 * left (`quota -f` recounts it; Cyrus's reconstruct would add the whole usage again).
 */
export function planQuota(plan: Plan, raw: RawMailbox, loc: QuotaDbLocation | undefined, salvaged?: SalvagedIndex): void {
  if (plan.noop || !plan.target || !loc) return;
  let root: string | null = null;
  try {
    root = decodeHeader(plan.target.header ?? raw.header!).quotaroot;
  } catch {
    return;
  }
  if (!root) return;
  const after = headerOf(plan.target.index);
  if (!after) return;
  // The header Cyrus last committed: as read, or as restored exactly from one damaged byte.
  const before = headerOf(raw.index) ?? (salvaged?.headerCorrected ? salvaged.header : undefined);
  if (!before) {
    plan.actions.push({ kind: 'quota-usage', outcome: 'left', severity: 'warning', field: root, message: `quota root ${root}: the old index header is missing or damaged, so this mailbox's share of the usage as Cyrus last counted it is unknown; run Cyrus's quota -f ${root}` });
    return;
  }
  const was = usageOf(before);
  const now = usageOf(after);
  const delta = now.map((v, i) => v - was[i]!) as QuotaVector;
  if (delta.every((d) => d === 0n)) return;
  const path = loc.backend === 'quotalegacy' ? quotaLegacyPath(loc, root) : loc.path;
  const change: QuotaChange = { root, backend: loc.backend, path, delta };
  plan.quota = change;
  plan.actions.push({ kind: 'quota-usage', outcome: 'fixed', severity: 'info', field: root, file: path, from: was.join(' '), to: now.join(' '), message: `quota root ${root}: usage ${fmt(delta)} (this mailbox's share, as Cyrus's commit would change it)` });
}

export interface QuotaWrite {
  /** The entry's bytes before and after (the quotalegacy file, or the database value). */
  before: Buffer;
  after: Buffer;
}

/**
 * Adds `delta` to the root under the database's write lock (the lock quota_update_useds takes
 * through cyrusdb_fetchlock), rewriting it the way Cyrus's commit does (`.NEW`, fsync, rename).
 * A root that does not exist is Cyrus's IMAP_QUOTAROOT_NONEXISTENT: nothing written, an error.
 */
export async function applyQuota(c: QuotaChange, delta: QuotaVector, mboxname: string, wait: LockWait): Promise<QuotaWrite> {
  let db: LockedDb;
  try {
    db = await lockDbFile(c.path, true, wait);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`quota root ${c.root} does not exist (${c.path})`);
    throw e;
  }
  try {
    if (c.backend === 'quotalegacy') {
      const after = encodeQuotaFile(applyQuotaDelta(decodeQuotaFile(db.bytes), delta, mboxname));
      await replaceFile(c.path, after, { mode: db.mode });
      return { before: db.bytes, after };
    }
    const backend = c.backend as 'twoskip' | 'skiplist' | 'flat';
    const records: DbRecord[] = [...readDb(db.bytes, c.path, { expect: backend }).records];
    const key = Buffer.from(c.root, 'latin1');
    const i = records.findIndex((r) => r.key.equals(key));
    if (i < 0 || records[i]!.value.length === 0) throw new Error(`quota root ${c.root} does not exist in ${c.path}`);
    const before = records[i]!.value;
    const after = encodeQuotaValue(applyQuotaDelta(decodeQuotaValue(before), delta, mboxname));
    records[i] = { key, value: after };
    await rewriteLockedDb(db, backend, records);
    return { before, after };
  } finally {
    await db.release();
  }
}

/**
 * --undo puts the backed-up cyrus.index back: to Cyrus that is one more commit, from the header
 * as it is now to the header restored, so the root changes by that difference. (When the
 * repair's own quota change was not made, `notApplied` is added back: the root never saw it.)
 */
export function quotaChangeOfUndo(loc: QuotaDbLocation | undefined, current: Buffer | undefined, restored: Buffer, header: Buffer | undefined, notApplied?: QuotaVector): QuotaChange | undefined {
  if (!loc || !header) return undefined;
  let root: string | null;
  try {
    root = decodeHeader(header).quotaroot;
  } catch {
    return undefined;
  }
  const now = headerOf(current);
  const then = headerOf(restored);
  if (!root || !now || !then) return undefined;
  const a = usageOf(now);
  const b = usageOf(then);
  const delta = b.map((v, i) => v - a[i]! + (notApplied?.[i] ?? 0n)) as QuotaVector;
  if (delta.every((d) => d === 0n)) return undefined;
  return { root, backend: loc.backend, path: loc.backend === 'quotalegacy' ? quotaLegacyPath(loc, root) : loc.path, delta };
}
