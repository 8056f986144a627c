// Reads a mailbox's metadata files into memory (cyrus.header, cyrus.index, cyrus.cache,
// cyrus.annotations) and decodes what verify-mailbox needs. Read-only opens; nothing locked here
// unless the caller passes the locked cyrus.index handle (confirm.ts), in which case the index is
// read through that handle only (closing another descriptor would drop the fcntl lock).
import { open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { readDb } from '../db/index.js';
import { messageAnnotations, OWNER_TOKEN } from '../format/annotations.js';
import { decodeHeader, headerFileCrc } from '../format/header.js';
import { candidates } from '../crc/mailbox-crc.js';
import { SYNC_CRC_ALGORITHMS, syncCrcAnnot, syncCrcBasic, type SyncCrcAnnotation } from '../format/synccrc.js';
import { wholeCache, windowedCache } from './cache-bytes.js';
import type { CacheLoaded, Loaded, MailboxData } from './verify-mailbox.js';
import { metaPaths, type MailboxTarget } from './types.js';

async function load(path: string): Promise<Loaded> {
  try {
    return { buf: await readFile(path) };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
}

/** cyrus.cache at most this big is read whole; a bigger one is read through a window. */
export const WHOLE_CACHE_MAX = 64 << 20;

async function loadCache(path: string, wholeMax: number): Promise<CacheLoaded> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const { size } = await fh.stat();
    if (size <= wholeMax) return { bytes: wholeCache(await fh.readFile()) };
    // The descriptor now belongs to the window; closed by MailboxData.release().
    const bytes = windowedCache(fh.fd, size);
    fh = undefined;
    return { bytes };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? String(e) };
  } finally {
    await fh?.close();
  }
}

async function loadHandle(fh: FileHandle): Promise<Loaded> {
  try {
    // readFile on a FileHandle reads from the current position; we never moved it.
    return { buf: await fh.readFile() };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
}

/** Annotations as SYNC_CRC_ANNOT hashes them, or undefined when they cannot be known. */
type Annotations = SyncCrcAnnotation[] | undefined;

function decodeAnnotations(file: Loaded, mailboxName: string | undefined): Annotations {
  if (file.buf === undefined) return file.error === 'ENOENT' ? [] : undefined;
  try {
    const db = readDb(file.buf, undefined, { expect: 'twoskip' });
    // Owner-private values are hashed under the owner's userid, which comes from the name.
    const anns = messageAnnotations(db.records, mailboxName ?? '');
    if (mailboxName === undefined && db.records.some((r) => r.key.includes(OWNER_TOKEN))) return undefined;
    return anns;
  } catch {
    return undefined; // an unreadable annotations db: SYNC_CRC_ANNOT cannot be judged
  }
}

/**
 * Reads and decodes everything verifyMetadata needs. `lockedIndex`: the descriptor holding the
 * shared lock; then the other files are read while it is held, so all of them form one
 * consistent snapshot (Cyrus changes them only under the exclusive index lock).
 */
export async function readMailbox(t: MailboxTarget, lockedIndex?: FileHandle, opts: { wholeCacheMax?: number } = {}): Promise<MailboxData> {
  const wholeMax = opts.wholeCacheMax ?? WHOLE_CACHE_MAX;
  const p = metaPaths(t);
  const [index, headerFile, cache, annFile, archiveCache] = await Promise.all([
    lockedIndex ? loadHandle(lockedIndex) : load(p.index),
    load(p.header),
    loadCache(p.cache, wholeMax),
    load(p.annotations),
    t.archiveCachePath && t.archiveCachePath !== p.cache ? loadCache(t.archiveCachePath, wholeMax) : Promise.resolve(undefined),
  ]);
  const d: MailboxData = {
    dir: t.dir,
    archiveDir: t.archiveDir,
    paths: { header: p.header, index: p.index, cache: p.cache },
    headerFile,
    index,
    cache,
    archiveCache,
    expectedUniqueid: t.expectedUniqueid,
    release: () => {
      cache.bytes?.close();
      archiveCache?.bytes?.close();
    },
  };
  if (headerFile.buf) {
    d.headerCrc = headerFileCrc(headerFile.buf);
    try {
      const h = decodeHeader(headerFile.buf);
      d.header = { name: h.name ?? undefined, uniqueid: h.uniqueid ?? undefined, userFlags: h.userFlags };
    } catch (e) {
      d.headerError = (e as Error).message;
    }
  }
  const name = t.nameFromHeader ? d.header?.name : t.name;
  const annotations = decodeAnnotations(annFile, name);
  d.syncCrcs = (h, records, userFlags) => {
    // The algorithm is not written in the files: every family that could have written this
    // index version is tried, the stored value standing if one reproduces it; a mismatch is
    // reported against the version's usual family (the same choice as the `crc` command).
    const algs = candidates(h.minorVersion).map((n) => SYNC_CRC_ALGORITHMS[n]);
    const first = algs[0]!;
    const pick = (compute: (a: (typeof algs)[number]) => number, stored: number | undefined): number => {
      const usual = compute(first);
      if (stored === undefined || usual === stored) return usual;
      for (const a of algs.slice(1)) if (compute(a) === stored) return stored;
      return usual;
    };
    return {
      basic: pick((a) => syncCrcBasic(records, userFlags, a), h.syncCrcBasic),
      annot: h.minorVersion >= 13 && annotations
        ? pick((a) => syncCrcAnnot(records, annotations, h.minorVersion, a), h.syncCrcAnnot)
        : undefined,
    };
  };
  return d;
}
