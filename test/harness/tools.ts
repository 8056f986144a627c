// Cyrus's own tools and views, run against a live instance: the oracle side of interop tests.
// Tools run as user cyrus with the instance's -C (CyrusInstance.tool); views are read over IMAP
// (EXAMINE + UID FETCH, which change nothing on disk) or straight from cyrus.index.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CyrusInstance, type ToolResult } from './instance.js';
import { parseImapDate, sexpString, type Sexp } from './imap.js';

// ---------------------------------------------------------------- mailbox names

/** The owner of a user mailbox ("user.alice.Sub" → "alice"), undefined for shared mailboxes. */
export function ownerOf(mailbox: string): string | undefined {
  const m = /^user\.([^.]+)/.exec(mailbox);
  return m?.[1];
}

/** The name the owner uses over IMAP ("user.alice.Sub" → "INBOX.Sub"); others keep the name. */
export function ownerImapName(mailbox: string): string {
  const owner = ownerOf(mailbox);
  if (!owner) return mailbox;
  return `INBOX${mailbox.slice(`user.${owner}`.length)}`;
}

// ---------------------------------------------------------------- tools

/** The folder holding a mailbox's files (mbpath). */
export async function mbpath(inst: CyrusInstance, mailbox: string): Promise<string> {
  return (await inst.tool('mbpath', [mailbox])).stdout.trim();
}

/** mbpath of several mailboxes in one run, by name. */
export async function mbpaths(inst: CyrusInstance, mailboxes: string[]): Promise<Map<string, string>> {
  const lines = (await inst.tool('mbpath', mailboxes)).stdout.split('\n').filter(Boolean);
  if (lines.length !== mailboxes.length) throw new Error(`mbpath printed ${lines.length} paths for ${mailboxes.length} mailboxes`);
  return new Map(mailboxes.map((m, i) => [m, lines[i]!]));
}

/** `reconstruct -V version mailbox…`: Cyrus rewrites the index (and cache) in that version. */
export async function reconstructVersion(inst: CyrusInstance, mailbox: string | string[], version: number): Promise<ToolResult> {
  const names = typeof mailbox === 'string' ? [mailbox] : mailbox;
  const r = await inst.tool('reconstruct', ['-V', String(version), ...names]);
  // reconstruct exits 0 even when it fails; its stdout says so.
  if (/FAILED|Failed to reconstruct/i.test(r.stdout)) throw new Error(`reconstruct -V ${version} ${names.join(' ')}: ${r.stdout}`);
  return r;
}

/** `reconstruct -n mailbox` (not read-only in 3.6: see real-cyrus-lab.md). */
export function reconstructCheck(inst: CyrusInstance, mailbox: string, extra: string[] = []): Promise<ToolResult> {
  return inst.tool('reconstruct', ['-n', ...extra, mailbox]);
}

/** `sync_client -u user…` (or `-m mailbox…`) to the configured replica. */
export function syncClient(inst: CyrusInstance, target: { users: string[] } | { mailboxes: string[] }): Promise<ToolResult> {
  const args = 'users' in target ? ['-u', ...target.users] : ['-m', ...target.mailboxes];
  return inst.tool('sync_client', ['-v', ...args]);
}

/**
 * Pushes every mailbox of the master: users with -u, the rest (shared mailboxes, and the
 * "shared" parent Cyrus creates above "shared.team") with -m.
 */
export async function syncAll(master: CyrusInstance): Promise<void> {
  const all = await listMailboxes(master);
  const users = [...new Set(all.map(ownerOf).filter((u): u is string => !!u))];
  const others = all.filter((m) => !ownerOf(m));
  if (users.length) await syncClient(master, { users });
  if (others.length) await syncClient(master, { mailboxes: others });
}

/** `cyr_dbtool <db> <backend> <action> [args]`, e.g. show. */
export function cyrDbtool(inst: CyrusInstance, db: string, backend: string, action: string, ...args: string[]): Promise<ToolResult> {
  return inst.tool('cyr_dbtool', [db, backend, action, ...args]);
}

