// cyrus.header: fixed magic, then either the text format (written by Cyrus ≤ 3.4) or one dlist
// line (3.6+). Spec cyrus-mailbox-format.md §7; reader follows `mailbox_read_header` and writer
// `mailbox_commit_header` / `mailbox_header_data_cstring` (imap/mailbox.c @2.4.17, 3.4.9, 3.6.1).
import { crc32 } from 'node:zlib';
import { FormatError } from '../errors.js';
import { parseStrict } from '../dlist/strict.js';
import { printDlist } from '../dlist/print.js';
import type { DKvItem, DlistNode } from '../dlist/types.js';
import { NIL, atom, atomOrNil, kvlist, list } from '../dlist/types.js';

/** `MAILBOX_HEADER_MAGIC` (115 bytes, no trailing NUL on disk). */
export const HEADER_MAGIC = Buffer.from(
  '\xa1\x02\x8b\x0dCyrus mailbox header\n"The best thing about this system was that it had lots of goals."\n\t--Jim Morris on Andrew\n',
  'latin1',
);

/** Cyrus reads at most this many user-flag slots (`MAX_USER_FLAGS`). */
export const MAX_USER_FLAGS = 128;

/**
 * A decoded cyrus.header. Strings are byte strings (one char per byte, latin1) so every byte
 * survives a round trip.
 */
export interface MailboxHeader {
  format: 'text' | 'dlist';
  /** Quota root, or null when none (text: empty field; dlist: no `Q`). */
  quotaroot: string | null;
  /** null only in pre-2.0 text headers (no TAB on line 1) or a dlist without `I`. */
  uniqueid: string | null;
  /** Flag name per user-flag bit; '' marks an unused slot. No trailing unused slots. */
  userFlags: string[];
  /** ACL as Cyrus keeps it: `id TAB rights TAB …`; null when a dlist header has no `A`. */
  acl: string | null;
  /** dlist `T`: type letters (`e`, `el`, `ed`…); null in the text format. */
  mbtype: string | null;
  /** dlist `N`: internal mailbox name (not kept up to date by every rename); null in text. */
  name: string | null;
  /** dlist `J` (Cyrus master only): absent = undefined; present as NIL = null. */
  jmapid?: string | null;
}

/** The ACL string's `identifier rights` pairs, in order (`mailbox_acl_to_dlist`). */
export function aclEntries(acl: string | null): Array<{ identifier: string; rights: string }> {
  const out: Array<{ identifier: string; rights: string }> = [];
  let p = 0;
  const s = acl ?? '';
  while (p < s.length) {
    const q = s.indexOf('\t', p);
    if (q < 0) break;
    const r = s.indexOf('\t', q + 1);
    out.push({ identifier: s.slice(p, q), rights: r < 0 ? s.slice(q + 1) : s.slice(q + 1, r) });
    if (r < 0) break;
    p = r + 1;
  }
  return out;
}

/** The ACL string for these pairs (each field followed by TAB). */
export const aclString = (entries: ReadonlyArray<{ identifier: string; rights: string }>): string =>
  entries.map((e) => `${e.identifier}\t${e.rights}\t`).join('');

/** `index.header_file_crc`: CRC-32 of the entire file as stored (spec §7.4). */
export function headerFileCrc(buf: Buffer): number {
  return crc32(buf) >>> 0;
}

/**
 * Whether the index's stored header_file_crc agrees with the header file. 0 means "not recorded"
 * (e.g. an index upgraded from a version < 12 by reconstruct -V): Cyrus skips the comparison
 * when either side is 0 (`mailbox_open_advanced` @3.6.1) and reconstruct then fills it in.
 */
export function headerCrcAgrees(buf: Buffer, stored: number): boolean {
  const actual = headerFileCrc(buf);
  return stored === 0 || actual === 0 || stored === actual;
}

const LF = 0x0a;

/** Decodes a cyrus.header file; throws FormatError where Cyrus would say IMAP_MAILBOX_BADFORMAT. */
export function decodeHeader(buf: Buffer): MailboxHeader {
  if (buf.length < HEADER_MAGIC.length) {
    if (HEADER_MAGIC.subarray(0, buf.length).equals(buf))
      throw new FormatError('TRUNCATED', 'cyrus.header shorter than its magic', buf.length);
    throw new FormatError('BAD_MAGIC', 'not a cyrus.header (magic differs)', firstDiff(buf));
  }
  if (!buf.subarray(0, HEADER_MAGIC.length).equals(HEADER_MAGIC))
    throw new FormatError('BAD_MAGIC', 'not a cyrus.header (magic differs)', firstDiff(buf));
  const start = HEADER_MAGIC.length;
  const eol = buf.indexOf(LF, start);
  if (eol < 0) throw new FormatError('TRUNCATED', 'cyrus.header: first data line has no LF', buf.length);
  if (buf[start] === 0x25 /* % */) return decodeDlistHeader(buf, start, eol);
  return decodeTextHeader(buf, start, eol);
}

function firstDiff(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && i < HEADER_MAGIC.length && buf[i] === HEADER_MAGIC[i]) i++;
  return i;
}

