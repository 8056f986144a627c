// Cache version 3 (Cyrus 2.4 / 2.5) against real Cyrus 2.4.18 (Ubuntu xenial, index v12) and
// 2.5.10 (Ubuntu bionic, index v13): the corpus's 881 messages reconstructed by each
// (test/fixtures/corpus-indexed-2.4.18.tar.gz, corpus-indexed-2.5.10.tar.gz). Prints the match
// rate per record field and cache item; v3 is enabled because every one is 881/881 for both, and
// every 2.x rule is decided by this real output (flipping one alone breaks a match).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';
import { compareMailbox, explainDiff, formatRates, KEYS } from './oracle.js';
import { readIndexFields } from './index-fields.js';
import { rulesFor, SUPPORTED_CACHE_VERSIONS, UnsupportedCacheVersionError, type Rules } from '../../src/message/options.js';
import { expectedCacheRecord } from '../../src/message/record.js';

type Key = (typeof KEYS)[number];
const mailbox = (release: string) => join(fixture(`corpus-indexed-${release}`), 'corpus-indexed', 'mailbox');
const RUN_RULES: Partial<Rules> = { rfc822UnterminatedParses: true };
const RELEASES: { release: string; indexVersion: number; atLeast: Partial<Record<Key, number>> }[] = [
  {
    release: '2.5.10',
    indexVersion: 13,
    atLeast: {},
  },
  {
    release: '2.4.18',
    indexVersion: 12,
    atLeast: {},
  },
];

describe('cache v3 (Cyrus 2.4.18 / 2.5.10) port, measured against the real thing', () => {
  for (const { release, indexVersion, atLeast } of RELEASES) {
    it(`${release}: matches per field and item at least as well as recorded`, () => {
      const dir = mailbox(release);
      const index = readIndexFields(join(dir, 'cyrus.index'));
      expect(index.minorVersion).toBe(indexVersion);
      expect(new Set(index.records.map((r) => r.cacheVersion))).toEqual(new Set([3]));
      // A Date: ending right after its time is undefined behaviour in 2.5's parse_rfc822 (same
      // code as 3.0, see Rules.rfc822UnterminatedParses): the recorded 2.5.10 run parsed such
      // dates. 2.4's own date parser is well defined there (it parses) and ignores this rule.
      const opts = { timeZone: 'UTC', indexVersion, rules: RUN_RULES };
      const res = compareMailbox(dir, opts);
      console.log(formatRates(`corpus-indexed-${release} (cache v3, index v${indexVersion})`, res));
      const explain = Number(process.env.EXPLAIN_V3 ?? 0);
      for (const uid of res.diffs.ALL!.slice(0, explain)) console.log(`uid ${uid}: ${explainDiff(dir, uid, { ...opts, cacheVersion: 3 }).join('\n')}`);
      expect(res.total).toBe(881);
      for (const k of KEYS) expect(res.matches[k], k).toBeGreaterThanOrEqual(atLeast[k] ?? 881);
      const full = KEYS.every((k) => res.matches[k] === 881);
      expect((SUPPORTED_CACHE_VERSIONS as readonly number[]).includes(3)).toBe(full);
      if (!full) expect(() => expectedCacheRecord(join(dir, '1.'), { cacheVersion: 3, indexVersion })).toThrow(UnsupportedCacheVersionError);
    }, 300_000);
  }

  // Each 2.x rule against real output: flipping it alone must break the match (the 2.4-only
  // ones against 2.4.18, the shared ones against both).
  const FLIPS: [keyof Rules, unknown][] = [
    ['sectionWordsOnly', false],
    ['firstHeaderWins', false],
    ['badParamEndsList', false],
    ['atEndsDomain', false],
    ['cachedHeaderNameScan', 32],
    ['sizeFromParse', false],
    ['rfc822Dates', false],
  ];
  const FLIPS_24: [keyof Rules, unknown][] = [
    ['charsetNumbers', false],
    ['searchForm24', false],
    ['rfc822DateComments', false],
    ['headerLinesCutAtNul', false],
  ];
  for (const { release, indexVersion } of RELEASES) {
    for (const [rule, value] of release === '2.4.18' ? FLIPS.concat(FLIPS_24) : FLIPS) {
      it(`${release}: rule ${rule}=${String(value)} breaks the match`, () => {
        expect(rulesFor(3, indexVersion)[rule]).not.toEqual(value);
        const res = compareMailbox(mailbox(release), { timeZone: 'UTC', indexVersion, rules: { ...RUN_RULES, [rule]: value } });
        console.log(`${release} with ${rule}=${String(value)}: ${res.diffs.ALL!.length} of ${res.total} differ`);
        expect(res.diffs.ALL!.length).toBeGreaterThan(0);
      }, 300_000);
    }
  }
  it('2.5 rules on the 2.4.18 mailbox, and 2.4 rules on the 2.5.10 one, do not match', () => {
    expect(compareMailbox(mailbox('2.4.18'), { timeZone: 'UTC', indexVersion: 13, rules: RUN_RULES }).diffs.ALL!.length).toBeGreaterThan(0);
    expect(compareMailbox(mailbox('2.5.10'), { timeZone: 'UTC', indexVersion: 12, rules: RUN_RULES }).diffs.ALL!.length).toBeGreaterThan(0);
  }, 300_000);

  it('the lab mailboxes of 2.4.18 and 2.5.10 (appended and LMTP-delivered messages): every field and item identical', () => {
    for (const { release, indexVersion } of RELEASES) {
      const dir = join(fixture(`cyrus-index-${release}`), `index-${release}`, 'mailbox');
      expect(readIndexFields(join(dir, 'cyrus.index')).minorVersion).toBe(indexVersion);
      const res = compareMailbox(dir, { timeZone: 'UTC', indexVersion, rules: RUN_RULES });
      console.log(formatRates(`cyrus-index-${release}`, res));
      expect(res.total).toBeGreaterThan(5);
      for (const k of KEYS) expect(res.diffs[k], `${release} ${k}`).toEqual([]);
    }
  }, 300_000);
});
