// Before anything is reported, a second look: cyrus.index (and the files that go with it) copied
// again under a brief shared fcntl lock, so Cyrus is not mid-write, and every finding of the
// first, lock-free pass re-decided against that snapshot. A message appended, expunged or
// re-flagged while we were hashing therefore disappears from the findings instead of being
// reported as damage. The lock is held only while bytes are copied and a few files stat()ed —
// never while hashing or decoding.
import { stat } from 'node:fs/promises';
import type { Finding } from '../findings.js';
import { InternalFlag, type IndexRecord } from '../format/index/index.js';
import { LockBusy, withSharedIndexLock } from './index-lock.js';
import { readMailbox } from './read.js';
import type { FolderScan } from './scan-folder.js';
import { metaPaths, type MailboxTarget } from './types.js';
import { messagePath, verifyMetadata, type FileCheck, type MailboxData, type MetaVerdict } from './verify-mailbox.js';

export interface FirstLook {
  verdict: MetaVerdict;
  scan: FolderScan;
  archiveScan?: FolderScan;
  /** Findings from hashing, with the file check that produced each. */
  fileFindings: Array<{ finding: Finding; check: FileCheck }>;
}

export interface Confirmed {
  findings: Finding[];
  verdict: MetaVerdict;
  /** Why the findings could not be confirmed under the lock (they are reported as first seen). */
  unconfirmed?: string;
  /** The mailbox folder vanished meanwhile (deleted or renamed): nothing to report. */
  vanished?: boolean;
}

