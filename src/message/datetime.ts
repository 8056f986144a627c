// Date: header → sentdate / gmtime, as Cyrus 3.6's time_from_rfc5322 (lib/times.c). gmtime is
// the full date-time in UTC; sentdate is local midnight of the date in the Cyrus host's time zone
// (mktime with tm_isdst = -1), so the zone is an explicit input here. Results are 64-bit; the
// index stores the low 32 bits (toIndexTime).

const SPECIAL = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
const SEPARATOR = (c: number) => c === 0x20 || c === 0x2c || c === 0x2d || c === 0x2b || c === 0x3a;

// Character classes of lib/times.c (Alpha 1, UAlpha 2, LAlpha 4, Digit 8, TZSign 16). Cyrus
// indexes its class table with a *signed* char, so an 8-bit byte reads the 127 longs before the
// table: whatever the build put there decides whether the byte counts as a letter or a digit
// (and a "digit" adds its negative value to the number). Undefined behaviour, so it differs per
// build: these are the low 5 bits found before the table in libcyrus.so.0 of Debian's and
// Ubuntu's packages, for bytes
// 0x80–0xFF (0xFF reads the table's own first entry), one table per build we have checked
// against reconstruct. The special/separator tables read zeros there in all of them.
const HIGH_CLASS_DEBIAN12_361 = [
  8, 0, 12, 19, 4, 3, 15, 9, 5, 5, 20, 7, 12, 4, 5, 28, 19, 15, 14, 7, 0, 14, 20, 14, 4, 19, 21, 15, 12, 0, 0, 8,
  21, 15, 12, 0, 0, 1, 21, 15, 12, 0, 0, 17, 21, 15, 12, 0, 0, 9, 21, 15, 12, 0, 0, 20, 21, 15, 12, 0, 0, 21,
  5, 26, 25, 5, 19, 12, 14, 12, 5, 1, 0, 14, 15, 0, 13, 26, 0, 25, 22, 5, 0, 5, 4, 3, 18, 5, 4, 16, 26, 5, 21, 14,
  0, 5, 5, 0, 0, 18, 5, 16, 0, 0, 31, 26, 23, 20, 17, 14, 0, 28, 25, 22, 20, 17, 0, 0, 0, 31, 31, 31, 31, 30, 30, 0, 0, 0,
];
const HIGH_CLASS_DEBIAN11_326 = [
  13, 21, 1, 8, 0, 3, 12, 8, 3, 21, 9, 5, 6, 15, 0, 20, 2, 19, 7, 0, 14, 20, 14, 4, 19, 21, 15, 12, 0, 0, 8, 21,
  15, 12, 0, 0, 1, 21, 15, 12, 0, 0, 17, 21, 15, 12, 0, 0, 9, 21, 15, 12, 0, 0, 20, 21, 15, 12, 0, 0, 21, 5,
  26, 25, 5, 19, 12, 14, 12, 5, 1, 0, 14, 15, 0, 13, 26, 0, 25, 22, 5, 0, 5, 4, 3, 18, 5, 4, 16, 26, 5, 21, 14, 0,
  5, 5, 0, 0, 18, 5, 16, 0, 0, 0, 31, 26, 23, 20, 17, 14, 0, 28, 25, 22, 20, 17, 0, 0, 0, 31, 31, 31, 31, 30, 30, 0, 0, 0,
];
const HIGH_CLASS_DEBIAN_SID_3124 = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 21, 15, 15, 15, 15, 15, 2, 15, 15, 28, 6, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 13, 12, 5, 0, 13, 12, 1, 0, 13, 12, 5, 0, 13, 12, 5, 0, 13, 12, 20, 0, 13, 12, 11, 0, 13,
  12, 12, 0, 13, 12, 15, 0, 13, 12, 3, 0, 0, 0, 0, 0, 0, 30, 2, 0, 17, 0, 21, 9, 9, 21, 21, 0, 0, 0, 0, 0, 0,
  0, 8, 8, 8, 0, 0, 0, 0, 31, 26, 23, 20, 17, 14, 0, 28, 25, 22, 20, 17, 0, 0, 0, 31, 31, 31, 31, 30, 30, 0, 0, 0,
];
const HIGH_CLASS_DEBIAN13_3102 = [
  4, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 13, 12, 5, 0, 13, 12, 1, 0, 13, 12, 5, 0, 13, 12, 5, 0, 13, 12, 20, 0, 13, 12, 11, 0, 13,
  12, 12, 0, 13, 12, 15, 0, 13, 12, 1, 0, 0, 0, 0, 0, 0, 28, 1, 0, 0, 0, 21, 9, 9, 21, 21, 24, 24, 24, 24, 24, 24,
  24, 24, 24, 24, 0, 0, 0, 0, 31, 26, 23, 20, 17, 14, 0, 28, 25, 22, 20, 17, 0, 0, 0, 31, 31, 31, 31, 30, 30, 0, 0, 0,
];
const HIGH_CLASS_UBUNTU2204_343 = [
  5, 4, 0, 16, 21, 22, 4, 0, 16, 21, 19, 0, 4, 0, 16, 3, 5, 4, 0, 24, 16, 28, 0, 4, 0, 24, 5, 15, 5, 1, 1, 26,
  19, 0, 5, 0, 5, 4, 3, 18, 5, 21, 14, 0, 5, 9, 0, 6, 7, 9, 23, 0, 5, 5, 4, 9, 0, 7, 18, 0, 0, 6, 15, 16,
  18, 0, 5, 20, 13, 14, 19, 5, 14, 14, 0, 19, 5, 14, 5, 19, 19, 19, 4, 0, 11, 12, 15, 15, 19, 4, 0, 15, 19, 2, 7, 3,
  1, 8, 19, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25, 25, 0, 30, 28, 28, 12, 28, 28, 28, 28, 12, 12, 20, 0, 0, 0, 0,
];
/** The class each build reads for bytes 0x80–0xFF, by the Cyrus build it was read from. */
export const DATE_HIGH_BYTE_CLASSES: Readonly<Record<string, readonly number[]>> = Object.freeze({
  'debian11-3.2.6': HIGH_CLASS_DEBIAN11_326,
  'ubuntu2204-3.4.3': HIGH_CLASS_UBUNTU2204_343,
  'debian12-3.6.1': HIGH_CLASS_DEBIAN12_361,
  'debian13-3.10.2': HIGH_CLASS_DEBIAN13_3102,
  'debian-sid-3.12.4': HIGH_CLASS_DEBIAN_SID_3124,
});

