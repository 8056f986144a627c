// Mailboxes written natively by real Cyrus releases other than 3.6.1 — 3.2.6 (Debian bullseye,
// cyrus.index v16, cache v10), 3.10.2 (trixie, v19, cache v11) and 3.12.4 (sid, v19, cache v13) —
// made by test/harness/release-cyrus/make-fixtures.sh in Debian chroots. The oracle is what those
// servers themselves said: mbexamine, unexpunge -l, IMAP EXAMINE/FETCH and GETMETADATA
// /shared/vendor/cmu/cyrus-imapd/synccrcs (the stored SYNC_CRCs as imapd reads them). Our index
// decoder must read every header field and record as Cyrus did, our SYNC_CRCs must equal the
// stored ones, and `cyrus-fsck check` must find nothing on these clean mailboxes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readTwoskip } from '../../src/db/twoskip.js';
import { messageAnnotations } from '../../src/format/annotations.js';
import {
  decodeIndex,
  encodeIndex,
  internalFlagNames,
  isExpunged,
  optionNames,
  systemFlagNames,
} from '../../src/format/index/index.js';
import { SYNC_CRC_ALGORITHMS, syncCrcAnnot, syncCrcBasic } from '../../src/format/synccrc.js';
import { parseMbexamine } from '../harness/tools.js';
import { runCliJson } from '../helpers/cli.js';
import { copyOf } from '../helpers/fixtures.js';
import { corpusFixtureDir, expectCacheRecordsIntact, expectReencodesExactly, flagNames, imapTime, loadIndexFixture } from './release-fixtures.js';

/** Each release: what its source says it writes (imap/mailbox.h at the tag) and we must decode. */
const RELEASES = [
  { cyrus: '3.2.6', index: 16, cache: 10 },
  { cyrus: '3.10.2', index: 19, cache: 11 },
  { cyrus: '3.12.4', index: 19, cache: 13 },
] as const;

interface Expected {
  mailbox: string;
  uidvalidity: number;
  uidnext: number;
  highestmodseq: number;
  exists: number;
  stored_sync_crc: { basic: number; annot: number };
  messages: Array<{
    uid: number;
    flags: string[];
    modseq: number;
    size: number;
    internaldate: string;
    savedate: string;
    createdmodseq: number;
    guid: string;
    body_sha1: string;
  }>;
}

function required<T>(v: T | null, what: string): T {
  if (v === null) throw new Error(`the fixture has no ${what}`);
  return v;
}

/** Every cyrus-index fixture's files decoded (release-fixtures.ts), read as these releases write them. */
function load(cyrus: string) {
  const f = loadIndexFixture<Expected>(cyrus);
  return {
    ...f,
    mbexamine: parseMbexamine(f.mbexamineBuf),
    // 3.x keeps per-message annotations in the mailbox's own cyrus.annotations (twoskip).
    annotations: messageAnnotations(readTwoskip(required(f.annotationsBuf, 'cyrus.annotations')).records, f.expected.mailbox),
  };
}

