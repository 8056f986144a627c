// mailboxes.db records: keys and values of every generation Cyrus 3.6 can read.
//   3.6:      N<dbname> → dlist, I<uniqueid> → dlist (+ N, H), A… → '' (reverse ACLs)
//   2.5–3.4:  <internal name> → dlist `%(A … I … P … T … V … M …)`
//   2.4:      <internal name> → "<mbtype> <partition> <acl>" (optionally "(uniqueid X …) " first)
// Spec cyrus-db-seen-dlist.md §7; source imap/mboxlist.c @3.6.1 (`mboxlist_parse_entry`,
// `parseentry_cb`, `mboxlist_entry_dlist`, `mbname_from_dbname`) and @2.4.17 (mboxlist.h bits).
import { FormatError } from '../errors.js';
import { parseStrict } from '../dlist/strict.js';
import { printDlist } from '../dlist/print.js';
import type { DlistNode } from '../dlist/types.js';
import { atom, kvlist, list, num } from '../dlist/types.js';
import { aclEntries } from './header.js';

/** Which key layout a mailboxes.db uses. 'legacy' = key is the internal name (2.x – 3.4). */
export type MboxlistGeneration = '3.6' | 'legacy';

export type MailboxKind =
  | 'email'
  | 'netnews'
  | 'jmapsubmit'
  | 'jmappushsub'
  | 'sieve'
  | 'collection'
  | 'calendar'
  | 'addressbook'
  | 'unknown';

export interface MailboxTypeFlags {
  deleted: boolean;
  moving: boolean;
  remote: boolean;
  reserve: boolean;
  intermediate: boolean;
  legacyDirs: boolean;
  /** 2.4 only */
  netnews?: boolean;
}

export interface FormerName {
  /** Internal name (converted from the stored db-name). */
  name: string;
  dbname: string;
  mtime: number;
  uidvalidity: number;
  createdmodseq: bigint;
  foldermodseq: bigint;
  mbtype: string;
  partition: string | null;
}

/** One mailbox's data as `mboxlist_parse_entry` fills `mbentry_t`. */
export interface MboxEntry {
  /** How the value was stored. */
  valueFormat: 'dlist' | 'text';
  /** Type letters as stored (`T`); for text values, the letters of the equivalent 3.6 type. */
  mbtype: string;
  /** Numeric type with 3.6 bit values (`mboxlist_string_to_mbtype`, imap/mboxlist.h @3.6.1). */
  mbtypeBits: number;
  kind: MailboxKind;
  flags: MailboxTypeFlags;
  uniqueid: string | null;
  partition: string | null;
  server: string | null;
  /** `id TAB rights TAB …` ('' when the value has none). */
  acl: string;
  /** The dlist value had an `A` key (Cyrus writes one whenever its ACL is set, even empty). */
  aclPresent: boolean;
  uidvalidity: number;
  createdmodseq: bigint;
  foldermodseq: bigint;
  mtime: number;
  /** I-records only: the db-name in `N`. */
  dbname: string | null;
  /** I-records only: former names (`H`). */
  history: FormerName[];
  /** Text values of 2.5+: `(… specialuse X)`. */
  legacySpecialuse: string | null;
  /** Things Cyrus would silently misread or crash on (non-numeric numbers, unknown type letters). */
  anomalies: string[];
}

export type MboxlistRecord =
  | { kind: 'name'; dbname: string; name: string; entry: MboxEntry }
  | { kind: 'id'; uniqueid: string; entry: MboxEntry }
  | { kind: 'racl'; scope: 'user' | 'shared'; user: string; dbname: string }
  | { kind: 'racl-marker' }
  | { kind: 'legacy'; name: string; entry: MboxEntry };

// ---- type letters and bits -------------------------------------------------------------------

/** 3.6 numeric type bits (imap/mboxlist.h @3.6.1). */
export const MBTYPE = {
  EMAIL: 0x0,
  NETNEWS: 0x1,
  JMAPSUBMIT: 0x2,
  JMAPPUSHSUB: 0x3,
  SIEVE: 0x5,
  COLLECTION: 0x8,
  CALENDAR: 0x9,
  ADDRESSBOOK: 0xa,
  REMOTE: 1 << 4,
  RESERVE: 1 << 5,
  MOVING: 1 << 6,
  DELETED: 1 << 7,
  INTERMEDIATE: 1 << 8,
  LEGACY_DIRS: 1 << 9,
} as const;

