// RFC 2047 decoding of header text to UTF-8, as Cyrus's charset_parse_mimeheader
// (lib/charset.c mimeheader_cat): encoded words are found by a byte scan, whitespace between two
// words is dropped, plain text goes through the default charset (us-ascii: 8-bit → U+FFFD), an
// unknown charset contributes one U+FFFD, and adjacent words of the same charset and encoding
// share their decoder.
import { lookupCharset, pushUtf8, ToUnicode, U_REPLACEMENT, type CharsetTables, type Charset } from './charset.js';
import { Base64Decoder, QpDecoder } from './transfer.js';
import { cstr, isspace } from './bytes.js';

export interface MimeHeaderOptions {
  /** imapd.conf rfc2047_utf8: raw 8-bit text is UTF-8 rather than us-ascii. */
  rfc2047Utf8?: boolean;
  charsets?: CharsetTables;
  /** Cyrus 3.0: words found by plain strchr scans (charset up to the next '?', text up to the
   *  next '?', which must be followed by '='), and every word decoded afresh (3.2+ let adjacent
   *  words of one charset and encoding share the decoder, so a character split across them
   *  survives). */
  cyrus30?: boolean;
}

/** Cyrus's unfold filter: CR LF followed by SP/HT loses the CR LF; other CR/LF pass through. */
class Unfold {
  private state = 0;
  constructor(private readonly next: (c: number) => void) {}
  put(c: number): void {
    switch (this.state) {
      case 0:
        if (c === 0x0d) this.state = 1;
        else this.next(c);
        break;
      case 1:
        if (c === 0x0a) this.state = 2;
        else {
          this.next(0x0d);
          this.next(c);
          this.state = 0;
        }
        break;
      default:
        if (c !== 0x20 && c !== 0x09) {
          this.next(0x0d);
          this.next(0x0a);
        }
        this.next(c);
        this.state = 0;
    }
  }
}

/** Decodes `s` (C-string semantics: it ends at its first NUL) to UTF-8 bytes. */
export function decodeMimeHeader(s: Buffer, opts: MimeHeaderOptions = {}): Buffer {
  s = cstr(s);
  const out: number[] = [];
  const emit = (cp: number) => pushUtf8(out, cp);
  const defaultCs = lookupCharset(opts.rfc2047Utf8 ? 'utf-8' : 'us-ascii', opts.charsets)!;

  // `input` is the current to-Unicode converter; convert_switch replaces it.
  let input = new ToUnicode(defaultCs.decoder, emit);
  const switchTo = (cs: Charset) => {
    input.flush();
    input = new ToUnicode(cs.decoder, emit);
  };
  const unfold = new Unfold((c) => input.put(c));

  let lastCs: Charset | undefined;
  let lastEnc = 0;
  let extract: QpDecoder | Base64Decoder | undefined;
  const resetPipeline = () => {
    lastCs = undefined;
    lastEnc = 0;
    extract = undefined;
  };

  let segStart = 0; // `s` in the C code: start of text not yet emitted
  let eatspace = false;
  let start = 0;
  const at = (i: number) => (i < s.length ? s[i]! : 0);

  for (;;) {
    const eq = s.indexOf(0x3d, start);
    if (eq < 0) break;
    start = eq + 1;
    if (at(start) !== 0x3f) continue;
    let endcharset = -1;
    let p = start + 1;
    if (opts.cyrus30) {
      let q = start + 1;
      while (at(q) && at(q) !== 0x3f) q++;
      if (!at(q)) continue; // no '?': look for the next '=' after this one
      const e = q;
      let star = s.indexOf(0x2a, start + 1);
      if (star < 0 || star > e) star = e;
      const c1 = at(e + 1);
      if (!(c1 === 0x42 || c1 === 0x62 || c1 === 0x51 || c1 === 0x71) || at(e + 2) !== 0x3f) continue;
      let r = e + 3;
      while (at(r) && at(r) !== 0x3f) r++;
      if (!at(r) || at(r + 1) !== 0x3d) continue;
      word(start, e, star, r);
      continue;
    }
    for (; at(p) && at(p) !== 0x3d && at(p) !== 0x3f; p++) if (at(p) === 0x2a && endcharset < 0) endcharset = p;
    if (at(p) !== 0x3f) {
      start = p;
      continue;
    }
    const encoding = p;
    if (endcharset < 0) endcharset = p;
    const e1 = at(encoding + 1);
    if (!(e1 === 0x42 || e1 === 0x62 || e1 === 0x51 || e1 === 0x71) || at(encoding + 2) !== 0x3f) {
      start = p;
      continue;
    }
    for (p = encoding + 3; at(p) && at(p) !== 0x3f; p++) if (at(p) === 0x3d && at(p + 1) === 0x3f && at(p + 2) !== 0x3d) break;
    if (at(p) !== 0x3f || at(p + 1) !== 0x3d) {
      start = p;
      continue;
    }
    word(start, encoding, endcharset, p);
  }

  function word(ws: number, encoding: number, endcharset: number, end: number): void {
    const e1 = at(encoding + 1);
    // A valid encoded word. Text before it is emitted unless it is only whitespace after a word.
    if (eatspace) {
      let q = segStart;
      while (q < ws - 1 && isspace(at(q))) q++;
      if (q < ws - 1) eatspace = false;
    }
    if (!eatspace) {
      switchTo(defaultCs);
      for (let i = segStart; i < ws - 1; i++) unfold.put(s[i]!);
      input.flush();
      resetPipeline();
    }

    const csName = s.subarray(ws + 1, endcharset).toString('latin1');
    const cs = lookupCharset(csName, opts.charsets);
    const enc = e1 === 0x51 || e1 === 0x71 ? 1 : 2;
    const text = s.subarray(encoding + 3, end);
    if (!cs) {
      input.put(U_REPLACEMENT);
      switchTo(defaultCs);
      resetPipeline();
    } else if (!opts.cyrus30 && lastCs && cs.canonical === lastCs.canonical && enc === lastEnc && extract) {
      extract.write(text);
      extract.flush();
      for (const c of extract.take()) input.put(c);
      input.flush();
    } else {
      switchTo(cs);
      extract = enc === 1 ? new QpDecoder(true) : new Base64Decoder(!opts.cyrus30);
      extract.write(text);
      extract.flush();
      for (const c of extract.take()) input.put(c);
      input.flush();
      lastCs = cs;
      lastEnc = enc;
    }
    segStart = start = end + 2;
    eatspace = true;
  }

  if (segStart < s.length) {
    switchTo(defaultCs);
    for (let i = segStart; i < s.length; i++) unfold.put(s[i]!);
  }
  input.flush();
  return cstr(Buffer.from(out));
}
