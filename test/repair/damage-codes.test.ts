// The seven finding codes whose repair had no damage case (UID_ORDER, LAST_UID_LOW,
// HIGHESTMODSEQ_LOW, CACHE_GENERATION, UNIQUEID_MISMATCH, HEADER_FILE_CRC, GUID_ZERO), each made
// on a copy of a mailbox Cyrus 3.6.1 wrote:
// - the plan (pure): applied to the copy, `check` finds nothing; every record keeps its UID,
//   GUID, flags, dates and expunged state; last_uid, highestmodseq, UIDVALIDITY never go down;
//   records whose bytes a replica sees (GUID, uid) changed get a modseq above the old
//   highestmodseq, all others keep theirs;
// - the CLI on a private Cyrus 3.6 (the fixture planted as a live mailbox): `repair` exits 1,
//   `cyrus-fsck check` and Cyrus's own `reconstruct -n` (and `-n -G`) find nothing, and IMAP
//   shows every message with its original bytes, flags and INTERNALDATE under its UID.
import { appendFileSync, chownSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHeader, encodeHeader } from '../../src/format/header.js';
import { decodeIndex, encodeIndex, isExpunged, type IndexFile, type IndexRecord } from '../../src/format/index/index.js';
import { decodeState, makePlan, needsParse, NO_HINTS, type Plan } from '../../src/repair/plan.js';
import type { ReplicaView } from '../../src/repair/replica.js';
import { parseFiles, readFolder, readRaw } from '../../src/repair/state.js';
import { buildDist, checkPaths, codes } from '../check/helpers.js';
import { describeInterop } from '../harness/env.js';
import { cyrusIds, CyrusInstance } from '../harness/instance.js';
import { imapView } from '../harness/tools.js';
import { runCli } from '../helpers/cli.js';
import { copyOf, indexFixture } from '../helpers/fixtures.js';
import { plantFixture, reconstructComplaints, repairCli, type Planted } from './helpers.js';

const now = 1_900_000_000;
const ZERO = '0'.repeat(40);

function editIndex(dir: string, edit: (f: IndexFile) => void): void {
  const p = join(dir, 'cyrus.index');
  const f = decodeIndex(readFileSync(p));
  edit(f);
  f.header.numRecords = f.records.length;
  writeFileSync(p, encodeIndex(f, { recomputeCrc: true }));
}
const at = (f: IndexFile, uid: number) => f.records.findIndex((r) => r.uid === uid);

interface Case {
  code: string;
  label: string;
  damage: (dir: string) => void;
  /** What check reports on the damaged copy (the code itself plus stated consequences). */
  findings: string[];
  /** Action kinds the repair must report. */
  kinds: string[];
  /** UIDs whose record the repair must give a new modseq (all others keep theirs). */
  bumped: number[];
}

