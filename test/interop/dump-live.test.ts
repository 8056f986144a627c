// The oracle for `cyrus-fsck dump`: a real Cyrus 3.6.1 sync_client pushes every mailbox of a
// populated master (flags, dozens of keywords, expunged records, a \Deleted one, per-message
// shared and private annotations with 8-bit and quoted values, mailbox annotations, a quota
// root, a shared-seen mailbox, a message copied between folders, a grandchild folder, messages
// moved to an archive partition, folders rewritten to index versions 12, 14 and 15) to an empty
// replica through a recording relay. Our dump of each mailbox, made afterwards from the
// master's files, must equal what sync_client sent for it byte for byte: the APPLY MAILBOX line,
// and the APPLY MESSAGE lines once the files sync_client had already uploaded in the same
// session are left out (it sends each GUID once per session); a whole `dump -u USER` equals the
// whole session's APPLY MESSAGE / APPLY MAILBOX lines. Every captured line also parses and
// prints back to the same bytes. A dump replayed to sync_server recreates its mailbox on the
// replica, equal to the master. In --path mode the only differences are the fields only
// mailboxes.db and annotations.db hold (FOLDERMODSEQ, mailbox ANNOTATIONS).
import { chownSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getChild, list, printLine, toAtom, type DKvList } from '../../src/dlist/index.js';
import { InternalFlag, decodeIndex } from '../../src/format/index/index.js';
import { describeInterop } from '../harness/env.js';
import { ADMIN, CyrusInstance, PASSWORD, cyrusIds } from '../harness/instance.js';
import { populate, type Population } from '../harness/populate.js';
import { clientBytes, startSyncRelay, type SyncRelay } from '../harness/sync-relay.js';
import { cli, filesOf, isApply, nameOf, parseLines, print, replayToSyncServer, sentByMailbox, type Sent } from '../dump/oracle.js';
import { compareReplica, listMailboxes, mbpath, reconstructVersion, syncClient } from '../harness/tools.js';

