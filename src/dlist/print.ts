// dlist writer reproducing Cyrus's output byte for byte: `dlist_print` with `prot_printastring`,
// `prot_printstring`, `prot_printliteral` (3.6, lib/prot.c) and `dlist_print_helper` (2.4).
// Spec §9.2. File literals are streamed from their source, never loaded whole.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Dialect, DFile, DlistNode } from './types.js';

export interface ByteSink {
  write(chunk: Buffer): void;
}

export interface PrintOptions {
  dialect?: Dialect;
  /**
   * `{n+}` (true, default) or `{n}` literals. Cyrus writes `{n+}` on its sync streams and when
   * printing into memory (mailboxes.db, cyrus.header), `{n}` only on a server-mode stream.
   */
  literalPlus?: boolean;
  /**
   * Re-check file literals before sending, as Cyrus's `printfile` does: size (both dialects)
   * and SHA-1 = GUID (3.6); on mismatch NIL is printed instead. Default true.
   */
  verifyFiles?: boolean;
}

/** `imparse_isatom`: 1..1023 bytes, none ≥0x80, <0x1F, 0x7F, SP { ( ) " % * \. */
export function isAtom(s: string): boolean {
  const n = s.length;
  if (n === 0 || n >= 1024) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c < 0x1f || c === 0x7f || c === 0x20 || c === 0x7b || c === 0x28 || c === 0x29) return false;
    if (c === 0x22 || c === 0x25 || c === 0x2a || c === 0x5c) return false;
  }
  return true;
}

/** `isQCHAR` over the whole string, and short enough (< 1024) to quote. NUL is never quotable. */
export function isQuotable(s: string): boolean {
  const n = s.length;
  if (n >= 1024) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c === 0 || c === 0x0d || c === 0x0a || c === 0x22 || c === 0x25 || c === 0x5c) return false;
  }
  return true;
}

class Writer {
  private pending = '';
  constructor(
    readonly out: ByteSink,
    readonly o: Required<PrintOptions>,
  ) {}

  text(s: string): void {
    this.pending += s;
    if (this.pending.length >= 65536) this.flush();
  }
  bytes(b: Buffer): void {
    this.flush();
    if (b.length) this.out.write(b);
  }
  flush(): void {
    if (this.pending) {
      this.out.write(Buffer.from(this.pending, 'latin1'));
      this.pending = '';
    }
  }

  literal(b: Buffer): void {
    this.text(this.o.literalPlus ? `{${b.length}+}\r\n` : `{${b.length}}\r\n`);
    this.bytes(b);
  }

  /** `prot_printastring` (3.6 never prints the atom NIL bare; 2.4 does). */
  astring(s: string | null): void {
    if (s === null) return this.text('NIL');
    if (s === '') return this.text('""');
    if (isAtom(s) && (s !== 'NIL' || this.o.dialect === '2.4')) return this.text(s);
    if (isQuotable(s)) return this.text(`"${s}"`);
    this.literal(Buffer.from(s, 'latin1'));
  }

  key(k: string): void {
    if (this.o.dialect === '2.4') this.text(k);
    else this.astring(k);
    this.text(' ');
  }

  node(n: DlistNode, level: number): void {
    switch (n.type) {
      case 'nil':
        return this.text('NIL');
      case 'atom':
        return this.astring(n.value);
      case 'flag':
        return this.text(n.value);
      case 'num':
        return this.text(BigInt.asUintN(64, n.value).toString());
      case 'hex':
        return this.text(BigInt.asUintN(64, n.value).toString(16).padStart(16, '0'));
      case 'guid':
        return this.text(n.value.toLowerCase());
      case 'buf':
        if (this.o.dialect === '3.6' && !n.value.includes(0)) return this.astring(n.value.toString('latin1'));
        return this.literal(n.value);
      case 'file':
        return this.file(n);
      case 'kvlist':
        // 2.4 starts a kvlist that sits (at any depth) inside a list on a new, indented line.
        if (this.o.dialect === '2.4' && level > 0) this.text('\r\n' + ' '.repeat(level + 1));
        this.text('%(');
        n.items.forEach((it, i) => {
          if (i) this.text(' ');
          this.key(it.key);
          this.node(it.value, level);
        });
        return this.text(')');
      case 'list':
        this.text('(');
        n.items.forEach((it, i) => {
          if (i) this.text(' ');
          this.node(it, it.type === 'kvlist' ? level + 1 : level);
        });
        return this.text(')');
    }
  }

