// The annotation lists sync_client puts into APPLY MAILBOX (Cyrus 3.6.1 imap/sync_support.c
// read_annotations → annotatemore_findall_mailbox → sync_annot_list_add). Mailbox-level entries
// live in the server-wide annotations.db keyed `<uniqueid> NUL <entry> NUL <userid> NUL`;
// per-message entries in the mailbox's cyrus.annotations keyed `<uid> NUL <entry> NUL <userid> NUL`.
// Cyrus skips tombstones (deleted flag or empty value) and keys without a userid, writes the
// owner's userid for the `[.OwNeR.]` token, and keeps each list sorted by entry, userid, value.
import { FormatError } from '../errors.js';
import {
  ANNOTATION_FLAG_DELETED,
  OWNER_TOKEN,
  decodeAnnotation,
  decodeAnnotationValue,
  mailboxOwner,
  type ValueOptions,
} from '../format/annotations.js';

/** One `%(ENTRY USERID MODSEQ VALUE)` of an ANNOTATIONS list. */
export interface SyncAnnotation {
  entry: string;
  /** null when the key names the owner of a mailbox that has none (Cyrus then sends NIL). */
  userid: string | null;
  modseq: bigint;
  value: Buffer;
}

type DbRecord = { key: Buffer; value: Buffer };

/** C strcmp over byte strings (unsigned bytes; null sorts first, as strcmpnull does). */
function strcmpNull(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}

/** `buf_cmp`: bytes first, then the shorter one first. */
const bufCmp = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

const annotationCmp = (a: SyncAnnotation, b: SyncAnnotation): number =>
  strcmpNull(a.entry, b.entry) || strcmpNull(a.userid, b.userid) || bufCmp(a.value, b.value);

/**
 * The list as `sync_annot_list_add` builds it: sorted by (entry, userid, value); an exact
 * duplicate is kept once with the higher modseq.
 */
export function syncAnnotationList(items: Iterable<SyncAnnotation>): SyncAnnotation[] {
  const out: SyncAnnotation[] = [];
  for (const it of items) {
    // Binary search for the first element not less than `it`.
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (annotationCmp(out[mid]!, it) < 0) lo = mid + 1;
      else hi = mid;
    }
    const at = out[lo];
    if (at && annotationCmp(at, it) === 0) {
      if (it.modseq > at.modseq) out[lo] = { ...at, modseq: it.modseq };
    } else {
      out.splice(lo, 0, it);
    }
  }
  return out;
}

function live(userid: string | null, flags: number, value: Buffer): boolean {
  return userid !== null && !(flags & ANNOTATION_FLAG_DELETED) && value.length > 0;
}

/**
 * Per-message annotations of a cyrus.annotations database, grouped by uid (uid 0 entries, which
 * Cyrus keeps in annotations.db, are ignored). `mboxname` decides whose userid the owner token
 * stands for.
 */
export function recordAnnotations(
  records: Iterable<DbRecord>,
  mboxname: string,
  opts: ValueOptions & { deletedPrefix?: string } = {},
): Map<number, SyncAnnotation[]> {
  const owner = mailboxOwner(mboxname, opts.deletedPrefix);
  const byUid = new Map<number, SyncAnnotation[]>();
  for (const rec of records) {
    const a = decodeAnnotation(rec, opts);
    if (a.uid === 0 || !live(a.userid, a.flags, a.value)) continue;
    const userid = a.userid === OWNER_TOKEN ? owner : a.userid;
    let list = byUid.get(a.uid);
    if (!list) byUid.set(a.uid, (list = []));
    list.push({ entry: a.entry, userid, modseq: a.modseq, value: a.value });
  }
  for (const [uid, list] of byUid) byUid.set(uid, syncAnnotationList(list));
  return byUid;
}

/**
 * The mailbox-level annotations of one mailbox from the server-wide annotations.db: the records
 * under the prefix `<uniqueid> NUL`, as annotatemore_findall_mailbox(uid 0) reads them.
 */
export function mailboxAnnotations(
  records: Iterable<DbRecord>,
  uniqueid: string,
  mboxname: string,
  opts: ValueOptions & { deletedPrefix?: string } = {},
): SyncAnnotation[] {
  const prefix = Buffer.from(`${uniqueid}\0`, 'latin1');
  const owner = mailboxOwner(mboxname, opts.deletedPrefix);
  const out: SyncAnnotation[] = [];
  for (const { key, value } of records) {
    if (key.length < prefix.length || !key.subarray(0, prefix.length).equals(prefix)) continue;
    const nul = key.indexOf(0, prefix.length);
    // A key without a userid part is skipped by Cyrus's find_p.
    if (nul < 0) continue;
    const entry = key.toString('latin1', prefix.length, nul);
    const end = key.indexOf(0, nul + 1);
    const userid = key.toString('latin1', nul + 1, end < 0 ? key.length : end);
    let v;
    try {
      v = decodeAnnotationValue(value, opts);
    } catch (e) {
      if (e instanceof FormatError) throw new FormatError(e.code, `entry ${JSON.stringify(entry)} of ${uniqueid}: ${e.message.replace(/^offset \d+: /, '')}`, e.offset);
      throw e;
    }
    if (!live(userid, v.flags, v.value)) continue;
    out.push({ entry, userid: userid === OWNER_TOKEN ? owner : userid, modseq: v.modseq, value: v.value });
  }
  return syncAnnotationList(out);
}
