// Reading what a repair decides from: the metadata files (cyrus.index through the locked
// descriptor only), the folder listing, and facts about each message file (size, mtime, SHA-1;
// a full parse where plan.ts asks for one). I/O only; the decisions are in plan.ts.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { scanFolder } from '../check/scan-folder.js';
import { expectedCacheRecord, type ExpectedCacheRecord } from '../message/record.js';
import type { ParseOptions } from '../message/options.js';

export interface MailboxFiles {
  index: string;
  header: string;
  cache: string;
  annotations: string;
  /** Spool folder (message files). */
  dir: string;
}

/** The raw bytes of the metadata files (undefined: absent or unreadable, with the errno code). */
export interface RawMailbox {
  name: string;
  files: MailboxFiles;
  index?: Buffer;
  header?: Buffer;
  headerError?: string;
  cache?: Buffer;
  cacheError?: string;
  annotations?: Buffer;
  /** UIDVALIDITY and uniqueid mailboxes.db holds for the mailbox (header salvage). */
  mboxlist?: { uidvalidity: number; uniqueid: string | null };
}

export interface FileFact {
  uid: number;
  path: string;
  size: number;
  /** Seconds; Cyrus sets it to the internaldate on append. */
  mtime: number;
  /** Lowercase hex SHA-1 of the content. */
  sha1: string;
}

export interface FolderFacts {
  files: Map<number, FileFact>;
  /** Names Cyrus would call odd files. */
  odd: string[];
  /** Message files that could not be read (errno by uid). */
  unreadable: Map<number, string>;
}

async function loadOpt(path: string): Promise<{ buf?: Buffer; error?: string }> {
  try {
    return { buf: await readFile(path) };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
}

/** Reads the metadata; cyrus.index only through `lockedIndex` (closing another fd would unlock it). */
export async function readRaw(name: string, files: MailboxFiles, lockedIndex: FileHandle | undefined): Promise<RawMailbox> {
  const raw: RawMailbox = { name, files };
  if (lockedIndex) {
    const { size } = await lockedIndex.stat();
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await lockedIndex.read(buf, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    raw.index = buf.subarray(0, off);
  } else {
    raw.index = (await loadOpt(files.index)).buf;
  }
  const [h, c, a] = await Promise.all([loadOpt(files.header), loadOpt(files.cache), loadOpt(files.annotations)]);
  raw.header = h.buf;
  raw.headerError = h.error;
  raw.cache = c.buf;
  raw.cacheError = c.error;
  raw.annotations = a.buf;
  return raw;
}

/** Lists the folder and stats + hashes every message file (files are immutable in Cyrus). */
export async function readFolder(dir: string): Promise<FolderFacts> {
  const scan = await scanFolder(dir);
  const files = new Map<number, FileFact>();
  const unreadable = new Map<number, string>();
  for (const uid of scan.uids) {
    const path = `${dir}/${uid}.`;
    try {
      const [st, buf] = await Promise.all([stat(path), readFile(path)]);
      files.set(uid, { uid, path, size: buf.length, mtime: Math.floor(st.mtimeMs / 1000), sha1: createHash('sha1').update(buf).digest('hex') });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      if (code !== 'ENOENT') unreadable.set(uid, code);
    }
  }
  return { files, odd: scan.odd, unreadable };
}

/** Parses the message files plan.ts asked for; a file that does not parse is left out. */
export function parseFiles(facts: FolderFacts, uids: Iterable<number>, opts: ParseOptions = {}): Map<number, ExpectedCacheRecord> {
  const out = new Map<number, ExpectedCacheRecord>();
  for (const uid of uids) {
    const f = facts.files.get(uid);
    if (!f || f.size === 0) continue;
    try {
      out.set(uid, expectedCacheRecord(f.path, opts));
    } catch {
      // unparseable: the plan reports it as left
    }
  }
  return out;
}
