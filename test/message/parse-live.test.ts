// Live oracle: hand-made messages for everything the corpus does not exercise (crafted.ts) are
// written into a mailbox of a private Cyrus 3.6.1 and indexed by its own `reconstruct`; every
// record field and cache item we derive must equal what Cyrus wrote. Also with non-default
// imapd.conf settings and with other process time zones. Prints match rates and the labels of
// any differing message.
import { chownSync, openSync, closeSync, readdirSync, readFileSync, writeSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CYRUS_BIN, describeInterop } from '../harness/env.js';
import { CyrusInstance, cyrusIds, runProcess } from '../harness/instance.js';
import { mbpath } from '../harness/tools.js';
import type { ParseOptions } from '../../src/message/options.js';
import {
  charsetFuzzMessages,
  craftedMessages,
  FUZZ_CHARSETS_APPROXIMATE,
  FUZZ_CHARSETS_EXACT,
  Lcg,
  mutate,
  type Crafted,
} from './crafted.js';
import { fixture } from '../helpers/fixtures.js';
import { compareMailbox, explainDiff, formatRates, KEYS } from './oracle.js';

/** Shapes too big to keep in memory as a list: written straight to disk. */
function writeHostile(path: string, kind: 'headers-30mb' | 'nested-10000'): void {
  const fd = openSync(path, 'w');
  if (kind === 'headers-30mb') {
    writeSync(fd, 'Subject: big headers\r\n');
    const block = Buffer.from(`Comments: ${'c'.repeat(88)}\r\n`.repeat(10_000));
    for (let i = 0; i < 30; i++) writeSync(fd, block);
    writeSync(fd, '\r\nbody\r\n');
  } else {
    for (let i = 0; i < 10_000; i++) writeSync(fd, `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`);
    writeSync(fd, 'Content-Type: text/plain\r\n\r\nleaf\r\n');
    for (let i = 9_999; i >= 0; i--) writeSync(fd, `--b${i}--\r\n`);
  }
  closeSync(fd);
}

const HOSTILE = ['headers-30mb', 'nested-10000'] as const;

async function indexWithCyrus(inst: CyrusInstance, mailbox: string, messages: Crafted[], tz = 'UTC', hostile = true): Promise<string> {
  await inst.withImap(undefined, (c) => c.create(mailbox));
  const dir = await mbpath(inst, mailbox);
  const { uid, gid } = cyrusIds();
  const files = [...messages.map((m) => m.bytes), ...(hostile ? HOSTILE : [])];
  files.forEach((m, i) => {
    const p = join(dir, `${i + 1}.`);
    if (Buffer.isBuffer(m)) writeFileSync(p, m);
    else writeHostile(p, m);
    chownSync(p, uid, gid);
    utimesSync(p, 1700000000 + i * 3600, 1700000000 + i * 3600);
  });
  const r = await runProcess([`${CYRUS_BIN}/reconstruct`, '-C', inst.conf, mailbox], {
    timeoutMs: 600_000,
    asCyrus: { uid, gid },
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...inst.shimEnv, TZ: tz },
  });
  if (r.code !== 0 || /Failed to reconstruct/i.test(r.stdout)) throw new Error(`reconstruct: ${r.stdout}${r.stderr}`);
  return dir;
}

function expectSame(name: string, dir: string, crafted: Crafted[], options: ParseOptions, hostile = true): void {
  const res = compareMailbox(dir, options);
  console.log(formatRates(name, res));
  const label = (uid: number) => `${uid}: ${crafted[uid - 1]?.label ?? HOSTILE[uid - 1 - crafted.length]}`;
  for (const k of KEYS.filter((k) => k !== 'ALL')) {
    if (res.diffs[k]!.length) console.log(`${k} differs for\n  ${res.diffs[k]!.map(label).join('\n  ')}`);
  }
  if (process.env.CYRUS_FSCK_DEBUG) {
    const only = process.env.UIDS?.split(',').map(Number);
    for (const uid of res.diffs.ALL.filter((u) => !only || only.includes(u))) for (const line of explainDiff(dir, uid, options)) console.log(`${label(uid)} ${line}`);
  }
  expect(res.total).toBe(crafted.length + (hostile ? HOSTILE.length : 0));
  expect(res.diffs.ALL.map(label)).toEqual([]);
}

