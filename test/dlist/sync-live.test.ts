// Real replication traffic: a relay between a Cyrus 3.6.1 sync_client and sync_server records
// both directions (hiding the COMPRESS DEFLATE capability, as for spec §10.3). Read with the
// stream parser in small chunks, every line prints back to exactly the bytes Cyrus sent — file
// literals included, re-checked against their GUIDs the way Cyrus's printfile does.
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  DlistStreamParser,
  asList,
  getChild,
  printLine,
  toAtom,
  type DFile,
  type DlistNode,
} from '../../src/dlist/index.js';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import { startSyncRelay, type SyncRelay } from '../harness/sync-relay.js';
import { syncClient } from '../harness/tools.js';


/** Parses a recorded direction in 61-byte chunks (so tokens and literals straddle chunks). */
function lines(bytes: Buffer): DlistNode[][] {
  const p = new DlistStreamParser();
  const out: DlistNode[][] = [];
  for (let i = 0; i < bytes.length; i += 61) out.push(...p.feed(bytes.subarray(i, i + 61)));
  out.push(...p.end());
  return out;
}

/** Cyrus prints the command/status word raw and the rest as dlists. */
const reprint = (ls: DlistNode[][]) => Buffer.concat(ls.map(([w, ...rest]) => printLine([toAtom(w)!, ...rest])));

const MSG = (n: number) =>
  Buffer.from(`From: a@example.com\r\nTo: alice@example.com\r\nSubject: message ${n}\r\n\r\nbody ${n}\r\n`);

describeInterop('dlist on real sync traffic (Cyrus 3.6.1 sync_client → sync_server)', () => {
  let master: CyrusInstance;
  let replica: CyrusInstance;
  let proxy: SyncRelay;
  let captures: SyncRelay['captures'] = [];

  beforeAll(async () => {
    replica = await CyrusInstance.start({ name: 'dlr', syncServer: true });
    proxy = await startSyncRelay(replica.ports.sync!);
    captures = proxy.captures;
    master = await CyrusInstance.start({ name: 'dlm', users: ['alice'], syncTo: replica, conf: { sync_port: String(proxy.port) } });
    await master.withImap(undefined, async (c) => {
      await c.create('user.alice');
      await c.create('user.alice.Work');
      await c.setAcl('user.alice.Work', 'anyone', 'lrs');
    });
    await master.withImap('alice', async (c) => {
      for (let i = 1; i <= 3; i++) await c.append('INBOX', MSG(i), { flags: i === 2 ? ['\\Seen', '$Label1'] : [] });
      await c.append('INBOX.Work', MSG(9), { flags: ['\\Flagged', 'Important'] });
      await c.select('INBOX');
      await c.storeAnnotation('1', '/comment', 'he said "hi" 100%');
      await c.uidStore('3', '+', ['\\Deleted']);
    });
    await syncClient(master, { users: ['alice'] });
    // a second, incremental round: RESERVE, GET MAILBOXES, SINCE_*, a renamed folder
    await master.withImap('alice', async (c) => {
      await c.append('INBOX', MSG(4), { flags: ['$Junk'] });
      await c.select('INBOX');
      await c.uidStore('1', '+', ['\\Answered']);
      await c.rename('INBOX.Work', 'INBOX.Done');
    });
    await syncClient(master, { users: ['alice'] });
  }, 180_000);
  afterAll(async () => {
    await master?.stop();
    await replica?.stop();
    await proxy?.close();
  });

  it('recorded a session', () => {
    if (process.env.DLIST_SHOW) for (const c of captures) console.log(Buffer.concat(c.client).toString('latin1'), '\n-----\n', Buffer.concat(c.server).toString('latin1'));
    expect(captures.length).toBeGreaterThanOrEqual(1);
    expect(Buffer.concat(captures.flatMap((c) => c.client)).toString('latin1')).toContain('APPLY MESSAGE');
  });

  it('client lines print back byte for byte, file literals verified against their GUIDs', () => {
    for (const cap of captures) {
      const bytes = Buffer.concat(cap.client);
      const ls = lines(bytes);
      expect(reprint(ls).toString('latin1')).toBe(bytes.toString('latin1'));
    }
  });

  it('server lines print back byte for byte', () => {
    for (const cap of captures) {
      const bytes = Buffer.concat(cap.server);
      expect(reprint(lines(bytes)).toString('latin1')).toBe(bytes.toString('latin1'));
    }
  });

  it('carries the messages, flags and the annotation literal we stored', () => {
    const all = captures.flatMap((c) => lines(Buffer.concat(c.client)));
    const files = all
      .filter((l) => toAtom(l[0]) === 'APPLY' && toAtom(l[1]) === 'MESSAGE')
      .flatMap((l) => asList(l[2])!.items as DFile[]);
    expect(files.length).toBe(5);
    for (const f of files) expect(f.content.kind).toBe('memory');
    const inbox = all.find(
      (l) => toAtom(l[0]) === 'APPLY' && toAtom(l[1]) === 'MAILBOX' && toAtom(getChild(l[2], 'MBOXNAME')) === 'user.alice',
    )![2];
    const records = asList(getChild(inbox, 'RECORD'))!.items;
    expect(records.length).toBe(3);
    expect(getChild(records[1], 'FLAGS')).toEqual({
      type: 'list',
      items: [
        { type: 'flag', value: '\\Seen' },
        { type: 'atom', value: '$Label1' },
      ],
    });
    const ann = asList(getChild(records[0], 'ANNOTATIONS'))!.items.find((a) => toAtom(getChild(a, 'ENTRY')) === '/comment');
    expect(getChild(ann, 'VALUE')).toEqual({ type: 'buf', value: Buffer.from('he said "hi" 100%') });
  });
});
