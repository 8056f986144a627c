// Discovery through imapd.conf (-C) and mailboxes.db: every mailbox entry becomes a target with
// its folders resolved as Cyrus 3.6 resolves them (uuid or legacy layout, metapartitions,
// archive partition). Entries Cyrus itself never opens — tombstones of deleted mailboxes,
// remote ones, intermediate and reserved placeholders, mailboxes in transit — are skipped and
// said so under -v. With no selector, the partitions are also walked for folders that hold a
// cyrus.header no entry names (what `reconstruct -f` would discover): MAILBOX_UNLISTED.
import { opendir, readFile, stat } from 'node:fs/promises';
import { configPath, loadConfig, mailboxArchiveDir, mailboxDataDir, mailboxesDbPath, mailboxMetaFile, type ImapdConf, type MailboxLocation } from '../config/index.js';
import { readDb } from '../db/index.js';
import { operationalError } from '../errors.js';
import { LockBusy, withSharedIndexLock } from './index-lock.js';
import { listMailboxes, type MailboxListing } from '../format/mboxlist-entry.js';
import type { Selection } from './discover.js';
import type { Discovered } from './run.js';
import type { MailboxTarget } from './types.js';


/** IMAP LIST wildcards over internal names: `*` anything, `%` anything but the separator. */
export function patternMatcher(pattern: string, conf: Pick<ImapdConf, 'unixHierarchySep'>): (name: string) => boolean {
  // `user/fred.smith` (unixhierarchysep) is internally `user.fred^smith`.
  const internal = conf.unixHierarchySep && pattern.includes('/') ? pattern.replaceAll('.', '^').replaceAll('/', '.') : pattern;
  const re = internal.replace(/[.^$+?()[\]{}|\\]/g, (c) => `\\${c}`).replaceAll('*', '.*').replaceAll('%', '[^.]*');
  const rx = new RegExp(`^${re}$`);
  return (name) => rx.test(name);
}

/** Why Cyrus would not open this entry as a local mailbox, or undefined to check it. */
function skipReason(m: MailboxListing): string | undefined {
  if (m.deleted) return 'deleted (tombstone entry)';
  if (m.remote) return `remote (on ${m.server ?? 'another server'})`;
  if (m.intermediate) return 'intermediate entry (no mailbox of its own)';
  if (m.reserve) return 'reserved (being created)';
  if (m.moving) return 'being moved to another server';
  if (!m.partition) return 'no partition in its entry';
  return undefined;
}

export function targetFor(conf: ImapdConf, m: Pick<MailboxListing, 'name' | 'uniqueid' | 'partition' | 'legacyDirs'>): MailboxTarget | string {
  const loc: MailboxLocation = { name: m.name, uniqueid: m.uniqueid ?? undefined, partition: m.partition!, legacyDirs: m.legacyDirs };
  const dir = mailboxDataDir(conf, loc);
  if (dir === undefined) return `partition "${m.partition}" is not in imapd.conf`;
  const archiveDir = mailboxArchiveDir(conf, loc);
  const cachePath = mailboxMetaFile(conf, loc, 'cache');
  const archiveCachePath = mailboxMetaFile(conf, loc, 'archivecache');
  return {
    name: m.name,
    dir,
    partition: m.partition!,
    headerPath: mailboxMetaFile(conf, loc, 'header'),
    indexPath: mailboxMetaFile(conf, loc, 'index'),
    cachePath,
    annotationsPath: mailboxMetaFile(conf, loc, 'annotations'),
    archiveDir: archiveDir !== dir ? archiveDir : undefined,
    archiveCachePath: archiveCachePath !== cachePath ? archiveCachePath : undefined,
    expectedUniqueid: m.uniqueid ?? undefined,
    listed: true,
  };
}

/** Lock errors that mean "no fcntl locks here" (some network filesystems): read without one. */
const NO_LOCKS = new Set(['ENOLCK', 'EINVAL', 'EOPNOTSUPP', 'ENOTSUP']);

/**
 * mailboxes.db's bytes, copied under the shared fcntl lock every Cyrus reader takes on a cyrusdb
 * file: a writer updates twoskip and skiplist records in place inside its transaction, so a
 * lock-free read can catch half a write. Held only while copying (a writer waits milliseconds);
 * if a writer keeps it longer than the timeout, the file is read as it is, and that is said.
 */