const exists = async (path: string) => {
  try {
    await stat(path);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
};

/** The files whose presence a finding depends on, to be stat()ed under the lock. */
function pathsToRecheck(first: FirstLook): string[] {
  const paths = new Set<string>();
  for (const sc of [first.scan, first.archiveScan]) for (const name of sc?.odd ?? []) paths.add(`${sc!.dir}/${name}`);
  for (const f of first.verdict.findings) if ((f.code === 'UNINDEXED_FILE' || f.code === 'UNINDEXED_FILE_REUSE') && f.file) paths.add(f.file);
  for (const { check } of first.fileFindings) paths.add(check.path);
  return [...paths];
}

/** At most this many locked looks (more files to stat(), or a repack mid-commit to wait out). */
const MAX_LOOKS = 4;

/**
 * The UNINDEXED_* findings of a verdict whose file was not stat()ed under the lock: they come from
 * the first, lock-free folder listing, so the file may have been unlinked since. Cyrus drops a
 * record only after unlinking its file, both under its exclusive index lock (3.6.1
 * imap/mailbox.c mailbox_index_repack: mailbox_record_cleanup() unlinks each UNLINKED record's
 * file inside the record loop, the record is skipped (`continue`), and only then does
 * mailbox_repack_commit() rename cyrus.index.NEW over cyrus.index), and it links a new file
 * only under that lock, with a UID above the committed last_uid (imap/append.c: append_setup
 * takes mailbox_open_iwl; append_fromstage_full links with mailbox_copyfile and writes the
 * record before append_commit commits the header). So file present + no record, both seen
 * under one shared lock, is real; a file listed before the lock and never re-stat()ed is not
 * evidence: an immediate expunge + repack in between made exactly that false
 * UNINDEXED_FILE_REUSE (live.test.ts, about 1 run in 5).
 */
function unstatted(v: MetaVerdict, present: Map<string, boolean>): Set<string> {
  const out = new Set<string>();
  for (const f of v.findings) if ((f.code === 'UNINDEXED_FILE' || f.code === 'UNINDEXED_FILE_REUSE') && f.file && !present.has(f.file)) out.add(f.file);
  return out;
}

/**
 * A repack being committed: Cyrus renames the new cyrus.index (generation + 1) over the old one
 * before it renames the new cyrus.cache (3.6.1 imap/mailbox.c mailbox_repack_commit: "rename
 * index first - loader will handle un-renamed cache if the generation is lower"), and its
 * exclusive lock is on the OLD index inode, so our shared lock on the new one does not wait for
 * the cache rename. A cache one generation behind the locked index is that window (seen live:
 * a false CACHE_GENERATION 85 vs 86); another look a moment later decides.
 */
function midRepack(v: MetaVerdict): boolean {
  return v.findings.some((f) => f.code === 'CACHE_GENERATION' && typeof f.expected === 'number' && typeof f.actual === 'number' && f.actual + 1 === f.expected);
}
const REPACK_PAUSE_MS = 25;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function confirm(t: MailboxTarget, first: FirstLook, opts: { signal?: AbortSignal; lockTimeoutMs?: number } = {}): Promise<Confirmed> {
  const recheck = new Set(pathsToRecheck(first));
  let data: MailboxData;
  let present: Map<string, boolean>;
  let unconfirmed: string | undefined;
  const snapshot = async (locked?: Parameters<typeof readMailbox>[1]) => {
    const d = await readMailbox(t, locked);
    const p = new Map<string, boolean>();
    await Promise.all([...recheck].map(async (path) => p.set(path, await exists(path))));
    return { d, p };
  };
  // The folder listings of the first pass, minus files that are gone now.
  const still = (sc: FolderScan): FolderScan => ({
    ...sc,
    odd: sc.odd.filter((n) => present.get(`${sc.dir}/${n}`) !== false),
    uids: sc.uids.filter((u) => present.get(messagePath(sc.dir, u)) !== false),
  });
  let verdict: MetaVerdict;
  for (let look = 1; ; look++) {
    unconfirmed = undefined;
    try {
      ({ d: data, p: present } = await withSharedIndexLock(metaPaths(t).index, (fh) => snapshot(fh), {
        signal: opts.signal,
        timeoutMs: opts.lockTimeoutMs,
      }));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (!(e instanceof LockBusy) && code === undefined) throw e;
      // No cyrus.index to lock (INDEX_MISSING) or it stayed locked: a plain second read.
      if (e instanceof LockBusy) unconfirmed = e.message;
      if (!(await exists(t.dir))) return { findings: [], verdict: first.verdict, vanished: true };
      ({ d: data, p: present } = await snapshot());
    }
    try {
      verdict = verifyMetadata(data, still(first.scan), first.archiveScan && still(first.archiveScan));
    } finally {
      data.release?.();
    }
    // Files the first listing named and this look found no record for: stat() them under the
    // lock too, with the index re-read at that same moment (a second short look).
    const more = unstatted(verdict, present);
    const repacking = midRepack(verdict);
    if (more.size === 0 && !repacking) break;
    if (look === MAX_LOOKS) {
      // Still changing after MAX_LOOKS looks: report them, but say they were not re-seen.
      for (const f of verdict.findings) if (f.file && more.has(f.file)) f.message += ' (unconfirmed: the folder kept changing)';
      break;
    }
    for (const path of more) recheck.add(path);
    if (repacking) await sleep(REPACK_PAUSE_MS);
  }
  const findings = [...verdict.findings];
  for (const { finding, check } of first.fileFindings) {
    const now = verdict.recordsByUid.get(check.uid);
    if (!now || !sameMessage(now, check)) continue; // expunged, unlinked or repacked meanwhile
    if (finding.code === 'FILE_MISSING' && present.get(check.path)) continue; // it is there after all
    // --deep: a cache record rewritten meanwhile (another cache_crc) is no longer the one judged.
    if (finding.code === 'CACHE_STALE' && check.stored && now.cacheCrc && now.cacheCrc !== check.stored.crc) continue;
    findings.push(finding);
  }
  if (unconfirmed) for (const f of findings) f.message += ` (unconfirmed: ${unconfirmed})`;
  return { findings, verdict, unconfirmed };
}

/** The record still describes the file we hashed and still needs it. */
function sameMessage(r: IndexRecord, c: FileCheck): boolean {
  if (r.internalFlags & InternalFlag.UNLINKED) return false;
  const guid = r.guid && !/^0+$/.test(r.guid) ? r.guid : undefined;
  return Number(r.size) === c.size && guid === c.guid;
}
