// SYNC_CRC ("basic") and SYNC_CRC_ANNOT, the replication checksums stored in the cyrus.index
// header (spec cyrus-mailbox-format.md §10, cyrus-db-seen-dlist.md §11; Cyrus imap/mailbox.c
// crc_basic, crc_annot, crc_virtannot, mailbox_synccrcs). Both are XORs of per-record CRC32s, so
// order does not matter. Every behaviour that differs between Cyrus releases is a parameter
// (SyncCrcAlgorithm), because the value must match what the Cyrus that reads the mailbox computes.
// Strings (flag names, entries, userids, string values) are byte strings, one char per byte
// (latin1), as src/format/header.ts and annotations.ts produce them: Cyrus hashes raw bytes.
import { crc32 } from 'node:zlib';
import { isExpunged, SYSTEM_FLAG_NAMES } from './index/flags.js';

export interface SyncCrcAlgorithm {
  /**
   * 'lowercase': flag names hashed ASCII-lower-cased (every release, 2.4 on).
   * 'asPrinted': hashed as IMAP prints them (`\Flagged`); only reproduces the 2010 pre-release
   * example in the dlist spec (§9.7), kept to recognise such values.
   */
  flagCase: 'lowercase' | 'asPrinted';
  /** SYNC_CRC_ANNOT start value: 0 in 2.5.0–3.1.7, 12345678 (CRC_INIT_ANNOT) from 3.1.8. */
  annotInit: number;
  /**
   * Text of the virtual `thrid` (and v20 `basethrid`): 'unpadded' = `%llx` (every release up to
   * 3.12), 'padded' = `%016llx` (master since commit 5717e7bd9e).
   */
  thrid: 'unpadded' | 'padded';
  /** Annotations whose key has no userid: 'skip' (3.1.7+) or hash as '' (2.5.0–3.1.6). */
  nullUserid: 'skip' | 'empty';
}

/** The algorithm of each Cyrus family; '3.x' is 3.1.8 to 3.12 (the installed 3.6.1 included). */
export const SYNC_CRC_ALGORITHMS = {
  /** 2.4 has no SYNC_CRC_ANNOT; the annot fields only matter from 2.5 on. */
  '2.4': { flagCase: 'lowercase', annotInit: 0, thrid: 'unpadded', nullUserid: 'empty' },
  '2.5': { flagCase: 'lowercase', annotInit: 0, thrid: 'unpadded', nullUserid: 'empty' },
  '3.1.7': { flagCase: 'lowercase', annotInit: 0, thrid: 'unpadded', nullUserid: 'skip' },
  '3.x': { flagCase: 'lowercase', annotInit: 12345678, thrid: 'unpadded', nullUserid: 'skip' },
  master: { flagCase: 'lowercase', annotInit: 12345678, thrid: 'padded', nullUserid: 'skip' },
  /** The 2010 development example: flag names not lower-cased. */
  'dev-2010': { flagCase: 'asPrinted', annotInit: 0, thrid: 'unpadded', nullUserid: 'empty' },
} as const satisfies Record<string, SyncCrcAlgorithm>;

export const DEFAULT_SYNC_CRC_ALGORITHM: SyncCrcAlgorithm = SYNC_CRC_ALGORITHMS['3.x'];

/** The record fields SYNC_CRC reads (an IndexRecord has them all). */
export interface SyncCrcRecord {
  uid: number;
  /** Absent before v8: hashed as 0, like Cyrus's zeroed record. */
  modseq?: bigint;
  lastUpdated: number;
  internaldate: number;
  systemFlags: number;
  internalFlags: number;
  userFlags: readonly number[];
  /** Absent before v10: hashed as 40 zeros. */
  guid?: string;
}

/** Extra record fields SYNC_CRC_ANNOT reads as virtual annotations. */
export interface SyncCrcAnnotRecord extends SyncCrcRecord {
  cid?: bigint;
  savedate?: number;
  createdmodseq?: bigint;
  basecid?: bigint;
  nsec?: { internaldate?: number };
}

