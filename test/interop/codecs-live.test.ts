// Our decoders (cyrus.index, cyrus.header, cyrus.cache, cyrus.annotations), SYNC_CRC computation
// and message parser against live Cyrus 3.6.1: for every mailbox of a populated master and of its
// replica, after changes, a rename, and after `reconstruct -V N` for every N from 12 to 17, what
// we decode equals what Cyrus shows over IMAP and in mbexamine, the SYNC_CRCs we compute equal
// the ones Cyrus stored, and parsing each message file gives the record fields and cache record
// Cyrus wrote.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import { mutate, populate, type Population } from '../harness/populate.js';
import { compareReplica, ctlMboxlistDump, listMailboxes, mbexamineMany, mbpaths, reconstructVersion, syncAll, type Mbexamine } from '../harness/tools.js';
import { againstImap, againstMbexamine, againstMessageFiles, decodeLive, syncCrcs } from './codec-oracle.js';

async function expectAgreement(inst: CyrusInstance, mailbox: string, version?: number, dir?: string, examined?: Mbexamine): Promise<void> {
  const d = await decodeLive(inst, mailbox, dir);
  if (version !== undefined) expect(d.index.header.minorVersion).toBe(version);
  expect(d.index.records.every((r) => r.crcOk), `${mailbox}: record CRCs`).toBe(true);
  expect(d.index.header.crcOk, `${mailbox}: header CRC`).toBe(true);
  const imap = await againstImap(inst, mailbox, d);
  expect(imap.ours, `${mailbox}: decoded index vs IMAP`).toEqual(imap.cyrus);
  const ex = await againstMbexamine(inst, mailbox, d, examined);
  expect(ex.ours, `${mailbox}: decoded files vs mbexamine`).toEqual(ex.cyrus);
  const crc = syncCrcs(d);
  expect(crc.ours, `${mailbox}: SYNC_CRCs`).toEqual(crc.cyrus);
  const files = againstMessageFiles(d);
  expect(files.ours, `${mailbox}: parsed message files vs Cyrus's records and cache`).toEqual(files.cyrus);
}

/** expectAgreement for many mailboxes, with one mbpath and one mbexamine run for all. */
async function expectAgreementAll(inst: CyrusInstance, mailboxes: string[], version?: number): Promise<void> {
  const [dirs, examined] = [await mbpaths(inst, mailboxes), await mbexamineMany(inst, mailboxes)];
  expect([...examined.keys()].sort()).toEqual([...mailboxes].sort());
  for (const mb of mailboxes) await expectAgreement(inst, mb, version, dirs.get(mb), examined.get(mb));
}

describeInterop('codecs against live Cyrus 3.6.1', () => {
  let master: CyrusInstance;
  let replica: CyrusInstance;
  let pop: Population;
  beforeAll(async () => {
    ({ master, replica } = await CyrusInstance.startPair({ name: 'codec' }));
    pop = await populate(master, { seed: 1217, users: ['dora', 'emil'] });
    await syncAll(master);
  });
  afterAll(async () => {
    await master?.stop();
    await replica?.stop();
  });

  it('decode every populated mailbox as Cyrus reads it (IMAP, mbexamine, stored SYNC_CRCs)', async () => {
    const all = await listMailboxes(master);
    expect(all.length).toBeGreaterThanOrEqual(pop.mailboxes.length);
    await expectAgreementAll(master, all);
  });

  it('decode every replica mailbox too, where keyword bits are numbered differently', async () => {
    const all = await listMailboxes(replica);
    await expectAgreementAll(replica, all);
    const [mDirs, rDirs] = [await mbpaths(master, all), await mbpaths(replica, all)];
    const renumbered: string[] = [];
    for (const mb of all) {
      const [m, r] = [await decodeLive(master, mb, mDirs.get(mb)), await decodeLive(replica, mb, rDirs.get(mb))];
      if (m.flagNames.join(' ') !== r.flagNames.join(' ')) renumbered.push(mb);
    }
    // The point of comparing by name: the replica learned the keywords in another order.
    expect(renumbered.length).toBeGreaterThan(0);
  });

  it('still agree after appends, flag and keyword changes and an expunge', async () => {
    await mutate(master, 'user.dora', 5);
    await mutate(master, 'shared.team', 6);
    await expectAgreement(master, 'user.dora');
    await expectAgreement(master, 'shared.team');
  });

  it('still agree after a rename (the header keeps the uniqueid mailboxes.db has)', async () => {
    await master.withImap('emil', (c) => c.rename('INBOX.Archive', 'INBOX.Old'));
    const mboxes = await ctlMboxlistDump(master);
    for (const mb of ['user.emil.Old', 'user.emil.Old.2023']) {
      await expectAgreement(master, mb);
      expect((await decodeLive(master, mb)).header.uniqueid).toBe(mboxes[mb]!.uniqueid);
    }
  });

  it.each([12, 13, 14, 15, 16, 17])('still agree after reconstruct -V %i rewrites every index', async (v) => {
    const all = await listMailboxes(master);
    await reconstructVersion(master, all, v);
    await expectAgreementAll(master, all, v);
  });

  it('agree on the replica after syncing the changed, renamed and re-versioned mailboxes', async () => {
    await syncAll(master);
    expect(await compareReplica(master, replica, undefined, pop.users)).toEqual([]);
    await expectAgreementAll(replica, await listMailboxes(replica));
  });
});
