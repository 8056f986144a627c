// Files no record accounts for: above last_uid they are appended under their own UID; at or
// below it they are renamed to a new UID (a UID is never reused) and the old UID is recorded as
// expunged; flags and dates come from an earlier backup's record with the same GUID when there
// is one. Also: files whose content changed re-appended (--guid-mismatch=reappend), odd files.
//
// A renumbered file's annotations (cyrus.annotations under its old UID) move with it. Cyrus 3.6's
// reconstruct re-appends such a file without them ("we don't copy annotations for these") and
// deletes every annotation whose UID has no record as stale (imap/mailbox.c mailbox_reconstruct,
// reconstruct_delannots, with "XXX: should we try to keep them if we found a file?"). But a UID is
// never reused and a message file is named by its UID, so what is stored under UID n was written
// for the message in file n. — moving it keeps the user's data. Leaving it under the old UID would
// not keep it either: that UID's record is now an UNLINKED tombstone, and Cyrus's unlink pass
// (mailbox_index_unlink → mailbox_record_cleanup → annotate_msg_cleanup) deletes it. The header's
// quota_annot_used and SYNC_CRC_ANNOT follow the annotations as written (quota-annot.ts, target).
import { createHash } from 'node:crypto';
import { readDb, type DbRecord } from '../../db/index.js';
import { encodeTwoskip } from '../../db/twoskip.js';
import { ANNOTATION_FLAG_DELETED, decodeAnnotation } from '../../format/annotations.js';
import { InternalFlag, SYSTEM_FLAG_NAMES, type IndexRecord } from '../../format/index/index.js';
import type { FileFact } from '../state.js';
import { keywordsToWords } from './flags.js';
import { CACHE_VERSION, midnight, SYSTEM_MASK, type Planner } from './planner.js';

export function oddFiles(p: Planner): void {
  for (const name of p.facts.odd) {
    const file = `${p.raw.files.dir}/${name}`;
    if (p.o.removeOdd) {
      p.fileOps.push({ op: 'to-backup', from: file, name });
      p.act({ kind: 'odd-file', outcome: 'fixed', file, message: 'odd file (not a message, not Cyrus metadata): moved into the backup (--remove-odd)' });
    } else {
      p.act({ kind: 'odd-file', outcome: 'left', severity: 'info', file, message: 'odd file (not a message, not Cyrus metadata): left in place (--remove-odd moves it into the backup)' });
    }
  }
}

/** A new record for a message file under `uid`; flags from `from`, else from a backup. */
function addFile(p: Planner, f: FileFact, uid: number, from?: IndexRecord) {
  const { h, o } = p;
  const parsed = p.parsed.get(f.uid)!;
  const hint = from ? undefined : (p.hints.byGuid.get(parsed.record.guid) ?? fromReplica(p, f.uid, parsed.record.guid));
  const modseq = p.nextModseq();
  const internaldate = from?.internaldate || hint?.internaldate || f.mtime;
  const systemFlags = (from?.systemFlags ?? hint?.systemFlags ?? 0) & SYSTEM_MASK;
  const userFlags = hint ? keywordsToWords(hint.keywords, p.names) : from ? [...from.userFlags] : [0, 0, 0, 0];
  const r: IndexRecord = {
    uid, internaldate, sentdate: parsed.record.sentdate || midnight(internaldate), size: BigInt(parsed.record.size),
    headerSize: parsed.record.headerSize, gmtime: parsed.record.gmtime || internaldate, contentOffset: undefined, cacheOffset: 0,
    lastUpdated: o.now, systemFlags, internalFlags: 0, userFlags,
    contentLines: h.minorVersion < 15 ? parsed.record.contentLines : undefined, savedate: h.minorVersion >= 15 ? o.now : undefined,
    cacheVersion: CACHE_VERSION, messageUuid: undefined, guid: parsed.record.guid, modseq,
    cid: h.minorVersion >= 13 ? (from?.cid ?? 0n) : undefined, createdmodseq: h.minorVersion >= 16 ? modseq : undefined,
    basecid: undefined, cacheCrc: parsed.record.cacheCrc, recordCrc: undefined, recordCrcComputed: undefined, crcOk: true,
    nsec: undefined, spare: undefined, modseq32: undefined,
  };
  p.appended.push({ uid, r, bump: false, cache: parsed });
  return { record: r, hint };
}

