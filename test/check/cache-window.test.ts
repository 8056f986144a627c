// A big cyrus.cache is read through a sliding window instead of whole: the verdict on every
// cache record must be the same either way, on Cyrus's own cache of 881 real messages, intact
// and damaged, and with windows far smaller than a record.
import { openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wholeCache, windowedCache } from '../../src/check/cache-bytes.js';
import { readMailbox } from '../../src/check/read.js';
import { scanFolder } from '../../src/check/scan-folder.js';
import { verifyCacheRecord, verifyMetadata } from '../../src/check/verify-mailbox.js';
import { decodeIndex } from '../../src/format/index/index.js';
import { copyOf, fixture, indexFixture } from '../helpers/fixtures.js';

const corpus = () => join(copyOf(join(fixture('corpus-indexed'), 'corpus-indexed')), 'mailbox');

function verdicts(dir: string, windowSize: number) {
  const records = decodeIndex(readFileSync(join(dir, 'cyrus.index'))).records;
  const cachePath = join(dir, 'cyrus.cache');
  const whole = wholeCache(readFileSync(cachePath));
  const win = windowedCache(openSync(cachePath, 'r'), statSync(cachePath).size, windowSize);
  try {
    return records.map((r) => {
      const a = verifyCacheRecord(whole, r, cachePath);
      const b = verifyCacheRecord(win, r, cachePath);
      return { a: a && [a.code, a.uid, a.offset, a.expected, a.actual], b: b && [b.code, b.uid, b.offset, b.expected, b.actual] };
    });
  } finally {
    win.close();
  }
}

describe('windowed cyrus.cache', () => {
  for (const windowSize of [64, 4096, 1 << 20]) {
    it(`same verdicts as the whole file, window ${windowSize} bytes (881 real records, 3 damaged)`, () => {
      const dir = corpus();
      const path = join(dir, 'cyrus.cache');
      const buf = readFileSync(path);
      const recs = decodeIndex(readFileSync(join(dir, 'cyrus.index'))).records;
      buf[recs[10]!.cacheOffset + 30] ^= 1; // CACHE_CRC
      buf[recs[500]!.cacheOffset + 200] ^= 1; // CACHE_CRC
      buf.writeUInt32BE(0x7fffff00, recs[880]!.cacheOffset); // ENVELOPE length past EOF
      writeFileSync(path, buf);
      const v = verdicts(dir, windowSize);
      for (const x of v) expect(x.b).toEqual(x.a);
      expect(v.filter((x) => x.a).map((x) => x.a![0])).toEqual(['CACHE_CRC', 'CACHE_CRC', 'CACHE_RECORD_BAD']);
    });
  }

  it('readMailbox reads a cache above the threshold through a window; verifyMetadata agrees', async () => {
    const dir = join(copyOf(indexFixture(17)), 'mailbox');
    const t = { name: 'user.fx17', dir, nameFromHeader: true };
    const scan = await scanFolder(dir);
    const whole = await readMailbox(t);
    const windowed = await readMailbox(t, undefined, { wholeCacheMax: 0 });
    expect(whole.cache.bytes?.whole).toBeDefined();
    expect(windowed.cache.bytes?.whole).toBeUndefined();
    const a = verifyMetadata(whole, scan);
    const b = verifyMetadata(windowed, scan);
    windowed.release?.();
    expect(b.findings).toEqual(a.findings);
    expect(b.findings).toEqual([]);
  });
});
