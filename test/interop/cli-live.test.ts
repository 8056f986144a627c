// `cyrus-fsck crc`, `inspect` and `check` (run in-process through main()) against live Cyrus
// 3.6.1 instances found through their own imapd.conf and mailboxes.db: crc reproduces the
// SYNC_CRCs Cyrus stored in every mailbox of a master and its replica and across index versions
// 12-17, and says so when they differ; inspect shows the records IMAP shows and the header
// mbexamine shows; check finds nothing wrong with spools Cyrus wrote, and does find a message
// file whose bytes no longer match its GUID.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import { populate, type Population } from '../harness/populate.js';
import { imapView, listMailboxes, mailboxSyncCrcs, mbexamine, mbpath, reconstructVersion, storedSyncCrcs, syncAll } from '../harness/tools.js';

/** Runs the CLI in this process and captures what it prints. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [w1, w2] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'cyrus-fsck', ...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

interface CrcJson {
  mailboxes: Array<{
    name: string;
    path: string;
    indexVersion: number;
    algorithm: string;
    algorithmMatched: boolean;
    agree: boolean;
    stored: { basic?: number; annot?: number };
    computed: { basic: number; annot?: number };
    error?: string;
  }>;
  summary: { mailboxes: number; different: number };
}

/** crc --json over a whole instance: every listed mailbox agrees with what Cyrus stored. */
async function expectCrcAgrees(inst: CyrusInstance): Promise<void> {
  const r = await cli('crc', '-C', inst.conf, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout) as CrcJson;
  const names = doc.mailboxes.map((m) => m.name);
  for (const mb of await listMailboxes(inst)) expect(names).toContain(mb);
  for (const m of doc.mailboxes) {
    // The harness reads the stored words itself, independently of the CLI's decoders.
    const stored = storedSyncCrcs(readFileSync(join(m.path, 'cyrus.index')));
    expect({ name: m.name, agree: m.agree, matched: m.algorithmMatched, computed: m.computed }).toEqual({
      name: m.name,
      agree: true,
      matched: true,
      computed: { basic: stored.basic, ...(stored.annot !== undefined ? { annot: stored.annot } : {}) },
    });
    if (m.indexVersion >= 13) expect(m.algorithm).toBe('3.x');
  }
  expect(doc.summary.different).toBe(0);
}