/** What the replica knows of this message (same GUID; its own UID first): flags and date. */
function fromReplica(p: Planner, uid: number, guid: string) {
  const v = p.hints.replica;
  if (!v) return undefined;
  const r = v.records.find((x) => x.uid === uid && x.guid === guid) ?? v.records.find((x) => x.guid === guid && !x.flags.includes('\\Expunged'));
  if (!r) return undefined;
  const bit = (n: string) => SYSTEM_FLAG_NAMES.find(([, name]) => name.toLowerCase() === n.toLowerCase())?.[0];
  const systemFlags = r.flags.reduce((acc, n) => acc | (bit(n) ?? 0), 0);
  const keywords = r.flags.filter((n) => !n.startsWith('\\'));
  return { source: `the replica ${v.source}`, uid: r.uid, internaldate: r.internaldate, systemFlags, keywords };
}

function sameOnReplica(p: Planner, f: FileFact): boolean {
  const r = p.hints.replica?.records.find((x) => x.uid === f.uid);
  return !!r && r.guid === f.sha1 && !r.flags.includes('\\Expunged');
}

export function unindexedFiles(p: Planner): void {
  const { h, facts, raw } = p;
  p.lastUid = Math.max(h.lastUid, ...p.work.keys());
  if (p.lastUid > h.lastUid) {
    p.act({ kind: 'raise-last-uid', outcome: 'fixed', from: String(h.lastUid), to: String(p.lastUid), message: `last_uid ${h.lastUid} is below a record's uid ${p.lastUid}: raised` });
  }
  const above: FileFact[] = [];
  const reuse: FileFact[] = [];
  /** At or below last_uid, but the replica has this very message (GUID) under this UID. */
  const known: FileFact[] = [];
  const unindexed = [...facts.files.values()].filter((f) => !p.claimed.has(f.uid) && !p.work.has(f.uid)).sort((a, b) => a.uid - b.uid);
  for (const f of unindexed) {
    if (f.size === 0) {
      p.fileOps.push({ op: 'to-backup', from: f.path, name: `${f.uid}.` });
      p.act({ kind: 'empty-file', outcome: 'fixed', uid: f.uid, file: f.path, message: 'empty message file with no record: moved into the backup' });
    } else if (!p.parsed.get(f.uid)) {
      p.act({ kind: 'unparseable-file', outcome: 'left', uid: f.uid, file: f.path, message: 'message file with no record does not parse: left as is' });
    } else if (f.uid > p.lastUid) above.push(f);
    else if (sameOnReplica(p, f)) known.push(f);
    else reuse.push(f);
  }
  oddFiles(p);
  const anns = reuse.length || above.length || known.length ? annotationRecords(p) : undefined;
  for (const f of above) {
    const { hint, record } = addFile(p, f, f.uid);
    // Annotations already under this UID stay with it (as reconstruct keeps them); a snoozed one
    // sets SNOOZED, as mailbox_reconstruct_append does.
    snoozeIfAnnotated(anns, f.uid, record);
    p.lastUid = f.uid;
    p.act({ kind: 'append-file', outcome: 'fixed', uid: f.uid, file: f.path, message: `message file with no record, above last_uid: appended with its own UID${hint ? ` (flags and date from backup ${hint.source})` : ' (no flags known)'}` });
  }
  for (const f of known) {
    const { hint, record } = addFile(p, f, f.uid);
    snoozeIfAnnotated(anns, f.uid, record);
    p.act({ kind: 'append-file', outcome: 'fixed', uid: f.uid, file: f.path, message: `message file with no record: the replica has this very message (same GUID) under the same UID, so it is re-added under it${hint ? ` with flags and date from ${hint.source}` : ''}` });
  }
  for (const f of reuse) {
    const uid = ++p.lastUid;
    p.fileOps.push({ op: 'rename', from: f.path, to: `${raw.files.dir}/${uid}.` });
    const { record, hint } = addFile(p, f, uid);
    // The old UID is recorded as expunged (same GUID, a new modseq): a replica that still has
    // it expunges its copy instead of copying it back as a duplicate (sync_support.c copies a
    // replica-only record above deletedmodseq back to the master).
    const modseq = p.nextModseq();
    const tomb: IndexRecord = {
      ...record, uid: f.uid, systemFlags: 0, userFlags: [0, 0, 0, 0], internalFlags: (InternalFlag.EXPUNGED | InternalFlag.UNLINKED) >>> 0,
      cacheOffset: 0, cacheCrc: 0, modseq, createdmodseq: record.createdmodseq !== undefined ? modseq : undefined,
    };
    p.appended.push({ uid: f.uid, r: tomb, bump: false });
    p.tombstones++;
    p.act({ kind: 'renumber-file', outcome: 'fixed', uid: f.uid, newUid: uid, file: f.path, modseq, message: `message file with no record at or below last_uid: renamed to ${uid}. and appended (a UID is never reused); uid ${f.uid} recorded as expunged so replicas drop their copy${hint ? `; flags and date from backup ${hint.source}` : ''}` });
    moveAnnotations(p, anns, f.uid, uid, record);
  }
  if (anns?.moved) writeAnnotations(p, anns);
  for (const { uid: oldUid, flagsFrom } of p.reappend) {
    const f = facts.files.get(oldUid)!;
    const uid = ++p.lastUid;
    p.fileOps.push({ op: 'rename', from: f.path, to: `${raw.files.dir}/${uid}.` });
    addFile(p, f, uid, flagsFrom);
    const a = p.actions.find((x) => x.kind === 'guid-mismatch' && x.uid === oldUid);
    if (a) a.newUid = uid;
  }
}

