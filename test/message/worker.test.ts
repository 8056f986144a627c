// workers/parse.ts: the batch entry point the check pool will run in threads.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../workers/parse.js';
import { decodeCacheRecord } from '../../src/format/cache.js';
import { fixture } from '../helpers/fixtures.js';
import { readIndexFields } from './index-fields.js';

describe('parse worker', () => {
  const dir = join(fixture('corpus-indexed'), 'corpus-indexed', 'mailbox');
  const index = readIndexFields(join(dir, 'cyrus.index')).records.slice(0, 25);

  it('answers each path with the cache CRC Cyrus wrote, in order', () => {
    const res = parseBatch({ paths: index.map((r) => join(dir, `${r.uid}.`)) });
    expect(res.map((r) => r.record?.cacheCrc)).toEqual(index.map((r) => r.cacheCrc));
    expect(res.every((r) => r.cacheRecord === undefined)).toBe(true);
  });

  it('returns the encoded record on request, byte-identical to cyrus.cache', () => {
    const cache = readFileSync(join(dir, 'cyrus.cache'));
    const r = index[3]!;
    const [res] = parseBatch({ paths: [join(dir, `${r.uid}.`)], includeRecord: true });
    const want = decodeCacheRecord(cache, r.cacheOffset);
    expect(Buffer.from(res!.cacheRecord!).equals(cache.subarray(want.offset, want.offset + want.length))).toBe(true);
  });

  it('unreadable, empty and unsupported cases are answers, not exceptions', () => {
    const res = parseBatch({ paths: [join(dir, 'no-such-file.'), dir] });
    expect(res[0]!.error).toBe('ENOENT');
    expect(res[1]!.error).toBe('NOT_A_FILE');
    const fifoDir = mkdtempSync(join(tmpdir(), 'cyrus-fsck-fifo-'));
    execFileSync('mkfifo', [join(fifoDir, '1.')]);
    expect(parseBatch({ paths: [join(fifoDir, '1.')] })[0]!.error).toBe('NOT_A_FILE');
    rmSync(fifoDir, { recursive: true });
    const [v2] = parseBatch({ paths: [join(dir, `${index[0]!.uid}.`)], options: { cacheVersion: 2 } });
    expect(v2!.error).toBe('UNSUPPORTED_CACHE_VERSION');
  });
});
