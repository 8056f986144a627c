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

/** True when every char is < 0x80: then zlib's UTF-8 encoding of the string equals its latin1 bytes. */
const isAscii = (s: string) => !/[^\x00-\x7f]/.test(s);

/**
 * CRC32 of the latin1 bytes of `s`, continuing `seed`. ASCII strings (all the numbers, hex and
 * entry names) go to zlib as strings, without a Buffer per piece.
 */
const crcLatin1 = (s: string, seed: number) => crc32(isAscii(s) ? s : Buffer.from(s, 'latin1'), seed);

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
  for (const [bit, c] of t.system) if (record.systemFlags & bit) crc ^= c;
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
  // Numbers print as ASCII, so only the guid can need latin1 bytes.
  const guid = record.guid || ZERO_GUID;
  const head = `${record.uid} ${record.modseq ?? 0n} ${record.lastUpdated} (${flagCrcOf(record, t)}) ${record.internaldate} `;
  return crcLatin1(guid, crc32(head));
}

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
  const crc = crcLatin1(`${uid} ${entry} ${userid ?? ''} `, 0);
  return typeof value === 'string' ? crcLatin1(value, crc) : crc32(value, crc);
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

/** crcAnnot of a virtual annotation: ASCII entry, userid '', ASCII value; one string, no Buffer. */
const virtCrc = (uid: number, name: string, value: string) => crc32(`${uid} ${ANNOT_NS}${name}  ${value}`);

/** One record's virtual-annotation contribution; 0 for an EXPUNGED record. */
export function syncCrcVirtualRecord(
  record: SyncCrcAnnotRecord,
  version: number,
  alg: SyncCrcAlgorithm = DEFAULT_SYNC_CRC_ALGORITHM,
): number {
  if (isExpunged(record)) return 0;
  // The entries and values of virtualAnnotations(), hashed directly (no array per record).
  const hex = (v: bigint) => (alg.thrid === 'padded' ? v.toString(16).padStart(16, '0') : v.toString(16));
  const uid = record.uid;
  let crc = 0;
  if (version >= 20) {
    const ns = record.nsec?.internaldate ?? 0;
    if (ns > 0 && ns < 1e9) crc ^= virtCrc(uid, 'internaldate.nsec', String(ns));
    if (record.basecid) crc ^= virtCrc(uid, 'basethrid', hex(record.basecid));
  }
  if (version >= 16 && record.createdmodseq) crc ^= virtCrc(uid, 'createdmodseq', String(record.createdmodseq));
  if (version >= 15 && record.savedate) crc ^= virtCrc(uid, 'savedate', String(record.savedate));
  if (version >= 13 && record.cid) crc ^= virtCrc(uid, 'thrid', hex(record.cid));
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
  const live = new Set<number>();
  for (const r of records) {
    if (isExpunged(r)) continue;
    live.add(r.uid);
    crc ^= syncCrcVirtualRecord(r, version, alg);
  }
  for (const a of annotations) {
    if (a.uid === 0 || !live.has(a.uid) || isVirtualAnnotation(a.entry, version)) continue;
    if (a.value.length === 0) continue;
    crc ^= crcAnnot(a.uid, a.entry, a.userid, a.value, alg);
  }
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
