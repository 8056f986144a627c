// cyrus.header against a live Cyrus 3.6.1: the headers it writes (with a quota root, a group
// ACL entry, user flags) decode to what mbexamine reports and re-encode byte
// for byte; a text-format header we write (as Cyrus ≤ 3.4 would) is read by Cyrus as we read it,
// and when Cyrus rewrites it as a dlist the result is what our encoder gives for the same fields.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aclEntries, decodeHeader, encodeHeader, headerFileCrc, type MailboxHeader } from '../../src/format/header.js';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import { mbexamine, mbpath } from '../harness/tools.js';

const MSG = Buffer.from('From: a@example.com\r\nTo: alice@example.com\r\nSubject: hi\r\n\r\nhello\r\n');

describeInterop('cyrus.header with live Cyrus 3.6.1', () => {
  let inst: CyrusInstance;
  let dir: string;
  const header = () => readFileSync(join(dir, 'cyrus.header'));
  const storedCrc = () => readFileSync(join(dir, 'cyrus.index')).readUInt32BE(96);

  beforeAll(async () => {
    inst = await CyrusInstance.start({ name: 'hdr', users: ['alice'] });
    await inst.withImap(undefined, async (c) => {
      await c.create('user.alice');
      await c.create('user.alice.Work');
      await c.setAcl('user.alice.Work', 'group:staff', 'lrs');
      await c.ok('SETQUOTA', 'user.alice', '(STORAGE 100000)');
    });
    await inst.withImap('alice', async (c) => {
      const uid = await c.append('user.alice.Work', MSG, { flags: ['$Label1', 'MixedCase'] });
      await c.select('user.alice.Work');
      await c.uidStore(String(uid), '+', ['Third']);
    });
    dir = await mbpath(inst, 'user.alice.Work');
  }, 180_000);
  afterAll(async () => {
    await inst?.stop();
  });

  it('decodes what Cyrus wrote as mbexamine reports it, and re-encodes it byte for byte', async () => {
    const h = decodeHeader(header());
    const ex = await mbexamine(inst, 'user.alice.Work');
    expect(h).toMatchObject({ format: 'dlist', name: 'user.alice.Work', mbtype: 'e', quotaroot: 'user.alice' });
    expect(h.uniqueid).toBe(ex.uniqueid);
    expect(h.acl).toBe(ex.acl);
    expect(h.userFlags).toEqual(ex.userFlagNames);
    expect(h.userFlags).toEqual(['$Label1', 'MixedCase', 'Third']);
    expect(aclEntries(h.acl)).toContainEqual({ identifier: 'group:staff', rights: 'lrs' });
    expect(encodeHeader(h).equals(header())).toBe(true);
    expect(headerFileCrc(header())).toBe(storedCrc());
  });

  it('reads a text-format header like we do, and rewrites it as the dlist our encoder gives', async () => {
    const before = decodeHeader(header());
    const text: MailboxHeader = { ...before, format: 'text', mbtype: null, name: null };
    writeFileSync(join(dir, 'cyrus.header'), encodeHeader(text)); // keeps owner and mode
    expect(decodeHeader(header())).toEqual(text);

    const ex = await mbexamine(inst, 'user.alice.Work');
    expect([ex.uniqueid, ex.acl, ex.userFlagNames]).toEqual([text.uniqueid, text.acl, text.userFlags]);

    // any header change makes Cyrus write the header again, in its own (dlist) format
    await inst.withImap(undefined, (c) => c.setAcl('user.alice.Work', 'anyone', 'lr'));
    const after = decodeHeader(header());
    expect(after.format).toBe('dlist');
    expect(aclEntries(after.acl)).toEqual([...aclEntries(before.acl), { identifier: 'anyone', rights: 'lr' }]);
    // A text header carries no name or type, and Cyrus 3.6 takes N and T only from the header it
    // read (mailbox_read_header): the converted header says `N NIL`, and T is its zeroed default,
    // `e` — right here, but a calendar converted this way would be labelled email too.
    expect(after).toEqual({ ...before, name: null, acl: after.acl });
    expect(header().toString('latin1')).toContain('%(T e N NIL I ');
    expect(encodeHeader({ ...before, name: null, acl: after.acl }).equals(header())).toBe(true);
    expect(headerFileCrc(header())).toBe(storedCrc());
  });
});
