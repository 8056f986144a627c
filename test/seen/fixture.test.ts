// seen-cleanup on the seen fixture (fxseen's seen.db, mailboxes.db and mailboxes as Cyrus 3.6.1
// left them): the dry run lists exactly the entries the fixture README calls obsolete, --apply
// removes exactly those and leaves a file Cyrus's own tool reads as consistent, --restore puts
// them back byte for byte; damaged databases are reported and never rewritten.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTwoskip, encodeTwoskip, readDbFile } from '../../src/db/index.js';
import { decodeRestoreFile } from '../../src/seen/restore-file.js';
import { runCli } from '../helpers/cli.js';
import { fixtureSpool, isRoot, type FixtureSpool } from './spool.js';

const DBTOOL = '/usr/lib/cyrus/bin/cyr_dbtool';
const haveDbtool = () => isRoot() && statSync(DBTOOL, { throwIfNoEntry: false }) !== undefined;

interface Entry { user: string; uniqueid: string; mailbox: string | null; verdict: string; reason: string; value: string; obsolete: boolean; removed: boolean }
interface Doc { apply: boolean; databases: Array<{ path: string; user: string; active: boolean; layout: string; entries: Entry[]; restoreFile?: string; removed: number; finding?: { code: string; message: string } }>; summary: { obsolete: number; removed: number; damaged: number } }

function seen(s: FixtureSpool, ...args: string[]): { code: number; doc: Doc; stderr: string } {
  const r = runCli(['seen-cleanup', '-C', s.conf, ...args, '--json']);
  return { code: r.code, doc: JSON.parse(r.stdout) as Doc, stderr: r.stderr };
}

/** What the fixture README says: owner mailboxes user.fxseen, user.fxseen.NoSeen and the deleted Old. */
function expectedObsolete(s: FixtureSpool): string[] {
  const uid = (name: string) => [...s.names].find(([, n]) => n === name)![0];
  return [uid('user.fxseen'), uid('user.fxseen.NoSeen'), s.deletedUniqueid].sort();
}

const listed = (d: Doc) => d.databases.flatMap((db) => db.entries.filter((e) => e.obsolete));
const dbRecords = (path: string) => readDbFile(path).records.map((r) => [r.key.toString('latin1'), r.value.toString('latin1')]);

/** cyr_dbtool show of a copy (Cyrus may recover what it opens), as uniqueid → value. */
function cyrusShow(s: FixtureSpool, db: string): Map<string, string> {
  const out = execFileSync('runuser', ['-u', 'cyrus', '--', DBTOOL, '-C', s.conf, db, 'twoskip', 'show']).toString('latin1');
  return new Map(out.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)]));
}

