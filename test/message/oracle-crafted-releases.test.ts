// Oracle for what the corpus does not exercise, per release: release-crafted.ts's 609 messages
// (the release rules, every 8-bit byte in three places of a Date:, crafted.ts's edge cases and a
// charset fuzz) indexed by real Cyrus 3.2.6, 3.4.3 (Ubuntu 22.04), 3.10.2 and 3.12.4 (made by
// make-release-fixtures.sh into test/message/fixtures/). Every field and cache item must be what
// that release wrote.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareMailbox, formatRates, KEYS } from './oracle.js';
import { readIndexFields } from './index-fields.js';
import { releaseCraftedMessages, CRASHES_CYRUS_32 } from './release-crafted.js';
import { expectedCacheRecord } from '../../src/message/record.js';
import { DATE_HIGH_BYTE_CLASSES } from '../../src/message/datetime.js';
import { defaultCharsetTables } from '../../src/message/charset.js';
import { rulesFor } from '../../src/message/options.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'crafted-releases-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function unpack(version: string): string {
  const dir = join(tmp, version);
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('tar', ['xzf', join(FIXTURES, `crafted-indexed-${version}.tar.gz`), '-C', dir]);
  return join(dir, 'crafted-indexed');
}

describe('crafted messages against real Cyrus 3.2.6, 3.4.3, 3.10.2 and 3.12.4 (oracle)', () => {
  const messages = releaseCraftedMessages();

  // Which build's bytes for 8-bit Date: characters and which ICU apply (3.10.2 on Debian 13 is
  // not v11's default, Debian 12's 3.6.1 with ICU 72).
  const RELEASES = [
    { version: '3.2.6', cacheVersion: 10, build: 'debian11-3.2.6', icu: 'icu72' },
    { version: '3.4.3', cacheVersion: 10, build: 'ubuntu2204-3.4.3', icu: 'icu72' },
    { version: '3.10.2', cacheVersion: 11, build: 'debian13-3.10.2', icu: 'icu76' },
    { version: '3.12.4', cacheVersion: 13, build: 'debian-sid-3.12.4', icu: 'icu76' },
  ] as const;

  for (const { version, cacheVersion, build, icu } of RELEASES) {
    it(`Cyrus ${version}: ${messages.length} crafted messages, every field and item identical`, () => {
      const mailbox = join(unpack(version), 'mailbox');
      const index = readIndexFields(join(mailbox, 'cyrus.index'));
      expect(index.records.length).toBe(messages.length);
      for (const r of index.records) {
        expect(r.cacheVersion).toBe(cacheVersion);
        expect(readFileSync(join(mailbox, `${r.uid}.`)).equals(messages[r.uid - 1]!.bytes), `uid ${r.uid}`).toBe(true);
      }
      const dateHighByteClasses = DATE_HIGH_BYTE_CLASSES[build]!;
      const base = { timeZone: 'UTC', indexVersion: index.minorVersion, charsets: defaultCharsetTables(icu) };
      const res = compareMailbox(mailbox, { ...base, rules: { dateHighByteClasses } });
      console.log(formatRates(`crafted-indexed-${version}`, res));
      for (const k of KEYS) expect(res.diffs[k]!.map((u) => messages[u - 1]!.label), k).toEqual([]);
      // ... and another build's bytes do not fit: the table is decided by the real output.
      for (const [other, table] of Object.entries(DATE_HIGH_BYTE_CLASSES)) {
        if (other === build) continue;
        const wrong = compareMailbox(mailbox, { ...base, rules: { dateHighByteClasses: table } });
        expect(wrong.diffs.ALL!.length, other).toBeGreaterThan(0);
      }
      // ... and so does the other ICU generation (GB 18030-2005 against -2022).
      const otherIcu = compareMailbox(mailbox, { ...base, charsets: defaultCharsetTables(icu === 'icu72' ? 'icu76' : 'icu72'), rules: { dateHighByteClasses } });
      expect(otherIcu.diffs.ALL!.map((u) => messages[u - 1]!.label)).toEqual(['gb18030 2005/2022 mappings']);
    }, 120_000);
  }

  it('the 3.2/3.4 rule on controls in quoted address phrases is decided by the real output', () => {
    for (const [version, indexVersion] of [['3.2.6', 16], ['3.4.3', 17]] as const) {
      const mailbox = join(unpack(version), 'mailbox');
      const flipped = !rulesFor(10, indexVersion).quotedPhraseControls;
      const res = compareMailbox(mailbox, { timeZone: 'UTC', indexVersion, rules: { quotedPhraseControls: flipped, dateHighByteClasses: rulesFor(10, indexVersion).dateHighByteClasses } });
      expect(res.diffs.ALL!.map((u) => messages[u - 1]!.label), version).toEqual(['quoted phrase with bare CR', 'quoted phrase with TAB and ctl']);
    }
  }, 60_000);

  it("Cyrus 3.2.6's reconstruct crashed on the 1-byte part before a boundary; we flag that message", () => {
    const log = readFileSync(join(unpack('3.2.6'), 'reconstruct-crash.txt'), 'latin1');
    expect(log).toMatch(/Segmentation fault[\s\S]*## exit 139/);
    expect(expectedCacheRecord(CRASHES_CYRUS_32, { cacheVersion: 10, indexVersion: 16 }).warnings.join()).toMatch(/crash/);
    expect(expectedCacheRecord(CRASHES_CYRUS_32, { cacheVersion: 10, indexVersion: 17 }).warnings).toEqual([]);
  });
});
