// A message file whose record is lost is renumbered (its UID is never reused); the annotations
// stored under its old UID move with it to the new UID — Cyrus's reconstruct would delete them
// as stale. On the real v17 fixture (a per-message annotation Cyrus wrote on uid 1) the plan
// moves it and the header's annotation counters follow; on a live Cyrus 3.6 (shared and private
// message annotations plus a mailbox-level one, a quota root set) reconstruct -n finds nothing
// afterwards, `quota -f -n` agrees with the root, and FETCH ANNOTATION shows the annotations on
// the new UID (a snoozed one with the SNOOZED flag Cyrus keeps beside it); sync_client carries
// them to the replica, which then agrees (messages, flags, SYNC_CRC and SYNC_CRC_ANNOT).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDb } from '../../src/db/index.js';
import { decodeAnnotation } from '../../src/format/annotations.js';
import { decodeHeader } from '../../src/format/header.js';
import { decodeIndex, encodeIndex, InternalFlag, isExpunged } from '../../src/format/index/index.js';
import { decodeState, makePlan, needsParse, NO_HINTS } from '../../src/repair/plan.js';
import { recountAnnotUsed } from '../../src/repair/quota-annot.js';
import { parseFiles, readFolder, readRaw } from '../../src/repair/state.js';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import { compareReplica, syncClient } from '../harness/tools.js';
import { copyOf, indexFixture } from '../helpers/fixtures.js';
import { indexPath, mailboxWith, reconstructComplaints, repairCli } from './helpers.js';

function dropRecord(dir: string, uid: number): void {
  const f = decodeIndex(readFileSync(indexPath(dir)));
  f.records = f.records.filter((r) => r.uid !== uid);
  f.header.numRecords = f.records.length;
  writeFileSync(indexPath(dir), encodeIndex(f, { recomputeCrc: true }));
}

describe('annotations of a renumbered file (real v17 fixture)', () => {
  it('move to the new UID; quota_annot_used keeps counting them, the tombstone has none', async () => {
    const dir = join(copyOf(indexFixture(17)), 'mailbox');
    const files = { index: indexPath(dir), header: join(dir, 'cyrus.header'), cache: join(dir, 'cyrus.cache'), annotations: join(dir, 'cyrus.annotations'), dir };
    const before = readDb(readFileSync(files.annotations), undefined, { expect: 'twoskip' }).records.map((r) => decodeAnnotation(r));
    expect(before.map((a) => a.uid)).toEqual([1]); // what Cyrus wrote: one annotation, on uid 1
    const h0 = decodeIndex(readFileSync(files.index)).header;
    dropRecord(dir, 1);

    const now = 1_900_000_000;
    const raw = await readRaw(decodeHeader(readFileSync(files.header)).name!, files, undefined);
    const facts = await readFolder(dir);
    const d = decodeState(raw, now);
    const plan = makePlan(d, facts, parseFiles(facts, needsParse(d, facts)), NO_HINTS, { guidMismatch: 'keep', missing: 'expunge', removeOdd: false, now });
    recountAnnotUsed(plan, raw, join(dir, 'no-global-annotations.db'));

    const move = plan.actions.find((a) => a.kind === 'move-annotations')!;
    expect(move).toMatchObject({ outcome: 'fixed', uid: 1, newUid: h0.lastUid + 1 });
    const op = plan.target!.fileOps.find((o) => o.op === 'annotations');
    expect(op?.op).toBe('annotations');
    const after = (op as { records: Array<{ key: Buffer; value: Buffer }> }).records.map((r) => decodeAnnotation(r));
    expect(after).toEqual([{ ...before[0]!, uid: h0.lastUid + 1 }]); // same entry, userid, value bytes, modseq
    const out = decodeIndex(plan.target!.index);
    const moved = out.records.find((r) => r.uid === h0.lastUid + 1)!;
    const tomb = out.records.find((r) => r.uid === 1)!;
    expect(isExpunged(tomb)).toBe(true);
    expect(moved.guid).toBe(before.length ? facts.files.get(1)!.sha1 : '');
    expect(moved.internalFlags & InternalFlag.SNOOZED).toBe(0);
    // Cyrus counted 31 bytes for uid 1's annotation; they now count under the new UID.
    expect(out.header.quotaAnnotUsed).toBe(h0.quotaAnnotUsed);
    expect(plan.actions.some((a) => a.field === 'quotaAnnotUsed')).toBe(false);
  });
});

