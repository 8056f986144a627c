// The mailbox side of a seen cleanup: every mailbox of mailboxes.db by uniqueid, and for the ones
// a seen entry names, the two facts of its cyrus.index header that decide internal seen (minor
// version, IMAP_SHAREDSEEN). Read fresh for every database we change, right before deciding,
// under that database's lock (spec §6.4: "re-check … immediately before deleting").
import { open, readFile, stat } from 'node:fs/promises';
import { mailboxesDbPath, parseIntname, type ImapdConf } from '../config/index.js';
import { readDb } from '../db/index.js';
import { FormatError, operationalError } from '../errors.js';
import { decodeHeader } from '../format/header.js';
import { decodeIndexHeader, IndexOption } from '../format/index/index.js';
import { listMailboxes, type MailboxListing } from '../format/mboxlist-entry.js';
import { targetFor } from '../check/discover-config.js';
import type { MailboxFacts } from './classify.js';

export interface Inventory {
  /** Every mailbox entry that is not a tombstone, by uniqueid. */
  byUniqueid: Map<string, MailboxListing>;
  /** Every entry (tombstones included), in mailboxes.db order. */
  all: MailboxListing[];
  /** mailboxes.db file identity when read (to skip re-reading an unchanged file). */
  stamp: string;
  /**
   * Why some mailbox's uniqueid is unknown (an entry that does not decode, a 2.x entry whose
   * cyrus.header cannot be read …). Then "no mailbox has this uniqueid" proves nothing, and no
   * entry may be called gone.
   */
  incomplete: string[];
}

async function fileStamp(path: string): Promise<string> {
  const s = await stat(path, { bigint: true });
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

/** Reads mailboxes.db (or returns `previous` when the file has not changed since). */
export async function loadInventory(conf: ImapdConf, previous?: Inventory): Promise<Inventory> {
  const path = mailboxesDbPath(conf);
  let stamp: string;
  try {
    stamp = await fileStamp(path);
  } catch (e) {
    throw operationalError(`cannot read mailboxes.db (${path}): ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (previous && previous.stamp === stamp) return previous;
  const buf = await readFile(path);
  let all: MailboxListing[];
  const incomplete: string[] = [];
  try {
    const db = readDb(buf, path, { expect: conf.mboxlistDb });
    const onError = (key: Buffer, e: FormatError) => incomplete.push(`mailboxes.db entry ${JSON.stringify(key.toString('latin1'))} does not decode: ${e.message}`);
    all = [...listMailboxes(db.records, { deletedPrefix: conf.deletedPrefix, onError })];
  } catch (e) {
    throw operationalError(`cannot decode mailboxes.db (${path}): ${(e as Error).message}`);
  }
  const byUniqueid = new Map<string, MailboxListing>();
  for (const m of all) {
    if (m.deleted) continue;
    // 2.x mailboxes.db entries carry no uniqueid: it is in the mailbox's cyrus.header
    const uniqueid = m.uniqueid ?? (await headerUniqueid(conf, m));
    // (and 2.x names mean the name-based legacy folders, as after `ctl_cyrusdb -r` marks them `l`)
    if (typeof uniqueid === 'string') byUniqueid.set(uniqueid, uniqueid === m.uniqueid ? m : { ...m, uniqueid, legacyDirs: true });
    else if (!m.intermediate) incomplete.push(`${m.name}: uniqueid unknown (${uniqueid.error})`);
  }
  return { byUniqueid, all, stamp, incomplete };
}

async function headerUniqueid(conf: ImapdConf, m: MailboxListing): Promise<string | { error: string }> {
  if (m.remote || !m.partition) return { error: 'not a local mailbox' };
  const t = targetFor(conf, { ...m, legacyDirs: true });
  if (typeof t === 'string' || !t.headerPath) return { error: typeof t === 'string' ? t : 'no header path' };
  try {
    const h = decodeHeader(await readFile(t.headerPath));
    return h.uniqueid ? h.uniqueid : { error: `${t.headerPath} names no uniqueid` };
  } catch (e) {
    return { error: `${t.headerPath}: ${(e as Error).message}` };
  }
}

/** The user whose INBOX has this uniqueid (the owner of a uuid-layout per-user folder), or null. */
export function inboxOwner(conf: ImapdConf, inv: Inventory, uniqueid: string): string | null {
  const m = inv.byUniqueid.get(uniqueid);
  if (!m || !m.owner) return null;
  const mb = parseIntname(conf, m.name);
  return mb.localpart !== null && mb.boxes.length === 0 && !mb.isDeleted ? m.owner : null;
}

/** The facts classifySeenEntry needs about one mailbox (reads its cyrus.index header). */
export async function mailboxFacts(conf: ImapdConf, m: MailboxListing): Promise<MailboxFacts> {
  const delayedDelete = parseIntname(conf, m.name).isDeleted !== 0;
  const base = { name: m.name, owner: m.owner, delayedDelete };
  if (m.remote || m.moving || m.reserve || m.intermediate || !m.partition) {
    return { ...base, remote: m.remote || m.moving, index: { error: 'no local index (remote, reserved, intermediate or in transit)' } };
  }
  const t = targetFor(conf, m);
  if (typeof t === 'string' || !t.indexPath) return { ...base, remote: false, index: { error: typeof t === 'string' ? t : 'no index path' } };
  return { ...base, remote: false, index: await readIndexFacts(t.indexPath) };
}

async function readIndexFacts(path: string): Promise<MailboxFacts['index']> {
  let buf: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      buf = Buffer.alloc(4096);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      buf = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    return { error: `${path}: ${(e as NodeJS.ErrnoException).code ?? e}` };
  }
  try {
    const h = decodeIndexHeader(buf);
    return { minorVersion: h.minorVersion, sharedSeen: (h.options & IndexOption.IMAP_SHAREDSEEN) !== 0 };
  } catch (e) {
    if (e instanceof FormatError) return { error: `${path}: ${e.message}` };
    throw e;
  }
}
