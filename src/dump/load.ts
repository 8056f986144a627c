// The I/O edge of dump: reads what sync_client reads for one mailbox — mailboxes.db (its mbentry),
// the server-wide annotations.db (mailbox-level annotations), cyrus.header, cyrus.index and
// cyrus.annotations — and hands decoded values to the pure builder (mailbox.ts). In --path mode
// there is no mailboxes.db or annotations.db: what only they know is stood in for and noted.
import type { MailboxTarget } from '../check/types.js';
import { parseSwitch, userFilePath, userInboxName, type ImapdConf } from '../config/index.js';
import { readDb } from '../db/index.js';
import { FormatError, operationalError } from '../errors.js';
import { decodeHeader } from '../format/header.js';
import { decodeIndex } from '../format/index/index.js';
import {
  decodeMboxlistRecord,
  detectMboxlistGeneration,
  mbtypeFromString,
  type MboxEntry,
} from '../format/mboxlist-entry.js';
import { loadMetadata, readOptional } from '../inspect/load.js';
import { mailboxOwner } from '../format/annotations.js';
import { mailboxAnnotations, recordAnnotations } from './annotations.js';
import { countersRaclModseq, folderModseqs, xconvModseq, type FolderModseqs } from './conversations.js';
import type { MailboxContent, MailboxIdentity, MessageUpload } from './mailbox.js';

type DbRecord = { key: Buffer; value: Buffer };

/** Server-wide state shared by every mailbox of one dump run (config mode). */
export interface ServerState {
  conf: ImapdConf;
  /** mailboxes.db entries by internal name. */
  entries: Map<string, MboxEntry>;
  /** annotations.db records (empty when the file does not exist: no mailbox annotations). */
  annotations: DbRecord[];
  /** conversations.db folder modseqs by file path, read once per user (conversations: yes). */
  conversations?: Map<string, FolderModseqs | undefined>;
}

/** What the dump of one mailbox is built from. */
export interface LoadedMailbox {
  target: MailboxTarget;
  id: MailboxIdentity;
  content: MailboxContent;
  /** Things this dump could not know and how they were stood in for (--path mode). */
  notes: string[];
}

/** A mailbox that cannot be dumped (missing or undecodable files); the run goes on. */
export class DumpError extends Error {
  override readonly name = 'DumpError';
}

/** `annotation_db_path`, else `<configdirectory>/annotations.db`. */
export const annotationsDbPath = (conf: ImapdConf) => conf.raw('annotation_db_path') ?? `${conf.configDirectory}/annotations.db`;

/** Reads mailboxes.db and annotations.db once for the run. */
export async function loadServerState(conf: ImapdConf, mailboxesDb: string): Promise<ServerState> {
  const mbBuf = await readOptional(mailboxesDb);
  if (!mbBuf) throw operationalError(`cannot read mailboxes.db (${mailboxesDb})`);
  const entries = new Map<string, MboxEntry>();
  try {
    const records = readDb(mbBuf, mailboxesDb, { expect: conf.mboxlistDb as 'twoskip' }).records;
    const gen = detectMboxlistGeneration(records);
    for (const { key, value } of records) {
      if (gen === '3.6' && key[0] !== 0x4e /* N */) continue;
      try {
        const r = decodeMboxlistRecord(key, value, gen, { deletedPrefix: conf.deletedPrefix });
        if (r.kind === 'name' || r.kind === 'legacy') entries.set(r.name, r.entry);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e; // an undecodable entry only matters if dumped
      }
    }
  } catch (e) {
    if (e instanceof FormatError) throw operationalError(`cannot decode mailboxes.db (${mailboxesDb}): ${e.message}`);
    throw e;
  }
  const annPath = annotationsDbPath(conf);
  const annBuf = await readOptional(annPath);
  let annotations: DbRecord[] = [];
  if (annBuf) {
    try {
      annotations = readDb(annBuf, annPath, { expect: conf.annotationDb as 'twoskip' }).records;
    } catch (e) {
      if (e instanceof FormatError) throw operationalError(`cannot decode ${annPath}: ${e.message}`);
      throw e;
    }
  }
  return { conf, entries, annotations };
}

/**
 * Loads one mailbox. `server` is absent in --path mode; `partition` then names the partition
 * the folder belongs to (Cyrus keeps that only in mailboxes.db).
 */