describeInterop('crc and inspect commands against live Cyrus 3.6.1', () => {
  let master: CyrusInstance;
  let replica: CyrusInstance;
  let pop: Population;
  beforeAll(async () => {
    ({ master, replica } = await CyrusInstance.startPair({ name: 'cli' }));
    pop = await populate(master, { seed: 777, users: ['ivy', 'jon'], messages: 12 });
    await syncAll(master);
  });
  afterAll(async () => {
    await master?.stop();
    await replica?.stop();
  });

  it('crc finds every mailbox through imapd.conf and reproduces the stored SYNC_CRCs (exit 0)', async () => {
    await expectCrcAgrees(master);
  });

  it('crc reproduces the replica\'s SYNC_CRCs, whose keyword bits are numbered differently', async () => {
    await expectCrcAgrees(replica);
    const mb = pop.mailboxes[0]!;
    expect(await mailboxSyncCrcs(replica, mb)).toEqual(await mailboxSyncCrcs(master, mb));
  });

  it('crc agrees after reconstruct -V rewrites a mailbox in each version 12-17', async () => {
    for (const v of [12, 13, 14, 15, 16, 17]) {
      await reconstructVersion(master, 'user.ivy.Work', v);
      const r = await cli('crc', '-C', master.conf, 'user.ivy.Work', '--json');
      const [m] = (JSON.parse(r.stdout) as CrcJson).mailboxes;
      expect({ code: r.code, version: m!.indexVersion, agree: m!.agree }).toEqual({ code: 0, version: v, agree: true });
    }
  });

  it('crc reports a stored SYNC_CRC that the files do not reproduce (exit 4)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'cyrus-fsck-crc-'));
    try {
      const src = await mbpath(master, 'user.jon');
      cpSync(src, copy, { recursive: true });
      const index = readFileSync(join(copy, 'cyrus.index'));
      const truth = storedSyncCrcs(index).basic;
      index.writeUInt32BE((truth ^ 0x5a5a5a5a) >>> 0, 100);
      writeFileSync(join(copy, 'cyrus.index'), index);
      const r = await cli('crc', '--path', copy, '--json');
      const [m] = (JSON.parse(r.stdout) as CrcJson).mailboxes;
      expect(r.code).toBe(4);
      expect(m!.agree).toBe(false);
      expect(m!.computed.basic).toBe(truth);
      expect(m!.stored.basic).toBe((truth ^ 0x5a5a5a5a) >>> 0);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('inspect --json shows the records IMAP shows and the header mbexamine shows', async () => {
    for (const mb of ['user.ivy', 'user.jon.Archive.2023', 'shared.team']) {
      const r = await cli('inspect', '-C', master.conf, mb, '--json', '--no-cache');
      expect(r.code, r.stderr).toBe(0);
      const [v] = JSON.parse(r.stdout).mailboxes as Array<{
        header: { uniqueid: string; userFlags: string[] };
        index: { uidvalidity: number; lastUid: number; highestmodseq: number; exists: number; minorVersion: number };
        records: Array<{ uid: number; flags: string[]; internalFlags: string[]; modseq: number; size: number; internaldate: number; guid: string }>;
      }>;
      const [view, ex] = [await imapView(master, mb), await mbexamine(master, mb)];
      expect({
        uidvalidity: v!.index.uidvalidity,
        uidnext: v!.index.lastUid + 1,
        highestmodseq: BigInt(v!.index.highestmodseq),
        exists: v!.index.exists,
        messages: v!.records
          .filter((rec) => !rec.internalFlags.includes('EXPUNGED'))
          .map((rec) => ({ uid: rec.uid, flags: [...rec.flags].sort(), modseq: BigInt(rec.modseq), size: rec.size, internaldate: rec.internaldate, sha1: rec.guid })),
      }).toEqual({
        uidvalidity: view.uidvalidity,
        uidnext: view.uidnext,
        highestmodseq: view.highestmodseq,
        exists: view.exists,
        messages: view.messages,
      });
      expect(v!.header.uniqueid).toBe(ex.uniqueid);
      expect(v!.header.userFlags.filter(Boolean)).toEqual(ex.userFlagNames);
      expect(v!.index.minorVersion).toBe(ex.minorVersion);
      // Expunged records are in the index (delayed expunge) and in inspect, not in IMAP.
      expect(v!.records.length).toBeGreaterThanOrEqual(view.messages.length);
    }
  });

  it('inspect prints an mbexamine-like text view of a live mailbox', async () => {
    const r = await cli('inspect', '-C', master.conf, 'user.ivy');
    expect(r.code).toBe(0);
    const view = await imapView(master, 'user.ivy');
    expect(r.stdout).toContain('Examining user.ivy...');
    for (const m of view.messages) expect(r.stdout).toContain(`UID:${String(m.uid).padStart(8, '0')}`);
    expect(r.stdout).toContain(`Highest Mod Sequence: ${view.highestmodseq}`);
  });
});

interface CheckJson {
  mailboxes: Array<{ name: string; records: number; messagesVerified: number; findings: Array<{ code: string; uid?: number }> }>;
  summary: { mailboxes: number; messages: number };
}

describeInterop('check command against live Cyrus 3.6.1', () => {
  let master: CyrusInstance;
  let replica: CyrusInstance;
  beforeAll(async () => {
    ({ master, replica } = await CyrusInstance.startPair({ name: 'check' }));
    await populate(master, { seed: 4242, users: ['kim', 'lou'], messages: 12 });
    await reconstructVersion(master, 'user.kim.Work', 13);
    await syncAll(master);
  });
  afterAll(async () => {
    await master?.stop();
    await replica?.stop();
  });

  it('finds nothing wrong in every mailbox of a master and its replica (exit 0)', async () => {
    for (const inst of [master, replica]) {
      const r = await cli('check', '-C', inst.conf, '--json', '-j', '2');
      expect(r.code, r.stdout.slice(0, 2000)).toBe(0);
      const doc = JSON.parse(r.stdout) as CheckJson;
      for (const mb of await listMailboxes(inst)) expect(doc.mailboxes.map((m) => m.name)).toContain(mb);
      expect(doc.mailboxes.flatMap((m) => m.findings)).toEqual([]);
      // Expunged records keep their files (delayed expunge), so every record's file is hashed.
      for (const m of doc.mailboxes) expect(m.messagesVerified, m.name).toBe(m.records);
      expect(doc.summary.messages).toBeGreaterThan(50);
    }
  });

  it('reports a message file whose bytes changed under Cyrus (GUID mismatch, exit 4)', async () => {
    const dir = await mbpath(master, 'user.lou');
    const [m] = (await imapView(master, 'user.lou')).messages;
    const file = join(dir, `${m!.uid}.`);
    const original = readFileSync(file);
    const damaged = Buffer.from(original);
    damaged[damaged.length - 3] ^= 0x20; // same size, different SHA-1
    writeFileSync(file, damaged);
    try {
      const r = await cli('check', '-C', master.conf, 'user.lou', '--json');
      expect(r.code).toBe(4);
      const findings = (JSON.parse(r.stdout) as CheckJson).mailboxes[0]!.findings;
      expect(findings.map((f) => [f.code, f.uid])).toContainEqual(['GUID_MISMATCH', m!.uid]);
    } finally {
      writeFileSync(file, original);
    }
    expect((await cli('check', '-C', master.conf, 'user.lou')).code).toBe(0);
  });
});
