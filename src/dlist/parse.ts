// dlist reader following Cyrus's stream parser `dlist_parse` (imap/dlist.c, spec §9.3) and the
// token readers it calls (`getxstring` in imap/imapparse.c). The grammar is written once, as
// generators that pause when the input window runs dry, so the same code parses a whole Buffer
// (`parseDlist`) and a chunked replication stream (`DlistStreamParser`). File literals go to a
// sink as they arrive and are never held whole unless the sink chooses to.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { EOF, Input, NEED } from './input.js';
import type { Dialect, DKvItem, DlistNode, FileContent } from './types.js';
import { NIL } from './types.js';

/** Receives one file literal's bytes as they arrive. */
export interface FileWriter {
  write(chunk: Buffer): void;
  /** Called after the last byte; says where the content now lives. */
  end(): FileContent;
}
export interface FileLiteralMeta {
  partition: string;
  guid: string;
  size: number;
}
/** Chooses where a file literal goes (Cyrus: `<partition>/sync./<pid>/<guid>`). */
export type FileSink = (meta: FileLiteralMeta) => FileWriter;

/** Keeps file literals in memory (fine for tests and small messages). */
export const memoryFileSink: FileSink = (meta) => {
  const parts: Buffer[] = [];
  return {
    write: (c) => void parts.push(Buffer.from(c)),
    end: () => ({ kind: 'memory', data: Buffer.concat(parts, meta.size) }),
  };
};

/** Drops file literal bytes (for callers that only want the structure). */
export const discardFileSink: FileSink = () => ({ write: () => {}, end: () => ({ kind: 'none' }) });

/** Writes each file literal to `<dir>/<guid>` as it streams in. */
export function directoryFileSink(dir: string): FileSink {
  return (meta) => {
    const path = join(dir, meta.guid.toLowerCase());
    const fd = openSync(path, 'w', 0o600);
    return {
      write: (c) => {
        let off = 0;
        while (off < c.length) off += writeSync(fd, c, off, c.length - off);
      },
      end: () => {
        closeSync(fd);
        return { kind: 'path', path };
      },
    };
  };
}

export interface ParseOptions {
  /** Grammar generation (default '3.6'). */
  dialect?: Dialect;
  /** Where file literals go (default: memory). */
  fileSink?: FileSink;
  /** Nesting limit; Cyrus has none, but a hostile stream must not blow our stack. */
  maxDepth?: number;
}

export interface Parsed {
  /** The top-level name, when parsed with parseKey. */
  key?: string;
  node: DlistNode;
}

type P<T> = Generator<void, T, void>;

interface Ctx {
  inp: Input;
  dialect: Dialect;
  fileSink: FileSink;
  maxDepth: number;
}

const SP = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d, DQUOTE = 0x22, LPAREN = 0x28, RPAREN = 0x29;
const PERCENT = 0x25, LBRACE = 0x7b, RBRACE = 0x7d, PLUS = 0x2b, BACKSLASH = 0x5c;

/** Cyrus's `maxquoted` default: a longer quoted string is fatal for the reading process. */
const MAX_QUOTED = 131072;
/**
 * Cyrus reads atoms of any length, but never writes one of 1024 bytes or more (it switches to a
 * literal). A longer atom is not Cyrus output; past this size we stop instead of buffering it.
 */
const MAX_ATOM = 1 << 20;

/** C isspace(): SP, TAB, LF, VT, FF, CR. */
const isSpace = (c: number) => c === SP || (c >= TAB && c <= CR);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Byte at rel, waiting for more input if needed. */
function* byteAt(inp: Input, rel: number): P<number> {
  let c = inp.at(rel);
  while (c === NEED) {
    yield;
    c = inp.at(rel);
  }
  return c;
}

function* skipSpace(inp: Input): P<number> {
  for (;;) {
    let c = inp.at(0);
    if (c === NEED) c = yield* byteAt(inp, 0);
    if (c >= 0 && isSpace(c)) inp.pos++;
    else return c;
  }
}

