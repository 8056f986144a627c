// Oracle: every message Cyrus 3.6.1 indexed (the 881-message real-world corpus and the index
// fixtures v12–v17) re-parsed by us; each record field and cache item compared byte for byte.
// Prints the match rates; asserts floors we actually reach (ratchet them up, target 100%).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, indexFixture, INDEX_VERSIONS } from '../helpers/fixtures.js';
import { compareMailbox, formatRates, KEYS } from './oracle.js';

// Floors (percent) per key for the corpus; fixtures must match 100%.
const CORPUS_FLOOR: Record<string, number> = Object.fromEntries(KEYS.map((k) => [k, 100]));

describe('message parsing against Cyrus 3.6.1 (oracle)', () => {
  it('corpus-indexed: 881 real-world messages, per field and per cache item', () => {
    const dir = join(fixture('corpus-indexed'), 'corpus-indexed', 'mailbox');
    const res = compareMailbox(dir, { timeZone: 'UTC' });
    console.log(formatRates('corpus-indexed', res));
    expect(res.total).toBe(881);
    for (const k of KEYS) expect((100 * res.matches[k]!) / res.total, k).toBeGreaterThanOrEqual(CORPUS_FLOOR[k]!);
  }, 300_000);

  for (const v of INDEX_VERSIONS) {
    it(`index-v${v} fixture: every record and cache item identical`, () => {
      const res = compareMailbox(join(indexFixture(v), 'mailbox'), { timeZone: 'UTC' });
      console.log(formatRates(`index-v${v}`, res));
      expect(res.total).toBeGreaterThan(0);
      expect(res.diffs.ALL).toEqual([]);
    });
  }
});
