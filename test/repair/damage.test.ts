// Each damage of the contract's table, made on a live Cyrus 3.6 master with a replica, with an
// IMAP session holding the mailbox selected: after `cyrus-fsck repair`, Cyrus's own
// `reconstruct -n` finds nothing, every message that existed is fetchable with its original
// bytes and flags (where that information still existed), sync_client succeeds and master and
// replica agree (UIDs, flags by name, modseqs, SYNC_CRCs, UIDVALIDITY); the connected session
// saw no error. Beside each, the same damage on a twin mailbox is given to Cyrus's `reconstruct`
// and what it did is recorded (the README's comparison table, printed at the end): its output,
// what it lost or moved, what `cyrus-fsck check` still finds, and whether sync_client then
// needed its CRC-failure recovery (a full update) or failed. For the cases marked checkClean our
// own check must find nothing after the repair and sync_client must push it incrementally.
import { readFileSync, renameSync, truncateSync, unlinkSync, writeFileSync, copyFileSync, chownSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeHeader, encodeHeader } from '../../src/format/header.js';
import { decodeIndex, encodeIndex } from '../../src/format/index/index.js';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import type { ImapClient } from '../harness/imap.js';
import { compareReplica, imapView, syncClient, type MailboxView } from '../harness/tools.js';
import { checkCodes, flip, HDR, indexPath, mailboxWith, reconstructComplaints, recordOffset, repairCli, setHeaderU32 } from './helpers.js';

interface Mbx {
  inst: CyrusInstance;
  mailbox: string;
  dir: string;
}

type Survival =
  /** Same UIDs, bytes, flags, internaldates as before. */
  | 'same'
  /** Every message's bytes are there (some under a new UID) with its flags. */
  | 'content+flags'
  /** Every message's bytes are there; flags of renumbered ones unknown. */
  | 'content';

interface Case {
  id: string;
  damage: string;
  make: (m: Mbx) => void | Promise<void>;
  args?: string[];
  /** Arguments that make Cyrus's reconstruct act on this damage (default none). */
  cyrusArgs?: string[];
  exit: 1 | 4;
  /** reconstruct -n (and -G) have nothing to say afterwards. */
  clean: boolean;
  survival: Survival;
  /** UIDs whose message is expected gone (reported as lost or expunged on purpose). */
  gone?: number[];
  /** Run a harmless repair first so a backup of the intact mailbox exists. */
  backupFirst?: boolean;
  /** `cyrus-fsck check` finds nothing after the repair (asserted; else only recorded). */
  checkClean?: boolean;
}

function editIdx(dir: string, edit: (f: ReturnType<typeof decodeIndex>) => void): void {
  const f = decodeIndex(readFileSync(indexPath(dir)));
  edit(f);
  f.header.numRecords = f.records.length;
  writeFileSync(indexPath(dir), encodeIndex(f, { recomputeCrc: true }));
}
const rec = (dir: string, recno: number) => recordOffset(readFileSync(indexPath(dir)), recno);
const cacheOffsetOf = (dir: string, recno: number) => {
  const b = readFileSync(indexPath(dir));
  return b.readUInt32BE(rec(dir, recno) + 24);
};
/** Replaces the first occurrence of `from` in cyrus.header by `to` (same length). */
function editHeader(dir: string, from: string, to: Buffer): void {
  const p = join(dir, 'cyrus.header');
  const b = readFileSync(p);
  const at = b.indexOf(from, 0, 'latin1');
  if (at < 0) throw new Error(`${from} not in cyrus.header`);
  to.copy(b, at);
  writeFileSync(p, b);
}
function copyAsCyrus(from: string, to: string): void {
  copyFileSync(from, to);
  const st = statSync(from);
  chownSync(to, st.uid, st.gid);
}