export async function loadMailbox(t: MailboxTarget, server?: ServerState, partition?: string): Promise<LoadedMailbox> {
  const files = await loadMetadata(t);
  if (!files.header) throw new DumpError(`${files.paths.header} is missing`);
  if (!files.index) throw new DumpError(`${files.paths.index} is missing`);
  const decode = <T>(file: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof FormatError) throw new DumpError(e.inFile(file).message);
      throw e;
    }
  };
  const header = decode(files.paths.header, () => decodeHeader(files.header!));
  const { header: index, records } = decode(files.paths.index, () => decodeIndex(files.index!));
  const notes: string[] = [];

  let id: MailboxIdentity;
  const entry = server?.entries.get(t.name);
  if (server && entry) {
    const uniqueid = entry.uniqueid ?? header.uniqueid;
    if (!uniqueid) throw new DumpError(`${t.name}: no uniqueid in mailboxes.db or cyrus.header`);
    id = {
      name: t.name,
      uniqueid,
      partition: entry.partition ?? t.partition ?? '',
      // A dlist entry without an A key leaves mbentry->acl NULL: Cyrus sends NIL.
      acl: entry.valueFormat === 'dlist' && !entry.aclPresent ? null : entry.acl,
      mbtypeBits: entry.mbtypeBits,
      foldermodseq: entry.foldermodseq,
    };
  } else {
    if (server) notes.push('not in mailboxes.db: name, uniqueid, ACL and type from cyrus.header, no FOLDERMODSEQ');
    else notes.push('--path: no mailboxes.db, so name, uniqueid, ACL and type come from cyrus.header and FOLDERMODSEQ is not sent');
    const name = header.name ?? (t.nameFromHeader ? null : t.name);
    if (name === null) {
      notes.push(`cyrus.header (text format) has no name: MBOXNAME is the folder name ${JSON.stringify(t.name)}`);
    }
    if (!header.uniqueid) throw new DumpError(`${files.paths.header}: no uniqueid`);
    const part = t.partition ?? partition;
    if (!part) notes.push('--path: partition unknown, PARTITION default (name it with -p)');
    id = {
      name: name ?? t.name,
      uniqueid: header.uniqueid,
      partition: part ?? 'default',
      acl: header.acl,
      mbtypeBits: header.mbtype ? mbtypeFromString(header.mbtype) : 0,
      foldermodseq: 0n,
    };
  }

  const deletedPrefix = server?.conf.deletedPrefix;
  const mboxAnn = server ? decode(annotationsDbPath(server.conf), () => mailboxAnnotations(server.annotations, id.uniqueid, id.name, { deletedPrefix })) : [];
  if (!server) notes.push('--path: no annotations.db, so mailbox-level ANNOTATIONS are not sent');
  if (server && entry && parseSwitch(server.conf.raw('conversations') ?? 'no')) {
    Object.assign(id, await conversationFields(server, id, entry));
  }
  const recAnn = files.annotations
    ? decode(files.paths.annotations, () =>
        recordAnnotations(readDb(files.annotations!, files.paths.annotations, { expect: 'twoskip' }).records, id.name, { deletedPrefix }),
      )
    : new Map();
  return { target: t, id, content: { header, index, records, mailboxAnnotations: mboxAnn, recordAnnotations: recAnn }, notes };
}

/** Where a record's message file is: the spool folder, or the archive folder when ARCHIVED. */
export function messagePath(t: MailboxTarget, m: Pick<MessageUpload, 'uid' | 'archived'>): string {
  return `${m.archived && t.archiveDir ? t.archiveDir : t.dir}/${m.uid}.`;
}

/**
 * XCONVMODSEQ and RACLMODSEQ as sync_prepare_dlists reads them with `conversations: yes`: only
 * for mailboxes of a user (not DELETED ones, not JMAP submission ones); RACLMODSEQ on INBOX only.
 * A missing or unreadable file counts as 0, as in Cyrus.
 */
async function conversationFields(server: ServerState, id: MailboxIdentity, entry: MboxEntry): Promise<{ xconvmodseq: bigint; raclmodseq: bigint }> {
  const conf = server.conf;
  const none = { xconvmodseq: 0n, raclmodseq: 0n };
  const owner = mailboxOwner(id.name, conf.deletedPrefix);
  const deleted = id.name.replace(/^[^!]*!/, '').startsWith(`${conf.deletedPrefix}.`);
  if (!owner || deleted || entry.kind === 'jmapsubmit') return none;
  const inboxName = userInboxName(conf, owner);
  const inbox = server.entries.get(inboxName);
  const layout = inbox ? { uniqueid: inbox.uniqueid ?? undefined, legacyDirs: inbox.flags.legacyDirs } : null;
  const convPath = userFilePath(conf, owner, 'conversations', layout);
  server.conversations ??= new Map();
  if (!server.conversations.has(convPath)) {
    const buf = await readOptional(convPath);
    let folders: FolderModseqs | undefined;
    try {
      folders = buf ? folderModseqs(readDb(buf, convPath, { expect: (conf.raw('conversations_db') ?? 'twoskip') as 'twoskip' }).records) : undefined;
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      throw new DumpError(`${convPath}: ${e.message}`);
    }
    server.conversations.set(convPath, folders);
  }
  const folders = server.conversations.get(convPath);
  const xconvmodseq = folders ? xconvModseq(folders, id) : 0n;
  let raclmodseq = 0n;
  if (id.name === inboxName) {
    const counters = await readOptional(userFilePath(conf, owner, 'counters', layout));
    if (counters) raclmodseq = countersRaclModseq(counters);
  }
  return { xconvmodseq, raclmodseq };
}