/** Atom per getxstring: bytes up to EOF, whitespace, `(`, `)` or `"`. May be empty. */
function* readAtom(inp: Input): P<string> {
  let n = 0;
  for (;;) {
    let c = inp.at(n);
    if (c === NEED) c = yield* byteAt(inp, n);
    if (c === EOF || isSpace(c) || c === LPAREN || c === RPAREN || c === DQUOTE) break;
    if (c === 0) throw inp.syntax('NUL byte inside an atom (Cyrus would cut the string there)', n);
    if (++n > MAX_ATOM) throw new FormatError('BAD_LENGTH', `dlist: atom longer than ${MAX_ATOM} bytes`, inp.offset());
  }
  return inp.take(n).toString('latin1');
}

/** Quoted string: `\` makes the next byte literal; CR, LF or end of input inside is an error. */
function* readQuoted(inp: Input): P<string> {
  const out: number[] = [];
  let n = 1; // past the opening quote
  for (;;) {
    let c = inp.at(n);
    if (c === NEED) c = yield* byteAt(inp, n);
    if (c === EOF) throw inp.truncated('a quoted string', n);
    if (c === CR || c === LF) throw inp.syntax('CR or LF inside a quoted string', n);
    if (c === 0) throw inp.syntax('NUL byte inside a quoted string (Cyrus would cut the string there)', n);
    n++;
    if (c === DQUOTE) break;
    if (c === BACKSLASH) {
      c = inp.at(n);
      if (c === NEED) c = yield* byteAt(inp, n);
      if (c === EOF) throw inp.truncated('a quoted string', n);
      if (c === 0) throw inp.syntax('NUL byte inside a quoted string (Cyrus would cut the string there)', n);
      n++;
    }
    out.push(c);
    if (out.length > MAX_QUOTED)
      throw new FormatError('BAD_LENGTH', `dlist: quoted string longer than ${MAX_QUOTED} bytes (Cyrus: maxquoted)`, inp.offset());
  }
  inp.pos += n;
  return Buffer.from(out).toString('latin1');
}

/** Decimal digits at rel; returns [value, digit count]. */
function* readDigits(inp: Input, rel: number, max: number, what: string): P<[number, number]> {
  let v = 0;
  let n = 0;
  for (;;) {
    let c = inp.at(rel + n);
    if (c === NEED) c = yield* byteAt(inp, rel + n);
    if (c === EOF) throw inp.truncated(what, rel + n);
    if (!isDigit(c)) break;
    v = v * 10 + (c - 0x30);
    if (v > max) throw inp.syntax(`${what} size above ${max}`, rel + n);
    n++;
  }
  if (n === 0) throw inp.syntax(`${what} without a size`, rel);
  return [v, n];
}

/** `{n}` or `{n+}` CR LF then n bytes (getxstring). */
function* readLiteral(inp: Input, binary: boolean): P<Buffer> {
  const [len, nd] = yield* readDigits(inp, 1, 0x7fffffff, 'literal');
  let rel = 1 + nd;
  let c = yield* byteAt(inp, rel);
  if (c === PLUS) c = yield* byteAt(inp, ++rel);
  if (c === EOF) throw inp.truncated('a literal header', rel);
  if (c !== RBRACE) throw inp.syntax('literal size not followed by }', rel);
  c = yield* byteAt(inp, ++rel);
  if (c === EOF) throw inp.truncated('a literal header', rel);
  if (c !== CR) throw inp.syntax('literal header not followed by CRLF', rel);
  c = yield* byteAt(inp, ++rel);
  if (c === EOF) throw inp.truncated('a literal header', rel);
  if (c !== LF) throw inp.syntax('literal header not followed by CRLF', rel);
  inp.pos += rel + 1;
  const start = inp.offset();
  const parts: Buffer[] = [];
  let got = 0;
  while (got < len) {
    if (inp.avail() === 0) {
      if (inp.eof) throw new FormatError('TRUNCATED', `dlist: literal of ${len} bytes ends after ${got}`, inp.offset());
      yield;
      continue;
    }
    const piece = inp.take(Math.min(len - got, inp.avail()));
    parts.push(Buffer.from(piece));
    got += piece.length;
  }
  const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts, len);
  if (!binary && data.includes(0)) throw new FormatError('BAD_SYNTAX', 'dlist: NUL inside a non-binary literal', start);
  return data;
}