/** 2.4 numeric type bits (imap/mboxlist.h @2.4.17). */
export const MBTYPE_24 = { REMOTE: 1, RESERVE: 2, NETNEWS: 4, MOVING: 8, DELETED: 16 } as const;

const KIND_LETTER: Record<string, [MailboxKind, number]> = {
  a: ['addressbook', MBTYPE.ADDRESSBOOK],
  b: ['collection', MBTYPE.COLLECTION],
  c: ['calendar', MBTYPE.CALENDAR],
  e: ['email', MBTYPE.EMAIL],
  n: ['netnews', MBTYPE.NETNEWS],
  p: ['jmappushsub', MBTYPE.JMAPPUSHSUB],
  s: ['jmapsubmit', MBTYPE.JMAPSUBMIT],
};
const FLAG_LETTER: Record<string, number> = {
  d: MBTYPE.DELETED,
  f: MBTYPE.SIEVE, // 3.6 accepts the sieve kind only in the flag loop
  i: MBTYPE.INTERMEDIATE,
  l: MBTYPE.LEGACY_DIRS,
  m: MBTYPE.MOVING,
  r: MBTYPE.REMOTE,
  z: MBTYPE.RESERVE,
};

/** `mboxlist_string_to_mbtype`; unknown letters (an assert() in Cyrus) are reported. */
export function mbtypeFromString(s: string, anomalies?: string[]): number {
  let bits = 0;
  let i = 0;
  const kind = KIND_LETTER[s[0] ?? ''];
  if (kind) {
    bits = kind[1];
    i = 1;
  }
  for (; i < s.length; i++) {
    const f = FLAG_LETTER[s[i]!];
    if (f === undefined) anomalies?.push(`unknown mailbox type letter ${JSON.stringify(s[i])} in ${JSON.stringify(s)}`);
    else bits |= f;
  }
  return bits;
}

/** `mboxlist_mbtype_to_string`: the canonical letters for these bits. */
export function mbtypeToString(bits: number): string {
  const kinds: Record<number, string> = { 0: 'e', 1: 'n', 8: 'b', 9: 'c', 10: 'a', 2: 's', 3: 'p', 5: 'f' };
  let s = kinds[bits & 0xf] ?? '';
  if (bits & MBTYPE.DELETED) s += 'd';
  if (bits & MBTYPE.MOVING) s += 'm';
  if (bits & MBTYPE.REMOTE) s += 'r';
  if (bits & MBTYPE.RESERVE) s += 'z';
  if (bits & MBTYPE.INTERMEDIATE) s += 'i';
  if (bits & MBTYPE.LEGACY_DIRS) s += 'l';
  return s;
}

function kindOf(bits: number): MailboxKind {
  const k = bits & 0xf;
  const byBits: Record<number, MailboxKind> = {
    0: 'email', 1: 'netnews', 2: 'jmapsubmit', 3: 'jmappushsub', 5: 'sieve', 8: 'collection', 9: 'calendar', 10: 'addressbook',
  };
  return byBits[k] ?? 'unknown';
}

function flagsOf(bits: number): MailboxTypeFlags {
  return {
    deleted: (bits & MBTYPE.DELETED) !== 0,
    moving: (bits & MBTYPE.MOVING) !== 0,
    remote: (bits & MBTYPE.REMOTE) !== 0,
    reserve: (bits & MBTYPE.RESERVE) !== 0,
    intermediate: (bits & MBTYPE.INTERMEDIATE) !== 0,
    legacyDirs: (bits & MBTYPE.LEGACY_DIRS) !== 0,
  };
}

/** A 2.4 numeric mbtype in 3.6 terms (2.4 has no kinds besides netnews). */
export function mbtype24To36(n: number): number {
  let bits = n & MBTYPE_24.NETNEWS ? MBTYPE.NETNEWS : MBTYPE.EMAIL;
  if (n & MBTYPE_24.REMOTE) bits |= MBTYPE.REMOTE;
  if (n & MBTYPE_24.RESERVE) bits |= MBTYPE.RESERVE;
  if (n & MBTYPE_24.MOVING) bits |= MBTYPE.MOVING;
  if (n & MBTYPE_24.DELETED) bits |= MBTYPE.DELETED;
  return bits;
}

// ---- names ---------------------------------------------------------------------------------

const DOMAINSEP = '\x1d';
const HIERSEP = '\x1f';

