// Our codecs' reading of a live mailbox next to Cyrus's own reading of it. Each function returns
// a pair { ours, cyrus } of plain objects built the same way, so a test can `toEqual` them and a
// failure shows the differing field. Cyrus's side comes from IMAP (EXAMINE/FETCH), mbexamine and
// the SYNC_CRC words it stored; ours from src/format decoders over the files on disk.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTwoskip } from '../../src/db/twoskip.js';
import { messageAnnotations } from '../../src/format/annotations.js';
import { decodeCacheRecord } from '../../src/format/cache.js';
import { decodeHeader } from '../../src/format/header.js';
import { decodeIndex, isExpunged, optionNames, systemFlagNames, userFlagBits, type IndexFile } from '../../src/format/index/index.js';
import { syncCrcAnnot, syncCrcBasic } from '../../src/format/synccrc.js';
import { expectedCacheRecord } from '../../src/message/record.js';
import type { CyrusInstance } from '../harness/instance.js';
import { imapView, mbexamine, mbpath, storedSyncCrcs, type Mbexamine } from '../harness/tools.js';

export interface DecodedMailbox {
  dir: string;
  index: IndexFile;
  indexBytes: Buffer;
  /** User flag names by bit, byte strings as decodeHeader gives them. */
  flagNames: string[];
  header: ReturnType<typeof decodeHeader>;
  cache?: Buffer;
  annotations: ReturnType<typeof messageAnnotations>;
}

/** Reads and decodes a live mailbox's files with our codecs. */
export async function decodeLive(inst: CyrusInstance, mailbox: string, knownDir?: string): Promise<DecodedMailbox> {
  const dir = knownDir ?? (await mbpath(inst, mailbox));
  const indexBytes = readFileSync(join(dir, 'cyrus.index'));
  const header = decodeHeader(readFileSync(join(dir, 'cyrus.header')));
  const annotFile = join(dir, 'cyrus.annotations');
  const annotations = existsSync(annotFile) ? messageAnnotations(readTwoskip(readFileSync(annotFile)).records, mailbox) : [];
  const cacheFile = join(dir, 'cyrus.cache');
  return {
    dir,
    index: decodeIndex(indexBytes),
    indexBytes,
    flagNames: header.userFlags,
    header,
    cache: existsSync(cacheFile) ? readFileSync(cacheFile) : undefined,
    annotations,
  };
}

const utf8 = (byteString: string) => Buffer.from(byteString, 'latin1').toString('utf8');

/** A record's flags by name, as IMAP shows them: system flags, then keywords from cyrus.header. */
export function flagsByName(r: { systemFlags: number; userFlags: number[] }, flagNames: string[]): string[] {
  const users = userFlagBits(r.userFlags).map((bit) => utf8(flagNames[bit] ?? `<unnamed flag ${bit}>`));
  return [...systemFlagNames(r.systemFlags), ...users].sort();
}

/** Our decoded index against Cyrus's IMAP view: mailbox state and every live message. */
export async function againstImap(inst: CyrusInstance, mailbox: string, d: DecodedMailbox) {
  const view = await imapView(inst, mailbox);
  const h = d.index.header;
  const live = d.index.records.filter((r) => !isExpunged(r));
  const ours = {
    uidvalidity: h.uidvalidity,
    uidnext: h.lastUid + 1,
    highestmodseq: h.highestmodseq,
    exists: h.exists,
    messages: live.map((r) => ({
      uid: r.uid,
      flags: flagsByName(r, d.flagNames),
      modseq: r.modseq,
      size: Number(r.size),
      internaldate: r.internaldate,
      sha1: r.guid,
    })),
  };
  const cyrus = {
    uidvalidity: view.uidvalidity,
    uidnext: view.uidnext,
    highestmodseq: view.highestmodseq,
    exists: view.exists,
    messages: view.messages,
  };
  return { ours, cyrus };
}

