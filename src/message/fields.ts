// Header field value parsers of imap/message.c, byte for byte. They work on the collected header
// block `h` (already cut at its first NUL, as Cyrus's C strings are) starting at a position; a
// read past the end sees NUL, exactly as the C code sees the string terminator. A value may run
// into following header lines where Cyrus's would (e.g. a bare LF inside a quoted string).
import { isctlOr8bit, isspace, istspecial, isalpha, upper } from './bytes.js';

export interface Param {
  attribute: Buffer;
  value: Buffer;
}

const at = (h: Buffer, i: number): number => (i < h.length ? h[i]! : 0);

/** message_parse_rfc822space: skip whitespace and comments; null = end of the field. */
export function rfc822space(h: Buffer, p: number | null): number | null {
  if (p === null) return null;
  let c: number;
  while ((c = at(h, p)) && (isspace(c) || c === 0x28)) {
    if (c === 0x0a) {
      p++;
      if (at(h, p) !== 0x20 && at(h, p) !== 0x09) return null;
    } else if (c === 0x28) {
      p++;
      let level = 1;
      while (level) {
        const d = at(h, p);
        if (d === 0x0a) {
          p++;
          if (at(h, p) !== 0x20 && at(h, p) !== 0x09) return null;
          // folded inside a comment: the SP/HT is skipped by the p++ below
        } else if (d === 0) return null;
        else if (d === 0x5c) p++;
        else if (d === 0x28) level++;
        else if (d === 0x29) level--;
        p++;
      }
    } else p++;
  }
  return at(h, p) === 0 ? null : p;
}

/** End of a field value: the first LF (searched from p+1) not followed by SP/HT, or the end. */
function fieldEnd(h: Buffer, p: number): { end: number; found: boolean } {
  let e = p;
  for (;;) {
    e = e + 1 <= h.length ? h.indexOf(0x0a, e + 1) : -1;
    if (e < 0) return { end: h.length, found: false };
    const n = at(h, e + 1);
    if (n !== 0x20 && n !== 0x09) return { end: e, found: true };
  }
}

/** message_parse_string: unstructured value, leading SP/HT skipped, unfolded (CR LF / LF removed). */
export function parseString(h: Buffer, p: number): Buffer {
  while (at(h, p) === 0x20 || at(h, p) === 0x09) p++;
  let { end, found } = fieldEnd(h, p);
  if (found && end > p && h[end - 1] === 0x0d) end--;
  const v = h.subarray(p, end);
  if (v.indexOf(0x0a) < 0) return Buffer.from(v);
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0x0a) {
      if (out.length && out[out.length - 1] === 0x0d) out.pop();
      continue;
    }
    out.push(v[i]!);
  }
  return Buffer.from(out);
}

/** The raw field value for address parsing: up to the field end, minus a CR before the LF. */
export function rawFieldValue(h: Buffer, p: number): Buffer {
  let { end, found } = fieldEnd(h, p);
  if (found && end > p && h[end - 1] === 0x0d) end--;
  return h.subarray(p, end);
}

/** message_parse_header: the header line(s) as cached in HEADERS, ending in CR LF. */
export function cachedHeaderText(h: Buffer, p: number): Buffer {
  let { end, found } = fieldEnd(h, p);
  if (found && end > p && h[end - 1] === 0x0d) end--;
  return Buffer.concat([h.subarray(p, end), Buffer.from('\r\n')]);
}

/** message_parse_params; returns the parameters in order (attributes uppercased). */
/** `strictTokens` (Cyrus 3.0): an unquoted value is a token that ends at white space, and a
 *  control, 8-bit or tspecial byte in it drops the parameter (3.2+ read leniently to ';'). */
/** How parameters are read: false = 3.2+ (lenient unquoted values), true = 3.0 (strict tokens, a
 *  bad parameter is skipped), 'stop' = 2.x (strict tokens, a bad parameter ends the list). */
export type ParamSyntax = boolean | 'stop';

