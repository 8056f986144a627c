// Content-transfer decoders with Cyrus's tolerance (lib/charset.c qp2byte/qp_flushline,
// b64_2byte), and the per-part content hash they feed (charset_decode_sha1). Streaming: bytes go
// in chunk by chunk, so a part of any size is hashed in bounded memory.
import { createHash, type Hash } from 'node:crypto';


export const ENCODING = { NONE: 0, QP: 1, BASE64: 2, UNKNOWN: 255 } as const;
export type Encoding = (typeof ENCODING)[keyof typeof ENCODING];

const hexval = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 55 : c >= 0x61 && c <= 0x66 ? c - 87 : -1;

/**
 * Decoders write into their own output buffer (`take()` hands it over): one call per chunk, not
 * per byte, which is what makes hashing large encoded parts fast.
 */
abstract class Decoder {
  protected o = new Uint8Array(4096);
  protected n = 0;
  protected reserve(extra: number): void {
    if (this.n + extra <= this.o.length) return;
    const bigger = new Uint8Array(Math.max(this.o.length * 2, this.n + extra));
    bigger.set(this.o.subarray(0, this.n));
    this.o = bigger;
  }
  /** The bytes decoded so far; the decoder's buffer is reused afterwards. */
  take(): Uint8Array {
    const out = this.o.subarray(0, this.n);
    this.n = 0;
    return out;
  }
  abstract write(chunk: Uint8Array): void;
  abstract flush(): void;
}

/** Quoted-printable, line by line: trailing SP/HT dropped, `=XX`, soft breaks, CR ignored. */
export class QpDecoder extends Decoder {
  private line = new Uint8Array(1000);
  private len = 0;
  constructor(private readonly isHeader: boolean) {
    super();
  }

  write(chunk: Uint8Array): void {
    this.reserve(2 * chunk.length + 2 * 1000);
    const line = this.line;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 0x0d) continue;
      if (c === 0x0a) {
        this.flushLine(true);
        continue;
      }
      line[this.len++] = c;
      if (this.len > 998) this.flushLine(false); // over-long line: flushed without a line end
    }
  }

  flush(): void {
    this.reserve(1002);
    this.flushLine(false);
  }

  private flushLine(endline: boolean): void {
    let n = this.len;
    const b = this.line;
    const o = this.o;
    while (n && (b[n - 1] === 0x20 || b[n - 1] === 0x09)) n--;
    for (let i = 0; i < n; i++) {
      const c = b[i]!;
      if (c === 0x3d) {
        if (i + 1 >= n) {
          endline = false; // soft line break
          break;
        }
        if (i + 2 < n) {
          const v1 = hexval(b[i + 1]!);
          const v2 = hexval(b[i + 2]!);
          if (v1 >= 0 && v2 >= 0) {
            o[this.n++] = (v1 << 4) + v2;
            i += 2;
            continue;
          }
        }
        o[this.n++] = 0x3d;
      } else if (c === 0x5f) {
        o[this.n++] = this.isHeader ? 0x20 : 0x5f;
      } else o[this.n++] = c;
    }
    if (endline) {
      o[this.n++] = 0x0d;
      o[this.n++] = 0x0a;
    }
    this.len = 0;
  }
}

const B64VAL = (() => {
  const t = new Int8Array(256).fill(-2); // -2 invalid (ignored), -1 whitespace (ignored)
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) t[a.charCodeAt(i)] = i;
  for (const c of [0x09, 0x0a, 0x0d, 0x20]) t[c] = -1;
  t[0x3d] = 64;
  return t;
})();

/** Base64 that emits each byte as soon as its bits are complete; `=` restarts the quantum
 *  (Cyrus 3.2+; 3.0's table has no entry for '=', so `padResets` false ignores it). */
export class Base64Decoder extends Decoder {
  private codepoint = 0;
  private left = 0;
  invalid = false;

  constructor(private readonly padResets = true) {
    super();
  }

  write(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    let start = 0;
    if (this.left === 0) start = this.fastPrefix(chunk);
    const o = this.o;
    let n = this.n;
    let cp = this.codepoint;
    let left = this.left;
    for (let i = start; i < chunk.length; i++) {
      const b = B64VAL[chunk[i]!]!;
      if (b < 0) {
        if (b === -2) this.invalid = true;
        continue;
      }
      if (b === 64) {
        if (!this.padResets) continue;
        cp = 0;
        left = 0;
        continue;
      }
      switch (left) {
        case 0:
          cp = b;
          left = 3;
          break;
        case 3:
          o[n++] = ((cp << 2) | (b >> 4)) & 0xff;
          cp = b;
          left = 2;
          break;
        case 2:
          o[n++] = ((cp << 4) | (b >> 2)) & 0xff;
          cp = b;
          left = 1;
          break;
        default:
          o[n++] = ((cp << 6) | b) & 0xff;
          cp = 0;
          left = 0;
      }
    }
    this.n = n;
    this.codepoint = cp;
    this.left = left;
  }

  /**
   * Clean base64 (alphabet, CR, LF only) in whole quanta decodes identically with Node's native
   * decoder, which skips line breaks; returns where the byte-wise loop must take over (at the
   * first '=', other byte, or the start of a trailing partial quantum).
   */
  private fastPrefix(chunk: Uint8Array): number {
    let chars = 0;
    let lastQuantumEnd = 0;
    let i = 0;
    for (; i < chunk.length; i++) {
      const b = B64VAL[chunk[i]!]!;
      if (b >= 0 && b < 64) {
        if (++chars % 4 === 0) lastQuantumEnd = i + 1;
      } else if (!(chunk[i] === 0x0d || chunk[i] === 0x0a)) break;
    }
    if (lastQuantumEnd < 256) return 0; // not worth it
    const decoded = Buffer.from(Buffer.from(chunk.buffer, chunk.byteOffset, lastQuantumEnd).toString('latin1'), 'base64');
    this.o.set(decoded, this.n);
    this.n += decoded.length;
    return lastQuantumEnd;
  }

  flush(): void {}
}

/** SHA-1 and length of a part's decoded content; UNKNOWN encodings have neither. */
export class ContentHasher {
  private readonly hash: Hash = createHash('sha1');
  private size = 0;
  private readonly decoder: QpDecoder | Base64Decoder | undefined;

  constructor(
    readonly encoding: Encoding,
    padResets = true,
  ) {
    this.decoder = encoding === ENCODING.QP ? new QpDecoder(false) : encoding === ENCODING.BASE64 ? new Base64Decoder(padResets) : undefined;
  }

  update(chunk: Buffer): void {
    if (this.encoding === ENCODING.UNKNOWN) return;
    if (!this.decoder) {
      this.hash.update(chunk);
      this.size += chunk.length;
      return;
    }
    this.decoder.write(chunk);
    this.drain();
  }

  private drain(): void {
    const out = this.decoder!.take();
    this.hash.update(out);
    this.size += out.length;
  }

  /** null for UNKNOWN: Cyrus stores a null GUID and decoded size 0. */
  digest(): { guid: Buffer; size: number } | null {
    if (this.encoding === ENCODING.UNKNOWN) return null;
    if (this.decoder) {
      this.decoder.flush();
      this.drain();
    }
    return { guid: this.hash.digest(), size: this.size };
  }
}
