// check against a live Cyrus 3.6.1 spool (private instance, found through its imapd.conf and
// mailboxes.db): clean → exit 0 and nothing to say; damage on the live files → the right code;
// and the concurrency test: check runs again and again while IMAP clients append, store and
// expunge in the same mailboxes, finds nothing, and never makes those clients wait.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeHeader, encodeHeader, headerFileCrc } from '../../src/format/header.js';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import { populate, type Population } from '../harness/populate.js';
import { mbpath, ownerImapName, ownerOf } from '../harness/tools.js';
import { withSharedIndexLock } from '../../src/check/index-lock.js';
import { buildDist, editIndex, flipByte, snapshotTree, type JsonReport } from './helpers.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const CLI = join(REPO, 'bin', 'cyrus-fsck.js');

function check(inst: CyrusInstance, args: string[] = []) {
  const r = spawnSync(process.execPath, [CLI, 'check', '-C', inst.conf, '--json', ...args], { encoding: 'utf8' });
  return { code: r.status, doc: r.stdout ? (JSON.parse(r.stdout) as JsonReport) : undefined, stderr: r.stderr };
}

const codesOf = (doc: JsonReport | undefined) =>
  [...new Set(doc!.mailboxes.flatMap((m) => m.findings.map((f) => `${m.name}:${f.code}`)))].sort();

describeInterop('check on a live Cyrus 3.6.1 spool', () => {
  let inst: CyrusInstance;
  let pop: Population;
  beforeAll(async () => {
    buildDist();
    // expunge_mode immediate: expunged files are unlinked and the index repacked at once —
    // the harshest case for a scan that reads indexes without holding locks.
    inst = await CyrusInstance.start({ name: 'check', conf: { expunge_mode: 'immediate' } });
    pop = await populate(inst, { seed: 404, users: ['ann', 'ben'], messages: 30 });
  }, 300_000);
  afterAll(async () => {
    await inst?.stop();
  });

  it('a clean live spool: every mailbox checked, zero findings, exit 0, nothing changed', () => {
    const before = snapshotTree(inst.spool);
    const r = check(inst);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.doc!.mailboxes.map((m) => m.name).sort()).toEqual(expect.arrayContaining(pop.mailboxes));
    expect(codesOf(r.doc)).toEqual([]);
    expect(r.doc!.summary.messages).toBeGreaterThan(50);
    expect(snapshotTree(inst.spool)).toEqual(before);
  });

  it('selection: -u, MAILBOX patterns with * and %', () => {
    const ann = check(inst, ['-u', 'ann']).doc!.mailboxes.map((m) => m.name);
    expect(ann.length).toBeGreaterThan(0);
    expect(ann.every((n) => n === 'user.ann' || n.startsWith('user.ann.'))).toBe(true);
    expect(check(inst, ['user.ben']).doc!.mailboxes.map((m) => m.name)).toEqual(['user.ben']);
    expect(check(inst, ['user.%']).doc!.mailboxes.map((m) => m.name).sort()).toEqual(['user.ann', 'user.ben']);
    expect(check(inst, ['user.ben.*']).doc!.mailboxes.every((m) => m.name.startsWith('user.ben.'))).toBe(true);
  });

  it("our shared lock is Cyrus's lock: reconstruct waits for it, and goes on once we let go", async () => {
    const dir = await mbpath(inst, 'user.ann');
    let exitedWhileLocked = false;
    let reconstruct: Promise<number | null> | undefined;
    await withSharedIndexLock(join(dir, 'cyrus.index'), async () => {
      const p = spawn('runuser', ['-u', 'cyrus', '--', '/usr/lib/cyrus/bin/reconstruct', '-C', inst.conf, 'user.ann'], { stdio: 'ignore' });
      reconstruct = new Promise((res) => p.on('exit', (code) => res(code)));
      const early = await Promise.race([reconstruct.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1500))]);
      exitedWhileLocked = early;
    });
    expect(exitedWhileLocked).toBe(false);
    expect(await reconstruct).toBe(0);
  });

  it('damage made on the live files is reported with the right code', async () => {
    const inbox = 'user.ben';
    const dir = await mbpath(inst, inbox);
    flipByte(join(dir, '3.'), 40);
    const r1 = check(inst, [inbox]);
    expect(r1.code).toBe(4);
    expect(codesOf(r1.doc)).toEqual(['user.ben:GUID_MISMATCH']);

    // uniqueid in cyrus.header no longer what mailboxes.db says (header CRC kept consistent).
    const other = pop.mailboxes.find((m) => m.startsWith('user.ann.'))!;
    const odir = await mbpath(inst, other);
    const hpath = join(odir, 'cyrus.header');
    const h = decodeHeader(readFileSync(hpath));
    // Another first character: Cyrus 3.6's uniqueids are [0-9a-z], so a fixed 'x' left about
    // one in 36 of them unchanged (the failure seen once in CI: no finding at all).
    h.uniqueid = `${h.uniqueid!.startsWith('x') ? 'y' : 'x'}${h.uniqueid!.slice(1)}`;
    const hb = encodeHeader(h);
    writeFileSync(hpath, hb);
    editIndex(odir, (f) => void (f.header.headerFileCrc = headerFileCrc(hb)));
    expect(codesOf(check(inst, [other]).doc)).toEqual([`${other}:UNIQUEID_MISMATCH`]);

    // A folder no mailboxes.db entry names (a copy of user.ann's INBOX folder under a new uuid).
    const annDir = await mbpath(inst, 'user.ann');
    const stray = join(dirname(dirname(dirname(annDir))), 'z', 'z', 'zzzzzzzzzzzzzzzzzzzzzzzz');
    cpSync(annDir, stray, { recursive: true });
    const full = check(inst);
    expect(full.doc!.mailboxes.find((m) => m.path === stray)?.findings.map((f) => f.code)).toEqual(['MAILBOX_UNLISTED']);
    rmSync(stray, { recursive: true });

    // A listed mailbox whose folder is gone.
    const victim = pop.mailboxes.find((m) => m.startsWith('user.ben.'))!;
    rmSync(await mbpath(inst, victim), { recursive: true });
    expect(codesOf(check(inst, [victim]).doc)).toEqual([`${victim}:MAILBOX_DIR_MISSING`]);
  });
});

