// Byte classes of the C library in the "C" locale, which is what Cyrus's parsers use. Bytes
// >= 0x80 belong to no class. Header text is handled as bytes, never as JS strings.

/** isspace: SP HT LF VT FF CR. */
export const isspace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
export const isalpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
export const isdigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
export const isalnum = (c: number): boolean => isalpha(c) || isdigit(c);

/** MIME_TSPECIALS of imap/message.h. */
const TSPECIALS = new Set(Array.from('()<>@,;:\\"/[]?=', (ch) => ch.charCodeAt(0)));
export const istspecial = (c: number): boolean => TSPECIALS.has(c);

/** Cyrus compares signed chars with ' ': control bytes and every 8-bit byte are "< ' '". */
export const isctlOr8bit = (c: number): boolean => c < 0x20 || c >= 0x80;

export const toUpper = (c: number): number => (c >= 0x61 && c <= 0x7a ? c - 32 : c);
export const toLower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 32 : c);

export function upper(b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let i = 0; i < out.length; i++) out[i] = toUpper(out[i]!);
  return out;
}

export function lower(b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let i = 0; i < out.length; i++) out[i] = toLower(out[i]!);
  return out;
}

/** The C-string view of a buffer: everything before its first NUL. */
export function cstr(b: Buffer): Buffer {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

/** ASCII case-insensitive equality of bytes and a lowercase ASCII string. */
export function eqIgnoreCase(b: Buffer, lc: string): boolean {
  if (b.length !== lc.length) return false;
  for (let i = 0; i < b.length; i++) if (toLower(b[i]!) !== lc.charCodeAt(i)) return false;
  return true;
}

export const B = (s: string): Buffer => Buffer.from(s, 'latin1');