// The table of the parse in progress (parseDateHeader sets it; parsing is synchronous).
let highClass: readonly number[] = HIGH_CLASS_DEBIAN12_361;
function cls(c: number): number {
  if (c >= 0x80) return highClass[c - 0x80]! & 31;
  if (c >= 0x30 && c <= 0x39) return 8;
  if (c >= 0x41 && c <= 0x5a) return 3;
  if (c >= 0x61 && c <= 0x7a) return 5;
  return c === 0x2b || c === 0x2d ? 16 : 0;
}
const ALPHA = (c: number) => (cls(c) & 1) !== 0;
const DIGIT = (c: number) => (cls(c) & 8) !== 0;
/** The C char value (signed) of a byte. */
const sch = (c: number) => (c >= 0x80 ? c - 256 : c);
const EOB = -1;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const TOKEN_MAX = 32; // RFC5322_DATETIME_MAX

interface Tm {
  year: number; // years since 1900
  mon: number;
  mday: number;
  hour: number;
  min: number;
  sec: number;
}

class DtBuf {
  offset = 0;
  constructor(readonly s: Buffer) {}
  current(): number {
    return this.offset < this.s.length ? this.s[this.offset]! : EOB;
  }
  next(): number {
    if (this.offset < this.s.length) {
      this.offset++;
      return this.offset < this.s.length ? this.s[this.offset]! : 0; // the C string's NUL
    }
    return EOB;
  }
  skipWs(): void {
    let c = this.offset < this.s.length ? this.s[this.offset]! : 0;
    while (c !== EOB && SPECIAL(c)) c = this.next();
  }
  /** get_next_token: letters/digits; false when called at end of buffer or hitting it. */
  token(): { ok: boolean; tok: number[] } {
    const tok: number[] = [];
    let c = this.current();
    if (c === EOB) return { ok: false, tok };
    for (;;) {
      if (SPECIAL(c) || SEPARATOR(c)) break;
      if (!(cls(c) & 9)) break;
      if (tok.length >= TOKEN_MAX) break;
      tok.push(c);
      c = this.next();
      if (c === EOB) return { ok: false, tok };
    }
    return { ok: true, tok };
  }
}

