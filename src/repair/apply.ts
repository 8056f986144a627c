// Carries out exactly one Plan (plan.ts) under the locks the caller holds, in the order that
// keeps every intermediate state one Cyrus opens and loses nothing:
//   0. the locked files must still be the bytes the plan was made from (else PlanStale);
//   1. cyrus.cache: new records appended + fsync (or a whole new file, beside + rename) —
//      nothing points at them yet;
//   2. message files renamed to their new UIDs (above last_uid: a crash here leaves files that
//      the next run appends under those UIDs) or moved into the backup folder; cyrus.annotations
//      rewritten when annotations move with a renumbered file (before the index, as Cyrus
//      commits annotations before it; a crash after it leaves them under the new UID, where the
//      next run appends the file);
//   3. cyrus.header beside + rename (Cyrus re-reads it when its inode changes);
//   4. cyrus.index beside + fsync + rename + folder fsync: the commit point;
//   5. the quota root's usage changed by the difference the new header makes (quota.ts), under
//      the quota database's lock, still holding the mailbox's. Cyrus's mailbox_commit does this
//      just before writing the index; we do it just after, so an interrupt or a failed index
//      write never leaves the quota changed for an index that was not. A failure here is
//      reported, not undone: the repair is committed and `quota -f` mends the root.
// An interrupt (signal) is honoured before the commit point only; after it the run completes.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import { readFile, stat } from 'node:fs/promises';
import { lockDbFile, rewriteLockedDb } from '../db/locked.js';
import { appendSynced, renameSynced, replaceFile } from './atomic.js';
import { moveIntoBackup, writeBackupFile, writeManifest, type Manifest } from './backup.js';
import type { LockWait } from './locks.js';
import type { Plan } from './plan.js';
import { applyQuota } from './quota.js';
import type { MailboxFiles } from './state.js';

export class PlanStale extends Error {
  override readonly name = 'PlanStale';
}
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

export type Step = 'verified' | 'cache' | 'file-ops' | 'header' | 'index' | 'quota';

export interface ApplyContext {
  files: MailboxFiles;
  /** The locked cyrus.index; undefined when it did not exist. */
  lockedIndex: FileHandle | undefined;
  backup: { dir: string; manifest: Manifest };
  signal?: AbortSignal;
  /** Called after each step (tests stop the process here). */
  onStep?: (step: Step) => Promise<void> | void;
  /** Fetches a message from the replica, already checked against its GUID (--from-replica). */
  fetchFromReplica?: (uid: number, guid: string) => Promise<Buffer>;
  /** Mailbox name (quota db's SCAN order) for the quota step (plan.quota). */
  quota?: { mailbox: string };
  /** How long to wait for the locks apply takes itself (cyrus.annotations, the quota db). */
  lockWait: LockWait;
}

/** What the run should say after the commit point (a quota root that could not be changed). */
export interface Applied {
  notes: string[];
}

async function readLocked(fh: FileHandle): Promise<Buffer> {
  const { size } = await fh.stat();
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const { bytesRead } = await fh.read(buf, off, size - off, off);
    if (!bytesRead) break;
    off += bytesRead;
  }
  return buf.subarray(0, off);
}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