export function parseParams(h: Buffer, p0: number, strictTokens: ParamSyntax = false): Param[] {
  const params: Param[] = [];
  let p: number | null = p0;
  for (;;) {
    p = rfc822space(h, p);
    if (p === null) return params;
    const attribute = p;
    let bad = false;
    let c: number;
    for (; (c = at(h, p)) && !isspace(c) && c !== 0x3d && c !== 0x28; p++) {
      if (isctlOr8bit(c) || istspecial(c)) {
        bad = true;
        break;
      }
    }
    if (!bad) {
      const attributeEnd = p;
      p = rfc822space(h, p);
      if (p === null) return params;
      if (at(h, p++) !== 0x3d) bad = true;
      else {
        p = rfc822space(h, p);
        if (p === null) return params;
        const value = p;
        let valueEnd: number;
        if (at(h, p) === 0x22) {
          p++;
          while (at(h, p) && at(h, p) !== 0x22) {
            if (at(h, p) === 0x5c) {
              p++;
              if (!at(h, p)) return params;
            }
            if (at(h, p) === 0x0d) {
              if (at(h, p + 1) === 0x0a && (at(h, p + 2) === 0x20 || at(h, p + 2) === 0x09)) p += 2;
              else return params;
            }
            p++;
          }
          if (!at(h, p++)) return params;
          valueEnd = p;
        } else if (strictTokens) {
          for (; (c = at(h, p)) && !isspace(c) && c !== 0x3b && c !== 0x28; p++) {
            if (isctlOr8bit(c) || istspecial(c)) {
              bad = true;
              break;
            }
          }
          valueEnd = p;
        } else {
          let endval = p;
          while ((c = at(h, p)) && c !== 0x3b && c !== 0x28) {
            if (c === 0x0d) {
              if (at(h, p + 1) === 0x0a && (at(h, p + 2) === 0x20 || at(h, p + 2) === 0x09)) {
                p += 2;
                continue;
              }
              break;
            }
            if (c < 0x80 && c < 0x20 && c !== 0x09) {
              bad = true;
              break;
            }
            if (c !== 0x20 && c !== 0x09) endval = p;
            p++;
          }
          valueEnd = endval + 1;
          if (!bad) p = valueEnd;
        }
        if (!bad) {
          let q: number | null = rfc822space(h, p);
          if (q !== null && at(h, q++) !== 0x3b) {
            bad = true;
            p = q;
          } else {
            params.push({
              attribute: upper(h.subarray(attribute, attributeEnd)),
              value: paramValue(h, value, valueEnd),
            });
            if (q === null) return params; // field ended: the loop's skip would say so too
            p = q;
            continue;
          }
        }
      }
    }
    if (strictTokens === 'stop') return params;
    // skip: to the next ';' (consumed), CR or LF
    let q = p!;
    while (at(h, q) && at(h, q) !== 0x3b && at(h, q) !== 0x0d && at(h, q) !== 0x0a) q++;
    if (at(h, q) === 0x3b) q++;
    p = q;
  }
}

function paramValue(h: Buffer, value: number, valueEnd: number): Buffer {
  if (at(h, value) !== 0x22) return Buffer.from(h.subarray(value, valueEnd));
  const out: number[] = [];
  let v = value + 1;
  while (at(h, v) !== 0x22) {
    if (at(h, v) === 0x5c) v++;
    else if (at(h, v) === 0x0d) v += 2;
    out.push(at(h, v++));
  }
  return Buffer.from(out);
}

const pctEncode = (v: Buffer): Buffer => {
  const out: string[] = [];
  for (const c of v) {
    if (c <= 0x20 || c >= 0x7f || c === 0x2a || c === 0x27 || c === 0x25 || istspecial(c)) {
      out.push('%' + c.toString(16).toUpperCase().padStart(2, '0'));
    } else out.push(String.fromCharCode(c));
  }
  return Buffer.from(out.join(''), 'latin1');
};

