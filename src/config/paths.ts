// Where Cyrus 3.6 keeps every mailbox and per-user file: pure functions of the configuration and a
// mailbox's identity (imap/mboxname.c mboxname_hash, mboxname_id_hash, mboxname_datapath,
// mboxname_archivepath, mboxname_metapath, mboxname_lockpath, mboxname_conf_getpath[_legacy],
// mboxid_conf_getpath; lib/util.c dir_hash_c; imap/sync_log.c sync_log_fname; imap/user.c).
//
// uuid or legacy layout? Cyrus 3.6 decides per mailbox from its mailboxes.db entry: the type flag
// MBTYPE_LEGACY_DIRS (letter `l` in the `T` field) selects the name-based legacy path, otherwise
// the mailbox lives under uuid/<u0>/<u1>/<uniqueid> (imap/mailbox.c mailbox_spool_fname,
// mailbox_meta_fname pass the uniqueid only when the flag is clear). The flag is set on every entry
// converted by the 2.x upgrade (mboxlist_upgrade, run by `ctl_cyrusdb -r`), inherited from the
// user's INBOX for mailboxes inside it, and taken from mailbox_legacy_dirs for new top-level
// mailboxes. Per-user files (seen, sub, counters…) follow the user's INBOX entry the same way.
import type { ImapdConf, MetaFileKind } from './imapd-conf.js';

/** A mailbox as paths need it: from mailboxes.db (N/I record) or cyrus.header. */
export interface MailboxLocation {
  /** Internal name: `user.foo.Sent`, `example.com!user.bar`, `DELETED.user.foo.6B0B1551`; `^` = a real dot. */
  name: string;
  uniqueid?: string;
  partition: string;
  /** MBTYPE_LEGACY_DIRS (`l` in the type string). Without a uniqueid the legacy path is all there is. */
  legacyDirs: boolean;
}

/** The pieces of an internal name (mbname_from_intname). Boxes carry real dots. */
export interface MbName {
  domain: string | null;
  localpart: string | null;
  boxes: string[];
  /** Deletion time of a DELETED.… name (strtoul of its last part), 0 for a live name. */
  isDeleted: number;
  /** The deletion time as Cyrus writes it back into paths: `%X` of its low 32 bits. */
  deletedStamp: string;
}

/**
 * lib/util.c dir_hash_c. Simple: the lower-cased first byte if a-z, else 'q'. Full (fulldirhash):
 * fold the bytes before the first '.' with n = (n<<3 ^ n>>5) ^ byte (32 bits), 'A' + n % 23.
 */
export function dirHashChar(name: string, full: boolean): string {
  const bytes = Buffer.from(name, 'utf8');
  if (full) {
    let n = 0;
    for (const b of bytes) {
      if (b === 0x2e) break;
      n = (((n << 3) ^ (n >>> 5)) ^ b) >>> 0;
    }
    return String.fromCharCode(0x41 + (n % 23));
  }
  const c = bytes[0] ?? 0;
  const lower = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
  return lower >= 0x61 && lower <= 0x7a ? String.fromCharCode(lower) : 'q';
}

/** strtoul(s, NULL, 16): leading hex digits, saturating at 2^64-1. */
function strtoulHex(s: string): bigint {
  const m = /^[ \t\n\v\f\r]*[+]?(?:0[xX])?([0-9a-fA-F]+)/.exec(s);
  if (!m) return 0n;
  const v = BigInt(`0x${m[1]}`);
  return v > 0xffffffffffffffffn ? 0xffffffffffffffffn : v;
}

/** imap/mboxname.c mbname_from_intname. */
export function parseIntname(conf: ImapdConf, intname: string): MbName {
  let rest = intname;
  let domain: string | null = null;
  const bang = rest.indexOf('!');
  if (bang >= 0) {
    domain = rest.slice(0, bang);
    if (domain === conf.defaultDomain) domain = null;
    rest = rest.slice(bang + 1);
  }
  const boxes = rest
    .split('.')
    .filter((b) => b.length)
    .map((b) => b.replace(/\^/g, '.'));
  let deleted = 0n;
  if (boxes.length > 2 && boxes[0] === conf.deletedPrefix) {
    boxes.shift();
    deleted = strtoulHex(boxes.pop()!);
  }
  let localpart: string | null = null;
  if (boxes.length > 1 && boxes[0] === 'user') {
    boxes.shift();
    localpart = boxes.shift()!;
  }
  return { domain, localpart, boxes, isDeleted: Number(deleted), deletedStamp: (deleted & 0xffffffffn).toString(16).toUpperCase() };
}

/** mailboxes.db 3.6 key (db-name, without the `N`) → internal name. */
export function dbnameToIntname(dbname: string): string {
  const sep = dbname.indexOf('\x1d');
  const domain = sep >= 0 ? dbname.slice(0, sep) : null;
  const parts = (sep >= 0 ? dbname.slice(sep + 1) : dbname).split('\x1f').map((p) => p.replace(/\./g, '^'));
  return (domain ? `${domain}!` : '') + parts.join('.');
}

