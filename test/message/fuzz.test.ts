// Seeded damage to real messages (crafted.ts mutate): the parser returns a record or a typed
// error for every variant, never an uncaught exception, and in bounded time, under the rules of
// every release we reproduce (variants rotate through them).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedCacheRecord } from '../../src/message/record.js';
import { MessageParseError } from '../../src/message/parse.js';
import { fixture } from '../helpers/fixtures.js';
import { Lcg, mutate } from './crafted.js';
import type { ParseOptions } from '../../src/message/options.js';

const RELEASES: ParseOptions[] = [{ cacheVersion: 11 }, { cacheVersion: 10, indexVersion: 16 }, { cacheVersion: 10 }, { cacheVersion: 13 }, { cacheVersion: 6 }, { cacheVersion: 3, indexVersion: 12 }, { cacheVersion: 3 }];

describe('fuzzed real messages', () => {
  it('3,000 damaged variants of corpus messages: a record or MessageParseError each', () => {
    const dir = join(fixture('corpus-indexed'), 'corpus-indexed', 'mailbox');
    const files = readdirSync(dir).filter((f) => /^\d+\.$/.test(f)).sort();
    const rng = new Lcg(20261128);
    const t0 = Date.now();
    let records = 0;
    for (let i = 0; i < 3000; i++) {
      const src = readFileSync(join(dir, files[rng.next(files.length)]!));
      if (src.length > 200_000) continue;
      const m = mutate(src, rng);
      try {
        const opts = RELEASES[i % RELEASES.length]!;
        const r = expectedCacheRecord(m, opts);
        // 2.x (cache v3) stores the parsed size, short of the file where a NUL cut the parse.
        if (opts.cacheVersion === 3) {
          expect(r.record.size).toBe(r.record.parsedSize);
          expect(r.record.size).toBeLessThanOrEqual(m.length);
        } else expect(r.record.size).toBe(m.length);
        records++;
      } catch (e) {
        expect(e, `variant ${i}`).toBeInstanceOf(MessageParseError);
      }
    }
    expect(records).toBeGreaterThan(2500);
    expect(Date.now() - t0).toBeLessThan(120_000);
  }, 180_000);
});