/** A stored per-message annotation, after tombstone removal and owner-token translation. */
export interface SyncCrcAnnotation {
  uid: number;
  entry: string;
  userid: string | null;
  value: Buffer | string;
}

/** Cyrus lcase(): ASCII A–Z only, every other byte unchanged. */
const asciiLower = (b: Buffer) => Buffer.from(b.map((c) => (c >= 0x41 && c <= 0x5a ? c + 32 : c)));

const ZERO_GUID = '0'.repeat(40);

/*
 * CRC32 computed here in JS, fed byte by byte as the hashed text is produced: per record the text
 * is ~90 bytes of digits and hex, and building a string per field and handing it to zlib (which
 * re-encodes it) cost more than the CRC itself (~3 µs per record, most of `check`'s SYNC_CRC
 * time). The state is zlib's inner value: ~crc. Chars are fed as their latin1 byte (code & 0xff),
 * which is what Buffer.from(s, 'latin1') gives and, for ASCII, zlib's UTF-8.
 */
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** Start state for a CRC continuing `crc` (0 for a fresh one). */
const crcStart = (crc: number) => ~crc;
/** The CRC value of a state. */
const crcEnd = (state: number) => ~state >>> 0;
const feedByte = (s: number, b: number) => CRC_TABLE[(s ^ b) & 0xff]! ^ (s >>> 8);

function feedLatin1(s: number, str: string): number {
  for (let i = 0; i < str.length; i++) s = CRC_TABLE[(s ^ str.charCodeAt(i)) & 0xff]! ^ (s >>> 8);
  return s;
}

const DIGITS = new Uint8Array(64);
const HEX_CODES = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** Feeds `n` (a non-negative integer below 2^53) printed in `radix` (10: %u, 16: %x). */
function feedNumber(s: number, n: number, radix: number): number {
  let k = 0;
  if (n < 0x80000000) {
    // Small int arithmetic: most values (uids, times, CRCs, cids below 2^31) stay on this path.
    let m = n | 0;
    do {
      const q = (m / radix) | 0;
      DIGITS[k++] = m - q * radix;
      m = q;
    } while (m > 0);
  } else {
    do {
      DIGITS[k++] = n % radix;
      n = Math.floor(n / radix);
    } while (n > 0);
  }
  while (k > 0) s = feedByte(s, HEX_CODES[DIGITS[--k]!]!);
  return s;
}

/** Feeds a u64 printed like %llu / %llx: one Number when exact, the bigint's text otherwise. */
const feedBig = (s: number, v: bigint, radix: number) =>
  v <= 0x1fffffffffffffn ? feedNumber(s, Number(v), radix) : feedLatin1(s, v.toString(radix));


/** Flag-name CRCs by case rule and name: the same few names recur in every mailbox. */
const FLAG_CRC_MEMO = { lowercase: new Map<string, number>(), asPrinted: new Map<string, number>() };
const FLAG_CRC_MEMO_MAX = 4096;

function flagCrc(name: string, alg: SyncCrcAlgorithm): number {
  const memo = FLAG_CRC_MEMO[alg.flagCase];
  let crc = memo.get(name);
  if (crc === undefined) {
    const bytes = Buffer.from(name, 'latin1');
    crc = crc32(alg.flagCase === 'lowercase' ? asciiLower(bytes) : bytes);
    if (memo.size >= FLAG_CRC_MEMO_MAX) memo.clear();
    memo.set(name, crc);
  }
  return crc;
}

type Names = ReadonlyArray<string | null | undefined>;

/** CRC of each system flag bit and each named user flag slot, computed once per mailbox. */
interface FlagCrcs {
  system: ReadonlyArray<readonly [number, number]>;
  /** CRC of flag n's name at [n]; 0 for an unnamed slot (XOR with 0 changes nothing). */
  user: Uint32Array;
}

function flagCrcs(userFlagNames: Names, alg: SyncCrcAlgorithm): FlagCrcs {
  const user = new Uint32Array(128);
  for (let n = 0; n < 128; n++) {
    const name = userFlagNames[n];
    if (name) user[n] = flagCrc(name, alg);
  }
  return { system: SYSTEM_FLAG_NAMES.map(([bit, name]) => [bit, flagCrc(name, alg)] as const), user };
}