const CASES: Case[] = [
  { id: 'counters', damage: 'header counters wrong (answered, flagged), CRC fixed', make: (m) => (setHeaderU32(m.dir, HDR.answered, 9), setHeaderU32(m.dir, HDR.flagged, 0)), exit: 1, clean: true, survival: 'same' },
  { id: 'synccrc', damage: 'stored SYNC_CRC wrong', make: (m) => setHeaderU32(m.dir, HDR.syncCrc, 12345), exit: 1, clean: true, survival: 'same' },
  { id: 'cache-record', damage: 'one cache record corrupt', make: (m) => flip(join(m.dir, 'cyrus.cache'), cacheOffsetOf(m.dir, 2) + 9), exit: 1, clean: true, survival: 'same' },
  { id: 'cache-missing', damage: 'cyrus.cache deleted', make: (m) => unlinkSync(join(m.dir, 'cyrus.cache')), exit: 1, clean: true, survival: 'same' },
  { id: 'record-byte', damage: 'one byte of a record changed (flags), record CRC wrong', make: (m) => flip(indexPath(m.dir), rec(m.dir, 3) + 35, 0x02), exit: 1, clean: true, survival: 'same' },
  {
    id: 'record-zerouid', damage: "record's uid and internaldate zeroed (cassandane zerouid), CRC wrong",
    make: (m) => {
      const b = readFileSync(indexPath(m.dir));
      b.fill(0, rec(m.dir, 4), rec(m.dir, 4) + 8);
      writeFileSync(indexPath(m.dir), b);
    },
    exit: 1, clean: true, survival: 'same',
  },
  { id: 'header-byte', damage: 'one byte of the index header changed, header CRC wrong', make: (m) => flip(indexPath(m.dir), HDR.answered + 3, 0x04), exit: 1, clean: true, survival: 'same' },
  {
    id: 'header-garbage', damage: 'index header bytes 20–99 zeroed (counters, last_uid, uidvalidity, modseqs), CRC wrong',
    make: (m) => {
      const b = readFileSync(indexPath(m.dir));
      b.fill(0, 20, 100);
      writeFileSync(indexPath(m.dir), b);
    },
    exit: 1, clean: true, survival: 'same',
  },
  {
    id: 'unindexed-above', damage: 'message file with no record, uid above last_uid',
    make: (m) => copyAsCyrus(join(m.dir, '2.'), join(m.dir, '9.')), exit: 1, clean: true, survival: 'same',
  },
  {
    id: 'unindexed-reuse', damage: 'last record dropped from the index (its file stays, uid ≤ last_uid)',
    make: (m) => editIdx(m.dir, (f) => void f.records.pop()), exit: 1, clean: true, survival: 'content',
  },
  {
    id: 'index-truncated', damage: 'cyrus.index cut after record 3 of 6 (cassandane truncated), backup of an earlier repair exists',
    backupFirst: true,
    make: (m) => truncateSync(indexPath(m.dir), rec(m.dir, 4)), exit: 1, clean: true, survival: 'content+flags',
  },
  { id: 'file-missing', damage: 'message file deleted (default with a replica configured: keep)', make: (m) => unlinkSync(join(m.dir, '4.')), exit: 4, clean: false, survival: 'same', gone: [4] },
  { id: 'file-missing-expunge', damage: 'message file deleted, --missing=expunge', make: (m) => unlinkSync(join(m.dir, '4.')), args: ['--missing=expunge'], exit: 4, clean: true, survival: 'same', gone: [4] },
  {
    id: 'guid-mismatch', damage: 'file content changed, same size (default: keep and report)', cyrusArgs: ['-G'],
    make: (m) => flip(join(m.dir, '5.'), statSync(join(m.dir, '5.')).size - 5, 0x01), exit: 4, clean: true, survival: 'same', gone: [5],
  },
  {
    id: 'guid-reappend', damage: 'file content changed, --guid-mismatch=reappend (Cyrus -R)', cyrusArgs: ['-G', '-R'], args: ['--guid-mismatch=reappend'],
    make: (m) => flip(join(m.dir, '5.'), statSync(join(m.dir, '5.')).size - 5, 0x01), exit: 1, clean: true, survival: 'same', gone: [5],
  },
  { id: 'file-truncated', damage: 'message file truncated (default: keep and report)', make: (m) => truncateSync(join(m.dir, '3.'), 100), exit: 4, clean: false, survival: 'same', gone: [3] },
  {
    id: 'index-missing-backup', damage: 'cyrus.index deleted, a backup of an earlier repair exists', backupFirst: true,
    make: (m) => unlinkSync(indexPath(m.dir)), exit: 1, clean: true, survival: 'same',
  },
  {
    id: 'index-missing', damage: 'cyrus.index deleted, no backup',
    make: (m) => unlinkSync(indexPath(m.dir)), exit: 4, clean: true, survival: 'content',
  },
  {
    id: 'header-missing-backup', damage: 'cyrus.header deleted, a backup exists', backupFirst: true,
    make: (m) => unlinkSync(join(m.dir, 'cyrus.header')), exit: 1, clean: true, survival: 'same',
  },
  {
    id: 'file-missing-replica', damage: 'message file deleted, --from-replica', args: ['--from-replica'],
    make: (m) => unlinkSync(join(m.dir, '4.')), exit: 1, clean: true, survival: 'same',
  },
  {
    id: 'guid-mismatch-replica', damage: 'file content changed, same size, --from-replica', args: ['--from-replica'], cyrusArgs: ['-G'],
    make: (m) => flip(join(m.dir, '5.'), statSync(join(m.dir, '5.')).size - 5, 0x01), exit: 1, clean: true, survival: 'same',
  },
  {
    id: 'unindexed-reuse-replica', damage: 'last record dropped from the index, --from-replica', args: ['--from-replica'],
    make: (m) => editIdx(m.dir, (f) => void f.records.pop()), exit: 1, clean: true, survival: 'same',
  },
  {
    id: 'index-missing-replica', damage: 'cyrus.index deleted, no backup, --from-replica', args: ['--from-replica'],
    make: (m) => unlinkSync(indexPath(m.dir)), exit: 1, clean: true, survival: 'same',
  },
  {
    id: 'flagname-backup', damage: "keyword name damaged in cyrus.header ($Work → $\\x01ork), a backup knows it", backupFirst: true,
    make: (m) => editHeader(m.dir, '$Work', Buffer.from('$\x01ork', 'latin1')), exit: 1, clean: true, survival: 'same',
  },
  {
    id: 'flagname-replica', damage: 'keyword name damaged in cyrus.header, no backup, --from-replica', args: ['--from-replica'],
    make: (m) => editHeader(m.dir, '$Work', Buffer.from('$\x01ork', 'latin1')), exit: 1, clean: true, survival: 'same',
  },
  {
    id: 'flagname-nobackup', damage: 'keyword name damaged in cyrus.header, no backup',
    make: (m) => editHeader(m.dir, '$Work', Buffer.from('$\x01ork', 'latin1')), exit: 4, clean: true, survival: 'content',
  },
  // The seven codes test/repair/damage-codes.test.ts also proves on the fixtures.
  {
    id: 'uid-order', damage: 'UID_ORDER: records of uid 3 and 4 swapped (CRCs right)',
    make: (m) => editIdx(m.dir, (f) => ([f.records[2], f.records[3]] = [f.records[3]!, f.records[2]!])), exit: 1, clean: true, survival: 'same', checkClean: true,
  },
  {
    id: 'uid-repeat', damage: "UID_ORDER: record 4's uid field says 3 (CRCs right)",
    make: (m) => editIdx(m.dir, (f) => void (f.records[3]!.uid = 3)), exit: 1, clean: true, survival: 'same', checkClean: true,
  },
  { id: 'last-uid-low', damage: 'LAST_UID_LOW: last_uid 4, records up to uid 6 (header CRC right)', make: (m) => setHeaderU32(m.dir, HDR.lastUid, 4), exit: 1, clean: true, survival: 'same', checkClean: true },
  {
    id: 'highestmodseq-low', damage: "HIGHESTMODSEQ_LOW: highestmodseq 2, below the records' modseqs (header CRC right)",
    make: (m) => editIdx(m.dir, (f) => void (f.header.highestmodseq = 2n)), exit: 1, clean: true, survival: 'same', checkClean: true,
  },
  { id: 'cache-generation', damage: "CACHE_GENERATION: cyrus.cache's generation word changed", make: (m) => flip(join(m.dir, 'cyrus.cache'), 3, 0x01), exit: 1, clean: true, survival: 'same', checkClean: true },
  {
    id: 'uniqueid-mismatch', damage: "UNIQUEID_MISMATCH: cyrus.header's uniqueid reversed (mailboxes.db's unchanged)",
    make: (m) => {
      const p = join(m.dir, 'cyrus.header');
      const h = decodeHeader(readFileSync(p));
      writeFileSync(p, encodeHeader({ ...h, uniqueid: [...h.uniqueid!].reverse().join('') }));
    },
    exit: 1, clean: true, survival: 'same', checkClean: true,
  },
  { id: 'header-file-crc', damage: "HEADER_FILE_CRC: index's header_file_crc wrong (header CRC right)", make: (m) => setHeaderU32(m.dir, HDR.headerFileCrc, 0x12345678), exit: 1, clean: true, survival: 'same', checkClean: true },
  {
    id: 'guid-zero', damage: 'GUID_ZERO: GUID of uid 5 zeroed (CRCs right, stored SYNC_CRC as it was)',
    make: (m) => editIdx(m.dir, (f) => void (f.records[4]!.guid = '0'.repeat(40))), exit: 1, clean: true, survival: 'same', checkClean: true,
  },
];

