// Seeded fuzzing of the database readers with mutated real files: every outcome must be either
// records or a FormatError, and the check functions must never throw - no hang, no crash.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { compareKeys } from '../../src/db/compare.js';
import { readDb } from '../../src/db/detect.js';
import { checkFlat } from '../../src/db/flat.js';
import { checkSkiplist } from '../../src/db/skiplist.js';
import { checkTwoskip, decodeTwoskipRecord, readTwoskip, TWOSKIP_BLANK } from '../../src/db/twoskip.js';
import { recoverTwoskip } from '../../src/db/twoskip-recover.js';
import { indexFixture, INDEX_VERSIONS, seenFixture } from '../helpers/fixtures.js';
import { lcg } from './prng.js';

const CASES = 12_000;

/** Real files: every twoskip of the fixtures, a skiplist with a log, a flat subscriptions file. */
function seeds(): Buffer[] {
  const out = [
    readFileSync(join(seenFixture(), 'conf/mailboxes.db')),
    readFileSync(join(seenFixture(), 'conf/fxseen.seen.db')),
    ...INDEX_VERSIONS.map((v) => readFileSync(join(indexFixture(v), 'mailbox/cyrus.annotations'))),
  ];
  const dummy = Buffer.alloc(96);
  dummy.writeUInt32BE(257, 0);
  for (let i = 0; i < 3; i++) dummy.writeUInt32BE(0x90, 12 + 4 * i);
  dummy.writeUInt32BE(0xffffffff, 92);
  const hdr = Buffer.alloc(48);
  Buffer.from('\xa1\x02\x8b\x0dskiplist file', 'latin1').copy(hdr);
  [1, 2, 20, 3, 0, 0x90, 0].forEach((v, i) => hdr.writeUInt32BE(v, 20 + 4 * i));
  const rec = (type: number, key: string, val: string, ptrs: number[]) => {
    const pad = (s: string) => Buffer.concat([Buffer.from(s), Buffer.alloc((4 - (s.length % 4)) % 4)]);
    const b = [Buffer.alloc(8), pad(key), Buffer.alloc(4), pad(val)];
    b[0]!.writeUInt32BE(type, 0);
    b[0]!.writeUInt32BE(key.length, 4);
    b[2]!.writeUInt32BE(val.length, 0);
    const p = Buffer.alloc(4 * ptrs.length + 4);
    ptrs.forEach((x, i) => p.writeUInt32BE(x, 4 * i));
    p.writeUInt32BE(0xffffffff, 4 * ptrs.length);
    return Buffer.concat([...b, p]);
  };
  const word = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  // header + DUMMY + ADD key=value + COMMIT + DELETE(0x90) + ADD key=v2 + COMMIT (pointers not
  // maintained: the reader replays the log, and the check reports the stale pointers)
  out.push(Buffer.concat([hdr.subarray(0, 48), dummy, rec(2, 'key', 'value', [0, 0, 0]), word(255), word(4), word(0x90), rec(2, 'key', 'v2', [0]), word(255)]));
  out.push(Buffer.from('\x1fVER\x1f\t2\nNINBOX\t\nNINBOX\x1fSub\t\nNshared\t\n', 'latin1'));
  return out;
}

/** Rewrites every twoskip CRC so mutations reach the structural checks behind them. */
function fixTwoskipCrcs(b: Buffer): void {
  if (b.length < 64) return;
  b.writeUInt32BE(crc32(b.subarray(0, 60)), 60);
  let at = 64;
  while (at < b.length) {
    if (b.subarray(at, at + 8).equals(TWOSKIP_BLANK)) {
      at += 8;
      continue;
    }
    try {
      const r = decodeTwoskipRecord(b, at);
      b.writeUInt32BE(crc32(b.subarray(r.offset, r.keyOffset - 8)), r.keyOffset - 8);
      b.writeUInt32BE(crc32(b.subarray(r.keyOffset, r.offset + r.length)), r.keyOffset - 4);
      at += r.length;
    } catch {
      return;
    }
  }
}

