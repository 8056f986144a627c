// Fills a live instance with a realistic, seeded mix: users with sub-mailboxes, a shared mailbox,
// varied MIME (generated plus Cassandane's samples), LF-only mail via LMTP, flags and dozens of
// keywords set and taken back in rounds, per-message annotations, expunges (delayed: records stay
// in cyrus.index), a \Deleted message left unexpunged, and other users' \Seen on the shared
// mailbox (kept in their seen.db). The same seed gives the same messages and operations.
import type { CyrusInstance } from './instance.js';
import type { ImapClient } from './imap.js';
import { cassandaneMessages, generateMessage, lfOnly, MESSAGE_KINDS, Rng } from './mime.js';
import { ownerImapName, ownerOf } from './tools.js';

export const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Draft'] as const;

/** The keyword pool: common client keywords plus numbered ones, 40 in all. */
export const KEYWORDS: readonly string[] = [
  '$Label1', '$Label2', '$Label3', '$Label4', '$Label5', 'Work', 'todo', '$Junk', '$NotJunk', '$Forwarded',
  '$MDNSent', 'Personal', 'NonJunk', '$Phishing', 'urgent',
  ...Array.from({ length: 25 }, (_, i) => `kw${String(i).padStart(2, '0')}`),
];

export interface PopulateOptions {
  seed: number;
  users?: string[];
  /** Messages appended to each user's INBOX (other mailboxes get fewer). */
  messages?: number;
  /** Keywords used (from KEYWORDS), default all 40. */
  keywords?: number;
  /** Create shared.<name> with other users' seen state. Default 'team'. */
  shared?: string | null;
}

export interface Population {
  users: string[];
  /** Internal names of every mailbox created, users' first. */
  mailboxes: string[];
  shared?: string;
  /** UIDs per mailbox that were expunged (their records stay, flagged EXPUNGED). */
  expunged: Map<string, number[]>;
  /** Mailbox → UIDs that carry a /comment annotation. */
  annotated: Map<string, number[]>;
}

async function appendMessages(
  c: ImapClient,
  imapName: string,
  rng: Rng,
  count: number,
  start: number,
  to: string,
  seenOk = true,
): Promise<number[]> {
  const samples = cassandaneMessages();
  const uids: number[] = [];
  for (let i = 0; i < count; i++) {
    const n = start + i;
    // Every few messages, one of Cyrus's own samples; otherwise a generated kind in turn.
    let bytes: Buffer;
    let internalDate: Date;
    if (i % 4 === 3) {
      bytes = samples[(n >> 2) % samples.length]!.bytes;
      internalDate = new Date(Date.UTC(2023, 5, 1 + (n % 28), n % 24, 0, 0));
    } else {
      const m = generateMessage(MESSAGE_KINDS[n % MESSAGE_KINDS.length]!, n, rng, to);
      bytes = m.bytes;
      internalDate = m.internalDate;
    }
    const flags = rng.chance(0.3) && seenOk ? ['\\Seen'] : [];
    uids.push(await c.append(imapName, bytes, { flags, internalDate }));
  }
  return uids;
}

/** Rounds of flag and keyword changes over the mailbox's UIDs, some taken back off. */
async function flagRounds(
  c: ImapClient,
  uids: number[],
  rng: Rng,
  keywords: readonly string[],
  rounds = 4,
  system: readonly string[] = SYSTEM_FLAGS,
): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    for (const uid of rng.subset(uids, 0.5)) {
      const add = [...rng.subset(system, 0.35), ...rng.subset(keywords, 3 / keywords.length)];
      if (add.length) await c.uidStore(String(uid), '+', add);
    }
    for (const uid of rng.subset(uids, 0.2)) {
      const del = [...rng.subset(system, 0.3), ...rng.subset(keywords, 2 / keywords.length)];
      if (del.length) await c.uidStore(String(uid), '-', del);
    }
  }
  // Make sure every keyword is in use somewhere, so the mailbox has dozens of user flags.
  for (let k = 0; k < keywords.length; k++) await c.uidStore(String(uids[k % uids.length]), '+', [keywords[k]!]);
}

/** Annotates some messages (/comment, shared and private values); returns the annotated UIDs. */
async function annotate(c: ImapClient, uids: number[], rng: Rng): Promise<number[]> {
  const chosen = [uids[0]!, ...rng.subset(uids.slice(1), 0.2)];
  for (const uid of chosen) {
    await c.storeAnnotation(String(uid), '/comment', `note ${uid}: "quoted" ${rng.int(1e6)} ünï`, 'shared');
    if (rng.chance(0.5)) await c.storeAnnotation(String(uid), '/comment', `private ${uid}`, 'priv');
  }
  return chosen;
}

/** Expunges a few messages and leaves one more with \Deleted but not expunged. */
async function expungeSome(c: ImapClient, uids: number[], rng: Rng): Promise<number[]> {
  const gone = rng.subset(uids.slice(1, -1), 0.15).slice(0, 4);
  if (gone.length === 0 && uids.length > 2) gone.push(uids[1]!);
  if (gone.length) {
    const set = gone.join(',');
    await c.uidStore(set, '+', ['\\Deleted']);
    await c.uidExpunge(set);
  }
  const keep = uids.filter((u) => !gone.includes(u));
  if (keep.length > 1) await c.uidStore(String(keep[keep.length - 1]), '+', ['\\Deleted']);
  return gone;
}

