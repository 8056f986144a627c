// Compares what src/message derives from message files with what Cyrus wrote for them
// (cyrus.index fields + cyrus.cache records): the oracle behind the message tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_ITEMS, decodeCacheRecord } from '../../src/format/cache.js';
import { expectedCacheRecord } from '../../src/message/record.js';
import { withFallbacks } from '../../src/message/datetime.js';
import { toIndexTime } from '../../src/message/datetime.js';
import type { ParseOptions } from '../../src/message/options.js';
import { readIndexFields } from './index-fields.js';
import { parseMessage } from '../../src/message/parse.js';
import { BufferSource } from '../../src/message/source.js';

export const FIELDS = ['size', 'header_size', 'content_lines', 'sentdate', 'gmtime', 'guid', 'cache_version', 'cache_crc'] as const;
export const KEYS = [...FIELDS, ...CACHE_ITEMS, 'ALL'] as const;

export interface OracleResult {
  total: number;
  matches: Record<string, number>;
  /** key → uids that differ */
  diffs: Record<string, number[]>;
}

export function compareMailbox(mailboxDir: string, options: ParseOptions = {}): OracleResult {
  const index = readIndexFields(join(mailboxDir, 'cyrus.index'));
  const cache = readFileSync(join(mailboxDir, 'cyrus.cache'));
  const matches: Record<string, number> = Object.fromEntries(KEYS.map((k) => [k, 0]));
  const diffs: Record<string, number[]> = Object.fromEntries(KEYS.map((k) => [k, []]));
  let total = 0;
  for (const r of index.records) {
    if (r.systemFlags & 0x40000000) continue; // UNLINKED: the file is gone
    total++;
    const want = decodeCacheRecord(cache, r.cacheOffset, r.cacheVersion);
    const got = expectedCacheRecord(join(mailboxDir, `${r.uid}.`), { ...options, cacheVersion: r.cacheVersion });
    const dates = withFallbacks(
      { sentdate: got.record.sentdate, gmtime: got.record.gmtime },
      r.internaldate,
      options.timeZone,
    );
    // SECTION carries the top part's lines from cache v9 on; older records only in cyrus.index.
    const wantLines = r.cacheVersion < 9 ? (r.contentLines ?? -1) : want.items.SECTION.length >= 52 ? want.items.SECTION.readUInt32BE(48) : -1;
    const same: Record<string, boolean> = {
      size: got.record.size === r.size,
      header_size: got.record.headerSize === r.headerSize,
      content_lines: got.record.contentLines === wantLines,
      sentdate: toIndexTime(dates.sentdate) === r.sentdate,
      gmtime: toIndexTime(dates.gmtime) === r.gmtime,
      guid: got.record.guid === r.guid,
      cache_version: got.record.cacheVersion === r.cacheVersion,
      cache_crc: got.record.cacheCrc === r.cacheCrc,
    };
    for (const n of CACHE_ITEMS) same[n] = got.items[n].equals(want.items[n]);
    same.ALL = Object.values(same).every(Boolean);
    for (const k of KEYS) {
      if (same[k]) matches[k]!++;
      else diffs[k]!.push(r.uid);
    }
  }
  return { total, matches, diffs };
}

export function formatRates(name: string, res: OracleResult): string {
  const lines = [`${name}: ${res.total} messages`];
  for (const k of KEYS) {
    const m = res.matches[k]!;
    const pct = ((100 * m) / Math.max(1, res.total)).toFixed(2);
    const d = res.diffs[k]!;
    lines.push(`  ${k.padEnd(14)} ${String(m).padStart(4)}/${res.total} ${pct.padStart(6)}%${d.length ? `  differ: ${d.slice(0, 12).join(',')}${d.length > 12 ? ',…' : ''}` : ''}`);
  }
  return lines.join('\n');
}

/** Debug aid: the items of one message that differ, ours against Cyrus's (JSON-escaped). */
export function explainDiff(mailboxDir: string, uid: number, options: ParseOptions = {}): string[] {
  const index = readIndexFields(join(mailboxDir, 'cyrus.index'));
  const cache = readFileSync(join(mailboxDir, 'cyrus.cache'));
  const r = index.records.find((x) => x.uid === uid)!;
  const want = decodeCacheRecord(cache, r.cacheOffset, r.cacheVersion);
  const got = expectedCacheRecord(join(mailboxDir, `${uid}.`), options);
  const fields = [
    `size ${got.record.size}/${r.size}`,
    `header_size ${got.record.headerSize}/${r.headerSize}`,
    `sentdate ${got.record.sentdate}/${r.sentdate}`,
    `gmtime ${got.record.gmtime}/${r.gmtime}`,
    `internaldate ${r.internaldate}`,
    `our Date value ${JSON.stringify(parseMessage(new BufferSource(readFileSync(join(mailboxDir, `${uid}.`)))).root.date?.toString('latin1'))}`,
  ];
  const date = [...readFileSync(join(mailboxDir, `${uid}.`)).toString("latin1").matchAll(/(?:^|\n)Date:([^\n]*)/gi)].map((m) => m[1]);
  const show = (b: Buffer) => (CACHE_ITEMS.indexOf('SECTION') >= 0 && b.some((c) => c < 9) ? b.toString('hex') : JSON.stringify(b.toString('latin1')));
  return [`fields (ours/cyrus): ${fields.join(', ')}; Dates:${JSON.stringify(date)}`].concat(
    CACHE_ITEMS.filter((n) => !got.items[n].equals(want.items[n])).map(
      (n) => `${n}\n    ours:  ${show(got.items[n])}\n    cyrus: ${show(want.items[n])}`,
    ),
  );
}
