// The bit meanings of cyrus.index words (spec cyrus-mailbox-format.md §4.6, §5.3, §5.4). One
// 32-bit word on disk holds both the IMAP system flags (low 16 bits) and Cyrus's internal flags
// (high 16 bits); Cyrus splits them on read, and so do we.

/** IMAP system flags, low half of the record's flags word. */
export const SystemFlag = {
  ANSWERED: 0x0001,
  FLAGGED: 0x0002,
  DELETED: 0x0004,
  DRAFT: 0x0008,
  /** The owner's \Seen (or everyone's with OPT_IMAP_SHAREDSEEN); only v12+ files set it. */
  SEEN: 0x0010,
} as const;

/** Cyrus internal flags, high half of the record's flags word (kept unshifted). */
export const InternalFlag = {
  SNOOZED: 0x04000000,
  SPLITCONVERSATION: 0x08000000,
  NEEDS_CLEANUP: 0x10000000,
  ARCHIVED: 0x20000000,
  UNLINKED: 0x40000000,
  EXPUNGED: 0x80000000,
} as const;

/** Header OPTIONS bits. */
export const IndexOption = {
  POP3_NEW_UIDL: 0x00000001,
  IMAP_CONDSTORE: 0x00000002,
  IMAP_SHAREDSEEN: 0x00000004,
  IMAP_DUPDELIVER: 0x00000008,
  IMAP_HAS_ALARMS: 0x00000010,
  MAILBOX_NEEDS_UNLINK: 0x20000000,
  MAILBOX_NEEDS_REPACK: 0x40000000,
  MAILBOX_DELETED: 0x80000000,
} as const;

/** Bits a 3.x writer keeps in OPTIONS (MAILBOX_OPT_VALID); v6/v7 keep only POP3_NEW_UIDL. */
export const OPTIONS_VALID_MASK = 0xe000001d;

/** System flag names as IMAP prints them, in bit order. */
export const SYSTEM_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [SystemFlag.ANSWERED, '\\Answered'],
  [SystemFlag.FLAGGED, '\\Flagged'],
  [SystemFlag.DELETED, '\\Deleted'],
  [SystemFlag.DRAFT, '\\Draft'],
  [SystemFlag.SEEN, '\\Seen'],
];

const INTERNAL_FLAG_NAMES = Object.entries(InternalFlag) as Array<[string, number]>;
const OPTION_NAMES = Object.entries(IndexOption) as Array<[string, number]>;

/** Names of the set system flags (`\Seen` …), sorted by name like IMAP clients show them. */
export function systemFlagNames(systemFlags: number): string[] {
  return SYSTEM_FLAG_NAMES.filter(([bit]) => systemFlags & bit)
    .map(([, name]) => name)
    .sort();
}

/** Names of the set internal flags (`EXPUNGED`, `UNLINKED` …), sorted. */
export function internalFlagNames(internalFlags: number): string[] {
  return INTERNAL_FLAG_NAMES.filter(([, bit]) => (internalFlags & bit) >>> 0 === bit)
    .map(([name]) => name)
    .sort();
}

/** Names of the set OPTIONS bits (`POP3_NEW_UIDL` …). */
export function optionNames(options: number): string[] {
  return OPTION_NAMES.filter(([, bit]) => (options & bit) >>> 0 === bit).map(([name]) => name);
}

/** Low-half bits that no Cyrus defines (5–15) and high-half bits below SNOOZED (16–25). */
export const UNDEFINED_FLAG_BITS = 0x03ffffe0;

export const isExpunged = (r: { internalFlags: number }) => (r.internalFlags & InternalFlag.EXPUNGED) !== 0;
export const isUnlinked = (r: { internalFlags: number }) => (r.internalFlags & InternalFlag.UNLINKED) !== 0;

/** User flag numbers (0–127) set in the user_flags words; bit n lives in word n/32, bit n%32. */
export function userFlagBits(words: readonly number[]): number[] {
  const bits: number[] = [];
  words.forEach((word, w) => {
    for (let b = 0; b < 32; b++) if ((word >>> b) & 1) bits.push(w * 32 + b);
  });
  return bits;
}

/** The user_flags words (4 × u32) with the given flag numbers set. */
export function userFlagWords(bits: Iterable<number>, wordCount = 4): number[] {
  const words = new Array<number>(wordCount).fill(0);
  for (const n of bits) {
    if (!Number.isInteger(n) || n < 0 || n >= wordCount * 32) throw new RangeError(`user flag ${n}`);
    words[n >> 5] = (words[n >> 5]! | (1 << (n & 31))) >>> 0;
  }
  return words;
}
