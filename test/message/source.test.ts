// Streaming from disk through a small window gives exactly what parsing the whole file in memory
// gives: window edges must never split a line, a boundary test or a hash.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/message/parse.js';
import { recordFromParsed } from '../../src/message/record.js';
import { BufferSource, FileSource } from '../../src/message/source.js';
import { lookupCharset } from '../../src/message/charset.js';
import { fixture } from '../helpers/fixtures.js';

describe('byte sources', () => {
  const dir = join(fixture('corpus-indexed'), 'corpus-indexed', 'mailbox');
  const files = readdirSync(dir)
    .filter((f) => /^\d+\.$/.test(f))
    .sort((a, b) => parseInt(a) - parseInt(b))
    .filter((_, i) => i % 9 === 0);

  for (const windowSize of [7, 64, 4096]) {
    it(`a ${windowSize}-byte file window gives the same records as an in-memory buffer`, () => {
      for (const f of files) {
        const p = join(dir, f);
        const mem = recordFromParsed(parseMessage(new BufferSource(readFileSync(p))));
        const src = new FileSource(p, windowSize);
        try {
          const disk = recordFromParsed(parseMessage(src));
          expect(disk.cacheRecord.equals(mem.cacheRecord), f).toBe(true);
          expect(disk.record).toEqual(mem.record);
        } finally {
          src.close();
        }
      }
    }, 120_000);
  }

  it('charset names that are Object.prototype members are simply unknown', () => {
    for (const n of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(lookupCharset(n)).toBeUndefined();
  });
});