export interface MboxlistEntry {
  name: string;
  uniqueid: string;
  mbtype: string;
  partition?: string;
  acl: Record<string, string>;
  uidvalidity: string;
  [key: string]: unknown;
}

/** `ctl_mboxlist -d`: mailboxes.db as Cyrus sees it, keyed by internal name. */
export async function ctlMboxlistDump(inst: CyrusInstance): Promise<Record<string, MboxlistEntry>> {
  return JSON.parse((await inst.tool('ctl_mboxlist', ['-d'])).stdout) as Record<string, MboxlistEntry>;
}

// ---------------------------------------------------------------- mbexamine

export interface MbexamineRecord {
  uid: number;
  internaldate: number;
  sentdate: number;
  savedate: number;
  size: number;
  headerSize: number;
  lastUpdated: number;
  systemFlags: number;
  cacheVersion: number;
  guid: string;
  modseq: bigint;
  thrid?: string;
  internalFlags: string[];
  systemFlagNames: string[];
  /** user_flags words, index 0 = flags 0..31 (mbexamine prints them highest first). */
  userFlags: number[];
  /** Cache items as printed: Envel, BdyStr, Body, CacHdr, From, To, Cc, Bcc, Subjct. */
  cache: Record<string, Buffer>;
}

export interface Mbexamine {
  path: string;
  acl: string;
  uniqueid: string;
  userFlagNames: string[];
  generation: number;
  minorVersion: number;
  headerSize: number;
  recordSize: number;
  exists: number;
  quotaUsed: bigint;
  annotUsed: bigint;
  lastAppendDate: number;
  uidvalidity: number;
  lastUid: number;
  deleted: number;
  answered: number;
  flagged: number;
  options: string[];
  pop3LastLogin: number;
  highestModseq: bigint;
  /** Non-expunged records only (mbexamine skips expunged ones). */
  records: MbexamineRecord[];
}

export async function mbexamine(inst: CyrusInstance, mailbox: string): Promise<Mbexamine> {
  return parseMbexamine((await inst.tool('mbexamine', [mailbox])).stdoutBytes);
}

/** mbexamine of several mailboxes in one run (one process instead of one each). */
export async function mbexamineMany(inst: CyrusInstance, mailboxes: string[]): Promise<Map<string, Mbexamine>> {
  const out = (await inst.tool('mbexamine', mailboxes)).stdoutBytes;
  const text = out.toString('latin1');
  const starts: Array<[string, number]> = [];
  for (const m of text.matchAll(/^Examining (\S+)\.\.\. Mailbox Header Info:/gm)) starts.push([m[1]!, m.index!]);
  const result = new Map<string, Mbexamine>();
  starts.forEach(([name, at], i) => result.set(name, parseMbexamine(out.subarray(at, starts[i + 1]?.[1] ?? out.length))));
  return result;
}

