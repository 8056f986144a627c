// Content-transfer decoders with Cyrus's tolerance (lib/charset.c qp2byte/qp_flushline,
// b64_2byte), and the per-part content hash they feed (charset_decode_sha1). Streaming: bytes go
// in chunk by chunk, so a part of any size is hashed in bounded memory.
import { createHash, type Hash } from 'node:crypto';

export const ENCODING = { NONE: 0, QP: 1, BASE64: 2, UNKNOWN: 255 } as const;
export type Encoding = (typeof ENCODING)[keyof typeof ENCODING];

type Sink = (byte: number) => void;

const hexval = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 55 : c >= 0x61 && c <= 0x66 ? c - 87 : -1;

/** Quoted-printable, line by line: trailing SP/HT dropped, `=XX`, soft breaks, CR ignored. */
export class QpDecoder {
  private buf = new Uint8Array(1000);
  private len = 0;
  constructor(
    private readonly out: Sink,
    private readonly isHeader: boolean,
  ) {}

  put(c: number): void {
    if (c === 0x0d) return;
    if (c === 0x0a) {
      this.flushLine(true);
      return;
    }
    this.buf[this.len++] = c;
    if (this.len > 998) this.flushLine(false); // over-long line: flushed without a line end
  }

  flush(): void {
    this.flushLine(false);
  }

  private flushLine(endline: boolean): void {
    let n = this.len;
    while (n && (this.buf[n - 1] === 0x20 || this.buf[n - 1] === 0x09)) n--;
    const b = this.buf;
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
            this.out((v1 << 4) + v2);
            i += 2;
            continue;
          }
        }
        this.out(0x3d);
      } else if (c === 0x5f) {
        this.out(this.isHeader ? 0x20 : 0x5f);
      } else this.out(c);
    }
    if (endline) {
      this.out(0x0d);
      this.out(0x0a);
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

/** Base64 that emits each byte as soon as its bits are complete; `=` restarts the quantum. */
export class Base64Decoder {
  private codepoint = 0;
  private left = 0;
  invalid = false;
  constructor(private readonly out: Sink) {}

  put(c: number): void {
    const b = B64VAL[c & 0xff]!;
    if (b < 0) {
      if (b === -2) this.invalid = true;
      return;
    }
    if (b === 64) {
      this.codepoint = 0;
      this.left = 0;
      return;
    }
    switch (this.left) {
      case 0:
        this.codepoint = b;
        this.left = 3;
        break;
      case 3:
        this.out(((this.codepoint << 2) | (b >> 4)) & 0xff);
        this.codepoint = b;
        this.left = 2;
        break;
      case 2:
        this.out(((this.codepoint << 4) | (b >> 2)) & 0xff);
        this.codepoint = b;
        this.left = 1;
        break;
      default:
        this.out(((this.codepoint << 6) | b) & 0xff);
        this.codepoint = 0;
        this.left = 0;
    }
  }

  flush(): void {}
}

/** SHA-1 and length of a part's decoded content; UNKNOWN encodings have neither. */
export class ContentHasher {
  private readonly hash: Hash = createHash('sha1');
  private size = 0;
  private readonly batch = Buffer.alloc(4096);
  private n = 0;
  private readonly decoder: QpDecoder | Base64Decoder | undefined;

  constructor(readonly encoding: Encoding) {
    const sink = (c: number) => {
      if (this.n === this.batch.length) this.drain();
      this.batch[this.n++] = c;
    };
    this.decoder =
      encoding === ENCODING.QP ? new QpDecoder(sink, false) : encoding === ENCODING.BASE64 ? new Base64Decoder(sink) : undefined;
  }

  private drain(): void {
    this.hash.update(this.batch.subarray(0, this.n));
    this.size += this.n;
    this.n = 0;
  }

  update(chunk: Buffer): void {
    if (this.encoding === ENCODING.UNKNOWN) return;
    if (!this.decoder) {
      this.hash.update(chunk);
      this.size += chunk.length;
      return;
    }
    const d = this.decoder;
    for (let i = 0; i < chunk.length; i++) d.put(chunk[i]!);
  }

  /** null for UNKNOWN: Cyrus stores a null GUID and decoded size 0. */
  digest(): { guid: Buffer; size: number } | null {
    if (this.encoding === ENCODING.UNKNOWN) return null;
    this.decoder?.flush();
    this.drain();
    return { guid: this.hash.digest(), size: this.size };
  }
}
