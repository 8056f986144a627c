// The end of a plan: a new modseq for every changed record (in UID order, above the old
// highestmodseq), the cache records to append (or a whole new cyrus.cache), cyrus.header if its
// keyword names changed, and the index header recomputed from the records written: counters,
// SYNC_CRC, SYNC_CRC_ANNOT, header_file_crc, header CRC.
import { crc32 } from 'node:zlib';
import { readDb } from '../../db/index.js';
import { messageAnnotations } from '../../format/annotations.js';
import { encodeHeader, headerFileCrc } from '../../format/header.js';
import { encodeIndex, IndexOption, isExpunged, isUnlinked, SystemFlag, type IndexHeader, type IndexRecord } from '../../format/index/index.js';
import { syncCrcAnnot, syncCrcBasic } from '../../format/synccrc.js';
import type { ExpectedCacheRecord } from '../../message/record.js';
import type { RawMailbox } from '../state.js';
import { summary, type Planner, type Work } from './planner.js';
import type { Plan, Target } from './types.js';

export function assignModseqs(p: Planner): { firstExpunged: number; unlinkedNow: boolean } {
  const now = p.o.now;
  let firstExpunged = p.h.firstExpunged ?? 0;
  const expungedNow = () => {
    if (!firstExpunged || firstExpunged > now) firstExpunged = now;
  };
  let unlinkedNow = p.tombstones > 0;
  if (p.tombstones) expungedNow();
  for (const w of [...p.work.values()].sort((a, b) => a.uid - b.uid)) {
    if (!w.bump) continue;
    w.r.modseq = p.nextModseq();
    w.r.lastUpdated = now;
    if (w.r.createdmodseq === 0n) w.r.createdmodseq = w.r.modseq;
    if (isExpunged(w.r) && !(w.orig && isExpunged(w.orig) && w.orig.crcOk)) expungedNow();
    if (isUnlinked(w.r) && !(w.orig && isUnlinked(w.orig))) unlinkedNow = true;
    for (const a of p.actions) if (a.uid === w.uid && a.modseq === undefined && a.kind !== 'renumber-file') a.modseq = w.r.modseq;
  }
  for (const w of p.appended) {
    if (isExpunged(w.r)) continue;
    for (const a of p.actions) if ((a.newUid ?? a.uid) === w.uid && a.modseq === undefined) a.modseq = w.r.modseq;
  }
  return { firstExpunged, unlinkedNow };
}

function setCache(r: IndexRecord, offset: number, c: ExpectedCacheRecord): void {
  r.cacheOffset = offset;
  r.cacheCrc = c.record.cacheCrc;
  r.cacheVersion = c.record.cacheVersion;
}

/** Cache records appended after the existing ones, or (cache unusable) a whole new file. */
function cacheBytes(p: Planner, all: Work[], target: Target): void {
  const raw = p.raw;
  if (p.cacheUsable) {
    const parts: Buffer[] = [];
    let off = raw.cache!.length;
    for (const w of all) {
      if (!w.cache) continue;
      setCache(w.r, off, w.cache);
      parts.push(w.cache.cacheRecord);
      off += w.cache.cacheRecord.length;
    }
    if (raw.cache!.readUInt32BE(0) !== p.h.generationNo >>> 0) {
      // Only the generation word was wrong (start.ts): the same records under the right word.
      const fixed = Buffer.from(raw.cache!);
      fixed.writeUInt32BE(p.h.generationNo >>> 0, 0);
      target.cacheNew = Buffer.concat([fixed, ...parts]);
    } else if (parts.length) {
      target.cacheAppend = Buffer.concat(parts);
      target.cacheBase = raw.cache!.length;
    }
    return;
  }
  const head = Buffer.alloc(4);
  head.writeUInt32BE(p.h.generationNo >>> 0);
  const parts: Buffer[] = [head];
  let off = 4;
  for (const w of all) {
    const c = w.cache ?? (isUnlinked(w.r) ? undefined : p.parsed.get(w.uid));
    if (!c) {
      w.r.cacheOffset = 0;
      continue;
    }
    setCache(w.r, off, c);
    parts.push(c.cacheRecord);
    off += c.cacheRecord.length;
  }
  target.cacheNew = Buffer.concat(parts);
}