/** `domain<sep>rest` → [domain, rest]; [null, name] without a domain. */
function splitDomain(name: string, sep: string): [string | null, string] {
  const at = name.indexOf(sep);
  return at < 0 ? [null, name] : [name.slice(0, at), name.slice(at + 1)];
}

/** 3.6 db-name → internal name (`mbname_from_dbname` + `mbname_intname`). */
export function dbnameToIntname(dbname: string, deletedPrefix = 'DELETED'): string {
  const [domain, rest] = splitDomain(dbname, DOMAINSEP);
  if (rest === '') return domain ? `${domain}!` : '';
  const boxes = rest.split(HIERSEP);
  let deletedHex: string | null = null;
  if (boxes.length > 2 && boxes[0] === deletedPrefix) {
    boxes.shift();
    const v = Number.parseInt(boxes.pop()!, 16); // strtoul(…, 16), printed back with %X
    deletedHex = (Number.isNaN(v) ? 0 : v >>> 0).toString(16).toUpperCase();
  }
  const parts = boxes.map((b) => b.replaceAll('.', '^'));
  if (deletedHex !== null) parts.unshift(deletedPrefix), parts.push(deletedHex);
  return (domain ? `${domain}!` : '') + parts.join('.');
}

/** Internal name → 3.6 db-name (`mboxname_to_dbname`). */
export function intnameToDbname(intname: string): string {
  const [domain, rest] = splitDomain(intname, '!');
  const parts = rest === '' ? [] : rest.split('.').map((b) => b.replaceAll('^', '.'));
  return (domain ? domain + DOMAINSEP : '') + parts.join(HIERSEP);
}

/** Owner of a mailbox (`mbname_userid`, spec §7.4): `local[@domain]` or null. */
export function ownerOfDbname(dbname: string, deletedPrefix = 'DELETED'): string | null {
  const [domain, rest] = splitDomain(dbname, DOMAINSEP);
  const boxes = rest.split(HIERSEP);
  if (boxes.length > 2 && boxes[0] === deletedPrefix) boxes.splice(0, 1), boxes.pop();
  if (boxes.length > 1 && boxes[0] === 'user') return domain ? `${boxes[1]}@${domain}` : boxes[1]!;
  return null;
}

/** Owner from an internal name (2.x keys): the userid, with `^` turned back into `.`. */
export function ownerOfIntname(intname: string, deletedPrefix = 'DELETED'): string | null {
  return ownerOfDbname(intnameToDbname(intname), deletedPrefix);
}

// ---- values --------------------------------------------------------------------------------

function emptyEntry(valueFormat: 'dlist' | 'text'): MboxEntry {
  return {
    valueFormat,
    mbtype: 'e',
    mbtypeBits: 0,
    kind: 'email',
    flags: flagsOf(0),
    uniqueid: null,
    partition: null,
    server: null,
    acl: '',
    aclPresent: false,
    uidvalidity: 0,
    createdmodseq: 0n,
    foldermodseq: 0n,
    mtime: 0,
    dbname: null,
    history: [],
    legacySpecialuse: null,
    anomalies: [],
  };
}

const str = (n: DlistNode): string | null =>
  n.type === 'atom' ? n.value : n.type === 'buf' ? n.value.toString('latin1') : null;

/** C's atoi/strtoull: leading decimal digits, else 0. Anything else is an anomaly. */
function cnum(v: string | null, what: string, anomalies: string[]): bigint {
  const m = /^[0-9]*/.exec(v ?? '')![0];
  if (v === null || m.length !== v.length || m.length === 0) anomalies.push(`${what} is not a number: ${JSON.stringify(v)}`);
  return m ? BigInt(m) : 0n;
}
const u32 = (b: bigint) => Number(BigInt.asUintN(32, b));

function setType(e: MboxEntry, letters: string | null): void {
  if (letters === null) {
    e.anomalies.push('type is NIL');
    letters = '';
  }
  e.mbtype = letters;
  e.mbtypeBits = mbtypeFromString(letters, e.anomalies);
  e.kind = kindOf(e.mbtypeBits);
  e.flags = flagsOf(e.mbtypeBits);
}