describeInterop('annotations of a renumbered file (live Cyrus)', () => {
  let inst: CyrusInstance;
  let replica: CyrusInstance;
  beforeAll(async () => {
    ({ master: inst, replica } = await CyrusInstance.startPair({ name: 'annmv' }));
  }, 90_000);
  afterAll(async () => {
    await inst?.stop();
    await replica?.stop();
  });

  it('follow the file to its new UID: reconstruct -n and quota -f find nothing, FETCH ANNOTATION shows them', async () => {
    const { mailbox, dir } = await mailboxWith(inst, 'anno', 6, 11);
    await inst.withImap(undefined, (c) => c.ok('SETQUOTA', mailbox, '(STORAGE 100000 X-ANNOTATION-STORAGE 1000)'));
    await inst.withImap('anno', async (c) => {
      await c.select('INBOX');
      await c.storeAnnotation('2', '/comment', 'note on two', 'shared');
      await c.storeAnnotation('2', '/comment', 'private two', 'priv');
      await c.storeAnnotation('3', '/comment', 'note on three', 'shared');
      // Cyrus sets the SNOOZED internal flag with this one; it must follow the message too.
      await c.storeAnnotation('2', '/vendor/cmu/cyrus-imapd/snoozed', '{"until":"2030-01-01T00:00:00Z"}', 'shared');
      await c.setMetadata('INBOX', '/shared/comment', 'a mailbox-level note');
    });
    expect(await reconstructComplaints(inst, mailbox)).toEqual([]);
    await syncClient(inst, { users: ['anno'] });
    expect(await compareReplica(inst, replica, [mailbox])).toEqual([]);
    const lastUid = decodeIndex(readFileSync(indexPath(dir))).header.lastUid;
    const annBefore = readFileSync(join(dir, 'cyrus.annotations'));
    dropRecord(dir, 2);

    const run = repairCli(inst, ['--json', mailbox]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const actions = run.json.mailboxes[0].actions as Array<{ kind: string; uid?: number; newUid?: number }>;
    expect(actions.find((a) => a.kind === 'move-annotations')).toMatchObject({ uid: 2, newUid: lastUid + 1 });
    expect(readFileSync(join(run.json.mailboxes[0].backup, 'cyrus.annotations')).equals(annBefore)).toBe(true);
    const written = decodeIndex(readFileSync(indexPath(dir))).records;
    expect(written.find((r) => r.uid === lastUid + 1)!.internalFlags & InternalFlag.SNOOZED).toBe(InternalFlag.SNOOZED);

    // Cyrus's view: nothing stale, counters and SYNC_CRC_ANNOT right, quota root right.
    expect(await reconstructComplaints(inst, mailbox)).toEqual([]);
    const q = await inst.tool('quota', ['-f', '-n']);
    expect((q.stdout + q.stderr).split('\n').filter((l) => / usage was /.test(l))).toEqual([]);
    const seen = await inst.withImap('anno', async (c) => {
      await c.examine('INBOX');
      const f = await c.uidFetch(`2:${lastUid + 1}`, 'UID ANNOTATION (/comment (value.shared value.priv))');
      return new Map(f.map((m) => [Number(m.attrs.get('UID')), JSON.stringify(m.attrs.get('ANNOTATION'))]));
    });
    expect(seen.has(2)).toBe(false);
    expect(seen.get(lastUid + 1)).toContain('note on two');
    expect(seen.get(lastUid + 1)).toContain('private two');
    expect(seen.get(3)).toContain('note on three');
    expect(await inst.withImap('anno', (c) => c.getMetadata('INBOX', '/shared/comment'))).toBe('a mailbox-level note');

    // Replication: the replica drops its uid 2, gets the new UID with the annotations; same
    // messages, flags and SYNC_CRCs (SYNC_CRC_ANNOT hashes the annotations) on both.
    await syncClient(inst, { users: ['anno'] });
    expect(await compareReplica(inst, replica, [mailbox])).toEqual([]);
    replica.addLogin('anno');
    const onReplica = await replica.withImap('anno', async (c) => {
      await c.examine('INBOX');
      const f = await c.uidFetch(`${lastUid + 1}`, 'UID ANNOTATION (/comment (value.shared value.priv))');
      return JSON.stringify(f[0]?.attrs.get('ANNOTATION'));
    });
    expect(onReplica).toContain('note on two');
    expect(onReplica).toContain('private two');
    expect(await reconstructComplaints(replica, mailbox)).toEqual([]);

    // --undo puts cyrus.annotations back as it was (the sessions above wrote the index: --force).
    const undo = repairCli(inst, ['--undo', run.json.mailboxes[0].backup, '--force', '--json']);
    expect(undo.code, undo.stdout + undo.stderr).toBe(1);
    expect(readFileSync(join(dir, 'cyrus.annotations')).equals(annBefore)).toBe(true);
    const q2 = await inst.tool('quota', ['-f', '-n']);
    expect((q2.stdout + q2.stderr).split('\n').filter((l) => / usage was /.test(l))).toEqual([]);
  }, 120_000);
});