/** Parses mbexamine's output (bytes: cache items are counted in bytes). */
export function parseMbexamine(out: Buffer): Mbexamine {
  const text = out.toString('latin1');
  const num = (re: RegExp, from = text) => {
    const m = re.exec(from);
    if (!m) throw new Error(`mbexamine output lacks ${re}`);
    return m[1]!;
  };
  const headerEnd = text.indexOf(' Message Info:');
  const head = text.slice(0, headerEnd < 0 ? text.length : headerEnd);
  const flagsLine = num(/User Flags: (.*)\n/, head);
  const ex: Mbexamine = {
    path: num(/Path to mailbox: (.*)\n/, head),
    acl: num(/Mailbox ACL: (.*)\n/, head),
    uniqueid: num(/Unique ID: (.*)\n/, head),
    userFlagNames: flagsLine === '[none]' ? [] : flagsLine.split(' ').filter(Boolean).map((f) => Buffer.from(f, 'latin1').toString('utf8')),
    generation: Number(num(/Generation Number: (\d+)/, head)),
    minorVersion: Number(num(/Minor Version: (\d+)/, head)),
    headerSize: Number(num(/Header Size: (\d+) bytes/, head)),
    recordSize: Number(num(/Record Size: (\d+) bytes/, head)),
    exists: Number(num(/Number of Messages: (\d+)/, head)),
    quotaUsed: BigInt(num(/Mailbox Size: (\d+) bytes/, head)),
    annotUsed: BigInt(num(/Annotations Size: (\d+) bytes/, head)),
    lastAppendDate: Number(num(/Last Append Date: \((-?\d+)\)/, head)),
    uidvalidity: Number(num(/UIDValidity: (\d+)/, head)),
    lastUid: Number(num(/Last UID: (\d+)/, head)),
    deleted: Number(num(/Deleted: (\d+)/, head)),
    answered: Number(num(/Answered: (\d+)/, head)),
    flagged: Number(num(/Flagged: (\d+)/, head)),
    options: num(/Mailbox Options:(.*)\n/, head).trim().split(' ').filter((o) => o && o !== 'NONE'),
    pop3LastLogin: Number(num(/Last POP3 Login: \((-?\d+)\)/, head)),
    highestModseq: BigInt(num(/Highest Mod Sequence: (\d+)/, head)),
    records: [],
  };
  if (headerEnd < 0) return ex;
  // Records: "NNNNNN> UID:..." blocks, then cache items " Name>{len}bytes\n".
  let pos = text.indexOf('\n', headerEnd) + 1;
  let cur: MbexamineRecord | undefined;
  while (pos < text.length) {
    const lineEnd = text.indexOf('\n', pos);
    const line = text.slice(pos, lineEnd < 0 ? text.length : lineEnd);
    const cacheItem = /^ (\w+)>\{(\d+)\}/.exec(line);
    if (cacheItem && cur) {
      const start = pos + cacheItem[0].length;
      const len = Number(cacheItem[2]);
      cur.cache[cacheItem[1]!] = out.subarray(start, start + len);
      pos = start + len + 1; // the item, then print_rec's newline
      continue;
    }
    if (/^\d{6}> UID:/.test(line)) {
      // The record spans three lines: UID..., HDRSIZE...GUID...MODSEQ, INTERNALFLAGS...SYSTEMFLAGS, USERFLAGS.
      const block = text.slice(pos, text.indexOf('USERFLAGS:', pos));
      const ufEnd = text.indexOf('\n', text.indexOf('USERFLAGS:', pos));
      const uf = text.slice(text.indexOf('USERFLAGS:', pos) + 10, ufEnd).trim().split(/\s+/).map((w) => parseInt(w, 16));
      const field = (re: RegExp) => re.exec(block)?.[1];
      const internal = /INTERNALFLAGS:(.*?)>/s.exec(block)?.[1] ?? '';
      const system = /SYSTEMFLAGS:([^\n]*)/.exec(block)?.[1] ?? '';
      cur = {
        uid: Number(field(/UID:(\d+)/)),
        internaldate: Number(field(/INT_DATE:(-?\d+)/)),
        sentdate: Number(field(/SENTDATE:(-?\d+)/)),
        savedate: Number(field(/SAVEDATE:(-?\d+)/)),
        size: Number(field(/ SIZE:(\d+)/)),
        headerSize: Number(field(/HDRSIZE:(\d+)/)),
        lastUpdated: Number(field(/LASTUPD :(-?\d+)/)),
        systemFlags: parseInt(field(/SYSFLAGS:([0-9A-Fa-f]+)/) ?? '0', 16),
        cacheVersion: Number(field(/CACHEVER:(\d+)/)),
        guid: field(/GUID:([0-9a-f]+)/) ?? '',
        modseq: BigInt(field(/MODSEQ:(\d+)/) ?? '0'),
        thrid: field(/THRID: ([0-9a-f]+)/),
        internalFlags: internal.trim().split(/\s+/).filter(Boolean),
        systemFlagNames: system.trim().split(/\s+/).filter(Boolean),
        userFlags: uf.reverse(),
        cache: {},
      };
      ex.records.push(cur);
      pos = ufEnd + 1;
      continue;
    }
    pos = (lineEnd < 0 ? text.length : lineEnd) + 1;
  }
  return ex;
}