function decodeDlistValue(value: Buffer, deletedPrefix: string): MboxEntry {
  const e = emptyEntry('dlist');
  const top = parseStrict(value).node;
  if (top.type !== 'kvlist') throw new FormatError('BAD_SYNTAX', 'mailboxes.db value is a dlist but not a kvlist', 0);
  const acl: string[] = [];
  for (const { key, value: v } of top.items) {
    if (key === 'A' && v.type === 'kvlist') {
      for (const it of v.items) acl.push(`${it.key}\t${str(it.value) ?? ''}\t`);
      e.aclPresent = true;
      continue;
    }
    if (key === 'H' && v.type === 'list') {
      for (const h of v.items) if (h.type === 'kvlist') e.history.push(formerName(h.items, deletedPrefix, e.anomalies));
      continue;
    }
    const s = str(v);
    switch (key) {
      case 'T': setType(e, s); break;
      case 'N': e.dbname = s; break;
      case 'I': e.uniqueid = s; break;
      case 'P': e.partition = s; break;
      case 'S': e.server = s; break;
      case 'V': e.uidvalidity = u32(cnum(s, 'uidvalidity (V)', e.anomalies)); break;
      case 'C': e.createdmodseq = cnum(s, 'createdmodseq (C)', e.anomalies); break;
      case 'F': e.foldermodseq = cnum(s, 'foldermodseq (F)', e.anomalies); break;
      case 'M': e.mtime = Number(cnum(s, 'mtime (M)', e.anomalies)); break;
    }
  }
  e.acl = acl.join('');
  return e;
}

function formerName(items: ReadonlyArray<{ key: string; value: DlistNode }>, dp: string, anomalies: string[]): FormerName {
  const f: FormerName = { name: '', dbname: '', mtime: 0, uidvalidity: 0, createdmodseq: 0n, foldermodseq: 0n, mbtype: '', partition: null };
  for (const { key, value } of items) {
    const s = str(value);
    switch (key) {
      case 'N': f.dbname = s ?? ''; f.name = dbnameToIntname(f.dbname, dp); break;
      case 'M': f.mtime = Number(cnum(s, 'history mtime', anomalies)); break;
      case 'V': f.uidvalidity = u32(cnum(s, 'history uidvalidity', anomalies)); break;
      case 'C': f.createdmodseq = cnum(s, 'history createdmodseq', anomalies); break;
      case 'F': f.foldermodseq = cnum(s, 'history foldermodseq', anomalies); break;
      case 'T': f.mbtype = s ?? ''; mbtypeFromString(f.mbtype, anomalies); break;
      case 'P': f.partition = s; break;
    }
  }
  return f;
}

/**
 * The text value forms: `[(uniqueid X specialuse Y) ]<mbtype> [server!]<partition> <acl>`.
 * `bits24`: the number uses 2.4's bit values (true when reading a 2.x database) rather than 3.6's.
 */
function decodeTextValue(value: Buffer, bits24: boolean): MboxEntry {
  const e = emptyEntry('text');
  let p = value.toString('latin1');
  if (p.startsWith('(')) {
    p = p.slice(1);
    for (;;) {
      const m = /^([^ )]*) ([^ )]*)([ )]?)/.exec(p);
      if (!m) break;
      if (m[1] === 'uniqueid') e.uniqueid = m[2]!;
      else if (m[1] === 'specialuse') e.legacySpecialuse = m[2]!;
      p = p.slice(m[0].length);
      if (m[3] !== ' ') break;
    }
    if (p.startsWith(' ')) p = p.slice(1);
  }
  const num = /^[-+]?[0-9]*/.exec(p)![0];
  if (!/[0-9]/.test(num)) e.anomalies.push(`mbtype is not a number: ${JSON.stringify(p.slice(0, 10))}`);
  const n = Number.parseInt(num, 10) || 0;
  p = p.slice(num.length);
  if (p.startsWith(' ')) p = p.slice(1);
  const bits = bits24 ? mbtype24To36(n) : n;
  e.mbtypeBits = bits;
  e.mbtype = mbtypeToString(bits);
  e.kind = kindOf(bits);
  e.flags = flagsOf(bits);
  if (bits24) e.flags.netnews = (n & MBTYPE_24.NETNEWS) !== 0;
  let q = 0;
  while (q < p.length && p[q] !== ' ' && p[q] !== '!') q++;
  if (p[q] === '!') {
    e.server = p.slice(0, q);
    p = p.slice(q + 1);
    q = 0;
    while (q < p.length && p[q] !== ' ') q++;
  }
  e.partition = p.slice(0, q);
  e.acl = p.slice(q + 1);
  e.aclPresent = true;
  return e;
}

