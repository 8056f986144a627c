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
/** Other spellings: ICU's loose name matching, its exceptions, and converter options after ','. */
const SPELLINGS = [
  'xeuccn', 'X-EUC-CN', 'x_euc_cn', 'x.euc.cn', 'euccn', 'eucCN', 'us-ascii,x', 'us-asc,ii', 'usascii', 'u-s-a-s-c-i-i',
  'windows1252', 'windows_1252', 'windows-1252 ', 'iso8859-2', 'iso88592', 'iso-8859-02', 'LATIN2', 'l-a-t-i-n-2',
  'koi8r', 'shift-jis', 'xunicode20utf8', 'macos02102', 'macos-0-2-10-2', 'xmacce', 'ibm-0850', 'cp_850', 'gb2312;x',
  'koi8-r)', 'utf8,x', 'UTF-8',
  ...['cp_850', 'iso_8859_8_i', 'x_mac_roman', 'cp_1252', 'unicode_1_1_utf_8', 'x_gbk', 'mac_', 'csmacintosh_', 'iso8859-15-fdis'],
  ...['x-euc-cn', 'X-EUC-TW', 'x-euc-tw', 'X-MAC-CE', 'X-SJIS', 'x-gbk_', 'x-utf-8', 'x-x-utf-8', 'X-UNICODE20UTF8'],
];

/** Families decoded here for ASCII only (README: known differences): probed with ASCII bytes. */
const LONE_BYTE_APPROXIMATE = new Set(['iso-2022-cn', 'gb2312-94', 'euc-tw', 'scsu', 'bocu-1']);

function probeMessage(name: string, bytes: number[]): Buffer {
  const words = bytes.map((c) => `=?${name}?B?${Buffer.from([c]).toString('base64')}?=`);
  return Buffer.from(`Content-Type: text/plain; charset="${name}"\r\nSubject: ${words.join('~#~')}\r\n\r\nx\r\n`, 'latin1');
}

describeInterop('charset data against live Cyrus 3.6.1 + ICU', () => {
  let inst: CyrusInstance;
  let dir: string;
  const names = [...Object.keys(ICU_CHARSETS).filter((n) => !NOT_DECODED.has(n)), ...UNKNOWN, ...SPELLINGS];
  const allBytes = Array.from({ length: 255 }, (_, i) => i + 1);

  beforeAll(async () => {
    inst = await CyrusInstance.start({ name: 'charsets' });
    await inst.withImap(undefined, (c) => c.create('user.probe'));
    dir = await mbpath(inst, 'user.probe');
    const { uid, gid } = cyrusIds();
    names.forEach((n, i) => {
      const fam = ICU_CHARSETS[n];
      // Multi-byte families get ASCII only here: lone high bytes are where they are approximate.
      // Other spellings: ASCII only (their family is not looked up here).
      const ascii = (typeof fam === 'string' && LONE_BYTE_APPROXIMATE.has(fam)) || SPELLINGS.includes(n);
      const bytes = ascii ? allBytes.slice(0, 127) : allBytes;
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
