// Typed getters over parsed dlists. Types are not transmitted, so a reader converts on demand the
// way Cyrus's `dlist_to*` functions do (imap/dlist.c, spec §9.1): undefined means "Cyrus would
// refuse this value".
import type { DKvList, DList, DlistNode } from './types.js';

/** First child with this key (`dlist_getchild`), or undefined. */
export function getChild(kv: DlistNode | undefined, key: string): DlistNode | undefined {
  if (!kv || kv.type !== 'kvlist') return undefined;
  for (const it of kv.items) if (it.key === key) return it.value;
  return undefined;
}

/** `dlist_toatom`: NIL → null; atoms, flags, buffers without NUL, numbers → their text. */
export function toAtom(n: DlistNode | undefined): string | null | undefined {
  if (!n) return undefined;
  switch (n.type) {
    case 'nil':
      return null;
    case 'atom':
    case 'flag':
      return n.value;
    case 'buf':
      return n.value.includes(0) ? undefined : n.value.toString('latin1');
    case 'num':
      return BigInt.asUintN(64, n.value).toString();
    case 'hex':
      return BigInt.asUintN(64, n.value).toString(16).padStart(16, '0');
    case 'guid':
      return n.value.toLowerCase();
    default:
      return undefined;
  }
}

const U64_MAX = (1n << 64n) - 1n;

/** `dlist_tonum64`: the whole string must be decimal digits, ≤ 2^64−1, no sign. */
export function toNum64(n: DlistNode | undefined): bigint | undefined {
  if (!n) return undefined;
  if (n.type === 'num' || n.type === 'hex') return BigInt.asUintN(64, n.value);
  if (n.type !== 'atom' && n.type !== 'buf') return undefined;
  const s = n.type === 'atom' ? n.value : n.value.toString('latin1');
  if (!/^[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v > U64_MAX ? undefined : v;
}

/** `dlist_tonum32`: as toNum64, then silently truncated to 32 bits (as Cyrus does). */
export function toNum32(n: DlistNode | undefined): number | undefined {
  const v = toNum64(n);
  return v === undefined ? undefined : Number(BigInt.asUintN(32, v));
}

/** `dlist_tohex64`: hex digits only. */
export function toHex64(n: DlistNode | undefined): bigint | undefined {
  if (!n) return undefined;
  if (n.type === 'num' || n.type === 'hex') return BigInt.asUintN(64, n.value);
  if (n.type !== 'atom' && n.type !== 'buf') return undefined;
  const s = n.type === 'atom' ? n.value : n.value.toString('latin1');
  if (!/^[0-9a-fA-F]{1,16}$/.test(s)) return undefined;
  return BigInt('0x' + s);
}

/** `dlist_toguid`: exactly 40 hex digits, either case; returned lowercase. */
export function toGuid(n: DlistNode | undefined): string | undefined {
  if (!n) return undefined;
  if (n.type === 'guid') return n.value.toLowerCase();
  const s = n.type === 'atom' ? n.value : n.type === 'buf' ? n.value.toString('latin1') : undefined;
  return s !== undefined && /^[0-9a-fA-F]{40}$/.test(s) ? s.toLowerCase() : undefined;
}

export const asList = (n: DlistNode | undefined): DList | undefined => (n?.type === 'list' ? n : undefined);
export const asKvList = (n: DlistNode | undefined): DKvList | undefined => (n?.type === 'kvlist' ? n : undefined);
