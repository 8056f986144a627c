// repair and Cyrus exclude each other through Cyrus's own locks: while our repair holds them,
// Cyrus's reconstruct on the same mailbox waits, and the other way round; a lock that is not
// granted in time ends in exit 8 with nothing written; SIGINT releases everything (exit 32,
// cyrus.index untouched); --dry-run writes nothing and plans what apply then does; backups can
// be undone; the sync log gets its MAILBOX line. All against a live Cyrus 3.6.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInterop, which } from '../harness/env.js';
import { CyrusInstance, cyrusIds, runProcess } from '../harness/instance.js';
import { CYRUS_BIN } from '../harness/env.js';
import { imapView } from '../harness/tools.js';
import { waitForWriteLock, fileSha1, HDR, indexPath, mailboxWith, reconstructComplaints, repairCli, repairCliAsync, setHeaderU32 } from './helpers.js';


describeInterop('repair: locks shared with Cyrus, dry run, backups, undo, sync log', () => {
  let inst: CyrusInstance;
  let slow: string;
  let mailbox: string;
  let dir: string;

  /** Cyrus's reconstruct, slowed down (opening cyrus.cache) so it holds its locks a while. */
  const reconstruct = (args: string[], slowMs = 0) => {
    const t0 = Date.now();
    const env: Record<string, string> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...inst.shimEnv };
    if (slowMs) {
      env.LD_PRELOAD = `${inst.shimEnv.LD_PRELOAD} ${slow}`;
      env.CYRUS_FSCK_SLOW_OPEN = 'cyrus.cache';
      env.CYRUS_FSCK_SLOW_MS = String(slowMs);
    }
    return runProcess([`${CYRUS_BIN}/reconstruct`, '-C', inst.conf, ...args], { timeoutMs: 60_000, asCyrus: cyrusIds(), env }).then((r) => ({ ...r, start: t0, end: Date.now() }));
  };
  const backups = () => (existsSync(inst.configPath('cyrus-fsck-backup')) ? readdirSync(inst.configPath('cyrus-fsck-backup')) : []);

  beforeAll(async () => {
    inst = await CyrusInstance.start({ conf: { sync_log: '1' } });
    slow = join(inst.dir, 'slow-open.so');
    execFileSync(which('cc') ?? which('gcc')!, ['-shared', '-fPIC', '-O2', '-o', slow, resolve(import.meta.dirname, 'slow-open.c'), '-ldl']);
    ({ mailbox, dir } = await mailboxWith(inst, 'lockuser', 8));
  });
  afterAll(() => inst?.stop());

  it('--dry-run writes nothing and lists exactly what the repair then does', async () => {
    setHeaderU32(dir, HDR.answered, 5);
    const before = fileSha1(indexPath(dir));
    const dry = repairCli(inst, [mailbox, '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(4);
    expect(fileSha1(indexPath(dir))).toBe(before);
    expect(backups()).toEqual([]);
    const real = repairCli(inst, [mailbox, '--json']);
    expect(real.code, real.stderr).toBe(1);
    expect(real.json.mailboxes[0].actions).toEqual(dry.json.mailboxes[0].actions);
    expect(real.json.mailboxes[0].actions.map((a: { field?: string }) => a.field)).toContain('answered');
    expect(await reconstructComplaints(inst, mailbox)).toEqual([]);
    expect(repairCli(inst, [mailbox]).code).toBe(0); // nothing left to do
  });

  it('appends MAILBOX <name> to the sync log after a repair', () => {
    const log = readFileSync(inst.configPath('sync', 'log'), 'utf8');
    expect(log.split('\n')).toContain(`MAILBOX ${mailbox}`);
  });

  it("keeps the backup's manifest and files, and --undo puts them back byte for byte", async () => {
    setHeaderU32(dir, HDR.flagged, 7);
    const damaged = fileSha1(indexPath(dir));
    const r = repairCli(inst, [mailbox, '--json']);
    expect(r.code).toBe(1);
    const b = r.json.mailboxes[0].backup as string;
    const manifest = JSON.parse(readFileSync(join(b, 'manifest.json'), 'utf8'));
    expect(manifest.state).toBe('applied');
    expect(manifest.files.map((f: { role: string }) => f.role).sort()).toEqual(['cache', 'header', 'index'].concat(existsSync(join(dir, 'cyrus.annotations')) ? ['annotations'] : []).sort());
    expect(manifest.files.find((f: { role: string }) => f.role === 'index').sha1).toBe(damaged);
    const u = repairCli(inst, ['--undo', b]);
    expect(u.code, u.stderr).toBe(1);
    expect(fileSha1(indexPath(dir))).toBe(damaged);
    // Undo refuses when Cyrus wrote since the repair (it would lose that write).
    expect(repairCli(inst, [mailbox]).code).toBe(1);
    const b2 = backups().sort().at(-1)!;
    await inst.withImap('lockuser', async (c) => {
      await c.select('INBOX');
      await c.uidStore('1', '+', ['\\Answered']);
    });
    const refused = repairCli(inst, ['--undo', inst.configPath('cyrus-fsck-backup', b2)]);
    expect(refused.code).toBe(8);
    expect(refused.stderr).toMatch(/changed since the repair/);
  });

  it('while our repair holds the locks, Cyrus reconstruct on the same mailbox waits for it', async () => {
    setHeaderU32(dir, HDR.answered, 0);
    const ours = repairCliAsync(inst, [mailbox], { CYRUS_FSCK_TEST_HOOK: 'locked:sleep:2500' });
    await waitForWriteLock(indexPath(dir), ours.pid);
    const theirs = await reconstruct([mailbox]);
    const r = await ours.done;
    expect(r.code, r.stderr).toBe(1);
    // reconstruct started while we held the locks and could only finish after we let go.
    expect(theirs.start).toBeLessThan(r.end - 1000);
    expect(theirs.end).toBeGreaterThanOrEqual(r.end - 50);
    expect(theirs.code).toBe(0);
  });

  it('while Cyrus reconstruct holds the locks, our repair waits for it', async () => {
    setHeaderU32(dir, HDR.answered, 0);
    const theirs = reconstruct([mailbox], 1500);
    await waitForWriteLock(indexPath(dir));
    const t0 = Date.now();
    const r = repairCli(inst, [mailbox, '--json']);
    const c = await theirs;
    expect(c.end - c.start).toBeGreaterThan(1400);
    // We got the lock only after reconstruct finished (it repaired the counter itself meanwhile).
    expect(t0 + r.ms).toBeGreaterThanOrEqual(c.end - 50);
    expect([0, 1]).toContain(r.code);
  });

  it('a lock held longer than --lock-timeout ends in exit 8 with nothing written', async () => {
    setHeaderU32(dir, HDR.answered, 0);
    const theirs = reconstruct([mailbox], 2500);
    await waitForWriteLock(indexPath(dir));
    const n = backups().length;
    const r = repairCli(inst, [mailbox, '--lock-timeout', '1']);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/lock timeout/);
    expect(r.ms).toBeLessThan(4000);
    expect(backups().length).toBe(n);
    await theirs;
  });

  it('SIGINT while holding the locks: exit 32, cyrus.index untouched, locks released at once', async () => {
    setHeaderU32(dir, HDR.answered, 3);
    const before = fileSha1(indexPath(dir));
    const ours = repairCliAsync(inst, [mailbox], { CYRUS_FSCK_TEST_HOOK: 'locked:sleep:1500' });
    await waitForWriteLock(indexPath(dir), ours.pid);
    process.kill(ours.pid, 'SIGINT');
    const r = await ours.done;
    expect(r.code, r.stderr).toBe(32);
    expect(fileSha1(indexPath(dir))).toBe(before);
    const t = await reconstruct(['-n', mailbox]);
    expect(t.end - t.start).toBeLessThan(1500);
    expect(repairCli(inst, [mailbox]).code).toBe(1);
  });

  it('shared mailbox: a session that has it selected writes into the repaired index afterwards', async () => {
    const shared = 'shared.locktest';
    await inst.withImap(undefined, async (c) => {
      await c.create(shared);
      await c.setAcl(shared, 'admin', 'lrswipkxtecda');
      for (let i = 0; i < 3; i++) await c.append(shared, Buffer.from(`Subject: s${i}\r\n\r\nbody ${i}\r\n`));
    });
    const sdir = (await inst.tool('mbpath', [shared])).stdout.trim();
    setHeaderU32(sdir, HDR.flagged, 2);
    // Cyrus 3.6.1's imapd holds no name lock between commands (checked in /proc/locks) and
    // re-reads cyrus.index at its next command, so the file replaced under it is the one it uses.
    const session = await inst.imap();
    await session.select(shared);
    const r = repairCli(inst, [shared]);
    expect(r.code, r.stderr).toBe(1);
    await session.uidStore('2', '+', ['\\Flagged']);
    await session.ok('NOOP');
    await session.logout();
    const v = await imapView(inst, shared);
    expect(v.messages.map((m) => m.flags.join(' '))).toEqual(['', '\\Flagged', '']);
    expect(await reconstructComplaints(inst, shared)).toEqual([]);
  });
});