interface AnnotationDb {
  records: DbRecord[];
  moved: number;
}

/** cyrus.annotations as read (undefined: none, or unreadable — then nothing is moved). */
function annotationRecords(p: Planner): AnnotationDb | undefined {
  const buf = p.raw.annotations;
  if (!buf || buf.length === 0) return undefined;
  try {
    return { records: [...readDb(buf, undefined, { expect: 'twoskip' }).records], moved: 0 };
  } catch (e) {
    p.act({ kind: 'move-annotations', outcome: 'left', file: p.raw.files.annotations, message: `cyrus.annotations cannot be read (${(e as Error).message}): annotations of appended or renumbered messages not looked at (not moved, SNOOZED not set)` });
    return undefined;
  }
}

const SNOOZED_ENTRY = '/vendor/cmu/cyrus-imapd/snoozed';
const uidOfKey = (key: Buffer) => key.toString('latin1', 0, Math.max(0, key.indexOf(0)));

function moveAnnotations(p: Planner, db: AnnotationDb | undefined, oldUid: number, newUid: number, record: IndexRecord): void {
  if (!db) return;
  const old = String(oldUid);
  const mine = db.records.filter((r) => uidOfKey(r.key) === old);
  if (!mine.length) return;
  const moved = mine.map((r) => ({ key: Buffer.concat([Buffer.from(String(newUid)), r.key.subarray(r.key.indexOf(0))]), value: r.value }));
  const taken = new Set(moved.map((r) => r.key.toString('latin1')));
  db.records = [...db.records.filter((r) => uidOfKey(r.key) !== old && !taken.has(r.key.toString('latin1'))), ...moved];
  db.moved += moved.length;
  snoozeIfAnnotated(db, newUid, record);
  p.act({ kind: 'move-annotations', outcome: 'fixed', uid: oldUid, newUid, file: p.raw.files.annotations, message: `${moved.length} annotation${moved.length > 1 ? 's' : ''} of uid ${oldUid} moved to uid ${newUid} with its message (Cyrus's reconstruct would delete them)` });
}

/**
 * The new cyrus.annotations goes into the plan as a file operation (apply rewrites it under its
 * lock, before the header and index, as Cyrus commits annotations first) and into the state the
 * rest of the plan reads, so SYNC_CRC_ANNOT is computed over the annotations as written.
 */
function writeAnnotations(p: Planner, db: AnnotationDb): void {
  const base = p.raw.annotations!;
  p.fileOps.push({ op: 'annotations', to: p.raw.files.annotations, records: db.records, baseSha1: createHash('sha1').update(base).digest('hex') });
  p.d = { ...p.d, raw: { ...p.d.raw, annotations: encodeTwoskip(db.records) } };
}

/**
 * A shared, non-empty "snoozed" annotation on a UID goes with the SNOOZED internal flag on its
 * record (reconstruct checks that the two agree: mailbox_reconstruct_compare_update).
 */
function snoozeIfAnnotated(db: AnnotationDb | undefined, uid: number, record: IndexRecord): void {
  if (!db) return;
  const u = String(uid);
  for (const r of db.records) {
    if (uidOfKey(r.key) !== u) continue;
    try {
      const a = decodeAnnotation(r);
      if (a.entry === SNOOZED_ENTRY && a.userid === '' && a.value.length && !(a.flags & ANNOTATION_FLAG_DELETED)) {
        record.internalFlags = (record.internalFlags | InternalFlag.SNOOZED) >>> 0;
      }
    } catch {
      // an entry Cyrus cannot read either
    }
  }
}
