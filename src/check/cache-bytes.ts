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
  window(offset: number, want: number): { buf: Buffer; base: number };
  close(): void;
}

export function wholeCache(buf: Buffer): CacheBytes {
  return { size: buf.length, whole: buf, window: () => ({ buf, base: 0 }), close() {} };
}

const WINDOW = 8 << 20;

/** A window over `fd` (which this object owns and closes). Synchronous reads: page-cache fast. */
export function windowedCache(fd: number, size: number, windowSize = WINDOW): CacheBytes {
  let store = Buffer.alloc(0);
  let view = store;
  let base = 0;
  let closed = false;
  return {
    size,
    window(offset, want) {
      const end = Math.min(offset + want, size);
      if (offset >= base && end <= base + view.length) return { buf: view, base };
      const len = Math.max(0, Math.min(Math.max(want, windowSize), size - offset));
      if (store.length < len) store = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const n = readSync(fd, store, got, len - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      base = offset;
      view = store.subarray(0, got);
      return { buf: view, base };
    },
    close() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}
