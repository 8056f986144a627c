// Reads the few cyrus.index fields the cache/message oracle tests need, straight from the spec's
// offsets (cyrus-mailbox-format.md §4.1, §5.1, §5.5) for index versions 12–19. Kept deliberately
// tiny and test-only: it exists so these tests do not depend on the full index decoder.
import { readFileSync } from 'node:fs';

export interface IndexFields {
  uid: number;
  internaldate: number;
  sentdate: number;
  size: number;
  headerSize: number;
  gmtime: number;
  cacheOffset: number;
  cacheVersion: number;
  systemFlags: number;
  guid: string;
  cacheCrc: number;
}

export function readIndexFields(path: string): { minorVersion: number; generation: number; records: IndexFields[] } {
  const b = readFileSync(path);
  const generation = b.readUInt32BE(0);
  const minorVersion = b.readUInt32BE(8);
  const start = b.readUInt32BE(12);
  const recSize = b.readUInt32BE(16);
  const n = b.readUInt32BE(20);
  const crcAt = minorVersion === 12 ? 88 : minorVersion <= 15 ? 96 : 104;
  const records: IndexFields[] = [];
  for (let i = 0; i < n; i++) {
    const o = start + i * recSize;
    const vword = b.readUInt32BE(o + 56);
    records.push({
      uid: b.readUInt32BE(o),
      internaldate: b.readUInt32BE(o + 4),
      sentdate: b.readUInt32BE(o + 8),
      size: b.readUInt32BE(o + 12),
      headerSize: b.readUInt32BE(o + 16),
      gmtime: b.readUInt32BE(o + 20),
      cacheOffset: (vword >>> 16) * 2 ** 32 + b.readUInt32BE(o + 24),
      cacheVersion: vword & 0xffff,
      systemFlags: b.readUInt32BE(o + 32),
      guid: b.subarray(o + 60, o + 80).toString('hex'),
      cacheCrc: b.readUInt32BE(o + crcAt),
    });
  }
  return { minorVersion, generation, records };
}