describeInterop('check while IMAP clients change the same mailboxes', () => {
  let inst: CyrusInstance;
  let pop: Population;
  beforeAll(async () => {
    buildDist();
    // auditlog: every append/expunge/unlink in syslog with its uid, to read a failing run's timeline.
    inst = await CyrusInstance.start({ name: 'conc', conf: { expunge_mode: 'immediate', auditlog: 'yes' } });
    pop = await populate(inst, { seed: 77, users: ['cy', 'dee'], messages: 40, shared: null });
  }, 300_000);
  afterAll(async () => {
    await inst?.stop();
  });

  it('zero findings from every run, and no client command waits more than a moment', async () => {
    const targets = pop.mailboxes.filter((m) => ownerOf(m));
    let stop = false;
    let ops = 0;
    let slowest = 0;
    const sample = readFileSync(join(REPO, 'test', 'fixtures', 'cassandane-mime', 'simple.eml'));
    const client = async (mailbox: string, seed: number) => {
      const user = ownerOf(mailbox)!;
      await inst.withImap(user, async (c) => {
        const name = ownerImapName(mailbox);
        await c.select(name);
        let n = seed;
        while (!stop) {
          const t = Date.now();
          n++;
          const uid = await c.append(name, sample, { flags: n % 2 ? ['\\Seen'] : [] });
          await c.uidStore(String(uid), '+', ['\\Flagged', `$k${n % 5}`]);
          if (n % 3 === 0) {
            await c.uidStore(String(uid), '+', ['\\Deleted']);
            await c.uidExpunge(String(uid));
          }
          slowest = Math.max(slowest, Date.now() - t);
          ops++;
        }
      });
    };
    const clients = targets.slice(0, 4).map((m, i) => client(m, i * 1000));
    const runs: Array<{ code: number | null; findings: string[] }> = [];
    const deadline = Date.now() + 20_000;
    let withdrawn = 0;
    while (Date.now() < deadline) {
      const out = await new Promise<{ code: number | null; stdout: string }>((res) => {
        const p = spawn(process.execPath, [CLI, 'check', '-C', inst.conf, '--json', '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
        p.stderr.on('data', (d: Buffer) => (withdrawn += (d.toString().match(/in progress/g) ?? []).length));
        let stdout = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.on('exit', (code) => res({ code, stdout }));
      });
      const doc = JSON.parse(out.stdout) as JsonReport;
      runs.push({ code: out.code, findings: codesOf(doc) });
      // A run with findings is a false positive: show what it said, for the syslog's timeline.
      if (codesOf(doc).length) {
        const bad = doc.mailboxes.filter((m) => m.findings.length);
        console.log(new Date().toISOString(), JSON.stringify(bad));
        // What Cyrus did to those uids (auditlog lines: append, expunge, unlink).
        const said = inst.syslog();
        for (const m of bad)
          for (const f of m.findings)
            if (f.uid !== undefined) console.log(said.filter((l) => l.includes('auditlog:') && l.includes(`mailbox=<${m.name}>`) && l.includes(`uid=<${f.uid}>`)).join('\n'));
      }
    }
    stop = true;
    await Promise.all(clients);
    // How often the lock-free first look saw a change in progress (informative; timing-dependent).
    console.log(`concurrent check: ${runs.length} runs, ${ops} client rounds, ${withdrawn} mailbox passes re-decided under the lock, slowest client round ${slowest} ms`);
    expect(ops).toBeGreaterThan(20);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.filter((r) => r.findings.length > 0)).toEqual([]);
    expect(runs.every((r) => r.code === 0)).toBe(true);
    // Appends, stores and expunges, each a few IMAP round trips on a loaded 2-core machine.
    expect(slowest).toBeLessThan(3_000);
  }, 180_000);
});