const CASES: Case[] = [
  {
    code: 'UID_ORDER', label: 'records of uid 3 and 4 swapped (CRCs right)',
    damage: (dir) => editIndex(dir, (f) => ([f.records[2], f.records[3]] = [f.records[3]!, f.records[2]!])),
    findings: ['UID_ORDER', 'UNINDEXED_FILE_REUSE'], kinds: ['reorder-records'], bumped: [],
  },
  {
    code: 'UID_ORDER', label: "record 4's uid field says 3 (a repeated uid, CRCs right)",
    damage: (dir) => editIndex(dir, (f) => void (f.records[at(f, 4)]!.uid = 3)),
    findings: ['UID_ORDER', 'UNINDEXED_FILE_REUSE'], kinds: ['recover-record'], bumped: [4],
  },
  {
    code: 'UID_ORDER', label: "record 3's uid field says 4 (the first of two uid-4 records is the wrong one)",
    damage: (dir) => editIndex(dir, (f) => void (f.records[at(f, 3)]!.uid = 4)),
    // check, like Cyrus, holds the first record of a uid against the file: it describes file 3.
    findings: ['UID_ORDER', 'UNINDEXED_FILE_REUSE', 'SIZE_MISMATCH'], kinds: ['recover-record'], bumped: [3],
  },
  {
    code: 'LAST_UID_LOW', label: 'last_uid 10, records up to uid 12',
    damage: (dir) => editIndex(dir, (f) => void (f.header.lastUid = 10)),
    findings: ['LAST_UID_LOW'], kinds: ['raise-last-uid'], bumped: [],
  },
  {
    code: 'HIGHESTMODSEQ_LOW', label: 'highestmodseq 20, below the records\' modseqs',
    damage: (dir) => editIndex(dir, (f) => void (f.header.highestmodseq = 20n)),
    findings: ['HIGHESTMODSEQ_LOW'], kinds: ['raise-highestmodseq'], bumped: [],
  },
  {
    code: 'CACHE_GENERATION', label: "cyrus.cache's generation word changed",
    damage: (dir) => {
      const p = join(dir, 'cyrus.cache');
      const b = readFileSync(p);
      b[3] = b[3]! ^ 0x01;
      writeFileSync(p, b);
    },
    findings: ['CACHE_GENERATION'], kinds: ['new-cache-file'], bumped: [],
  },
  {
    code: 'UNIQUEID_MISMATCH', label: "cyrus.header's uniqueid is not mailboxes.db's",
    damage: (dir) => {
      const p = join(dir, 'cyrus.header');
      const h = decodeHeader(readFileSync(p));
      writeFileSync(p, encodeHeader({ ...h, uniqueid: [...h.uniqueid!].reverse().join('') }));
    },
    // The header's bytes changed, so the index's header_file_crc no longer matches either.
    findings: ['UNIQUEID_MISMATCH', 'HEADER_FILE_CRC'], kinds: ['fix-uniqueid'], bumped: [],
  },
  {
    code: 'HEADER_FILE_CRC', label: "index's header_file_crc wrong (index CRC right)",
    damage: (dir) => editIndex(dir, (f) => void (f.header.headerFileCrc = (f.header.headerFileCrc! ^ 0x5a5a) >>> 0)),
    findings: ['HEADER_FILE_CRC'], kinds: ['recompute-header'], bumped: [],
  },
  {
    code: 'GUID_ZERO', label: 'GUID of uid 5 zeroed (record CRC right, stored SYNC_CRC as it was)',
    damage: (dir) => editIndex(dir, (f) => void (f.records[at(f, 5)]!.guid = ZERO)),
    findings: ['GUID_ZERO', 'SYNC_CRC_MISMATCH'], kinds: ['set-guid'], bumped: [5],
  },
];

const filesOf = (dir: string) => ({ index: join(dir, 'cyrus.index'), header: join(dir, 'cyrus.header'), cache: join(dir, 'cyrus.cache'), annotations: join(dir, 'cyrus.annotations'), dir });

async function planFor(dir: string, mboxlist: { uidvalidity: number; uniqueid: string }, replicaView?: ReplicaView): Promise<Plan> {
  const files = filesOf(dir);
  const raw = await readRaw(decodeHeader(readFileSync(files.header)).name!, files, undefined);
  raw.mboxlist = mboxlist;
  const facts = await readFolder(dir);
  const d = decodeState(raw, now);
  return makePlan(d, facts, parseFiles(facts, needsParse(d, facts)), { ...NO_HINTS, replica: replicaView }, { guidMismatch: 'keep', missing: 'keep', removeOdd: false, now });
}

/** What apply.ts does with a plan, minus locks and backups (no file operations expected here). */
function writeTarget(dir: string, plan: Plan): void {
  const t = plan.target!;
  expect(t.fileOps).toEqual([]);
  const f = filesOf(dir);
  if (t.cacheNew) writeFileSync(f.cache, t.cacheNew);
  else if (t.cacheAppend) appendFileSync(f.cache, t.cacheAppend);
  if (t.header) writeFileSync(f.header, t.header);
  writeFileSync(`${f.index}.NEW`, t.index);
  renameSync(`${f.index}.NEW`, f.index);
}

/** The fields of a record a client or a replica sees, by UID. */
const visible = (r: IndexRecord) => ({
  guid: r.guid, size: r.size, internaldate: r.internaldate, systemFlags: r.systemFlags, userFlags: r.userFlags.join(','), expunged: isExpunged(r),
});

