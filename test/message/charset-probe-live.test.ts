// Live check of charset-icu-data.ts: for every converter name in it (and names ICU does not know),
// a message declaring that charset on a text part and carrying one RFC 2047 word per byte
// 0x01-0xFF in its Subject is indexed by real Cyrus 3.6.1; SECTION (known or not) and SUBJECT
// (every byte's decoding) must equal ours.
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance, cyrusIds } from '../harness/instance.js';
import { mbpath } from '../harness/tools.js';
import { ICU_CHARSETS } from '../../src/message/charset-icu-data.js';
import { compareMailbox, explainDiff, formatRates } from './oracle.js';

// BOCU-1 is known to ICU but not decoded here at all (its words become one U+FFFD each).
const NOT_DECODED = new Set(['bocu-1']);
const UNKNOWN = ['iso-8859-16', 'uhc', 'latin7', 'l10', '1253', 'bogus', 'x-mac-korean', 'utf-9', 'constructor'];

/** Families whose lone invalid bytes we do not decode exactly as ICU (README: known differences). */
const LONE_BYTE_APPROXIMATE = new Set(['euc-jp', 'euc-kr', 'euc-cn', 'shift_jis', 'ibm-943', 'ibm-33722', 'ibm-949', 'ibm-950', 'ibm-1363', 'ibm-1386', 'uhc', 'gbk', 'big5', 'gb18030', 'iso-2022-jp', 'iso-2022-kr', 'iso-2022-cn', 'hz', 'gb2312-94', 'euc-tw', 'scsu', 'bocu-1', 'utf-16', 'utf-16be', 'utf-16le', 'utf-32', 'utf-32be', 'utf-32le']);

function probeMessage(name: string, bytes: number[]): Buffer {
  const words = bytes.map((c) => `=?${name}?B?${Buffer.from([c]).toString('base64')}?=`);
  return Buffer.from(`Content-Type: text/plain; charset="${name}"\r\nSubject: ${words.join('~#~')}\r\n\r\nx\r\n`, 'latin1');
}

describeInterop('charset data against live Cyrus 3.6.1 + ICU', () => {
  let inst: CyrusInstance;
  let dir: string;
  const names = [...Object.keys(ICU_CHARSETS).filter((n) => !NOT_DECODED.has(n)), ...UNKNOWN];
  const allBytes = Array.from({ length: 255 }, (_, i) => i + 1);

  beforeAll(async () => {
    inst = await CyrusInstance.start({ name: 'charsets' });
    await inst.withImap(undefined, (c) => c.create('user.probe'));
    dir = await mbpath(inst, 'user.probe');
    const { uid, gid } = cyrusIds();
    names.forEach((n, i) => {
      const fam = ICU_CHARSETS[n];
      // Multi-byte families get ASCII only here: lone high bytes are where they are approximate.
      const bytes = typeof fam === 'string' && LONE_BYTE_APPROXIMATE.has(fam) ? allBytes.slice(0, 127) : allBytes;
      const p = join(dir, `${i + 1}.`);
      writeFileSync(p, probeMessage(n, bytes));
      chownSync(p, uid, gid);
    });
    await inst.tool('reconstruct', ['user.probe'], { timeoutMs: 300_000 });
  }, 400_000);

  afterAll(async () => {
    await inst?.stop();
  });

  it('every probed name: SECTION and the decoded SUBJECT equal what Cyrus wrote', () => {
    const res = compareMailbox(dir, { timeZone: 'UTC' });
    console.log(formatRates('charset probe (live)', res));
    const label = (uid: number) => `${uid}: ${names[uid - 1]}`;
    if (process.env.CYRUS_FSCK_DEBUG) {
      for (const uid of res.diffs.ALL.filter((u) => !process.env.UIDS || process.env.UIDS.split(",").includes(String(u)))) for (const l of explainDiff(dir, uid)) console.log(`${label(uid)} ${l}`);
    }
    expect(res.total).toBe(names.length);
    expect(res.diffs.ALL.map(label)).toEqual([]);
  });
});