/** The mailbox's per-message annotations (cyrus.annotations); undefined when unreadable. */
export function annotationsOf(raw: RawMailbox) {
  if (!raw.annotations) return [];
  try {
    return messageAnnotations(readDb(raw.annotations, undefined, { expect: 'twoskip' }).records, raw.name);
  } catch {
    return undefined; // unreadable: SYNC_CRC_ANNOT is left as stored
  }
}

export function baseOf(raw: RawMailbox): Plan['base'] {
  return {
    indexCrc: raw.index ? crc32(raw.index) >>> 0 : 0,
    indexSize: raw.index?.length ?? 0,
    headerCrc: raw.header ? crc32(raw.header) >>> 0 : 0,
    cacheSize: raw.cache?.length ?? 0,
  };
}

export function buildTarget(p: Planner): Plan {
  const { raw, h, o, names } = p;
  const { firstExpunged, unlinkedNow } = assignModseqs(p);
  const all = [...p.work.values(), ...p.appended].sort((a, b) => a.uid - b.uid);
  const target: Target = { fileOps: p.fileOps, index: Buffer.alloc(0) };
  cacheBytes(p, all, target);

  while (names.length && names[names.length - 1] === '') names.pop();
  const headerChanged = !p.d.mh || JSON.stringify(names) !== JSON.stringify(p.d.mh.userFlags) || p.mh.uniqueid !== p.d.mh.uniqueid;
  const headerBytes = headerChanged ? encodeHeader(p.mh) : raw.header!;
  if (headerChanged) target.header = headerBytes;

  const records = all.map((w) => w.r);
  const live = records.filter((r) => !isExpunged(r));
  const n: IndexHeader = {
    ...h,
    numRecords: records.length + p.wiped.length,
    lastUid: p.lastUid,
    highestmodseq: p.hm,
    exists: live.length,
    answered: live.filter((r) => r.systemFlags & SystemFlag.ANSWERED).length,
    flagged: live.filter((r) => r.systemFlags & SystemFlag.FLAGGED).length,
    deleted: live.filter((r) => r.systemFlags & SystemFlag.DELETED).length,
    quotaMailboxUsed: live.reduce((s, r) => s + r.size, 0n),
    // 0 is "never recorded" (an index upgraded from v < 12): Cyrus compares nothing then and
    // fills it in only when it writes cyrus.header; so does this.
    headerFileCrc: h.headerFileCrc === 0 && !target.header ? 0 : headerFileCrc(headerBytes),
    syncCrcBasic: syncCrcBasic(live, names),
    lastAppenddate: p.appended.length ? o.now : h.lastAppenddate,
    firstExpunged,
    options: unlinkedNow ? (h.options | IndexOption.MAILBOX_NEEDS_UNLINK) >>> 0 : h.options,
  };
  if (h.minorVersion >= 14) n.unseen = live.filter((r) => !(r.systemFlags & SystemFlag.SEEN)).length;
  if (h.minorVersion >= 13) {
    const anns = annotationsOf(raw);
    if (anns) n.syncCrcAnnot = syncCrcAnnot(live, anns, h.minorVersion);
  }
  for (const f of ['exists', 'answered', 'flagged', 'deleted', 'unseen', 'quotaMailboxUsed', 'headerFileCrc', 'syncCrcBasic', 'syncCrcAnnot'] as const) {
    if (n[f] !== undefined && String(n[f]) !== String(h[f])) {
      p.act({ kind: 'recompute-header', outcome: 'fixed', field: f, from: String(h[f]), to: String(n[f]), message: `index header ${f}: ${h[f]} → ${n[f]}` });
    }
  }
  target.index = encodeIndex({ header: n, records: [...records, ...p.wiped] }, { recomputeCrc: true });
  // Cache-only or counter-only changes still count; identical bytes everywhere mean nothing to do.
  const noop = raw.index !== undefined && target.index.equals(raw.index) && !target.header && !target.cacheAppend && !target.cacheNew && !target.fileOps.length;
  const plan: Plan = { mailbox: raw.name, base: baseOf(raw), actions: p.actions, removedRecords: p.removed, before: p.before, after: summary(n), noop };
  if (!noop) plan.target = target;
  return plan;
}
