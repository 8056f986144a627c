// A brief shared fcntl lock on cyrus.index, taken as Cyrus's readers take it (F_RDLCK on the
// whole file; spec cyrus-reconstruct.md §10.1): it waits out a writer's exclusive lock and keeps
// writers out while we copy the index, never the other way round for long.
//
// fcntl locks belong to the process and closing ANY descriptor of the file drops them, so the
// one descriptor opened here is the only one this process may have on that cyrus.index while
// the lock is held (run.ts never checks the same mailbox twice at once), and all reads of the
// index inside `fn` go through it. We poll with F_SETLK rather than block in F_SETLKW: a blocked
// libuv thread could not be cancelled on SIGINT, and polling never queues ahead of Cyrus.
import { open } from 'node:fs/promises';
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
  const fh = await open(indexPath, 'r');
  try {
    const deadline = Date.now() + timeoutMs;
    let wait = 1;
    for (;;) {
      try {
        await lock(fh.fd, { exclusive: false, immediate: true });
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN' && code !== 'EACCES' && code !== 'EBUSY') throw e;
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        if (Date.now() >= deadline) throw new LockBusy(`${indexPath}: shared lock not granted within ${timeoutMs} ms`);
        await sleep(wait);
        wait = Math.min(wait * 2, 50);
      }
    }
    try {
      return await fn(fh);
    } finally {
      await unlock(fh.fd);
    }
  } finally {
    await fh.close();
  }
}
