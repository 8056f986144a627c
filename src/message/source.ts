// Random-access byte sources for the parser. A message file is read through a sliding window, so
// parsing a file of any size holds only the window, the header blocks and the parse tree in
// memory; small files and tests use an in-memory Buffer.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export interface ByteSource {
  readonly size: number;
  /** Position of the next LF at or after `from`, or -1. */
  indexOfLF(from: number): number;
  /** The byte at `pos` (0 past the end, like the C string terminator). */
  byteAt(pos: number): number;
  /** A copy-free view of [start, end) — valid until the next call; callers copy what they keep. */
  view(start: number, end: number): Buffer;
  /** The bytes [start, end) in pieces of bounded size. */
  chunks(start: number, end: number): Generator<Buffer>;
  close(): void;
}

export class BufferSource implements ByteSource {
  constructor(private readonly buf: Buffer) {}
  get size(): number {
    return this.buf.length;
  }
  indexOfLF(from: number): number {
    return this.buf.indexOf(0x0a, from);
  }
  byteAt(pos: number): number {
    return pos < this.buf.length ? this.buf[pos]! : 0;
  }
  view(start: number, end: number): Buffer {
    return this.buf.subarray(start, end);
  }
  *chunks(start: number, end: number): Generator<Buffer> {
    const step = 1 << 20;
    for (let p = start; p < end; p += step) yield this.buf.subarray(p, Math.min(end, p + step));
  }
  close(): void {}
}

export class FileSource implements ByteSource {
  readonly size: number;
  private readonly fd: number;
  private win!: Buffer;
  private winStart = 0;
  private winLen = 0;

  constructor(
    path: string,
    private readonly windowSize = 1 << 20,
  ) {
    // O_NONBLOCK: a FIFO or device where a message file should be must not hang us in open().
    this.fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = fstatSync(this.fd);
      if (!st.isFile()) throw Object.assign(new Error(`${path}: not a regular file`), { code: 'NOT_A_FILE' });
      this.size = st.size;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
    // Small messages (the usual case) get a window of their own size, not a full megabyte.
    this.win = Buffer.allocUnsafe(Math.max(1, Math.min(windowSize, this.size)));
  }

  private load(pos: number, min = 1): void {
    if (pos >= this.winStart && pos + min <= this.winStart + this.winLen) return;
    if (min > this.win.length) this.win = Buffer.allocUnsafe(min);
    this.winStart = pos;
    this.winLen = 0;
    const want = Math.min(this.win.length, this.size - pos);
    while (this.winLen < want) {
      const n = readSync(this.fd, this.win, this.winLen, want - this.winLen, pos + this.winLen);
      if (n === 0) break; // file shrank under us: treat as EOF
      this.winLen += n;
    }
  }

  indexOfLF(from: number): number {
    let p = from;
    while (p < this.size) {
      this.load(p);
      if (this.winLen === 0) return -1;
      const i = this.win.indexOf(0x0a, p - this.winStart);
      if (i >= 0 && i < this.winLen) return this.winStart + i;
      p = this.winStart + this.winLen;
    }
    return -1;
  }

  byteAt(pos: number): number {
    if (pos >= this.size) return 0;
    this.load(pos);
    return this.win[pos - this.winStart]!;
  }

  view(start: number, end: number): Buffer {
    end = Math.min(end, this.size);
    if (end <= start) return Buffer.alloc(0);
    this.load(start, end - start);
    const off = start - this.winStart;
    return this.win.subarray(off, Math.min(off + (end - start), this.winLen));
  }

  *chunks(start: number, end: number): Generator<Buffer> {
    end = Math.min(end, this.size);
    if (start >= this.winStart && end <= this.winStart + this.winLen) {
      // Already in the window (always, for a message smaller than the window): no second read.
      // Callers consume each chunk before asking the source for anything else.
      if (end > start) yield this.win.subarray(start - this.winStart, end - this.winStart);
      return;
    }
    const buf = Buffer.allocUnsafe(Math.min(this.windowSize, Math.max(0, end - start)) || 1);
    let p = start;
    while (p < end) {
      const n = readSync(this.fd, buf, 0, Math.min(buf.length, end - p), p);
      if (n === 0) return;
      yield buf.subarray(0, n);
      p += n;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