const toInt = (t: number[]): number => {
  let n = 0;
  for (const c of t) {
    if (!DIGIT(c)) return -9999;
    n = (n * 10 + (sch(c) - 0x30)) | 0; // C int arithmetic on the signed char
  }
  return n;
};
/** to_upper/to_lower of times.c: the class table decides, on the signed char (result signed). */
const up = (c: number) => (cls(c) & 4 ? sch(c) - 32 : sch(c));
const lo = (c: number) => (cls(c) & 2 ? sch(c) + 32 : sch(c));

/** compute_tzoffset, in minutes. */
function tzOffset(t: number[], sign: number): number {
  if (t.length === 1) {
    const o = sch(t[0]!);
    const ch = up(t[0]!);
    if (ch < 0x4a) return (o - 0x41 + 1) * 60;
    if (ch === 0x4a) return 0;
    if (ch <= 0x4d) return (o - 0x41) * 60;
    if (ch < 0x5a) return (0x4d - o) * 60;
    return 0;
  }
  if (t.length === 2 && up(t[0]!) === 0x55 && up(t[1]!) === 0x54) return 0;
  if (t.length === 3) {
    if (up(t[2]!) !== 0x54) return 0;
    const idx = 'AECMPYHB'.indexOf(String.fromCharCode(up(t[0]!)));
    if (idx < 0) return 0;
    const offset = (8 - idx - 12) * 60; // strlen(p) - 12 hours
    if (up(t[1]!) === 0x44) return offset + 60;
    if (up(t[1]!) === 0x53) return offset;
  }
  if (t.length === 4) {
    if (!t.every(DIGIT)) return 0;
    const d = t.map((c) => sch(c) - 0x30);
    const off = (d[0]! * 10 + d[1]!) * 60 + d[2]! * 10 + d[3]!;
    return sign === 0x2b ? off : -off;
  }
  return 0;
}

function tokenise(s: Buffer, dateOnly: boolean): { tm: Tm; tzMinutes: number } | null {
  const b = new DtBuf(s);
  const tm: Tm = { year: 0, mon: 0, mday: 0, hour: 0, min: 0, sec: 0 };
  b.skipWs();
  let c = b.current();
  if (c === EOB) return null;
  if (ALPHA(c)) {
    const { ok, tok } = b.token();
    if (!ok || tok.length !== 3) return null;
    if (b.current() === 0x2c) b.next();
    else return null;
    b.skipWs();
  }
  let t = b.token();
  if (!t.ok || t.tok.length < 1 || t.tok.length > 2 || !DIGIT(t.tok[0]!)) return null;
  tm.mday = toInt(t.tok);
  if (tm.mday === -9999) return null;
  c = b.next();
  if (c !== EOB && SPECIAL(c)) b.skipWs();
  t = b.token();
  if (!t.ok || t.tok.length !== 3 || !ALPHA(t.tok[0]!)) return null;
  const m0 = up(t.tok[0]!);
  const m1 = lo(t.tok[1]!);
  const m2 = lo(t.tok[2]!);
  tm.mon = MONTHS.findIndex((n) => n.charCodeAt(0) === m0 && n.charCodeAt(1) === m1 && n.charCodeAt(2) === m2);
  if (tm.mon < 0) return null;
  c = b.next();
  if (c !== EOB && SPECIAL(c)) b.skipWs();
  t = b.token();
  if (!t.ok) return null;
  tm.year = toInt(t.tok);
  if (tm.year === -9999) return null;
  if (t.tok.length === 2) {
    if (tm.year < 70) tm.year += 100;
  } else {
    if (tm.year < 1900) return null;
    tm.year -= 1900;
  }
  if (dateOnly) return { tm, tzMinutes: 0 };

  b.skipWs();
  t = b.token();
  if (!t.ok || t.tok.length < 1 || t.tok.length > 2 || !DIGIT(t.tok[0]!)) return null;
  tm.hour = toInt(t.tok);
  if (tm.hour === -9999) return null;
  if (b.current() === 0x3a || b.current() === 0x2e) b.next();
  else return null;
  t = b.token();
  if (!t.ok || t.tok.length < 1 || t.tok.length > 2 || !DIGIT(t.tok[0]!)) return null;
  tm.min = toInt(t.tok);
  if (tm.min === -9999) return null;
  if (b.current() === 0x3a || b.current() === 0x2e) {
    b.next();
    t = b.token();
    if (!t.ok || t.tok.length < 1 || t.tok.length > 2 || !DIGIT(t.tok[0]!)) return null;
    tm.sec = toInt(t.tok);
    if (tm.sec === -9999) return null;
  }
  b.skipWs();
  c = b.current();
  if (c === 0x2b || c === 0x2d) b.next();
  t = b.token();
  return { tm, tzMinutes: t.ok ? tzOffset(t.tok, c) : 0 };
}