// ---------------------------------------------------------------- IMAP view

export interface MessageView {
  uid: number;
  /** Flags by name, sorted; \Recent left out (it belongs to a session, not to the mailbox). */
  flags: string[];
  modseq: bigint;
  size: number;
  /** Seconds since the epoch. */
  internaldate: number;
  /** SHA-1 (hex) of BODY.PEEK[]. */
  sha1: string;
}

export interface MailboxView {
  mailbox: string;
  uidvalidity: number;
  uidnext: number;
  highestmodseq: bigint;
  exists: number;
  messages: MessageView[];
}

const FETCH_ITEMS = 'UID FLAGS MODSEQ RFC822.SIZE INTERNALDATE BODY.PEEK[]';

/** Sorts flags by name so two servers' views compare whatever their bit numbering. */
export function normaliseFlags(flags: Sexp): string[] {
  if (!Array.isArray(flags)) throw new Error('FLAGS is not a list');
  return flags.map((f) => sexpString(f)).filter((f) => f.toLowerCase() !== '\\recent').sort();
}

/**
 * Cyrus's view of a mailbox over IMAP (EXAMINE, read-only): as the owner for user mailboxes
 * (admin authorized as the owner), as admin otherwise, or as `opts.as` (whose \Seen then comes
 * from that user's seen.db when not the owner).
 */
export async function imapView(inst: CyrusInstance, mailbox: string, opts: { as?: string } = {}): Promise<MailboxView> {
  const owner = ownerOf(mailbox);
  const viewer = opts.as ?? owner;
  return inst.withImap(viewer, async (c) => {
    // Anyone but the owner sees the internal name (altnamespace off, "." separator).
    const st = await c.examine(viewer === owner ? ownerImapName(mailbox) : mailbox);
    const fetched = st.exists ? await c.uidFetch('1:*', FETCH_ITEMS) : [];
    const messages = fetched.map(({ attrs }) => {
      const body = attrs.get('BODY[]');
      const modseq = attrs.get('MODSEQ');
      return {
        uid: Number(attrs.get('UID')),
        flags: normaliseFlags(attrs.get('FLAGS') ?? []),
        modseq: BigInt(sexpString(Array.isArray(modseq) ? modseq[0]! : (modseq ?? '0'))),
        size: Number(attrs.get('RFC822.SIZE')),
        internaldate: parseImapDate(sexpString(attrs.get('INTERNALDATE') ?? '')),
        sha1: createHash('sha1').update(Buffer.isBuffer(body) ? body : Buffer.from(sexpString(body ?? ''), 'utf8')).digest('hex'),
      };
    });
    messages.sort((a, b) => a.uid - b.uid);
    return { mailbox, uidvalidity: st.uidvalidity, uidnext: st.uidnext, highestmodseq: st.highestmodseq, exists: st.exists, messages };
  });
}

/** Differences between two views, as readable lines (empty when equal). */
export function diffViews(a: MailboxView, b: MailboxView, labels: [string, string] = ['a', 'b']): string[] {
  const out: string[] = [];
  for (const k of ['uidvalidity', 'uidnext', 'highestmodseq', 'exists'] as const) {
    if (a[k] !== b[k]) out.push(`${a.mailbox} ${k}: ${labels[0]} ${a[k]} ≠ ${labels[1]} ${b[k]}`);
  }
  const byUid = new Map(b.messages.map((m) => [m.uid, m]));
  for (const m of a.messages) {
    const o = byUid.get(m.uid);
    if (!o) {
      out.push(`${a.mailbox} UID ${m.uid}: only on ${labels[0]}`);
      continue;
    }
    byUid.delete(m.uid);
    for (const k of ['modseq', 'size', 'internaldate', 'sha1'] as const) {
      if (m[k] !== o[k]) out.push(`${a.mailbox} UID ${m.uid} ${k}: ${m[k]} ≠ ${o[k]}`);
    }
    if (m.flags.join(' ') !== o.flags.join(' ')) out.push(`${a.mailbox} UID ${m.uid} flags: (${m.flags.join(' ')}) ≠ (${o.flags.join(' ')})`);
  }
  for (const uid of byUid.keys()) out.push(`${a.mailbox} UID ${uid}: only on ${labels[1]}`);
  return out;
}

