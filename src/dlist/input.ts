// The byte window the incremental dlist parser reads from. Bytes before `pos` are consumed and
// dropped on the next feed, so memory stays bounded by the largest token still being read.
import { FormatError } from '../errors.js';

/** Returned by `at()` when the byte is not there yet but more input may come. */
export const NEED = -2;
/** Returned by `at()` at the true end of input. */
export const EOF = -1;

export class Input {
  buf: Buffer = Buffer.alloc(0);
  /** Index in `buf` of the next unconsumed byte. */
  pos = 0;
  /** Absolute offset of buf[0] in the whole input (for error messages). */
  base = 0;
  /** No more bytes will come. */
  eof = false;

  feed(chunk: Buffer): void {
    if (this.eof) throw new Error('dlist input: feed() after end()');
    if (chunk.length === 0) return;
    const rest = this.buf.subarray(this.pos);
    this.base += this.pos;
    this.pos = 0;
    this.buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
  }

  /** The byte `rel` bytes after the read position, EOF, or NEED. */
  at(rel: number): number {
    const i = this.pos + rel;
    if (i < this.buf.length) return this.buf[i]!;
    return this.eof ? EOF : NEED;
  }

  avail(): number {
    return this.buf.length - this.pos;
  }

  /** Absolute offset of the byte `rel` after the read position. */
  offset(rel = 0): number {
    return this.base + this.pos + rel;
  }

  /** Consumes n bytes and returns them (a view: copy before the next feed if kept). */
  take(n: number): Buffer {
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  syntax(msg: string, rel = 0): FormatError {
    return new FormatError('BAD_SYNTAX', `dlist: ${msg}`, this.offset(rel));
  }

  truncated(what: string, rel = 0): FormatError {
    return new FormatError('TRUNCATED', `dlist: input ends inside ${what}`, this.offset(rel));
  }
}
