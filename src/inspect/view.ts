// What `inspect` shows of a mailbox: header fields and every record, decoded and named (flags
// by name, times as dates, cache items as text). Pure over buffers; a file that cannot be
// decoded becomes an error entry in the view, so the rest is still shown.
import { CACHE_ITEMS, decodeCacheRecord, type CacheItemName } from '../format/cache.js';
import { decodeHeader, type MailboxHeader } from '../format/header.js';
import {
  decodeIndexHeader,
  decodeIndexRecord,
  indexGeometry,
  internalFlagNames,
  optionNames,
  systemFlagNames,
  userFlagBits,
  type IndexHeader,
  type IndexRecord,
} from '../format/index/index.js';
import { FormatError } from '../errors.js';

export interface InspectFiles {
  header?: Buffer;
  index?: Buffer;
  cache?: Buffer;
}

export interface RecordView {
  uid: number;
  flags: string[];
  internalFlags: string[];
  /** User flag bits set but with no name in cyrus.header. */
  unnamedFlagBits: number[];
  internaldate: number;
  internaldateIso: string;
  sentdate: number;
  size: bigint;
  headerSize: number;
  lastUpdated: number;
  guid?: string;
  modseq?: bigint;
  cid?: bigint;
  savedate?: number;
  createdmodseq?: bigint;
  cacheVersion: number;
  cacheOffset: number;
  crcOk: boolean;
  cache?: Partial<Record<CacheItemName, string>>;
  cacheError?: string;
}

export interface MailboxView {
  header?: MailboxHeader;
  headerError?: string;
  index?: IndexHeader & { options_names: string[] };
  indexError?: string;
  /** Records the header counts but the file is too short to hold (INDEX_TRUNCATED). */
  missingRecords?: number;
  /** Bytes after the committed records: uncommitted appends or debris (legal). */
  trailingBytes?: number;
  records: RecordView[];
}

const iso = (t: number) => (Number.isFinite(t) ? new Date(t * 1000).toISOString() : String(t));

function describe(e: unknown): string {
  if (e instanceof FormatError) return e.message;
  throw e;
}

/** Decodes what can be decoded. `withCache` adds the cache items of each record. */
export function inspectMailbox(files: InspectFiles, { withCache = true } = {}): MailboxView {
  const view: MailboxView = { records: [] };
  if (files.header) {
    try {
      view.header = decodeHeader(files.header);
    } catch (e) {
      view.headerError = describe(e);
    }
  } else view.headerError = 'cyrus.header missing';

  if (!files.index) {
    view.indexError = 'cyrus.index missing';
    return view;
  }
  let ih: IndexHeader;
  try {
    ih = decodeIndexHeader(files.index);
  } catch (e) {
    view.indexError = describe(e);
    return view;
  }
  view.index = { ...ih, options_names: optionNames(ih.options) };
  const geo = indexGeometry(ih, files.index.length);
  if (geo.truncated) view.missingRecords = geo.expectedRecords - geo.recordCount;
  if (geo.trailingBytes) view.trailingBytes = geo.trailingBytes;
  const names = view.header?.userFlags ?? [];
  for (let n = 0; n < geo.recordCount; n++) {
    const r = decodeIndexRecord(files.index, ih.startOffset + n * ih.recordSize, ih);
    view.records.push(recordView(r, names, withCache ? files.cache : undefined));
  }
  return view;
}

function recordView(r: IndexRecord, flagNames: readonly string[], cache: Buffer | undefined): RecordView {
  const bits = userFlagBits(r.userFlags);
  const v: RecordView = {
    uid: r.uid,
    flags: [...systemFlagNames(r.systemFlags), ...bits.filter((b) => flagNames[b]).map((b) => flagNames[b]!)],
    internalFlags: internalFlagNames(r.internalFlags),
    unnamedFlagBits: bits.filter((b) => !flagNames[b]),
    internaldate: r.internaldate,
    internaldateIso: iso(r.internaldate),
    sentdate: r.sentdate,
    size: r.size,
    headerSize: r.headerSize,
    lastUpdated: r.lastUpdated,
    guid: r.guid,
    modseq: r.modseq,
    cid: r.cid,
    savedate: r.savedate,
    createdmodseq: r.createdmodseq,
    cacheVersion: r.cacheVersion,
    cacheOffset: r.cacheOffset,
    crcOk: r.crcOk,
  };
  if (cache && r.cacheOffset) {
    try {
      const rec = decodeCacheRecord(cache, r.cacheOffset, r.cacheVersion);
      v.cache = Object.fromEntries(CACHE_ITEMS.map((k) => [k, rec.items[k].toString('latin1')]));
    } catch (e) {
      v.cacheError = describe(e);
    }
  }
  return v;
}
