// The state one plan is built in, shared by its steps (start, flags, records, files, target):
// the inputs, the actions so far, the records being written, and the modseq counter. Pure data;
// no I/O happens while a plan is made.
import type { Severity } from '../../findings.js';
import type { MailboxHeader } from '../../format/header.js';
import { InternalFlag, SystemFlag, type IndexHeader, type IndexRecord } from '../../format/index/index.js';
import type { ExpectedCacheRecord } from '../../message/record.js';
import type { SalvagedIndex } from '../salvage.js';
import type { FolderFacts, RawMailbox } from '../state.js';
import type { Action, BackupHints, FileOp, HeaderSummary, Plan, RepairOptions } from './types.js';

/** Decoded inputs, shared by needsParse and makePlan. */
export interface Decoded {
  raw: RawMailbox;
  index?: SalvagedIndex;
  indexError?: string;
  mh?: MailboxHeader;
  mhError?: string;
  cacheGeneration?: number;
}

/** A record on its way into the new index. */
export interface Work {
  uid: number;
  r: IndexRecord;
  /** The record as read (undefined for records the repair creates). */
  orig?: IndexRecord;
  /** Needs a new modseq (a change a replica must see). */
  bump: boolean;
  /** A freshly parsed cache record to write for it. */
  cache?: ExpectedCacheRecord;
}

export const SYSTEM_MASK = SystemFlag.ANSWERED | SystemFlag.FLAGGED | SystemFlag.DELETED | SystemFlag.DRAFT | SystemFlag.SEEN;
export const INTERNAL_MASK = Object.values(InternalFlag).reduce((a, b) => (a | b) >>> 0, 0);
/** The cache version Cyrus 3.6 writes (and src/message reproduces). */
export const CACHE_VERSION = 11;

export const cacheUsable = (d: Decoded): boolean =>
  d.cacheGeneration !== undefined && d.index !== undefined && d.cacheGeneration === d.index.header.generationNo;

export class Planner {
  readonly actions: Action[] = [];
  readonly removed: Plan['removedRecords'] = [];
  /** Renames and moves into the backup, done before the index is replaced. */
  readonly fileOps: FileOp[] = [];
  /** Records whose file changed, to re-append under a new UID (--guid-mismatch=reappend). */
  readonly reappend: Array<{ uid: number; flagsFrom: IndexRecord }> = [];
  /** Records kept or recovered, by UID. */
  readonly work = new Map<number, Work>();
  /** Records Cyrus itself wiped (uid 0), kept for its repack. */
  readonly wiped: IndexRecord[] = [];
  readonly damaged: Array<{ recno: number; r: IndexRecord }> = [];
  /** Records created for files (appended, renumbered, tombstones of old UIDs). */
  readonly appended: Work[] = [];
  /** Message files a record accounts for. */
  readonly claimed = new Set<number>();
  /** UIDs known only from a backup's index (cyrus.index was rebuilt from it). */
  readonly fromBackup = new Set<number>();
  tombstones = 0;
  // Set by the start step:
  index!: SalvagedIndex;
  mh!: MailboxHeader;
  names!: string[];
  /** The header being written (starts as the one read or salvaged). */
  h!: IndexHeader;
  before!: HeaderSummary;
  hm = 0n;
  lastUid = 0;

  constructor(
    public d: Decoded,
    readonly facts: FolderFacts,
    readonly parsed: Map<number, ExpectedCacheRecord>,
    readonly hints: BackupHints,
    readonly o: RepairOptions,
  ) {}

  get raw(): RawMailbox {
    return this.d.raw;
  }

  act(a: Omit<Action, 'severity'> & { severity?: Severity }): void {
    this.actions.push({ severity: a.outcome === 'fixed' ? 'info' : 'error', ...a });
  }

  /** The next modseq: one per change, all above the old highestmodseq. */
  nextModseq(): bigint {
    return ++this.hm;
  }

  named(n: number): boolean {
    return !!this.names[n];
  }

  get cacheUsable(): boolean {
    return cacheUsable(this.d);
  }
}

export function summary(h: IndexHeader): HeaderSummary {
  return {
    uidvalidity: h.uidvalidity,
    lastUid: h.lastUid,
    highestmodseq: h.highestmodseq ?? 0n,
    exists: h.exists ?? h.numRecords,
    numRecords: h.numRecords,
    syncCrc: h.syncCrcBasic ?? 0,
    syncCrcAnnot: h.syncCrcAnnot,
  };
}

/** Local midnight of a time, Cyrus's sentdate fallback (computed in UTC here). */
export const midnight = (t: number) => t - (t % 86400);
