// The records: good ones kept as they are (one per UID); a record whose CRC fails restored
// byte for byte when one byte explains it, else recovered under the UID its file proves, with
// its flags and dates and the file-derived fields re-read (not Cyrus's wipe-and-re-append);
// then each record against its message file (missing, changed, cache record).
import { verifyCacheRecord } from '../../check/verify-mailbox.js';
import { InternalFlag, isExpunged, isUnlinked, type IndexRecord } from '../../format/index/index.js';
import { INTERNAL_MASK, midnight, SYSTEM_MASK, type Planner, type Work } from './planner.js';
import { annotationsOf } from './target.js';
import { replicaCopy } from './types.js';

export function collectRecords(p: Planner): void {
  let prevUid = 0;
  const outOfOrder: number[] = [];
  const repeats: Array<{ recno: number; r: IndexRecord }> = [];
  const recnoOf = new Map<number, number>();
  for (const { recno, r: read, corrected } of p.index.records) {
    let r = read;
    if (!r.crcOk && corrected) {
      // Restored byte for byte: the record Cyrus wrote, which the replica also has (no new modseq).
      r = corrected.value;
      p.act({ kind: 'recover-record', outcome: 'fixed', uid: r.uid, message: `record ${recno} CRC wrong: one damaged byte (offset ${corrected.at}, ${corrected.from} → ${corrected.to}) restored exactly; uid, flags and dates are the original ones` });
    }
    if (!r.crcOk) {
      p.damaged.push({ recno, r });
      continue;
    }
    if (r.uid === 0 && isUnlinked(r)) {
      p.wiped.push(r); // Cyrus's own wipe, waiting for its repack
      continue;
    }
    if (r.uid === 0 || p.work.has(r.uid)) {
      repeats.push({ recno, r });
      continue;
    }
    // A record below an earlier one is kept (UIDs and modseqs untouched) and the index written
    // in UID order: Cyrus would wipe it and re-append its file under a new UID, flags lost.
    if (r.uid < prevUid) outOfOrder.push(r.uid);
    prevUid = Math.max(prevUid, r.uid);
    p.work.set(r.uid, { uid: r.uid, r: { ...r }, orig: r, bump: false });
    recnoOf.set(r.uid, recno);
  }
  if (outOfOrder.length) {
    p.act({ kind: 'reorder-records', outcome: 'fixed', from: outOfOrder.join(','), message: `record${outOfOrder.length > 1 ? 's' : ''} of uid ${outOfOrder.join(', ')} out of UID order: the index is written sorted by UID; every record keeps its UID, flags and modseq` });
  }
  resolveRepeats(p, repeats, recnoOf);
  // highestmodseq is at least every modseq once handed out: the records', the header's
  // deletedmodseq, the per-message annotations' (and the replica's: start.ts).
  const annotations = annotationsOf(p.raw) ?? [];
  const maxModseq = [...[...p.work.values(), ...p.damaged].filter((w) => w.r.crcOk).map((w) => w.r.modseq ?? 0n), ...annotations.map((a) => a.modseq)]
    .reduce((m, x) => (x > m ? x : m), p.h.deletedmodseq ?? 0n);
  if (maxModseq > p.hm) {
    p.act({ kind: 'raise-highestmodseq', outcome: 'fixed', from: String(p.hm), to: String(maxModseq), message: `highestmodseq ${p.hm} is below a modseq already handed out (${maxModseq}): raised; no record changes` });
    p.hm = maxModseq;
  }
  for (const uid of p.work.keys()) p.claimed.add(uid);
}

/**
 * Records that repeat a UID (or carry uid 0): of the records of one UID, the one whose GUID is
 * that file's content stays; a record whose GUID names another message file nothing else
 * claims is recovered under that file's UID (its uid field was damaged), the rest are dropped
 * into the backup. Cyrus wipes every later record and re-appends its file under a new UID.
 */
function resolveRepeats(p: Planner, repeats: Array<{ recno: number; r: IndexRecord }>, recnoOf: Map<number, number>): void {
  const files = p.facts.files;
  for (const { recno, r } of repeats) {
    const kept = p.work.get(r.uid);
    if (kept && files.get(r.uid)?.sha1 === r.guid && files.get(r.uid)?.sha1 !== kept.r.guid) {
      // The later record is the one its file proves: it stays, the earlier one is re-examined.
      p.work.set(r.uid, { uid: r.uid, r: { ...r }, orig: r, bump: false });
      p.damaged.push({ recno: recnoOf.get(r.uid)!, r: kept.r });
      recnoOf.set(r.uid, recno);
      continue;
    }
    p.damaged.push({ recno, r });
  }
}

