// Which mailboxes a repair touches and where their files and locks are: imapd.conf and
// mailboxes.db, resolved exactly as check resolves them, plus the lock files (config/paths.ts)
// and the sync logs.
import { readFile } from 'node:fs/promises';
import { patternMatcher, targetFor } from '../check/discover-config.js';
import { metaPaths } from '../check/types.js';
import { mailboxesDbPath, mailboxLockPath, syncLogPaths, userNamespaceLockPath, type ImapdConf } from '../config/index.js';
import { readDb } from '../db/index.js';
import { operationalError, usageError } from '../errors.js';
import { mailboxOwner } from '../format/annotations.js';
import { listMailboxes, type MailboxListing } from '../format/mboxlist-entry.js';
import type { MailboxLockPaths } from './locks.js';
import { quotaDbLocation, type QuotaDbLocation } from './quota.js';
import type { MailboxFiles } from './state.js';

export interface RepairTarget {
  name: string;
  uniqueid?: string;
  uidvalidity: number;
  files: MailboxFiles;
  locks: MailboxLockPaths;
  syncLogs: string[];
  /** The quota database (a repair that changes usage updates the mailbox's quota root). */
  quotaDb?: QuotaDbLocation;
  /** Why repair must refuse this mailbox (a layout or setting it does not handle yet). */
  unsupported?: string;
}

export async function listing(conf: ImapdConf): Promise<MailboxListing[]> {
  const dbPath = mailboxesDbPath(conf);
  let buf: Buffer;
  try {
    buf = await readFile(dbPath);
  } catch (e) {
    throw operationalError(`cannot read mailboxes.db (${dbPath}): ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    const db = readDb(buf, dbPath, { expect: conf.mboxlistDb as 'twoskip' | 'skiplist' | 'flat' });
    return [...listMailboxes(db.records, { deletedPrefix: conf.deletedPrefix, onError: () => {} })];
  } catch (e) {
    throw operationalError(`cannot decode mailboxes.db (${dbPath}): ${(e as Error).message}`);
  }
}

export function repairTarget(conf: ImapdConf, m: MailboxListing): RepairTarget {
  const t = targetFor(conf, m);
  if (typeof t === 'string') throw operationalError(`${m.name}: ${t}`);
  const p = metaPaths(t);
  const owner = mailboxOwner(m.name, conf.deletedPrefix);
  const loc = { name: m.name, uniqueid: m.uniqueid ?? undefined, partition: m.partition!, legacyDirs: m.legacyDirs };
  return {
    name: m.name,
    uniqueid: m.uniqueid ?? undefined,
    uidvalidity: m.uidvalidity,
    files: { index: p.index, header: p.header, cache: p.cache, annotations: p.annotations, dir: t.dir },
    locks: {
      namespace: userNamespaceLockPath(conf, owner),
      name: mailboxLockPath(conf, loc),
      // Shared mailboxes have no user namespace lock to re-open cyrus.index under, so take the
      // name lock exclusively, as a repack does. (3.6.1's imapd holds no name lock between
      // commands and re-reads the replaced index; test/repair/locking.test.ts checks it.)
      nameExclusive: owner === null,
      index: p.index,
    },
    syncLogs: syncLogPaths(conf),
    quotaDb: quotaDbLocation(conf),
    unsupported: t.archiveDir
      ? `archive partition in use (${t.archiveDir}): repair does not read archived message files yet`
      : /^(1|yes|on|true)$/i.test(conf.raw('conversations') ?? '')
        ? 'conversations: yes — modseqs come from the per-user counters file, which repair does not update yet'
        : undefined,
  };
}

/** MAILBOX patterns and -u users → targets; an explicit name that matches nothing is an error. */
export async function selectTargets(conf: ImapdConf, patterns: string[], users: string[] = []): Promise<RepairTarget[]> {
  if (!patterns.length && !users.length) throw usageError('repair needs MAILBOX names or -u USER (it never repairs everything by default)');
  const all = (await listing(conf)).filter((m) => !m.deleted && !m.remote && !m.intermediate && !m.reserve && !m.moving && m.partition);
  const out: RepairTarget[] = [];
  for (const p of patterns) {
    const match = patternMatcher(p, conf);
    const hits = all.filter((m) => match(m.name));
    if (!hits.length) throw operationalError(`${p}: no such mailbox in mailboxes.db`);
    for (const m of hits) if (!out.some((x) => x.name === m.name)) out.push(repairTarget(conf, m));
  }
  const us = new Set(users);
  for (const m of all) if (m.owner !== null && us.has(m.owner) && !out.some((x) => x.name === m.name)) out.push(repairTarget(conf, m));
  return out;
}