interface XOpts {
  nil: boolean;
  binary: boolean;
}
type XString = { kind: 'nil' } | { kind: 'string'; value: string } | { kind: 'literal'; value: Buffer };

/** getastring / getnastring / getbastring: atom, quoted string or literal. */
function* getxstring(inp: Input, o: XOpts, what: string): P<XString> {
  let c = inp.at(0);
  if (c === NEED) c = yield* byteAt(inp, 0);
  if (c === EOF) throw inp.truncated(what);
  if (c === SP || c === LPAREN || c === RPAREN || c === CR || c === LF)
    throw inp.syntax(`${what} cannot start with ${JSON.stringify(String.fromCharCode(c))}`);
  if (c === DQUOTE) return { kind: 'string', value: yield* readQuoted(inp) };
  if (c === LBRACE) return { kind: 'literal', value: yield* readLiteral(inp, o.binary) };
  const value = yield* readAtom(inp);
  if (o.nil && value === 'NIL') return { kind: 'nil' };
  return { kind: 'string', value };
}

const xText = (x: XString): string =>
  x.kind === 'nil' ? 'NIL' : x.kind === 'string' ? x.value : x.value.toString('latin1');

/** A key: astring in 3.6; in 2.4 `getword` (bytes up to whitespace, parens or a quote). */
function* readKey(ctx: Ctx): P<string> {
  if (ctx.dialect === '2.4') return yield* readAtom(ctx.inp);
  return xText(yield* getxstring(ctx.inp, { nil: false, binary: false }, 'a key'));
}

/** `%{partition guid size}` [CR] LF then size raw bytes, streamed into the file sink. */
function* readFileLiteral(ctx: Ctx): P<DlistNode> {
  const inp = ctx.inp;
  inp.pos += 2; // "%{"
  const part = xText(yield* getxstring(inp, { nil: false, binary: false }, 'a file literal partition'));
  if ((yield* byteAt(inp, 0)) !== SP) throw inp.syntax('file literal: partition not followed by SP');
  inp.pos++;
  const guidOff = inp.offset();
  const guidHex = xText(yield* getxstring(inp, { nil: false, binary: false }, 'a file literal GUID'));
  if ((yield* byteAt(inp, 0)) !== SP) throw inp.syntax('file literal: GUID not followed by SP');
  inp.pos++;
  const [size, nd] = yield* readDigits(inp, 0, 0xffffffff, 'file literal');
  let rel = nd;
  let c = yield* byteAt(inp, rel);
  if (c === EOF) throw inp.truncated('a file literal header', rel);
  if (c !== RBRACE) throw inp.syntax('file literal size not followed by }', rel);
  c = yield* byteAt(inp, ++rel);
  if (c === CR) c = yield* byteAt(inp, ++rel);
  if (c === EOF) throw inp.truncated('a file literal header', rel);
  if (c !== LF) throw inp.syntax('file literal header not followed by LF', rel);
  if (!/^[0-9a-fA-F]{40}$/.test(guidHex))
    throw new FormatError('BAD_SYNTAX', `dlist: file literal GUID ${JSON.stringify(guidHex)} is not 40 hex digits`, guidOff);
  inp.pos += rel + 1;
  const writer = ctx.fileSink({ partition: part, guid: guidHex, size });
  let got = 0;
  while (got < size) {
    if (inp.avail() === 0) {
      if (inp.eof)
        throw new FormatError('TRUNCATED', `dlist: file literal of ${size} bytes ends after ${got}`, inp.offset());
      yield;
      continue;
    }
    const piece = inp.take(Math.min(size - got, inp.avail()));
    writer.write(piece);
    got += piece.length;
  }
  return { type: 'file', partition: part, guid: guidHex, size, content: writer.end() };
}

