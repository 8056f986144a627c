// What a plan starts from: cyrus.header (or the newest backup's copy), cyrus.index as read or
// salvaged (or rebuilt from the newest backup's index, or from nothing when no backup has it).
// Returns false when there is nothing safe to start from (the plan then only reports).
import { decodeHeader } from '../../format/header.js';
import { blankHeader, salvageIndex, type SalvagedIndex } from '../salvage.js';
import { verifyCacheRecord } from '../../check/verify-mailbox.js';
import { isUnlinked } from '../../format/index/index.js';
import { summary, type Planner } from './planner.js';

export function start(p: Planner): boolean {
  const { d, raw, hints } = p;
  let mh = d.mh;
  if (!mh && hints.header) {
    // cyrus.header lost or unreadable: the newest backup's copy, if it names this mailbox.
    try {
      const b = decodeHeader(hints.header.buf);
      const want = raw.mboxlist?.uniqueid;
      if (!want || b.uniqueid === want) {
        mh = b;
        const how = d.mhError === 'ENOENT' || d.mhError === 'missing' ? 'is missing' : `cannot be used (${d.mhError})`;
        p.act({ kind: 'restore-header', outcome: 'fixed', file: raw.files.header, message: `cyrus.header ${how}: restored from backup ${hints.header.source} (same uniqueid; ACL and keyword names as of that backup)` });
      }
    } catch {
      // the backup's copy does not decode either
    }
  }
  if (!mh) {
    p.act({ kind: 'header-unreadable', outcome: 'left', file: raw.files.header, message: `cyrus.header cannot be used (${d.mhError}) and no backup has it; not repaired: Cyrus would recreate the mailbox and lose every flag` });
    return false;
  }
  p.mh = { ...mh, userFlags: [...mh.userFlags] };
  p.names = p.mh.userFlags;
  const want = raw.mboxlist?.uniqueid;
  const rvId = hints.replica?.uniqueid;
  if (want && p.mh.uniqueid !== want && rvId && rvId !== want) {
    // The replica knows the mailbox under another uniqueid than mailboxes.db: which identity
    // is right is for a human (cyrus.header keeps its evidence).
    p.act({ kind: 'fix-uniqueid', outcome: 'left', field: 'uniqueid', from: p.mh.uniqueid ?? '(none)', to: want, file: raw.files.header, message: `cyrus.header names uniqueid ${p.mh.uniqueid ?? '(none)'}, mailboxes.db ${want}, the replica ${rvId}: left as is (mailboxes.db and the replica disagree)` });
  } else if (want && p.mh.uniqueid !== want) {
    // Cyrus 3.6 takes a mailbox's uniqueid from mailboxes.db whenever it has one
    // (mailbox_uniqueid): that is what sync_client sent the replica and what names the folder.
    // The header is brought in line; the replica's idea of the mailbox does not change.
    p.act({ kind: 'fix-uniqueid', outcome: 'fixed', field: 'uniqueid', from: p.mh.uniqueid ?? '(none)', to: want, file: raw.files.header, message: `cyrus.header names uniqueid ${p.mh.uniqueid ?? '(none)'}, mailboxes.db ${want}: cyrus.header rewritten with mailboxes.db's (the uniqueid Cyrus and its replicas use)` });
    p.mh.uniqueid = want;
  }

  if (!d.index) rebuildIndex(p);
  const idx = p.d.index!;
  p.index = idx;
  const old = idx.header;
  p.h = { ...old, quirks: [] };
  p.before = summary(old);
  p.hm = old.highestmodseq ?? 1n;
  if (idx.headerCorrected) {
    const c = idx.headerCorrected;
    p.act({ kind: 'salvage-header', outcome: 'fixed', field: `byte ${c.offset}`, from: String(c.from), to: String(c.to), message: `index header CRC wrong: one damaged byte (offset ${c.offset}, ${c.from} → ${c.to}) restored exactly, the CRC holds again` });
  }
  for (const r of idx.headerRepairs) {
    p.act({ kind: 'salvage-header', outcome: 'fixed', field: r.field, from: r.from, to: r.to, message: `index header ${r.field}: ${r.from} → ${r.to} (${r.why})` });
  }
  cacheGeneration(p);
  fromReplica(p);
  if (idx.truncated) {
    p.act({ kind: 'salvage-header', outcome: 'fixed', field: 'num_records', from: String(old.numRecords), to: String(idx.records.length), message: `cyrus.index ends after ${idx.records.length} of ${old.numRecords} records: the rest are rebuilt from their files` });
  }
  return true;
}