export async function applyPlan(plan: Plan, ctx: ApplyContext): Promise<Applied> {
  const out: Applied = { notes: [] };
  const t = plan.target;
  if (plan.noop || !t) return out;
  const { files } = ctx;
  const check = () => {
    if (ctx.signal?.aborted) throw new Interrupted('interrupted before the index was replaced: cyrus.index unchanged');
  };

  const idx = ctx.lockedIndex ? await readLocked(ctx.lockedIndex) : Buffer.alloc(0);
  const hdr = await readFile(files.header).catch(() => undefined);
  const cacheSize = (await stat(files.cache).catch(() => undefined))?.size ?? 0;
  if ((crc32(idx) >>> 0) !== plan.base.indexCrc || idx.length !== plan.base.indexSize || (hdr ? crc32(hdr) >>> 0 : 0) !== plan.base.headerCrc || cacheSize !== plan.base.cacheSize) {
    throw new PlanStale('the mailbox changed after the plan was made; nothing written');
  }
  await ctx.onStep?.('verified');
  check();

  if (t.cacheNew) await replaceFile(files.cache, t.cacheNew, { mode: 0o600 });
  else if (t.cacheAppend) {
    const at = await appendSynced(files.cache, t.cacheAppend);
    if (at !== t.cacheBase) throw new PlanStale(`cyrus.cache grew from ${t.cacheBase} to ${at} bytes meanwhile`);
  }
  await ctx.onStep?.('cache');
  check();

  const m = ctx.backup.manifest;
  for (const op of t.fileOps) {
    if (op.op === 'rename') {
      await renameSynced(op.from, op.to);
      m.fileOps.push({ op: 'rename', from: op.from, to: op.to });
    } else if (op.op === 'from-replica') {
      if (!ctx.fetchFromReplica) throw new PlanStale('the plan restores files from the replica, but no replica connection is open');
      const data = await ctx.fetchFromReplica(op.uid, op.guid);
      if (createHash('sha1').update(data).digest('hex') !== op.guid) throw new PlanStale(`the replica's copy of uid ${op.uid} is not the message ${op.guid}`);
      await replaceFile(op.to, data, { mode: 0o600 });
      m.fileOps.push({ op: 'from-replica', from: `replica uid ${op.uid}`, to: op.to });
    } else if (op.op === 'annotations') {
      // Under cyrus.annotations' own lock (twoskip: fcntl on the file), checkpoint-style; the
      // backup holds the old file, which --undo puts back.
      const db = await lockDbFile(op.to, true, ctx.lockWait);
      try {
        if (sha1(db.bytes) !== op.baseSha1) throw new PlanStale('cyrus.annotations changed after the plan was made');
        await rewriteLockedDb(db, 'twoskip', op.records);
      } finally {
        await db.release();
      }
      continue;
    } else {
      const to = await moveIntoBackup(ctx.backup.dir, op.from, op.name);
      m.fileOps.push({ op: 'to-backup', from: op.from, to });
    }
    await writeManifest(ctx.backup.dir, m);
  }
  await ctx.onStep?.('file-ops');
  check();

  if (t.header) await replaceFile(files.header, t.header);
  await ctx.onStep?.('header');
  check();

  if (plan.quota && ctx.quota) {
    // Recorded before the commit point: a kill between the index and the quota write leaves
    // state 'applied' with quota 'planned' — the root then lacks this change (quota -f).
    const q = plan.quota;
    m.quota = { root: q.root, backend: q.backend, path: q.path, delta: q.delta.map(String), state: 'planned' };
    await writeManifest(ctx.backup.dir, m);
  }
  await replaceFile(files.index, t.index);
  m.state = 'applied';
  m.after = { index: sha1(t.index), header: t.header ? sha1(t.header) : hdr ? sha1(hdr) : undefined };
  await writeManifest(ctx.backup.dir, m);
  await ctx.onStep?.('index');

  if (plan.quota && ctx.quota && m.quota) {
    const q = plan.quota;
    try {
      const w = await applyQuota(q, q.delta, ctx.quota.mailbox, ctx.lockWait);
      await writeBackupFile(ctx.backup.dir, 'quota.before', w.before);
      await writeBackupFile(ctx.backup.dir, 'quota.after', w.after);
      m.quota.state = 'applied';
    } catch (e) {
      m.quota.state = 'failed';
      m.quota.error = (e as Error).message;
      out.notes.push(`quota root ${q.root} NOT updated (${(e as Error).message}); the repair itself is committed: run Cyrus's quota -f ${q.root}`);
    }
    await writeManifest(ctx.backup.dir, m);
    await ctx.onStep?.('quota');
  }
  return out;
}