/**
 * imap/mboxname.c mboxname_hash: the legacy name-based directory of `intname` under `root`.
 * For every name 2.4.17 can produce this equals its string-based mboxname_hash (hash of the text
 * after the first '.', dots to slashes); 3.6 differs only for names 2.4 never makes: a '!' without
 * virtdomains, empty components, a non-canonical hex deletion time.
 */
export function legacyMailboxDir(conf: ImapdConf, root: string, intname: string): string {
  const mb = parseIntname(conf, intname);
  const full = conf.fullDirHash;
  let path = root;
  if (mb.domain) path += conf.hashImapSpool ? `/domain/${dirHashChar(mb.domain, full)}/${mb.domain}` : `/domain/${mb.domain}`;
  const boxes = [...mb.boxes];
  if (mb.localpart !== null) boxes.unshift('user', mb.localpart);
  if (mb.isDeleted) {
    boxes.unshift(conf.deletedPrefix);
    boxes.push(mb.deletedStamp);
  }
  if (conf.hashImapSpool && boxes.length) path += `/${dirHashChar(boxes.length > 1 ? boxes[1]! : boxes[0]!, full)}`;
  for (const b of boxes) path += `/${b.replace(/\./g, '^')}`;
  return path;
}

/**
 * imap/mboxname.c mboxname_id_hash: `<root>/uuid/<u0>/<u1>/<uniqueid>`. For a uniqueid shorter
 * than two characters Cyrus's printf meets the terminating NUL and the path ends there; so does ours.
 */
export function uuidMailboxDir(root: string, uniqueid: string): string {
  if (uniqueid.length >= 2) return `${root}/uuid/${uniqueid[0]}/${uniqueid[1]}/${uniqueid}`;
  return uniqueid.length === 1 ? `${root}/uuid/${uniqueid}/` : `${root}/uuid/`;
}

function mailboxDirUnder(conf: ImapdConf, root: string, mb: MailboxLocation): string {
  return !mb.legacyDirs && mb.uniqueid !== undefined ? uuidMailboxDir(root, mb.uniqueid) : legacyMailboxDir(conf, root, mb.name);
}

/** The folder with the message files (mboxname_datapath); undefined if the partition is unknown. */
export function mailboxDataDir(conf: ImapdConf, mb: MailboxLocation): string | undefined {
  const root = conf.partitionDir(mb.partition);
  return root === undefined ? undefined : mailboxDirUnder(conf, root, mb);
}

/** Where archived messages live (mboxname_archivepath): archivepartition-<p> if enabled, else the spool. */
export function mailboxArchiveDir(conf: ImapdConf, mb: MailboxLocation): string | undefined {
  const root = conf.archivepartitionDir(mb.partition) ?? conf.partitionDir(mb.partition);
  return root === undefined ? undefined : mailboxDirUnder(conf, root, mb);
}

/** A message file: `<dir>/<uid>.`, in the archive folder for FLAG_INTERNAL_ARCHIVED records. */
export function messageFilePath(conf: ImapdConf, mb: MailboxLocation, uid: number, archived = false): string | undefined {
  const dir = archived ? mailboxArchiveDir(conf, mb) : mailboxDataDir(conf, mb);
  return dir === undefined ? undefined : `${dir}/${uid}.`;
}

/** Metadata files: the file name and the metadir-* override key each uses (mboxname_metapath). */
const META: Record<Exclude<MetaFileKind, 'lock'>, { file: string; override: string | null }> = {
  header: { file: 'cyrus.header', override: 'header' },
  index: { file: 'cyrus.index', override: 'index' },
  cache: { file: 'cyrus.cache', override: 'cache' },
  expunge: { file: 'cyrus.expunge', override: null },
  squat: { file: 'cyrus.squat', override: 'squat' },
  annotations: { file: 'cyrus.annotations', override: 'index' }, // shares metadir-index-*
  dav: { file: 'cyrus.dav', override: 'dav' },
  archivecache: { file: 'cyrus.cache', override: 'archivecache' },
};
export type MetaFile = keyof typeof META;

function metaRoot(conf: ImapdConf, partition: string, kind: MetaFile | null): string | undefined {
  const spec = kind ? META[kind] : null;
  if (spec?.override) {
    const o = conf.raw(`metadir-${spec.override}-${partition}`);
    if (o !== undefined) return o;
  }
  if (!kind || conf.metapartitionFiles.has(kind)) {
    const m = conf.metapartitionDir(partition);
    if (m !== undefined) return m;
  }
  if (kind === 'archivecache') {
    const a = conf.archivepartitionDir(partition);
    if (a !== undefined) return a;
  }
  return conf.partitionDir(partition);
}

/**
 * A metadata file of a mailbox (cyrus.header, .index, .cache, .annotations…), honouring
 * metadir-<kind>-<partition>, metapartition-<partition> with metapartition_files, and the archive
 * partition for the archive cache. `isNew` gives the `.NEW` name Cyrus writes before renaming.
 */
export function mailboxMetaFile(conf: ImapdConf, mb: MailboxLocation, kind: MetaFile, isNew = false): string | undefined {
  const root = metaRoot(conf, mb.partition, kind);
  if (root === undefined) return undefined;
  return `${mailboxDirUnder(conf, root, mb)}/${META[kind].file}${isNew ? '.NEW' : ''}`;
}