function decodeTextHeader(buf: Buffer, start: number, eol: number): MailboxHeader {
  const line1 = buf.toString('latin1', start, eol);
  const tab = line1.indexOf('\t');
  let quotaroot: string | null;
  let uniqueid: string | null = null;
  if (tab < 0) {
    quotaroot = line1 || null; // pre-2.0: no uniqueid at all
  } else {
    quotaroot = tab > 0 ? line1.slice(0, tab) : null;
    const rest = line1.slice(tab + 1);
    if (rest === '') throw new FormatError('BAD_VALUE', 'cyrus.header: empty uniqueid', start + tab + 1);
    const tab2 = rest.indexOf('\t'); // 3.x readers ignore extra fields after the uniqueid
    uniqueid = tab2 < 0 ? rest : rest.slice(0, tab2);
  }
  const eol2 = buf.indexOf(LF, eol + 1);
  if (eol2 < 0) throw new FormatError('TRUNCATED', 'cyrus.header: user-flags line has no LF', buf.length);
  const tokens = buf.toString('latin1', eol + 1, eol2).split(' ').slice(0, MAX_USER_FLAGS);
  const eol3 = buf.indexOf(LF, eol2 + 1);
  if (eol3 < 0) throw new FormatError('TRUNCATED', 'cyrus.header: ACL line has no LF', buf.length);
  return {
    format: 'text',
    quotaroot,
    uniqueid,
    userFlags: trimUnused(tokens),
    acl: buf.toString('latin1', eol2 + 1, eol3),
    mbtype: null,
    name: null,
  };
}

function trimUnused(flags: string[]): string[] {
  let n = flags.length;
  while (n > 0 && flags[n - 1] === '') n--;
  return flags.slice(0, n);
}

function decodeDlistHeader(buf: Buffer, start: number, eol: number): MailboxHeader {
  let top: DlistNode;
  try {
    top = parseStrict(buf.subarray(start, eol)).node;
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(e.code, `cyrus.header: ${e.message.replace(/^offset \d+: /, '')}`, start + e.offset);
    throw e;
  }
  const h: MailboxHeader = {
    format: 'dlist',
    quotaroot: null,
    uniqueid: null,
    userFlags: [],
    acl: null,
    mbtype: null,
    name: null,
  };
  if (top.type !== 'kvlist') throw new FormatError('BAD_SYNTAX', 'cyrus.header: dlist line is not a kvlist', start);
  // Like `parseentry_cb`: any order, later keys overwrite earlier ones, unknown keys ignored.
  for (const { key, value } of top.items) {
    if (key === 'A' && value.type === 'kvlist') h.acl = aclString(value.items.map(aclPair));
    else if (key === 'U' && value.type === 'list')
      h.userFlags = trimUnused(value.items.slice(0, MAX_USER_FLAGS).map((f) => text(f) ?? ''));
    else if (value.type === 'atom' || value.type === 'buf' || value.type === 'nil') {
      const v = text(value);
      if (key === 'I') h.uniqueid = v;
      else if (key === 'N') h.name = v;
      else if (key === 'T') h.mbtype = v;
      else if (key === 'Q') h.quotaroot = v;
      else if (key === 'J') h.jmapid = v;
    }
  }
  return h;
}

function text(n: DlistNode): string | null {
  if (n.type === 'nil') return null;
  if (n.type === 'atom') return n.value;
  if (n.type === 'buf') return n.value.toString('latin1');
  return null;
}

function aclPair(it: DKvItem): { identifier: string; rights: string } {
  return { identifier: it.key, rights: text(it.value) ?? '' };
}

/** The bytes Cyrus writes for this header, in its own format (text as ≤3.4, dlist as 3.6). */
export function encodeHeader(h: MailboxHeader): Buffer {
  const body = h.format === 'text' ? encodeText(h) : encodeDlist(h);
  return Buffer.concat([HEADER_MAGIC, body]);
}

function encodeText(h: MailboxHeader): Buffer {
  const flags = h.userFlags.filter((f) => f !== '').map((f) => f + ' ').join('');
  return Buffer.from(`${h.quotaroot ?? ''}\t${h.uniqueid ?? ''}\n${flags}\n${h.acl ?? ''}\n`, 'latin1');
}

function encodeDlist(h: MailboxHeader): Buffer {
  const items: Array<[string, DlistNode]> = [
    ['T', atom(h.mbtype ?? 'e')],
    ['N', atomOrNil(h.name)],
    ['I', atomOrNil(h.uniqueid)],
  ];
  if (h.jmapid !== undefined) items.push(['J', atomOrNil(h.jmapid)]);
  if (h.quotaroot !== null) items.push(['Q', atom(h.quotaroot)]);
  if (h.acl !== null) items.push(['A', kvlist(...aclEntries(h.acl).map((e): [string, DlistNode] => [e.identifier, atom(e.rights)]))]);
  const used = trimUnused(h.userFlags);
  if (used.length) items.push(['U', list(...used.map((f) => (f === '' ? NIL : atom(f))))]);
  return Buffer.concat([printDlist(kvlist(...items)), Buffer.from('\n')]);
}
