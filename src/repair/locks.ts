// The locks a repair holds, taken exactly as Cyrus 3.6 takes them for a writer (spec
// cyrus-reconstruct.md §10; imap/mailbox.c mailbox_open_advanced, mailbox_lock_index_internal;
// imap/mboxname.c mboxname_lock; imap/user.c user_namespacelock_full; lib/lock_fcntl.c):
//
//   1. the user namespace lock `*U*<userid>` (global `*U*` for shared mailboxes), exclusive;
//   2. the mailbox name lock (`<uniqueid>.lock`, or the name for legacy-dirs mailboxes):
//      shared for user mailboxes — Cyrus re-opens cyrus.index by path at every index lock there
//      (mailbox_mboxlock_reopen), so sessions pick up the file we rename in — and exclusive for
//      shared mailboxes (no namespace lock to re-open under), as a repack takes it;
//   3. an exclusive fcntl lock on cyrus.index, through the one descriptor every later read of
//      that file goes through.
//
// All are classic POSIX fcntl locks on the whole file (what Cyrus uses, so they conflict with
// it). They belong to the process, and closing ANY descriptor of a locked file drops them: this
// module is the only place that opens these files, one descriptor each, in the main thread. We
// poll with F_SETLK and a bounded wait instead of blocking in F_SETLKW, so a stuck Cyrus ends in
// LockTimeout (exit 8), never a hang, and SIGINT can interrupt the wait.
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lock, unlock } from 'os-lock';

export class LockTimeout extends Error {
  override readonly name = 'LockTimeout';
}
export class LockAborted extends Error {
  override readonly name = 'LockAborted';
}

export interface LockWait {
  /** Give up after this long waiting for any one lock. */
  timeoutMs: number;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BUSY = new Set(['EAGAIN', 'EACCES', 'EBUSY']);

/** Takes an fcntl lock on `fh`, polling until granted, timed out or aborted. */
export async function pollLock(fh: FileHandle, exclusive: boolean, what: string, w: LockWait): Promise<void> {
  const deadline = Date.now() + w.timeoutMs;
  let wait = 2;
  for (;;) {
    if (w.signal?.aborted) throw new LockAborted(`interrupted while waiting for ${what}`);
    try {
      await lock(fh.fd, { exclusive, immediate: true });
      return;
    } catch (e) {
      if (!BUSY.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
    if (Date.now() >= deadline) throw new LockTimeout(`${what}: not granted within ${w.timeoutMs} ms (held by another process)`);
    await sleep(wait);
    wait = Math.min(wait * 2, 100);
  }
}

/** A lock file as mboxname_lock opens it: O_CREAT|O_TRUNC|O_RDWR 0666, parents 0755 on ENOENT. */
async function openLockFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'w+', 0o666);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    return open(path, 'w+', 0o666);
  }
}

export interface HeldLock {
  path: string;
  exclusive: boolean;
  fh: FileHandle;
}

export interface MailboxLockPaths {
  /** The user namespace lock file. */
  namespace: string;
  /** The mailbox name lock file. */
  name: string;
  /** Exclusive name lock (shared mailboxes; see the header comment). */
  nameExclusive: boolean;
  index: string;
  /**
   * cyrus.index does not exist: there is nothing to fcntl-lock, so (as reconstruct's
   * mailbox_reconstruct_create does) the name lock is taken exclusively instead.
   */
  indexMissing?: boolean;
}

/**
 * The three locks of one mailbox, held together. `index` is the locked cyrus.index handle, open
 * read-write: read the index through it only. `release()` is idempotent and never throws.
 */
export class MailboxLocks {
  private held: HeldLock[] = [];
  private constructor(readonly paths: MailboxLockPaths) {}

  /** The locked cyrus.index, or undefined when it did not exist (indexMissing). */
  get index(): FileHandle | undefined {
    const h = this.held.find((l) => l.path === this.paths.index);
    if (!h && !this.paths.indexMissing) throw new Error('cyrus.index is not locked');
    return h?.fh;
  }

  /** Namespace, then name lock, then cyrus.index — Cyrus's order, so no deadlock with it. */
  static async acquire(paths: MailboxLockPaths, w: LockWait): Promise<MailboxLocks> {
    const m = new MailboxLocks(paths);
    try {
      await m.take(paths.namespace, true, 'user namespace lock', w, openLockFile);
      await m.take(paths.name, paths.nameExclusive || !!paths.indexMissing, 'mailbox name lock', w, openLockFile);
      if (!paths.indexMissing) await m.take(paths.index, true, 'cyrus.index lock', w, (p) => open(p, 'r+'));
      return m;
    } catch (e) {
      await m.release();
      throw e;
    }
  }

  private async take(path: string, exclusive: boolean, what: string, w: LockWait, opener: (p: string) => Promise<FileHandle>): Promise<void> {
    const fh = await opener(path);
    try {
      await pollLock(fh, exclusive, `${what} ${path}`, w);
    } catch (e) {
      await fh.close();
      throw e;
    }
    this.held.push({ path, exclusive, fh });
  }

  /** Releases in reverse order: index, name, namespace (as mailbox_close does). */
  async release(): Promise<void> {
    const all = this.held.reverse();
    this.held = [];
    for (const l of all) {
      await unlock(l.fh.fd).catch(() => {});
      await l.fh.close().catch(() => {});
    }
  }

  get locked(): boolean {
    return this.held.length === (this.paths.indexMissing ? 2 : 3);
  }
}