describeInterop('dump equals what Cyrus 3.6.1 sync_client sends to an empty replica', () => {
  let master: CyrusInstance;
  let replica: CyrusInstance;
  let relay: SyncRelay;
  let pop: Population;
  let mailboxes: string[];
  const sent = new Map<string, Sent>();
  const out = mkdtempSync(join(tmpdir(), 'cyrus-fsck-dump-'));

  beforeAll(async () => {
    replica = await CyrusInstance.start({ name: 'dpr', syncServer: true });
    relay = await startSyncRelay(replica.ports.sync!);
    // An archive partition: cyr_expire -A moves old messages there (FLAG_INTERNAL_ARCHIVED).
    const archive = mkdtempSync(join(tmpdir(), 'cyrus-fsck-archive-'));
    const { uid, gid } = cyrusIds();
    chownSync(archive, uid, gid);
    master = await CyrusInstance.start({
      name: 'dpm',
      syncTo: replica,
      conf: { sync_port: String(relay.port), archive_enabled: 'yes', 'archivepartition-default': archive },
    });
    pop = await populate(master, { seed: 11, users: ['alice', 'bob'], messages: 10, keywords: 24 });
    await master.withImap(undefined, async (c) => {
      await c.ok('SETQUOTA', 'user.bob', '(STORAGE 100000)');
      // Shared seen (OPTIONS S) and a shared mailbox annotation on a user's folder.
      await c.setMetadata('user.bob.Work', '/shared/vendor/cmu/cyrus-imapd/sharedseen', 'true');
      await c.setMetadata('user.alice.Work', '/shared/comment', 'said "hi" 100%');
      // A grandchild: 3.6.1 creates user.alice.Deep as a real mailbox (not an intermediate).
      await c.create('user.alice.Deep.Er');
    });
    await master.withImap('alice', async (c) => {
      await c.select('INBOX');
      // The same message in two folders: the second folder's upload leaves it out.
      await c.ok('UID', 'COPY', '1:2', 'INBOX.Archive');
      await c.setMetadata('INBOX', '/shared/comment', 'ünïcode inbox');
    });
    // Older index versions: no savedate (< 15), createdmodseq (< 16), SYNC_CRC_ANNOT (< 13).
    await reconstructVersion(master, 'user.bob.Archive', 12);
    await reconstructVersion(master, 'user.bob.Archive.2023', 14);
    await reconstructVersion(master, 'user.alice.Archive.2023', 15);
    await master.tool('cyr_expire', ['-A', '0', '-u', 'bob']);
    mailboxes = await listMailboxes(master);
    for (const u of pop.users) await syncClient(master, { users: [u] });
    await syncClient(master, { mailboxes: mailboxes.filter((m) => !m.startsWith('user.')) });

    for (const [k, v] of sentByMailbox(relay.captures)) sent.set(k, v);
  }, 300_000);

  afterAll(async () => {
    await master?.stop();
    await replica?.stop();
    await relay?.close();
  });

  it('sync_client sent an APPLY MAILBOX for every mailbox with records, expunges and annotations', async () => {
    const email = mailboxes.filter((m) => sent.has(m));
    expect(email.length).toBeGreaterThanOrEqual(pop.mailboxes.length);
    const all = [...sent.values()].map((s) => print(s.mailbox).toString('latin1')).join('');
    const needles = ['\\Expunged', '\\Deleted', 'QUOTAROOT user.bob', 'OPTIONS PS', '/vendor/cmu/cyrus-imapd/savedate', 'USERID alice MODSEQ 0 VALUE "inbox of alice"', 'VALUE {'];
    expect(needles.filter((n) => !all.includes(n))).toEqual([]);
    expect(sent.has('user.alice.Deep') && sent.has('user.alice.Deep.Er')).toBe(true);
    // cyr_expire -A archived bob's messages: their files are read from the archive partition.
    const bob = decodeIndex(readFileSync(join(await mbpath(master, 'user.bob'), 'cyrus.index')));
    expect(bob.records.filter((r) => r.internalFlags & InternalFlag.ARCHIVED).length).toBeGreaterThan(0);
    const v12 = print(sent.get('user.bob.Archive')!.mailbox).toString('latin1');
    expect(v12).toContain('SYNC_CRC_ANNOT 0 ');
    // Below v15 the record has no savedate slot: reconstruct -V kept it as a stored annotation
    // (non-zero MODSEQ), not the virtual one (MODSEQ 0), and there is no CREATEDMODSEQ field.
    expect(v12).toMatch(/savedate USERID "" MODSEQ [1-9]/);
    expect(v12).not.toMatch(/savedate USERID "" MODSEQ 0 /);
    expect(v12).not.toContain(' CREATEDMODSEQ ');
  });

  it('every captured line parses and prints back to the bytes sync_client sent', () => {
    for (const cap of relay.captures) {
      const bytes = clientBytes(cap);
      expect(Buffer.concat(parseLines(bytes).map(print)).equals(bytes)).toBe(true);
    }
  });

  it('our APPLY MAILBOX and APPLY MESSAGE lines equal sync_client\'s, byte for byte', async () => {
    let compared = 0;
    let leftOut = 0;
    for (const [name, s] of sent) {
      const file = join(out, `${name}.dlist`);
      const r = await cli('dump', '-C', master.conf, name, '--messages', '-o', file);
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: '' });
      const ours = parseLines(readFileSync(file));
      const mailbox = ours.at(-1)!;
      expect(isApply(mailbox, 'MAILBOX')).toBe(true);
      expect(print(mailbox).toString('latin1')).toBe(print(s.mailbox).toString('latin1'));

      // Our files, less those sync_client had sent for an earlier folder, in lines of ≤ 1024.
      const all = ours.slice(0, -1).flatMap(filesOf);
      const files = all.filter((f) => !s.uploadedBefore.has(f.guid));
      leftOut += all.length - files.length;
      const expected = files.length ? [[...ours[0]!.slice(0, 2), list(...files)]] : [];
      expect(Buffer.concat(expected.map(print)).equals(Buffer.concat(s.messages.map(print)))).toBe(true);
      compared++;
    }
    expect(compared).toBe(sent.size);
    expect(leftOut).toBeGreaterThan(0); // the message copied to INBOX.Archive went up once
  });

  it('a whole run equals a whole session: dump -u USER --messages is the session\'s APPLY MESSAGE/MAILBOX lines', async () => {
    for (const cap of relay.captures) {
      const theirs = parseLines(clientBytes(cap)).filter((l) => isApply(l, 'MESSAGE') || isApply(l, 'MAILBOX'));
      const names = theirs.filter((l) => isApply(l, 'MAILBOX')).map((l) => nameOf(l)!);
      const user = /^user\.([^.]+)/.exec(names[0]!)?.[1];
      const file = join(out, `session-${names[0]}.dlist`);
      const sel = user ? ['-u', user] : names;
      const r = await cli('dump', '-C', master.conf, ...sel, '--messages', '-o', file);
      expect(r.code).toBe(0);
      expect(readFileSync(file).equals(Buffer.concat(theirs.map(print)))).toBe(true);
    }
  });

  it('a dump replayed to sync_server recreates the mailbox: the replica then equals the master', async () => {
    // A folder sync_client never sent (made after the sync): only the dump carries it.
    await master.withImap('alice', async (c) => {
      await c.create('INBOX.Restored');
      for (let i = 0; i < 4; i++) await c.append('INBOX.Restored', Buffer.from(`Subject: r${i}\r\n\r\nbody ${i}\r\n`), { flags: i % 2 ? ['\\Seen', 'kw'] : [] });
      await c.select('INBOX.Restored');
      await c.storeAnnotation('2', '/comment', 'restored "note"');
      await c.uidStore('3', '+', ['\\Deleted']);
      await c.uidExpunge('3');
    });
    const file = join(out, 'restore.dlist');
    expect((await cli('dump', '-C', master.conf, 'user.alice.Restored', '--messages', '-o', file)).code).toBe(0);
    const replies = await replayToSyncServer(replica.ports.sync!, ADMIN, PASSWORD, readFileSync(file));
    expect(replies).toEqual(['OK success', 'OK success']);
    expect(await compareReplica(master, replica, ['user.alice.Restored'])).toEqual([]);
  });

  it('--path (no mailboxes.db, no annotations.db): the same line without FOLDERMODSEQ and mailbox ANNOTATIONS', async () => {
    for (const name of ['user.alice', 'user.alice.Work', 'user.bob']) {
      const file = join(out, `${name}.path.dlist`);
      const r = await cli('dump', '--path', await mbpath(master, name), '-p', 'default', '-o', file);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('FOLDERMODSEQ');
      const [ours] = parseLines(readFileSync(file));
      const theirs = sent.get(name)!.mailbox[2] as DKvList;
      const without = (kl: DKvList, keys: string[]) => ({ ...kl, items: kl.items.filter((it) => !keys.includes(it.key)) });
      expect(print(ours!).toString('latin1')).toBe(printLine(['APPLY', 'MAILBOX', without(theirs, ['FOLDERMODSEQ', 'ANNOTATIONS'])]).toString('latin1'));
    }
  });
});
