// Per-message annotations from a mailbox's cyrus.annotations (spec cyrus-mailbox-format.md §10.4;
// Cyrus 3.6 imap/annotate.c make_key/split_key, make_entry/split_attribs). Input is the live
// key/value pairs of the database (a twoskip reader yields them); output is what SYNC_CRC_ANNOT
// hashes (synccrc.ts).
import { FormatError } from '../errors.js';

/** The token Cyrus stores instead of the owner's userid in private annotation keys. */
export const OWNER_TOKEN = '[.OwNeR.]';

/** Bit 0 of an entry's flags byte: a deleted (tombstone) entry. */
export const ANNOTATION_FLAG_DELETED = 1;

export interface AnnotationKey {
  /** Message uid (0 = mailbox-level, which never counts in SYNC_CRC_ANNOT). */
  uid: number;
  entry: string;
  /** '' for shared values; null when the key has no userid part (bogus, ignored by 3.1.7+). */
  userid: string | null;
}

export interface AnnotationValue {
  value: Buffer;
  modseq: bigint;
  flags: number;
}

export type MessageAnnotation = AnnotationKey & AnnotationValue;

export interface ValueOptions {
  /**
   * Width of the C `unsigned long` length prefix: 8 on 64-bit hosts (big-endian u32 length then
   * 4 zero bytes on little-endian ones, the usual case), 4 on 32-bit hosts.
   */
  longSize?: 4 | 8;
}

/** Splits `<uid> NUL <entry> NUL <userid> NUL`. Text is kept as byte strings (latin1), as Cyrus treats it. */
export function decodeAnnotationKey(key: Buffer): AnnotationKey {
  const nul1 = key.indexOf(0);
  if (nul1 < 0) throw new FormatError('BAD_SYNTAX', 'annotation key has no NUL after the uid', key.length);
  const uidText = key.toString('latin1', 0, nul1);
  if (!/^\d{1,10}$/.test(uidText) || Number(uidText) > 0xffffffff) {
    throw new FormatError('BAD_VALUE', `annotation key uid ${JSON.stringify(uidText)} is not a u32`, 0);
  }
  const nul2 = key.indexOf(0, nul1 + 1);
  const entryEnd = nul2 < 0 ? key.length : nul2;
  const entry = key.toString('latin1', nul1 + 1, entryEnd);
  let userid: string | null = null;
  if (nul2 >= 0) {
    // The userid runs to the next NUL (written with one), or to the end of the key.
    const nul3 = key.indexOf(0, nul2 + 1);
    userid = key.toString('latin1', nul2 + 1, nul3 < 0 ? key.length : nul3);
  }
  return { uid: Number(uidText), entry, userid };
}

/**
 * Splits an entry value: length-prefixed value bytes, NUL, content type, NUL, `unsigned long`
 * modifiedsince, u64 modseq, u8 flags. The tail after the value is optional in old records.
 */
export function decodeAnnotationValue(data: Buffer, opts: ValueOptions = {}): AnnotationValue {
  const longSize = opts.longSize ?? 8;
  if (data.length < longSize) {
    throw new FormatError('TRUNCATED', `annotation value needs a ${longSize}-byte length`, data.length);
  }
  // On a little-endian 64-bit host the long holds htonl(len): BE length in its first 4 bytes.
  const len = data.readUInt32BE(0);
  const start = longSize;
  if (start + len > data.length) {
    throw new FormatError('BAD_LENGTH', `annotation value length ${len} exceeds the ${data.length}-byte record`, 0);
  }
  const value = Buffer.from(data.subarray(start, start + len));
  let at = start + len + 1; // the value's NUL
  let modseq = 0n;
  let flags = 0;
  if (at < data.length) {
    const ctEnd = data.indexOf(0, at);
    at = (ctEnd < 0 ? data.length : ctEnd) + 1 + longSize; // content type, modifiedsince
  }
  if (at + 8 <= data.length) {
    modseq = data.readBigUInt64BE(at);
    at += 8;
  }
  if (at < data.length) flags = data[at]!;
  return { value, modseq, flags };
}

export function decodeAnnotation(record: { key: Buffer; value: Buffer }, opts?: ValueOptions): MessageAnnotation {
  return { ...decodeAnnotationKey(record.key), ...decodeAnnotationValue(record.value, opts) };
}

/**
 * The userid that owns a mailbox, from its internal name, as Cyrus's mboxname_to_userid derives
 * it: `user.alice.Sent` → `alice`, `example.com!user.bob` → `bob@example.com`,
 * `DELETED.user.alice.Trash.5F3A…` → `alice`; null for shared mailboxes. `^` in a name stands
 * for `.` in the userid.
 */
export function mailboxOwner(mboxname: string, deletedPrefix = 'DELETED'): string | null {
  let name = mboxname;
  let domain: string | null = null;
  const bang = name.indexOf('!');
  if (bang >= 0) {
    domain = name.slice(0, bang);
    name = name.slice(bang + 1);
  }
  let parts = name.split('.');
  if (parts.length > 2 && parts[0] === deletedPrefix) parts = parts.slice(1, -1);
  if (parts.length < 2 || parts[0] !== 'user') return null;
  const local = parts[1]!.replaceAll('^', '.');
  return domain ? `${local}@${domain}` : local;
}

/**
 * The per-message annotations Cyrus iterates for a mailbox: drops mailbox-level entries (uid 0),
 * tombstones (deleted flag or empty value), and puts the owner's userid in place of the
 * `[.OwNeR.]` token (null when the mailbox has no owner, like Cyrus).
 */
export function messageAnnotations(
  records: Iterable<{ key: Buffer; value: Buffer }>,
  mboxname: string,
  opts?: ValueOptions & { deletedPrefix?: string },
): MessageAnnotation[] {
  const owner = mailboxOwner(mboxname, opts?.deletedPrefix);
  const out: MessageAnnotation[] = [];
  for (const rec of records) {
    const a = decodeAnnotation(rec, opts);
    if (a.uid === 0 || a.flags & ANNOTATION_FLAG_DELETED || a.value.length === 0) continue;
    if (a.userid === OWNER_TOKEN) a.userid = owner;
    out.push(a);
  }
  return out;
}