describeInterop('message parsing against live Cyrus 3.6.1 reconstruct', () => {
  let inst: CyrusInstance;
  let odd: CyrusInstance;
  const crafted = craftedMessages();
  const dates = crafted.filter((m) => m.label.startsWith('Date:'));
  const ODD_CONF = { rfc2047_utf8: 'yes', rfc2046_strict: 'yes', maxheaderlines: '10', boundary_limit: '5' };

  beforeAll(async () => {
    inst = await CyrusInstance.start({ name: 'parse' });
    odd = await CyrusInstance.start({ name: 'parseodd', conf: ODD_CONF });
  }, 120_000);

  afterAll(async () => {
    await inst?.stop();
    await odd?.stop();
  });

  it('every crafted and hostile message (default settings, TZ=UTC)', async () => {
    const dir = await indexWithCyrus(inst, 'user.probe', crafted);
    expectSame('crafted (live reconstruct)', dir, crafted, { timeZone: 'UTC' });
  }, 900_000);

  it('the same messages with rfc2047_utf8, rfc2046_strict, maxheaderlines 10, boundary_limit 5', async () => {
    const dir = await indexWithCyrus(odd, 'user.odd', crafted);
    expectSame('crafted (non-default imapd.conf)', dir, crafted, {
      timeZone: 'UTC',
      rfc2047Utf8: true,
      rfc2046Strict: true,
      maxHeaderLines: 10,
      boundaryLimit: 5,
    });
  }, 900_000);

  it('400 damaged variants of corpus messages (seeded fuzz)', async () => {
    const src = join(fixture('corpus-indexed'), 'corpus-indexed', 'mailbox');
    const files = readdirSync(src).filter((f) => /^\d+\.$/.test(f)).sort();
    const rng = new Lcg(Number(process.env.FUZZ_SEED ?? 4711));
    const fuzzed: Crafted[] = [];
    while (fuzzed.length < Number(process.env.FUZZ_N ?? 400)) {
      const f = files[rng.next(files.length)]!;
      const bytes = readFileSync(join(src, f));
      if (bytes.length > 200_000) continue;
      let m = mutate(bytes, rng);
      for (let r = 1; r < Number(process.env.FUZZ_ROUNDS ?? 1); r++) m = mutate(m, rng);
      fuzzed.push({ label: `fuzz of ${f} #${fuzzed.length}`, bytes: m });
    }
    const dir = await indexWithCyrus(inst, 'user.fuzz', fuzzed, 'UTC', false);
    expectSame('fuzzed corpus (live reconstruct)', dir, fuzzed, { timeZone: 'UTC' }, false);
  }, 900_000);

  it('300 RFC 2047 words of random bytes in multi-byte charsets (seeded fuzz)', async () => {
    const all = process.env.CSFUZZ_ALL ? [...FUZZ_CHARSETS_EXACT, ...FUZZ_CHARSETS_APPROXIMATE] : FUZZ_CHARSETS_EXACT;
    const msgs = charsetFuzzMessages(Number(process.env.FUZZ_SEED ?? 1234), Number(process.env.FUZZ_N ?? 300), all);
    const dir = await indexWithCyrus(inst, 'user.csfuzz', msgs, 'UTC', false);
    expectSame('charset fuzz (live reconstruct)', dir, msgs, { timeZone: 'UTC' }, false);
  }, 900_000);

  for (const tz of ['America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe']) {
    it(`sentdate with the Cyrus process in ${tz}`, async () => {
      const dir = await indexWithCyrus(inst, `user.tz${tz.replace(/\W/g, '')}`, dates, tz, false);
      expectSame(`dates (TZ=${tz})`, dir, dates, { timeZone: tz }, false);
    }, 900_000);
  }
});