// ---- fast paths ------------------------------------------------------------------------------
// Most elements are short atoms and quoted strings already inside the window. These plain
// functions read them without creating generators; they give up (null / NEED, consuming
// nothing that matters) on anything unusual, and the generator path then reads — or rejects —
// it with the full rules, so both paths accept and refuse exactly the same input.

/** Skips whitespace; returns the next byte, EOF, or NEED when the window ran out first. */
function skipSpaceSync(inp: Input): number {
  const buf = inp.buf;
  let i = inp.pos;
  while (i < buf.length && isSpace(buf[i]!)) i++;
  inp.pos = i;
  if (i < buf.length) return buf[i]!;
  return inp.eof ? EOF : NEED;
}

/** End index of an atom starting at i, or -1 if its end is not in the window (or it holds NUL). */
function atomEndSync(inp: Input, i: number): number {
  const buf = inp.buf;
  const limit = i + MAX_ATOM;
  for (; i < buf.length; i++) {
    if (i >= limit) return -1;
    const c = buf[i]!;
    if (c === SP || (c >= TAB && c <= CR) || c === LPAREN || c === RPAREN || c === DQUOTE) return i;
    if (c === 0) return -1;
  }
  return inp.eof ? i : -1;
}

/** A quoted string starting at i (the quote), or null; sets `syncEnd` past the closing quote. */
let syncEnd = 0;
function quotedSync(inp: Input, i: number): string | null {
  const buf = inp.buf;
  let j = i + 1;
  let parts: number[] | null = null;
  let run = j;
  for (; j < buf.length; j++) {
    if (j - i > MAX_QUOTED) return null; // (escapes only make the content shorter)
    const c = buf[j]!;
    if (c === DQUOTE) {
      syncEnd = j + 1;
      if (!parts) return buf.toString('latin1', i + 1, j);
      for (let k = run; k < j; k++) parts.push(buf[k]!);
      return Buffer.from(parts).toString('latin1');
    }
    if (c === CR || c === LF || c === 0) return null;
    if (c === BACKSLASH) {
      if (j + 1 >= buf.length || buf[j + 1] === 0) return null;
      parts ??= [];
      for (let k = run; k < j; k++) parts.push(buf[k]!);
      parts.push(buf[j + 1]!);
      j++;
      run = j + 1;
    }
  }
  return null;
}

/** `[key SP*] scalar` when it is entirely in the window and ordinary; else null, nothing consumed. */
function trySync(ctx: Ctx, parseKey: boolean, depth: number): Parsed | null {
  const inp = ctx.inp;
  const buf = inp.buf;
  if (depth > ctx.maxDepth) return null;
  const start = inp.pos;
  let i = start;
  let key: string | undefined;
  if (parseKey) {
    if (i >= buf.length) return null;
    const c = buf[i]!;
    if (ctx.dialect === '3.6' && c === DQUOTE) {
      const q = quotedSync(inp, i);
      if (q === null) return null;
      key = q;
      i = syncEnd;
    } else {
      if (ctx.dialect === '3.6' && (c === SP || c === LPAREN || c === RPAREN || c === CR || c === LF || c === LBRACE)) return null;
      const e = atomEndSync(inp, i);
      if (e < 0) return null;
      key = buf.toString('latin1', i, e);
      i = e;
    }
    while (i < buf.length && isSpace(buf[i]!)) i++;
  }
  if (i >= buf.length) return null;
  const c = buf[i]!;
  let node: DlistNode;
  if (c === DQUOTE) {
    const q = quotedSync(inp, i);
    if (q === null) return null;
    node = { type: 'atom', value: q };
    i = syncEnd;
  } else {
    if (c === SP || c === LPAREN || c === RPAREN || c === CR || c === LF || c === LBRACE || c === PERCENT) return null;
    const e = atomEndSync(inp, i);
    if (e < 0) return null;
    const text = buf.toString('latin1', i, e);
    if (c === BACKSLASH && ctx.dialect === '3.6') node = { type: 'flag', value: text };
    else if (text === 'NIL' && ctx.dialect === '3.6') node = NIL;
    else node = { type: 'atom', value: text };
    i = e;
  }
  inp.pos = i;
  return { key, node };
}

