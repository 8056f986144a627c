// The `APPLY MAILBOX %(…)` kvlist Cyrus 3.6.1's sync_client sends when it pushes a whole mailbox
// to a replica that does not have it yet (imap/sync_support.c sync_prepare_dlists with no remote
// state: the full, non-partial form, every record, annotations in full), built from decoded files.
// Field order and types follow that function; values come from the places Cyrus takes them:
// mbentry (mailboxes.db) for name, uniqueid, partition, ACL, type and foldermodseq; cyrus.header
// for the quota root and user flag names; cyrus.index for counters, stored CRCs and records.
import {
  NIL,
  atom,
  atomOrNil,
  buf,
  flag,
  hex,
  kvlist,
  list,
  num,
  type DKvList,
  type DList,
  type DlistNode,
} from '../dlist/index.js';
import type { MailboxHeader } from '../format/header.js';
import { InternalFlag, IndexOption, SystemFlag, userFlagBits, type IndexHeader, type IndexRecord } from '../format/index/index.js';
import { MBTYPE, mbtypeToString } from '../format/mboxlist-entry.js';
import type { SyncAnnotation } from './annotations.js';

/** What Cyrus's mbentry says about the mailbox (mailboxes.db; in --path mode, a stand-in). */
export interface MailboxIdentity {
  name: string;
  uniqueid: string;
  partition: string;
  /** null when the entry has no ACL (Cyrus then sends NIL). */
  acl: string | null;
  /** 3.6 mbtype bits (MBTYPE). */
  mbtypeBits: number;
  foldermodseq: bigint;
  /** With `conversations: yes`: the folder's thread modseq (conversations.db); 0 = not sent. */
  xconvmodseq?: bigint;
  /** With `conversations: yes`, INBOX only: the owner's raclmodseq (counters file); 0 = not sent. */
  raclmodseq?: bigint;
}

/** The decoded mailbox files sync_prepare_dlists reads. */
export interface MailboxContent {
  header: MailboxHeader;
  index: IndexHeader;
  records: readonly IndexRecord[];
  /** Mailbox-level annotations (annotations.db), in sync list order. */
  mailboxAnnotations: readonly SyncAnnotation[];
  /** Per-message annotations (cyrus.annotations) by uid, in sync list order. */
  recordAnnotations: ReadonlyMap<number, readonly SyncAnnotation[]>;
}

const IMAP_ANNOT_NS = '/vendor/cmu/cyrus-imapd/';
const u32 = (v: bigint | number) => num(BigInt.asUintN(32, BigInt(v)));

/** `sync_encode_options`: P S D A. */
export function syncOptions(options: number): string {
  let s = '';
  if (options & IndexOption.POP3_NEW_UIDL) s += 'P';
  if (options & IndexOption.IMAP_SHAREDSEEN) s += 'S';
  if (options & IndexOption.IMAP_DUPDELIVER) s += 'D';
  if (options & IndexOption.IMAP_HAS_ALARMS) s += 'A';
  return s;
}

/** `sync_print_flags`: system flags in Cyrus's fixed order, then user flags by slot. */
export function syncFlags(r: IndexRecord, flagNames: readonly string[]): DList {
  const f: DlistNode[] = [];
  if (r.systemFlags & SystemFlag.DELETED) f.push(flag('\\Deleted'));
  if (r.systemFlags & SystemFlag.ANSWERED) f.push(flag('\\Answered'));
  if (r.systemFlags & SystemFlag.FLAGGED) f.push(flag('\\Flagged'));
  if (r.systemFlags & SystemFlag.DRAFT) f.push(flag('\\Draft'));
  if (r.internalFlags & InternalFlag.EXPUNGED) f.push(flag('\\Expunged'));
  if (r.systemFlags & SystemFlag.SEEN) f.push(flag('\\Seen'));
  for (const bit of userFlagBits(r.userFlags)) {
    const name = flagNames[bit];
    if (name) f.push(flag(name)); // a bit without a name in cyrus.header is skipped
  }
  return list(...f);
}

const annotationItem = (a: SyncAnnotation) =>
  kvlist(['ENTRY', atom(a.entry)], ['USERID', atomOrNil(a.userid)], ['MODSEQ', num(a.modseq)], ['VALUE', buf(a.value)]);

const virtualItem = (name: string, value: DlistNode) =>
  kvlist(['ENTRY', atom(IMAP_ANNOT_NS + name)], ['USERID', atom('')], ['MODSEQ', num(0)], ['VALUE', value]);

/** `encode_annotations`: stored entries, then thrid / savedate / createdmodseq where the version has them. */
export function syncAnnotations(stored: readonly SyncAnnotation[], r: IndexRecord | undefined, minorVersion: number): DList | undefined {
  const items: DlistNode[] = stored.map(annotationItem);
  if (r) {
    if (r.cid && minorVersion >= 13) items.push(virtualItem('thrid', hex(r.cid)));
    if (r.savedate && minorVersion >= 15) items.push(virtualItem('savedate', u32(r.savedate)));
    if (r.createdmodseq && minorVersion >= 16) items.push(virtualItem('createdmodseq', num(r.createdmodseq)));
  }
  return items.length ? list(...items) : undefined;
}

/**
 * Why sync_client could not send this mailbox, or undefined: Cyrus cannot open an index whose
 * header CRC is wrong (IMAP_MAILBOX_CHECKSUM), aborts on a record whose CRC is wrong (the record
 * read fails under msg_record's assert), and refuses versions before 10 or records without a
 * GUID (`sync_mailbox_version_check`).
 */