describe('seen-cleanup on the seen fixture', () => {
  it('dry run lists exactly the obsolete entries, with mailbox, reason and value, exit 4; nothing changes', () => {
    const s = fixtureSpool();
    const before = readFileSync(s.seenDb);
    const { code, doc } = seen(s, 'fxseen');
    expect(code).toBe(4);
    expect(doc.databases).toHaveLength(1);
    expect(doc.databases[0]!.path).toBe(s.seenDb);
    expect(doc.databases[0]!.active).toBe(true);
    const l = listed(doc);
    expect(l.map((e) => e.uniqueid).sort()).toEqual(expectedObsolete(s));
    for (const e of l) {
      expect(e.user).toBe('fxseen');
      expect(e.verdict).toBe('SEEN_OWNER_OBSOLETE');
      expect(e.value).toBe(s.seenDump.get(e.uniqueid));
      expect(e.mailbox).toBe(e.uniqueid === s.deletedUniqueid ? s.deletedName : s.names.get(e.uniqueid));
      expect(e.removed).toBe(false);
    }
    // the one entry that stays: fxseen's own state on the shared mailbox
    const kept = doc.databases[0]!.entries.filter((e) => !e.obsolete);
    expect(kept.map((e) => e.mailbox)).toEqual(['shared.fxteam']);
    expect(kept[0]!.reason).toMatch(/not the owner/);
    expect(readFileSync(s.seenDb).equals(before)).toBe(true);
    expect(doc.summary.obsolete).toBe(3);
  });

  it('human output: one line per entry; --only gone finds nothing here (exit 0)', () => {
    const s = fixtureSpool();
    const r = runCli(['seen-cleanup', '-C', s.conf, '--all-users']);
    expect(r.code).toBe(4);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('SEEN_'));
    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).toContain(`fxseen\t${s.deletedUniqueid}\t${s.deletedName}`);
    expect(runCli(['seen-cleanup', '-C', s.conf, '--all-users', '--only', 'gone']).code).toBe(0);
    expect(runCli(['seen-cleanup', '-C', s.conf, '--all-users', '--only', 'owner']).code).toBe(4);
    expect(runCli(['seen-cleanup', '-C', s.conf]).code).toBe(16);
    expect(runCli(['seen-cleanup', '-C', s.conf, 'nobody']).code).toBe(0);
  });

  it('--apply removes exactly those (exit 1), restore file first; --restore puts them back byte-equal', () => {
    const s = fixtureSpool();
    const original = dbRecords(s.seenDb);
    const { code, doc } = seen(s, '--all-users', '--apply');
    expect(code).toBe(1);
    expect(doc.summary.removed).toBe(3);
    const after = dbRecords(s.seenDb);
    expect(after).toEqual(original.filter(([k]) => !expectedObsolete(s).includes(k!)));
    expect(checkTwoskip(readFileSync(s.seenDb)).problems).toEqual([]);

    const restoreFile = doc.databases[0]!.restoreFile!;
    const saved = decodeRestoreFile(readFileSync(restoreFile));
    expect(saved.header.db).toBe(s.seenDb);
    expect(saved.records.map((r) => [r.key.toString('latin1'), r.value.toString('latin1')])).toEqual(original.filter(([k]) => expectedObsolete(s).includes(k!)));
    if (isRoot()) {
      // contract "Who it runs as": what we create belongs to cyrus
      for (const f of [s.seenDb, restoreFile]) expect(statSync(f).uid).toBe(Number(execFileSync('id', ['-u', 'cyrus']).toString()));
    }
    if (haveDbtool()) {
      expect(spawnSync('runuser', ['-u', 'cyrus', '--', DBTOOL, '-C', s.conf, s.seenDb, 'twoskip', 'consistent']).stdout.toString()).toMatch(/Yes, consistent/);
      expect([...cyrusShow(s, s.seenDb)]).toEqual(after);
    }

    // nothing left to do
    expect(seen(s, '--all-users', '--apply').code).toBe(0);

    const r = runCli(['seen-cleanup', '-C', s.conf, '--restore', restoreFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 restored, 0 already there, 0 conflicts/);
    expect(dbRecords(s.seenDb)).toEqual(original);
    if (haveDbtool()) expect(cyrusShow(s, s.seenDb)).toEqual(s.seenDump);
    // a second restore finds them all there
    expect(runCli(['seen-cleanup', '-C', s.conf, '--restore', restoreFile]).stdout).toMatch(/0 restored, 3 already there/);
  });

  it.runIf(haveDbtool())('the restore file loads with cyr_dbtool batch and gives the original entries', () => {
    const s = fixtureSpool();
    const { doc } = seen(s, 'fxseen', '--apply');
    const restoreFile = doc.databases[0]!.restoreFile!;
    const r = spawnSync('runuser', ['-u', 'cyrus', '--', DBTOOL, '-C', s.conf, s.seenDb, 'twoskip', 'batch'], { input: readFileSync(restoreFile) });
    expect(r.status).toBe(0);
    expect(r.stderr.toString()).toBe('');
    expect(cyrusShow(s, s.seenDb)).toEqual(s.seenDump);
  });

  it('a restore over an entry Cyrus rewrote since keeps Cyrus\'s value and reports a conflict (exit 4)', () => {
    const s = fixtureSpool();
    const { doc } = seen(s, 'fxseen', '--apply');
    const restoreFile = doc.databases[0]!.restoreFile!;
    const [k] = expectedObsolete(s);
    const recs = readDbFile(s.seenDb).records;
    const newer = Buffer.from('1 1900000000 12 1900000000 1:12');
    writeFileSync(s.seenDb, encodeTwoskip([...recs, { key: Buffer.from(k!), value: newer }]));
    const r = runCli(['seen-cleanup', '-C', s.conf, '--restore', restoreFile]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/2 restored, 0 already there, 1 conflicts/);
    expect(readDbFile(s.seenDb).records.find((x) => x.key.toString() === k)!.value.equals(newer)).toBe(true);
  });

  it('an entry whose mailbox is gone from mailboxes.db is SEEN_MAILBOX_GONE; --only selects by kind', () => {
    const s = fixtureSpool();
    // the deleted mailbox expunged for good: its N and I records leave mailboxes.db
    const mb = readDbFile(s.mailboxesDb).records.filter((r) => !r.key.includes(Buffer.from(s.deletedUniqueid)) && !r.key.toString('latin1').startsWith('NDELETED'));
    expect(mb.length).toBe(readDbFile(s.mailboxesDb).records.length - 2);
    writeFileSync(s.mailboxesDb, encodeTwoskip(mb));
    const gone = seen(s, 'fxseen', '--only', 'gone');
    expect(gone.code).toBe(4);
    expect(listed(gone.doc).map((e) => [e.uniqueid, e.verdict, e.mailbox])).toEqual([[s.deletedUniqueid, 'SEEN_MAILBOX_GONE', null]]);
    const owner = seen(s, 'fxseen', '--only', 'owner');
    expect(listed(owner.doc).map((e) => e.uniqueid).sort()).toEqual(expectedObsolete(s).filter((u) => u !== s.deletedUniqueid));
    const applied = seen(s, 'fxseen', '--only', 'gone', '--apply');
    expect(applied.code).toBe(1);
    expect(dbRecords(s.seenDb).map(([k]) => k)).not.toContain(s.deletedUniqueid);
    expect(dbRecords(s.seenDb)).toHaveLength(3);
  });

  it('a mailbox with shared seen (IMAP_SHAREDSEEN) keeps its owner entry', () => {
    const s = fixtureSpool();
    const index = join(s.folders.get('user.fxseen.NoSeen')!, 'cyrus.index');
    const buf = readFileSync(index);
    expect(buf.readUInt32BE(8)).toBe(17);
    buf.writeUInt32BE(buf.readUInt32BE(60) | 4, 60);
    buf.writeUInt32BE(crc32(buf.subarray(0, 156)), 156); // v17 header CRC
    writeFileSync(index, buf);
    const { doc } = seen(s, 'fxseen');
    const e = doc.databases[0]!.entries.find((x) => x.mailbox === 'user.fxseen.NoSeen')!;
    expect(e.obsolete).toBe(false);
    expect(e.reason).toMatch(/shared seen/);
    expect(listed(doc)).toHaveLength(2);
  });

  it('a damaged seen db is SEEN_DB_BAD (exit 4) and --apply leaves it byte-identical', () => {
    const s = fixtureSpool();
    const buf = readFileSync(s.seenDb);
    const at = buf.indexOf(Buffer.from('1:2,5:7'));
    buf[at] ^= 0x01; // a value byte: its tail CRC no longer matches
    writeFileSync(s.seenDb, buf);
    for (const args of [['fxseen'], ['fxseen', '--apply']]) {
      const { code, doc } = seen(s, ...args);
      expect(code).toBe(4);
      expect(doc.databases[0]!.finding!.code).toBe('SEEN_DB_BAD');
      expect(doc.databases[0]!.removed).toBe(0);
      expect(readFileSync(s.seenDb).equals(buf)).toBe(true);
    }
    expect(readdirSync(join(s.seenDb, '..'))).toEqual(['seen.db']);
  });

  it('an uncommitted tail (a writer died) is reported, not rewritten', () => {
    const s = fixtureSpool();
    const buf = Buffer.concat([readFileSync(s.seenDb), Buffer.alloc(40, 0x2b)]);
    writeFileSync(s.seenDb, buf);
    const { code, doc } = seen(s, 'fxseen', '--apply');
    expect(code).toBe(4);
    expect(doc.databases[0]!.finding!.message).toMatch(/NOT_CLEAN/);
    expect(readFileSync(s.seenDb).equals(buf)).toBe(true);
  });
});