/** One dlist value (with its key when parseKey), as `dlist_parse` reads it. */
function* parseItem(ctx: Ctx, parseKey: boolean, depth: number): P<Parsed> {
  const inp = ctx.inp;
  if (depth > ctx.maxDepth) throw inp.syntax(`nesting deeper than ${ctx.maxDepth}`);
  let key: string | undefined;
  if (parseKey) {
    key = yield* readKey(ctx);
    yield* skipSpace(inp);
  }
  let c = inp.at(0);
  if (c === NEED) c = yield* byteAt(inp, 0);
  if (c === EOF) throw inp.truncated('a value');

  if (c === LPAREN) {
    inp.pos++;
    const items: DlistNode[] = [];
    for (;;) {
      c = skipSpaceSync(inp);
      if (c === NEED) c = yield* skipSpace(inp);
      if (c === EOF) throw inp.truncated('a list');
      if (c === RPAREN) break;
      items.push((trySync(ctx, false, depth + 1) ?? (yield* parseItem(ctx, false, depth + 1))).node);
    }
    inp.pos++;
    return { key, node: { type: 'list', items } };
  }
  if (c === PERCENT) {
    c = yield* byteAt(inp, 1);
    if (c === LPAREN) {
      inp.pos += 2;
      const items: DKvItem[] = [];
      for (;;) {
        c = skipSpaceSync(inp);
        if (c === NEED) c = yield* skipSpace(inp);
        if (c === EOF) throw inp.truncated('a kvlist');
        if (c === RPAREN) break;
        const child = trySync(ctx, true, depth + 1) ?? (yield* parseItem(ctx, true, depth + 1));
        items.push({ key: child.key!, value: child.node });
      }
      inp.pos++;
      return { key, node: { type: 'kvlist', items } };
    }
    if (c === LBRACE) return { key, node: yield* readFileLiteral(ctx) };
    if (c === EOF) throw inp.truncated('a value', 1);
    throw inp.syntax('% not followed by ( or {');
  }
  if (c === LBRACE) return { key, node: { type: 'buf', value: yield* readLiteral(inp, true) } };
  if (c === BACKSLASH && ctx.dialect === '3.6') {
    const x = yield* getxstring(inp, { nil: false, binary: false }, 'a flag');
    return { key, node: { type: 'flag', value: xText(x) } };
  }
  // 3.6 reads values with getnastring (unquoted NIL is NIL); 2.4 with getastring.
  const x = yield* getxstring(inp, { nil: ctx.dialect === '3.6', binary: false }, 'a value');
  if (x.kind === 'nil') return { key, node: NIL };
  return { key, node: { type: 'atom', value: xText(x) } };
}

function makeCtx(inp: Input, o: ParseOptions): Ctx {
  return { inp, dialect: o.dialect ?? '3.6', fileSink: o.fileSink ?? memoryFileSink, maxDepth: o.maxDepth ?? 1000 };
}

/** Runs a parser generator over input that is already complete. */
function runToEnd<T>(g: P<T>, inp: Input): T {
  const r = g.next();
  if (!r.done) throw inp.truncated('the input'); // cannot happen with eof set; kept as a guard
  return r.value;
}

/**
 * Parses one dlist that must fill the whole buffer (`dlist_parsemap`): a value, or
 * `name SP value` with parseKey. Nothing may follow the value.
 */
export function parseDlist(data: Buffer, opts: ParseOptions & { parseKey?: boolean } = {}): Parsed {
  const inp = new Input();
  inp.feed(data);
  inp.eof = true;
  const ctx = makeCtx(inp, opts);
  const parsed = runToEnd(parseItem(ctx, opts.parseKey ?? false, 0), inp);
  if (inp.avail() > 0) throw inp.syntax('bytes after the end of the dlist');
  return parsed;
}

