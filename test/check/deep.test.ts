// check --deep: every cache record compared with a fresh parse of its message file, done in the
// hashing workers. Cyrus's own caches (six index versions, 881 real messages) must come out
// clean; a cache record rewritten consistently (its CRC and the index record's CRC recomputed,
// so only a parse can tell) must be reported as CACHE_STALE naming the changed item.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../src/check/discover.js';
import { Reporter } from '../../src/check/report.js';
import { runCheck } from '../../src/check/run.js';
import { decodeCacheRecord, encodeCacheRecord, encodedCacheCrc } from '../../src/format/cache.js';
import { decodeIndex } from '../../src/format/index/index.js';
import { copyOf, fixture, indexFixture, INDEX_VERSIONS } from '../helpers/fixtures.js';
import { allFindings, buildDist, editIndex, type JsonReport } from './helpers.js';

async function check(paths: string[], deep: boolean): Promise<{ report: JsonReport; notes: string[] }> {
  let out = '';
  const notes: string[] = [];
  const reporter = new Reporter({ mode: 'json', verbose: true, out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (notes.push(s), true) } });
  const none = { setTotal() {}, update() {}, stop() {} };
  await runCheck({ targets: discover({ mailboxes: [], path: paths }), jobs: 2, reporter, progress: none, deep });
  return { report: JSON.parse(out) as JsonReport, notes };
}

const corpus = () => join(copyOf(join(fixture('corpus-indexed'), 'corpus-indexed')), 'mailbox');

/** Changes one letter of uid's SUBJECT item in place and recomputes both CRCs. Returns the uid. */
function restampSubject(dir: string): number {
  const cachePath = join(dir, 'cyrus.cache');
  const cache = readFileSync(cachePath);
  const records = decodeIndex(readFileSync(join(dir, 'cyrus.index'))).records;
  const r = records.find((x) => {
    const s = decodeCacheRecord(cache, x.cacheOffset).items.SUBJECT;
    return x.uid > 20 && /[a-z]/.test(s.toString('latin1'));
  })!;
  const rec = decodeCacheRecord(cache, r.cacheOffset);
  const subject = Buffer.from(rec.items.SUBJECT);
  const at = subject.toString('latin1').search(/[a-z]/);
  subject[at] = subject[at]! - 0x20; // same length: the record keeps its place and size
  const encoded = encodeCacheRecord({ ...rec.items, SUBJECT: subject });
  expect(encoded.length).toBe(rec.length);
  encoded.copy(cache, r.cacheOffset);
  writeFileSync(cachePath, cache);
  editIndex(dir, (f) => {
    f.records.find((x) => x.uid === r.uid)!.cacheCrc = encodedCacheCrc(encoded);
  });
  return r.uid;
}

describe('check --deep', () => {
  beforeAll(() => buildDist());

  it('finds Cyrus-written caches of index versions 12-17 consistent with a fresh parse', async () => {
    const { report, notes } = await check(
      INDEX_VERSIONS.map((v) => join(indexFixture(v), 'mailbox')),
      true,
    );
    expect(report.summary.messages).toBeGreaterThan(0);
    expect(allFindings(report).filter((f) => f.code === 'CACHE_STALE')).toEqual([]);
    expect(notes.filter((n) => n.includes('--deep'))).toEqual([]);
  }, 60_000);

  it('finds all 881 cache records of the real corpus consistent with a fresh parse', async () => {
    const { report, notes } = await check([corpus()], true);
    expect(report.summary.messages).toBe(881);
    expect(allFindings(report)).toEqual([]);
    expect(notes).toEqual([]); // every record was parsed and compared, none skipped
  }, 120_000);

  it('skips records of a cache version the parser cannot reproduce, with one -v note per mailbox', async () => {
    const dir = corpus();
    editIndex(dir, (f) => {
      for (const r of f.records.slice(0, 3)) r.cacheVersion = 9;
    });
    const { report, notes } = await check([dir], true);
    expect(allFindings(report)).toEqual([]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('3 of cache version 9');
  }, 120_000);

  it('reports a consistently rewritten SUBJECT item as exactly one CACHE_STALE, only with --deep', async () => {
    const dir = corpus();
    const uid = restampSubject(dir);
    const plain = await check([dir], false);
    expect(allFindings(plain.report)).toEqual([]);
    const deep = await check([dir], true);
    const found = allFindings(deep.report);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'CACHE_STALE', severity: 'warning', uid, field: 'SUBJECT', file: join(dir, `${uid}.`) });
    expect(found[0]!.message).toContain('SUBJECT');
    expect(String(found[0]!.expected)).toMatch(/^SUBJECT=[0-9a-f]{8}$/);
    expect(found[0]!.expected).not.toEqual(found[0]!.actual);
  }, 120_000);
});
