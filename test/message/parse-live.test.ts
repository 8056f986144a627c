// Live oracle: hand-made messages for everything the corpus does not exercise (crafted.ts) are
// written into a mailbox of a private Cyrus 3.6.1 and indexed by its own `reconstruct`; every
// record field and cache item we derive must equal what Cyrus wrote. Prints the match rates and
// the labels of any differing message.
import { chownSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance, cyrusIds } from '../harness/instance.js';
import { mbpath } from '../harness/tools.js';
import { craftedMessages } from './crafted.js';
import { compareMailbox, explainDiff, formatRates, KEYS } from './oracle.js';

describeInterop('message parsing against live Cyrus 3.6.1 reconstruct', () => {
  let inst: CyrusInstance;
  let dir: string;
  const crafted = craftedMessages();

  beforeAll(async () => {
    inst = await CyrusInstance.start({ name: 'parse' });
    await inst.withImap(undefined, (c) => c.create('user.probe'));
    dir = await mbpath(inst, 'user.probe');
    const { uid, gid } = cyrusIds();
    crafted.forEach((m, i) => {
      const p = join(dir, `${i + 1}.`);
      writeFileSync(p, m.bytes);
      chownSync(p, uid, gid);
      utimesSync(p, 1700000000 + i, 1700000000 + i);
    });
    const r = await inst.tool('reconstruct', ['user.probe'], { timeoutMs: 300_000 });
    if (/Failed to reconstruct/i.test(r.stdout)) throw new Error(r.stdout);
  }, 400_000);

  afterAll(async () => {
    await inst?.stop();
  });

  it('every crafted message: record fields and cache items equal what reconstruct wrote', () => {
    const res = compareMailbox(dir, { timeZone: 'UTC' });
    console.log(formatRates('crafted (live reconstruct)', res));
    const label = (uid: number) => `${uid}: ${crafted[uid - 1]?.label}`;
    for (const k of KEYS.filter((k) => k !== 'ALL')) {
      if (res.diffs[k]!.length) console.log(`${k} differs for\n  ${res.diffs[k]!.map(label).join('\n  ')}`);
    }
    if (process.env.CYRUS_FSCK_DEBUG) {
      for (const uid of res.diffs.ALL) for (const line of explainDiff(dir, uid)) console.log(`${label(uid)} ${line}`);
    }
    expect(res.total).toBe(crafted.length);
    expect(res.diffs.ALL.map(label)).toEqual([]);
  });
});
