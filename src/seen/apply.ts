// One seen database, dry run or apply (spec §6.4 "Recommended seen_cleanup procedure", §2.11):
//
//   1. lock it as Cyrus does (fcntl; shared for a dry run, exclusive for --apply; the inode
//      re-check catches a checkpoint that renamed a new file in meanwhile);
//   2. check it: a file Cyrus's checker would complain about, or one that is not clean (Cyrus
//      runs recovery on its next open), is reported as SEEN_DB_BAD and never rewritten;
//   3. re-read mailboxes.db (if it changed) and the index headers, classify every entry;
//   4. --apply: write and fsync the restore file first, then replace the database with its
//      remaining entries in the form Cyrus's own checkpoint writes (generation + 1), through
//      `<file>.NEW` + rename, while still holding the exclusive lock; unlock.
// Nothing goes to the sync log (spec §6.6): deletions must not travel to a replica, whose own
// seen databases are cleaned by running this there.
import { mkdir, open } from 'node:fs/promises';
import type { ImapdConf } from '../config/index.js';
import { checkFlat, checkSkiplist, checkTwoskip, detectBackend, readDb, type Backend, type DbRecord } from '../db/index.js';
import { lockDbFile, rewriteLockedDb, type LockWait } from '../db/locked.js';
import { FormatError } from '../errors.js';
import { finding, type Finding } from '../findings.js';
import { createFresh, fsyncDir } from '../repair/atomic.js';
import { classifySeenEntry, inScope, parseSeenValue, type SeenScope, type SeenValue, type SeenVerdict } from './classify.js';
import type { SeenDbFile } from './find.js';
import { loadInventory, mailboxFacts, type Inventory } from './inventory.js';
import { encodeRestoreFile } from './restore-file.js';

export interface SeenEntryReport {
  user: string;
  uniqueid: string;
  /** Name of the mailbox with this uniqueid, when mailboxes.db has one. */
  mailbox: string | null;
  verdict: SeenVerdict;
  reason: string;
  /** The stored value, as cyr_dbtool prints it. */
  value: string;
  seen: SeenValue | null;
  /** In scope of --only and obsolete: listed, and removed by --apply. */
  obsolete: boolean;
  removed: boolean;
}

export interface SeenDbReport {
  path: string;
  user: string | null;
  layout: 'uuid' | 'legacy';
  active: boolean;
  backend: Backend | null;
  entries: SeenEntryReport[];
  /** SEEN_DB_BAD: unreadable or not clean; nothing was changed. */
  finding?: Finding;
  /** Written before anything was removed. */
  restoreFile?: string;
  removed: number;
  /** Why this database was skipped (no user, lock timeout …). */
  skipped?: string;
}

export interface SeenRunOptions {
  apply: boolean;
  only: SeenScope;
  /** Folder for this run's restore files (apply only): a path, or a RestoreFolder made on first use. */
  restoreDir?: string | RestoreFolder;
  wait: LockWait;
  /** Cache of mailboxes.db between databases (re-read only when the file changed). */
  inventory?: { current?: Inventory };
  /** Test hook: runs after the restore file is safe and before the database is replaced. */
  beforeReplace?: (db: SeenDbFile) => Promise<void> | void;
}

/** Checks a seen db's bytes without changing anything: its records, or what is wrong. */
export function inspectSeenDb(buf: Buffer, path: string, expect: string): { backend: Backend; records: DbRecord[] } | { backend: Backend | null; problem: string } {
  const sniffed = detectBackend(buf);
  if (buf.length === 0) return { backend: sniffed ?? (expect as Backend), records: [] };
  let problems: Array<{ code: string; offset: number; message: string }> = [];
  if (sniffed === 'twoskip') problems = checkTwoskip(buf).problems;
  else if (sniffed === 'skiplist') problems = checkSkiplist(buf).problems;
  else if (expect === 'flat') problems = checkFlat(buf).problems;
  else return { backend: null, problem: `neither twoskip nor skiplist magic, and seenstate_db is ${expect}` };
  if (problems.length) {
    const p = problems[0]!;
    const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : '';
    const hint = p.code === 'NOT_CLEAN' ? '; Cyrus recovers it the next time it opens it — run again afterwards' : '';
    return { backend: sniffed ?? 'flat', problem: `${p.code} at offset ${p.offset}: ${p.message}${more}${hint}` };
  }
  try {
    const db = readDb(buf, path, { expect });
    return { backend: db.backend, records: db.records };
  } catch (e) {
    if (e instanceof FormatError) return { backend: sniffed, problem: e.message };
    throw e;
  }
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9@._+-]/g, '_');