// Proleptic Gregorian day number of y-m-d (days since 1970-01-01), valid for any year.
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
/** timegm with C's normalisation of out-of-range fields, in seconds (64-bit safe). */
export function timegmExact(tm: Tm): number {
  // Normalise months into years first, then days via the civil-day algorithm.
  const y = 1900 + tm.year + Math.floor(tm.mon / 12);
  const m = ((tm.mon % 12) + 12) % 12;
  const dayNumber = daysFromCivil(y, m + 1, 1) + (tm.mday - 1);
  return dayNumber * 86400 + tm.hour * 3600 + tm.min * 60 + tm.sec;
}

/** Offset (seconds east of UTC) of an IANA zone at a UTC instant. */
export function zoneOffsetAt(timeZone: string, utcSeconds: number): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const ms = utcSeconds * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return 0;
  const f = formatter(timeZone);
  const parts = f.formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  let hour = get('hour');
  if (hour === 24) hour = 0;
  const asUtc = Date.UTC(get('year') * (parts.find((p) => p.type === 'era')?.value === 'BC' ? -1 : 1), get('month') - 1, get('day'), hour, get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 1000);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** mktime(local midnight, tm_isdst = -1) in `timeZone`. */
function mktimeMidnight(tm: Tm, timeZone: string): number {
  const wall = timegmExact({ ...tm, hour: 0, min: 0, sec: 0 });
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return wall;
  let t = wall - zoneOffsetAt(timeZone, wall);
  t = wall - zoneOffsetAt(timeZone, t);
  return t;
}

export interface DateResult {
  sentdate: number;
  gmtime: number;
}

/**
 * Both index values from the (last) Date: header value; 0 where Cyrus's parser fails or the
 * time is negative (the caller then applies reconstruct's internaldate fallbacks). Cyrus 3.2
 * and 3.4 (`negativeDates`) rejected only -1, keeping earlier times as negative values.
 * `highByteClasses`: what the Cyrus build reads for 8-bit bytes (DATE_HIGH_BYTE_CLASSES).
 */
export function parseDateHeader(
  value: Buffer | null,
  timeZone = 'UTC',
  negativeDates = false,
  highByteClasses: readonly number[] = HIGH_CLASS_DEBIAN12_361,
): DateResult {
  if (!value) return { sentdate: 0, gmtime: 0 };
  const saved = highClass;
  highClass = highByteClasses;
  try {
    return parseDate(value, timeZone, negativeDates);
  } finally {
    highClass = saved;
  }
}

function parseDate(value: Buffer, timeZone: string, negativeDates: boolean): DateResult {
  const z = value.indexOf(0);
  const s = z < 0 ? value : value.subarray(0, z);
  let sentdate = 0;
  let gmtime = 0;
  const d = tokenise(s, true);
  if (d) {
    const t = mktimeMidnight(d.tm, timeZone);
    if (t >= 0 || (negativeDates && t !== -1)) sentdate = t;
  }
  const f = tokenise(s, false);
  if (f) {
    const t = timegmExact(f.tm);
    if (t >= 0 || (negativeDates && t !== -1)) gmtime = t - f.tzMinutes * 60;
  }
  return { sentdate, gmtime };
}

/** The 32-bit value the index stores (time_t truncated). */
export const toIndexTime = (t: number): number => ((t % 2 ** 32) + 2 ** 32) % 2 ** 32;

/** reconstruct's fallbacks when the Date: header gave 0. */
export function withFallbacks(d: DateResult, internaldate: number, timeZone = 'UTC'): DateResult {
  const gmtime = d.gmtime || internaldate;
  let sentdate = d.sentdate;
  if (!sentdate) {
    const off = zoneOffsetAt(timeZone, internaldate);
    const localDay = Math.floor((internaldate + off) / 86400);
    const dt = new Date(localDay * 86400000);
    sentdate = mktimeMidnight(
      { year: dt.getUTCFullYear() - 1900, mon: dt.getUTCMonth(), mday: dt.getUTCDate(), hour: 0, min: 0, sec: 0 },
      timeZone,
    );
  }
  return { sentdate, gmtime };
}