describe.each(RELEASES)('a mailbox written by real Cyrus $cyrus (index v$index)', ({ cyrus, index: version, cache }) => {
  it(`is index v${version} with cache version ${cache}, as Cyrus ${cyrus}'s mbexamine says`, () => {
    const { index, mbexamine } = load(cyrus);
    expect(index.header.minorVersion).toBe(version);
    expect(mbexamine.minorVersion).toBe(version);
    expect(new Set(index.records.map((r) => r.cacheVersion))).toEqual(new Set([cache]));
    expect(new Set(mbexamine.records.map((r) => r.cacheVersion))).toEqual(new Set([cache]));
  });

  it(`cyrus.header (${version >= 17 ? 'dlist' : 'text'} format) decodes to the uniqueid, ACL and flag names mbexamine prints`, () => {
    const { header, mbexamine, expected } = load(cyrus);
    expect(header.format).toBe(version >= 17 ? 'dlist' : 'text');
    expect(header.uniqueid).toBe(mbexamine.uniqueid);
    expect(header.acl).toBe(mbexamine.acl);
    expect(header.userFlags).toEqual(mbexamine.userFlagNames);
    expect(header.userFlags).toEqual(['$Label1', 'Work', 'todo']);
    // Only the dlist header carries the name; the text one of 3.2 does not.
    expect(header.name).toBe(version >= 17 ? expected.mailbox : null);
  });

  it('header: every field Cyrus prints or serves equals our decode, and the CRC checks', () => {
    const { index, mbexamine, mbexamineText, expected, headerBuf } = load(cyrus);
    const h = index.header;
    expect(h.crcOk).toBe(true);
    expect(h.quirks).toEqual([]);
    expect(h.spare === undefined || h.spare.every((b) => b === 0)).toBe(true);
    expect({
      generation: h.generationNo,
      headerSize: h.startOffset,
      recordSize: h.recordSize,
      exists: h.exists,
      quotaUsed: h.quotaMailboxUsed,
      annotUsed: h.quotaAnnotUsed,
      lastAppendDate: h.lastAppenddate,
      uidvalidity: h.uidvalidity,
      lastUid: h.lastUid,
      deleted: h.deleted,
      answered: h.answered,
      flagged: h.flagged,
      options: optionNames(h.options),
      pop3LastLogin: h.pop3LastLogin,
      highestModseq: h.highestmodseq,
    }).toEqual({
      generation: mbexamine.generation,
      headerSize: mbexamine.headerSize,
      recordSize: mbexamine.recordSize,
      exists: mbexamine.exists,
      quotaUsed: mbexamine.quotaUsed,
      annotUsed: mbexamine.annotUsed,
      lastAppendDate: mbexamine.lastAppendDate,
      uidvalidity: mbexamine.uidvalidity,
      lastUid: mbexamine.lastUid,
      deleted: mbexamine.deleted,
      answered: mbexamine.answered,
      flagged: mbexamine.flagged,
      options: mbexamine.options,
      pop3LastLogin: mbexamine.pop3LastLogin,
      highestModseq: mbexamine.highestModseq,
    });
    // 3.10+ also print the v18+ quota fields.
    const sizes = /Deleted Size: (\d+) bytes {2}Expunged Size: (\d+) bytes/.exec(mbexamineText);
    if (version >= 18) {
      expect(sizes).not.toBeNull();
      expect([h.quotaDeletedUsed, h.quotaExpungedUsed]).toEqual([BigInt(sizes![1]!), BigInt(sizes![2]!)]);
    }
    // IMAP EXAMINE, and the stored SYNC_CRCs as imapd reads them from this header.
    expect(h.uidvalidity).toBe(expected.uidvalidity);
    expect(Number(h.highestmodseq)).toBe(expected.highestmodseq);
    expect(h.lastUid + 1).toBe(expected.uidnext);
    expect(h.exists).toBe(expected.exists);
    expect({ basic: h.syncCrcBasic, annot: h.syncCrcAnnot }).toEqual(expected.stored_sync_crc);
    // Fields no Cyrus tool prints, checked against what they must hold.
    expect(h.headerFileCrc).toBe(crc32(headerBuf) >>> 0);
    expect(h.numRecords).toBe(index.records.length);
    const live = index.records.filter((r) => !isExpunged(r));
    expect(h.unseen).toBe(expected.messages.filter((m) => !m.flags.includes('\\Seen')).length);
    expect(h.exists).toBe(live.length);
    expect(h.firstExpunged).toBe(Math.min(...index.records.filter(isExpunged).map((r) => r.lastUpdated)));
    expect(Number(h.createdmodseq)).toBeLessThan(Math.min(...index.records.map((r) => Number(r.createdmodseq))));
    expect(h.deletedmodseq).toBe(0n);
    expect(h.leakedCacheRecords).toBe(0);
    expect(h.recentuid).toBeLessThanOrEqual(h.lastUid);
    // changes_epoch (v17+): the time of mailbox_create, before the first message's savedate.
    if (version >= 17) {
      expect(h.changesEpoch).toBeGreaterThan(h.uidvalidity - 60);
      expect(h.changesEpoch).toBeLessThanOrEqual(Math.min(...index.records.map((r) => r.savedate!)));
    } else {
      expect(h.changesEpoch).toBeUndefined();
    }
    // v18+ quota counters: bytes of \Deleted live messages and of expunged ones.
    if (version >= 18) {
      const deleted = live.filter((r) => systemFlagNames(r.systemFlags).includes('\\Deleted'));
      expect(h.quotaDeletedUsed).toBe(deleted.reduce((n, r) => n + r.size, 0n));
      expect(h.quotaExpungedUsed).toBe(index.records.filter(isExpunged).reduce((n, r) => n + r.size, 0n));
    }
  });

  it.runIf(version === 19)('v19 is not v18 plus fields: read with the v18 layout, the header disagrees with mbexamine', () => {
    const { indexBuf, mbexamine } = load(cyrus);
    const asV18 = Buffer.from(indexBuf);
    asV18.writeUInt32BE(18, 8);
    const h = decodeIndex(asV18).header;
    expect([h.exists, optionNames(h.options), h.highestmodseq]).not.toEqual([mbexamine.exists, mbexamine.options, mbexamine.highestModseq]);
  });

  it('records: every record Cyrus lists (mbexamine, unexpunge -l, IMAP FETCH) equals our decode', () => {
    const { index, mbexamine, unexpunge, expected, header } = load(cyrus);
    const { records } = index;
    expect(records.map((r) => r.uid)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const r of records) {
      expect(r.crcOk).toBe(true);
      expect(r.recordCrcComputed).toBe(r.recordCrc);
    }
    // mbexamine: the records it lists (it skips expunged ones), field by field.
    const live = records.filter((r) => !isExpunged(r));
    expect(live.map((r) => ({
      uid: r.uid, internaldate: r.internaldate, sentdate: r.sentdate, savedate: r.savedate, size: Number(r.size),
      headerSize: r.headerSize, lastUpdated: r.lastUpdated, systemFlags: r.systemFlags, cacheVersion: r.cacheVersion,
      guid: r.guid, modseq: r.modseq, thrid: r.cid!.toString(16), userFlags: r.userFlags,
      internalFlags: internalFlagNames(r.internalFlags).map((f) => `FLAG_INTERNAL_${f}`),
      systemFlagNames: systemFlagNames(r.systemFlags).map((f) => `FLAG_${f.slice(1).toUpperCase()}`).sort(),
    }))).toEqual(mbexamine.records.map((m) => ({
      uid: m.uid, internaldate: m.internaldate, sentdate: m.sentdate, savedate: m.savedate, size: m.size,
      headerSize: m.headerSize, lastUpdated: m.lastUpdated, systemFlags: m.systemFlags, cacheVersion: m.cacheVersion,
      guid: m.guid, modseq: m.modseq, thrid: m.thrid, userFlags: m.userFlags,
      internalFlags: m.internalFlags, systemFlagNames: [...m.systemFlagNames].sort(),
    })));
    // unexpunge -l: the expunged record (uid 6), which mbexamine and IMAP no longer show.
    const gone = records.filter(isExpunged);
    expect(gone.map((r) => r.uid)).toEqual([6]);
    expect(gone.map((r) => ({ uid: r.uid, size: Number(r.size), sentdate: r.sentdate, internaldate: r.internaldate, lastUpdated: r.lastUpdated })))
      .toEqual(unexpunge);
    expect(systemFlagNames(gone[0]!.systemFlags)).toContain('\\Deleted');
    // IMAP FETCH (as the owner): flags by name, modseq, size, dates, createdmodseq, GUID.
    expect(live.map((r) => ({
      uid: r.uid, flags: flagNames(r, header.userFlags), modseq: Number(r.modseq), size: Number(r.size),
      internaldate: r.internaldate, savedate: r.savedate, createdmodseq: Number(r.createdmodseq), guid: r.guid,
    }))).toEqual(expected.messages.map((m) => ({
      uid: m.uid, flags: m.flags, modseq: m.modseq, size: m.size, internaldate: imapTime(m.internaldate),
      savedate: imapTime(m.savedate), createdmodseq: m.createdmodseq, guid: m.body_sha1,
    })));
  });

  it('records point at intact cache records whose CRC is the stored cache_crc', () => {
    const { index, cacheBuf } = load(cyrus);
    expectCacheRecordsIntact(index, cacheBuf);
  });

  it('re-encodes to the bytes Cyrus wrote, with stored or recomputed CRCs', () => {
    const { index, indexBuf } = load(cyrus);
    expectReencodesExactly(index, indexBuf);
  });

  it("our SYNC_CRC and SYNC_CRC_ANNOT equal the ones Cyrus stored (and served over IMAP)", () => {
    const { index, header, annotations, expected } = load(cyrus);
    // Two message annotations on live records (one owner-private, one shared) and one on the expunged record.
    expect(annotations.map((a) => [a.uid, a.entry, a.userid]).sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual(
      [[1, '/comment', expected.mailbox.slice(5)], [2, '/comment', ''], [6, '/comment', '']],
    );
    const alg = SYNC_CRC_ALGORITHMS['3.x'];
    expect(syncCrcBasic(index.records, header.userFlags, alg)).toBe(expected.stored_sync_crc.basic);
    expect(syncCrcAnnot(index.records, annotations, version, alg)).toBe(expected.stored_sync_crc.annot);
  });

  it('cyrus-fsck check --path (and --deep) finds nothing; crc agrees; inspect shows what IMAP showed', () => {
    const { dir, expected } = load(cyrus);
    const mailbox = join(copyOf(dir), 'mailbox');
    const check = runCliJson(['check', '--path', mailbox]);
    expect(check.json.mailboxes[0].findings).toEqual([]);
    expect(check.code).toBe(0);
    expect(check.json.mailboxes[0].indexVersion).toBe(version);
    // --deep re-parses every message file and compares with the cache records this release wrote.
    const deep = runCliJson(['check', '--deep', '--path', mailbox]);
    expect(deep.json.mailboxes[0].findings).toEqual([]);
    expect(deep.code).toBe(0);
    const crc = runCliJson(['crc', '--path', mailbox]);
    expect(crc.code).toBe(0);
    expect(crc.json.mailboxes[0]).toMatchObject({ agree: true, algorithm: '3.x', computed: expected.stored_sync_crc });
    const inspect = runCliJson(['inspect', '--path', mailbox]);
    expect(inspect.code).toBe(0);
    const [m] = inspect.json.mailboxes;
    expect(m.index.minorVersion).toBe(version);
    expect(m.index.uidvalidity).toBe(expected.uidvalidity);
    const byUid = new Map(m.records.map((r: any) => [r.uid, r]));
    for (const msg of expected.messages) {
      const r: any = byUid.get(msg.uid);
      expect([...r.flags].sort()).toEqual(msg.flags);
      expect([r.modseq, r.size, r.guid]).toEqual([msg.modseq, msg.size, msg.body_sha1]);
    }
    expect((byUid.get(6) as any).internalFlags).toContain('EXPUNGED');
  });
});

describe.each(RELEASES)('the corpus reconstructed by real Cyrus $cyrus', ({ cyrus, index: version, cache }) => {
  it('881 records decode as mbexamine printed them, with valid CRCs, and re-encode exactly', () => {
    const dir = corpusFixtureDir(cyrus);
    const buf = readFileSync(join(dir, 'mailbox', 'cyrus.index'));
    const mbexamine = parseMbexamine(readFileSync(join(dir, 'mbexamine.txt')));
    const idx = decodeIndex(buf);
    expect(idx.header.minorVersion).toBe(version);
    expect(idx.header.crcOk).toBe(true);
    expect([idx.header.exists, idx.header.uidvalidity, idx.header.lastUid, idx.header.highestmodseq, idx.header.quotaMailboxUsed])
      .toEqual([mbexamine.exists, mbexamine.uidvalidity, mbexamine.lastUid, mbexamine.highestModseq, mbexamine.quotaUsed]);
    expect(idx.records.length).toBe(881);
    expect(idx.records.every((r) => r.crcOk && r.cacheVersion === cache)).toBe(true);
    expect(idx.records.map((r) => [r.uid, r.internaldate, r.sentdate, r.savedate, Number(r.size), r.headerSize, r.lastUpdated, r.guid, r.modseq]))
      .toEqual(mbexamine.records.map((m) => [m.uid, m.internaldate, m.sentdate, m.savedate, m.size, m.headerSize, m.lastUpdated, m.guid, m.modseq]));
    expect(encodeIndex(idx).equals(buf)).toBe(true);
  });

  it('cyrus-fsck check --path and crc find nothing on it', () => {
    const mailbox = join(copyOf(corpusFixtureDir(cyrus)), 'mailbox');
    const check = runCliJson(['check', '--path', mailbox]);
    expect(check.json.mailboxes[0].findings).toEqual([]);
    expect([check.code, check.json.mailboxes[0].indexVersion, check.json.summary.messages]).toEqual([0, version, 881]);
    expect(runCliJson(['crc', '--path', mailbox]).code).toBe(0);
  });
});
