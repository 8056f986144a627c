// The harness itself against real Cyrus: an instance starts and logs, appends and LMTP mail are
// visible as sent, mbexamine agrees with IMAP, a replica converges after sync_client (IMAP views
// and stored SYNC_CRCs), and stopping leaves no process or folder behind.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance, cyrusIds, PASSWORD } from '../harness/instance.js';
import { generateMessage, lfOnly, Rng } from '../harness/mime.js';
import { mutate, populate, type Population } from '../harness/populate.js';
import { sexpString } from '../harness/imap.js';
import { compareReplica, ctlMboxlistDump, imapView, listMailboxes, mailboxSyncCrcs, mbexamine, mbpath, ownerImapName, ownerOf, syncAll } from '../harness/tools.js';

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

describeInterop('harness: a private Cyrus 3.6 instance', () => {
  let inst: CyrusInstance;
  beforeAll(async () => {
    inst = await CyrusInstance.start({ users: ['carol'] });
    await inst.withImap(undefined, (c) => c.create('user.carol'));
  });
  afterAll(() => inst?.stop());

  it('starts master on loopback and captures its syslog lines', async () => {
    expect(inst.running).toBe(true);
    const log = inst.syslog();
    expect(log.some((l) => /master\[\d+\]: \w+: ready for work/.test(l))).toBe(true);
    // ctl_cyrusdb -r ran as a START child of master, through the shim too.
    expect(log.some((l) => /ctl_cyrusdb\[\d+\]: notice: done recovering cyrus databases/.test(l))).toBe(true);
  });

  it('keeps the instance files owned by cyrus', () => {
    const { uid } = cyrusIds();
    for (const f of ['imapd.conf', 'sasldb2', 'conf', 'spool', 'conf/mailboxes.db']) {
      expect(statSync(join(inst.dir, f)).uid, f).toBe(uid);
    }
  });

  it('shows an APPENDed message over IMAP exactly as sent, with flags and internaldate', async () => {
    const msg = generateMessage('attachment', 1, new Rng(7), 'carol@example.com');
    const when = new Date(Date.UTC(2023, 4, 6, 7, 8, 9));
    const uid = await inst.withImap('carol', (c) => c.append('INBOX', msg.bytes, { flags: ['\\Flagged', '$Work'], internalDate: when }));
    const view = await imapView(inst, 'user.carol');
    const m = view.messages.find((x) => x.uid === uid)!;
    expect(m).toMatchObject({ size: msg.bytes.length, sha1: sha1(msg.bytes), internaldate: when.getTime() / 1000, flags: ['$Work', '\\Flagged'] });
    expect(view.uidnext).toBe(uid + 1);
  });

  it('stores LF-only mail delivered over LMTP with CRLF line endings', async () => {
    const crlf = generateMessage('plain', 2, new Rng(8), 'carol@example.com').bytes;
    await inst.deliver(['carol'], lfOnly(crlf));
    const stored = await inst.withImap('carol', async (c) => {
      await c.examine('INBOX');
      const all = await c.uidFetch('1:*', 'UID BODY.PEEK[]');
      return all[all.length - 1]!.attrs.get('BODY[]') as Buffer;
    });
    // lmtpd prepends Return-Path/Received; the rest is the message with CRLF restored.
    expect(stored.subarray(stored.length - crlf.length).equals(crlf)).toBe(true);
    expect(/(^|[^\r])\n/.test(stored.toString('latin1'))).toBe(false);
  });

  it('stores and reads back a per-message annotation', async () => {
    const got = await inst.withImap('carol', async (c) => {
      await c.select('INBOX');
      await c.storeAnnotation('1', '/comment', 'ünïcode "quoted" note');
      const [m] = await c.uidFetch('1', 'ANNOTATION (/comment value.shared)');
      return m!.attrs.get('ANNOTATION');
    });
    expect(Array.isArray(got) && got[0]).toBe('/comment');
    const pair = (got as unknown[])[1] as unknown[];
    expect(sexpString(pair[1] as Buffer)).toBe('ünïcode "quoted" note');
  });

  it('parses mbexamine into the same UIDs, sizes, dates and GUIDs (SHA-1) as IMAP shows', async () => {
    const [ex, view] = [await mbexamine(inst, 'user.carol'), await imapView(inst, 'user.carol')];
    expect(ex.path).toBe(await mbpath(inst, 'user.carol'));
    expect(ex.minorVersion).toBe(17);
    expect(ex.exists).toBe(view.exists);
    expect(ex.highestModseq).toBe(view.highestmodseq);
    expect(ex.userFlagNames).toContain('$Work');
    expect(ex.records.map((r) => ({ uid: r.uid, size: r.size, internaldate: r.internaldate, sha1: r.guid, modseq: r.modseq }))).toEqual(
      view.messages.map((m) => ({ uid: m.uid, size: m.size, internaldate: m.internaldate, sha1: m.sha1, modseq: m.modseq })),
    );
  });

  it('logs in with LOGIN, sets mailbox metadata and annotations, deletes into DELETED.* (delayed delete)', async () => {
    const { ImapClient } = await import('../harness/imap.js');
    const c = await ImapClient.connect(inst.ports.imap);
    await c.login('carol', PASSWORD);
    await c.create('INBOX.Trash');
    await c.setMetadata('INBOX.Trash', '/shared/comment', 'to be deleted');
    await c.setAnnotation('INBOX.Trash', '/comment', 'via SETANNOTATION', 'priv');
    expect(await c.getMetadata('INBOX.Trash', '/shared/comment')).toBe('to be deleted');
    expect(await c.getMetadata('INBOX.Trash', '/private/comment')).toBe('via SETANNOTATION');
    expect((await c.list('*')).map((m) => m.name)).toContain('INBOX.Trash');
    await c.delete('INBOX.Trash');
    await c.logout();
    const db = await ctlMboxlistDump(inst);
    expect(Object.keys(db).some((n) => /^DELETED\.user\.carol\.Trash\.[0-9A-F]+$/.test(n))).toBe(true);
    // 3.6 keeps the old name as a tombstone (type letter d), as in the seen fixture.
    expect(db['user.carol.Trash']?.mbtype).toContain('d');
  });

  it('captures the syslog lines of the tools it runs', async () => {
    const r = await inst.tool('reconstruct', ['-n', 'user.nosuchuser'], { allowFail: true });
    expect(r.code).not.toBe(null);
    expect(inst.syslog().some((l) => /reconstruct\[\d+\]/.test(l))).toBe(true);
  });
});