/**
 * Decodes one value as `mboxlist_parse_entry` does: a dlist if it starts with `%`, else one of
 * the text forms. `bits24` chooses 2.4's numeric type bits for text values.
 */
export function decodeMboxlistValue(value: Buffer, opts: { bits24?: boolean; deletedPrefix?: string } = {}): MboxEntry {
  if (value.length === 0) throw new FormatError('BAD_VALUE', 'empty mailboxes.db value', 0);
  if (value[0] === 0x25) return decodeDlistValue(value, opts.deletedPrefix ?? 'DELETED');
  return decodeTextValue(value, opts.bits24 ?? false);
}

/** Decodes one key/value pair of a mailboxes.db of the given generation. */
export function decodeMboxlistRecord(
  key: Buffer,
  value: Buffer,
  gen: MboxlistGeneration,
  opts: { deletedPrefix?: string } = {},
): MboxlistRecord {
  const dp = opts.deletedPrefix ?? 'DELETED';
  const k = key.toString('latin1');
  if (gen === 'legacy') {
    // A 2.5–3.4 dlist value or a 2.x text value; text numbers there use 2.4's bits.
    return { kind: 'legacy', name: k, entry: decodeMboxlistValue(value, { bits24: true, deletedPrefix: dp }) };
  }
  if (k.length === 0) throw new FormatError('BAD_VALUE', 'empty mailboxes.db key', 0);
  const rest = k.slice(1);
  switch (k[0]) {
    case 'N':
      return { kind: 'name', dbname: rest, name: dbnameToIntname(rest, dp), entry: decodeMboxlistValue(value, { deletedPrefix: dp }) };
    case 'I':
      return { kind: 'id', uniqueid: rest, entry: decodeMboxlistValue(value, { deletedPrefix: dp }) };
    case 'A': {
      const scope = rest[0] === 'U' ? 'user' : rest[0] === 'S' ? 'shared' : null;
      if (!scope || rest[1] !== '\x1e') throw new FormatError('BAD_VALUE', `unknown reverse-ACL key ${JSON.stringify(k)}`, 0);
      const body = rest.slice(2);
      if (body === '') return { kind: 'racl-marker' };
      const sep = body.indexOf('\x1e');
      return sep < 0
        ? { kind: 'racl', scope, user: body, dbname: '' }
        : { kind: 'racl', scope, user: body.slice(0, sep), dbname: body.slice(sep + 1) };
    }
    default:
      throw new FormatError('BAD_VALUE', `mailboxes.db key with unknown type byte ${JSON.stringify(k[0])}`, 0);
  }
}

/**
 * Which layout a whole mailboxes.db uses. 3.6 writes an I record (value with an `N` key) for
 * every mailbox and 0x1F inside names; older generations key by internal name.
 */
export function detectMboxlistGeneration(records: Iterable<{ key: Buffer; value: Buffer }>): MboxlistGeneration {
  for (const { key, value } of records) {
    if (key.includes(0x1f) && (key[0] === 0x4e || key[0] === 0x49)) return '3.6';
    if (key[0] === 0x49 && value[0] === 0x25) {
      try {
        const top = parseStrict(value).node;
        if (top.type === 'kvlist' && top.items.some((i) => i.key === 'N')) return '3.6';
      } catch {
        // a broken value says nothing about the layout
      }
    }
  }
  return 'legacy';
}

/** One mailbox as a checker needs it (spec §7.4). */
export interface MailboxListing {
  /** Internal name (`user.foo.Sent`, `DELETED.user.foo.6B0B123A`, `example.com!user.bar`). */
  name: string;
  /** 3.6 db-name (null for older databases). */
  dbname: string | null;
  uniqueid: string | null;
  partition: string | null;
  server: string | null;
  kind: MailboxKind;
  mbtype: string;
  deleted: boolean;
  remote: boolean;
  intermediate: boolean;
  moving: boolean;
  reserve: boolean;
  legacyDirs: boolean;
  owner: string | null;
  acl: string;
  uidvalidity: number;
  anomalies: string[];
}

/**
 * Every mailbox entry of a mailboxes.db (3.6: the N records; older: every record), including
 * tombstones and intermediates — filter on `deleted`/`intermediate` as needed. Records that do not
 * decode are reported through `onError` (default: thrown).
 */
