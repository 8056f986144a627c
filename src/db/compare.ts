// Key orders of the cyrusdb backends (spec cyrus-db-seen-dlist.md §1.3, lib/bsearch.c,
// lib/cyrusdb_skiplist.c:compare_signed). A reader needs them to check that keys strictly increase.

/**
 * raw: memcmp, shorter first (twoskip in 3.6 without CYRUSDB_MBOXSORT).
 * signed: bytes compared as C `char` on x86 (0x80-0xFF before 0x00-0x7F), shorter first
 *   (skiplist without CYRUSDB_MBOXSORT; Cyrus packages for x86-64 are what we check).
 * mbox: bytes mapped through Cyrus's convert_to_compare table (flat always; MBOXSORT dbs).
 */
export type KeyOrder = 'raw' | 'signed' | 'mbox';

/** lib/bsearch.c convert_to_compare: identity except 0x01-0x08 -> +2, TAB/LF -> 1, '.' -> 2. */
const MBOX_MAP = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = i;
  for (let i = 1; i <= 8; i++) t[i] = i + 2;
  t[0x09] = 0x01;
  t[0x0a] = 0x01;
  t[0x2e] = 0x02;
  return t;
})();

function compareMapped(a: Uint8Array, b: Uint8Array, map: (x: number) => number): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = map(a[i]!) - map(b[i]!);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const signedByte = (x: number) => (x << 24) >> 24;
const mboxByte = (x: number) => MBOX_MAP[x]!;

/** Negative, zero or positive like memcmp, under the given Cyrus key order. */
export function compareKeys(order: KeyOrder, a: Uint8Array, b: Uint8Array): number {
  switch (order) {
    case 'raw':
      return Buffer.compare(a, b);
    case 'signed':
      return compareMapped(a, b, signedByte);
    case 'mbox':
      return compareMapped(a, b, mboxByte);
  }
}