/** What a view lost compared with before: missing bodies, UIDs that moved, flags gone. */
function lossSummary(before: MailboxView, after: MailboxView) {
  const bySha = new Map(after.messages.map((m) => [m.sha1, m]));
  const lost: number[] = [];
  const moved: string[] = [];
  const flagsLost: string[] = [];
  for (const m of before.messages) {
    const a = after.messages.find((x) => x.uid === m.uid && x.sha1 === m.sha1) ?? bySha.get(m.sha1);
    if (!a) {
      lost.push(m.uid);
      continue;
    }
    if (a.uid !== m.uid) moved.push(`${m.uid}→${a.uid}`);
    const gone = m.flags.filter((f) => !a.flags.includes(f));
    if (gone.length) flagsLost.push(`${m.uid}:${gone.join(',')}`);
  }
  return { lost, moved, flagsLost, uidvalidityChanged: before.uidvalidity !== after.uidvalidity };
}

describeInterop('repair: every damage on a live master with a replica', () => {
  let master: CyrusInstance;
  let replica: CyrusInstance;
  const table: Array<Record<string, string>> = [];

  beforeAll(async () => {
    ({ master, replica } = await CyrusInstance.startPair());
  });
  afterAll(async () => {
    console.log(`CYRUS-COMPARISON ${JSON.stringify(table)}`);
    await master?.stop();
    await replica?.stop();
  });

  for (const [i, c] of CASES.entries()) {
    it(`${c.id}: ${c.damage}`, async () => {
      const user = `d${i}`;
      const twin = `t${i}`;
      const m: Mbx = { inst: master, ...(await mailboxWith(master, user, 6, 40 + i)) };
      const t: Mbx = { inst: master, ...(await mailboxWith(master, twin, 6, 40 + i)) };
      await syncClient(master, { users: [user, twin] });
      expect(await compareReplica(master, replica, [m.mailbox])).toEqual([]);
      if (c.backupFirst) {
        setHeaderU32(m.dir, HDR.answered, 7);
        expect(repairCli(master, [m.mailbox]).code).toBe(1);
        await syncClient(master, { users: [user] });
      }
      const before = await imapView(master, m.mailbox);
      const twinBefore = await imapView(master, t.mailbox);
      // A client with the mailbox selected while the damage is made and repaired.
      const session: ImapClient = await master.imap(user);
      await session.select('INBOX');

      await c.make(m);
      await c.make(t);

      // Cyrus's own reconstruct on the twin.
      const cy = await master.tool('reconstruct', [...(c.cyrusArgs ?? []), t.mailbox], { allowFail: true });
      const cyLeft = checkCodes(master, t.mailbox);
      const twinAfter = await imapView(master, t.mailbox).catch(() => undefined);
      const cyLoss = twinAfter ? lossSummary(twinBefore, twinAfter) : undefined;
      // …and what replication then makes of Cyrus's repair.
      const cyMark = master.syslog().length;
      const cySync = await master.tool('sync_client', ['-v', '-u', twin], { allowFail: true });
      const cyRecovered = master.syslog().slice(cyMark).some((l) => l.includes(t.mailbox) && /CRC failure|higher on replica|inefficient replication|full_update/i.test(l));
      const twinSynced = await imapView(master, t.mailbox).catch(() => undefined);
      const cyDup = twinSynced ? twinSynced.messages.length - new Set(twinSynced.messages.map((x) => x.sha1)).size : 0;
      const cySyncLoss = twinSynced ? lossSummary(twinBefore, twinSynced) : undefined;

      const r = repairCli(master, [m.mailbox, '--json', ...(c.args ?? [])]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(c.exit);
      expect(r.json, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBeDefined();
      const actions = r.json.mailboxes[0].actions as Array<{ kind: string; outcome: string; severity: string }>;

      if (c.clean) {
        expect(await reconstructComplaints(master, m.mailbox)).toEqual([]);
        expect(await reconstructComplaints(master, m.mailbox, ['-G']), 'reconstruct -n -G').toEqual(c.id === 'guid-mismatch' ? [`${m.mailbox} uid 5 guid mismatch`] : []);
      }
      const oursLeft = checkCodes(master, m.mailbox);
      if (c.checkClean) expect(oursLeft, 'check after the repair').toEqual([]);
      const after = await imapView(master, m.mailbox);
      const ours = lossSummary(before, after);
      expect(after.uidvalidity).toBe(before.uidvalidity);
      // Rebuilt with no backup, the old highestmodseq is unknown here (the replica knows it).
      if (c.id !== 'index-missing') expect(after.highestmodseq).toBeGreaterThanOrEqual(before.highestmodseq);
      expect(after.uidnext).toBeGreaterThanOrEqual(before.uidnext);
      const expectGone = c.gone ?? [];
      const keptDamaged = c.id === 'file-missing' || c.id === 'file-truncated' || c.id === 'guid-mismatch';
      if (keptDamaged) {
        // Kept and reported: the record (flags, GUID) stays live in the index; Cyrus itself
        // cannot serve the damaged file, the replica's intact copy is untouched.
        const idx = decodeIndex(readFileSync(indexPath(m.dir)));
        const r4 = idx.records.find((x) => x.uid === expectGone[0])!;
        expect(r4 && (r4.internalFlags & 0x80000000) === 0).toBe(true);
        expect(actions.some((a) => a.outcome === 'left')).toBe(true);
        const others = (v: MailboxView) => v.messages.filter((x) => !expectGone.includes(x.uid)).map((x) => [x.uid, x.sha1, x.flags.join(' ')]);
        expect(others(after)).toEqual(others(before));
      } else {
        expect(ours.lost).toEqual(expectGone);
        if (c.survival === 'same') {
          expect(ours.moved).toEqual(c.id === 'guid-reappend' ? [] : []);
          expect(ours.flagsLost).toEqual([]);
          if (c.id !== 'guid-reappend' && c.id !== 'file-missing-expunge' && c.id !== 'unindexed-above') {
            expect(after.messages.map((x) => [x.uid, x.sha1, x.flags.join(' '), x.internaldate])).toEqual(
              before.messages.map((x) => [x.uid, x.sha1, x.flags.join(' '), x.internaldate]),
            );
          }
        } else if (c.survival === 'content+flags') {
          expect(ours.flagsLost).toEqual([]);
        }
      }
      if (expectGone.length && c.id === 'file-missing-expunge') {
        expect(actions.find((a) => a.outcome === 'lost')?.severity).toBe('error');
      }
      if (c.id === 'guid-reappend') {
        // The changed content lives on under a new UID with the old message's flags.
        const old = before.messages.find((x) => x.uid === 5)!;
        const moved = after.messages.find((x) => x.uid > before.uidnext - 1)!;
        expect(moved.flags).toEqual(old.flags);
      }

      // The connected session carries on without an error, and what it writes now lands in
      // the repaired index (it re-opens the replaced cyrus.index at its next command).
      await session.ok('NOOP');
      await session.uidFetch('1:*', 'UID FLAGS');
      const first = after.messages[0]!.uid;
      await session.uidStore(String(first), '+', ['$AfterRepair']);
      await session.logout();
      expect((await imapView(master, m.mailbox)).messages.find((x) => x.uid === first)!.flags).toContain('$AfterRepair');

      // Replication: sync_client succeeds and both ends agree.
      const logMark = master.syslog().length;
      await syncClient(master, { users: [user] });
      // Whether the push needed sync_client's recovery (CRC failure → recount → full update).
      const recovery = master.syslog().slice(logMark).filter((l) => l.includes(m.mailbox) && /CRC failure|higher on replica|inefficient replication|full_update/i.test(l));
      if (c.checkClean) expect(recovery, 'sync_client needed a full update').toEqual([]);
      if (keptDamaged) {
        const rv = await imapView(replica, m.mailbox);
        const orig = before.messages.find((x) => x.uid === expectGone[0])!;
        expect(rv.messages.find((x) => x.uid === orig.uid)?.sha1, 'replica keeps the intact copy').toBe(orig.sha1);
      } else {
        expect(await compareReplica(master, replica, [m.mailbox])).toEqual([]);
      }

      const syncedView = await imapView(master, m.mailbox);
      const synced = lossSummary(before, syncedView);
      // Nothing came back twice (a replica copying back a UID the master lost would duplicate it).
      const count = (v: MailboxView) => v.messages.reduce((n, x) => n.set(x.sha1, (n.get(x.sha1) ?? 0) + 1), new Map<string, number>());
      const [c0, c1] = [count(before), count(syncedView)];
      const extra = c.id === 'unindexed-above' ? 1 : 0;
      expect([...c1.values()].reduce((a, b) => a + b, 0), 'messages after sync_client').toBeLessThanOrEqual(before.messages.length + extra);
      for (const [sha, n] of c1) if (c.id !== 'unindexed-above') expect(n, `duplicated after sync_client: ${sha}`).toBeLessThanOrEqual(c0.get(sha) ?? 1);
      table.push({
        id: c.id,
        damage: c.damage,
        ours: `exit ${r.code}; ${summarise(actions)}; lost ${ours.lost.join(',') || 'none'}; moved ${ours.moved.join(',') || 'none'}; flags lost ${ours.flagsLost.length}; check then finds ${oursLeft.join(',') || 'nothing'}; sync_client ${recovery.length ? `recovered (${recovery[0]!.replace(/^.*?(CRC failure|higher on replica|inefficient replication|full_update)/i, '$1').slice(0, 60)})` : 'incremental'}: flags lost ${synced.flagsLost.length}`,
        cyrus: `reconstruct ${(c.cyrusArgs ?? []).join(' ')}: ${cy.stdout.trim().split('\n').filter((l) => l !== t.mailbox).slice(0, 3).join(' | ') || '(no output)'}${cy.stderr.trim() ? ` stderr: ${cy.stderr.trim().split('\n')[0]}` : ''}; ${cyLoss ? `lost ${cyLoss.lost.join(',') || 'none'}; moved ${cyLoss.moved.join(',') || 'none'}; flags lost ${cyLoss.flagsLost.length}${cyLoss.uidvalidityChanged ? '; NEW UIDVALIDITY' : ''}` : 'mailbox unreadable'}; check then finds ${cyLeft.join(',') || 'nothing'}; after sync_client (exit ${cySync.code}${cySync.code ? `: ${syncError(cySync.stdout + cySync.stderr)}` : ''}${cyRecovered ? ', after a CRC failure / full update' : ''}): ${cySyncLoss ? `lost ${cySyncLoss.lost.join(',') || 'none'}, flags lost ${cySyncLoss.flagsLost.length}, duplicates ${cyDup}` : 'unreadable'}`,
      });
    });
  }
});

/** The line of sync_client's output that says why it failed. */
function syncError(out: string): string {
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /error|fail|mismatch|checksum/i.test(l)) ?? lines.at(-1) ?? '(no output)';
}

function summarise(actions: Array<{ kind: string; outcome: string }>): string {
  const n = new Map<string, number>();
  for (const a of actions) n.set(`${a.kind}(${a.outcome})`, (n.get(`${a.kind}(${a.outcome})`) ?? 0) + 1);
  return [...n].map(([k, v]) => (v > 1 ? `${k}×${v}` : k)).join(' ');
}
void renameSync;