// ---------------------------------------------------------------- stored SYNC_CRCs

export interface StoredSyncCrcs {
  minorVersion: number;
  basic: number;
  /** SYNC_CRC_ANNOT, v13+ only. */
  annot?: number;
}

/**
 * The SYNC_CRC values stored in a cyrus.index header (offsets 100 and 120, versions 12+).
 * Read independently of src/format so the harness can check the codecs, not lean on them.
 */
export function storedSyncCrcs(index: Buffer): StoredSyncCrcs {
  if (index.length < 128) throw new Error(`cyrus.index too short (${index.length} bytes)`);
  const minorVersion = index.readUInt32BE(8);
  if (minorVersion < 12) throw new Error(`cyrus.index version ${minorVersion} has no SYNC_CRC`);
  return {
    minorVersion,
    basic: index.readUInt32BE(100),
    ...(minorVersion >= 13 ? { annot: index.readUInt32BE(120) } : {}),
  };
}

/** Stored SYNC_CRCs of a live mailbox (read from its cyrus.index via mbpath). */
export async function mailboxSyncCrcs(inst: CyrusInstance, mailbox: string): Promise<StoredSyncCrcs> {
  return storedSyncCrcs(readFileSync(join(await mbpath(inst, mailbox), 'cyrus.index')));
}

// ---------------------------------------------------------------- replication

/**
 * Every selectable mailbox an admin can LIST (internal names). Deleted mailboxes are not listed,
 * nor intermediate ones such as "shared" above "shared.team" (\Noselect / \NonExistent).
 */
export async function listMailboxes(inst: CyrusInstance): Promise<string[]> {
  return inst.withImap(undefined, async (c) =>
    (await c.list('*'))
      .filter((m) => !m.attributes.some((a) => /^\\(noselect|nonexistent)$/i.test(a)))
      .map((m) => m.name)
      .sort(),
  );
}

/**
 * Compares master and replica: the same mailboxes, equal IMAP views (flags by name), equal
 * stored SYNC_CRCs. Returns the differences (empty when converged).
 */
export async function compareReplica(
  master: CyrusInstance,
  replica: CyrusInstance,
  mailboxes?: string[],
  /** Users whose own view (their \Seen, from their seen.db) of shared mailboxes is compared too. */
  sharedViewers: string[] = [],
): Promise<string[]> {
  const out: string[] = [];
  const names = mailboxes ?? (await listMailboxes(master));
  if (!mailboxes) {
    const r = await listMailboxes(replica);
    if (names.join('\n') !== r.join('\n')) return [`mailbox lists differ: master [${names.join(', ')}] replica [${r.join(', ')}]`];
  }
  const [mDirs, rDirs] = [await mbpaths(master, names), await mbpaths(replica, names)];
  for (const mb of names) {
    out.push(...diffViews(await imapView(master, mb), await imapView(replica, mb), ['master', 'replica']));
    if (!ownerOf(mb)) {
      for (const as of sharedViewers) {
        const [m, r] = [await imapView(master, mb, { as }), await imapView(replica, mb, { as })];
        out.push(...diffViews(m, r, [`master as ${as}`, `replica as ${as}`]));
      }
    }
    const crcs = (dir: string) => storedSyncCrcs(readFileSync(join(dir, 'cyrus.index')));
    const [m, r] = [crcs(mDirs.get(mb)!), crcs(rDirs.get(mb)!)];
    if (m.basic !== r.basic || m.annot !== r.annot) {
      out.push(`${mb} stored SYNC_CRC: master ${m.basic}/${m.annot} ≠ replica ${r.basic}/${r.annot}`);
    }
  }
  return out;
}