function flagCrcOf(record: Pick<SyncCrcRecord, 'systemFlags' | 'userFlags'>, t: FlagCrcs): number {
  let crc = 0;
  const sys = t.system;
  for (let i = 0; i < sys.length; i++) if (record.systemFlags & sys[i]![0]) crc ^= sys[i]![1];
  // Visit only the set bits of each user-flag word, not every named slot.
  for (let i = 0; i < 4; i++) {
    let w = (record.userFlags[i] ?? 0) >>> 0;
    while (w !== 0) {
      const low = w & -w;
      crc ^= t.user[i * 32 + 31 - Math.clz32(low)]!;
      w = (w ^ low) >>> 0;
    }
  }
  return crc >>> 0;
}

/**
 * XOR of CRC32s of the set flags' names: system flags, then user flags that have a name in
 * cyrus.header (`userFlagNames[n]` for flag n; empty/missing slots are ignored, as in Cyrus).
 */
export function syncFlagCrc(
  record: Pick<SyncCrcRecord, 'systemFlags' | 'userFlags'>,
  userFlagNames: Names,
  alg: SyncCrcAlgorithm = DEFAULT_SYNC_CRC_ALGORITHM,
): number {
  return flagCrcOf(record, flagCrcs(userFlagNames, alg));
}

function basicString(record: SyncCrcRecord, flags: number): string {
  const guid = record.guid || ZERO_GUID;
  return `${record.uid} ${record.modseq ?? 0n} ${record.lastUpdated} (${flags}) ${record.internaldate} ${guid}`;
}

function basicCrc(record: SyncCrcRecord, t: FlagCrcs): number {
  if (isExpunged(record)) return 0;
  // The bytes of basicString(), fed as they are produced.
  let s = crcStart(0);
  s = feedByte(feedNumber(s, record.uid, 10), SP);
  s = feedByte(feedBig(s, record.modseq ?? 0n, 10), SP);
  s = feedByte(feedByte(feedNumber(s, record.lastUpdated, 10), SP), LPAREN);
  s = feedByte(feedByte(feedNumber(s, flagCrcOf(record, t), 10), RPAREN), SP);
  s = feedByte(feedNumber(s, record.internaldate, 10), SP);
  return crcEnd(feedLatin1(s, record.guid || ZERO_GUID));
}

const SP = 0x20;
const LPAREN = 0x28;
const RPAREN = 0x29;

/** The string crc_basic hashes: `<uid> <modseq> <last_updated> (<flagcrc>) <internaldate> <guid>`. */
export function syncCrcBasicString(
  record: SyncCrcRecord,
  userFlagNames: Names,
  alg: SyncCrcAlgorithm = DEFAULT_SYNC_CRC_ALGORITHM,
): string {
  return basicString(record, syncFlagCrc(record, userFlagNames, alg));
}

/** One record's SYNC_CRC contribution; 0 for an EXPUNGED record. */
export function syncCrcBasicRecord(
  record: SyncCrcRecord,
  userFlagNames: Names,
  alg: SyncCrcAlgorithm = DEFAULT_SYNC_CRC_ALGORITHM,
): number {
  return basicCrc(record, flagCrcs(userFlagNames, alg));
}

/** SYNC_CRC of a mailbox: 0 XOR every record's contribution. */
export function syncCrcBasic(
  records: Iterable<SyncCrcRecord>,
  userFlagNames: Names,
  alg: SyncCrcAlgorithm = DEFAULT_SYNC_CRC_ALGORITHM,
): number {
  const t = flagCrcs(userFlagNames, alg);
  let crc = 0;
  for (const r of records) crc ^= basicCrc(r, t);
  return crc >>> 0;
}

