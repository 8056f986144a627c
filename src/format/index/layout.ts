// Per-version byte layouts of the cyrus.index header and record (spec cyrus-mailbox-format.md
// §1, §4, §5; Cyrus master imap/index_file.c). Field tables drive both decode and encode, so the
// two cannot disagree. Bytes no field covers are "spare": kept verbatim so a round trip is exact.

/** How a field is stored. All integers are big-endian. */
export type FieldKind =
  | 'u32' // number
  | 'u32big' // u32 on disk, bigint in memory (sizes/quotas that became 64-bit later)
  | 'u64' // bigint; not necessarily 8-byte aligned before v19
  | 't64ns' // v20 time: u64 nanoseconds; in memory whole seconds + nsec part
  | 'userflags' // 4 × u32
  | 'guid' // 20 bytes → 40 lowercase hex
  | 'uuid12'; // 2.3's 12-byte message UUID → 24 hex

export const FIELD_SIZE: Record<FieldKind, number> = {
  u32: 4,
  u32big: 4,
  u64: 8,
  t64ns: 8,
  userflags: 16,
  guid: 20,
  uuid12: 12,
};

export interface FieldSpec<N extends string = string> {
  readonly name: N;
  readonly offset: number;
  readonly kind: FieldKind;
}

export type HeaderFieldName =
  | 'generationNo' | 'format' | 'minorVersion' | 'startOffset' | 'recordSize' | 'numRecords'
  | 'lastAppenddate' | 'lastUid' | 'quotaMailboxUsed' | 'pop3LastLogin' | 'uidvalidity'
  | 'deleted' | 'answered' | 'flagged' | 'options' | 'leakedCacheRecords' | 'highestmodseq'
  | 'deletedmodseq' | 'exists' | 'firstExpunged' | 'lastRepackTime' | 'headerFileCrc'
  | 'syncCrcBasic' | 'recentuid' | 'recenttime' | 'pop3ShowAfter' | 'quotaAnnotUsed'
  | 'syncCrcAnnot' | 'unseen' | 'createdmodseq' | 'changesEpoch' | 'quotaDeletedUsed'
  | 'quotaExpungedUsed';

export type RecordFieldName =
  | 'uid' | 'internaldate' | 'sentdate' | 'size' | 'headerSize' | 'gmtime' | 'contentOffset'
  | 'lastUpdated' | 'userFlags' | 'contentLines' | 'savedate' | 'messageUuid' | 'guid' | 'modseq'
  | 'cid' | 'createdmodseq' | 'basecid' | 'cacheCrc';

/**
 * Offsets of the record words that pack two values each (split by record.ts, §5.3, §5.5): the
 * flags word (system | internal flags), the low cache offset word, and the cache_version word
 * (whose high half extends the cache offset).
 */
export interface PackedWords {
  readonly flags: number;
  readonly cacheOffsetLow: number;
  readonly cacheVersion: number;
}

export interface IndexLayout {
  readonly version: number;
  readonly headerSize: number;
  readonly recordSize: number;
  readonly header: readonly FieldSpec<HeaderFieldName>[];
  readonly record: readonly FieldSpec<RecordFieldName>[];
  readonly packed: PackedWords;
  /** Offset of the header CRC (last 4 header bytes), v12+. */
  readonly headerCrcOffset?: number;
  /** Offset of the record CRC (last 4 record bytes), v12+. */
  readonly recordCrcOffset?: number;
  /** Header byte ranges [start, end) covered by no field and no CRC. */
  readonly headerSpare: ReadonlyArray<readonly [number, number]>;
}

type F<N extends string> = [N, number, FieldKind];
const fields = <N extends string>(list: F<N>[]): FieldSpec<N>[] =>
  list.map(([name, offset, kind]) => ({ name, offset, kind }));

const BASE: F<HeaderFieldName>[] = [
  ['generationNo', 0, 'u32'], ['format', 4, 'u32'], ['minorVersion', 8, 'u32'],
  ['startOffset', 12, 'u32'], ['recordSize', 16, 'u32'], ['numRecords', 20, 'u32'],
];