/** One protocol line: values separated by whitespace, ended by CRLF (or LF), e.g. `APPLY MAILBOX %(…)`. */
function* parseLine(ctx: Ctx): P<DlistNode[] | undefined> {
  const inp = ctx.inp;
  const items: DlistNode[] = [];
  for (;;) {
    let c = inp.at(0);
    if (c === NEED) c = yield* byteAt(inp, 0);
    // Between values any whitespace but CR/LF (which end the line) is skipped.
    while (c >= 0 && isSpace(c) && c !== CR && c !== LF) {
      inp.pos++;
      c = yield* byteAt(inp, 0);
    }
    if (c === EOF) {
      if (items.length === 0) return undefined;
      throw inp.truncated('a line (no CRLF)');
    }
    if (c === CR) {
      const n = yield* byteAt(inp, 1);
      if (n === EOF) throw inp.truncated('a line end', 1);
      if (n !== LF) throw inp.syntax('CR not followed by LF at the end of a line', 1);
      inp.pos += 2;
      return items;
    }
    if (c === LF) {
      inp.pos++;
      return items;
    }
    items.push((yield* parseItem(ctx, false, 0)).node);
  }
}

/** Whole-input parse of protocol lines (see DlistStreamParser). */
export function parseLines(data: Buffer, opts: ParseOptions = {}): DlistNode[][] {
  const p = new DlistStreamParser(opts);
  return [...p.feed(data), ...p.end()];
}

/**
 * Incremental reader of a dlist byte stream, fed chunk by chunk (e.g. from a socket). Produces
 * complete protocol lines (framing 'line', the sync protocol: values separated by SP, ended by
 * CRLF; a value may itself span lines through literals) or a single value (framing 'value').
 */
export class DlistStreamParser {
  private readonly inp = new Input();
  private readonly ctx: Ctx;
  private readonly gen: P<void>;
  private readonly out: DlistNode[][] = [];
  private done = false;
  private failed: unknown;

  constructor(opts: ParseOptions & { framing?: 'line' | 'value'; parseKey?: boolean } = {}) {
    this.ctx = makeCtx(this.inp, opts);
    this.gen = opts.framing === 'value' ? this.valueLoop(opts.parseKey ?? false) : this.lineLoop();
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.inp.offset();
  }

  private *lineLoop(): P<void> {
    for (;;) {
      const line = yield* parseLine(this.ctx);
      if (!line) return;
      this.out.push(line);
    }
  }

  private *valueLoop(parseKey: boolean): P<void> {
    const parsed = yield* parseItem(this.ctx, parseKey, 0);
    const tail = yield* byteAt(this.inp, 0);
    if (tail !== EOF) throw this.inp.syntax('bytes after the end of the dlist');
    this.value = parsed;
  }

  /** The value, with framing 'value', once end() has returned. */
  value: Parsed | undefined;

  /** Runs the parser over what has arrived. Lines completed before an error are still handed
   *  out; the error is thrown then, or by the next call if there were such lines. */
  private pump(): DlistNode[][] {
    if (!this.done && !this.failed) {
      try {
        this.done = this.gen.next().done === true;
      } catch (e) {
        this.failed = e;
      }
    }
    if (this.out.length) return this.out.splice(0);
    if (this.failed) throw this.failed;
    return [];
  }

  /** Adds bytes; returns the lines completed by them. */
  feed(chunk: Buffer): DlistNode[][] {
    if (this.done) {
      if (chunk.length && !this.failed) throw this.inp.syntax('bytes after the end of the dlist');
      return this.pump();
    }
    this.inp.feed(chunk);
    return this.pump();
  }

  /** No more input: returns the remaining lines; throws TRUNCATED if a value was cut off. */
  end(): DlistNode[][] {
    this.inp.eof = true;
    const rest = this.pump();
    if (!this.done) throw this.inp.truncated('the input');
    return rest;
  }
}
