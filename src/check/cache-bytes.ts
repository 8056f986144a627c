// Random access to a cyrus.cache for check: the whole file in memory when it is small (the usual
// case), or a sliding window over an open descriptor when it is big — a mailbox of a million
// messages has a cache of a gigabyte, and check's memory must not grow with one mailbox either.
// Records are read in index order, which is (nearly) file order, so one window serves many.
import { closeSync, readSync } from 'node:fs';

export interface CacheBytes {
  readonly size: number;
  /** The whole file, when it is held in memory (for the codec's precise error messages). */
  readonly whole?: Buffer;
  /**
   * Bytes [offset, offset + want) — fewer at end of file — as `buf` whose byte 0 is file offset
   * `base` (base ≤ offset). Valid until the next call.
   */
  window(offset: number, want: number): CacheWindow;
  close(): void;
}

/** A view of cache bytes: `buf` whose byte 0 is file offset `base`. */
export interface CacheWindow {
  buf: Buffer;
  base: number;
}

/** The file in memory. One class (not a closure per file) so the hot callers stay monomorphic,
 *  and one view object, never an allocation per call. */
class WholeCache implements CacheBytes {
  readonly size: number;
  private readonly view: CacheWindow;
  constructor(readonly whole: Buffer) {
    this.size = whole.length;
    this.view = { buf: whole, base: 0 };
  }
  window(): CacheWindow {
    return this.view;
  }
  close(): void {}
}

export function wholeCache(buf: Buffer): CacheBytes {
  return new WholeCache(buf);
}

const WINDOW = 8 << 20;

/** A window over `fd` (which this object owns and closes). Synchronous reads: page-cache fast. */
class WindowedCache implements CacheBytes {
  readonly whole = undefined;
  private store = Buffer.alloc(0);
  private readonly view: CacheWindow = { buf: this.store, base: 0 };
  private closed = false;
  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly windowSize: number,
  ) {}

  window(offset: number, want: number): CacheWindow {
    const v = this.view;
    const end = Math.min(offset + want, this.size);
    if (offset >= v.base && end <= v.base + v.buf.length) return v;
    const len = Math.max(0, Math.min(Math.max(want, this.windowSize), this.size - offset));
    if (this.store.length < len) this.store = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, this.store, got, len - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    v.base = offset;
    v.buf = this.store.subarray(0, got);
    return v;
  }

  close(): void {
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
  }
}

export function windowedCache(fd: number, size: number, windowSize = WINDOW): CacheBytes {
  return new WindowedCache(fd, size, windowSize);
}