/** v6–v18: fields were only ever appended; `since` is the first version holding each. */
const CLASSIC_HEADER: Array<[number, ...F<HeaderFieldName>]> = [
  [6, 'lastAppenddate', 24, 'u32'], [6, 'lastUid', 28, 'u32'], [6, 'quotaMailboxUsed', 32, 'u64'],
  [6, 'pop3LastLogin', 40, 'u32'], [6, 'uidvalidity', 44, 'u32'], [6, 'deleted', 48, 'u32'],
  [6, 'answered', 52, 'u32'], [6, 'flagged', 56, 'u32'], [6, 'options', 60, 'u32'],
  [6, 'leakedCacheRecords', 64, 'u32'], [8, 'highestmodseq', 68, 'u64'],
  [12, 'deletedmodseq', 76, 'u64'], [12, 'exists', 84, 'u32'], [12, 'firstExpunged', 88, 'u32'],
  [12, 'lastRepackTime', 92, 'u32'], [12, 'headerFileCrc', 96, 'u32'], [12, 'syncCrcBasic', 100, 'u32'],
  [12, 'recentuid', 104, 'u32'], [12, 'recenttime', 108, 'u32'], [13, 'pop3ShowAfter', 112, 'u32'],
  [13, 'quotaAnnotUsed', 116, 'u32big'], [13, 'syncCrcAnnot', 120, 'u32'], [14, 'unseen', 124, 'u32'],
  [16, 'createdmodseq', 128, 'u64'], [17, 'changesEpoch', 136, 'u32'],
  [18, 'quotaDeletedUsed', 140, 'u64'], [18, 'quotaExpungedUsed', 148, 'u64'],
];

/** v19 re-ordered the header so every u64 is 8-byte aligned. */
const V19_HEADER: F<HeaderFieldName>[] = [
  ['lastAppenddate', 24, 'u32'], ['lastUid', 28, 'u32'], ['quotaMailboxUsed', 32, 'u64'],
  ['pop3LastLogin', 40, 'u32'], ['uidvalidity', 44, 'u32'], ['deleted', 48, 'u32'],
  ['answered', 52, 'u32'], ['flagged', 56, 'u32'], ['exists', 60, 'u32'], ['options', 64, 'u32'],
  ['leakedCacheRecords', 68, 'u32'], ['highestmodseq', 72, 'u64'], ['deletedmodseq', 80, 'u64'],
  ['firstExpunged', 88, 'u32'], ['lastRepackTime', 92, 'u32'], ['headerFileCrc', 96, 'u32'],
  ['syncCrcBasic', 100, 'u32'], ['recentuid', 104, 'u32'], ['recenttime', 108, 'u32'],
  ['pop3ShowAfter', 112, 'u32'], ['quotaAnnotUsed', 116, 'u32big'], ['syncCrcAnnot', 120, 'u32'],
  ['unseen', 124, 'u32'], ['createdmodseq', 128, 'u64'], ['quotaDeletedUsed', 136, 'u64'],
  ['quotaExpungedUsed', 144, 'u64'], ['changesEpoch', 152, 'u32'],
];

/** v20 (master): times in nanoseconds, quota_annot_used 64-bit, re-ordered again. */
const V20_HEADER: F<HeaderFieldName>[] = [
  ['lastAppenddate', 24, 't64ns'], ['quotaMailboxUsed', 32, 'u64'], ['pop3LastLogin', 40, 't64ns'],
  ['deleted', 48, 'u32'], ['answered', 52, 'u32'], ['flagged', 56, 'u32'], ['exists', 60, 'u32'],
  ['options', 64, 'u32'], ['leakedCacheRecords', 68, 'u32'], ['highestmodseq', 72, 'u64'],
  ['deletedmodseq', 80, 'u64'], ['lastUid', 88, 'u32'], ['uidvalidity', 92, 'u32'],
  ['headerFileCrc', 96, 'u32'], ['syncCrcBasic', 100, 'u32'], ['recenttime', 104, 't64ns'],
  ['pop3ShowAfter', 112, 't64ns'], ['syncCrcAnnot', 120, 'u32'], ['unseen', 124, 'u32'],
  ['createdmodseq', 128, 'u64'], ['quotaDeletedUsed', 136, 'u64'], ['quotaExpungedUsed', 144, 'u64'],
  ['quotaAnnotUsed', 152, 'u64'], ['changesEpoch', 160, 't64ns'], ['firstExpunged', 168, 't64ns'],
  ['lastRepackTime', 176, 't64ns'], ['recentuid', 184, 'u32'],
];

