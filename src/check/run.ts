// The check pipeline: discover → read metadata → verify → hash (workers) → confirm → report.
// Mailboxes stream through a small window: while the pool hashes one mailbox's files, the next
// mailboxes' indexes are read and verified, so reading overlaps hashing; reports leave in
// discovery order; nothing accumulates per spool except counters.
import { finding, type Finding, type FindingCode } from '../findings.js';
import { SUPPORTED_CACHE_VERSIONS } from '../message/options.js';
import { confirm, type FirstLook } from './confirm.js';
import { BATCH_BYTES, BATCH_FILES, HashPool, type HashBatchResult, type HashResult, type HashTask, type WorkerParseSettings } from './pool.js';
import type { Progress } from './progress.js';
import { readMailbox } from './read.js';
import type { Reporter } from './report.js';
import { scanFolder } from './scan-folder.js';
import { metaPaths, type MailboxReport, type MailboxTarget, type Skipped, type Summary } from './types.js';
import { verifyDeep, verifyFile, verifyMetadata, type FileCheck } from './verify-mailbox.js';

/** Discovery yields mailboxes to check and, for -v, the ones it deliberately skips. */
export type Discovered = MailboxTarget | { skipped: Skipped };

export interface RunOptions {
  targets: AsyncIterable<Discovered>;
  jobs: number;
  reporter: Reporter;
  progress: Progress;
  /** Aborted on SIGINT/SIGTERM: stop, report what is complete. */
  signal?: AbortSignal;
  /** Mailboxes in flight at once (reading ahead of the hashing). */
  window?: number;
  lockTimeoutMs?: number;
  /** --deep: the workers also parse each message; cache records are compared (CACHE_STALE). */
  deep?: boolean;
  /** --deep: how Cyrus parses on this server (imapd.conf's settings; the time zone defaults to
   *  this machine's). Absent: Cyrus's defaults. */
  parse?: WorkerParseSettings;
}

export interface RunResult {
  summary: Summary;
  interrupted: boolean;
}

interface Counters {
  mailboxes: number;
  messages: number;
  files: number;
  bytes: number;
}

class Interrupted extends Error {}

/** Findings about one message file's content (each one is a message not verified). */
const FILE_CODES = new Set<FindingCode>(['FILE_MISSING', 'FILE_UNREADABLE', 'SIZE_MISMATCH', 'GUID_MISMATCH']);

