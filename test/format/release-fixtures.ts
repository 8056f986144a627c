// The fixtures that real Cyrus releases other than 3.6.1 wrote (test/harness/release-cyrus/
// make-fixtures.sh): unpacking cyrus-index-<version> and corpus-indexed-<version>, and reading
// what every index fixture holds (the mailbox files decoded, expected.json, mbexamine.txt,
// unexpunge.txt). Shared by old-cyrus.test.ts and other-cyrus.test.ts, which add what only
// their releases have and keep their own assertions.
//
// RELEASE_FIXTURES=<folder> takes these tarballs from that folder instead of test/fixtures: to
// run the tests on a fresh harness run (OUT=<folder>) before its tarballs replace the committed ones.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { cacheRecordCrc, decodeCacheHeader, decodeCacheRecord } from '../../src/format/cache.js';
import { decodeHeader } from '../../src/format/header.js';
import { decodeIndex, encodeIndex, systemFlagNames, userFlagBits, type IndexFile, type IndexRecord } from '../../src/format/index/index.js';
import { fixture } from '../helpers/fixtures.js';

const override = process.env.RELEASE_FIXTURES ? resolve(process.env.RELEASE_FIXTURES) : null;
const unpacked = new Map<string, string>();

/** Unpacks `<name>.tar.gz` (from RELEASE_FIXTURES if set, else test/fixtures) once per process. */
export function releaseFixture(name: string): string {
  if (!override) return fixture(name);
  let dir = unpacked.get(name);
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), `cyrus-fsck-release-${name}-`));
    const made = dir;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    execFileSync('tar', ['xzf', join(override, `${name}.tar.gz`), '-C', dir]);
    unpacked.set(name, dir);
  }
  return dir;
}

/** The folder of cyrus-index-<cyrus>: mailbox/, expected.json, mbexamine.txt, unexpunge.txt … */
export const indexFixtureDir = (cyrus: string): string => join(releaseFixture(`cyrus-index-${cyrus}`), `index-${cyrus}`);

/** The folder of corpus-indexed-<cyrus>: mailbox/ (881 messages), mbexamine.txt, reconstruct.txt … */
export const corpusFixtureDir = (cyrus: string): string => join(releaseFixture(`corpus-indexed-${cyrus}`), 'corpus-indexed');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** IMAP date-time (" 2-Jan-2023 05:50:28 +0000") → Unix seconds. */
export function imapTime(s: string): number {
  const m = /^\s?(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(s);
  if (!m) throw new Error(`bad IMAP date-time ${s}`);
  const utc = Date.UTC(+m[3]!, MONTHS.indexOf(m[2]!), +m[1]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
  return utc - (m[7] === '-' ? -1 : 1) * (+m[8]! * 3600 + +m[9]! * 60);
}

/** ctime(3) in UTC ("Sat Jan  7 14:08:40 2023") → Unix seconds; unexpunge -l prints these (the tools ran with TZ=UTC). */
export function ctimeUtc(s: string): number {
  const m = /^\w{3} (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\d{4})$/.exec(s.trim());
  if (!m) throw new Error(`bad ctime ${s}`);
  return Date.UTC(+m[6]!, MONTHS.indexOf(m[1]!), +m[2]!, +m[3]!, +m[4]!, +m[5]!) / 1000;
}

/** unexpunge -l: one block per expunged record. */
export function parseUnexpunge(text: string) {
  return text
    .split(/^UID: /m)
    .slice(1)
    .map((b) => {
      const f = (k: string) => new RegExp(`^\\t${k}: ?(.*)$`, 'm').exec(b)?.[1] ?? '';
      return {
        uid: Number(b.slice(0, b.indexOf('\n'))),
        size: Number(f('Size')),
        sentdate: ctimeUtc(f('Sent')),
        internaldate: ctimeUtc(f('Recv')),
        lastUpdated: ctimeUtc(f('Expg')),
      };
    });
}

/** The record's flags by name, as IMAP shows them to the owner (\Seen is in the record, v12+). */
export function flagNames(r: IndexRecord, userFlags: readonly (string | null)[]): string[] {
  return [...systemFlagNames(r.systemFlags), ...userFlagBits(r.userFlags).map((b) => userFlags[b]!)].sort();
}

/**
 * What every cyrus-index-<cyrus> fixture holds, read and decoded. `E` is the test's own shape of
 * expected.json (the releases' dumps differ). mbexamine.txt and cyrus.annotations are handed over
 * raw: how to read them differs by release (2.4 has no cyrus.annotations at all: null).
 */
export function loadIndexFixture<E extends { mailbox: string }>(cyrus: string) {
  const dir = indexFixtureDir(cyrus);
  const mbox = join(dir, 'mailbox');
  const indexBuf = readFileSync(join(mbox, 'cyrus.index'));
  const headerBuf = readFileSync(join(mbox, 'cyrus.header'));
  const mbexamineBuf = readFileSync(join(dir, 'mbexamine.txt'));
  const annFile = join(mbox, 'cyrus.annotations');
  return {
    dir,
    mbox,
    expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as E,
    mbexamineBuf,
    mbexamineText: mbexamineBuf.toString('latin1'),
    unexpunge: parseUnexpunge(readFileSync(join(dir, 'unexpunge.txt'), 'latin1')),
    indexBuf,
    headerBuf,
    cacheBuf: readFileSync(join(mbox, 'cyrus.cache')),
    index: decodeIndex(indexBuf),
    header: decodeHeader(headerBuf),
    annotationsBuf: existsSync(annFile) ? readFileSync(annFile) : null,
  };
}

/** cyrus.cache is of the index's generation, and every record points at an intact cache record
 *  whose CRC is the stored cache_crc. */
export function expectCacheRecordsIntact(index: IndexFile, cacheBuf: Buffer): void {
  expect(decodeCacheHeader(cacheBuf).generation).toBe(index.header.generationNo);
  for (const r of index.records) {
    const rec = decodeCacheRecord(cacheBuf, r.cacheOffset, r.cacheVersion);
    expect(cacheRecordCrc(cacheBuf, rec.offset, rec.length)).toBe(r.cacheCrc);
  }
}

/** The decoded index re-encodes to the bytes Cyrus wrote, with stored or recomputed CRCs. */
export function expectReencodesExactly(index: IndexFile, indexBuf: Buffer): void {
  expect(index.trailing).toBeUndefined();
  expect(encodeIndex(index).equals(indexBuf)).toBe(true);
  expect(encodeIndex(index, { recomputeCrc: true }).equals(indexBuf)).toBe(true);
}
