// Dumps of the real Cyrus 3.6.1 mailboxes of every index version (12–17), read in --path mode,
// checked field by field against Cyrus's own view of them (expected.json from IMAP and the
// index, mbexamine.txt): the header fields and their order, every record (expunged ones too)
// with flags in sync_print_flags order and the virtual annotations each version has, and the
// file literals (one per GUID, bytes equal to the spool file). Output parses and prints back
// byte for byte.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DlistStreamParser,
  asList,
  getChild,
  printLine,
  toAtom,
  toNum64,
  type DFile,
  type DKvList,
  type DlistNode,
} from '../../src/dlist/index.js';
import { loadMailbox, writeMailboxDump } from '../../src/dump/index.js';
import { INDEX_VERSIONS, indexFixture } from '../helpers/fixtures.js';

interface ExpectedRecord {
  uid: number;
  modseq: number;
  last_updated: number;
  internaldate: number;
  size: number;
  guid: string;
  system_flags: string[];
  internal_flags: string[];
  user_flags: number[];
  savedate?: number;
  createdmodseq?: number;
  thrid?: string;
}
interface Expected {
  mailbox: string;
  index_header: Record<string, number>;
  index_records: ExpectedRecord[];
  stored_sync_crc: { basic: number; annot: number | null };
}

/** The key order of sync_prepare_dlists' full form (optional keys where Cyrus puts them). */
const KEY_ORDER = [
  'UNIQUEID', 'MBOXNAME', 'MBOXTYPE', 'SYNC_CRC', 'SYNC_CRC_ANNOT', 'LAST_UID', 'HIGHESTMODSEQ', 'RECENTUID',
  'RECENTTIME', 'LAST_APPENDDATE', 'POP3_LAST_LOGIN', 'POP3_SHOW_AFTER', 'XCONVMODSEQ', 'RACLMODSEQ', 'UIDVALIDITY',
  'PARTITION', 'ACL', 'OPTIONS', 'QUOTAROOT', 'CREATEDMODSEQ', 'FOLDERMODSEQ', 'ANNOTATIONS', 'RECORD',
];
const SYSTEM_ORDER = ['\\Deleted', '\\Answered', '\\Flagged', '\\Draft', '\\Expunged', '\\Seen'];

async function dumpBytes(dir: string, messages: boolean): Promise<Buffer> {
  const m = await loadMailbox({ name: 'mailbox', dir, nameFromHeader: true }, undefined, 'default');
  const parts: Buffer[] = [];
  await writeMailboxDump({ write: (c) => void parts.push(Buffer.from(c)) }, m, { messages });
  return Buffer.concat(parts);
}

function lines(bytes: Buffer): DlistNode[][] {
  const p = new DlistStreamParser();
  return [...p.feed(bytes), ...p.end()];
}
const num = (n: DlistNode | undefined) => Number(toNum64(n));