/** crc_annot: CRC32 of `<uid> SP <entry> SP <userid> SP` followed by the raw value bytes. */
export function crcAnnot(
  uid: number,
  entry: string,
  userid: string | null,
  value: Buffer | string,
  alg: SyncCrcAlgorithm = DEFAULT_SYNC_CRC_ALGORITHM,
): number {
  if (userid === null && alg.nullUserid === 'skip') return 0;
  // CRC32 continues over pieces, so the prefix and value are never joined into one Buffer.
  let s = feedByte(feedNumber(crcStart(0), uid, 10), SP);
  s = feedByte(feedLatin1(feedByte(feedLatin1(s, entry), SP), userid ?? ''), SP);
  return typeof value === 'string' ? crcEnd(feedLatin1(s, value)) : crc32(value, crcEnd(s));
}

export const ANNOT_NS = '/vendor/cmu/cyrus-imapd/';

/** Entries that index minor `version` keeps in the record, not in cyrus.annotations. */
export function isVirtualAnnotation(entry: string, version: number): boolean {
  if (!entry.startsWith(ANNOT_NS)) return false;
  const name = entry.slice(ANNOT_NS.length);
  const since: Record<string, number> = {
    thrid: 13,
    savedate: 15,
    createdmodseq: 16,
    basethrid: 20,
    'internaldate.nsec': 20,
  };
  return since[name] !== undefined && version >= since[name]!;
}

/** The record fields minor `version` presents as annotations (entry, value text), in Cyrus's order. */
export function virtualAnnotations(
  record: SyncCrcAnnotRecord,
  version: number,
  alg: SyncCrcAlgorithm = DEFAULT_SYNC_CRC_ALGORITHM,
): Array<{ entry: string; value: string }> {
  const hex = (v: bigint) => (alg.thrid === 'padded' ? v.toString(16).padStart(16, '0') : v.toString(16));
  const out: Array<{ entry: string; value: string }> = [];
  const ns = record.nsec?.internaldate ?? 0;
  if (version >= 20 && ns > 0 && ns < 1e9) out.push({ entry: 'internaldate.nsec', value: String(ns) });
  if (version >= 20 && record.basecid) out.push({ entry: 'basethrid', value: hex(record.basecid) });
  if (version >= 16 && record.createdmodseq) out.push({ entry: 'createdmodseq', value: String(record.createdmodseq) });
  if (version >= 15 && record.savedate) out.push({ entry: 'savedate', value: String(record.savedate) });
  if (version >= 13 && record.cid) out.push({ entry: 'thrid', value: hex(record.cid) });
  return out.map(({ entry, value }) => ({ entry: ANNOT_NS + entry, value }));
}

/**
 * Feeding a fixed text to a CRC state is affine over GF(2): feed(s, t) = feed(0, t) ^ L(s), with L
 * linear, so L is four 256-entry tables (one per byte of s). The ~40 fixed bytes of a virtual
 * annotation's ` <entry>  ` then cost four lookups instead of a loop.
 */
function fixedText(text: string): (s: number) => number {
  const base = feedLatin1(0, text);
  const t = new Int32Array(1024);
  for (let j = 0; j < 4; j++) for (let b = 0; b < 256; b++) t[j * 256 + b] = feedLatin1(b << (8 * j), text) ^ base;
  return (s) => base ^ t[s & 0xff]! ^ t[256 + ((s >>> 8) & 0xff)]! ^ t[512 + ((s >>> 16) & 0xff)]! ^ t[768 + (s >>> 24)]!;
}

/** ` <ANNOT_NS><name> ` + userid '' + ` `: what follows the uid in a virtual annotation's crcAnnot text. */
const virtualEntry = (name: string) => fixedText(` ${ANNOT_NS}${name}  `);

/** crcAnnot of a virtual annotation whose value is a number printed in `radix` (or padded hex text). */
function virtCrc(uid: number, entry: (s: number) => number, value: bigint | number, radix: number, alg: SyncCrcAlgorithm): number {
  const s = entry(feedNumber(crcStart(0), uid, 10));
  if (radix === 16 && alg.thrid === 'padded') return crcEnd(feedLatin1(s, BigInt(value).toString(16).padStart(16, '0')));
  return crcEnd(typeof value === 'bigint' ? feedBig(s, value, radix) : feedNumber(s, value, radix));
}

