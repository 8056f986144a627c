// flat reader (spec cyrus-db-seen-dlist.md §4; lib/cyrusdb_flat.c). One `key TAB value LF` line
// per record, lines in mbox order of the encoded key. Cyrus 3.x escapes NUL, TAB, LF, CR as
// 0xFF (byte|0x80) and 0xFF as 0xFF 0xFF in keys and values; 2.4 had no escaping.
import { FormatError } from '../errors.js';
import { compareKeys } from './compare.js';
import type { DbProblem, DbRecord } from './types.js';

const ESCAPE = 0xff;
const hex = (n: number) => `0x${n.toString(16).toUpperCase()}`;

export interface FlatOptions {
  /** Decode Cyrus 3.x escapes (default true). Use false for files written by 2.4. */
  escaped?: boolean;
}

export interface FlatDb {
  backend: 'flat';
  records: DbRecord[];
}

/** Cyrus flat decode(): a lone trailing 0xFF is dropped, like Cyrus does. */
export function flatDecode(b: Buffer): Buffer {
  if (!b.includes(ESCAPE)) return Buffer.from(b);
  const out = Buffer.alloc(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c !== ESCAPE) out[n++] = c;
    else if (i + 1 < b.length) {
      const d = b[++i]!;
      out[n++] = d === ESCAPE ? ESCAPE : d & 0x7f;
    }
  }
  return out.subarray(0, n);
}

/** Cyrus flat encode(), for building lines and for sort checks. */
export function flatEncode(b: Uint8Array): Buffer {
  const out: number[] = [];
  for (const c of b) {
    if (c === 0 || c === 0x09 || c === 0x0a || c === 0x0d) out.push(ESCAPE, 0x80 | c);
    else if (c === ESCAPE) out.push(ESCAPE, ESCAPE);
    else out.push(c);
  }
  return Buffer.from(out);
}

interface Line {
  offset: number;
  rawKey: Buffer;
  rawValue: Buffer;
}

function splitLines(buf: Buffer, file?: string): Line[] {
  const lines: Line[] = [];
  let at = 0;
  while (at < buf.length) {
    const lf = buf.indexOf(0x0a, at);
    if (lf < 0) throw new FormatError('BAD_SYNTAX', 'last line has no LF', at, file);
    const tab = buf.indexOf(0x09, at);
    if (tab < 0 || tab > lf) throw new FormatError('BAD_SYNTAX', `line at ${hex(at)} has no TAB`, at, file);
    const nul = buf.indexOf(0, at);
    // Cyrus parses lines with strchr: an unescaped NUL ends its view of the file.
    if (nul >= 0 && nul < lf) throw new FormatError('BAD_SYNTAX', `NUL byte in line at ${hex(at)}`, nul, file);
    lines.push({ offset: at, rawKey: buf.subarray(at, tab), rawValue: buf.subarray(tab + 1, lf) });
    at = lf + 1;
  }
  return lines;
}

/**
 * A complete flat file holding `records`: lines sorted in mbox order of the encoded key, as Cyrus
 * writes it into `<file>.NEW` before renaming. `escaped: false` writes 2.4 files (no escaping;
 * keys and values must then contain no NUL, TAB or LF).
 */
export function encodeFlat(records: readonly DbRecord[], options: FlatOptions = {}): Buffer {
  const escaped = options.escaped ?? true;
  const lines = records.map((r) => {
    if (!escaped && [r.key, r.value].some((b) => b.includes(0) || b.includes(0x09) || b.includes(0x0a)))
      throw new RangeError('unescaped flat files cannot hold NUL, TAB or LF');
    return { key: escaped ? flatEncode(r.key) : r.key, value: escaped ? flatEncode(r.value) : r.value };
  });
  lines.sort((a, b) => compareKeys('mbox', a.key, b.key));
  for (let i = 1; i < lines.length; i++)
    if (compareKeys('mbox', lines[i - 1]!.key, lines[i]!.key) === 0) throw new RangeError(`duplicate key at index ${i}`);
  return Buffer.concat(lines.flatMap((l) => [l.key, TAB, l.value, LF]));
}
const TAB = Buffer.from('\t');
const LF = Buffer.from('\n');

/** All records, in file order. Throws FormatError (BAD_SYNTAX) for a line Cyrus cannot parse. */
export function readFlat(buf: Buffer, file?: string, options: FlatOptions = {}): FlatDb {
  const escaped = options.escaped ?? true;
  const decode = escaped ? flatDecode : (b: Buffer) => Buffer.from(b);
  return {
    backend: 'flat',
    records: splitLines(buf, file).map((l) => ({ key: decode(l.rawKey), value: decode(l.rawValue) })),
  };
}

/**
 * Problem codes: SYNTAX (a line Cyrus cannot parse), ORDER (lines not strictly increasing in mbox
 * order of the encoded key: Cyrus's binary search would miss keys), DUPLICATE (same key twice).
 */
export function checkFlat(buf: Buffer): { problems: DbProblem[] } {
  const problems: DbProblem[] = [];
  let lines: Line[];
  try {
    lines = splitLines(buf);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return { problems: [{ code: 'SYNTAX', offset: e.offset, message: e.message }] };
  }
  for (let i = 1; i < lines.length && problems.length < 200; i++) {
    const c = compareKeys('mbox', lines[i - 1]!.rawKey, lines[i]!.rawKey);
    if (c === 0) problems.push({ code: 'DUPLICATE', offset: lines[i]!.offset, message: 'key repeats the previous line' });
    else if (c > 0) problems.push({ code: 'ORDER', offset: lines[i]!.offset, message: 'key sorts before the previous line' });
  }
  return { problems };
}
