// The seen db is changed only under Cyrus's own lock, and Cyrus's writers and ours exclude each
// other both ways: cyr_dbtool in the middle of a transaction makes us wait (and give up with exit 8
// after --lock-timeout, nothing changed); while we hold the lock, cyr_dbtool waits, then finds the
// file we renamed in (its inode re-check) and writes into it. Also: a legacy-layout skiplist
// `.seen` beside the uuid seen.db is found, cleaned in its own format, and read back by Cyrus; a
// crash between restore file and rename leaves the database as it was.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImapdConf } from '../../src/config/index.js';
import { encodeSkiplist, readDbFile } from '../../src/db/index.js';
import { cleanSeenDb } from '../../src/seen/apply.js';
import { findSeenDbs } from '../../src/seen/find.js';
import { loadInventory } from '../../src/seen/inventory.js';
import { runCli } from '../helpers/cli.js';
import { fixtureSpool, isRoot, type FixtureSpool } from './spool.js';

const DBTOOL = '/usr/lib/cyrus/bin/cyr_dbtool';
const haveDbtool = isRoot() && existsSync(DBTOOL);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keys = (path: string) => readDbFile(path).records.map((r) => r.key.toString('latin1'));

function dbtool(s: FixtureSpool, ...args: string[]) {
  return spawn('runuser', ['-u', 'cyrus', '--', DBTOOL, '-C', s.conf, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}
const exited = (p: ReturnType<typeof spawn>) => new Promise<number>((r) => p.on('exit', (c) => r(c ?? -1)));

describe.runIf(haveDbtool)('seen-cleanup and Cyrus\'s lock on the seen db', () => {
  it('waits for cyr_dbtool\'s open transaction; times out with exit 8 and changes nothing; proceeds once it commits', async () => {
    const s = fixtureSpool();
    const tool = dbtool(s, s.seenDb, 'twoskip', 'batch');
    const done = exited(tool);
    tool.stdin!.write('BEGIN\nSET zz-held-by-cyrus "1 1 1 1 1"\n');
    await sleep(500); // the SET took the write lock; the transaction stays open
    const before = readFileSync(s.seenDb);
    const r = runCli(['seen-cleanup', '-C', s.conf, 'fxseen', '--apply', '--only', 'owner', '--lock-timeout', '1']);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/not granted within 1000 ms/);
    expect(readFileSync(s.seenDb).equals(before)).toBe(true);
    tool.stdin!.end('COMMIT\n');
    expect(await done).toBe(0);
    expect(runCli(['seen-cleanup', '-C', s.conf, 'fxseen', '--apply', '--only', 'owner']).code).toBe(1);
    // the owner entries went (the delayed-deleted Old is fxseen's too); Cyrus's committed key stayed
    expect(keys(s.seenDb)).toEqual([[...s.names].find(([, n]) => n === 'shared.fxteam')![0], 'zz-held-by-cyrus']);
  });

  it('cyr_dbtool waits while we hold the lock, then writes into the file we renamed in', async () => {
    const s = fixtureSpool();
    const conf = loadImapdConf(s.conf);
    const inv = await loadInventory(conf);
    const [file] = await findSeenDbs(conf, inv);
    let toolDone: Promise<number> | undefined;
    let finishedEarly = false;
    const report = await cleanSeenDb(conf, file!, {
      apply: true,
      only: 'all',
      restoreDir: join(s.root, 'restore'),
      wait: { timeoutMs: 5000 },
      beforeReplace: async () => {
        const tool = dbtool(s, s.seenDb, 'twoskip', 'set', 'zz-written-by-cyrus', '1 2 3 4 5');
        toolDone = exited(tool);
        toolDone.then(() => (finishedEarly = true));
        await sleep(700);
      },
    });
    expect(finishedEarly).toBe(false); // blocked on our lock
    expect(report.removed).toBe(3);
    expect(await toolDone).toBe(0);
    // its write went into our new file (it re-opened after the rename), nothing we removed came back
    expect(keys(s.seenDb)).toEqual([[...s.names].find(([, n]) => n === 'shared.fxteam')![0], 'zz-written-by-cyrus']);
    const c = spawnSync('runuser', ['-u', 'cyrus', '--', DBTOOL, '-C', s.conf, s.seenDb, 'twoskip', 'consistent']);
    expect(c.stdout.toString()).toMatch(/Yes, consistent/);
  });

  it('a crash after the restore file and before the rename leaves the seen db as it was', async () => {
    const s = fixtureSpool();
    const conf = loadImapdConf(s.conf);
    const [file] = await findSeenDbs(conf, await loadInventory(conf));
    const before = readFileSync(s.seenDb);
    const restoreDir = join(s.root, 'restore');
    await expect(
      cleanSeenDb(conf, file!, { apply: true, only: 'all', restoreDir, wait: { timeoutMs: 5000 }, beforeReplace: () => { throw new Error('killed'); } }),
    ).rejects.toThrow('killed');
    expect(readFileSync(s.seenDb).equals(before)).toBe(true);
    expect(existsSync(join(restoreDir, 'fxseen.seen.batch'))).toBe(true);
  });

  it('a legacy skiplist user/f/fxseen.seen beside the uuid seen.db: both found and cleaned, each in its format', () => {
    const s = fixtureSpool();
    const legacy = join(s.root, 'conf', 'user', 'f', 'fxseen.seen');
    mkdirSync(join(legacy, '..'), { recursive: true });
    writeFileSync(legacy, encodeSkiplist(readDbFile(s.seenDb).records));
    spawnSync('chown', ['-R', 'cyrus:mail', join(s.root, 'conf', 'user', 'f')]);
    const dry = JSON.parse(runCli(['seen-cleanup', '-C', s.conf, 'fxseen', '--json']).stdout);
    expect(dry.databases.map((d: { path: string; layout: string; active: boolean }) => [d.path, d.layout, d.active])).toEqual([
      [legacy, 'legacy', false],
      [s.seenDb, 'uuid', true],
    ]);
    expect(dry.summary.obsolete).toBe(6);
    const r = runCli(['seen-cleanup', '-C', s.conf, 'fxseen', '--apply', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.databases.map((d: { restoreFile: string }) => d.restoreFile.split('/').pop())).toEqual(['fxseen.legacy.seen.batch', 'fxseen.seen.batch']);
    expect(readFileSync(legacy).subarray(4, 17).toString()).toBe('skiplist file');
    const show = spawnSync('runuser', ['-u', 'cyrus', '--', DBTOOL, '-C', s.conf, legacy, 'skiplist', 'show']).stdout.toString();
    expect(show).toBe(`${[...s.names].find(([, n]) => n === 'shared.fxteam')![0]}\t${s.seenDump.get([...s.names].find(([, n]) => n === 'shared.fxteam')![0])}\n`);
  });
});
