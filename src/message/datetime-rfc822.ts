// Date: header → sentdate / gmtime as Cyrus 3.0 did it (lib/times.c parse_rfc822 behind
// day_from_rfc822 and time_from_rfc822), before 3.2's time_from_rfc5322 tokeniser. A fixed
// layout: [Day ","] D[D] Mon YY[YY] [HH:MM[:SS] [zone]], ASCII classes only (C locale), folding
// white space between the fields. sentdate is local *noon* of the date (mktime, tm_isdst = -1);
// gmtime keeps a date without a usable time at 12:00 UTC; an unknown zone counts as UTC; a
// time before 1970 fails. 64-bit results; the index stores the low 32 bits.
import { timegmExact, zoneOffsetAt, type DateResult } from './datetime.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const lc = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);

function monthDays(year: number, mon: number): number {
  const y = year + 1900;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mon]!;
}

interface Parsed {
  year: number;
  mon: number;
  mday: number;
  hour: number;
  min: number;
  sec: number;
  zoneMinutes: number;
  /** The value ended right after the year (or the time): parse_rfc822 then returns a NULL
   *  pointer minus the string's address, cut to int. */
  unterminated: boolean;
}

/** parse_rfc822 up to mktime/timegm; null = "baddate". `s` ends at its first NUL. */
function parse(s: Buffer, dayOnly: boolean, comments: boolean): Parsed | null {
  const at = (i: number) => (i < s.length ? s[i]! : 0);
  // skip_fws: white space; a LF not followed by SP/HT ends the value; -1 = nothing left.
  // 2.4 (message_parse_rfc822space) also skips (nested) comments; one left open ends the value.
  const fws = (i: number): number => {
    while (at(i) && (isSpace(at(i)) || (comments && at(i) === 0x28))) {
      if (at(i) === 0x28) {
        let level = 1;
        i++;
        while (level) {
          const c = at(i);
          if (c === 0x0a) {
            i++;
            if (at(i) !== 0x20 && at(i) !== 0x09) return -1;
            continue;
          }
          if (!c) return -1;
          if (c === 0x5c) i++;
          else if (c === 0x28) level++;
          else if (c === 0x29) level--;
          i++;
        }
      } else if (at(i) === 0x0a) {
        i++;
        if (at(i) !== 0x20 && at(i) !== 0x09) return -1;
      } else i++;
    }
    return at(i) ? i : -1;
  };
  const tm: Parsed = { year: 0, mon: 0, mday: 0, hour: 0, min: 0, sec: 0, zoneMinutes: 0, unterminated: false };
  let p = fws(0);
  if (p < 0) return null;
  if (isAlpha(at(p))) {
    if (!isAlpha(at(p + 1)) || !isAlpha(at(p + 2))) return null;
    p = fws(p + 3);
    if (p < 0 || at(p) !== 0x2c) return null;
    p = fws(p + 1);
    if (p < 0) return null;
  }
  if (!isDigit(at(p))) return null;
  tm.mday = at(p++) - 0x30;
  if (isDigit(at(p))) tm.mday = tm.mday * 10 + at(p++) - 0x30;
  p = fws(p);
  if (p < 0 || !isAlpha(at(p)) || !isAlpha(at(p + 1)) || !isAlpha(at(p + 2))) return null;
  const mon = String.fromCharCode(lc(at(p)), lc(at(p + 1)), lc(at(p + 2)));
  tm.mon = MONTHS.indexOf(mon);
  if (tm.mon < 0) return null;
  p = fws(p + 3);
  if (p < 0 || !isDigit(at(p)) || !isDigit(at(p + 1))) return null;
  tm.year = (at(p) - 0x30) * 10 + at(p + 1) - 0x30;
  p += 2;
  if (isDigit(at(p))) {
    if (tm.year < 19) return null;
    tm.year = (tm.year - 19) * 10 + at(p++) - 0x30;
    if (!isDigit(at(p))) return null;
    tm.year = tm.year * 10 + at(p++) - 0x30;
  } else if (tm.year < 70) tm.year += 100;
  if (isDigit(at(p))) return null;
  if (tm.mday > monthDays(tm.year, tm.mon)) return null;
  p = fws(p);
  if (p < 0) tm.unterminated = true;
  if (p >= 0 && !dayOnly && time(tm, s, p, fws)) return tm;
  tm.hour = 12; // "badtime", a date only, or day_from_rfc822
  return tm;
}

