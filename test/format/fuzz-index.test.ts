// Seeded fuzzing of the cyrus.index decoder on mutated real Cyrus files (bit flips, byte
// overwrites, truncation, extension, splices between files of different versions, hostile header
// values): decoding only ever returns or throws FormatError, and whatever decodes re-encodes to
// the identical bytes. Deterministic: a failure names the case number and seed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import {
  decodeIndex,
  decodeIndexHeader,
  decodeIndexRecord,
  encodeIndex,
  indexGeometry,
} from '../../src/format/index/index.js';
import { INDEX_VERSIONS, indexFixture, seenFixture } from '../helpers/fixtures.js';
import { mulberry32 } from '../../bench/prng.js';

const SEED = 0x5eed1d;
const CASES = 12_000;


const INTERESTING = [0, 1, 6, 11, 12, 19, 20, 21, 76, 96, 112, 144, 160, 192, 0x7fffffff, 0x80000000, 0xffffffff];

function mutate(files: Buffer[], rnd: () => number): Buffer {
  const int = (n: number) => Math.floor(rnd() * n);
  let buf = Buffer.from(files[int(files.length)]!);
  const steps = 1 + int(4);
  for (let s = 0; s < steps; s++) {
    switch (int(7)) {
      case 0: // bit flips
        for (let i = 0, n = 1 + int(8); i < n && buf.length; i++) buf[int(buf.length)]! ^= 1 << int(8);
        break;
      case 1: // random bytes
        for (let i = 0, n = 1 + int(16); i < n && buf.length; i++) buf[int(buf.length)] = int(256);
        break;
      case 2: // truncate
        buf = buf.subarray(0, int(buf.length + 1));
        break;
      case 3: // extend with garbage
        buf = Buffer.concat([buf, Buffer.from(Array.from({ length: int(300) }, () => int(256)))]);
        break;
      case 4: { // splice a chunk of another file (possibly another version) in
        const other = files[int(files.length)]!;
        const from = int(other.length);
        const chunk = other.subarray(from, from + int(200));
        const at = int(buf.length + 1);
        buf = Buffer.concat([buf.subarray(0, at), chunk, buf.subarray(at + (rnd() < 0.5 ? chunk.length : 0))]);
        break;
      }
      case 5: // a hostile value in a base header field (version, start_offset, record_size, num_records)
        if (buf.length >= 24) buf.writeUInt32BE(INTERESTING[int(INTERESTING.length)]!, 8 + 4 * int(4));
        break;
      case 6: { // a consistent header for another version, with the old body
        const v = [6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20][int(14)]!;
        if (buf.length >= 24) {
          buf.writeUInt32BE(v, 8);
          buf.writeUInt32BE({ 6: 76, 7: 76, 8: 92, 9: 96, 10: 96, 12: 128, 13: 128 }[v] ?? (v === 20 ? 192 : 160), 12);
          buf.writeUInt32BE({ 6: 60, 7: 72, 8: 80, 9: 80, 10: 88, 12: 96, 13: 104, 14: 104, 15: 104 }[v] ?? (v === 20 ? 144 : 112), 16);
        }
        break;
      }
    }
  }
  return buf;
}

/** Everything a checker would do with a file; returns what happened. */
function exercise(buf: Buffer): 'decoded' | 'format-error' {
  try {
    const header = decodeIndexHeader(buf);
    const geo = indexGeometry(header, buf.length);
    for (let i = 0; i < geo.recordCount; i++) decodeIndexRecord(buf, header.startOffset + i * header.recordSize, header);
    const file = decodeIndex(buf);
    const again = encodeIndex(file);
    if (!again.equals(buf)) throw new Error('decode → encode changed the bytes');
    return 'decoded';
  } catch (e) {
    if (e instanceof FormatError) return 'format-error';
    throw e;
  }
}

describe('fuzzing the cyrus.index decoder', () => {
  it(`${CASES} mutated real files: only results or FormatError, and exact re-encoding`, () => {
    const files = [
      ...INDEX_VERSIONS.map((v) => join(indexFixture(v), 'mailbox', 'cyrus.index')),
      ...['user.fxseen', 'user.fxseen.NoSeen', 'shared.fxteam'].map((m) => join(seenFixture(), m, 'mailbox', 'cyrus.index')),
    ].map((f) => readFileSync(f));
    const rnd = mulberry32(SEED);
    const tally = { decoded: 0, 'format-error': 0 };
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const buf = mutate(files, rnd);
      const started = performance.now();
      try {
        tally[exercise(buf)]++;
      } catch (e) {
        throw new Error(`case ${i} (seed ${SEED}): ${(e as Error).stack}`);
      }
      slowest = Math.max(slowest, performance.now() - started);
    }
    // Both outcomes must be common, or the mutations are not reaching the interesting code.
    expect(tally.decoded).toBeGreaterThan(CASES / 10);
    expect(tally['format-error']).toBeGreaterThan(CASES / 10);
    // No input makes the decoder crawl (a wall-clock bound on one case, not on the shared machine).
    expect(slowest).toBeLessThan(1_000);
  });
});
