// A cyrusdb file held under Cyrus's lock, and the one way we change it: a checkpoint-style
// rewrite (spec cyrus-db-seen-dlist.md §1.1, §1.2, §2.7, §2.11 option 2).
//
// Cyrus locks a database with a whole-file POSIX fcntl lock and, once granted, compares the
// inode of its descriptor with the inode at the path: a different one means a checkpoint renamed
// a new file in while it waited, so it reopens and locks again (lib/lock_fcntl.c lock_reopen_ex,
// lib/mappedfile.c). We do the same. Changes are written the way Cyrus's own checkpoint writes
// them: the complete new contents into `<file>.NEW`, fsync, rename over the file while still
// holding the old file's exclusive lock, fsync the folder, then unlock. A Cyrus process waiting
// for the lock sees the new inode and reopens; one killed at any point leaves the old file or the
// new one, never a mix. POSIX locks die with ANY close of the file in this process, so the file
// is opened exactly once here and read through that descriptor.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { unlock } from 'os-lock';
import { pollLock, type LockWait } from '../repair/locks.js';
import { replaceFile } from '../repair/atomic.js';
import { encodeFlat } from './flat.js';
import { encodeSkiplist } from './skiplist.js';
import { decodeTwoskipHeader, encodeTwoskip } from './twoskip.js';
import type { Backend, DbRecord } from './types.js';

export type { LockWait } from '../repair/locks.js';

/** An open, locked database file. `bytes` were read through the locked descriptor. */
export interface LockedDb {
  path: string;
  exclusive: boolean;
  bytes: Buffer;
  /** Inode, mode, owner of the file as locked (a rewrite keeps mode and owner). */
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  release(): Promise<void>;
}

/**
 * Opens `path` and takes Cyrus's fcntl lock on it (exclusive = write lock), re-opening while a
 * checkpoint replaced the file during the wait. Throws LockTimeout / LockAborted / ENOENT.
 */
export async function lockDbFile(path: string, exclusive: boolean, wait: LockWait): Promise<LockedDb> {
  for (let attempt = 0; ; attempt++) {
    const fh: FileHandle = await open(path, exclusive ? 'r+' : 'r');
    try {
      await pollLock(fh, exclusive, `${exclusive ? 'write' : 'read'} lock on ${path}`, wait);
      const mine = await fh.stat();
      const now = await stat(path).catch(() => undefined);
      if (!now || now.ino !== mine.ino || now.dev !== mine.dev) {
        // replaced (or removed) while we waited: Cyrus reopens by path, so do we
        await unlock(fh.fd).catch(() => {});
        await fh.close();
        if (attempt > 64) throw new Error(`${path} keeps being replaced while we lock it`);
        continue;
      }
      const bytes = await readAll(fh, mine.size);
      let released = false;
      return {
        path,
        exclusive,
        bytes,
        ino: mine.ino,
        mode: mine.mode & 0o7777,
        uid: mine.uid,
        gid: mine.gid,
        async release() {
          if (released) return;
          released = true;
          await unlock(fh.fd).catch(() => {});
          await fh.close().catch(() => {});
        },
      };
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
  }
}

async function readAll(fh: FileHandle, size: number): Promise<Buffer> {
  const buf = Buffer.alloc(size);
  let got = 0;
  while (got < size) {
    const { bytesRead } = await fh.read(buf, got, size - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === size ? buf : buf.subarray(0, got);
}

/**
 * The bytes of a database holding exactly `records`, in the form Cyrus's checkpoint writes for
 * `backend`. twoskip: generation = old + 1 (readers drop cached offsets when it changes).
 */
export function encodeCheckpoint(backend: Backend, records: readonly DbRecord[], old: Buffer): Buffer {
  switch (backend) {
    case 'twoskip': {
      const generation = old.length >= 64 ? decodeTwoskipHeader(old).generation + 1 : 1;
      return encodeTwoskip(records, { generation });
    }
    case 'skiplist':
      // last_recovery = now, so Cyrus does not recover (rewrite) the file again on open
      return encodeSkiplist(records);
    case 'flat':
      return encodeFlat(records);
  }
}

/**
 * Replaces the locked file's contents with `records` (checkpoint style; see the header comment).
 * The lock must be exclusive and still held; it stays held (release() afterwards). `beforeRename`
 * is a test hook (the moment a crash would leave `<file>.NEW` behind).
 */
export async function rewriteLockedDb(
  db: LockedDb,
  backend: Backend,
  records: readonly DbRecord[],
  opts: { beforeRename?: () => Promise<void> | void } = {},
): Promise<Buffer> {
  if (!db.exclusive) throw new Error(`${db.path}: rewrite needs the write lock`);
  const data = encodeCheckpoint(backend, records, db.bytes);
  await replaceFile(db.path, data, { mode: db.mode, beforeRename: opts.beforeRename });
  return data;
}