/** HH:MM[:SS] [zone] from p; false = "badtime" (fields read so far stay, as in Cyrus). */
function time(tm: Parsed, s: Buffer, p: number, fws: (i: number) => number): boolean {
  const at = (i: number) => (i < s.length ? s[i]! : 0);
  const two = (set: (v: number) => void): boolean => {
    if (!isDigit(at(p))) return false;
    set(at(p++) - 0x30);
    if (!isDigit(at(p))) return false;
    const first = at(p - 1) - 0x30;
    set(first * 10 + at(p++) - 0x30);
    return true;
  };
  if (!two((v) => (tm.hour = v))) return false;
  if (at(p++) !== 0x3a) return false;
  if (!two((v) => (tm.min = v))) return false;
  if (at(p) === 0x3a) {
    p++;
    if (!two((v) => (tm.sec = v))) return false;
  }
  const z = fws(p);
  if (z >= 0) tm.zoneMinutes = zone(s, z);
  else tm.unterminated = true;
  return true;
}

/** The zone's offset in minutes east of UTC; 0 for anything not understood ("badzone"). */
function zone(s: Buffer, p: number): number {
  const at = (i: number) => (i < s.length ? s[i]! : 0);
  const c = at(p);
  if (c === 0x2b || c === 0x2d) {
    const d = [1, 2, 3, 4].map((i) => at(p + i));
    if (!d.every(isDigit)) return 0;
    const [h1, h2, m1, m2] = d.map((x) => x - 0x30) as [number, number, number, number];
    const off = ((h1 * 10 + h2) * 6 + m1) * 10 + m2;
    return c === 0x2d ? -off : off;
  }
  if (!isAlpha(c)) return 0;
  const z0 = lc(c);
  if (!isAlpha(at(p + 1))) {
    // Military letters, with Cyrus's own arithmetic.
    if (z0 < 0x6a) return (z0 - 0x61 + 1) * 60;
    if (z0 === 0x6a) return 0;
    if (z0 <= 0x6d) return (z0 - 0x61) * 60;
    if (z0 < 0x7a) return (0x6d - z0) * 60;
    return 0;
  }
  const z1 = lc(at(p + 1));
  if (!isAlpha(at(p + 2))) return z0 === 0x75 && z1 === 0x74 ? 0 : 0; // "UT" or bad: both 0
  const z2 = lc(at(p + 2));
  if (z0 === 0x67 && z1 === 0x6d && z2 === 0x74) return 0;
  const idx = 'aecmpyhb'.indexOf(String.fromCharCode(z0));
  if (idx < 0 || z2 !== 0x74) return 0;
  let off = (8 - idx - 12) * 60; // strlen of the rest of "aecmpyhb" from that letter, minus 12
  if (z1 === 0x64) off += 60;
  else if (z1 !== 0x73) return 0;
  return off;
}

/**
 * sentdate and gmtime from a Date: value as Cyrus 3.0 computes them (0 = failed).
 * `unterminatedParses`: whether a value ending right after its year or time counts as parsed.
 * Cyrus returns (NULL - address of the value) cut to int there, so the answer depends on where
 * the process's heap lies (ASLR): the same in one reconstruct run, not across runs. Real 3.0.13
 * failed all such dates in the run we recorded (crafted-indexed-3.0.13), hence the default.
 */
export function parseRfc822Date(
  value: Buffer | null,
  timeZone = 'UTC',
  unterminatedParses = false,
  comments = false,
): DateResult & { processDependent: boolean } {
  // 2.4's message_parse_date: comments skipped like white space, and a value ending early is
  // well defined there (it parses).
  if (comments) unterminatedParses = true;
  if (!value) return { sentdate: 0, gmtime: 0, processDependent: false };
  const z = value.indexOf(0);
  const s = z < 0 ? value : value.subarray(0, z);
  let sentdate = 0;
  let gmtime = 0;
  const d = parse(s, true, comments);
  if (d && (unterminatedParses || !d.unterminated)) {
    const wall = timegmExact({ ...d, hour: 12, min: 0, sec: 0 });
    let t = wall;
    if (timeZone !== 'UTC' && timeZone !== 'Etc/UTC') {
      t = wall - zoneOffsetAt(timeZone, wall);
      t = wall - zoneOffsetAt(timeZone, t);
    }
    if (t >= 0) sentdate = t;
  }
  const f = parse(s, false, comments);
  if (f && (unterminatedParses || !f.unterminated)) {
    const t = timegmExact(f);
    if (t >= 0) gmtime = t - f.zoneMinutes * 60;
  }
  return { sentdate, gmtime, processDependent: !comments && !!(d?.unterminated || f?.unterminated) };
}
