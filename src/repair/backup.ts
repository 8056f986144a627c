// Backups taken before a repair writes anything: the mailbox's cyrus.index, cyrus.cache,
// cyrus.header and cyrus.annotations exactly as read under the lock, plus manifest.json (what was
// copied, with SHA-1s; the plan; records taken out of the index; files moved or renamed; the
// state after). `--undo` puts them back; later repairs read old backups for lost flag names and
// for the flags of messages whose record is gone.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeHeader } from '../format/header.js';
import { userFlagBits } from '../format/index/index.js';
import { VERSION } from '../version.js';
import { createFresh, replaceFile, fsyncDir } from './atomic.js';
import type { BackupHints } from './plan.js';
import { salvageIndex } from './salvage.js';

export type FileRole = 'index' | 'header' | 'cache' | 'annotations';

export interface Manifest {
  tool: 'cyrus-fsck';
  version: string;
  kind: 'repair-backup';
  mailbox: string;
  uniqueid?: string;
  createdAt: string;
  /** backed-up: nothing written yet; applied: repair committed; undone: --undo restored it. */
  state: 'backed-up' | 'applied' | 'undone';
  files: Array<{ role: FileRole; original: string; name: string; size: number; sha1: string }>;
  /** Files that did not exist when the backup was taken (undo removes what the repair created). */
  absent: Array<{ role: FileRole; original: string }>;
  /** Message files renamed (renumbered) or moved into this folder, in the order done. */
  fileOps: Array<{ op: 'rename' | 'to-backup' | 'from-replica'; from: string; to: string }>;
  actions?: unknown[];
  removedRecords?: unknown[];
  /**
   * The quota root's usage change (delta per resource, decimal). planned: written before the
   * change; applied: done (quota.before / quota.after hold the entry); failed: not done (error).
   * undone: --undo took it back.
   */
  quota?: { root: string; backend: string; path: string; delta: string[]; state: 'planned' | 'applied' | 'failed' | 'undone'; error?: string };
  /** SHA-1 of the files as the repair left them: undo refuses if Cyrus changed them since. */
  after?: { index?: string; header?: string };
}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

/** JSON with bigints as strings (modseqs) and Buffers left out. */
export const manifestJson = (m: unknown) =>
  JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? v.toString() : v && typeof v === 'object' && v.type === 'Buffer' ? undefined : v), 2) + '\n';

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

const safe = (name: string) => name.replace(/[^A-Za-z0-9._^@-]/g, '_');

export interface BackupInput {
  role: FileRole;
  original: string;
  /** The bytes as read under the lock; undefined = the file did not exist. */
  data?: Buffer;
}

/**
 * Creates `<root>/<mailbox>.<time>.<pid>/` (`.2`… after it if this process already backed the
 * mailbox up within the second) with the files and the manifest, all fsynced.
 */
export async function createBackup(root: string, mailbox: string, uniqueid: string | undefined, inputs: BackupInput[]): Promise<{ dir: string; manifest: Manifest }> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const base = join(root, `${safe(mailbox)}.${stamp()}.${process.pid}`);
  const { path: dir } = await createFresh((n) => (n === 1 ? base : `${base}.${n}`), (d) => mkdir(d, { mode: 0o700 }));
  const manifest: Manifest = {
    tool: 'cyrus-fsck', version: VERSION, kind: 'repair-backup', mailbox, uniqueid, createdAt: new Date().toISOString(),
    state: 'backed-up', files: [], absent: [], fileOps: [],
  };
  for (const f of inputs) {
    if (!f.data) {
      manifest.absent.push({ role: f.role, original: f.original });
      continue;
    }
    const name = `cyrus.${f.role}`;
    const fh = await open(join(dir, name), 'wx', 0o600);
    try {
      await fh.writeFile(f.data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    manifest.files.push({ role: f.role, original: f.original, name, size: f.data.length, sha1: sha1(f.data) });
  }
  await writeManifest(dir, manifest);
  await fsyncDir(root);
  return { dir, manifest };
}

/** A file written into the backup folder after it was created (fsynced). */
export async function writeBackupFile(dir: string, name: string, data: Buffer): Promise<void> {
  await replaceFile(join(dir, name), data, { mode: 0o600 });
}

export const writeManifest = (dir: string, m: Manifest) => replaceFile(join(dir, 'manifest.json'), Buffer.from(manifestJson(m)));

export async function readManifest(dir: string): Promise<Manifest> {
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  if (m.tool !== 'cyrus-fsck' || m.kind !== 'repair-backup') throw new Error(`${dir}: not a cyrus-fsck repair backup`);
  return m;
}

/** Moves a file into the backup folder (rename; copy + fsync + unlink across file systems). */
export async function moveIntoBackup(dir: string, from: string, name: string): Promise<string> {
  let to = join(dir, `file.${name}`);
  for (let i = 1; existsSync(to); i++) to = join(dir, `file.${name}.${i}`);
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyFile(from, to);
    const fh = await open(to, 'r');
    await fh.sync();
    await fh.close();
    await unlink(from);
  }
  await fsyncDir(dir);
  return to;
}

/** Earlier backups of this mailbox (same uniqueid, else same name), newest first. */
export async function findBackups(root: string, mailbox: string, uniqueid?: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const out: Array<{ dir: string; t: number }> = [];
  for (const n of names) {
    const dir = join(root, n);
    try {
      const m = await readManifest(dir);
      if ((uniqueid && m.uniqueid ? m.uniqueid === uniqueid : m.mailbox === mailbox)) out.push({ dir, t: (await stat(join(dir, 'manifest.json'))).mtimeMs });
    } catch {
      // not ours, or damaged: ignore
    }
  }
  return out.sort((a, b) => b.t - a.t).map((x) => x.dir);
}

/** What old backups remember: flag names per slot, and records (flags by name) by GUID. */
export async function hintsFromBackups(dirs: string[]): Promise<BackupHints> {
  const hints: BackupHints = { flagNames: [], byGuid: new Map() };
  for (const dir of dirs) {
    let names: string[] = [];
    try {
      const buf = await readFile(join(dir, 'cyrus.header'));
      names = decodeHeader(buf).userFlags;
      hints.flagNames.push({ source: dir, names });
      hints.header ??= { source: dir, buf };
    } catch {
      // no usable header copy
    }
    try {
      const buf = await readFile(join(dir, 'cyrus.index'));
      const idx = salvageIndex(buf, { now: Math.floor(Date.now() / 1000) });
      hints.index ??= { source: dir, buf };
      for (const { r } of idx.records) {
        if (!r.crcOk || !r.guid || r.uid === 0 || hints.byGuid.has(r.guid) || r.internalFlags & 0x80000000) continue;
        const keywords = userFlagBits(r.userFlags).map((n) => names[n]).filter((x): x is string => !!x);
        hints.byGuid.set(r.guid, { source: dir, uid: r.uid, internaldate: r.internaldate, systemFlags: r.systemFlags, keywords, savedate: r.savedate });
      }
    } catch {
      // no usable index copy
    }
  }
  return hints;
}
