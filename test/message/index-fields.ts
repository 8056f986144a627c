// The cyrus.index fields the cache/message oracle tests compare, read with the project's index
// decoder (src/format/index) and flattened to what these tests need.
import { readFileSync } from 'node:fs';
import { decodeIndex } from '../../src/format/index/index.js';

export interface IndexFields {
  uid: number;
  internaldate: number;
  sentdate: number;
  size: number;
  headerSize: number;
  gmtime: number;
  cacheOffset: number;
  cacheVersion: number;
  /** The whole flags word (system | internal flags). */
  systemFlags: number;
  guid: string;
  cacheCrc: number;
  /** Index versions before 15 only (later ones keep it in SECTION). */
  contentLines: number | undefined;
}

export function readIndexFields(path: string): { minorVersion: number; generation: number; records: IndexFields[] } {
  const { header, records } = decodeIndex(readFileSync(path));
  return {
    minorVersion: header.minorVersion,
    generation: header.generationNo,
    records: records.map((r) => ({
      uid: r.uid,
      internaldate: r.internaldate,
      sentdate: r.sentdate,
      size: Number(r.size),
      headerSize: r.headerSize,
      gmtime: r.gmtime ?? 0,
      cacheOffset: r.cacheOffset,
      cacheVersion: r.cacheVersion,
      systemFlags: (r.systemFlags | r.internalFlags) >>> 0,
      guid: r.guid ?? '',
      cacheCrc: r.cacheCrc ?? 0,
      contentLines: r.contentLines,
    })),
  };
}
