// The strict in-memory dlist reader Cyrus 3.6 uses for mailboxes.db values and cyrus.header
// (`dlist_parsesax`, imap/dlist.c; spec §9.3 last paragraph). It accepts less than the stream
// parser: exactly one SP between elements, no surrounding whitespace, atoms run to the next SP
// (trailing `)` bytes stripped), `\` escapes any byte inside quotes, no file literals, and the
// whole buffer must be used. What Cyrus rejects here, Cyrus cannot read: we reject it too.
import { FormatError } from '../errors.js';
import type { DKvItem, DlistNode } from './types.js';
import { NIL } from './types.js';
import type { Parsed } from './parse.js';

const SP = 0x20, DQUOTE = 0x22, LPAREN = 0x28, RPAREN = 0x29, PERCENT = 0x25, LBRACE = 0x7b;
const RBRACE = 0x7d, PLUS = 0x2b, BACKSLASH = 0x5c, CR = 0x0d, LF = 0x0a;

type Item = { kind: 'nil' } | { kind: 'string'; value: string } | { kind: 'literal'; value: Buffer };

class Sax {
  p = 0;
  constructor(
    readonly b: Buffer,
    readonly maxDepth: number,
  ) {}

  syntax(msg: string, at = this.p): FormatError {
    return new FormatError('BAD_SYNTAX', `dlist: ${msg}`, at);
  }
  truncated(what: string): FormatError {
    return new FormatError('TRUNCATED', `dlist: input ends inside ${what}`, this.p);
  }

  item(): Item {
    const b = this.b;
    const c = b[this.p];
    if (c === DQUOTE) {
      const out: number[] = [];
      this.p++;
      while (this.p < b.length) {
        let x = b[this.p]!;
        if (x === DQUOTE) {
          this.p++;
          return { kind: 'string', value: Buffer.from(out).toString('latin1') };
        }
        if (x === BACKSLASH) {
          this.p++;
          if (this.p === b.length) break;
          x = b[this.p]!;
        }
        out.push(x);
        this.p++;
      }
      throw this.truncated('a quoted string');
    }
    if (c === LBRACE) {
      const start = this.p;
      this.p++;
      let len = 0;
      while (this.p < b.length && b[this.p]! >= 0x30 && b[this.p]! <= 0x39) {
        len = len * 10 + (b[this.p]! - 0x30);
        this.p++;
        if (len > Number.MAX_SAFE_INTEGER / 10) throw this.syntax('literal size too large', start);
      }
      if (this.p >= b.length) throw this.truncated('a literal header');
      if (b[this.p] === PLUS && this.p + 1 < b.length) this.p++;
      if (b[this.p] !== RBRACE) throw this.syntax('bad literal header', start);
      // Cyrus insists on at least one byte after the literal (`p + 3 + len >= end` fails).
      if (this.p + 3 + len >= b.length) throw new FormatError('TRUNCATED', 'dlist: literal runs past the end', start);
      if (b[this.p + 1] !== CR || b[this.p + 2] !== LF) throw this.syntax('literal header not followed by CRLF', start);
      const value = Buffer.from(b.subarray(this.p + 3, this.p + 3 + len));
      this.p += 3 + len;
      return { kind: 'literal', value };
    }
    let sp = b.indexOf(SP, this.p);
    if (sp < 0) sp = b.length;
    while (sp > this.p && b[sp - 1] === RPAREN) sp--;
    const value = b.toString('latin1', this.p, sp);
    this.p = sp;
    return value === 'NIL' ? { kind: 'nil' } : { kind: 'string', value };
  }

  node(parseKey: boolean, depth: number): Parsed {
    const b = this.b;
    if (depth > this.maxDepth) throw this.syntax(`nesting deeper than ${this.maxDepth}`);
    let key: string | undefined;
    if (parseKey) {
      const k = this.item();
      if (k.kind === 'nil') throw this.syntax('NIL used as a key');
      key = k.kind === 'string' ? k.value : k.value.toString('latin1');
      if (this.p >= b.length) throw this.truncated('a key/value pair');
      if (b[this.p] !== SP) throw this.syntax('key not followed by exactly one SP');
      this.p++;
    }
    if (this.p >= b.length) throw this.truncated('a value');
    const c = b[this.p];
    if (c === LPAREN) {
      this.p++;
      const items: DlistNode[] = [];
      this.children(() => items.push(this.node(false, depth + 1).node));
      return { key, node: { type: 'list', items } };
    }
    if (c === PERCENT) {
      this.p++;
      if (this.p >= b.length) throw this.truncated('a kvlist');
      if (b[this.p] !== LPAREN) throw this.syntax('% not followed by (');
      this.p++;
      const items: DKvItem[] = [];
      this.children(() => {
        const child = this.node(true, depth + 1);
        items.push({ key: child.key!, value: child.node });
      });
      return { key, node: { type: 'kvlist', items } };
    }
    const it = this.item();
    if (it.kind === 'nil') return { key, node: NIL };
    if (it.kind === 'literal') return { key, node: { type: 'buf', value: it.value } };
    return { key, node: { type: 'atom', value: it.value } };
  }

  /** Elements after `(` up to and including `)`, one SP apart. */
  private children(one: () => void): void {
    const b = this.b;
    if (this.p >= b.length) throw this.truncated('a list');
    while (b[this.p] !== RPAREN) {
      one();
      if (this.p >= b.length) throw this.truncated('a list');
      if (b[this.p] === RPAREN) break;
      if (b[this.p] !== SP) throw this.syntax('list elements not separated by exactly one SP');
      this.p++;
      if (this.p >= b.length) throw this.truncated('a list');
    }
    this.p++;
  }
}

/** Parses a whole buffer with Cyrus's strict reader (`dlist_parsesax`). */
export function parseStrict(data: Buffer, opts: { parseKey?: boolean; maxDepth?: number } = {}): Parsed {
  const s = new Sax(data, opts.maxDepth ?? 1000);
  const parsed = s.node(opts.parseKey ?? false, 0);
  if (s.p < data.length) throw s.syntax('bytes after the end of the dlist');
  return parsed;
}
