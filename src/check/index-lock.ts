// A brief shared fcntl lock on cyrus.index (and mailboxes.db), taken as Cyrus's readers take it
// (F_RDLCK on the whole file; spec cyrus-reconstruct.md §10.1): it waits out a writer's exclusive
// lock and keeps writers out while we copy the file, never the other way round for long.
//
// fcntl locks belong to the process and closing ANY descriptor of the file drops them, so the
// one descriptor opened here is the only one this process may have on that cyrus.index while
// the lock is held (run.ts never checks the same mailbox twice at once), and all reads of the
// index inside `fn` go through it. We poll with F_SETLK rather than block in F_SETLKW: a blocked
// libuv thread could not be cancelled on SIGINT, and polling never queues ahead of Cyrus.
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { lock, unlock } from 'os-lock';

export class LockBusy extends Error {
  override readonly name = 'LockBusy';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LockOptions {
  /** Give up after this long (a writer holding the index this long is stuck). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Opens `indexPath` read-only, takes a shared lock, runs `fn` with the handle, unlocks, closes.
 * `fn` must only copy bytes (no hashing, no waiting on other work): the lock is held meanwhile.
 */
export async function withSharedIndexLock<T>(
  indexPath: string,
  fn: (index: FileHandle) => Promise<T>,
  { timeoutMs = 10_000, signal }: LockOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0 && Date.now() >= deadline) throw new LockBusy(`${indexPath}: kept being replaced for ${timeoutMs} ms`);
    const fh = await open(indexPath, 'r');
    try {
      await lockShared(fh, indexPath, deadline, timeoutMs, signal);
      try {
        // A repack renames a new cyrus.index over the old one: a lock on the old inode
        // protects nothing. Cyrus's readers re-open in that case; so do we.
        const [mine, now] = await Promise.all([fh.stat(), stat(indexPath).catch(() => undefined)]);
        if (now && (now.ino !== mine.ino || now.dev !== mine.dev)) continue;
        return await fn(fh);
      } finally {
        await unlock(fh.fd);
      }
    } finally {
      await fh.close();
    }
  }
}

async function lockShared(fh: FileHandle, indexPath: string, deadline: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  let wait = 1;
  for (;;) {
    try {
      await lock(fh.fd, { exclusive: false, immediate: true });
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EACCES' && code !== 'EBUSY') throw e;
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      if (Date.now() >= deadline) throw new LockBusy(`${indexPath}: shared lock not granted within ${timeoutMs} ms`);
      await sleep(wait);
      wait = Math.min(wait * 2, 50);
    }
  }
}