/** Records whose CRC fails (and no single byte explains): the file decides the UID. */
export function recoverDamaged(p: Planner): void {
  const { facts, o } = p;
  for (const { recno, r } of p.damaged) {
    const file = (uid: number) => facts.files.get(uid);
    let uid: number | undefined;
    let how = '';
    if (r.uid > 0 && !p.claimed.has(r.uid) && file(r.uid)?.sha1 === r.guid) {
      uid = r.uid;
      how = 'its uid and GUID match its file';
    } else {
      const byGuid = [...facts.files.values()].find((f) => !p.claimed.has(f.uid) && f.sha1 === r.guid);
      if (byGuid) {
        uid = byGuid.uid;
        how = `its GUID names file ${byGuid.uid}.`;
      } else if (r.uid > 0 && !p.claimed.has(r.uid) && file(r.uid)) {
        uid = r.uid;
        how = `file ${r.uid}. has no other record (GUID taken from the file)`;
      }
    }
    if (r.crcOk) {
      // A record that repeats a UID: intact but for its uid field.
      if (uid === undefined) {
        p.removed.push({ uid: r.uid, why: 'duplicate uid', record: r });
        p.act({ kind: 'drop-record', outcome: 'fixed', uid: r.uid, message: `record ${recno} repeats uid ${r.uid} and its GUID names no other message file: the record of that uid whose file matches is kept, this one is saved in the backup` });
        continue;
      }
      p.claimed.add(uid);
      p.work.set(uid, { uid, r: { ...r, uid }, orig: r, bump: true });
      p.act({ kind: 'recover-record', outcome: 'fixed', uid, message: `record ${recno} repeats uid ${r.uid}, but ${how} (no other record has it): kept as uid ${uid} with its flags and dates, a new modseq` });
      continue;
    }
    const parsed = uid !== undefined ? p.parsed.get(uid) : undefined;
    if (uid === undefined || !parsed) {
      p.removed.push({ uid: r.uid, why: 'record CRC wrong, no file identifies it', record: r });
      p.act({ kind: 'drop-record', outcome: 'left', uid: r.uid, message: `record ${recno} (CRC wrong) matches no message file by uid or GUID: taken out of the index, saved in the backup` });
      continue;
    }
    p.claimed.add(uid);
    const f = file(uid)!;
    const rec: IndexRecord = { ...r, uid, crcOk: true };
    const fixed: string[] = r.uid !== uid ? ['uid'] : [];
    const set = <K extends keyof IndexRecord>(k: K, v: IndexRecord[K]) => {
      if (rec[k] !== v) fixed.push(String(k));
      rec[k] = v;
    };
    set('size', BigInt(parsed.record.size));
    set('headerSize', parsed.record.headerSize);
    set('guid', parsed.record.guid);
    set('gmtime', parsed.record.gmtime);
    set('sentdate', parsed.record.sentdate || midnight(rec.internaldate));
    if (rec.contentLines !== undefined) set('contentLines', parsed.record.contentLines);
    // Cyrus sets a message file's mtime to its internaldate when appending it.
    if (!rec.internaldate || rec.internaldate !== f.mtime) set('internaldate', f.mtime);
    set('systemFlags', rec.systemFlags & SYSTEM_MASK);
    set('internalFlags', (rec.internalFlags & INTERNAL_MASK) >>> 0);
    if (rec.savedate !== undefined && (!rec.savedate || rec.savedate > o.now + 86400)) set('savedate', o.now);
    // createdmodseq 0 is given the record's new modseq when modseqs are assigned.
    if (rec.createdmodseq !== undefined && (rec.createdmodseq === 0n || rec.createdmodseq > p.hm)) set('createdmodseq', 0n);
    p.act({ kind: 'recover-record', outcome: 'fixed', uid, message: `record ${recno} (CRC wrong) kept as uid ${uid} with its flags and dates: ${how}${fixed.length ? `; from the file: ${fixed.join(', ')}` : ''}` });
    p.work.set(uid, { uid, r: rec, orig: r, bump: true, cache: parsed });
  }
}

const ZERO_GUID = '0'.repeat(40);

const expunge = (w: Work, also = 0) => {
  w.r.internalFlags = (w.r.internalFlags | also | InternalFlag.UNLINKED) >>> 0;
  w.bump = true;
};

