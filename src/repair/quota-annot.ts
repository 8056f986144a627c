// The index header's quota_annot_used as Cyrus 3.6's mailbox_index_recalc counts it (imap/mailbox.c
// mailbox_annot_update_counts, calc_one_annot): the bytes of every annotation value of the mailbox
// itself (global annotations.db, keys `<uniqueid> NUL entry NUL userid NUL`) plus those of every
// per-message annotation (cyrus.annotations) whose record is not expunged; tombstones and empty
// values do not count (annotate.c find_cb). A repair that moves annotations or changes which
// records are live changes it; reconstruct recounts it ("updating quota_annot_used"), and the quota
// root's X-ANNOTATION-STORAGE follows the header (quota.ts).
import { readFileSync } from 'node:fs';
import { readDb, type DbRecord } from '../db/index.js';
import { ANNOTATION_FLAG_DELETED, decodeAnnotationValue, messageAnnotations } from '../format/annotations.js';
import { decodeHeader } from '../format/header.js';
import { decodeIndex, encodeIndexHeader, isExpunged } from '../format/index/index.js';
import type { Plan } from './plan.js';
import type { RawMailbox } from './state.js';

/** Σ value bytes of the mailbox-level annotations of `uniqueid` in the global annotations.db. */
export function mailboxAnnotationBytes(records: Iterable<DbRecord>, uniqueid: string): bigint {
  const prefix = Buffer.from(`${uniqueid}\0`, 'latin1');
  let n = 0n;
  for (const r of records) {
    if (r.key.length <= prefix.length || !r.key.subarray(0, prefix.length).equals(prefix)) continue;
    try {
      const v = decodeAnnotationValue(r.value);
      if (!(v.flags & ANNOTATION_FLAG_DELETED) && v.value.length) n += BigInt(v.value.length);
    } catch {
      // Cyrus cannot read it either (split_attribs fails): not counted
    }
  }
  return n;
}

/**
 * Sets the new index header's quota_annot_used to the recount when it differs (and reports it).
 * Left alone when an input is unreadable, or the version has no such field (before v13).
 */
export function recountAnnotUsed(plan: Plan, raw: RawMailbox, globalAnnotationsDb: string | undefined): void {
  const t = plan.target;
  if (plan.noop || !t || !globalAnnotationsDb) return;
  try {
    const idx = decodeIndex(t.index);
    const h = idx.header;
    if (h.minorVersion < 13 || h.quotaAnnotUsed === undefined) return;
    const uniqueid = decodeHeader(t.header ?? raw.header!).uniqueid;
    if (!uniqueid) return;
    let global: DbRecord[] = [];
    try {
      global = [...readDb(readFileSync(globalAnnotationsDb), globalAnnotationsDb, { expect: 'twoskip' }).records];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return;
    }
    const op = t.fileOps.find((o) => o.op === 'annotations');
    const perMessage = op && op.op === 'annotations' ? op.records : raw.annotations?.length ? readDb(raw.annotations, undefined, { expect: 'twoskip' }).records : [];
    const live = new Set(idx.records.filter((r) => r.uid > 0 && !isExpunged(r)).map((r) => r.uid));
    let used = mailboxAnnotationBytes(global, uniqueid);
    for (const a of messageAnnotations(perMessage, raw.name)) if (live.has(a.uid)) used += BigInt(a.value.length);
    if (h.minorVersion < 20) used &= 0xffffffffn; // only the low 32 bits are stored
    if (used === h.quotaAnnotUsed) return;
    plan.actions.push({ kind: 'recompute-header', outcome: 'fixed', severity: 'info', field: 'quotaAnnotUsed', from: String(h.quotaAnnotUsed), to: String(used), message: `index header quotaAnnotUsed: ${h.quotaAnnotUsed} → ${used}` });
    const head = encodeIndexHeader({ ...h, quotaAnnotUsed: used }, { recomputeCrc: true });
    t.index = Buffer.concat([head, t.index.subarray(head.length)]);
  } catch {
    // unreadable annotations: quota_annot_used stays as the plan has it
  }
}
