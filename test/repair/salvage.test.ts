// The pure salvage rules on real Cyrus-written indexes (v12–v17 fixtures): every possible
// single-byte damage of a record or of the header is undone exactly through the stored CRC;
// heavier header damage keeps every record whose own CRC holds and takes UIDVALIDITY from
// mailboxes.db; the plan for an intact mailbox is empty.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeIndex, indexLayout } from '../../src/format/index/index.js';
import { decodeHeader } from '../../src/format/header.js';
import { correctSingleByte, salvageIndex } from '../../src/repair/salvage.js';
import { decodeState, makePlan, needsParse, NO_HINTS } from '../../src/repair/plan.js';
import { parseFiles, readFolder, readRaw } from '../../src/repair/state.js';
import { INDEX_VERSIONS, indexFixture } from '../helpers/fixtures.js';

const now = 1_800_000_000;

describe('repair salvage on real indexes', () => {
  for (const v of INDEX_VERSIONS) {
    const buf = readFileSync(join(indexFixture(v), 'mailbox', 'cyrus.index'));
    const layout = indexLayout(v)!;

    it(`v${v}: every single-byte change of record 1 is undone exactly`, () => {
      const rec = buf.subarray(layout.headerSize, layout.headerSize + layout.recordSize);
      let undone = 0;
      for (let i = 0; i < layout.recordSize; i++) {
        const bad = Buffer.from(rec);
        bad[i] = bad[i]! ^ 0xa5;
        const fix = correctSingleByte(bad, layout.recordCrcOffset!);
        expect(fix?.buf.equals(rec), `byte ${i}`).toBe(true);
        undone++;
      }
      expect(undone).toBe(layout.recordSize);
      expect(correctSingleByte(rec, layout.recordCrcOffset!)).toBeUndefined();
    });

    it(`v${v}: a header with one damaged byte (even its version word) reads as the original`, () => {
      for (const at of [8, 12, 28, 44, 68, layout.headerSize - 2]) {
        const bad = Buffer.from(buf);
        bad[at] = bad[at]! ^ 0x10;
        const s = salvageIndex(bad, { now });
        expect(s.headerCorrected?.offset, `byte ${at}`).toBe(at);
        expect(s.header).toEqual(decodeIndex(buf).header);
      }
    });

    it(`v${v}: a zeroed header keeps every good record and mailboxes.db's UIDVALIDITY`, () => {
      const orig = decodeIndex(buf);
      const bad = Buffer.from(buf);
      bad.fill(0, 0, 100);
      const s = salvageIndex(bad, { now, mboxlistUidvalidity: orig.header.uidvalidity, cacheGeneration: orig.header.generationNo });
      // v16 and v17 differ only in a header word a zeroed header no longer shows: 3.6 writes 17.
      expect(s.header.minorVersion).toBe(v === 16 ? 17 : v);
      expect(s.header.uidvalidity).toBe(orig.header.uidvalidity);
      expect(s.records.map((x) => x.r.uid)).toEqual(orig.records.map((r) => r.uid));
      expect(s.header.lastUid).toBeGreaterThanOrEqual(Math.max(...orig.records.map((r) => r.uid)));
      expect(s.header.highestmodseq).toBeGreaterThanOrEqual(orig.records.reduce((m, r) => (r.modseq! > m ? r.modseq! : m), 0n));
    });

    it(`v${v}: an intact mailbox plans nothing`, async () => {
      const mb = join(indexFixture(v), 'mailbox');
      const files = { index: join(mb, 'cyrus.index'), header: join(mb, 'cyrus.header'), cache: join(mb, 'cyrus.cache'), annotations: join(mb, 'cyrus.annotations'), dir: mb };
      // The real name: owner-private annotations are hashed under the owner it names.
      const name = decodeHeader(readFileSync(files.header)).name!;
      const raw = await readRaw(name, files, undefined);
      const facts = await readFolder(mb);
      const d = decodeState(raw, now);
      const plan = makePlan(d, facts, parseFiles(facts, needsParse(d, facts)), NO_HINTS, { guidMismatch: 'keep', missing: 'keep', removeOdd: false, now });
      expect(plan.actions.filter((a) => a.kind !== 'odd-file' && a.kind !== 'keep-missing').map((a) => a.message)).toEqual([]);
    });
  }
});
