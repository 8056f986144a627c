// One repair of one mailbox, start to end: locks (or, for --dry-run, a brief shared lock),
// reading, planning, backup, apply, sync log, release — on every path, SIGINT/SIGTERM included.
// Also --undo. The CLI (src/cli/commands/repair.ts) only parses options and prints.
import { readFile } from 'node:fs/promises';
import { LockBusy, withSharedIndexLock } from '../check/index-lock.js';
import { applyPlan, Interrupted, type Step } from './apply.js';
import { replaceFile, renameSynced } from './atomic.js';
import { createBackup, findBackups, hintsFromBackups, readManifest, writeManifest, type BackupInput } from './backup.js';
import { LockAborted, LockTimeout, MailboxLocks, type LockWait } from './locks.js';
import { decodeState, makePlan, needsParse, type Plan, type RepairOptions } from './plan.js';
import { FilePool, parseFilesPooled, readFolder, readRaw, type FolderFacts, type RawMailbox } from './state.js';
import { scanFolder } from '../check/scan-folder.js';
import { SyncClient, type ReplicaEndpoint, type ReplicaView } from './replica.js';
import { logMailbox } from './synclog.js';
import { applyQuota, planQuota, quotaChangeOfUndo } from './quota.js';
import { recountAnnotUsed } from './quota-annot.js';
import { lockDbFile } from '../db/locked.js';
import type { RepairTarget } from './target.js';
import { existsSync } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';

export interface RepairRun {
  dryRun: boolean;
  options: Omit<RepairOptions, 'now'>;
  backupRoot: string;
  lock: LockWait;
  /** --from-replica: where the replica's sync_server is, and how to log in. */
  replica?: ReplicaEndpoint;
  /** Test hook: called after each apply step. */
  onStep?: (step: Step | 'locked') => Promise<void> | void;
}

export interface MailboxRepair {
  name: string;
  plan?: Plan;
  applied: boolean;
  backup?: string;
  syncLogged: string[];
  /** Things worth saying that are not actions (e.g. the replica could not be used). */
  notes: string[];
  /** Why it could not run (lock timeout, changed meanwhile, I/O): the mailbox is unchanged. */
  error?: string;
  interrupted?: boolean;
  lockTimeout?: boolean;
}

interface Planned {
  plan: Plan;
  raw: RawMailbox;
  facts: FolderFacts;
}

async function planFrom(t: RepairTarget, run: RepairRun, lockedIndex: Parameters<typeof readRaw>[2], replica?: ReplicaView): Promise<Planned> {
  const now = Math.floor(Date.now() / 1000);
  const raw = await readRaw(t.name, t.files, lockedIndex);
  raw.mboxlist = { uidvalidity: t.uidvalidity, uniqueid: t.uniqueid ?? null };
  const d = decodeState(raw, now);
  const pool = new FilePool();
  let facts: FolderFacts;
  let parsed: Awaited<ReturnType<typeof parseFilesPooled>>;
  try {
    facts = await readFolder(t.files.dir, pool);
    parsed = await parseFilesPooled(facts, needsParse(d, facts), pool);
  } finally {
    await pool.close();
  }
  const hints = await hintsFromBackups(await findBackups(run.backupRoot, t.name, t.uniqueid));
  hints.replica = replica;
  const plan = makePlan(d, facts, parsed, hints, { ...run.options, now });
  recountAnnotUsed(plan, raw, t.quotaDb?.annotationsDb);
  planQuota(plan, raw, t.quotaDb, d.index);
  return { plan, raw, facts };
}

const sameBytes = (a?: Buffer, b?: Buffer) => (a === undefined ? b === undefined : b !== undefined && a.equals(b));

/**
 * The plan made from a first look (under a brief shared lock: files hashed and parsed while
 * Cyrus carries on) still holds if, under the exclusive locks, the metadata bytes and the folder
 * listing are what they were; message files never change in place in Cyrus.
 */
async function stillValid(pre: Planned, t: RepairTarget, locked: Parameters<typeof readRaw>[2]): Promise<boolean> {
  const raw = await readRaw(t.name, t.files, locked);
  if (!sameBytes(raw.index, pre.raw.index) || !sameBytes(raw.header, pre.raw.header) || !sameBytes(raw.cache, pre.raw.cache) || !sameBytes(raw.annotations, pre.raw.annotations)) return false;
  const scan = await scanFolder(t.files.dir);
  const before = [...pre.facts.files.keys(), ...pre.facts.unreadable.keys()].sort((a, b) => a - b);
  if (scan.uids.length !== before.length || scan.uids.some((u, i) => u !== before[i])) return false;
  if (scan.odd.join('/') !== pre.facts.odd.join('/')) return false;
  for (const f of pre.facts.files.values()) {
    const st = await stat(f.path).catch(() => undefined);
    if (!st || st.size !== f.size) return false;
  }
  return true;
}