export async function runCheck(o: RunOptions): Promise<RunResult> {
  const started = process.hrtime.bigint();
  const pool = new HashPool(o.jobs, o.deep ? o.parse : undefined);
  // Enough mailboxes read ahead that the pool never waits on the next index being read.
  const window = o.window ?? Math.max(4, 2 * o.jobs + 2);
  const counts: Counters = { mailboxes: 0, messages: 0, files: 0, bytes: 0 };
  const byCode: Partial<Record<FindingCode, number>> = {};
  const inflight: Promise<MailboxReport>[] = [];
  // fcntl locks are per process: never two passes over one cyrus.index at the same time.
  const busyIndexes = new Map<string, Promise<unknown>>();
  const signal = o.signal;
  let interrupted = false;

  const emit = (m: MailboxReport) => {
    counts.mailboxes++;
    counts.messages += m.records;
    for (const f of m.findings) byCode[f.code] = (byCode[f.code] ?? 0) + 1;
    o.reporter.mailbox(m);
    o.progress.update({ mailboxes: counts.mailboxes, files: counts.files, bytes: counts.bytes });
  };

  const onAbort = () => void pool.destroy().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  // The reporter starts its output with the first mailbox: a configuration error found by
  // discovery leaves stdout empty (not half a JSON document).
  try {
    for await (const item of o.targets) {
      if (signal?.aborted) throw new Interrupted();
      if ('skipped' in item) {
        o.reporter.skipped(item.skipped);
        continue;
      }
      const key = metaPaths(item).index;
      const before = busyIndexes.get(key);
      const p = (async () => {
        if (before) await before.catch(() => {});
        return checkMailbox(item, pool, counts, o);
      })();
      busyIndexes.set(key, p);
      void p.then(
        () => busyIndexes.get(key) === p && busyIndexes.delete(key),
        () => busyIndexes.get(key) === p && busyIndexes.delete(key),
      );
      inflight.push(p);
      while (inflight.length >= window) emit(await inflight.shift()!);
    }
    while (inflight.length) emit(await inflight.shift()!);
  } catch (e) {
    if (!signal?.aborted) {
      await pool.destroy().catch(() => {});
      await Promise.allSettled(inflight);
      throw e;
    }
    interrupted = true;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (interrupted) {
    await pool.destroy().catch(() => {});
    await Promise.allSettled(inflight);
  } else {
    await pool.close();
  }
  o.progress.stop();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary: Summary = {
    mailboxes: counts.mailboxes,
    messages: counts.messages,
    bytesHashed: counts.bytes,
    seconds: Math.round(seconds * 1000) / 1000,
    findings: byCode,
  };
  if (interrupted) summary.interrupted = true;
  o.reporter.end(summary);
  return { summary, interrupted };
}

async function checkMailbox(t: MailboxTarget, pool: HashPool, counts: Counters, o: RunOptions): Promise<MailboxReport> {
  const reading = readMailbox(t);
  // Cyrus lists the archive folder too (find_files); often it does not exist, which is fine.
  const archiveListing = t.archiveDir ? scanFolder(t.archiveDir) : Promise.resolve(undefined);
  const scan = t.scan ?? (await scanFolder(t.dir));
  // The folder's message files go to the workers now, while the metadata is read and checked:
  // the threads start hashing without waiting for the index (the first mailbox's cold decode
  // kept them idle ~0.15 s). --deep needs each record's cache version first: not prefetched.
  const pre = !o.deep && !scan.error && scan.uids.length > 0 ? prefetch(t.dir, scan.uids, pool, o) : undefined;
  const [data, archiveScan] = await Promise.all([reading, archiveListing]);
  let verdict;
  try {
    if (t.listed && scan.error === 'ENOENT') return dirMissing(t);
    verdict = verifyMetadata(data, scan, archiveScan, { deep: o.deep });
  } finally {
    data.release?.();
  }

  const acc: Hashed = { fileFindings: [], bytes: 0, unparsed: new Map() };
  const rest = pre ? await judgePrefetched(pre, verdict.files, acc, counts, o) : verdict.files;
  await hashAll(t, rest, pool, counts, o, acc, verdict.indexVersion);
  acc.fileFindings.sort((x, y) => x.check.uid - y.check.uid);
  const { fileFindings, bytes, unparsed } = acc;
  if (verdict.deepUnsupported) {
    const list = [...verdict.deepUnsupported].map(([ver, n]) => `${n} of cache version ${ver}`).join(', ');
    o.reporter.note(`${t.name}: --deep compared no cache record for ${list} (the parser reproduces versions ${SUPPORTED_CACHE_VERSIONS.join(', ')} only)`);
  }
  if (unparsed.size) {
    const list = [...unparsed].map(([why, n]) => `${n} (${why})`).join(', ');
    o.reporter.note(`${t.name}: --deep could not parse ${list}; their cache records were not compared`);
  }
  let findings: Finding[] = [...verdict.findings, ...fileFindings.map((x) => x.finding)];
  let final = verdict;
  if (findings.length > 0) {
    const first: FirstLook = { verdict, scan, archiveScan, fileFindings };
    const c = await confirm(t, first, { signal: o.signal, lockTimeoutMs: o.lockTimeoutMs });
    if (c.vanished) o.reporter.note(`${t.name}: folder ${t.dir} vanished during the check (deleted or renamed); nothing reported`);
    const withdrawn = findings.length - c.findings.length;
    if (withdrawn > 0) o.reporter.note(`${t.name}: ${withdrawn} apparent problem${withdrawn > 1 ? 's were changes' : ' was a change'} in progress (gone under the index lock)`);
    findings = c.findings;
    final = c.verdict;
  }
  if (t.unlisted) {
    // Not a reading of cyrus.index: nothing for the confirmation to re-decide.
    findings.unshift(finding('MAILBOX_UNLISTED', 'a mailbox folder with a cyrus.header that no mailboxes.db entry names', { file: metaPaths(t).header }));
  }
  const name = (t.nameFromHeader ? final.name : undefined) ?? t.name;
  return {
    name,
    path: t.dir,
    indexVersion: final.indexVersion,
    uniqueid: final.uniqueid,
    records: final.records,
    // Message files hashed and found to be what their record says (contract example: 12
    // records, one GUID mismatch → 11).
    messagesVerified: verdict.files.length - findings.filter((f) => FILE_CODES.has(f.code)).length,
    bytesHashed: bytes,
    findings: findings.map((f) => ({ ...f, mailbox: name })),
  };
}

function dirMissing(t: MailboxTarget): MailboxReport {
  return {
    name: t.name,
    path: t.dir,
    records: 0,
    messagesVerified: 0,
    bytesHashed: 0,
    findings: [finding('MAILBOX_DIR_MISSING', 'mailboxes.db names this mailbox but its folder is gone', { file: t.dir, mailbox: t.name })],
  };
}

/** What hashing a mailbox's files found: findings with the check behind each, bytes read, and
 *  (--deep) why files could not be parsed. */
interface Hashed {
  fileFindings: Array<{ finding: Finding; check: FileCheck }>;
  bytes: number;
  unparsed: Map<string, number>;
}

/** Judges file i of a batch's answer against what its record says (the hot loop of check). */
function judge(check: FileCheck, res: HashBatchResult, i: number, errors: Map<number, string> | undefined, acc: Hashed, counts: Counters): void {
  const size = res.sizes[i]!;
  const parsed = res.parsed?.[i];
  counts.files++;
  counts.bytes += size;
  acc.bytes += size;
  // The usual answer, decided without building a per-file result: the file is there, of the
  // recorded size, its SHA-1 is the GUID, and no parse to compare.
  const error = errors?.get(i);
  if (!error && !parsed && size === check.size && (!check.guid || res.sha1.startsWith(check.guid, 40 * i))) return;
  const r: HashResult = { size, sha1: res.sha1.slice(40 * i, 40 * i + 40), ...(error ? { error } : {}) };
  // A file that is not what its record says has no cache record to judge.
  const finding = verifyFile(check, r) ?? (parsed && !('error' in parsed) ? verifyDeep(check, parsed) : undefined);
  if (parsed && 'error' in parsed) acc.unparsed.set(parsed.error, (acc.unparsed.get(parsed.error) ?? 0) + 1);
  if (finding) acc.fileFindings.push({ finding, check });
}

/** A folder's message files hashed before its index was read, BATCH_FILES to a batch. */
interface Prefetch {
  /** The uids hashed, ascending: batch k holds uids[k * BATCH_FILES ...]. */
  uids: Uint32Array;
  /** Batch k's answer (rejects with Interrupted on SIGINT); emptied once judged. */
  batches: Array<Promise<HashBatchResult> | undefined>;
}

function prefetch(dir: string, uids: Uint32Array, pool: HashPool, o: RunOptions): Prefetch {
  const batches: Prefetch['batches'] = [];
  // Submitted in order, each when the pool has a slot (backpressure as for any batch).
  let turn: Promise<unknown> = Promise.resolve();
  for (let at = 0; at < uids.length; at += BATCH_FILES) {
    const done = turn.then(async () => {
      await pool.slot();
      if (o.signal?.aborted) throw new Interrupted();
      // slice, not subarray: a view would carry the whole listing's buffer to the worker.
      return { answer: pool.hash({ dirs: [dir], uids: uids.slice(at, at + BATCH_FILES) }) };
    });
    turn = done;
    const answer = done.then((d) => d.answer);
    // Handled now, awaited later (a batch abandoned on SIGINT must not end the process).
    answer.catch(() => {});
    batches.push(answer);
  }
  return { uids, batches };
}

/**
 * Judges the files whose hash was prefetched; returns the others (archived records' files, and
 * files that were not in the listing: missing, or appended since) to be hashed now. Records come
 * in ascending uid order, as the batches do: each batch's answer is dropped once judged, so a
 * huge mailbox holds only the answers not yet reached.
 */
async function judgePrefetched(pre: Prefetch, files: FileCheck[], acc: Hashed, counts: Counters, o: RunOptions): Promise<FileCheck[]> {
  const rest: FileCheck[] = [];
  let k = -1;
  let res: HashBatchResult | undefined;
  let errors: Map<number, string> | undefined;
  try {
    for (const f of files) {
      const j = f.inArchive ? -1 : indexOf(pre.uids, f.uid);
      const bk = Math.floor(j / BATCH_FILES);
      if (j < 0 || bk < k) {
        rest.push(f); // not listed, or (records out of order) its batch already dropped
        continue;
      }
      if (bk !== k) {
        if (res) o.progress.update({ mailboxes: counts.mailboxes, files: counts.files, bytes: counts.bytes });
        for (let x = Math.max(k, 0); x < bk; x++) pre.batches[x] = undefined;
        k = bk;
        res = await pre.batches[k]!;
        errors = res.errors ? new Map(res.errors) : undefined;
      }
      judge(f, res!, j - k * BATCH_FILES, errors, acc, counts);
    }
  } finally {
    // Batches no record needed (files without one) still finish before the mailbox is reported.
    await Promise.allSettled(pre.batches.filter((b) => b !== undefined));
    pre.batches.length = 0;
  }
  o.progress.update({ mailboxes: counts.mailboxes, files: counts.files, bytes: counts.bytes });
  return rest;
}

/** Position of `uid` in ascending `uids`, or -1. */
function indexOf(uids: Uint32Array, uid: number): number {
  let lo = 0;
  let hi = uids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = uids[mid]!;
    if (v === uid) return mid;
    if (v < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Hashes files in batches through the pool (with --deep, parsing them too); adds to `acc`. */
async function hashAll(
  t: MailboxTarget,
  files: FileCheck[],
  pool: HashPool,
  counts: Counters,
  o: RunOptions,
  acc: Hashed,
  indexVersion: number | undefined,
): Promise<void> {
  const pending: Promise<void>[] = [];
  const dirs = t.archiveDir ? [t.dir, t.archiveDir] : [t.dir];
  const submit = (batch: FileCheck[]) => {
    const task: HashTask = { dirs, uids: new Uint32Array(batch.length), sizes: new Float64Array(batch.length) };
    batch.forEach((f, i) => {
      task.uids[i] = f.uid;
      task.sizes![i] = f.size;
      if (f.inArchive) (task.dirOf ??= new Uint8Array(batch.length))[i] = 1;
    });
    // --deep: parse in the same task as the hash (one read of each file, batching unchanged).
    if (o.deep && batch.some((f) => f.stored)) {
      task.parse = Uint8Array.from(batch, (f) => f.stored?.cacheVersion ?? 0);
      // Cache versions 3 and 10 each had two parsers (2.4/2.5, 3.2/3.4): the index version decides.
      if (indexVersion !== undefined) task.indexVersion = indexVersion;
    }
    const done = pool.hash(task).then((res) => {
      const errors = res.errors ? new Map(res.errors) : undefined;
      for (let i = 0; i < batch.length; i++) judge(batch[i]!, res, i, errors, acc, counts);
      o.progress.update({ mailboxes: counts.mailboxes, files: counts.files, bytes: counts.bytes });
    });
    // Handled now, awaited below: a batch that fails (pool destroyed on SIGINT) while we are
    // still submitting must not become an unhandled rejection that ends the process.
    done.catch(() => {});
    pending.push(done);
  };
  let batch: FileCheck[] = [];
  let batchBytes = 0;
  for (const f of files) {
    batch.push(f);
    batchBytes += f.size;
    if (batch.length >= BATCH_FILES || batchBytes >= BATCH_BYTES) {
      await pool.slot();
      if (o.signal?.aborted) throw new Interrupted();
      submit(batch);
      batch = [];
      batchBytes = 0;
    }
  }
  if (batch.length) {
    await pool.slot();
    if (o.signal?.aborted) throw new Interrupted();
    submit(batch);
  }
  await Promise.all(pending);
}