describe.each(INDEX_VERSIONS)('dump of the index v%i fixture', (v) => {
  const root = indexFixture(v);
  const dir = join(root, 'mailbox');
  const exp = JSON.parse(readFileSync(join(root, 'expected.json'), 'utf8')) as Expected;
  const mbexamine = readFileSync(join(root, 'mbexamine.txt'), 'latin1');
  const flagNames = /User Flags: (.*)\n/.exec(mbexamine)![1]!.trim().split(' ');

  it('prints back byte for byte after parsing, messages included', async () => {
    const bytes = await dumpBytes(dir, true);
    const ls = lines(bytes);
    expect(ls.map((l) => `${toAtom(l[0])} ${toAtom(l[1])}`)).toEqual(['APPLY MESSAGE', 'APPLY MAILBOX']);
    expect(Buffer.concat(ls.map(([w, ...rest]) => printLine([toAtom(w)!, ...rest]))).equals(bytes)).toBe(true);
  });

  it('header fields are Cyrus\'s values, in sync_prepare_dlists order', async () => {
    const [[, , kl]] = lines(await dumpBytes(dir, false)) as [[DlistNode, DlistNode, DKvList]];
    const keys = kl.items.map((i) => i.key);
    expect(keys).toEqual(KEY_ORDER.filter((k) => keys.includes(k)));
    const h = exp.index_header;
    const f = (k: string) => getChild(kl, k);
    expect({
      UNIQUEID: toAtom(f('UNIQUEID')),
      MBOXNAME: toAtom(f('MBOXNAME')),
      SYNC_CRC: num(f('SYNC_CRC')),
      SYNC_CRC_ANNOT: num(f('SYNC_CRC_ANNOT')),
      LAST_UID: num(f('LAST_UID')),
      HIGHESTMODSEQ: num(f('HIGHESTMODSEQ')),
      RECENTUID: num(f('RECENTUID')),
      RECENTTIME: num(f('RECENTTIME')),
      UIDVALIDITY: num(f('UIDVALIDITY')),
      PARTITION: toAtom(f('PARTITION')),
      ACL: toAtom(f('ACL')),
      OPTIONS: toAtom(f('OPTIONS')),
      CREATEDMODSEQ: f('CREATEDMODSEQ') && num(f('CREATEDMODSEQ')),
    }).toEqual({
      UNIQUEID: /Unique ID: (.*)\n/.exec(mbexamine)![1],
      MBOXNAME: exp.mailbox,
      SYNC_CRC: exp.stored_sync_crc.basic,
      SYNC_CRC_ANNOT: exp.stored_sync_crc.annot ?? 0,
      LAST_UID: h.last_uid,
      HIGHESTMODSEQ: h.highestmodseq,
      RECENTUID: h.recentuid,
      RECENTTIME: h.recenttime,
      UIDVALIDITY: h.uidvalidity,
      PARTITION: 'default',
      ACL: /Mailbox ACL: (.*)\n/.exec(mbexamine)![1],
      OPTIONS: h.options & 1 ? 'P' : '',
      CREATEDMODSEQ: v >= 16 && h.createdmodseq ? h.createdmodseq : undefined,
    });
    expect(f('FOLDERMODSEQ')).toBeUndefined(); // --path: mailboxes.db only
  });

  it('every record, expunged ones too, with flags and virtual annotations as Cyrus sends them', async () => {
    const [[, , kl]] = lines(await dumpBytes(dir, false)) as [[DlistNode, DlistNode, DKvList]];
    const recs = asList(getChild(kl, 'RECORD'))!.items;
    expect(recs.length).toBe(exp.index_records.length);
    recs.forEach((rec, i) => {
      const e = exp.index_records[i]!;
      const userFlags = flagNames.filter((_, bit) => (e.user_flags[bit >> 5]! >>> (bit & 31)) & 1);
      const system = [...e.system_flags, ...(e.internal_flags.includes('EXPUNGED') ? ['\\Expunged'] : [])];
      const virtual = (asList(getChild(rec, 'ANNOTATIONS'))?.items ?? [])
        // Virtual entries carry MODSEQ 0; a downgraded mailbox (reconstruct -V) also has stored
        // savedate/createdmodseq annotations with real modseqs, which are not the version's own.
        .filter((a) => toAtom(getChild(a, 'ENTRY'))!.startsWith('/vendor/cmu/cyrus-imapd/') && num(getChild(a, 'MODSEQ')) === 0)
        .map((a) => `${toAtom(getChild(a, 'ENTRY'))!.slice(24)}=${toAtom(getChild(a, 'VALUE'))}`);
      expect({
        uid: num(getChild(rec, 'UID')),
        modseq: num(getChild(rec, 'MODSEQ')),
        last_updated: num(getChild(rec, 'LAST_UPDATED')),
        internaldate: num(getChild(rec, 'INTERNALDATE')),
        size: num(getChild(rec, 'SIZE')),
        guid: toAtom(getChild(rec, 'GUID')),
        flags: asList(getChild(rec, 'FLAGS'))!.items.map(toAtom),
        virtual,
      }).toEqual({
        uid: e.uid,
        modseq: e.modseq,
        last_updated: e.last_updated,
        internaldate: e.internaldate,
        size: e.size,
        guid: e.guid,
        flags: [...SYSTEM_ORDER.filter((s) => system.includes(s)), ...userFlags],
        virtual: [
          ...(v >= 13 && e.thrid && !/^0+$/.test(e.thrid) ? [`thrid=${e.thrid}`] : []),
          ...(v >= 15 && e.savedate ? [`savedate=${e.savedate}`] : []),
          ...(v >= 16 && e.createdmodseq ? [`createdmodseq=${e.createdmodseq}`] : []),
        ],
      });
    });
  });

  it('file literals: one per GUID in record order, the spool file\'s bytes', async () => {
    const [[, , files]] = lines(await dumpBytes(dir, true));
    const got = asList(files)!.items as DFile[];
    const guids = [...new Set(exp.index_records.map((r) => r.guid))];
    expect(got.map((f) => f.guid)).toEqual(guids);
    for (const f of got) {
      expect(f.partition).toBe('default');
      expect(f.content.kind).toBe('memory');
      const data = (f.content as { data: Buffer }).data;
      expect(createHash('sha1').update(data).digest('hex')).toBe(f.guid);
      const uid = exp.index_records.find((r) => r.guid === f.guid)!.uid;
      expect(data.equals(readFileSync(join(dir, `${uid}.`)))).toBe(true);
    }
  });
});