/**
 * cyrus.index lost or beyond salvage: the newest backup's index (flags, UIDs, modseqs as of
 * then), else nothing; the message files then decide what exists.
 */
function rebuildIndex(p: Planner): void {
  const { d, raw, hints, o } = p;
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
    for (const x of records) p.fromBackup.add(x.r.uid);
    const h = { ...base.header, numRecords: records.length };
    if (raw.mboxlist?.uidvalidity) h.uidvalidity = raw.mboxlist.uidvalidity;
    p.d = { ...d, index: { header: h, records, headerRepairs: [], truncated: false } };
    p.act({ kind: 'rebuild-index', outcome: 'fixed', file: raw.files.index, message: `${why}: rebuilt from backup ${hints.index!.source} (UIDs, flags, dates and modseqs as of that backup; changes made after it are not known) and the message files; UIDVALIDITY ${h.uidvalidity} kept` });
  } else {
    const h = blankHeader(17);
    const rv = hints.replica;
    h.uidvalidity = raw.mboxlist?.uidvalidity || rv?.uidvalidity || o.now;
    h.generationNo = d.cacheGeneration ?? 0;
    // The replica knows how far UIDs and modseqs went: never below that.
    h.highestmodseq = rv && rv.highestmodseq > 1n ? rv.highestmodseq : 1n;
    h.lastUid = rv?.lastUid ?? 0;
    p.d = { ...d, index: { header: h, records: [], headerRepairs: [], truncated: false } };
    const uv = `UIDVALIDITY ${h.uidvalidity} ${raw.mboxlist?.uidvalidity ? 'kept from mailboxes.db' : rv ? "taken from the replica" : 'NEW'}`;
    if (rv) {
      p.act({ kind: 'rebuild-index', outcome: 'fixed', file: raw.files.index, message: `${why} and no backup has it: rebuilt from the message files, each under its own UID, with flags and dates from the replica ${rv.source} (last_uid ${h.lastUid}, highestmodseq ${h.highestmodseq} as there); ${uv}` });
    } else {
      p.act({ kind: 'rebuild-index', outcome: 'lost', file: raw.files.index, message: `${why} and no backup has it: rebuilt from the message files, each under its own UID, ${uv}; flags are lost` });
    }
  }
}

/**
 * cyrus.cache's generation word differs from the index's, yet every cache record the index
 * points at is intact (offset frames, CRC holds): only the word is wrong. The cache is then
 * used as it is and target.ts rewrites the word; no record changes. Otherwise the whole file
 * is rebuilt from the message files (checkRecordFiles).
 */
function cacheGeneration(p: Planner): void {
  const { d, raw } = p;
  const gen = d.cacheGeneration;
  if (gen === undefined || !raw.cache || !d.index || gen === p.h.generationNo) return;
  const used = d.index.records.filter(({ r }) => r.crcOk && r.uid > 0 && !isUnlinked(r) && r.cacheOffset !== 0);
  if (used.some(({ r }) => verifyCacheRecord(raw.cache!, r, '') !== undefined)) return;
  p.d = { ...d, cacheGeneration: p.h.generationNo };
  p.act({ kind: 'new-cache-file', outcome: 'fixed', field: 'generation', from: String(gen), to: String(p.h.generationNo), file: raw.files.cache, message: `cyrus.cache generation ${gen} ≠ the index's ${p.h.generationNo}, but all ${used.length} cache records verify: only the generation word is rewritten (records unchanged)` });
}

/**
 * The replica (--from-replica, same UIDVALIDITY) has seen UIDs and modseqs up to its last_uid
 * and highestmodseq: below those, this index would hand them out again (a UID reused under
 * another message, split brain at the next sync). Raised; nothing else changes.
 */
function fromReplica(p: Planner): void {
  const rv = p.hints.replica;
  if (!rv) return;
  if (rv.lastUid > p.h.lastUid) {
    p.act({ kind: 'raise-last-uid', outcome: 'fixed', from: String(p.h.lastUid), to: String(rv.lastUid), message: `last_uid ${p.h.lastUid} is below the replica's ${rv.lastUid} (${rv.source}): raised, so no UID the replica has seen is handed out again` });
    p.h.lastUid = rv.lastUid;
  }
  if (rv.highestmodseq > p.hm) {
    p.act({ kind: 'raise-highestmodseq', outcome: 'fixed', from: String(p.hm), to: String(rv.highestmodseq), message: `highestmodseq ${p.hm} is below the replica's ${rv.highestmodseq} (${rv.source}): raised; no record changes` });
    p.hm = rv.highestmodseq;
  }
}