/** The metadata folder as `mbpath -M` prints it: under metapartition-<p> whenever that is set. */
export function mailboxMetaDir(conf: ImapdConf, mb: MailboxLocation): string | undefined {
  const root = metaRoot(conf, mb.partition, null);
  return root === undefined ? undefined : mailboxDirUnder(conf, root, mb);
}

/** `<configdirectory>/mailboxes.db` (imap/mboxlist.h FNAME_MBOXLIST). */
export const mailboxesDbPath = (conf: ImapdConf) => `${conf.configDirectory}/mailboxes.db`;

/** A user's INBOX as an internal name (mboxname_user_mbox): `[domain!]user.<local, . as ^>`. */
export function userInboxName(conf: ImapdConf, userid: string): string {
  const { localpart, domain } = splitUserid(conf, userid);
  return `${domain ? `${domain}!` : ''}user.${(localpart ?? '').replace(/\./g, '^')}`;
}

/** mbname_from_userid: split at the last '@'; the default domain counts as none. */
export function splitUserid(conf: ImapdConf, userid: string): { localpart: string | null; domain: string | null } {
  if (!userid) return { localpart: null, domain: null };
  const at = userid.lastIndexOf('@');
  if (at < 0) return { localpart: userid, domain: null };
  const domain = userid.slice(at + 1);
  return { localpart: userid.slice(0, at), domain: domain === conf.defaultDomain ? null : domain };
}

/** The INBOX entry that decides a user's file layout: uniqueid and legacy flag, or null if absent. */
export interface InboxEntry {
  uniqueid?: string;
  legacyDirs: boolean;
}

/**
 * A per-user file, e.g. suffix `seen` (seen state), `sub` (subscriptions), `counters`
 * (mboxname_conf_getpath): `<config>/user/uuid/<u0>/<u1>/<inbox uniqueid>/<suffix>.db` when the
 * user's INBOX exists with a uniqueid and without the legacy flag, else the legacy
 * `<config>[/domain/<h>/<domain>]/user/<h>/<localpart>.<suffix>`. (Cyrus also tries former names
 * of a mailbox being renamed; callers mid-rename pass the INBOX they resolved.)
 */
export function userFilePath(conf: ImapdConf, userid: string, suffix: string, inbox: InboxEntry | null): string {
  const { localpart } = splitUserid(conf, userid);
  if (localpart !== null && inbox?.uniqueid !== undefined && !inbox.legacyDirs) return userFileUuidPath(conf, inbox.uniqueid, suffix);
  return userFileLegacyPath(conf, userid, suffix);
}

/** mboxid_conf_getpath. */
export const userFileUuidPath = (conf: ImapdConf, inboxUniqueid: string, suffix: string) =>
  `${uuidMailboxDir(`${conf.configDirectory}/user`, inboxUniqueid)}/${suffix}.db`;

/** mboxname_conf_getpath_legacy (the only form 2.x knew). Configdirectory hashing is unconditional. */
export function userFileLegacyPath(conf: ImapdConf, userid: string, suffix: string): string {
  const { localpart, domain } = splitUserid(conf, userid);
  const full = conf.fullDirHash;
  const dir = conf.configDirectory;
  const dom = domain ? `/domain/${dirHashChar(domain, full)}/${domain}` : '';
  if (localpart !== null) return `${dir}${dom}/user/${dirHashChar(localpart, full)}/${localpart}.${suffix}`;
  return `${dir}${dom}/shared.${suffix}`;
}

/** sync log of a channel (sync_log_fname): null = the default channel. */
export const syncLogPath = (conf: ImapdConf, channel: string | null) =>
  channel ? `${conf.configDirectory}/sync/${channel}/log` : `${conf.configDirectory}/sync/log`;

/** Every sync log Cyrus appends to, or none when sync_log is off. */
export function syncLogPaths(conf: ImapdConf): string[] {
  return conf.syncLog ? conf.syncLogChannels.map((c) => syncLogPath(conf, c)) : [];
}

/** Lock root: mboxname_lockpath, else `<configdirectory>/lock`. */
export const lockRoot = (conf: ImapdConf) => conf.mboxnameLockpath ?? `${conf.configDirectory}/lock`;

/** mboxname_lockpath of a lock name: the name hashed like a mailbox, plus `.lock`. */
export const nameLockPath = (conf: ImapdConf, lockName: string) => `${legacyMailboxDir(conf, lockRoot(conf), lockName)}.lock`;

/** A mailbox's name lock: named by uniqueid, or by internal name for legacy-dirs mailboxes. */
export function mailboxLockPath(conf: ImapdConf, mb: MailboxLocation): string {
  return nameLockPath(conf, !mb.legacyDirs && mb.uniqueid !== undefined ? mb.uniqueid : mb.name);
}

/** The user namespace lock (imap/user.c): `*U*` + userid with '.' as '^'; null userid = global. */
export function userNamespaceLockPath(conf: ImapdConf, userid: string | null): string {
  return nameLockPath(conf, `*U*${(userid ?? '').replace(/\./g, '^')}`);
}