/**
 * One run's folder for restore files, made when the first one is written: `<base>/<stamp>`, or
 * `<stamp>-2`, `-3`… when another run made that one (a rerun within the same second, after a run
 * was killed: seen in test/seen/crash.test.ts as EEXIST). mkdir without `recursive` is the claim.
 */
export class RestoreFolder {
  /** The folder, once made. */
  path?: string;
  private made?: Promise<string>;
  constructor(
    readonly base: string,
    readonly stamp: string,
  ) {}

  claim(): Promise<string> {
    this.made ??= this.make();
    return this.made;
  }

  private async make(): Promise<string> {
    await mkdir(this.base, { recursive: true, mode: 0o750 });
    const { path } = await createFresh((n) => `${this.base}/${this.stamp}${n === 1 ? '' : `-${n}`}`, (d) => mkdir(d, { mode: 0o750 }));
    this.path = path;
    return path;
  }
}

/**
 * Writes `<stem>.seen.batch` in `dir`, never over an existing file (two users whose names map
 * to the same safe name get `<stem>-2.seen.batch`); returns the path written.
 */
async function writeRestoreFile(dir: string, stem: string, data: Buffer): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const { path, made: fh } = await createFresh((n) => `${dir}/${stem}${n === 1 ? '' : `-${n}`}.seen.batch`, (p) => open(p, 'wx', 0o600));
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncDir(dir);
  return path;
}

/** Classifies (and with `apply` removes) the obsolete entries of one seen database. */
export async function cleanSeenDb(conf: ImapdConf, file: SeenDbFile, opts: SeenRunOptions): Promise<SeenDbReport> {
  const report: SeenDbReport = { path: file.path, user: file.user, layout: file.layout, active: file.active, backend: null, entries: [], removed: 0 };
  if (file.user === null) {
    report.skipped = 'no INBOX in mailboxes.db has the uniqueid of this folder (user deleted?): not touched';
    return report;
  }
  const user = file.user;
  const held = await lockDbFile(file.path, opts.apply, opts.wait);
  try {
    const seen = inspectSeenDb(held.bytes, file.path, conf.seenstateDb);
    report.backend = seen.backend;
    if ('problem' in seen) {
      report.finding = finding('SEEN_DB_BAD', `${file.path}: ${seen.problem}`, { file: file.path });
      return report;
    }
    const cache = opts.inventory ?? {};
    const inv = (cache.current = await loadInventory(conf, cache.current));
    const facts = new Map<string, Awaited<ReturnType<typeof mailboxFacts>>>();
    const unknown = inv.incomplete.length ? `${inv.incomplete[0]}${inv.incomplete.length > 1 ? ` and ${inv.incomplete.length - 1} more` : ''}` : undefined;
    for (const r of seen.records) {
      const uniqueid = r.key.toString('latin1');
      const m = inv.byUniqueid.get(uniqueid);
      if (m && !facts.has(uniqueid)) facts.set(uniqueid, await mailboxFacts(conf, m));
      const c = classifySeenEntry(user, uniqueid, m ? facts.get(uniqueid)! : null, unknown);
      report.entries.push({
        user,
        uniqueid,
        mailbox: m?.name ?? null,
        verdict: c.verdict,
        reason: c.reason,
        value: r.value.toString('latin1'),
        seen: parseSeenValue(r.value),
        obsolete: inScope(c.verdict, opts.only),
        removed: false,
      });
    }
    const drop = seen.records.filter((_, i) => report.entries[i]!.obsolete);
    if (!opts.apply || drop.length === 0) return report;
    if (!opts.restoreDir) throw new Error('apply needs a restore folder');

    const dir = typeof opts.restoreDir === 'string' ? opts.restoreDir : await opts.restoreDir.claim();
    const time = new Date().toISOString();
    const data = encodeRestoreFile({ db: file.path, user, backend: seen.backend, time }, drop);
    const restore = await writeRestoreFile(dir, `${safeName(user)}${file.layout === 'legacy' ? '.legacy' : ''}`, data);
    report.restoreFile = restore;
    await opts.beforeReplace?.(file);
    const keep = seen.records.filter((_, i) => !report.entries[i]!.obsolete);
    await rewriteLockedDb(held, seen.backend, keep);
    for (const e of report.entries) if (e.obsolete) e.removed = true;
    report.removed = drop.length;
    return report;
  } finally {
    await held.release();
  }
}