export function syncRefusal(c: Pick<MailboxContent, 'index' | 'records'>): string | undefined {
  if (!c.index.crcOk) return 'the cyrus.index header CRC is wrong, so Cyrus cannot open the mailbox';
  if (c.index.minorVersion < 10) return `index version ${c.index.minorVersion} has no GUIDs (sync needs 10 or later)`;
  for (const r of c.records) {
    if (!r.crcOk) return `the record of uid ${r.uid} has a wrong CRC, which stops Cyrus reading it`;
    if (r.uid && (!r.guid || /^0+$/.test(r.guid))) return `uid ${r.uid} has no GUID ('reconstruct -G' would add it)`;
  }
  return undefined;
}

/** One RECORD element. */
function recordItem(r: IndexRecord, c: MailboxContent): DKvList {
  const rec = kvlist(
    ['UID', u32(r.uid)],
    ['MODSEQ', num(r.modseq ?? 0n)],
    ['LAST_UPDATED', num(r.lastUpdated)],
    ['FLAGS', syncFlags(r, c.header.userFlags)],
    ['INTERNALDATE', num(r.internaldate)],
    ['SIZE', u32(r.size)],
    ['GUID', atom(r.guid ?? '')],
  );
  const ann = syncAnnotations(c.recordAnnotations.get(r.uid) ?? [], r, c.index.minorVersion);
  if (ann) rec.items.push({ key: 'ANNOTATIONS', value: ann });
  return rec;
}

/** The records sync_client walks (mailbox_iter with no skip flags): every record with a uid. */
export const syncRecords = (records: readonly IndexRecord[]) => records.filter((r) => r.uid !== 0);

/** The `%(…)` of `APPLY MAILBOX`, full form, every record. */
export function applyMailbox(id: MailboxIdentity, c: MailboxContent): DKvList {
  const i = c.index;
  const kl = kvlist(['UNIQUEID', atom(id.uniqueid)], ['MBOXNAME', atom(id.name)]);
  const put = (key: string, value: DlistNode) => void kl.items.push({ key, value });
  const syncType = id.mbtypeBits & ~MBTYPE.LEGACY_DIRS;
  if (syncType) put('MBOXTYPE', atom(mbtypeToString(syncType)));
  put('SYNC_CRC', u32(i.syncCrcBasic ?? 0));
  put('SYNC_CRC_ANNOT', u32(i.syncCrcAnnot ?? 0));
  put('LAST_UID', u32(i.lastUid));
  put('HIGHESTMODSEQ', num(i.highestmodseq ?? 0n));
  put('RECENTUID', u32(i.recentuid ?? 0));
  put('RECENTTIME', num(i.recenttime ?? 0));
  put('LAST_APPENDDATE', num(i.lastAppenddate));
  put('POP3_LAST_LOGIN', num(i.pop3LastLogin));
  put('POP3_SHOW_AFTER', num(i.pop3ShowAfter ?? 0));
  if (id.xconvmodseq) put('XCONVMODSEQ', num(id.xconvmodseq));
  if (id.raclmodseq) put('RACLMODSEQ', num(id.raclmodseq));
  put('UIDVALIDITY', u32(i.uidvalidity));
  put('PARTITION', atom(id.partition));
  put('ACL', id.acl === null ? NIL : atom(id.acl));
  put('OPTIONS', atom(syncOptions(i.options)));
  if (c.header.quotaroot !== null) put('QUOTAROOT', atom(c.header.quotaroot));
  if (i.createdmodseq) put('CREATEDMODSEQ', num(i.createdmodseq));
  if (id.foldermodseq) put('FOLDERMODSEQ', num(id.foldermodseq));
  const ann = syncAnnotations(c.mailboxAnnotations, undefined, i.minorVersion);
  if (ann) put('ANNOTATIONS', ann);
  put('RECORD', list(...syncRecords(c.records).map((r) => recordItem(r, c))));
  return kl;
}

/**
 * An intermediate entry (a name with no mailbox of its own, mbtype `i`): sync_do_update_mailbox
 * sends only its mailboxes.db facts, HIGHESTMODSEQ being the foldermodseq.
 */
export function applyIntermediate(e: { name: string; uniqueid: string; mbtypeBits: number; createdmodseq: bigint; foldermodseq: bigint }): DKvList {
  return kvlist(
    ['UNIQUEID', atom(e.uniqueid)],
    ['MBOXNAME', atom(e.name)],
    ['MBOXTYPE', atom(mbtypeToString(e.mbtypeBits & ~MBTYPE.LEGACY_DIRS))],
    ['HIGHESTMODSEQ', num(e.foldermodseq)],
    ['CREATEDMODSEQ', num(e.createdmodseq)],
    ['FOLDERMODSEQ', num(e.foldermodseq)],
  );
}

/** A message file sync_client uploads with the mailbox. */
export interface MessageUpload {
  uid: number;
  guid: string;
  size: number;
  archived: boolean;
}

/**
 * The files a first sync uploads (`sync_send_file`): one per distinct GUID, in record order,
 * skipping records whose file is already gone (UNLINKED).
 */
export function messageUploads(records: readonly IndexRecord[]): MessageUpload[] {
  const seen = new Set<string>();
  const out: MessageUpload[] = [];
  for (const r of syncRecords(records)) {
    if (r.internalFlags & InternalFlag.UNLINKED) continue;
    const g = (r.guid ?? '').toLowerCase();
    if (!g || seen.has(g)) continue;
    seen.add(g);
    out.push({ uid: r.uid, guid: g, size: Number(BigInt.asUintN(32, r.size)), archived: (r.internalFlags & InternalFlag.ARCHIVED) !== 0 });
  }
  return out;
}

/** sync_client sends at most this many files per `APPLY MESSAGE` (`dlist_splice(kupload, 1024)`). */
export const FILES_PER_APPLY_MESSAGE = 1024;
