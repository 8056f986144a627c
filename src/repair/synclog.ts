// Telling rolling replication about a repaired mailbox: a `MAILBOX <name>` line appended to the
// sync log of every configured channel, with Cyrus's own append protocol (spec
// cyrus-db-seen-dlist.md §8; imap/sync_log.c sync_log_base, sync_quote_name): open
// O_WRONLY|O_APPEND|O_CREAT 0640, exclusive fcntl lock, check the descriptor still names the path
// (sync_client renames the log away when it starts a run; then retry, at most 64 times), one
// write, fsync, unlock, close.
import { mkdirSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { unlock } from 'os-lock';
import { pollLock, type LockWait } from './locks.js';

/** sync_quote_name: bare unless it needs quotes; `\ " { }` escaped inside quotes. */
export function syncQuoteName(name: string): string {
  if (/[\r\n]/.test(name)) throw new Error(`mailbox name with CR/LF cannot be sync-logged: ${JSON.stringify(name)}`);
  if (name === '') return '""';
  if (/[\\"{}]/.test(name)) return `"${name.replace(/[\\"{}]/g, (c) => `\\${c}`)}"`;
  if (/[ \t()]/.test(name)) return `"${name}"`;
  return name;
}

export const mailboxLine = (name: string) => `MAILBOX ${syncQuoteName(name)}\n`;

/** Appends `line` to one sync log file. */
export async function appendSyncLog(path: string, line: string, w: LockWait): Promise<void> {
  for (let attempt = 0; attempt < 64; attempt++) {
    let fh;
    try {
      fh = await open(path, 'a', 0o640);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      fh = await open(path, 'a', 0o640);
    }
    try {
      await pollLock(fh, true, `sync log ${path}`, w);
      const [mine, now] = [await fh.stat(), await stat(path).catch(() => undefined)];
      if (!now || now.ino !== mine.ino) {
        await unlock(fh.fd).catch(() => {});
        continue; // sync_client took the file away meanwhile: write to the new one
      }
      await fh.write(Buffer.from(line, 'latin1'));
      await fh.sync();
      await unlock(fh.fd).catch(() => {});
      return;
    } finally {
      await fh.close();
    }
  }
  throw new Error(`sync log ${path}: replaced 64 times while we tried to append`);
}

/** The MAILBOX line to every channel's log (none when sync_log is off). Returns the files written. */
export async function logMailbox(paths: readonly string[], name: string, w: LockWait): Promise<string[]> {
  for (const p of paths) await appendSyncLog(p, mailboxLine(name), w);
  return [...paths];
}