export async function repairMailbox(t: RepairTarget, run: RepairRun): Promise<MailboxRepair> {
  const res: MailboxRepair = { name: t.name, applied: false, syncLogged: [], notes: [] };
  if (t.unsupported) return { ...res, error: `not repaired: ${t.unsupported}` };
  let replica: SyncClient | undefined;
  let view: ReplicaView | undefined;
  if (run.replica) {
    try {
      replica = await SyncClient.open(run.replica);
      view = await replica.fullMailbox(t.name);
      if (view && t.uidvalidity && view.uidvalidity !== t.uidvalidity) {
        res.notes.push(`the replica's ${t.name} has UIDVALIDITY ${view.uidvalidity}, ours ${t.uidvalidity}: another incarnation, not used`);
        view = undefined;
      } else if (!view) res.notes.push(`the replica has no ${t.name}`);
    } catch (e) {
      replica?.close();
      return failed(res, e);
    }
  }
  try {
    return await repairWith(t, run, res, view, replica);
  } finally {
    replica?.close();
  }
}

async function repairWith(t: RepairTarget, run: RepairRun, res: MailboxRepair, view: ReplicaView | undefined, replica: SyncClient | undefined): Promise<MailboxRepair> {
  if (run.dryRun) {
    try {
      res.plan = (await withSharedIndexLock(t.files.index, (fh) => planFrom(t, run, fh, view), { timeoutMs: run.lock.timeoutMs, signal: run.lock.signal })).plan;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') res.plan = (await planFrom(t, run, undefined, view)).plan;
      else return failed(res, e);
    }
    return res;
  }
  let locks: MailboxLocks | undefined;
  try {
    const pre = await withSharedIndexLock(t.files.index, (fh) => planFrom(t, run, fh, view), { timeoutMs: run.lock.timeoutMs, signal: run.lock.signal }).catch((e) => {
      // Held exclusively for longer than the whole wait we allow: the same verdict as below.
      if (e instanceof LockBusy) throw new LockTimeout(e.message);
      return undefined; // no cyrus.index to share-lock, or unreadable: plan under the locks
    });
    if (run.lock.signal?.aborted) throw new Interrupted('interrupted before anything was written');
    const indexMissing = !existsSync(t.files.index);
    locks = await MailboxLocks.acquire({ ...t.locks, indexMissing }, run.lock);
    await run.onStep?.('locked');
    const { plan, raw } = pre && (await stillValid(pre, t, locks.index)) ? pre : await planFrom(t, run, locks.index, view);
    res.plan = plan;
    if (run.lock.signal?.aborted) throw new Interrupted('interrupted before anything was written');
    if (plan.noop) return res;
    const inputs: BackupInput[] = [
      { role: 'index', original: t.files.index, data: raw.index },
      { role: 'header', original: t.files.header, data: raw.header },
      { role: 'cache', original: t.files.cache, data: raw.cache },
      { role: 'annotations', original: t.files.annotations, data: raw.annotations },
    ];
    const backup = await createBackup(run.backupRoot, t.name, t.uniqueid, inputs);
    backup.manifest.actions = plan.actions;
    backup.manifest.removedRecords = plan.removedRecords;
    res.backup = backup.dir;
    const fetchFromReplica = replica && view ? (uid: number, guid: string) => replica.fetch(view, t.name, { uid, guid, modseq: 0n, lastUpdated: 0, flags: [], internaldate: 0, size: 0 }) : undefined;
    const done = await applyPlan(plan, { files: t.files, lockedIndex: locks.index, backup, signal: run.lock.signal, onStep: run.onStep, fetchFromReplica, quota: { mailbox: t.name }, lockWait: run.lock });
    res.applied = true;
    res.notes.push(...done.notes);
    // As mailbox_unlock_index does: the sync log line while the index lock is still held.
    res.syncLogged = await logMailbox(t.syncLogs, t.name, { timeoutMs: run.lock.timeoutMs });
    return res;
  } catch (e) {
    return failed(res, e);
  } finally {
    await locks?.release();
  }
}

function failed(res: MailboxRepair, e: unknown): MailboxRepair {
  const err = e as Error;
  res.error = err.message ?? String(e);
  if (err instanceof Interrupted || err instanceof LockAborted) res.interrupted = true;
  if (err?.name === 'LockTimeout' || err?.name === 'LockBusy') res.lockTimeout = true;
  if (!(err instanceof Error) || !['Interrupted', 'LockAborted', 'LockTimeout', 'LockBusy', 'PlanStale', 'ReplicaError'].includes(err.name)) {
    if (!(err as NodeJS.ErrnoException).code) res.error = err?.stack ?? String(e);
  }
  return res;
}

