// The shapes a repair plan is made of: options in, actions (what is printed and returned as
// JSON) and the target (the exact bytes apply.ts writes) out.
import type { Severity } from '../../findings.js';
import type { DbRecord } from '../../db/types.js';
import type { IndexRecord } from '../../format/index/index.js';
import type { ReplicaRecord, ReplicaView } from '../replica.js';

export interface RepairOptions {
  /** GUID or size mismatch: keep and report (Cyrus's default), or Cyrus's -R / -U. */
  guidMismatch: 'keep' | 'reappend' | 'discard';
  /** A live record whose file is gone: expunge it (as Cyrus does) or leave it and report. */
  missing: 'expunge' | 'keep';
  /** Odd files: moved into the backup folder instead of only reported. */
  removeOdd: boolean;
  /** Unix seconds of this repair (last_updated, savedate of what it changes). */
  now: number;
}

/** What earlier backups of this mailbox remember (newest first). */
export interface BackupHints {
  /** cyrus.header user-flag names per backup. */
  flagNames: Array<{ source: string; names: string[] }>;
  /** Records by GUID: flags by name and dates, for files that lost their record. */
  byGuid: Map<string, { source: string; uid: number; internaldate: number; systemFlags: number; keywords: string[]; savedate?: number }>;
  /** The newest backup's cyrus.index and cyrus.header bytes (for a lost index or header). */
  index?: { source: string; buf: Buffer };
  header?: { source: string; buf: Buffer };
  /** The replica's view of the mailbox (--from-replica), same UIDVALIDITY only. */
  replica?: ReplicaView;
}

/** The replica's record for `uid` if it holds the same message (same GUID). */
export function replicaCopy(h: BackupHints, uid: number, guid: string | undefined): ReplicaRecord | undefined {
  const r = h.replica?.records.find((x) => x.uid === uid);
  return r && guid && r.guid === guid ? r : undefined;
}
export const NO_HINTS: BackupHints = { flagNames: [], byGuid: new Map() };

export type Outcome = 'fixed' | 'left' | 'lost';

export interface Action {
  /** Stable kind names; JSON consumers switch on them. */
  kind:
    | 'recompute-header' | 'salvage-header' | 'rebuild-cache' | 'new-cache-file' | 'recover-record'
    | 'drop-record' | 'append-file' | 'renumber-file' | 'expunge-missing' | 'keep-missing'
    | 'unlink-expunged' | 'guid-mismatch' | 'raise-last-uid' | 'raise-highestmodseq'
    | 'recover-flag-name' | 'clear-flag-name' | 'clear-unnamed-flags' | 'empty-file' | 'odd-file'
    | 'unreadable-file' | 'unparseable-file' | 'header-unreadable' | 'index-unreadable'
    | 'restore-header' | 'rebuild-index' | 'gone-since-backup' | 'restore-from-replica'
    | 'reorder-records' | 'fix-uniqueid' | 'set-guid'
    | 'quota-usage' | 'move-annotations';
  outcome: Outcome;
  severity: Severity;
  message: string;
  uid?: number;
  newUid?: number;
  modseq?: bigint;
  field?: string;
  from?: string;
  to?: string;
  file?: string;
}

/** A file operation, done before the index is replaced. */
export type FileOp =
  | { op: 'rename'; from: string; to: string }
  /** Moved into the backup folder (never deleted). */
  | { op: 'to-backup'; from: string; name: string }
  /** Fetched from the replica (GET FETCH), checked against the GUID, written beside + renamed. */
  | { op: 'from-replica'; uid: number; guid: string; to: string }
  /** cyrus.annotations rewritten with these records (annotations moved with renumbered files). */
  | { op: 'annotations'; to: string; records: DbRecord[]; baseSha1: string };

/** The bytes and file operations apply.ts carries out, in this order. */
export interface Target {
  /** Appended to the existing cyrus.cache (its size at planning time is `cacheBase`). */
  cacheAppend?: Buffer;
  cacheBase?: number;
  /** A whole new cyrus.cache (missing / wrong generation / unreadable). */
  cacheNew?: Buffer;
  fileOps: FileOp[];
  /** New cyrus.header bytes when they change. */
  header?: Buffer;
  index: Buffer;
}

export interface Plan {
  mailbox: string;
  /** What the plan was computed from; apply refuses if the locked files differ. */
  base: { indexCrc: number; indexSize: number; headerCrc: number; cacheSize: number };
  actions: Action[];
  /** Records taken out of the index (damaged beyond use) or expunged for loss: kept in the backup. */
  removedRecords: Array<{ uid: number; why: string; record: IndexRecord }>;
  before: HeaderSummary;
  after: HeaderSummary;
  /** The quota root's usage change this plan makes (src/repair/quota.ts), when there is one. */
  quota?: QuotaChange;
  /** Nothing to write. */
  noop: boolean;
  target?: Target;
}

/** A change of a quota root's usage: STORAGE, MESSAGE, X-ANNOTATION-STORAGE, X-NUM-FOLDERS. */
export interface QuotaChange {
  root: string;
  /** imapd.conf quota_db. */
  backend: string;
  /** The quotalegacy file of the root, or the database. */
  path: string;
  delta: [bigint, bigint, bigint, bigint];
}

export interface HeaderSummary {
  uidvalidity: number;
  lastUid: number;
  highestmodseq: bigint;
  exists: number;
  numRecords: number;
  syncCrc: number;
  syncCrcAnnot?: number;
}

export const outcomeCounts = (p: Plan) => ({
  fixed: p.actions.filter((a) => a.outcome === 'fixed').length,
  left: p.actions.filter((a) => a.outcome === 'left').length,
  lost: p.actions.filter((a) => a.outcome === 'lost').length,
});