  private file(f: DFile): void {
    const src = openFileSource(f);
    if (!src) return this.text('NIL');
    try {
      if (this.o.verifyFiles) {
        if (src.size !== f.size) return this.text('NIL');
        if (this.o.dialect === '3.6') {
          const h = createHash('sha1');
          src.each((c) => h.update(c));
          if (h.digest('hex') !== f.guid.toLowerCase()) return this.text('NIL');
        }
      }
      this.text('%{');
      this.astring(f.partition);
      this.text(' ');
      this.astring(f.guid.toLowerCase());
      this.text(` ${src.size}}\r\n`);
      src.each((c) => this.bytes(c));
    } finally {
      src.close();
    }
  }
}

interface Source {
  size: number;
  each(fn: (chunk: Buffer) => void): void;
  close(): void;
}

/** The file literal's bytes, or undefined when they are not available (Cyrus prints NIL). */
function openFileSource(f: DFile): Source | undefined {
  const c = f.content;
  if (c.kind === 'memory') return { size: c.data.length, each: (fn) => fn(c.data), close: () => {} };
  if (c.kind === 'none') return undefined;
  let fd: number;
  try {
    fd = openSync(c.path, 'r');
  } catch {
    return undefined;
  }
  const size = fstatSync(fd).size;
  const chunk = Buffer.allocUnsafe(1 << 16);
  return {
    size,
    each(fn) {
      let pos = 0;
      while (pos < size) {
        const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - pos), pos);
        if (n <= 0) break;
        fn(chunk.subarray(0, n));
        pos += n;
      }
    },
    close: () => closeSync(fd),
  };
}

const defaults = (o: PrintOptions): Required<PrintOptions> => ({
  dialect: o.dialect ?? '3.6',
  literalPlus: o.literalPlus ?? true,
  verifyFiles: o.verifyFiles ?? true,
});

/** Writes one dlist (preceded by `key SP` when a key is given) to a sink. */
export function writeDlist(out: ByteSink, node: DlistNode, opts: PrintOptions & { key?: string } = {}): void {
  const w = new Writer(out, defaults(opts));
  if (opts.key !== undefined) w.key(opts.key);
  w.node(node, 0);
  w.flush();
}

function collect(fn: (sink: ByteSink) => void): Buffer {
  const parts: Buffer[] = [];
  fn({ write: (c) => void parts.push(Buffer.from(c)) });
  return Buffer.concat(parts);
}

/** The bytes Cyrus prints for this dlist (`dlist_printbuf`). */
export function printDlist(node: DlistNode, opts: PrintOptions & { key?: string } = {}): Buffer {
  return collect((s) => writeDlist(s, node, opts));
}

/**
 * A protocol line: the items separated by single spaces, then CRLF. A string item is a raw
 * protocol word (`*`, `OK`, `APPLY`: Cyrus prints those with prot_printf, not as astrings).
 */
export function printLine(items: ReadonlyArray<DlistNode | string>, opts: PrintOptions = {}): Buffer {
  return collect((s) => {
    const w = new Writer(s, defaults(opts));
    items.forEach((it, i) => {
      if (i) w.text(' ');
      if (typeof it === 'string') w.text(it);
      else w.node(it, 0);
    });
    w.text('\r\n');
    w.flush();
  });
}

/** One string printed with the astring rules. */
export function printAstring(s: string | null, opts: PrintOptions = {}): Buffer {
  return collect((sink) => {
    const w = new Writer(sink, defaults(opts));
    w.astring(s);
    w.flush();
  });
}
