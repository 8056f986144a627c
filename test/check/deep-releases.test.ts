// check --deep on the corpus as real Cyrus 3.0.13, 3.2.6, 3.10.2 and 3.12.4 indexed it: every
// cache record must come out clean. Cache version 10 was written by 3.2 (index v16) and 3.4
// (v17) with different parsers, so the workers must be told the index version (3.2.6's uid 26,
// an RFC 2231 `boundary*=` that 3.2 does not read, is stale by 3.4's rules). 3.0's Date: parser
// has a process-dependent outcome for a value ending right after its year or time; a stored
// date equal to either outcome is Cyrus's own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../src/check/discover.js';
import { Reporter } from '../../src/check/report.js';
import { runCheck } from '../../src/check/run.js';
import { verifyDeep, type FileCheck } from '../../src/check/verify-mailbox.js';
import { decodeIndex } from '../../src/format/index/index.js';
import { loadParser, parseDigest, type ParseDigest } from '../../workers/hash.js';
import { copyOf, fixture } from '../helpers/fixtures.js';
import { buildDist, type JsonReport } from './helpers.js';

beforeAll(async () => {
  buildDist();
  // The fixtures were indexed with TZ=UTC (test/fixtures/README.md).
  await loadParser({ timeZone: 'UTC' });
}, 240_000);

async function deepCheck(mailbox: string): Promise<{ report: JsonReport; notes: string[] }> {
  let out = '';
  const notes: string[] = [];
  const reporter = new Reporter({ mode: 'json', verbose: true, out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (notes.push(s), true) } });
  const none = { setTotal() {}, update() {}, stop() {} };
  await runCheck({ targets: discover({ mailboxes: [], path: [mailbox] }), jobs: 2, reporter, progress: none, deep: true, parse: { timeZone: 'UTC' } });
  return { report: JSON.parse(out) as JsonReport, notes };
}

const corpus = (release: string) => join(copyOf(join(fixture(`corpus-indexed-${release}`), 'corpus-indexed')), 'mailbox');

describe('check --deep on corpora indexed by other Cyrus releases', () => {
  it.each([
    ['3.0.13', 13, 6],
    ['3.2.6', 16, 10],
    ['3.10.2', 19, 11],
    ['3.12.4', 19, 13],
  ])('%s (index v%i, cache v%i): 881 records, every cache record compared, nothing found', async (release, index, cache) => {
    const mb = corpus(release);
    const idx = decodeIndex(readFileSync(join(mb, 'cyrus.index')));
    expect([idx.header.minorVersion, idx.records[0]!.cacheVersion]).toEqual([index, cache]);
    const { report, notes } = await deepCheck(mb);
    expect(report.mailboxes[0]!.findings).toEqual([]);
    expect(report.summary.messages).toBe(881);
    // No record left uncompared (unsupported cache version, unparseable file).
    expect(notes.filter((n) => /--deep (compared no|could not parse)/.test(n))).toEqual([]);
  }, 120_000);

  it('3.2.6 uid 26 (boundary*=) parses as 3.2 only when told index v16; without it 3.4 rules give another record', () => {
    const file = readFileSync(join(fixture('corpus-indexed-3.2.6'), 'corpus-indexed', 'mailbox', '26.'));
    const as32 = parseDigest(file, 10, 16) as ParseDigest;
    const as34 = parseDigest(file, 10) as ParseDigest;
    expect(as32.crc).not.toBe(as34.crc);
  });

  it('3.0.13: the 8 Date: values of process-dependent outcome carry both outcomes; Cyrus stored the failed one', () => {
    const mb = join(fixture('corpus-indexed-3.0.13'), 'corpus-indexed', 'mailbox');
    const { records } = decodeIndex(readFileSync(join(mb, 'cyrus.index')));
    const withAlt = records.flatMap((r) => {
      const d = parseDigest(readFileSync(join(mb, `${r.uid}.`)), 6, 13) as ParseDigest;
      return d.alt ? [{ r, d }] : [];
    });
    expect(withAlt.map(({ r }) => r.uid)).toEqual([338, 991, 993, 994, 1017, 1018, 1019, 1063]);
    for (const { r, d } of withAlt) {
      // The outcomes differ: one parses the time, the other fails (0: Cyrus stores a fallback,
      // nothing to compare); this run of 3.0.13 failed them, as our default does.
      expect(d.alt!.gmtime).not.toBe(d.gmtime);
      expect(d.gmtime).toBe(0);
      expect(r.sentdate).toBe(d.sentdate);
    }
  });
});

describe('verifyDeep with a process-dependent Date: (crafted digests)', () => {
  const stored = { cacheVersion: 6, crc: 1, items: [], headerSize: 100, sentdate: 1000, gmtime: 5000 };
  const fc: FileCheck = { uid: 7, path: '/x/7.', size: 10, stored } as unknown as FileCheck;
  const digest = (sentdate: number, gmtime: number, alt?: ParseDigest['alt']): ParseDigest => ({ crc: 1, items: [], headerSize: 100, sentdate, gmtime, ...(alt ? { alt } : {}) });

  it('a stored date equal to the other outcome stands', () => {
    // This process's outcome parsed (gmtime 4000); the Cyrus that indexed it failed and stored its fallback.
    expect(verifyDeep(fc, digest(1000, 4000))?.code).toBe('CACHE_STALE');
    expect(verifyDeep(fc, digest(1000, 4000, { sentdate: 1000, gmtime: 0 }))).toBeUndefined();
    expect(verifyDeep(fc, digest(2000, 4000, { sentdate: 1000, gmtime: 5000 }))).toBeUndefined();
  });

  it('a stored date equal to neither outcome is CACHE_STALE, reported against this parse', () => {
    const f = verifyDeep(fc, digest(1000, 4000, { sentdate: 1000, gmtime: 4500 }));
    expect([f?.code, f?.field, f?.expected, f?.actual]).toEqual(['CACHE_STALE', 'gmtime', 'gmtime=4000', 'gmtime=5000']);
  });
});
