// Reads and writes one layout field (layout.ts) at a base offset. Shared by header.ts and
// record.ts so both directions use the same byte rules.
import { FormatError } from '../../errors.js';
import { FIELD_SIZE, type FieldSpec } from './layout.js';

const NS = 1_000_000_000n;
const U64_MAX = (1n << 64n) - 1n;
const HEX = { guid: /^[0-9a-fA-F]{40}$/, uuid12: /^[0-9a-fA-F]{24}$/ };

/** Below 2^53 a u64 is one exact number: one BigInt instead of readBigUInt64BE's four. */
function readU64(buf: Buffer, at: number): bigint {
  const hi = buf.readUInt32BE(at);
  const lo = buf.readUInt32BE(at + 4);
  return hi < 0x200000 ? BigInt(hi * 0x100000000 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

type Reader = (buf: Buffer, base: number, target: Record<string, unknown>, nsec: Record<string, number>) => void;

/** Source of one field read; names and offsets come from layout.ts's constant tables, never from input. */
function readSource({ name, offset, kind }: FieldSpec): string {
  const at = `base + ${offset}`;
  const t = `target[${JSON.stringify(name)}]`;
  switch (kind) {
    case 'u32':
      return `${t} = buf.readUInt32BE(${at});`;
    case 'u32big':
      return `${t} = BigInt(buf.readUInt32BE(${at}));`;
    case 'u64':
      return `${t} = readU64(buf, ${at});`;
    case 't64ns':
      // TIMESPEC_FROM_NANOSEC: seconds = v / 1e9, ns = v % 1e9 (lossless back to v).
      return `{ const v = buf.readBigUInt64BE(${at}); ${t} = Number(v / NS); nsec[${JSON.stringify(name)}] = Number(v % NS); }`;
    case 'userflags':
      return `${t} = [buf.readUInt32BE(${at}), buf.readUInt32BE(${at} + 4), buf.readUInt32BE(${at} + 8), buf.readUInt32BE(${at} + 12)];`;
    case 'guid':
    case 'uuid12':
      return `${t} = buf.toString('hex', ${at}, ${at} + ${FIELD_SIZE[kind]});`;
  }
}

/**
 * One straight-line reader per field table, compiled on first use: a loop over the table with
 * keyed stores by a varying name costs V8 a generic lookup per field, and decoding a record is
 * per message work for `check`.
 */
const READERS = new WeakMap<readonly FieldSpec[], Reader>();

function readerOf(specs: readonly FieldSpec[]): Reader {
  let reader = READERS.get(specs);
  if (!reader) {
    const body = specs.map(readSource).join('\n');
    const make = new Function('readU64', 'NS', `return function readFields(buf, base, target, nsec) {\n${body}\n};`);
    reader = make(readU64, NS) as Reader;
    READERS.set(specs, reader);
  }
  return reader;
}

/**
 * Reads `specs` at `base` into `target` (by field name); the sub-second part of each t64ns field
 * goes into `nsec`. Callers pre-shape `target` with every key so these stores stay fast.
 */
export function readFields(
  buf: Buffer,
  base: number,
  specs: readonly FieldSpec[],
  target: Record<string, unknown>,
  nsec: Record<string, number>,
): void {
  readerOf(specs)(buf, base, target, nsec);
}

function bad(at: number, name: string, why: string): FormatError {
  return new FormatError('BAD_VALUE', `cannot encode ${name}: ${why}`, at);
}

function u32(at: number, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw bad(at, name, `${String(v)} is not a u32`);
  }
  return v;
}

function u64(at: number, name: string, v: unknown, max = U64_MAX): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > max) throw bad(at, name, `${String(v)} is not a u64 bigint`);
  return v;
}

/** Writes `values` (missing ones as zero) into `buf` at `base` following `specs`. */
export function writeFields(
  buf: Buffer,
  base: number,
  specs: readonly FieldSpec[],
  values: Record<string, unknown>,
  nsec: Record<string, number | undefined> = {},
  /** Values that replace those in `values` (without copying the whole object). */
  overrides: Record<string, unknown> = {},
): void {
  for (const { name, offset, kind } of specs) {
    const at = base + offset;
    const v = name in overrides ? overrides[name] : values[name];
    switch (kind) {
      case 'u32':
        buf.writeUInt32BE(u32(at, name, v ?? 0), at);
        break;
      case 'u32big':
        buf.writeUInt32BE(Number(u64(at, name, v ?? 0n, 0xffffffffn)), at);
        break;
      case 'u64':
        buf.writeBigUInt64BE(u64(at, name, v ?? 0n), at);
        break;
      case 't64ns': {
        const ns = nsec[name] ?? 0;
        if (!Number.isInteger(ns) || ns < 0 || ns >= 1e9) throw bad(at, name, `nanoseconds ${ns}`);
        const sec = v ?? 0;
        if (typeof sec !== 'number' || !Number.isInteger(sec) || sec < 0) throw bad(at, name, `seconds ${String(sec)}`);
        buf.writeBigUInt64BE(u64(at, name, BigInt(sec) * NS + BigInt(ns)), at);
        break;
      }
      case 'userflags': {
        const words = (v ?? [0, 0, 0, 0]) as unknown;
        if (!Array.isArray(words) || words.length !== 4) throw bad(at, name, 'needs 4 words');
        words.forEach((w, i) => buf.writeUInt32BE(u32(at, name, w), at + 4 * i));
        break;
      }
      case 'guid':
      case 'uuid12': {
        const size = FIELD_SIZE[kind];
        const hex = v ?? '';
        if (typeof hex !== 'string' || !(hex === '' || HEX[kind].test(hex))) {
          throw bad(at, name, `${String(hex)} is not ${size * 2} hex digits`);
        }
        buf.fill(0, at, at + size);
        if (hex) buf.write(hex, at, size, 'hex');
        break;
      }
    }
  }
}
