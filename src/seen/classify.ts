// Which seen-database entries are obsolete (spec cyrus-db-seen-dlist.md §6.3, §6.4; issue 7).
// Pure: one entry plus what is known of the mailbox its key names → a verdict with its reason.
//
//   SEEN_OWNER_OBSOLETE  the seen db's user owns the mailbox (Cyrus 3.6's rule: the userid of the
//                        mailbox name; DELETED.user.U.… is U's too) and its cyrus.index is minor
//                        version 12 or later, so the owner's \Seen lives in the index records
//                        (mailbox_internal_seen) — unless the mailbox has IMAP_SHAREDSEEN.
//   SEEN_MAILBOX_GONE    no mailbox in mailboxes.db has this uniqueid (deleted and expunged, not
//                        renamed: a rename keeps the uniqueid). Tombstones don't count as mailboxes.
//   keep                 everything else: other users' state on shared or others' mailboxes above
//                        all, indexes older than 12 (the next upgrade imports the entry), remote
//                        mailboxes, mailboxes whose index we could not read, `anyone`.
export type SeenVerdict = 'keep' | 'SEEN_OWNER_OBSOLETE' | 'SEEN_MAILBOX_GONE';

/** What the classification needs to know of the mailbox named by an entry's key. */
export interface MailboxFacts {
  /** Internal name (`user.fred.Sent`, `DELETED.user.fred.Old.6B0B123A`). */
  name: string;
  /** Userid owning it by Cyrus 3.6's rule, null for shared mailboxes. */
  owner: string | null;
  /** A delayed-delete `DELETED.…` mailbox (still on disk, can be restored by renaming). */
  delayedDelete: boolean;
  /** On another server (murder) or otherwise not a local mailbox with an index. */
  remote: boolean;
  /** Header of its cyrus.index, or why it could not be read. */
  index: { minorVersion: number; sharedSeen: boolean } | { error: string };
}

export interface SeenClassification {
  verdict: SeenVerdict;
  reason: string;
}

/** The index minor version from which the owner's \Seen is stored in the index (2.4.0+). */
export const INTERNAL_SEEN_VERSION = 12;

/**
 * Classifies the entry keyed `uniqueid` in the seen db of `user`. `mailbox` is the mailbox with
 * that uniqueid, or null when mailboxes.db has none (tombstones excluded).
 */
export function classifySeenEntry(
  user: string,
  uniqueid: string,
  mailbox: MailboxFacts | null,
  /** Set when some mailbox's uniqueid is unknown (see Inventory.incomplete): then nothing is gone. */
  unknownUniqueids?: string,
): SeenClassification {
  if (!mailbox && unknownUniqueids) {
    return { verdict: 'keep', reason: `no known mailbox has uniqueid ${uniqueid}, but mailboxes.db could not be fully resolved (${unknownUniqueids}): kept` };
  }
  if (!mailbox) {
    return { verdict: 'SEEN_MAILBOX_GONE', reason: `no mailbox in mailboxes.db has uniqueid ${uniqueid} (deleted; a renamed mailbox keeps its uniqueid)` };
  }
  const what = mailbox.delayedDelete ? `deleted mailbox ${mailbox.name} (delayed delete)` : mailbox.name;
  if (mailbox.remote) return { verdict: 'keep', reason: `${what} is not local (remote or in transit)` };
  if (user === 'anyone') return { verdict: 'keep', reason: `entry of "anyone" (shared seen state of old indexes): kept` };
  if (mailbox.owner !== user) {
    return { verdict: 'keep', reason: `${user} is not the owner of ${what}${mailbox.owner ? ` (owner ${mailbox.owner})` : ''}: this is ${user}'s own seen state` };
  }
  if ('error' in mailbox.index) return { verdict: 'keep', reason: `cannot read the index of ${what}: ${mailbox.index.error}` };
  const v = mailbox.index.minorVersion;
  if (v < INTERNAL_SEEN_VERSION) return { verdict: 'keep', reason: `${what} has index version ${v} (< ${INTERNAL_SEEN_VERSION}): this entry is the owner's seen state` };
  if (mailbox.index.sharedSeen) return { verdict: 'keep', reason: `${what} uses shared seen (IMAP_SHAREDSEEN): kept` };
  return {
    verdict: 'SEEN_OWNER_OBSOLETE',
    reason: `${user} owns ${what}, whose index version ${v} keeps the owner's \\Seen in its records`,
  };
}

/** `--only owner|gone` */
export type SeenScope = 'owner' | 'gone' | 'all';

export function inScope(verdict: SeenVerdict, only: SeenScope): boolean {
  if (verdict === 'keep') return false;
  return only === 'all' || (only === 'owner' ? verdict === 'SEEN_OWNER_OBSOLETE' : verdict === 'SEEN_MAILBOX_GONE');
}

/** A seen value `"<version> <lastread> <lastuid> <lastchange> <seenuids>"` (seen_db.c parse_data). */
export interface SeenValue {
  version: number;
  lastread: number;
  lastuid: number;
  lastchange: number;
  seenuids: string;
}

/** Parses a seen value; null when it is not version 1 in the usual form. */
export function parseSeenValue(value: Buffer): SeenValue | null {
  const m = /^(\d+) (\d+) (\d+) (\d+) ?(.*)$/s.exec(value.toString('latin1'));
  if (!m || m[1] !== '1') return null;
  return { version: 1, lastread: Number(m[2]), lastuid: Number(m[3]), lastchange: Number(m[4]), seenuids: m[5]! };
}