/** message_fold_params: RFC 2231 continuations NAME*0, NAME*1 … joined (not decoded). */
export function foldParams(params: Param[]): Param[] {
  for (let i = 0; i < params.length; i++) {
    const tp = params[i]!;
    const a = tp.attribute;
    const star = a.indexOf(0x2a);
    if (star < 0 || a[star + 1] !== 0x30) continue;
    const tail = a.length - star;
    if (!(tail === 2 || (tail === 3 && a[star + 2] === 0x2a))) continue;
    let extended = tail === 3;
    const base = a.subarray(0, star);
    let value = tp.value;
    for (let section = 1; section < 100; section++) {
      const sec = Buffer.from(`*${section}`);
      const j = params.findIndex((q, k) => {
        if (k === i) return false;
        const qa = q.attribute;
        if (qa.length < base.length + sec.length || !qa.subarray(0, base.length).equals(base)) return false;
        if (!qa.subarray(base.length, base.length + sec.length).equals(sec)) return false;
        const rest = qa.length - base.length - sec.length;
        return rest === 0 || (rest === 1 && qa[qa.length - 1] === 0x2a);
      });
      if (j < 0) break;
      const cont = params[j]!;
      const contExtended = cont.attribute.length > base.length + sec.length;
      if (!contExtended) value = Buffer.concat([value, extended ? pctEncode(cont.value) : cont.value]);
      else if (extended) value = Buffer.concat([value, cont.value]);
      else {
        value = Buffer.concat([Buffer.from("''"), pctEncode(value), cont.value]);
        extended = true;
      }
      params.splice(j, 1);
      if (j < i) i--;
    }
    params[i] = { attribute: extended ? Buffer.concat([base, Buffer.from('*')]) : Buffer.from(base), value };
  }
  return params;
}

export interface ContentType {
  type: Buffer;
  subtype: Buffer;
  params: Param[];
}

/**
 * message_parse_type without the `=?` oddity (handled by the caller, which has the charset
 * layer). null = header ignored.
 */
export function parseType(h: Buffer, p0: number, strictTokens: ParamSyntax = false): ContentType | null {
  let p = rfc822space(h, p0);
  if (p === null) return null;
  const type = p;
  let c: number;
  for (; (c = at(h, p)) && !isspace(c) && c !== 0x2f && c !== 0x28; p++) {
    if (isctlOr8bit(c) || istspecial(c)) return null;
  }
  const typeEnd = p;
  p = rfc822space(h, p);
  if (p === null) return null;
  if (at(h, p++) !== 0x2f) return null;
  p = rfc822space(h, p);
  if (p === null) return null;
  const subtype = p;
  for (; (c = at(h, p)) && !isspace(c) && c !== 0x3b && c !== 0x28; p++) {
    if (isctlOr8bit(c) || istspecial(c)) return null;
  }
  const subtypeEnd = p;
  const q = rfc822space(h, p);
  if (q !== null && at(h, q) !== 0x3b) return null;
  return {
    type: upper(h.subarray(type, typeEnd)),
    subtype: upper(h.subarray(subtype, subtypeEnd)),
    params: q !== null ? foldParams(parseParams(h, q + 1, strictTokens)) : [],
  };
}

/** message_parse_disposition. null = header ignored. */
export function parseDisposition(h: Buffer, p0: number, strictTokens: ParamSyntax = false): { disposition: Buffer; params: Param[] } | null {
  let p = rfc822space(h, p0);
  if (p === null) return null;
  const d = p;
  let c: number;
  for (; (c = at(h, p)) && !isspace(c) && c !== 0x3b && c !== 0x28; p++) {
    if (isctlOr8bit(c) || istspecial(c)) return null;
  }
  const dEnd = p;
  const q = rfc822space(h, p);
  if (q !== null && at(h, q) !== 0x3b) return null;
  return { disposition: upper(h.subarray(d, dEnd)), params: q !== null ? foldParams(parseParams(h, q + 1, strictTokens)) : [] };
}

/** message_parse_encoding: the uppercased token, or null if ignored. */
export function parseEncoding(h: Buffer, p0: number): Buffer | null {
  const p = rfc822space(h, p0);
  if (p === null) return null;
  let e = p;
  let c: number;
  for (; (c = at(h, e)) && !isspace(c) && c !== 0x28; e++) {
    if (isctlOr8bit(c) || istspecial(c)) return null;
  }
  if (rfc822space(h, e) !== null) return null;
  return upper(h.subarray(p, e));
}

/** message_parse_language: uppercased tokens of letters and '-'; stops quietly at garbage. */
export function parseLanguage(h: Buffer, p0: number): Buffer[] {
  const out: Buffer[] = [];
  let p: number | null = p0;
  for (;;) {
    p = rfc822space(h, p);
    if (p === null) return out;
    const v: number = p;
    let c: number;
    for (; (c = at(h, p)) && !isspace(c) && c !== 0x2c && c !== 0x28; p++) {
      if (c !== 0x2d && !isalpha(c)) return out;
    }
    const vEnd: number = p;
    p = rfc822space(h, p);
    if (p !== null && at(h, p++) !== 0x2c) return out;
    out.push(upper(h.subarray(v, vEnd)));
    if (p === null) return out;
  }
}