function classicRecord(v: number): F<RecordFieldName>[] {
  const f: F<RecordFieldName>[] = [
    ['uid', 0, 'u32'], ['internaldate', 4, 'u32'], ['sentdate', 8, 'u32'], ['size', 12, 'u32big'],
    ['headerSize', 16, 'u32'],
    // Before v12 this slot is content_offset (= header_size), not a time.
    [v >= 12 ? 'gmtime' : 'contentOffset', 20, 'u32'],
    ['lastUpdated', 28, 'u32'], ['userFlags', 36, 'userflags'],
    [v >= 15 ? 'savedate' : 'contentLines', 52, 'u32'],
  ];
  if (v <= 9) {
    if (v >= 7) f.push(['messageUuid', 60, 'uuid12']);
    if (v >= 8) f.push(['modseq', 72, 'u64']);
    return f;
  }
  f.push(['guid', 60, 'guid'], ['modseq', 80, 'u64']);
  if (v === 12) f.push(['cacheCrc', 88, 'u32']);
  if (v >= 13) f.push(['cid', 88, 'u64']);
  if (v >= 13 && v <= 15) f.push(['cacheCrc', 96, 'u32']);
  if (v >= 16) f.push(['createdmodseq', 96, 'u64'], ['cacheCrc', 104, 'u32']);
  return f;
}

const V20_RECORD: F<RecordFieldName>[] = [
  ['uid', 0, 'u32'], ['internaldate', 8, 't64ns'], ['sentdate', 16, 't64ns'], ['size', 24, 'u64'],
  ['headerSize', 32, 'u32'], ['userFlags', 40, 'userflags'], ['guid', 60, 'guid'],
  ['modseq', 80, 'u64'], ['cid', 88, 'u64'], ['createdmodseq', 96, 'u64'], ['gmtime', 104, 't64ns'],
  ['lastUpdated', 112, 't64ns'], ['savedate', 120, 't64ns'], ['basecid', 128, 'u64'],
  ['cacheCrc', 136, 'u32'],
];

const CLASSIC_PACKED: PackedWords = { flags: 32, cacheOffsetLow: 24, cacheVersion: 56 };
const V20_PACKED: PackedWords = { flags: 36, cacheOffsetLow: 4, cacheVersion: 56 };

const SIZES: Record<number, [header: number, record: number]> = {
  6: [76, 60], 7: [76, 72], 8: [92, 80], 9: [96, 80], 10: [96, 88], 12: [128, 96], 13: [128, 104],
  14: [160, 104], 15: [160, 104], 16: [160, 112], 17: [160, 112], 18: [160, 112], 19: [160, 112],
  20: [192, 144],
};

function uncovered(size: number, specs: readonly FieldSpec[], crcOffset?: number): Array<[number, number]> {
  const used = new Uint8Array(size);
  for (const s of specs) used.fill(1, s.offset, s.offset + FIELD_SIZE[s.kind]);
  if (crcOffset !== undefined) used.fill(1, crcOffset, crcOffset + 4);
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < size; i++) {
    if (used[i]) continue;
    const start = i;
    while (i < size && !used[i]) i++;
    ranges.push([start, i]);
  }
  return ranges;
}

function makeLayout(v: number): IndexLayout {
  const [headerSize, recordSize] = SIZES[v]!;
  const header = fields([
    ...BASE,
    ...(v === 20 ? V20_HEADER : v === 19 ? V19_HEADER
      : CLASSIC_HEADER.filter(([since]) => since <= v).map(([, ...f]) => f as F<HeaderFieldName>)),
  ]);
  const record = fields(v === 20 ? V20_RECORD : classicRecord(v));
  const hasCrc = v >= 12;
  const headerCrcOffset = hasCrc ? headerSize - 4 : undefined;
  return {
    version: v,
    headerSize,
    recordSize,
    header,
    record,
    packed: v === 20 ? V20_PACKED : CLASSIC_PACKED,
    headerCrcOffset,
    recordCrcOffset: hasCrc ? recordSize - 4 : undefined,
    headerSpare: uncovered(headerSize, header, headerCrcOffset),
  };
}

/** Minor versions with a known layout: 6–10 and 12–20 (11 was never released). */
export const INDEX_VERSIONS: readonly number[] = Object.keys(SIZES).map(Number);

const LAYOUTS = new Map(INDEX_VERSIONS.map((v) => [v, makeLayout(v)]));

/** The layout of a minor version, or undefined for a version no Cyrus ever released. */
export function indexLayout(version: number): IndexLayout | undefined {
  return LAYOUTS.get(version);
}

/** master accepts a v19 header whose record_size is the v20 size (dev builds, §1). */
export const V19_WIDE_RECORD_SIZE = 144;