describe('repair plans for the seven codes (pure, real fixtures)', () => {
  beforeAll(() => buildDist(), 180_000);

  for (const v of [17, 12]) {
    for (const c of CASES) {
      it(`v${v} ${c.code}: ${c.label}`, async () => {
        const dir = join(copyOf(indexFixture(v)), 'mailbox');
        const orig = decodeIndex(readFileSync(join(dir, 'cyrus.index')));
        const origHeader = decodeHeader(readFileSync(join(dir, 'cyrus.header')));
        const origCache = readFileSync(join(dir, 'cyrus.cache'));
        c.damage(dir);
        if (c.code !== 'UNIQUEID_MISMATCH') expect(codes(await checkPaths([dir]))).toEqual([...c.findings].sort());

        const plan = await planFor(dir, { uidvalidity: orig.header.uidvalidity, uniqueid: origHeader.uniqueid! });
        expect(plan.noop).toBe(false);
        expect(plan.actions.every((a) => a.outcome === 'fixed'), plan.actions.map((a) => a.message).join('\n')).toBe(true);
        for (const k of c.kinds) expect(plan.actions.map((a) => a.kind)).toContain(k);
        expect(plan.removedRecords).toEqual([]);
        writeTarget(dir, plan);

        // check (path mode) finds nothing; the uniqueid is compared with what the plan wrote.
        expect(codes(await checkPaths([dir]))).toEqual([]);
        expect(decodeHeader(readFileSync(join(dir, 'cyrus.header'))).uniqueid).toBe(origHeader.uniqueid);

        const out = decodeIndex(readFileSync(join(dir, 'cyrus.index')));
        const h0 = orig.header;
        expect(out.header.uidvalidity).toBe(h0.uidvalidity);
        expect(out.header.lastUid).toBeGreaterThanOrEqual(h0.lastUid);
        expect(out.header.highestmodseq!).toBeGreaterThanOrEqual(h0.highestmodseq!);
        expect(out.header.generationNo).toBe(h0.generationNo);
        // The same UIDs, in order, each with what a client or replica sees of it.
        expect(out.records.map((r) => r.uid)).toEqual(orig.records.map((r) => r.uid));
        for (const [i, r] of out.records.entries()) {
          const o = orig.records[i]!;
          expect(visible(r), `uid ${r.uid}`).toEqual(visible(o));
          if (c.bumped.includes(r.uid)) expect(r.modseq!, `uid ${r.uid} modseq`).toBeGreaterThan(h0.highestmodseq!);
          else expect(r.modseq, `uid ${r.uid} modseq`).toBe(o.modseq);
        }
        // Cache-generation repair rewrites the word only: every cache record byte stays.
        if (c.code === 'CACHE_GENERATION') {
          expect(readFileSync(join(dir, 'cyrus.cache')).equals(origCache)).toBe(true);
          expect(out.records.map((r) => [r.cacheOffset, r.cacheCrc])).toEqual(orig.records.map((r) => [r.cacheOffset, r.cacheCrc]));
        }
        if (c.bumped.length === 0) expect(out.header.syncCrcBasic).toBe(h0.syncCrcBasic);
      });
    }
  }
});

describe('with the replica known (--from-replica): its last_uid, highestmodseq and uniqueid count', () => {
  const replica = (over: Partial<ReplicaView>): ReplicaView => ({ source: 'replica:2005', uidvalidity: 0, lastUid: 0, highestmodseq: 0n, records: [], ...over });
  const fixtureCopy = () => {
    const dir = join(copyOf(indexFixture(17)), 'mailbox');
    return { dir, orig: decodeIndex(readFileSync(join(dir, 'cyrus.index'))), uniqueid: decodeHeader(readFileSync(join(dir, 'cyrus.header'))).uniqueid! };
  };

  it('last_uid and highestmodseq found low are raised to the replica\'s when it saw more; records untouched', async () => {
    const { dir, orig, uniqueid } = fixtureCopy();
    editIndex(dir, (f) => void ((f.header.lastUid = 10), (f.header.highestmodseq = 20n)));
    const rv = replica({ uidvalidity: orig.header.uidvalidity, lastUid: 15, highestmodseq: 70n, uniqueid });
    const plan = await planFor(dir, { uidvalidity: orig.header.uidvalidity, uniqueid }, rv);
    const out = decodeIndex(plan.target!.index);
    expect([out.header.lastUid, out.header.highestmodseq]).toEqual([15, 70n]);
    expect(out.records).toEqual(orig.records);
    expect(plan.actions.every((a) => a.outcome === 'fixed')).toBe(true);
  });

  it('an intact mailbox the replica agrees with plans nothing', async () => {
    const { dir, orig, uniqueid } = fixtureCopy();
    const rv = replica({ uidvalidity: orig.header.uidvalidity, lastUid: orig.header.lastUid, highestmodseq: orig.header.highestmodseq!, uniqueid });
    expect((await planFor(dir, { uidvalidity: orig.header.uidvalidity, uniqueid }, rv)).noop).toBe(true);
  });

  it('cyrus.header is left alone when the replica knows the mailbox by another uniqueid than mailboxes.db', async () => {
    const { dir, orig, uniqueid } = fixtureCopy();
    const other = [...uniqueid].reverse().join('');
    const rv = replica({ uidvalidity: orig.header.uidvalidity, lastUid: orig.header.lastUid, highestmodseq: orig.header.highestmodseq!, uniqueid });
    const plan = await planFor(dir, { uidvalidity: orig.header.uidvalidity, uniqueid: other }, rv);
    expect(plan.actions.map((a) => [a.kind, a.outcome])).toEqual([['fix-uniqueid', 'left']]);
    expect(plan.target?.header).toBeUndefined();
  });
});

