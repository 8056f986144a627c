// Reading a cyrus.index that may be damaged, keeping everything that can be trusted: a header
// whose CRC is right is taken as is; otherwise the layout is chosen by the records (the version
// under which most records have a good CRC), and header fields are kept only where they agree
// with the records, mailboxes.db and cyrus.cache. Every record is decoded; each says whether its
// own CRC holds. Pure: buffers in, data out.
import { crc32 } from 'node:zlib';
import { FormatError } from '../errors.js';
import {
  decodeIndexHeader,
  decodeIndexRecord,
  indexLayout,
  OPTIONS_VALID_MASK,
  type IndexHeader,
  type IndexRecord,
} from '../format/index/index.js';

/** Minor versions a repair writes back (Cyrus 3.x layouts with record and header CRCs). */
export const REPAIRABLE_VERSIONS = [12, 13, 14, 15, 16, 17];

export interface SalvagedIndex {
  header: IndexHeader;
  /** Records in file order, each with its own CRC verdict (crcOk). */
  records: Array<{ recno: number; offset: number; r: IndexRecord; corrected?: Corrected<IndexRecord> }>;
  /** The header was restored exactly by a single-byte correction against its stored CRC. */
  headerCorrected?: { offset: number; from: number; to: number };
  /** Why the stored header was not taken as is; empty when it was. */
  headerRepairs: Array<{ field: string; from: string; to: string; why: string }>;
  /** num_records promised more records than the file holds. */
  truncated: boolean;
}

export interface SalvageContext {
  /** UIDVALIDITY from mailboxes.db (0/undefined: unknown). */
  mboxlistUidvalidity?: number;
  /** cyrus.cache's generation, if the cache file is readable. */
  cacheGeneration?: number;
  now: number;
}

/** A structure restored exactly: one byte changed back so its stored CRC holds again. */
export interface Corrected<T> {
  value: T;
  /** Offset of the byte inside the structure, and its damaged and restored values. */
  at: number;
  from: number;
  to: number;
}

/**
 * Bit rot usually changes one byte. With the stored CRC32 of the bytes before it, trying every
 * value of every byte (≤ 156 × 255 CRCs of ≤ 156 bytes) finds the one change that makes the CRC
 * hold again; CRC-32 tells single-byte errors in so short a span apart, so the result is the
 * original bytes. When the damage is in the stored CRC itself, the data is already right.
 * Returns the restored bytes, or undefined when no single-byte change explains the damage.
 */
export function correctSingleByte(bytes: Buffer, crcOffset: number): { buf: Buffer; at: number; from: number; to: number } | undefined {
  const data = Buffer.from(bytes.subarray(0, crcOffset));
  const stored = bytes.readUInt32BE(crcOffset);
  const actual = crc32(data) >>> 0;
  if (actual === stored) return undefined;
  // Damage in the CRC field only: computed and stored differ in exactly one byte.
  const diff = (actual ^ stored) >>> 0;
  if ([0xff000000, 0xff0000, 0xff00, 0xff].some((m) => (diff & ~m) === 0)) {
    const i = [0xff000000, 0xff0000, 0xff00, 0xff].findIndex((m) => (diff & ~m) === 0);
    const out = Buffer.from(bytes);
    out.writeUInt32BE(actual, crcOffset);
    return { buf: out, at: crcOffset + i, from: bytes[crcOffset + i]!, to: out[crcOffset + i]! };
  }
  // CRC-32 is affine: changing byte i by d changes the CRC by L(i, d), linear in d's bits. Find
  // the (i, d) whose change equals actual ^ stored: 8 CRCs per position instead of 255.
  const zeros = Buffer.alloc(crcOffset);
  const z = crc32(zeros) >>> 0;
  const basis = new Uint32Array(8);
  for (let i = 0; i < crcOffset; i++) {
    for (let b = 0; b < 8; b++) {
      zeros[i] = 1 << b;
      basis[b] = (crc32(zeros) ^ z) >>> 0;
    }
    zeros[i] = 0;
    for (let d = 1; d < 256; d++) {
      let x = 0;
      for (let b = 0; b < 8; b++) if (d & (1 << b)) x ^= basis[b]!;
      if (x >>> 0 === diff) {
        const out = Buffer.from(bytes);
        out[i] = data[i]! ^ d;
        return { buf: out, at: i, from: data[i]!, to: out[i]! };
      }
    }
  }
  return undefined;
}

