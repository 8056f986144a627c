// The dump oracle with `conversations: yes` (and reverse ACLs): every record then has a thread id,
// sent as the virtual /vendor/cmu/cyrus-imapd/thrid annotation, and each folder carries
// XCONVMODSEQ from the owner's conversations.db (INBOX also RACLMODSEQ from the counters file,
// when set). Our dump of each mailbox, and of the whole user, equals what sync_client sent to an
// empty replica byte for byte.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { list } from '../../src/dlist/index.js';
import { cli, filesOf, isApply, parseLines, print, sentByMailbox, type Sent } from '../dump/oracle.js';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import { populate } from '../harness/populate.js';
import { clientBytes, startSyncRelay, type SyncRelay } from '../harness/sync-relay.js';
import { syncClient } from '../harness/tools.js';

describeInterop('dump with conversations: yes equals sync_client', () => {
  let master: CyrusInstance;
  let replica: CyrusInstance;
  let relay: SyncRelay;
  let sent: Map<string, Sent>;
  const out = mkdtempSync(join(tmpdir(), 'cyrus-fsck-dumpconv-'));

  beforeAll(async () => {
    replica = await CyrusInstance.start({ name: 'dcr', syncServer: true });
    relay = await startSyncRelay(replica.ports.sync!);
    master = await CyrusInstance.start({
      name: 'dcm',
      syncTo: replica,
      conf: { sync_port: String(relay.port), conversations: 'yes', reverseacls: 'yes' },
    });
    await populate(master, { seed: 23, users: ['carol'], messages: 8, keywords: 10, shared: null });
    // Read rights for dave on carol's folders bump dave's raclmodseq (reverse ACLs), which his
    // INBOX then carries as RACLMODSEQ.
    await master.withImap(undefined, async (c) => {
      await c.create('user.dave');
      await c.setAcl('user.carol', 'dave', 'lr');
      await c.setAcl('user.carol.Work', 'dave', 'lrs');
    });
    await syncClient(master, { users: ['carol'] });
    await syncClient(master, { users: ['dave'] });
    sent = sentByMailbox(relay.captures);
  }, 300_000);

  afterAll(async () => {
    await master?.stop();
    await replica?.stop();
    await relay?.close();
  });

  it('sync_client sent XCONVMODSEQ and thrid annotations', () => {
    const all = [...sent.values()].map((s) => print(s.mailbox).toString('latin1')).join('');
    expect(all).toMatch(/ XCONVMODSEQ [1-9]/);
    expect(print(sent.get('user.dave')!.mailbox).toString('latin1')).toMatch(/ RACLMODSEQ [1-9]/);
    expect(all).toMatch(/\/vendor\/cmu\/cyrus-imapd\/thrid USERID "" MODSEQ 0 VALUE [0-9a-f]{16}\)/);
  });

  it('each mailbox dumps to the bytes sync_client sent', async () => {
    expect(sent.size).toBeGreaterThanOrEqual(5);
    for (const [name, s] of sent) {
      const file = join(out, `${name}.dlist`);
      const r = await cli('dump', '-C', master.conf, name, '--messages', '-o', file);
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: '' });
      const ours = parseLines(readFileSync(file));
      expect(print(ours.at(-1)!).toString('latin1')).toBe(print(s.mailbox).toString('latin1'));
      const files = ours.slice(0, -1).flatMap(filesOf).filter((f) => !s.uploadedBefore.has(f.guid));
      const expected = files.length ? [[...ours[0]!.slice(0, 2), list(...files)]] : [];
      expect(Buffer.concat(expected.map(print)).equals(Buffer.concat(s.messages.map(print)))).toBe(true);
    }
  });

  it('dump -u USER --messages is the user\'s session\'s APPLY lines', async () => {
    expect(relay.captures.length).toBe(2);
    for (const [i, user] of ['carol', 'dave'].entries()) {
      const theirs = parseLines(clientBytes(relay.captures[i]!)).filter((l) => isApply(l, 'MESSAGE') || isApply(l, 'MAILBOX'));
      const file = join(out, `${user}.dlist`);
      expect((await cli('dump', '-C', master.conf, '-u', user, '--messages', '-o', file)).code).toBe(0);
      expect(readFileSync(file).equals(Buffer.concat(theirs.map(print)))).toBe(true);
    }
  });
});