describeInterop('harness: stopping', () => {
  it('restarts master on the same folder and ports, with the mail still there', async () => {
    const inst = await CyrusInstance.start({ users: ['dan'] });
    try {
      await inst.withImap(undefined, (c) => c.create('user.dan'));
      await inst.withImap('dan', (c) => c.append('INBOX', generateMessage('plain', 3, new Rng(3)).bytes));
      const [before, oldPid] = [await imapView(inst, 'user.dan'), inst.pid];
      await inst.restart();
      expect(inst.pid).not.toBe(oldPid);
      expect(existsSync(`/proc/${oldPid}`)).toBe(false);
      expect(await imapView(inst, 'user.dan')).toEqual(before);
    } finally {
      await inst.stop();
    }
  });

  it('kills master and its children by pid and removes the folder', async () => {
    const inst = await CyrusInstance.start();
    // An open IMAP session means a running imapd child.
    const c = await inst.imap();
    const pid = inst.pid!;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    expect(children.length).toBeGreaterThan(0);
    await inst.stop();
    c.close();
    for (const p of [pid, ...children]) expect(existsSync(`/proc/${p}`) && !/\) Z/.test(readFileSync(`/proc/${p}/stat`, 'utf8')), `pid ${p}`).toBe(false);
    expect(existsSync(inst.dir)).toBe(false);
  });
});

describeInterop('harness: master and replica', () => {
  let master: CyrusInstance;
  let replica: CyrusInstance;
  let pop: Population;
  beforeAll(async () => {
    ({ master, replica } = await CyrusInstance.startPair());
    pop = await populate(master, { seed: 3601 });
  });
  afterAll(async () => {
    await master?.stop();
    await replica?.stop();
  });

  it('populates several users, sub-mailboxes, a shared mailbox and dozens of keywords', async () => {
    expect(pop.mailboxes).toContain('user.alice.Archive.2023');
    expect(pop.shared).toBe('shared.team');
    const ex = await mbexamine(master, 'user.alice');
    expect(ex.userFlagNames.length).toBeGreaterThanOrEqual(36);
    const index = readFileSync(join(ex.path, 'cyrus.index'));
    // Expunged records stay in the index (delayed expunge): more records than messages.
    expect(index.readUInt32BE(20)).toBeGreaterThan(ex.exists);
  });

  it('converges after sync_client: equal IMAP views (flags by name) and stored SYNC_CRCs', async () => {
    await syncAll(master);
    expect(await compareReplica(master, replica, undefined, pop.users)).toEqual([]);
  });

  it('sees the difference before the next sync, and converges again after it', async () => {
    await mutate(master, 'user.bob.Work', 99);
    const before = await compareReplica(master, replica, ['user.bob.Work']);
    expect(before.length).toBeGreaterThan(0);
    await syncAll(master);
    expect(await compareReplica(master, replica, ['user.bob.Work'])).toEqual([]);
    const [m, r] = [await mailboxSyncCrcs(master, 'user.bob.Work'), await mailboxSyncCrcs(replica, 'user.bob.Work')];
    expect(m.basic).not.toBe(0);
    expect(r).toEqual(m);
  });
});

describeInterop('harness: populate is deterministic', () => {
  it('gives the same messages, flags, modseqs and dates for the same seed', async () => {
    const [a, b] = await Promise.all([CyrusInstance.start(), CyrusInstance.start()]);
    try {
      const opts = { seed: 99, users: ['uma'], messages: 8 };
      await Promise.all([populate(a, opts), populate(b, opts)]);
      const names = await listMailboxes(a);
      expect(await listMailboxes(b)).toEqual(names);
      let compared = 0;
      for (const mb of names) {
        // lmtpd stamps its deliveries (Received: ... with LMTPA; <now>) and dates them now.
        const stamped = await a.withImap(ownerOf(mb), async (c) => {
          await c.examine(ownerImapName(mb));
          return c.uidSearch('HEADER Received "LMTPA"');
        });
        const [va, vb] = [await imapView(a, mb), await imapView(b, mb)];
        const ours = (v: typeof va) => v.messages.filter((m) => !stamped.includes(m.uid));
        // UIDVALIDITY is the creation time: the one thing a seed cannot fix.
        expect({ ...vb, uidvalidity: 0, messages: ours(vb) }).toEqual({ ...va, uidvalidity: 0, messages: ours(va) });
        expect(vb.messages.map((m) => [m.uid, m.flags, m.modseq])).toEqual(va.messages.map((m) => [m.uid, m.flags, m.modseq]));
        compared += ours(va).length;
      }
      expect(compared).toBeGreaterThan(15);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
