// The repair decisions, as a pure function: a mailbox's decoded state, facts about its message
// files (and parses of those that need one), hints from earlier backups and the options in; a
// typed Plan out. The plan holds both what is printed (actions, each fixed / left / lost) and
// the exact bytes apply.ts writes (target), so `--dry-run` and apply cannot disagree.
//
// Replication rules (spec cyrus-reconstruct.md §9.5): last_uid, highestmodseq, UIDVALIDITY never
// go down; a UID is never reused; every record that is changed, added or expunged gets its own
// modseq above the old highestmodseq (cache-only rewrites change nothing a replica sees and keep
// theirs); counters, SYNC_CRCs, header CRC and header_file_crc are recomputed.
import { crc32 } from 'node:zlib';
import { verifyCacheRecord } from '../check/verify-mailbox.js';
import { isAtom } from '../dlist/print.js';
import { FormatError } from '../errors.js';
import type { Severity } from '../findings.js';
import { messageAnnotations } from '../format/annotations.js';
import { decodeCacheHeader } from '../format/cache.js';
import { decodeHeader, encodeHeader, headerFileCrc, type MailboxHeader } from '../format/header.js';
import {
  encodeIndex,
  InternalFlag,
  isExpunged,
  isUnlinked,
  IndexOption,
  SystemFlag,
  userFlagBits,
  userFlagWords,
  type IndexHeader,
  type IndexRecord,
} from '../format/index/index.js';
import { syncCrcAnnot, syncCrcBasic } from '../format/synccrc.js';
import { readDb } from '../db/index.js';
import type { ExpectedCacheRecord } from '../message/record.js';
import { blankHeader, salvageIndex, type SalvagedIndex } from './salvage.js';
import type { FolderFacts, RawMailbox } from './state.js';

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
    | 'restore-header' | 'rebuild-index' | 'gone-since-backup';
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
  | { op: 'to-backup'; from: string; name: string };

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
  /** Nothing to write. */
  noop: boolean;
  target?: Target;
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

const SYSTEM_MASK = SystemFlag.ANSWERED | SystemFlag.FLAGGED | SystemFlag.DELETED | SystemFlag.DRAFT | SystemFlag.SEEN;
const INTERNAL_MASK = Object.values(InternalFlag).reduce((a, b) => (a | b) >>> 0, 0);
const CACHE_VERSION = 11;

/** Decoded inputs, shared by needsParse and makePlan. */
export interface Decoded {
  raw: RawMailbox;
  index?: SalvagedIndex;
  indexError?: string;
  mh?: MailboxHeader;
  mhError?: string;
  cacheGeneration?: number;
}

export function decodeState(raw: RawMailbox, now: number): Decoded {
  const d: Decoded = { raw };
  if (raw.cache && raw.cache.length >= 4) d.cacheGeneration = decodeCacheHeader(raw.cache).generation;
  if (raw.header) {
    try {
      d.mh = decodeHeader(raw.header);
    } catch (e) {
      d.mhError = (e as Error).message;
    }
  } else d.mhError = raw.headerError ?? 'missing';
  if (!raw.index) d.indexError = 'cyrus.index is missing';
  else {
    try {
      d.index = salvageIndex(raw.index, { mboxlistUidvalidity: raw.mboxlist?.uidvalidity, cacheGeneration: d.cacheGeneration, now });
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      d.indexError = e.message;
    }
  }
  return d;
}

/** Message files plan.ts needs parsed (cache rebuilds, appends, recovered records). */
export function needsParse(d: Decoded, facts: FolderFacts): Set<number> {
  const out = new Set<number>();
  if (!d.index) return new Set(facts.files.keys()); // rebuilt from the files
  const cacheWhole = !cacheUsable(d);
  const good = new Map<number, IndexRecord>();
  for (const { r } of d.index.records) if (r.crcOk && r.uid > 0 && !good.has(r.uid)) good.set(r.uid, r);
  for (const uid of facts.files.keys()) {
    const r = good.get(uid);
    if (!r) out.add(uid); // unindexed, or claimed by a damaged record
    else if (!isUnlinked(r) && (cacheWhole || (d.raw.cache && verifyCacheRecord(d.raw.cache, r, '')))) out.add(uid);
    else if (r && (r.guid !== facts.files.get(uid)!.sha1 || Number(r.size) !== facts.files.get(uid)!.size)) out.add(uid);
  }
  return out;
}

