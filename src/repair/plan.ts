// The repair decisions, as a pure function: a mailbox's decoded state, facts about its message
// files (and parses of those that need one), hints from earlier backups and the options in; a
// typed Plan out. The plan holds both what is printed (actions, each fixed / left / lost) and
// the exact bytes apply.ts writes (target), so `--dry-run` and apply cannot disagree.
//
// Replication rules (spec cyrus-reconstruct.md §9.5): last_uid, highestmodseq, UIDVALIDITY never
// go down; a UID is never reused; every record that is changed, added or expunged gets its own
// modseq above the old highestmodseq (cache-only rewrites change nothing a replica sees and keep
// theirs); counters, SYNC_CRCs, header CRC and header_file_crc are recomputed.
//
// The steps, in order (src/repair/plan/): start (header, index as read / salvaged / rebuilt),
// flags (keyword names), records (kept, restored, recovered; each against its file), files
// (unindexed, renumbered, re-appended, odd), target (modseqs, cache, header, index bytes).
import { verifyCacheRecord } from '../check/verify-mailbox.js';
import { FormatError } from '../errors.js';
import { decodeCacheHeader } from '../format/cache.js';
import { decodeHeader } from '../format/header.js';
import { isUnlinked, type IndexRecord } from '../format/index/index.js';
import type { ExpectedCacheRecord } from '../message/record.js';
import { unindexedFiles } from './plan/files.js';
import { clearUnnamedBits, recoverFlagNames } from './plan/flags.js';
import { cacheUsable, Planner, type Decoded } from './plan/planner.js';
import { checkRecordFiles, collectRecords, recoverDamaged } from './plan/records.js';
import { start } from './plan/start.js';
import { baseOf, buildTarget } from './plan/target.js';
import type { BackupHints, HeaderSummary, Plan, RepairOptions } from './plan/types.js';
import { salvageIndex } from './salvage.js';
import type { FolderFacts, RawMailbox } from './state.js';

export * from './plan/types.js';
export type { Decoded } from './plan/planner.js';

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

/** Message files the plan needs parsed (cache rebuilds, appends, recovered or changed records). */
export function needsParse(d: Decoded, facts: FolderFacts): Set<number> {
  if (!d.index) return new Set(facts.files.keys()); // rebuilt from the files
  const out = new Set<number>();
  const whole = !cacheUsable(d);
  const good = new Map<number, IndexRecord>();
  for (const { r } of d.index.records) if (r.crcOk && r.uid > 0 && !good.has(r.uid)) good.set(r.uid, r);
  for (const [uid, f] of facts.files) {
    const r = good.get(uid);
    if (!r) out.add(uid); // unindexed, or claimed by a damaged record
    else if (!isUnlinked(r) && (whole || (d.raw.cache && verifyCacheRecord(d.raw.cache, r, '')))) out.add(uid);
    else if (r.guid !== f.sha1 || Number(r.size) !== f.size) out.add(uid);
  }
  return out;
}

const EMPTY: HeaderSummary = { uidvalidity: 0, lastUid: 0, highestmodseq: 0n, exists: 0, numRecords: 0, syncCrc: 0 };

export function makePlan(d: Decoded, facts: FolderFacts, parsed: Map<number, ExpectedCacheRecord>, hints: BackupHints, o: RepairOptions): Plan {
  const p = new Planner(d, facts, parsed, hints, o);
  if (!start(p)) {
    return { mailbox: d.raw.name, base: baseOf(d.raw), actions: p.actions, removedRecords: p.removed, before: EMPTY, after: EMPTY, noop: true };
  }
  recoverFlagNames(p);
  collectRecords(p);
  recoverDamaged(p);
  checkRecordFiles(p);
  unindexedFiles(p);
  clearUnnamedBits(p);
  return buildTarget(p);
}
