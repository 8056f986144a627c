// RFC 822 address lists as Cyrus parses them (lib/parseaddr.c), lenient in the same places:
// phrases collapse whitespace/comments to one space, a trailing "(comment)" after a bare
// addr-spec becomes the name, an empty domain becomes "unspecified-domain", groups produce
// start/end marker nodes.
import { cstr, isalnum, isspace } from './bytes.js';

export interface Address {
  name: Buffer | null;
  route: Buffer | null;
  mailbox: Buffer | null;
  /** null only for group markers. */
  domain: Buffer | null;
}

const UNSPECIFIED_DOMAIN = Buffer.from('unspecified-domain');

class Cursor {
  constructor(
    readonly s: Buffer,
    public i = 0,
  ) {}
  at(i: number): number {
    return i < this.s.length ? this.s[i]! : 0;
  }
  /** SKIPWHITESPACE: whitespace and (nested, escaped) comments. */
  skipWhitespace(): void {
    let c: number;
    while ((c = this.at(this.i))) {
      if (c === 0x28) {
        let comment = 1;
        this.i++;
        while (comment && (c = this.at(this.i))) {
          this.i++;
          if (c === 0x5c && this.at(this.i)) this.i++;
          else if (c === 0x28) comment++;
          else if (c === 0x29) comment--;
        }
        this.i--;
      } else if (!isspace(c)) break;
      this.i++;
    }
  }
}

const iscntrl = (c: number) => c < 0x20 || c === 0x7f;

/** The lib/parseaddr.c behaviours that changed between releases (defaults: Cyrus 3.6). */
export interface AddressRules {
  /** 3.4+: CR/LF in a quoted phrase become SP, other controls but HT vanish; 3.2: they fail. */
  quotedPhraseControls?: boolean;
  /** 3.12+: bytes >= 0x80 are part of a domain; before, they end it. */
  utf8Domains?: boolean;
  /** 3.2+: a backslash right before CR LF in a quoted phrase is dropped (3.0: the address fails). */
  backslashCrlf?: boolean;
  /** 2.x: an '@' inside a domain ends it (what follows is read as the next address); 3.0+
   *  keeps eating it as part of a garbage domain. */
  atEndsDomain?: boolean;
}

/** parseaddr_phrase: returns the terminating byte (0 = end) and the phrase. */
function phrase(cur: Cursor, specials: string, rules: AddressRules): { tok: number; text: Buffer } {
  cur.skipWhitespace();
  const out: number[] = [];
  for (;;) {
    let c = cur.at(cur.i++);
    if (c === 0x22) {
      let closed = false;
      while ((c = cur.at(cur.i))) {
        cur.i++;
        if (c === 0x5c && rules.backslashCrlf !== false && cur.at(cur.i) === 0x0d && cur.at(cur.i + 1) === 0x0a) {
          c = cur.at(cur.i);
          cur.i++;
        }
        if (c === 0x0d && cur.at(cur.i) === 0x0a) {
          cur.i++;
          if (cur.at(cur.i) === 0x20 || cur.at(cur.i) === 0x09) continue;
          return { tok: 0, text: Buffer.alloc(0) }; // unbalanced quote: simulate end of string
        } else if (rules.quotedPhraseControls === false) {
          if (c === 0x0d || c === 0x0a) return { tok: 0, text: Buffer.alloc(0) }; // 3.2: invalid
        } else if (iscntrl(c)) {
          if (c === 0x0d || c === 0x0a) c = 0x20;
          else if (c !== 0x09) continue;
        }
        if (c === 0x22) {
          closed = true;
          break;
        }
        if (c === 0x5c) {
          if (!(c = cur.at(cur.i))) return { tok: 0, text: Buffer.alloc(0) };
          cur.i++;
        }
        out.push(c);
      }
      if (!closed) return { tok: 0, text: Buffer.alloc(0) };
    } else if (isspace(c) || c === 0x28) {
      cur.i--;
      cur.skipWhitespace();
      out.push(0x20);
    } else if (!c || specials.includes(String.fromCharCode(c))) {
      if (out.length && out[out.length - 1] === 0x20) out.pop();
      return { tok: c, text: Buffer.from(out) };
    } else out.push(c);
  }
}