async function readMailboxesDb(dbPath: string, timeoutMs: number | undefined, note: (s: string) => void): Promise<Buffer> {
  try {
    return await withSharedIndexLock(dbPath, (fh) => fh.readFile(), { timeoutMs });
  } catch (e) {
    if (!(e instanceof LockBusy) && !NO_LOCKS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
    note(`${dbPath}: ${e instanceof LockBusy ? e.message : 'cannot be locked here'}; read without the lock`);
    return readFile(dbPath);
  }
}

export async function* discoverConfig(sel: Selection, note: (s: string) => void): AsyncGenerator<Discovered> {
  const file = configPath(sel.config);
  const conf = loadConfig(file);
  const dbPath = mailboxesDbPath(conf);
  let buf: Buffer;
  try {
    buf = await readMailboxesDb(dbPath, sel.lockTimeoutMs, note);
  } catch (e) {
    throw operationalError(`cannot read mailboxes.db (${dbPath}, from ${file}): ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  let listing: MailboxListing[];
  try {
    const db = readDb(buf, dbPath, { expect: conf.mboxlistDb as 'twoskip' | 'skiplist' | 'flat' });
    listing = [
      ...listMailboxes(db.records, {
        deletedPrefix: conf.deletedPrefix,
        onError: (key, e) => note(`mailboxes.db entry ${JSON.stringify(key.toString('latin1'))} does not decode: ${e.message}`),
      }),
    ];
  } catch (e) {
    throw operationalError(`cannot decode mailboxes.db (${dbPath}): ${(e as Error).message}`);
  }

  const matchers = sel.mailboxes.map((p) => patternMatcher(p, conf));
  const users = sel.user ? new Set(sel.user) : undefined;
  const selected = (m: MailboxListing) =>
    (matchers.length === 0 || matchers.some((f) => f(m.name))) &&
    (!users || (m.owner !== null && users.has(m.owner))) &&
    (!sel.partition || m.partition === sel.partition);
  const everything = matchers.length === 0 && !users && !sel.partition;

  // Header paths of every entry (any state): a folder they name is not "unlisted".
  const known = new Set<string>();
  for (const m of listing) {
    if (!m.partition) continue;
    const loc = { name: m.name, uniqueid: m.uniqueid ?? undefined, partition: m.partition, legacyDirs: m.legacyDirs };
    const h = mailboxMetaFile(conf, loc, 'header');
    if (h) known.add(h);
  }
  sel.onTotal?.(listing.filter((m) => selected(m) && !skipReason(m)).length);
  for (const m of listing) {
    if (!selected(m)) continue;
    const why = skipReason(m);
    if (why) {
      yield { skipped: { name: m.name, reason: why } };
      continue;
    }
    const t = targetFor(conf, m);
    if (typeof t === 'string') yield { skipped: { name: m.name, reason: t } };
    else yield t;
  }
  if (everything) yield* unlisted(conf, known);
}

/**
 * Folders under each partition's header root holding a cyrus.header that no mailboxes.db entry
 * names. The walk reads directory entries only (message files are skipped by name).
 */
async function* unlisted(conf: ImapdConf, known: Set<string>): AsyncGenerator<Discovered> {
  for (const [partition] of conf.partitions()) {
    // The header root: where mailboxMetaFile puts cyrus.header for this partition.
    const probe = mailboxMetaFile(conf, { name: 'x', uniqueid: 'xx', partition, legacyDirs: false }, 'header');
    const dataProbe = mailboxDataDir(conf, { name: 'x', uniqueid: 'xx', partition, legacyDirs: false });
    if (!probe || !dataProbe) continue;
    const headerRoot = probe.slice(0, -'/uuid/x/x/xx/cyrus.header'.length);
    const dataRoot = dataProbe.slice(0, -'/uuid/x/x/xx'.length);
    for await (const dir of foldersWithHeader(headerRoot)) {
      const header = `${dir}/cyrus.header`;
      if (known.has(header)) continue;
      const dataDir = dataRoot + dir.slice(headerRoot.length);
      const t: MailboxTarget = { name: dataDir, dir: dataDir, partition, nameFromHeader: true, unlisted: true };
      if (dir !== dataDir) t.metaDir = dir;
      yield t;
    }
  }
}

const NOT_MAILBOXES = new Set(['stage.', 'sync.', 'lost+found']);

async function* foldersWithHeader(root: string): AsyncGenerator<string> {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let hasHeader = false;
    const subs: string[] = [];
    try {
      for await (const e of await opendir(dir, { bufferSize: 256 })) {
        if (e.name === 'cyrus.header') hasHeader = true;
        else if (e.isDirectory() && !NOT_MAILBOXES.has(e.name) && !/^\d+\.$/.test(e.name)) subs.push(e.name);
      }
    } catch {
      continue; // vanished or unreadable: nothing to say about what we cannot list
    }
    if (hasHeader && (await stat(`${dir}/cyrus.header`).catch(() => undefined))?.isFile()) yield dir;
    for (const s of subs.sort().reverse()) stack.push(`${dir}/${s}`);
  }
}
