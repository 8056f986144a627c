// kill -9 at random points of a repair that exercises every write step (cache append, message
// file renumbered, cyrus.header rewritten, cyrus.index replaced): after each kill Cyrus opens the
// mailbox and serves every message it could before, and a second repair completes with every
// message of the original mailbox present, with its flags, and nothing for reconstruct -n to say.
import { chownSync, copyFileSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeIndex, encodeIndex } from '../../src/format/index/index.js';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import { Rng } from '../harness/mime.js';
import { imapView } from '../harness/tools.js';
import { flip, HDR, indexPath, mailboxWith, reconstructComplaints, recordOffset, repairCli, repairCliAsync, setHeaderU32 } from './helpers.js';

/** Kills per run of this file (the issue asks for 50+; CYRUS_FSCK_KILLS overrides). */
const KILLS = Number(process.env.CYRUS_FSCK_KILLS ?? 50);
const STEPS = ['locked', 'verified', 'cache', 'file-ops', 'header', 'index'];

describeInterop('repair: kill -9 at random points', () => {
  let inst: CyrusInstance;
  let mailbox: string;
  let dir: string;
  const snapshot = new Map<string, { data: Buffer; mtime: Date; uid: number; gid: number }>();
  let original: Awaited<ReturnType<typeof imapView>>;

  const save = () => {
    snapshot.clear();
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      const st = statSync(p);
      if (st.isFile() && !n.endsWith('.NEW')) snapshot.set(n, { data: readFileSync(p), mtime: st.mtime, uid: st.uid, gid: st.gid });
    }
  };
  const restore = async () => {
    for (const n of readdirSync(dir)) if (!snapshot.has(n) && statSync(join(dir, n)).isFile()) unlinkSync(join(dir, n));
    for (const [n, f] of snapshot) {
      const p = join(dir, n);
      writeFileSync(p, f.data);
      chownSync(p, f.uid, f.gid);
      const { utimesSync } = await import('node:fs');
      utimesSync(p, f.mtime, f.mtime);
    }
  };

  beforeAll(async () => {
    inst = await CyrusInstance.start();
    ({ mailbox, dir } = await mailboxWith(inst, 'crash', 8, 7));
    original = await imapView(inst, mailbox);
    // A first repair leaves a backup that knows the keyword names.
    setHeaderU32(dir, HDR.answered, 6);
    expect(repairCli(inst, [mailbox]).code).toBe(1);
    // The damage: a cache record, the last record dropped (its file must be renumbered), a
    // keyword name (recovered from the backup: cyrus.header rewritten), a counter.
    flip(join(dir, 'cyrus.cache'), readFileSync(indexPath(dir)).readUInt32BE(recordOffset(readFileSync(indexPath(dir)), 2) + 24) + 9);
    const f = decodeIndex(readFileSync(indexPath(dir)));
    f.records.pop();
    f.header.numRecords = f.records.length;
    writeFileSync(indexPath(dir), encodeIndex(f, { recomputeCrc: true }));
    const hp = join(dir, 'cyrus.header');
    const h = readFileSync(hp);
    h[h.indexOf('$Work', 0, 'latin1') + 1] = 0x01;
    writeFileSync(hp, h);
    save();
  });
  afterAll(() => inst?.stop());

  it(`survives ${KILLS} kill -9s: Cyrus always opens the mailbox, a rerun always completes without loss`, async () => {
    const rng = new Rng(20261128);
    const outcomes = new Map<string, number>();
    let kills = 0;
    // Until KILLS runs really died mid-way (a run may finish before its kill comes).
    for (let i = 0; kills < KILLS && i < KILLS * 2; i++) {
      await restore();
      // A third of the kills right after a named step, a third at a random moment of the writes
      // (0–30 ms after the plan is verified: inside appends, fsyncs, renames), a third at a
      // random moment of the whole run.
      const kind = i % 3;
      const byStep = kind !== 2;
      const env: Record<string, string> =
        kind === 0 ? { CYRUS_FSCK_TEST_HOOK: `${STEPS[(i / 3) % STEPS.length]}:kill` } : kind === 1 ? { CYRUS_FSCK_TEST_HOOK: `verified:killafter:${rng.int(31)}` } : {};
      const run = repairCliAsync(inst, [mailbox], env);
      let timer: NodeJS.Timeout | undefined;
      if (!byStep) {
        const delay = 150 + rng.int(900);
        timer = setTimeout(() => {
          try {
            process.kill(run.pid, 'SIGKILL');
          } catch {
            // it finished first
          }
        }, delay);
      }
      const r = await run.done;
      clearTimeout(timer); // never signal a recycled pid later
      if (r.code === 137) kills++;
      const how = r.code === 137 ? (kind === 0 ? `killed after ${env.CYRUS_FSCK_TEST_HOOK}` : kind === 1 ? 'killed during the writes' : 'killed at a random moment') : `finished (exit ${r.code})`;
      outcomes.set(how, (outcomes.get(how) ?? 0) + 1);

      // Cyrus opens the mailbox and serves what it holds; reconstruct can read the index.
      const v = await imapView(inst, mailbox);
      expect(v.uidvalidity).toBe(original.uidvalidity);
      const rn = await reconstructComplaints(inst, mailbox);
      expect(rn.join('\n'), `after kill ${i} (${how})`).not.toMatch(/failed to read index header|format corruption|System I\/O error/i);

      // A rerun completes; every original message is there, with its flags.
      const again = repairCli(inst, [mailbox]);
      expect([0, 1], `${again.stdout}${again.stderr}`).toContain(again.code);
      expect(await reconstructComplaints(inst, mailbox), `kill ${i} (${how}); first run: ${r.stdout}${r.stderr}; rerun: ${again.stdout}${again.stderr}`).toEqual([]);
      const after = await imapView(inst, mailbox);
      for (const m of original.messages) {
        const a = after.messages.find((x) => x.sha1 === m.sha1);
        expect(a, `kill ${i} (${how}): uid ${m.uid} lost`).toBeDefined();
        expect(a!.flags, `kill ${i} (${how}): uid ${m.uid} flags`).toEqual(m.flags);
      }
      expect(after.messages.length, `kill ${i} (${how}): duplicates`).toBe(original.messages.length);
    }
    console.log(`kill -9 outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect(kills).toBe(KILLS);
  }, 900_000);
});