/** parseaddr_domain; with `wantComment` a trailing comment is captured (it becomes the name). */
function domain(cur: Cursor, wantComment: boolean, rules: AddressRules): { tok: number; text: Buffer; comment: Buffer | null } {
  let comment: Buffer | null = null;
  cur.skipWhitespace();
  const out: number[] = [];
  for (;;) {
    let c = cur.at(cur.i++);
    if (isalnum(c) || c === 0x2d || c === 0x5b || c === 0x5d || c === 0x3a || (c >= 0x80 && rules.utf8Domains)) {
      out.push(c);
      comment = null;
    } else if (c === 0x2e) {
      if (out.length && out[out.length - 1] !== 0x2e) out.push(c);
      comment = null;
    } else if (c === 0x28) {
      if (wantComment) {
        const cm: number[] = [];
        let level = 1;
        while (level && (c = cur.at(cur.i))) {
          cur.i++;
          if (c === 0x28) level++;
          else if (c === 0x29) level--;
          else if (c === 0x5c && (c = cur.at(cur.i))) cur.i++;
          if (level) cm.push(c);
        }
        comment = Buffer.from(cm);
      } else {
        cur.i--;
        cur.skipWhitespace();
      }
    } else if (c === 0x40 && !rules.atEndsDomain) {
      out.push(c); // garbage domain; Cyrus marks it invalid and keeps eating
      comment = null;
    } else if (!isspace(c)) {
      if (out.length && out[out.length - 1] === 0x2e) out.pop();
      return { tok: c, text: Buffer.from(out), comment };
    }
  }
}

/** parseaddr_route: like domain but accepts ',' and '@', not ':'; trailing . , @ stripped. */
function route(cur: Cursor): { tok: number; text: Buffer } {
  cur.skipWhitespace();
  const out: number[] = [];
  for (;;) {
    const c = cur.at(cur.i++);
    if (isalnum(c) || c === 0x2d || c === 0x5b || c === 0x5d || c === 0x2c || c === 0x40) out.push(c);
    else if (c === 0x2e) {
      if (out.length && out[out.length - 1] !== 0x2e) out.push(c);
    } else if (isspace(c) || c === 0x28) {
      cur.i--;
      cur.skipWhitespace();
    } else {
      while (out.length && [0x2e, 0x2c, 0x40].includes(out[out.length - 1]!)) out.pop();
      return { tok: c, text: Buffer.from(out) };
    }
  }
}

function node(name: Buffer | null, rte: Buffer | null, mailbox: Buffer | null, dom: Buffer | null): Address {
  return {
    name: name && name.length ? name : null,
    route: rte && rte.length ? rte : null,
    mailbox,
    domain: dom && !dom.length ? UNSPECIFIED_DOMAIN : dom,
  };
}

const EMPTY = Buffer.alloc(0);

/** parseaddr_list over one field value (C-string semantics: stops at a NUL). */
export function parseAddressList(value: Buffer, rules: AddressRules = {}): Address[] {
  const cur = new Cursor(cstr(value));
  const list: Address[] = [];
  let ingroup = false;
  let tok = 0x20;
  while (tok) {
    const ph = phrase(cur, ingroup ? ',@<;' : ',@<:', rules);
    tok = ph.tok;
    switch (tok) {
      case 0x2c:
      case 0:
      case 0x3b:
        if (ph.text.length) list.push(node(null, null, ph.text, EMPTY));
        if (tok === 0x3b) {
          list.push(node(null, null, null, null));
          ingroup = false;
        }
        continue;
      case 0x3a:
        list.push(node(null, null, ph.text, null));
        ingroup = true;
        continue;
      case 0x40: {
        const d = domain(cur, true, rules);
        tok = d.tok;
        list.push(node(d.comment, null, ph.text, d.text));
        if (tok === 0x3b) {
          list.push(node(null, null, null, null));
          ingroup = false;
        }
        continue;
      }
      case 0x3c: {
        let mb = phrase(cur, '@>', rules);
        tok = mb.tok;
        if (tok === 0x40) {
          let rt: Buffer | null = null;
          if (!mb.text.length) {
            cur.i--; // back onto the '@': the route starts there
            const r = route(cur);
            tok = r.tok;
            rt = r.text;
            if (tok !== 0x3a) {
              list.push(node(ph.text, rt, EMPTY, EMPTY));
              while (tok && tok !== 0x3e) tok = cur.at(cur.i++);
              continue;
            }
            mb = phrase(cur, '@>', rules);
            tok = mb.tok;
            if (tok !== 0x40) {
              list.push(node(ph.text, rt, mb.text, EMPTY));
              continue;
            }
          }
          const d = domain(cur, false, rules);
          tok = d.tok;
          list.push(node(ph.text, rt, mb.text, d.text));
          while (tok && tok !== 0x3e) tok = cur.at(cur.i++);
          continue;
        }
        list.push(node(ph.text, null, mb.text, EMPTY));
        continue;
      }
    }
  }
  if (ingroup) list.push(node(null, null, null, null));
  return list;
}