export function* listMailboxes(
  records: Iterable<{ key: Buffer; value: Buffer }>,
  opts: { generation?: MboxlistGeneration; deletedPrefix?: string; onError?: (key: Buffer, e: FormatError) => void } = {},
): Generator<MailboxListing> {
  const recs = Array.isArray(records) ? (records as Array<{ key: Buffer; value: Buffer }>) : [...records];
  const gen = opts.generation ?? detectMboxlistGeneration(recs);
  const dp = opts.deletedPrefix ?? 'DELETED';
  for (const { key, value } of recs) {
    if (gen === '3.6' && key[0] !== 0x4e) continue;
    let r: MboxlistRecord;
    try {
      r = decodeMboxlistRecord(key, value, gen, { deletedPrefix: dp });
    } catch (e) {
      if (e instanceof FormatError && opts.onError) {
        opts.onError(key, e);
        continue;
      }
      throw e;
    }
    if (r.kind !== 'name' && r.kind !== 'legacy') continue;
    const e = r.entry;
    yield {
      name: r.name,
      dbname: r.kind === 'name' ? r.dbname : null,
      uniqueid: e.uniqueid,
      partition: e.partition,
      server: e.server,
      kind: e.kind,
      mbtype: e.mbtype,
      deleted: e.flags.deleted,
      remote: e.flags.remote,
      intermediate: e.flags.intermediate,
      moving: e.flags.moving,
      reserve: e.flags.reserve,
      // A pre-3.5 database knows only name-based folders: 3.6's mboxlist_upgrade gives every
      // entry MBTYPE_LEGACY_DIRS (imap/mboxlist.c _foreach_cb), even when it has a uniqueid.
      legacyDirs: e.flags.legacyDirs || r.kind === 'legacy',
      owner: r.kind === 'name' ? ownerOfDbname(r.dbname, dp) : ownerOfIntname(r.name, dp),
      acl: e.acl,
      uidvalidity: e.uidvalidity,
      anomalies: e.anomalies,
    };
  }
}

/** ACL string → `{identifier: rights}` (what ctl_mboxlist -d prints). */
export const aclObject = (acl: string): Record<string, string> =>
  Object.fromEntries(aclEntries(acl).map((e) => [e.identifier, e.rights]));

/**
 * The 3.6 dlist value Cyrus writes for this entry (`mboxlist_entry_dlist`): for an N record
 * (`I` = uniqueid) or an I record (`N` = db-name, plus the `H` history). `M` is the entry's
 * mtime (Cyrus stamps the time of the write; pass a new one to imitate that).
 */
export function encodeMboxlistValue(e: MboxEntry, record: 'name' | 'id', dbname?: string): Buffer {
  const items: Array<[string, DlistNode]> = [['T', atom(mbtypeToString(e.mbtypeBits))]];
  if (record === 'id') {
    const n = dbname ?? e.dbname;
    if (n === null || n === undefined) throw new FormatError('BAD_VALUE', 'an I record needs the db-name', 0);
    items.push(['N', atom(n)]);
  } else if (e.uniqueid !== null) items.push(['I', atom(e.uniqueid)]);
  if (e.partition !== null) items.push(['P', atom(e.partition)]);
  if (e.server !== null) items.push(['S', atom(e.server)]);
  if (e.uidvalidity) items.push(['V', num(e.uidvalidity)]);
  if (e.createdmodseq) items.push(['C', num(e.createdmodseq)]);
  if (e.foldermodseq) items.push(['F', num(e.foldermodseq)]);
  items.push(['M', num(e.mtime)]);
  if (e.aclPresent) items.push(['A', kvlist(...aclEntries(e.acl).map((a): [string, DlistNode] => [a.identifier, atom(a.rights)]))]);
  if (record === 'id') {
    const hist = e.history.map((h) => {
      const hi: Array<[string, DlistNode]> = [['N', atom(h.dbname || intnameToDbname(h.name))]];
      if (h.mtime) hi.push(['M', num(h.mtime)]);
      if (h.uidvalidity) hi.push(['V', num(h.uidvalidity)]);
      if (h.createdmodseq) hi.push(['C', num(h.createdmodseq)]);
      if (h.foldermodseq) hi.push(['F', num(h.foldermodseq)]);
      hi.push(['T', atom(mbtypeToString(mbtypeFromString(h.mbtype)))]);
      if (h.partition !== null) hi.push(['P', atom(h.partition)]);
      return kvlist(...hi);
    });
    items.push(['H', list(...hist)]);
  }
  return printDlist(kvlist(...items));
}