/**
 * Creates users (logins and INBOXes), their sub-mailboxes and a shared mailbox, and fills them.
 * Returns what was made (internal mailbox names, expunged and annotated UIDs).
 */
export async function populate(inst: CyrusInstance, opts: PopulateOptions): Promise<Population> {
  const rng = new Rng(opts.seed);
  const users = opts.users ?? ['alice', 'bob'];
  const keywords = KEYWORDS.slice(0, opts.keywords ?? KEYWORDS.length);
  const perInbox = opts.messages ?? 16;
  const sharedName = opts.shared === null ? undefined : `shared.${opts.shared ?? 'team'}`;
  const pop: Population = { users, mailboxes: [], expunged: new Map(), annotated: new Map() };

  await inst.withImap(undefined, async (admin) => {
    for (const u of users) {
      inst.addLogin(u);
      await admin.create(`user.${u}`);
      for (const sub of ['Work', 'Archive', 'Archive.2023', 'Empty']) await admin.create(`user.${u}.${sub}`);
      // LMTP to user+Work needs the p right for anyone.
      await admin.setAcl(`user.${u}.Work`, 'anyone', 'p');
      pop.mailboxes.push(`user.${u}`, ...['Work', 'Archive', 'Archive.2023', 'Empty'].map((s) => `user.${u}.${s}`));
    }
    if (sharedName) {
      await admin.create(sharedName);
      await admin.setAcl(sharedName, 'admin', 'lrswipkxtecdan');
      for (const u of users) await admin.setAcl(sharedName, u, 'lrswipkxtecdn');
      // No SETMETADATA here: Cyrus 3.6.1's imapd dies on it for a shared mailbox
      // ("assertion failed: imap/mboxlist.c: 1088: user_isnamespacelocked(userid)").
      pop.mailboxes.push(sharedName);
      pop.shared = sharedName;
    }
  });

  let n = 0;
  for (const u of users) {
    await inst.withImap(u, async (c) => {
      const plan: [string, number][] = [
        [`user.${u}`, perInbox],
        [`user.${u}.Work`, Math.max(3, perInbox >> 1)],
        [`user.${u}.Archive`, 3],
        [`user.${u}.Archive.2023`, Math.max(3, perInbox >> 2)],
      ];
      for (const [mb, count] of plan) {
        const name = ownerImapName(mb);
        const uids = await appendMessages(c, name, rng, count, n, `${u}@example.com`);
        n += count;
        await c.select(name);
        await flagRounds(c, uids, rng, mb === `user.${u}` ? keywords : keywords.slice(0, 8));
        if (count >= 6) pop.annotated.set(mb, await annotate(c, uids, rng));
        if (count >= 6) pop.expunged.set(mb, await expungeSome(c, uids, rng));
      }
      await c.setMetadata('INBOX', '/private/comment', `inbox of ${u}`);
    });
    // LF-only mail (only LMTP takes it) into INBOX and, via +Work, into a sub-mailbox.
    await inst.deliver([u], lfOnly(generateMessage('plain', n++, rng, `${u}@example.com`).bytes));
    await inst.deliver([`${u}+Work`], lfOnly(generateMessage('alternative', n++, rng, `${u}@example.com`).bytes));
  }

  if (sharedName) {
    const uids = await inst.withImap(undefined, async (c) => {
      // The admin sets no \Seen here: its seen.db is not replicated (it has no INBOX), so
      // its \Seen would make master and replica differ.
      const uids = await appendMessages(c, sharedName, rng, 8, n, 'team@example.com', false);
      n += 8;
      await c.select(sharedName);
      await flagRounds(c, uids, rng, keywords.slice(0, 10), 2, SYSTEM_FLAGS.slice(1));
      pop.annotated.set(sharedName, await annotate(c, uids, rng));
      return uids;
    });
    // Each user's own \Seen on the shared mailbox lives in that user's seen.db.
    for (const u of users) {
      await inst.withImap(u, async (c) => {
        await c.select(sharedName);
        const seen = rng.subset(uids, 0.5);
        if (seen.length) await c.uidStore(seen.join(','), '+', ['\\Seen']);
      });
    }
  }
  return pop;
}

/** One more round of changes on a mailbox (appends, flags, an expunge): for "after changes" tests. */
export async function mutate(inst: CyrusInstance, mailbox: string, seed: number): Promise<void> {
  const rng = new Rng(seed);
  await inst.withImap(ownerOf(mailbox), async (c) => {
    const name = ownerImapName(mailbox);
    const added = await appendMessages(c, name, rng, 3, 5000 + (seed % 1000), 'mutate@example.com', !!ownerOf(mailbox));
    await c.select(name);
    const all = (await c.uidFetch('1:*', 'UID')).map((m) => Number(m.attrs.get('UID')));
    // As in populate(): no admin \Seen on shared mailboxes (admin's seen.db is not replicated).
    await flagRounds(c, all, rng, KEYWORDS.slice(0, 12), 1, ownerOf(mailbox) ? SYSTEM_FLAGS : SYSTEM_FLAGS.slice(1));
    const victim = all.find((u) => !added.includes(u));
    if (victim !== undefined) {
      await c.uidStore(String(victim), '+', ['\\Deleted']);
      await c.uidExpunge(String(victim));
    }
  });
}