export interface UndoResult {
  name: string;
  restored: string[];
  notes: string[];
  error?: string;
  lockTimeout?: boolean;
  interrupted?: boolean;
}

/**
 * --undo BACKUP: under the same locks, puts the backed-up files back (beside + rename), moves
 * renamed message files back and files moved into the backup back to the spool. Refuses when the
 * mailbox changed since the repair (unless `force`): Cyrus's later changes would be lost.
 */
export async function undoRepair(dir: string, t: RepairTarget, lock: LockWait, force = false): Promise<UndoResult> {
  const m = await readManifest(dir);
  const out: UndoResult = { name: m.mailbox, restored: [], notes: [] };
  let locks: MailboxLocks | undefined;
  try {
    locks = await MailboxLocks.acquire({ ...t.locks, indexMissing: !existsSync(t.files.index) }, lock);
    if (m.state !== 'applied' && !force) throw new Error(`backup state is "${m.state}", not "applied" (use --force to restore anyway)`);
    const fh = locks.index;
    const st = fh ? await fh.stat() : { size: 0 };
    const current = Buffer.alloc(st.size);
    if (fh) await fh.read(current, 0, st.size, 0);
    if (m.after?.index && !force) {
      const { createHash } = await import('node:crypto');
      if (createHash('sha1').update(current).digest('hex') !== m.after.index) {
        throw new Error('cyrus.index changed since the repair (Cyrus wrote to it); undo would lose those changes (use --force to restore anyway)');
      }
    }
    for (const op of [...m.fileOps].reverse()) {
      // A file fetched from the replica stays: the restored index names it too.
      if (op.op === 'from-replica' || !existsSync(op.to) || existsSync(op.from)) continue;
      await renameSynced(op.to, op.from);
      out.restored.push(op.from);
    }
    for (const f of m.files) {
      if (f.role === 'index') continue;
      // cyrus.annotations is a twoskip db other Cyrus processes lock by itself: replaced under
      // its write lock (they re-open by path when the inode changed, lib/lock_fcntl.c).
      const db = f.role === 'annotations' ? await lockDbFile(f.original, true, lock).catch((e) => {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // gone: nothing to lock
        throw e;
      }) : undefined;
      try {
        await replaceFile(f.original, await readFile(`${dir}/${f.name}`));
      } finally {
        await db?.release();
      }
      out.restored.push(f.original);
    }
    for (const a of m.absent) if (a.role === 'cache' && existsSync(a.original)) await unlink(a.original);
    const idx = m.files.find((f) => f.role === 'index');
    if (idx) {
      const restored = await readFile(`${dir}/${idx.name}`);
      // The repair's own change is in the root when its index was committed and its quota step
      // done; when that step failed, the root never saw it (added back here); when the repair
      // was killed between the two, nobody knows (quota -f recounts).
      const q = m.state === 'applied' ? m.quota : undefined;
      const missed = q?.state === 'failed' ? (q.delta.map((d) => BigInt(d)) as [bigint, bigint, bigint, bigint]) : undefined;
      const hdr = m.files.find((f) => f.role === 'header');
      const header = await readFile(hdr ? `${dir}/${hdr.name}` : t.files.header).catch(() => undefined);
      const change = q?.state === 'planned' ? undefined : quotaChangeOfUndo(t.quotaDb, fh ? current : undefined, restored, header, missed);
      await replaceFile(idx.original, restored);
      out.restored.push(idx.original);
      if (q?.state === 'planned') out.notes.push(`quota root ${q.root}: the repair was stopped between committing the index and changing the root; run Cyrus's quota -f ${q.root}`);
      if (change) {
        try {
          await applyQuota(change, change.delta, t.name, lock);
          if (q) q.state = 'undone';
          out.notes.push(`quota root ${change.root}: usage changed back by ${change.delta.join(' ')}`);
        } catch (e) {
          out.notes.push(`quota root ${change.root} NOT updated (${(e as Error).message}): run Cyrus's quota -f ${change.root}`);
        }
      }
    }
    m.state = 'undone';
    await writeManifest(dir, m);
  } catch (e) {
    out.error = (e as Error).message;
    if ((e as Error).name === 'LockTimeout') out.lockTimeout = true;
    if ((e as Error).name === 'LockAborted') out.interrupted = true;
  } finally {
    await locks?.release();
  }
  return out;
}
