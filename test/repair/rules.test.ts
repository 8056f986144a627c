// The replication rules hold for every plan, whatever the damage (pure, on a real v17 fixture):
// last_uid, highestmodseq and UIDVALIDITY never go down, no UID is reused, every record that is
// changed, added or expunged gets its own modseq above the old highestmodseq, records left
// alone keep theirs, and the header's counters and CRCs are those of the records written.
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeIndex, encodeIndex, isExpunged, SystemFlag } from '../../src/format/index/index.js';
import { syncCrcBasic } from '../../src/format/synccrc.js';
import { decodeHeader } from '../../src/format/header.js';
import { decodeState, makePlan, needsParse, NO_HINTS, type RepairOptions } from '../../src/repair/plan.js';
import { parseFiles, readFolder, readRaw } from '../../src/repair/state.js';
import { copyOf, indexFixture } from '../helpers/fixtures.js';

const now = 1_900_000_000;
const opts: RepairOptions = { guidMismatch: 'reappend', missing: 'expunge', removeOdd: false, now };

type Damage = (dir: string) => void;
const idxPath = (dir: string) => join(dir, 'cyrus.index');
const DAMAGES: Record<string, Damage> = {
  'two bytes of a record': (dir) => {
    const b = readFileSync(idxPath(dir));
    const at = b.readUInt32BE(12) + b.readUInt32BE(16) * 1;
    b[at + 4] ^= 0xff;
    b[at + 40] ^= 0xff;
    writeFileSync(idxPath(dir), b);
  },
  'last record dropped': (dir) => {
    const f = decodeIndex(readFileSync(idxPath(dir)));
    f.records.pop();
    f.header.numRecords = f.records.length;
    writeFileSync(idxPath(dir), encodeIndex(f, { recomputeCrc: true }));
  },
  'a message file deleted': (dir) => {
    const f = decodeIndex(readFileSync(idxPath(dir)));
    const live = f.records.find((r) => !isExpunged(r))!;
    rmSync(join(dir, `${live.uid}.`));
  },
  'a message file truncated': (dir) => {
    const f = decodeIndex(readFileSync(idxPath(dir)));
    const live = f.records.filter((r) => !isExpunged(r)).at(-1)!;
    truncateSync(join(dir, `${live.uid}.`), 50);
  },
  'cyrus.cache deleted': (dir) => rmSync(join(dir, 'cyrus.cache')),
};

describe('repair plans keep the replication rules', () => {
  for (const [name, damage] of Object.entries(DAMAGES)) {
    it(name, async () => {
      const dir = join(copyOf(indexFixture(17)), 'mailbox');
      const orig = decodeIndex(readFileSync(idxPath(dir)));
      damage(dir);
      const files = { index: idxPath(dir), header: join(dir, 'cyrus.header'), cache: join(dir, 'cyrus.cache'), annotations: join(dir, 'cyrus.annotations'), dir };
      const mboxName = decodeHeader(readFileSync(files.header)).name!;
      const raw = await readRaw(mboxName, files, undefined);
      const facts = await readFolder(dir);
      const d = decodeState(raw, now);
      const plan = makePlan(d, facts, parseFiles(facts, needsParse(d, facts)), NO_HINTS, opts);
      expect(plan.noop).toBe(false);
      const out = decodeIndex(plan.target!.index);
      const h0 = orig.header;
      const h = out.header;
      expect(out.records.every((r) => r.crcOk)).toBe(true);
      expect(h.crcOk).toBe(true);
      expect(h.uidvalidity).toBe(h0.uidvalidity);
      expect(h.lastUid).toBeGreaterThanOrEqual(h0.lastUid);
      expect(h.highestmodseq!).toBeGreaterThanOrEqual(h0.highestmodseq!);
      // UIDs strictly ascending: none repeated; new UIDs only above the old last_uid.
      const uids = out.records.map((r) => r.uid);
      expect([...uids].sort((a, b) => a - b)).toEqual(uids);
      expect(new Set(uids).size).toBe(uids.length);
      const before = new Map(orig.records.map((r) => [r.uid, r]));
      const modseqs = new Set<bigint>();
      for (const r of out.records) {
        const o = before.get(r.uid);
        if (!o) expect(r.uid).toBeGreaterThan(h0.lastUid);
        const sameVisible = o && o.modseq === r.modseq && o.systemFlags === r.systemFlags && o.internalFlags === r.internalFlags && o.guid === r.guid && o.internaldate === r.internaldate && o.userFlags.join() === r.userFlags.join();
        if (!sameVisible) {
          // changed, added or expunged: a fresh modseq above the old highestmodseq, each its own
          expect(r.modseq!, `uid ${r.uid}`).toBeGreaterThan(h0.highestmodseq!);
          expect(modseqs.has(r.modseq!)).toBe(false);
          modseqs.add(r.modseq!);
        } else {
          expect(r.modseq).toBe(o!.modseq);
        }
        if (o && isExpunged(o)) expect(isExpunged(r)).toBe(true); // never un-expunged
      }
      const live = out.records.filter((r) => !isExpunged(r));
      expect(h.exists).toBe(live.length);
      expect(h.answered).toBe(live.filter((r) => r.systemFlags & SystemFlag.ANSWERED).length);
      expect(h.quotaMailboxUsed).toBe(live.reduce((s, r) => s + r.size, 0n));
      expect(h.syncCrcBasic).toBe(syncCrcBasic(live, decodeHeader(readFileSync(files.header)).userFlags));
    });
  }
});