describeInterop('repair of the seven codes on a private Cyrus 3.6 (fixture planted as a live mailbox)', () => {
  let inst: CyrusInstance;
  const planted = new Map<number, Planted>();

  beforeAll(async () => {
    buildDist();
    inst = await CyrusInstance.start({ name: 'codes' });
    for (const v of [17, 12]) planted.set(v, await plantFixture(inst, join(indexFixture(v), 'mailbox')));
  }, 240_000);
  afterAll(async () => {
    await inst?.stop();
  });

  // On a v12 index 3.6.1's reconstruct -n always prints two lines: it compares quota_annot_used
  // and sync_crc_annot, which v12 does not store (always 0), with what it computes. They are
  // its baseline for the intact fixture; a repaired copy must not make it say anything more.
  const baseline = new Map<number, string[]>();
  it('the planted fixtures are clean for check; reconstruct -n says only its v12 baseline', async () => {
    for (const [v, p] of planted) {
      baseline.set(v, await reconstructComplaints(inst, p.mailbox));
      expect(baseline.get(v)).toEqual(v === 12 ? [`${p.mailbox} updating quota_annot_used: 0 => 145`, `${p.mailbox}: updating sync_crc_annot 0 => 2847649272`] : []);
      expect(await reconstructComplaints(inst, p.mailbox, ['-G'])).toEqual(baseline.get(v));
      const r = runCli(['check', '-C', inst.conf, p.mailbox, '--json']);
      expect(r.code, r.stdout).toBe(0);
    }
  });

  for (const v of [17, 12]) {
    for (const c of CASES) {
      it(`v${v} ${c.code}: ${c.label}`, async () => {
        const p = planted.get(v)!;
        p.replant();
        const before = await imapView(inst, p.mailbox);
        const idx0 = decodeIndex(readFileSync(join(p.dir, 'cyrus.index')));
        c.damage(p.dir);
        const found = runCli(['check', '-C', inst.conf, p.mailbox, '--json']);
        expect(found.code).toBe(4);
        const foundCodes = [...new Set((JSON.parse(found.stdout).mailboxes[0].findings as Array<{ code: string }>).map((f) => f.code))].sort();
        expect(foundCodes).toEqual([...c.findings].sort());

        const backups = mkdtempSync(join(inst.dir, 'backup-'));
        chownSync(backups, cyrusIds().uid, cyrusIds().gid);
        const r = repairCli(inst, [p.mailbox, '--json', '--backup-dir', backups]);
        expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
        expect(r.json, r.stdout + r.stderr).toBeDefined();
        const kinds = (r.json.mailboxes[0].actions as Array<{ kind: string }>).map((a) => a.kind);
        for (const k of c.kinds) expect(kinds).toContain(k);

        const after = runCli(['check', '-C', inst.conf, p.mailbox, '--json']);
        expect(after.code, after.stdout).toBe(0);
        expect(await reconstructComplaints(inst, p.mailbox)).toEqual(baseline.get(v));
        expect(await reconstructComplaints(inst, p.mailbox, ['-G'])).toEqual(baseline.get(v));

        const view = await imapView(inst, p.mailbox);
        expect(view.uidvalidity).toBe(before.uidvalidity);
        expect(view.highestmodseq).toBeGreaterThanOrEqual(before.highestmodseq);
        expect(view.uidnext).toBe(before.uidnext);
        const seen = (m: typeof view) => m.messages.map((x) => [x.uid, x.sha1, x.flags.join(' '), x.internaldate]);
        expect(seen(view)).toEqual(seen(before));
        for (const m of view.messages) {
          const old = before.messages.find((x) => x.uid === m.uid)!;
          if (c.bumped.includes(m.uid)) expect(m.modseq).toBeGreaterThan(idx0.header.highestmodseq!);
          else expect(m.modseq).toBe(old.modseq);
        }
      });
    }
  }
});