const V_NSEC = virtualEntry('internaldate.nsec');
const V_BASETHRID = virtualEntry('basethrid');
const V_CREATEDMODSEQ = virtualEntry('createdmodseq');
const V_SAVEDATE = virtualEntry('savedate');
const V_THRID = virtualEntry('thrid');

/** One record's virtual-annotation contribution; 0 for an EXPUNGED record. */
export function syncCrcVirtualRecord(
  record: SyncCrcAnnotRecord,
  version: number,
  alg: SyncCrcAlgorithm = DEFAULT_SYNC_CRC_ALGORITHM,
): number {
  if (isExpunged(record)) return 0;
  // The entries and values of virtualAnnotations(), hashed directly (no array or string per record).
  const uid = record.uid;
  let crc = 0;
  if (version >= 20) {
    const ns = record.nsec?.internaldate ?? 0;
    if (ns > 0 && ns < 1e9) crc ^= virtCrc(uid, V_NSEC, ns, 10, alg);
    if (record.basecid) crc ^= virtCrc(uid, V_BASETHRID, record.basecid, 16, alg);
  }
  if (version >= 16 && record.createdmodseq) crc ^= virtCrc(uid, V_CREATEDMODSEQ, record.createdmodseq, 10, alg);
  if (version >= 15 && record.savedate) crc ^= virtCrc(uid, V_SAVEDATE, record.savedate, 10, alg);
  if (version >= 13 && record.cid) crc ^= virtCrc(uid, V_THRID, record.cid, 16, alg);
  return crc >>> 0;
}

/**
 * SYNC_CRC_ANNOT of a mailbox at index minor `version`: annotInit XOR, over records that are not
 * EXPUNGED, their virtual annotations and their stored annotations (entries virtual at this
 * version skipped). Annotations of uids with no live record, and uid 0, do not count.
 */
export function syncCrcAnnot(
  records: Iterable<SyncCrcAnnotRecord>,
  annotations: Iterable<SyncCrcAnnotation>,
  version: number,
  alg: SyncCrcAlgorithm = DEFAULT_SYNC_CRC_ALGORITHM,
): number {
  let crc = alg.annotInit;
  const recs: readonly SyncCrcAnnotRecord[] = Array.isArray(records) ? records : [...records];
  for (const r of recs) crc ^= syncCrcVirtualRecord(r, version, alg);
  const stored: SyncCrcAnnotation[] = [];
  for (const a of annotations) {
    if (a.uid !== 0 && a.value.length !== 0 && !isVirtualAnnotation(a.entry, version)) stored.push(a);
  }
  if (stored.length === 0) return crc >>> 0;
  // The set of live uids only when there are stored annotations to match (most mailboxes have none).
  const live = new Set<number>();
  for (const r of recs) if (!isExpunged(r)) live.add(r.uid);
  for (const a of stored) if (live.has(a.uid)) crc ^= crcAnnot(a.uid, a.entry, a.userid, a.value, alg);
  return crc >>> 0;
}

export type SyncCrcAlgorithmName = keyof typeof SYNC_CRC_ALGORITHMS;

/**
 * Which released algorithm families reproduce a stored SYNC_CRC_ANNOT (the seed and the thrid
 * format cannot be read from the file, spec §14.3): names whose computation equals `stored`.
 * Empty means no variant matches, i.e. a real mismatch.
 */
export function matchingAnnotAlgorithms(
  records: readonly SyncCrcAnnotRecord[],
  annotations: readonly SyncCrcAnnotation[],
  version: number,
  stored: number,
): SyncCrcAlgorithmName[] {
  const names = Object.keys(SYNC_CRC_ALGORITHMS) as SyncCrcAlgorithmName[];
  return names.filter(
    (n) => n !== 'dev-2010' && syncCrcAnnot(records, annotations, version, SYNC_CRC_ALGORITHMS[n]) === stored >>> 0,
  );
}