/** Each record against its message file: missing, changed content, damaged cache record. */
export function checkRecordFiles(p: Planner): void {
  const { facts, o, raw } = p;
  for (const w of [...p.work.values()].sort((a, b) => a.uid - b.uid)) {
    const r = w.r;
    if (isUnlinked(r)) continue;
    const f = facts.files.get(w.uid);
    const live = !isExpunged(r);
    if (!f || f.size === 0) {
      const file = `${raw.files.dir}/${w.uid}.`;
      const copy = replicaCopy(p.hints, w.uid, r.guid);
      if (facts.unreadable.has(w.uid)) {
        p.act({ kind: 'unreadable-file', outcome: 'left', uid: w.uid, message: `message file cannot be read (${facts.unreadable.get(w.uid)}): left as is` });
      } else if (copy && live) {
        p.fileOps.push({ op: 'from-replica', uid: w.uid, guid: copy.guid, to: file });
        p.act({ kind: 'restore-from-replica', outcome: 'fixed', uid: w.uid, file, message: `message file is missing: fetched from the replica (${p.hints.replica!.source}), its SHA-1 checked against the GUID; record unchanged` });
      } else if (!live) {
        expunge(w);
        p.act({ kind: 'unlink-expunged', outcome: 'fixed', uid: w.uid, message: 'expunged message whose file is already gone: marked unlinked' });
      } else if (p.fromBackup.has(w.uid)) {
        // Known only to the backup: Cyrus deletes a file only after expunging it.
        expunge(w, InternalFlag.EXPUNGED);
        p.act({ kind: 'gone-since-backup', outcome: 'fixed', uid: w.uid, message: 'in the backup, but its file is gone (expunged after the backup was taken): recorded as expunged' });
      } else if (o.missing === 'expunge') {
        expunge(w, InternalFlag.EXPUNGED);
        p.removed.push({ uid: w.uid, why: 'message file missing', record: { ...r } });
        p.act({ kind: 'expunge-missing', outcome: 'lost', uid: w.uid, file, message: `message file is missing: expunged (as Cyrus does); its record (flags, dates, GUID ${r.guid}) is kept in the backup` });
      } else {
        p.act({ kind: 'keep-missing', outcome: 'left', uid: w.uid, file, message: 'message file is missing: record left in place (--missing=keep); restore the file (--from-replica, or by hand) and run again' });
      }
      continue;
    }
    if ((!r.guid || r.guid === ZERO_GUID) && Number(r.size) === f.size) {
      // Cyrus's GUID is the SHA-1 of the message file; the replica holds the real one (a zero
      // GUID would meet it as a different message under the same UID).
      r.guid = f.sha1;
      w.bump = true;
      p.act({ kind: 'set-guid', outcome: 'fixed', uid: w.uid, file: f.path, to: f.sha1, message: `record has no GUID: set to the SHA-1 of its file (${f.sha1}; the size matches the record), with a new modseq` });
    }
    const mismatch = (r.guid && r.guid !== ZERO_GUID && r.guid !== f.sha1) || Number(r.size) !== f.size;
    if (mismatch && !w.cache) {
      const what = Number(r.size) !== f.size ? `size ${f.size}, record says ${r.size}` : `SHA-1 ${f.sha1}, record says ${r.guid}`;
      if (!live) {
        expunge(w);
        p.act({ kind: 'unlink-expunged', outcome: 'fixed', uid: w.uid, message: `expunged message whose file no longer matches (${what}): marked unlinked` });
      } else if (replicaCopy(p.hints, w.uid, r.guid)) {
        p.fileOps.push({ op: 'to-backup', from: f.path, name: `${w.uid}.` });
        p.fileOps.push({ op: 'from-replica', uid: w.uid, guid: r.guid!, to: f.path });
        p.act({ kind: 'restore-from-replica', outcome: 'fixed', uid: w.uid, file: f.path, message: `file content does not match its record (${what}): the damaged file moved into the backup, the replica's copy (SHA-1 checked against the GUID) put in its place; record unchanged` });
      } else if (o.guidMismatch === 'keep') {
        p.act({ kind: 'guid-mismatch', outcome: 'left', uid: w.uid, file: f.path, message: `file content does not match its record (${what}): kept as is (--guid-mismatch=reappend|discard to act)` });
      } else {
        expunge(w, InternalFlag.EXPUNGED);
        p.removed.push({ uid: w.uid, why: 'content changed', record: { ...r } });
        if (o.guidMismatch === 'discard') {
          p.fileOps.push({ op: 'to-backup', from: f.path, name: `${w.uid}.` });
          p.act({ kind: 'guid-mismatch', outcome: 'fixed', uid: w.uid, file: f.path, message: `file content does not match its record (${what}): expunged, file moved into the backup (--guid-mismatch=discard)` });
        } else {
          p.reappend.push({ uid: w.uid, flagsFrom: { ...w.orig!, internalFlags: 0 } });
          p.act({ kind: 'guid-mismatch', outcome: 'fixed', uid: w.uid, file: f.path, message: `file content does not match its record (${what}): old record expunged, file re-appended under a new UID with the old flags (--guid-mismatch=reappend)` });
        }
      }
      continue;
    }
    if (w.cache) continue;
    const bad = !p.cacheUsable || !raw.cache || verifyCacheRecord(raw.cache, r, '') !== undefined;
    if (!bad) continue;
    const parsed = p.parsed.get(w.uid);
    if (!parsed) {
      p.act({ kind: 'unparseable-file', outcome: 'left', uid: w.uid, file: f.path, message: 'cache record damaged and the message file does not parse' });
      continue;
    }
    w.cache = parsed;
    if (p.cacheUsable) p.act({ kind: 'rebuild-cache', outcome: 'fixed', uid: w.uid, message: 'cache record missing or damaged: rebuilt from the message file (record otherwise unchanged)' });
  }
  if (!p.cacheUsable) {
    const d = p.d;
    const why = raw.cache === undefined ? `cyrus.cache is ${raw.cacheError === 'ENOENT' ? 'missing' : `unreadable (${raw.cacheError})`}` : `cyrus.cache generation ${d.cacheGeneration} ≠ the index's ${p.h.generationNo}`;
    p.act({ kind: 'new-cache-file', outcome: 'fixed', file: raw.files.cache, message: `${why}: a new cyrus.cache is written from the message files (records otherwise unchanged)` });
  }
}