function recordsAt(buf: Buffer, version: number, count: number, correct = true): SalvagedIndex['records'] {
  const layout = indexLayout(version)!;
  const out: SalvagedIndex['records'] = [];
  for (let i = 0; i < count; i++) {
    const offset = layout.headerSize + i * layout.recordSize;
    const r = decodeIndexRecord(buf, offset, version);
    const rec: SalvagedIndex['records'][number] = { recno: i + 1, offset, r };
    if (correct && !r.crcOk && layout.recordCrcOffset !== undefined) {
      const fix = correctSingleByte(buf.subarray(offset, offset + layout.recordSize), layout.recordCrcOffset);
      if (fix) rec.corrected = { value: decodeIndexRecord(fix.buf, 0, version), at: fix.at, from: fix.from, to: fix.to };
    }
    out.push(rec);
  }
  return out;
}

const fits = (len: number, version: number) => {
  const l = indexLayout(version)!;
  return Math.max(0, Math.floor((len - l.headerSize) / l.recordSize));
};

/** Decodes `buf`; throws FormatError only when no layout yields a single good record. */
export function salvageIndex(buf: Buffer, ctx: SalvageContext): SalvagedIndex {
  let stored: IndexHeader | undefined;
  try {
    stored = decodeIndexHeader(buf);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
  }
  if (!stored?.crcOk) {
    // One damaged byte in the header (even in its version or length words): restore it exactly
    // and read on as if nothing had happened.
    for (const headerSize of [160, 128]) {
      if (buf.length < headerSize || (stored && indexLayout(stored.minorVersion)?.headerSize !== headerSize)) continue;
      const fix = correctSingleByte(buf.subarray(0, headerSize), headerSize - 4);
      if (!fix) continue;
      const fixed = Buffer.concat([fix.buf, buf.subarray(headerSize)]);
      let h: IndexHeader | undefined;
      try {
        h = decodeIndexHeader(fixed);
      } catch {
        continue;
      }
      if (!h.crcOk) continue;
      const res = salvageIndex(fixed, ctx);
      return { ...res, headerCorrected: { offset: fix.at, from: fix.from, to: fix.to } };
    }
  }
  if (stored && stored.crcOk) {
    if (!REPAIRABLE_VERSIONS.includes(stored.minorVersion)) {
      throw new FormatError('BAD_VERSION', `cyrus.index minor version ${stored.minorVersion}: repair writes versions 12–17 only`, 8);
    }
    const fit = fits(buf.length, stored.minorVersion);
    const count = Math.min(stored.numRecords, fit);
    return { header: stored, records: recordsAt(buf, stored.minorVersion, count), headerRepairs: [], truncated: count < stored.numRecords };
  }

  // The header cannot be trusted: let the records choose the layout.
  // v14/v15 and v16/v17 share record layouts: the stored version word decides when it is one of
  // them; else v15+ is told from v14 by savedate (v14 has content_lines there, 0 in 3.x).
  const storedVersion = buf.length >= 12 ? buf.readUInt32BE(8) : 0;
  let best: { version: number; records: SalvagedIndex['records']; good: number } | undefined;
  for (const v of [...REPAIRABLE_VERSIONS].reverse()) {
    const records = recordsAt(buf, v, fits(buf.length, v), false);
    const good = records.filter((x) => x.r.crcOk && x.r.uid > 0).length;
    if (!best || good > best.good || (good === best.good && good > 0 && v === storedVersion)) best = { version: v, records, good };
  }
  if (!best || best.good === 0) {
    throw new FormatError('BAD_CRC', 'cyrus.index header is damaged and no record has a good CRC under any 3.x layout', 0);
  }
  if (best.version === 15 && storedVersion !== 15 && best.records.every((x) => !x.r.crcOk || !x.r.savedate)) best.version = 14;
  if (best.version === 17 && storedVersion === 16) best.version = 16;
  best.records = recordsAt(buf, best.version, best.records.length);
  const layout = indexLayout(best.version)!;
  const repairs: SalvagedIndex['headerRepairs'] = [];
  const h: IndexHeader = stored && stored.minorVersion === best.version ? { ...stored } : blankHeader(best.version);
  const set = <K extends keyof IndexHeader>(field: K, to: IndexHeader[K], why: string) => {
    if (h[field] === to) return;
    repairs.push({ field: String(field), from: String(h[field]), to: String(to), why });
    h[field] = to;
  };
  set('minorVersion', best.version, 'the layout under which the records have good CRCs');
  set('startOffset', layout.headerSize, 'fixed by the version');
  set('recordSize', layout.recordSize, 'fixed by the version');
  set('format', 0, 'always 0');
  // Records past a garbage num_records are uncommitted appends at best: keep the stored count
  // when it is plausible, else every record that fits.
  const records = h.numRecords > 0 && h.numRecords <= best.records.length ? best.records.slice(0, h.numRecords) : best.records;
  set('numRecords', records.length, 'records present in the file');
  const good = records.filter((x) => x.r.crcOk).map((x) => x.r);
  const maxUid = Math.max(0, ...good.map((r) => r.uid));
  const maxModseq = good.reduce((m, r) => (r.modseq !== undefined && r.modseq > m ? r.modseq : m), 0n);
  if (h.lastUid < maxUid || h.lastUid > maxUid + 0x100000) set('lastUid', maxUid, 'highest uid among good records');
  const hm = h.highestmodseq ?? 0n;
  if (hm < maxModseq || hm > maxModseq + 0x100000000n) set('highestmodseq', maxModseq > 0n ? maxModseq : 1n, 'highest modseq among good records');
  if (ctx.mboxlistUidvalidity) set('uidvalidity', ctx.mboxlistUidvalidity, 'as mailboxes.db records it');
  else if (!h.uidvalidity) set('uidvalidity', ctx.now, 'none known: a new one (clients will resync)');
  if (ctx.cacheGeneration !== undefined) set('generationNo', ctx.cacheGeneration, "cyrus.cache's generation");
  if ((h.deletedmodseq ?? 0n) > (h.highestmodseq ?? 0n)) set('deletedmodseq', h.highestmodseq, 'cannot exceed highestmodseq');
  if ((h.createdmodseq ?? 0n) > (h.highestmodseq ?? 0n)) set('createdmodseq', 0n, 'cannot exceed highestmodseq');
  if ((h.recentuid ?? 0) > h.lastUid) set('recentuid', h.lastUid, 'cannot exceed last_uid');
  if ((h.options & ~OPTIONS_VALID_MASK) !== 0) set('options', (h.options & OPTIONS_VALID_MASK) >>> 0, 'undefined bits');
  for (const f of ['lastAppenddate', 'firstExpunged', 'lastRepackTime', 'recenttime', 'pop3LastLogin', 'pop3ShowAfter', 'changesEpoch'] as const) {
    const v = h[f];
    if (typeof v === 'number' && v > ctx.now + 86400) set(f, 0, 'in the future');
  }
  if (h.spare) h.spare = Buffer.alloc(h.spare.length);
  return { header: h, records, headerRepairs: repairs, truncated: false };
}

/** A header with every field zero for `version` (rebuilds fill in what they know). */
export function blankHeader(version: number): IndexHeader {
  const l = indexLayout(version)!;
  return {
    generationNo: 0, format: 0, minorVersion: version, startOffset: l.headerSize, recordSize: l.recordSize,
    numRecords: 0, lastAppenddate: 0, lastUid: 0, quotaMailboxUsed: 0n, pop3LastLogin: 0, uidvalidity: 0,
    deleted: 0, answered: 0, flagged: 0, options: 0, leakedCacheRecords: 0, highestmodseq: 0n,
    deletedmodseq: 0n, exists: 0, firstExpunged: 0, lastRepackTime: 0, headerFileCrc: 0, syncCrcBasic: 0,
    recentuid: 0, recenttime: 0,
    ...(version >= 13 ? { pop3ShowAfter: 0, quotaAnnotUsed: 0n, syncCrcAnnot: 0 } : {}),
    ...(version >= 14 ? { unseen: 0 } : {}),
    ...(version >= 16 ? { createdmodseq: 0n } : {}),
    ...(version >= 17 ? { changesEpoch: 0 } : {}),
    crcOk: false, quirks: [],
  };
}