function cacheUsable(d: Decoded): boolean {
  return d.cacheGeneration !== undefined && d.index !== undefined && d.cacheGeneration === d.index.header.generationNo;
}

interface Work {
  uid: number;
  r: IndexRecord;
  /** Bytes as read (undefined for records we create). */
  orig?: IndexRecord;
  /** Needs a new modseq (a change a replica must see). */
  bump: boolean;
  /** Needs a freshly parsed cache record. */
  cache?: ExpectedCacheRecord;
}

export function makePlan(decoded: Decoded, facts: FolderFacts, parsed: Map<number, ExpectedCacheRecord>, hints: BackupHints, o: RepairOptions): Plan {
  let d = decoded;
  const raw = d.raw;
  const actions: Action[] = [];
  const fileOpsLater: FileOp[] = [];
  const reappend: Array<{ uid: number; flagsFrom: IndexRecord }> = [];
  const removed: Plan['removedRecords'] = [];
  const act = (a: Omit<Action, 'severity'> & { severity?: Severity }) =>
    actions.push({ severity: a.outcome === 'lost' ? 'error' : a.outcome === 'left' ? 'error' : 'info', ...a });
  const base = {
    indexCrc: raw.index ? crc32(raw.index) >>> 0 : 0,
    indexSize: raw.index?.length ?? 0,
    headerCrc: raw.header ? crc32(raw.header) >>> 0 : 0,
    cacheSize: raw.cache?.length ?? 0,
  };
  const empty: HeaderSummary = { uidvalidity: 0, lastUid: 0, highestmodseq: 0n, exists: 0, numRecords: 0, syncCrc: 0 };
  const stop = (): Plan => ({ mailbox: raw.name, base, actions, removedRecords: removed, before: empty, after: empty, noop: true });

  let mhIn = d.mh;
  if (!mhIn && hints.header) {
    // cyrus.header lost or unreadable: the newest backup's copy, if it names this mailbox.
    try {
      const b = decodeHeader(hints.header.buf);
      const want = raw.mboxlist?.uniqueid;
      if (!want || b.uniqueid === want) {
        mhIn = b;
        act({ kind: 'restore-header', outcome: 'fixed', file: raw.files.header, message: `cyrus.header ${d.mhError === 'ENOENT' || d.mhError === 'missing' ? 'is missing' : `cannot be used (${d.mhError})`}: restored from backup ${hints.header.source} (same uniqueid; ACL and keyword names as of that backup)` });
      }
    } catch {
      // the backup's copy does not decode either
    }
  }
  if (!mhIn) {
    act({ kind: 'header-unreadable', outcome: 'left', message: `cyrus.header cannot be used (${d.mhError}) and no backup has it; not repaired: Cyrus would recreate the mailbox and lose every flag`, file: raw.files.header });
    return stop();
  }
  const fromBackup = new Set<number>();
  if (!d.index) {
    // cyrus.index lost or beyond salvage: start from the newest backup's index (flags, UIDs,
    // modseqs as of then), else from nothing; the files then decide what exists.
    let base: SalvagedIndex | undefined;
    if (hints.index) {
      try {
        base = salvageIndex(hints.index.buf, { mboxlistUidvalidity: raw.mboxlist?.uidvalidity, now: o.now });
      } catch {
        base = undefined;
      }
    }
    const why = raw.index === undefined ? 'cyrus.index is missing' : `cyrus.index is beyond salvage (${d.indexError})`;
    if (base) {
      const records = base.records.filter((x) => x.r.crcOk && x.r.uid > 0);
      for (const x of records) fromBackup.add(x.r.uid);
      const h = { ...base.header, numRecords: records.length };
      if (raw.mboxlist?.uidvalidity) h.uidvalidity = raw.mboxlist.uidvalidity;
      d = { ...d, index: { header: h, records, headerRepairs: [], truncated: false } };
      act({ kind: 'rebuild-index', outcome: 'fixed', file: raw.files.index, message: `${why}: rebuilt from backup ${hints.index!.source} (UIDs, flags, dates and modseqs as of that backup; changes made after it are not known) and the message files; UIDVALIDITY ${h.uidvalidity} kept` });
    } else {
      const h = blankHeader(17);
      h.uidvalidity = raw.mboxlist?.uidvalidity || o.now;
      h.generationNo = d.cacheGeneration ?? 0;
      h.highestmodseq = 1n;
      d = { ...d, index: { header: h, records: [], headerRepairs: [], truncated: false } };
      act({ kind: 'rebuild-index', outcome: 'lost', file: raw.files.index, message: `${why} and no backup has it: rebuilt from the message files, each under its own UID, UIDVALIDITY ${h.uidvalidity} ${raw.mboxlist?.uidvalidity ? 'kept from mailboxes.db' : 'NEW'}; flags are lost` });
    }
  }
  const idx = d.index!;
  const old = idx.header;
  const h: IndexHeader = { ...old, quirks: [] };
  const before = summary(old);
  if (idx.headerCorrected) {
    const c = idx.headerCorrected;
    act({ kind: 'salvage-header', outcome: 'fixed', field: `byte ${c.offset}`, from: String(c.from), to: String(c.to), message: `index header CRC wrong: one damaged byte (offset ${c.offset}, ${c.from} → ${c.to}) restored exactly, the CRC holds again` });
  }
  for (const r of idx.headerRepairs) {
    act({ kind: 'salvage-header', outcome: 'fixed', field: r.field, from: r.from, to: r.to, message: `index header ${r.field}: ${r.from} → ${r.to} (${r.why})` });
  }
  if (idx.truncated) {
    act({ kind: 'salvage-header', outcome: 'fixed', field: 'num_records', from: String(old.numRecords), to: String(idx.records.length), message: `cyrus.index ends after ${idx.records.length} of ${old.numRecords} records: the rest are rebuilt from their files` });
  }

  // ---- user flag names: a damaged name is recovered from a backup before any bit is cleared
  const mh: MailboxHeader = { ...mhIn, userFlags: [...mhIn.userFlags] };
  const names = mh.userFlags;
  const usedBits = new Set<number>();
  for (const { r } of idx.records) if (r.crcOk) for (const b of userFlagBits(r.userFlags)) usedBits.add(b);
  const slotOk = (n: number) => !!names[n] && isAtom(names[n]!);
  const nameFromBackup = (n: number) => {
    for (const b of hints.flagNames) {
      const name = b.names[n];
      if (name && isAtom(name) && !names.some((x, i) => i !== n && x === name)) return { name, source: b.source };
    }
    return undefined;
  };
  for (let n = 0; n < 128; n++) {
    const present = names[n] !== undefined && names[n] !== '';
    if (slotOk(n) || (!present && !usedBits.has(n))) continue;
    const rec = nameFromBackup(n);
    if (rec) {
      act({ kind: 'recover-flag-name', outcome: 'fixed', field: `flag ${n}`, from: present ? names[n] : '(none)', to: rec.name, message: `user flag ${n}: name ${present ? JSON.stringify(names[n]) + ' is invalid' : 'is missing'}; "${rec.name}" taken from backup ${rec.source}` });
      while (names.length <= n) names.push('');
      names[n] = rec.name;
    } else if (present) {
      act({ kind: 'clear-flag-name', outcome: 'lost', field: `flag ${n}`, from: names[n], message: `user flag ${n}: name ${JSON.stringify(names[n])} is not a valid keyword and no backup knows it; slot cleared (its bits are kept in the backup)` });
      names[n] = '';
    }
  }
  while (names.length && names[names.length - 1] === '') names.pop();
  const named = (n: number) => !!names[n];

  // ---- records: keep good ones (one per UID), recover damaged ones from their files
  let hm = h.highestmodseq ?? 1n;
  const work = new Map<number, Work>();
  const wiped: IndexRecord[] = [];
  const damaged: Array<{ recno: number; r: IndexRecord }> = [];
  for (const { recno, r: read, corrected } of idx.records) {
    let r = read;
    if (!r.crcOk && corrected) {
      // Restored byte for byte: the record Cyrus wrote, which the replica also has (no new modseq).
      r = corrected.value;
      act({ kind: 'recover-record', outcome: 'fixed', uid: r.uid, message: `record ${recno} CRC wrong: one damaged byte (offset ${corrected.at}, ${corrected.from} → ${corrected.to}) restored exactly; uid, flags and dates are the original ones` });
    }
    if (!r.crcOk) {
      damaged.push({ recno, r });
      continue;
    }
    if (r.uid === 0 && isUnlinked(r)) {
      wiped.push(r); // Cyrus's own wipe, waiting for its repack
      continue;
    }
    const prev = work.get(r.uid);
    if (r.uid === 0 || prev) {
      removed.push({ uid: r.uid, why: 'duplicate uid', record: r });
      act({ kind: 'drop-record', outcome: 'fixed', uid: r.uid, message: `record ${recno} repeats uid ${r.uid}: the first record of that uid is kept, this one is saved in the backup` });
      continue;
    }
    work.set(r.uid, { uid: r.uid, r: { ...r }, orig: r, bump: false });
  }
  const maxModseq = [...work.values()].reduce((m, w) => ((w.r.modseq ?? 0n) > m ? w.r.modseq! : m), 0n);
  if (maxModseq > hm) {
    act({ kind: 'raise-highestmodseq', outcome: 'fixed', from: String(hm), to: String(maxModseq), message: `highestmodseq ${hm} is below a record's modseq ${maxModseq}: raised` });
    hm = maxModseq;
  }
  const nextModseq = () => ++hm;

  const claimedFiles = new Set(work.keys());
  for (const { recno, r } of damaged) {
    const file = (uid: number) => facts.files.get(uid);
    let uid: number | undefined;
    let how = '';
    if (r.uid > 0 && !claimedFiles.has(r.uid) && file(r.uid)?.sha1 === r.guid) {
      uid = r.uid;
      how = 'its uid and GUID match its file';
    } else {
      const byGuid = [...facts.files.values()].find((f) => !claimedFiles.has(f.uid) && f.sha1 === r.guid);
      if (byGuid) {
        uid = byGuid.uid;
        how = `its GUID names file ${byGuid.uid}.`;
      } else if (r.uid > 0 && !claimedFiles.has(r.uid) && file(r.uid)) {
        uid = r.uid;
        how = `file ${r.uid}. has no other record (GUID taken from the file)`;
      }
    }
    const p = uid !== undefined ? parsed.get(uid) : undefined;
    if (uid === undefined || !p) {
      removed.push({ uid: r.uid, why: 'record CRC wrong, no file identifies it', record: r });
      act({ kind: 'drop-record', outcome: 'left', uid: r.uid, message: `record ${recno} (CRC wrong) matches no message file by uid or GUID: taken out of the index, saved in the backup` });
      continue;
    }
    claimedFiles.add(uid);
    const f = file(uid)!;
    const rec: IndexRecord = { ...r, uid, crcOk: true };
    const fixed: string[] = [];
    const setF = <K extends keyof IndexRecord>(k: K, v: IndexRecord[K]) => {
      if (rec[k] !== v) fixed.push(String(k));
      rec[k] = v;
    };
    if (r.uid !== uid) fixed.push('uid');
    setF('size', BigInt(p.record.size));
    setF('headerSize', p.record.headerSize);
    setF('guid', p.record.guid);
    setF('gmtime', p.record.gmtime);
    setF('sentdate', p.record.sentdate || midnight(rec.internaldate));
    if (rec.contentLines !== undefined) setF('contentLines', p.record.contentLines);
    // Cyrus sets a message file's mtime to its internaldate when appending it.
    if (!rec.internaldate || rec.internaldate !== f.mtime) setF('internaldate', f.mtime);
    setF('systemFlags', rec.systemFlags & SYSTEM_MASK);
    setF('internalFlags', (rec.internalFlags & INTERNAL_MASK) >>> 0);
    if (rec.savedate !== undefined && (!rec.savedate || rec.savedate > o.now + 86400)) setF('savedate', o.now);
    if (rec.createdmodseq !== undefined && (rec.createdmodseq === 0n || rec.createdmodseq > hm)) setF('createdmodseq', 0n); // set with the new modseq below
    act({ kind: 'recover-record', outcome: 'fixed', uid, message: `record ${recno} (CRC wrong) kept as uid ${uid} with its flags and dates: ${how}${fixed.length ? `; from the file: ${fixed.join(', ')}` : ''}` });
    work.set(uid, { uid, r: rec, orig: r, bump: true, cache: p });
  }

  // ---- each record against its file
  const live = (w: Work) => !isExpunged(w.r);
  for (const w of [...work.values()].sort((a, b) => a.uid - b.uid)) {
    const r = w.r;
    if (isUnlinked(r)) continue;
    const f = facts.files.get(w.uid);
    if (!f || f.size === 0) {
      if (facts.unreadable.has(w.uid)) {
        act({ kind: 'unreadable-file', outcome: 'left', uid: w.uid, message: `message file cannot be read (${facts.unreadable.get(w.uid)}): left as is` });
        continue;
      }
      if (!live(w)) {
        r.internalFlags = (r.internalFlags | InternalFlag.UNLINKED) >>> 0;
        w.bump = true;
        act({ kind: 'unlink-expunged', outcome: 'fixed', uid: w.uid, message: 'expunged message whose file is already gone: marked unlinked' });
      } else if (fromBackup.has(w.uid)) {
        // Known only to the backup: Cyrus deletes a file only after expunging it.
        r.internalFlags = (r.internalFlags | InternalFlag.EXPUNGED | InternalFlag.UNLINKED) >>> 0;
        w.bump = true;
        act({ kind: 'gone-since-backup', outcome: 'fixed', uid: w.uid, message: 'in the backup, but its file is gone (expunged after the backup was taken): recorded as expunged' });
      } else if (o.missing === 'expunge') {
        r.internalFlags = (r.internalFlags | InternalFlag.EXPUNGED | InternalFlag.UNLINKED) >>> 0;
        w.bump = true;
        removed.push({ uid: w.uid, why: 'message file missing', record: { ...r } });
        act({ kind: 'expunge-missing', outcome: 'lost', uid: w.uid, file: `${raw.files.dir}/${w.uid}.`, message: `message file is missing: expunged (as Cyrus does); its record (flags, dates, GUID ${r.guid}) is kept in the backup` });
      } else {
        act({ kind: 'keep-missing', outcome: 'left', uid: w.uid, file: `${raw.files.dir}/${w.uid}.`, message: 'message file is missing: record left in place (--missing=keep); restore the file (e.g. from the replica) and run again' });
      }
      continue;
    }
    const mismatch = (r.guid && r.guid !== '0'.repeat(40) && r.guid !== f.sha1) || Number(r.size) !== f.size;
    if (mismatch && !w.cache) {
      const what = Number(r.size) !== f.size ? `size ${f.size}, record says ${r.size}` : `SHA-1 ${f.sha1}, record says ${r.guid}`;
      if (!live(w)) {
        r.internalFlags = (r.internalFlags | InternalFlag.UNLINKED) >>> 0;
        w.bump = true;
        act({ kind: 'unlink-expunged', outcome: 'fixed', uid: w.uid, message: `expunged message whose file no longer matches (${what}): marked unlinked` });
        continue;
      }
      if (o.guidMismatch === 'keep') {
        act({ kind: 'guid-mismatch', outcome: 'left', uid: w.uid, file: f.path, message: `file content does not match its record (${what}): kept as is (--guid-mismatch=reappend|discard to act)` });
        continue;
      }
      r.internalFlags = (r.internalFlags | InternalFlag.EXPUNGED | InternalFlag.UNLINKED) >>> 0;
      w.bump = true;
      removed.push({ uid: w.uid, why: 'content changed', record: { ...r } });
      if (o.guidMismatch === 'discard') {
        fileOpsLater.push({ op: 'to-backup', from: f.path, name: `${w.uid}.` });
        act({ kind: 'guid-mismatch', outcome: 'fixed', uid: w.uid, file: f.path, message: `file content does not match its record (${what}): expunged, file moved into the backup (--guid-mismatch=discard)` });
      } else {
        reappend.push({ uid: w.uid, flagsFrom: { ...w.orig!, internalFlags: 0 } });
        act({ kind: 'guid-mismatch', outcome: 'fixed', uid: w.uid, file: f.path, message: `file content does not match its record (${what}): old record expunged, file re-appended under a new UID with the old flags (--guid-mismatch=reappend)` });
      }
      continue;
    }
    // cache record
    if (!w.cache) {
      const bad = !cacheUsable(d) || !raw.cache || verifyCacheRecord(raw.cache, r, '') !== undefined;
      if (bad) {
        const p = parsed.get(w.uid);
        if (p) {
          w.cache = p;
          if (cacheUsable(d)) act({ kind: 'rebuild-cache', outcome: 'fixed', uid: w.uid, message: 'cache record missing or damaged: rebuilt from the message file (record otherwise unchanged)' });
        } else act({ kind: 'unparseable-file', outcome: 'left', uid: w.uid, file: f.path, message: 'cache record damaged and the message file does not parse' });
      }
    }
  }
  if (!cacheUsable(d)) {
    const why = d.raw.cache === undefined ? `cyrus.cache is ${d.raw.cacheError === 'ENOENT' ? 'missing' : `unreadable (${d.raw.cacheError})`}` : `cyrus.cache generation ${d.cacheGeneration} ≠ the index's ${h.generationNo}`;
    act({ kind: 'new-cache-file', outcome: 'fixed', message: `${why}: a new cyrus.cache is written from the message files (records otherwise unchanged)`, file: raw.files.cache });
  }

  // ---- files with no record: above last_uid keep their UID, at or below get a new one
  let lastUid = Math.max(h.lastUid, ...[...work.keys()]);
  if (lastUid > h.lastUid) {
    act({ kind: 'raise-last-uid', outcome: 'fixed', from: String(h.lastUid), to: String(lastUid), message: `last_uid ${h.lastUid} is below a record's uid ${lastUid}: raised` });
  }
  const unindexed = [...facts.files.values()].filter((f) => !claimedFiles.has(f.uid) && !work.has(f.uid)).sort((a, b) => a.uid - b.uid);
  const above: typeof unindexed = [];
  const reuse: typeof unindexed = [];
  for (const f of unindexed) {
    if (f.size === 0) {
      fileOpsLater.push({ op: 'to-backup', from: f.path, name: `${f.uid}.` });
      act({ kind: 'empty-file', outcome: 'fixed', uid: f.uid, file: f.path, message: 'empty message file with no record: moved into the backup' });
    } else if (!parsed.get(f.uid)) {
      act({ kind: 'unparseable-file', outcome: 'left', uid: f.uid, file: f.path, message: 'message file with no record does not parse: left as is' });
    } else (f.uid > lastUid ? above : reuse).push(f);
  }
  for (const name of facts.odd) {
    const file = `${raw.files.dir}/${name}`;
    if (o.removeOdd) {
      fileOpsLater.push({ op: 'to-backup', from: file, name });
      act({ kind: 'odd-file', outcome: 'fixed', file, message: 'odd file (not a message, not Cyrus metadata): moved into the backup (--remove-odd)' });
    } else act({ kind: 'odd-file', outcome: 'left', severity: 'info', file, message: 'odd file (not a message, not Cyrus metadata): left in place (--remove-odd moves it into the backup)' });
  }
  const appended: Work[] = [];
  const addFile = (f: (typeof unindexed)[number], uid: number, from?: IndexRecord) => {
    const p = parsed.get(f.uid)!;
    const hint = from ? undefined : hints.byGuid.get(p.record.guid);
    const modseq = nextModseq();
    const internaldate = from?.internaldate || hint?.internaldate || f.mtime;
    let systemFlags = from?.systemFlags ?? hint?.systemFlags ?? 0;
    let userFlags = from ? [...from.userFlags] : [0, 0, 0, 0];
    if (hint) userFlags = keywordsToWords(hint.keywords, names);
    systemFlags &= SYSTEM_MASK;
    const r: IndexRecord = {
      uid, internaldate, sentdate: p.record.sentdate || midnight(internaldate), size: BigInt(p.record.size), headerSize: p.record.headerSize,
      gmtime: p.record.gmtime || internaldate, contentOffset: undefined, cacheOffset: 0, lastUpdated: o.now, systemFlags, internalFlags: 0,
      userFlags, contentLines: h.minorVersion < 15 ? p.record.contentLines : undefined, savedate: h.minorVersion >= 15 ? o.now : undefined,
      cacheVersion: CACHE_VERSION, messageUuid: undefined, guid: p.record.guid, modseq, cid: h.minorVersion >= 13 ? (from?.cid ?? 0n) : undefined,
      createdmodseq: h.minorVersion >= 16 ? modseq : undefined, basecid: undefined, cacheCrc: p.record.cacheCrc, recordCrc: undefined,
      recordCrcComputed: undefined, crcOk: true, nsec: undefined, spare: undefined, modseq32: undefined,
    };
    appended.push({ uid, r, bump: false, cache: p });
    return hint;
  };
  for (const f of above) {
    const hint = addFile(f, f.uid);
    lastUid = f.uid;
    act({ kind: 'append-file', outcome: 'fixed', uid: f.uid, file: f.path, message: `message file with no record, above last_uid: appended with its own UID${hint ? ` (flags and date from backup ${hint.source})` : ' (no flags known)'}` });
  }
  let tombstones = 0;
  for (const f of reuse) {
    const uid = ++lastUid;
    fileOpsLater.push({ op: 'rename', from: f.path, to: `${raw.files.dir}/${uid}.` });
    const hint = addFile(f, uid);
    // The old UID is recorded as expunged (same GUID, a new modseq): a replica that still has
    // it expunges its copy instead of copying it back as a duplicate (sync_support.c treats a
    // replica-only record above deletedmodseq as one to copy back).
    const copy = appended[appended.length - 1]!;
    const tomb: IndexRecord = { ...copy.r, uid: f.uid, systemFlags: 0, userFlags: [0, 0, 0, 0], internalFlags: (InternalFlag.EXPUNGED | InternalFlag.UNLINKED) >>> 0, cacheOffset: 0, cacheCrc: 0, modseq: nextModseq() };
    if (tomb.createdmodseq !== undefined) tomb.createdmodseq = tomb.modseq;
    appended.push({ uid: f.uid, r: tomb, bump: false });
    tombstones++;
    act({ kind: 'renumber-file', outcome: 'fixed', uid: f.uid, newUid: uid, file: f.path, modseq: tomb.modseq, message: `message file with no record at or below last_uid: renamed to ${uid}. and appended (a UID is never reused); uid ${f.uid} recorded as expunged so replicas drop their copy${hint ? `; flags and date from backup ${hint.source}` : ''}` });
  }
  for (const { uid: oldUid, flagsFrom } of reappend) {
    const f = facts.files.get(oldUid)!;
    const uid = ++lastUid;
    fileOpsLater.push({ op: 'rename', from: f.path, to: `${raw.files.dir}/${uid}.` });
    addFile(f, uid, flagsFrom);
    const a = actions.find((x) => x.kind === 'guid-mismatch' && x.uid === oldUid);
    if (a) a.newUid = uid;
  }

  // ---- user flag bits that still have no name: cleared (with a new modseq), never silently
  for (const w of work.values()) {
    const lostBits = userFlagBits(w.r.userFlags).filter((n) => !named(n));
    if (!lostBits.length) continue;
    w.r.userFlags = keywordsToWords(userFlagBits(w.r.userFlags).filter(named).map((n) => names[n]!), names);
    w.bump = true;
    act({ kind: 'clear-unnamed-flags', outcome: 'lost', uid: w.uid, from: lostBits.join(','), message: `user flag bit${lostBits.length > 1 ? 's' : ''} ${lostBits.join(', ')} set with no name known anywhere: cleared (the record with them is in the backup)` });
  }

  // ---- new modseqs for changed records, in UID order
  const firstExp = { v: h.firstExpunged ?? 0 };
  let unlinkedNow = tombstones > 0;
  if (tombstones && (!firstExp.v || firstExp.v > o.now)) firstExp.v = o.now;
  for (const w of [...work.values()].sort((a, b) => a.uid - b.uid)) {
    if (!w.bump) continue;
    w.r.modseq = nextModseq();
    w.r.lastUpdated = o.now;
    if (w.r.createdmodseq === 0n) w.r.createdmodseq = w.r.modseq;
    if (isExpunged(w.r) && !(w.orig && isExpunged(w.orig) && w.orig.crcOk)) {
      if (!firstExp.v || firstExp.v > o.now) firstExp.v = o.now;
    }
    if (isUnlinked(w.r) && !(w.orig && isUnlinked(w.orig))) unlinkedNow = true;
    for (const a of actions) if (a.uid === w.uid && a.modseq === undefined && a.kind !== 'renumber-file') a.modseq = w.r.modseq;
  }
  for (const w of appended) for (const a of actions) if ((a.newUid ?? a.uid) === w.uid && a.modseq === undefined && !isExpunged(w.r)) a.modseq = w.r.modseq;

  // ---- cache bytes
  const all = [...work.values(), ...appended].sort((a, b) => a.uid - b.uid);
  const target: Target = { fileOps: fileOpsLater, index: Buffer.alloc(0) };
  if (cacheUsable(d)) {
    const parts: Buffer[] = [];
    let off = raw.cache!.length;
    for (const w of all) {
      if (!w.cache) continue;
      setCache(w.r, off, w.cache);
      parts.push(w.cache.cacheRecord);
      off += w.cache.cacheRecord.length;
    }
    if (parts.length) {
      target.cacheAppend = Buffer.concat(parts);
      target.cacheBase = raw.cache!.length;
    }
  } else {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(h.generationNo >>> 0);
    const parts: Buffer[] = [head];
    let off = 4;
    for (const w of all) {
      const p = w.cache ?? (isUnlinked(w.r) ? undefined : parsed.get(w.uid));
      if (!p) {
        w.r.cacheOffset = 0;
        continue;
      }
      setCache(w.r, off, p);
      parts.push(p.cacheRecord);
      off += p.cacheRecord.length;
    }
    target.cacheNew = Buffer.concat(parts);
  }

  // ---- cyrus.header and the index header
  while (names.length && names[names.length - 1] === '') names.pop();
  const headerChanged = !d.mh || JSON.stringify(names) !== JSON.stringify(d.mh.userFlags);
  const headerBytes = headerChanged ? encodeHeader(mh) : raw.header!;
  if (headerChanged) target.header = headerBytes;
  const records = all.map((w) => w.r);
  const liveRecs = records.filter((r) => !isExpunged(r));
  const appendedAny = appended.length > 0;
  const n: IndexHeader = {
    ...h,
    numRecords: records.length + wiped.length,
    lastUid,
    highestmodseq: hm,
    exists: liveRecs.length,
    answered: liveRecs.filter((r) => r.systemFlags & SystemFlag.ANSWERED).length,
    flagged: liveRecs.filter((r) => r.systemFlags & SystemFlag.FLAGGED).length,
    deleted: liveRecs.filter((r) => r.systemFlags & SystemFlag.DELETED).length,
    quotaMailboxUsed: liveRecs.reduce((s, r) => s + r.size, 0n),
    headerFileCrc: headerFileCrc(headerBytes),
    syncCrcBasic: syncCrcBasic(liveRecs, names),
    lastAppenddate: appendedAny ? o.now : h.lastAppenddate,
    firstExpunged: firstExp.v,
    options: unlinkedNow ? (h.options | IndexOption.MAILBOX_NEEDS_UNLINK) >>> 0 : h.options,
  };
  if (h.minorVersion >= 14) n.unseen = liveRecs.filter((r) => !(r.systemFlags & SystemFlag.SEEN)).length;
  if (h.minorVersion >= 13) {
    const anns = annotationsOf(raw);
    if (anns) n.syncCrcAnnot = syncCrcAnnot(liveRecs, anns, h.minorVersion);
  }
  for (const f of ['exists', 'answered', 'flagged', 'deleted', 'unseen', 'quotaMailboxUsed', 'headerFileCrc', 'syncCrcBasic', 'syncCrcAnnot'] as const) {
    if (n[f] !== undefined && String(n[f]) !== String(h[f])) {
      act({ kind: 'recompute-header', outcome: 'fixed', field: f, from: String(h[f]), to: String(n[f]), message: `index header ${f}: ${h[f]} → ${n[f]}` });
    }
  }
  target.index = encodeIndex({ header: n, records: [...records, ...wiped] }, { recomputeCrc: true });
  // Quiet cache-only or counter-only changes still count; identical bytes mean nothing to do.
  const noop = raw.index !== undefined && target.index.equals(raw.index) && !target.header && !target.cacheAppend && !target.cacheNew && !target.fileOps.length;
  const plan: Plan = { mailbox: raw.name, base, actions, removedRecords: removed, before, after: summary(n), noop };
  if (!noop) plan.target = target;
  return plan;
}

function setCache(r: IndexRecord, offset: number, p: ExpectedCacheRecord): void {
  r.cacheOffset = offset;
  r.cacheCrc = p.record.cacheCrc;
  r.cacheVersion = p.record.cacheVersion;
}

/** Local midnight of a time, as Cyrus's sentdate fallback (UTC here; the plan says what it did). */
const midnight = (t: number) => t - (t % 86400);

function keywordsToWords(keywords: readonly string[], names: string[]): number[] {
  const bits: number[] = [];
  for (const k of keywords) {
    let n = names.findIndex((x) => x.toLowerCase() === k.toLowerCase());
    if (n < 0) {
      n = names.findIndex((x) => x === '');
      if (n < 0) n = names.length;
      if (n >= 128) continue;
      while (names.length <= n) names.push('');
      names[n] = k;
    }
    bits.push(n);
  }
  return userFlagWords(bits);
}

function annotationsOf(raw: RawMailbox) {
  if (!raw.annotations) return [];
  try {
    return messageAnnotations(readDb(raw.annotations, undefined, { expect: 'twoskip' }).records, raw.name);
  } catch {
    return undefined;
  }
}

function summary(h: IndexHeader): HeaderSummary {
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
