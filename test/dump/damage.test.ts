// Damaged metadata never crashes a dump: bytes flipped or cut anywhere in cyrus.header,
// cyrus.index or cyrus.annotations give either a dump that parses back, or a DumpError naming
// the file (the CLI's exit 4) — never another exception, never a hang. Seeded, so failures
// reproduce.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { DlistStreamParser, printLine, toAtom } from '../../src/dlist/index.js';
import { DumpError, loadMailbox, syncRefusal, writeMailboxDump } from '../../src/dump/index.js';
import { lcg } from '../db/prng.js';
import { copyOf, indexFixture } from '../helpers/fixtures.js';

it('200 damaged copies of a real mailbox: a dump that parses back, or a DumpError naming the file', async () => {
  const dir = copyOf(join(indexFixture(17), 'mailbox'));
  const files = ['cyrus.header', 'cyrus.index', 'cyrus.annotations'];
  const originals = files.map((f) => readFileSync(join(dir, f)));
  const rnd = lcg(20261128);
  const outcomes = { dumped: 0, refused: 0, error: 0 };
  for (let i = 0; i < 200; i++) {
    const which = rnd() % files.length;
    const bytes = Buffer.from(originals[which]!);
    const damaged = rnd() % 4 === 0 ? bytes.subarray(0, rnd() % bytes.length) : bytes;
    if (damaged === bytes) for (let k = 1 + (rnd() % 3); k > 0; k--) bytes[rnd() % bytes.length] ^= 1 << rnd() % 8;
    files.forEach((f, j) => writeFileSync(join(dir, f), j === which ? damaged : originals[j]!));
    try {
      const m = await loadMailbox({ name: 'x', dir, nameFromHeader: true }, undefined, 'default');
      if (syncRefusal(m.content)) {
        outcomes.refused++;
        continue;
      }
      const parts: Buffer[] = [];
      await writeMailboxDump({ write: (c) => void parts.push(Buffer.from(c)) }, m, { messages: false });
      const out = Buffer.concat(parts);
      const p = new DlistStreamParser();
      const lines = [...p.feed(out), ...p.end()];
      expect(Buffer.concat(lines.map(([w, ...rest]) => printLine([toAtom(w)!, ...rest]))).equals(out)).toBe(true);
      outcomes.dumped++;
    } catch (e) {
      if (!(e instanceof DumpError)) throw new Error(`case ${i} (${files[which]}): ${(e as Error).stack}`);
      expect(e.message).toContain(files[which]);
      outcomes.error++;
    }
  }
  // Both kinds of outcome occur: damage is detected, and harmless damage still dumps.
  expect(outcomes.error).toBeGreaterThan(0);
  expect(outcomes.dumped).toBeGreaterThan(0);
});
