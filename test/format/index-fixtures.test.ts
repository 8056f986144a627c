// Decoding every real Cyrus 3.6.1 cyrus.index fixture (v12–v17 and the seen fixture's three
// mailboxes) gives exactly what Cyrus itself reported (expected.json, mbexamine), every CRC
// checks, and decode → encode reproduces the file byte for byte.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeIndex,
  decodeIndexHeader,
  decodeIndexRecord,
  encodeIndex,
  encodeIndexHeader,
  encodeIndexRecord,
  indexGeometry,
  internalFlagNames,
  systemFlagNames,
  type IndexHeader,
  type IndexRecord,
} from '../../src/format/index/index.js';
import { MAILBOX_FIXTURES } from '../helpers/fixtures.js';


const num = (v: bigint | number | undefined) => (v === undefined ? null : Number(v));

/** Our header in expected.json's vocabulary (null where the version has no such field). */
function headerView(h: IndexHeader) {
  return {
    answered: h.answered,
    createdmodseq: num(h.createdmodseq),
    deleted: h.deleted,
    deletedmodseq: num(h.deletedmodseq),
    exists: h.exists ?? null,
    first_expunged: h.firstExpunged ?? null,
    flagged: h.flagged,
    generation_no: h.generationNo,
    header_file_crc: h.headerFileCrc ?? null,
    highestmodseq: num(h.highestmodseq),
    last_uid: h.lastUid,
    leaked_cache: h.leakedCacheRecords,
    num_records: h.numRecords,
    options: h.options,
    quota_annot_used: num(h.quotaAnnotUsed),
    quota_mailbox_used: num(h.quotaMailboxUsed),
    recenttime: h.recenttime ?? null,
    recentuid: h.recentuid ?? null,
    record_size: h.recordSize,
    start_offset: h.startOffset,
    uidvalidity: h.uidvalidity,
    unseen: h.unseen ?? null,
  };
}

function recordView(r: IndexRecord) {
  return {
    cache_crc: r.cacheCrc ?? null,
    cache_version: r.cacheVersion,
    createdmodseq: num(r.createdmodseq),
    gmtime: r.gmtime ?? null,
    guid: r.guid ?? null,
    header_size: r.headerSize,
    internal_flags: internalFlagNames(r.internalFlags),
    internaldate: r.internaldate,
    last_updated: r.lastUpdated,
    modseq: num(r.modseq),
    record_crc_ok: r.crcOk,
    savedate: r.savedate ?? null,
    sentdate: r.sentdate,
    size: num(r.size),
    system_flags: systemFlagNames(r.systemFlags),
    thrid: r.cid === undefined ? null : r.cid.toString(16).padStart(16, '0'),
    uid: r.uid,
    user_flags: r.userFlags,
  };
}

describe.each(MAILBOX_FIXTURES)('real Cyrus cyrus.index %s', (_name, dir) => {
  const load = () => {
    const root = dir();
    const expected = JSON.parse(readFileSync(join(root, 'expected.json'), 'utf8'));
    const buf = readFileSync(join(root, 'mailbox', 'cyrus.index'));
    const mbexamine = readFileSync(join(root, 'mbexamine.txt'), 'utf8');
    return { expected, buf, mbexamine };
  };

  it('decodes the header exactly as Cyrus reported it, with a valid CRC', () => {
    const { expected, buf, mbexamine } = load();
    const h = decodeIndexHeader(buf);
    expect(h.minorVersion).toBe(expected.minor_version);
    expect(headerView(h)).toEqual(expected.index_header);
    expect(h.crcOk).toBe(true);
    expect(h.crcComputed).toBe(h.crcStored);
    expect(h.syncCrcBasic).toBe(expected.stored_sync_crc.basic);
    expect(h.syncCrcAnnot ?? null).toBe(expected.stored_sync_crc.annot);
    expect(h.quirks).toEqual([]);
    // Fields expected.json leaves out, from Cyrus's mbexamine.
    expect(mbexamine).toContain(`Last Append Date: (${h.lastAppenddate})`);
    expect(mbexamine).toContain(`Last POP3 Login: (${h.pop3LastLogin})`);
    expect(mbexamine).toContain(`Generation Number: ${h.generationNo}\n`);
    expect(mbexamine).toContain(`Header Size: ${h.startOffset} bytes  Record Size: ${h.recordSize} bytes`);
    expect(h.spare === undefined || h.spare.every((b) => b === 0)).toBe(true);
  });

  it('decodes every record exactly as Cyrus reported it, with valid CRCs', () => {
    const { expected, buf, mbexamine } = load();
    const { header, records, trailing } = decodeIndex(buf);
    expect(trailing).toBeUndefined();
    expect(records.map(recordView)).toEqual(expected.index_records);
    for (const r of records) {
      expect(r.crcOk).toBe(true);
      expect(r.recordCrcComputed).toBe(r.recordCrc);
    }
    // mbexamine lists the visible records with the raw flags word and user flags (high word first).
    for (const r of records.filter((x) => !internalFlagNames(x.internalFlags).includes('EXPUNGED'))) {
      const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
      expect(mbexamine).toContain(`UID:${String(r.uid).padStart(8, '0')}   INT_DATE:${r.internaldate} `);
      expect(mbexamine).toContain(`SYSFLAGS:${hex(r.systemFlags)} `);
      expect(mbexamine).toContain(`USERFLAGS: ${[...r.userFlags].reverse().map(hex).join(' ')}`);
    }
    expect(header.numRecords).toBe(records.length);
  });

  it('streams the same records one at a time with decodeIndexRecord', () => {
    const { buf } = load();
    const h = decodeIndexHeader(buf);
    const geo = indexGeometry(h, buf.length);
    expect(geo).toEqual({
      expectedRecords: h.numRecords,
      recordCount: h.numRecords,
      expectedSize: buf.length,
      truncated: false,
      trailingBytes: 0,
    });
    const all = decodeIndex(buf).records;
    for (let i = 0; i < geo.recordCount; i++) {
      expect(decodeIndexRecord(buf, h.startOffset + i * h.recordSize, h)).toEqual(all[i]);
      expect(decodeIndexRecord(buf, h.startOffset + i * h.recordSize, h.minorVersion)).toEqual(all[i]);
    }
  });

  it('re-encodes to the identical bytes, with stored or recomputed CRCs', () => {
    const { buf } = load();
    const file = decodeIndex(buf);
    expect(encodeIndex(file).equals(buf)).toBe(true);
    // The stored CRCs are right, so recomputing them changes nothing either.
    expect(encodeIndex(file, { recomputeCrc: true }).equals(buf)).toBe(true);
    expect(encodeIndexHeader(file.header).equals(buf.subarray(0, file.header.startOffset))).toBe(true);
    const r0 = encodeIndexRecord(file.records[0]!, file.header.minorVersion);
    expect(r0.equals(buf.subarray(file.header.startOffset, file.header.startOffset + file.header.recordSize))).toBe(true);
  });
});
