// Crash-safe file replacement, as Cyrus replaces cyrus.header and (on repack) cyrus.index:
// write `<file>.NEW` beside the old one, fsync it, rename it over the old name, fsync the folder.
// A kill -9 at any moment leaves either the old file or the new one under the name, never a mix.
import { constants } from 'node:fs';
import { open, rename, unlink, stat, chown } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsync a folder so a rename in it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `data` to `<path>.NEW` (mode and owner of the file it replaces, if any), fsyncs, renames
 * it over `path`, fsyncs the folder. `beforeRename` runs between fsync and rename (tests use it
 * to stop at the worst moment).
 */
export async function replaceFile(path: string, data: Buffer, opts: { mode?: number; beforeRename?: () => Promise<void> | void } = {}): Promise<void> {
  const tmp = `${path}.NEW`;
  const old = await stat(path).catch(() => undefined);
  const mode = opts.mode ?? (old ? old.mode & 0o7777 : 0o600);
  await unlink(tmp).catch(() => {});
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  // Keep Cyrus's owner when we run as root on a file it owns (we normally run as cyrus).
  if (old && process.getuid?.() === 0) await chown(tmp, old.uid, old.gid).catch(() => {});
  await opts.beforeRename?.();
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}

/** Appends to an existing file and fsyncs it (cyrus.cache grows this way under the index lock). */
export async function appendSynced(path: string, data: Buffer): Promise<number> {
  const fh = await open(path, 'a');
  try {
    const { size } = await fh.stat();
    await fh.write(data, 0, data.length, size);
    await fh.sync();
    return size;
  } finally {
    await fh.close();
  }
}

/** Renames a file and fsyncs its folder (message files renumbered to a new UID). */
export async function renameSynced(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncDir(dirname(to));
}

/**
 * Creates something that must be new (mkdir, open with 'wx'): `create(name(1))`, then name(2)…
 * while the name is taken (EEXIST). The creating call itself is the claim, so two processes never
 * get the same name; returns the name used and what `create` returned.
 */
export async function createFresh<T>(name: (n: number) => string, create: (path: string) => Promise<T>): Promise<{ path: string; made: T }> {
  for (let n = 1; ; n++) {
    const path = name(n);
    try {
      return { path, made: await create(path) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