function mutate(src: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(src);
  const pos = () => rnd() % Math.max(1, b.length);
  const steps = 1 + (rnd() % 3);
  for (let s = 0; s < steps; s++) {
    switch (rnd() % 8) {
      case 0: // flip bits
        if (b.length) b[pos()] ^= 1 << (rnd() % 8);
        break;
      case 1: // truncate
        b = b.subarray(0, pos());
        break;
      case 2: // aligned 64-bit word := an offset somewhere in (or just past) the file
        if (b.length >= 8) {
          const at = (pos() & ~7) + 4;
          b.writeUInt32BE(rnd() % (b.length + 64), at + 4 > b.length ? 4 : at);
        }
        break;
      case 3: // aligned 32-bit word := random, small, 0xFFFFFFFF or a type code
        if (b.length >= 4) {
          const at = pos() & ~3;
          const v = [rnd(), rnd() % 300, 0xffffffff, [1, 2, 4, 255, 257][rnd() % 5]!][rnd() % 4]!;
          b.writeUInt32BE(v >>> 0, at + 4 > b.length ? 0 : at);
        }
        break;
      case 4: // duplicate a slice
        {
          const a = pos();
          const len = rnd() % 200;
          b = Buffer.concat([b.subarray(0, a), b.subarray(a, a + len), b.subarray(a)]);
        }
        break;
      case 5: // delete a slice
        {
          const a = pos();
          b = Buffer.concat([b.subarray(0, a), b.subarray(a + (rnd() % 64))]);
        }
        break;
      case 6: // random byte run
        for (let i = rnd() % 16, a = pos(); i > 0 && a < b.length; i--, a++) b[a] = rnd() & 0xff;
        break;
      case 7: // level byte or length fields of a record head
        if (b.length > 72) b[64 + ((rnd() % ((b.length - 64) >> 3)) << 3) + 1 + (rnd() % 6)] = rnd() & 0xff;
        break;
    }
  }
  if (rnd() % 2) fixTwoskipCrcs(b);
  return b;
}

describe('database readers under fuzzing', () => {
  it(`survive ${CASES} mutated real files: records or FormatError, never a crash or hang`, () => {
    const base = seeds();
    for (const s of base) expect(() => readDb(s)).not.toThrow();
    const rnd = lcg(20261128);
    const started = Date.now();
    const cpu0 = process.cpuUsage(); // CPU time, not wall time: the test machine is shared
    const outcomes = { ok: 0, formatError: 0 };
    for (let i = 0; i < CASES; i++) {
      const input = mutate(base[i % base.length]!, rnd);
      const ctx = `case ${i} (seed file ${i % base.length}, ${input.length} bytes)`;
      try {
        const db = readDb(input);
        outcomes.ok++;
        if (db.backend === 'twoskip')
          for (let k = 1; k < db.records.length; k++)
            expect(compareKeys('raw', db.records[k - 1]!.key, db.records[k]!.key), ctx).toBeLessThan(0);
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`${ctx}: ${String(e)}`, { cause: e });
        outcomes.formatError++;
        expect(e.offset, ctx).toBeGreaterThanOrEqual(0);
      }
      for (const alt of [() => readTwoskip(input, undefined, { verifyCrc: false }), () => recoverTwoskip(input)]) {
        try {
          alt();
        } catch (e) {
          if (!(e instanceof FormatError)) throw new Error(`${ctx}: ${String(e)}`, { cause: e });
        }
      }
      try {
        checkTwoskip(input);
        checkSkiplist(input);
        checkFlat(input);
      } catch (e) {
        throw new Error(`${ctx}: a check threw ${String(e)}`, { cause: e });
      }
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    console.log(`fuzz: ${CASES} cases in ${cpuMs} ms CPU (${Date.now() - started} ms wall): ${outcomes.ok} read, ${outcomes.formatError} FormatError`);
    expect(outcomes.ok).toBeGreaterThan(CASES / 20);
    expect(outcomes.formatError).toBeGreaterThan(CASES / 20);
    expect(cpuMs).toBeLessThan(20_000);
  }, 120_000);
});