/** Our decoded header, index and cache against `mbexamine` (which skips expunged records). */
export async function againstMbexamine(inst: CyrusInstance, mailbox: string, d: DecodedMailbox, examined?: Mbexamine) {
  const ex = examined ?? (await mbexamine(inst, mailbox));
  const h = d.index.header;
  const firstUnused = d.flagNames.indexOf('');
  const namedFlags = (firstUnused < 0 ? d.flagNames : d.flagNames.slice(0, firstUnused)).map(utf8);
  const CACHE_NAMES = { Envel: 'ENVELOPE', BdyStr: 'BODYSTRUCTURE', Body: 'BODY', CacHdr: 'HEADERS', From: 'FROM', To: 'TO', Cc: 'CC', Bcc: 'BCC', Subjct: 'SUBJECT' } as const;
  const ours = {
    path: d.dir,
    uniqueid: d.header.uniqueid,
    acl: d.header.acl,
    userFlagNames: namedFlags,
    generation: h.generationNo,
    minorVersion: h.minorVersion,
    headerSize: h.startOffset,
    recordSize: h.recordSize,
    exists: h.exists,
    quotaUsed: h.quotaMailboxUsed,
    annotUsed: h.quotaAnnotUsed ?? 0n,
    lastAppendDate: h.lastAppenddate,
    uidvalidity: h.uidvalidity,
    lastUid: h.lastUid,
    deleted: h.deleted,
    answered: h.answered,
    flagged: h.flagged,
    options: optionNames(h.options).filter((o) => /^(POP3_NEW_UIDL|IMAP_SHAREDSEEN|IMAP_DUPDELIVER|IMAP_HAS_ALARMS)$/.test(o)),
    pop3LastLogin: h.pop3LastLogin,
    highestModseq: h.highestmodseq,
    records: d.index.records
      .filter((r) => !isExpunged(r))
      .map((r) => {
        const cache = d.cache && r.cacheOffset ? decodeCacheRecord(d.cache, r.cacheOffset, r.cacheVersion).items : undefined;
        return {
          uid: r.uid,
          internaldate: r.internaldate,
          sentdate: r.sentdate,
          savedate: r.savedate ?? 0,
          size: Number(r.size),
          headerSize: r.headerSize,
          lastUpdated: r.lastUpdated,
          systemFlags: r.systemFlags,
          cacheVersion: r.cacheVersion,
          guid: r.guid,
          modseq: r.modseq,
          thrid: h.minorVersion >= 13 ? (r.cid ?? 0n).toString(16) : undefined,
          userFlags: r.userFlags,
          cache: cache ? Object.fromEntries(Object.entries(CACHE_NAMES).map(([k, v]) => [k, Buffer.from(cache[v]).toString('latin1')])) : {},
        };
      }),
  };
  const cyrus = {
    ...ex,
    records: ex.records.map((r) => ({
      uid: r.uid,
      internaldate: r.internaldate,
      sentdate: r.sentdate,
      savedate: r.savedate,
      size: r.size,
      headerSize: r.headerSize,
      lastUpdated: r.lastUpdated,
      systemFlags: r.systemFlags,
      cacheVersion: r.cacheVersion,
      guid: r.guid,
      modseq: r.modseq,
      thrid: r.thrid,
      userFlags: r.userFlags,
      cache: Object.fromEntries(Object.entries(r.cache).map(([k, v]) => [k, v.toString('latin1')])),
    })),
  };
  return { ours, cyrus };
}

/** Our SYNC_CRCs (computed from records, flag names, annotations) against the stored ones. */
export function syncCrcs(d: DecodedMailbox) {
  const h = d.index.header;
  const stored = storedSyncCrcs(d.indexBytes);
  const ours = {
    decodedBasic: h.syncCrcBasic,
    decodedAnnot: h.syncCrcAnnot,
    computedBasic: syncCrcBasic(d.index.records, d.flagNames),
    computedAnnot: h.minorVersion >= 13 ? syncCrcAnnot(d.index.records, d.annotations, h.minorVersion) : undefined,
  };
  const cyrus = {
    decodedBasic: stored.basic,
    decodedAnnot: stored.annot,
    computedBasic: stored.basic,
    computedAnnot: stored.annot,
  };
  return { ours, cyrus };
}

/**
 * Our message parser over each live message file against what Cyrus wrote for it: the index
 * record's derived fields and the cache record, byte for byte.
 */
export function againstMessageFiles(d: DecodedMailbox) {
  const live = d.index.records.filter((r) => !isExpunged(r));
  const ours = live.map((r) => {
    const e = expectedCacheRecord(join(d.dir, `${r.uid}.`), { cacheVersion: r.cacheVersion });
    const { size, headerSize, sentdate, gmtime, guid, cacheCrc } = e.record;
    return { uid: r.uid, size, headerSize, sentdate, gmtime, guid, cacheCrc, cache: e.cacheRecord.toString('latin1') };
  });
  const cyrus = live.map((r) => {
    const c = d.cache ? decodeCacheRecord(d.cache, r.cacheOffset, r.cacheVersion) : undefined;
    return {
      uid: r.uid,
      size: Number(r.size),
      headerSize: r.headerSize,
      sentdate: r.sentdate,
      gmtime: r.gmtime,
      guid: r.guid,
      cacheCrc: r.cacheCrc,
      cache: c ? d.cache!.toString('latin1', c.offset, c.offset + c.length) : '',
    };
  });
  return { ours, cyrus };
}
