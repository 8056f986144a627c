// A seen-cleanup --apply killed with SIGKILL at any moment leaves a seen db that both Cyrus
// (cyr_dbtool `consistent`) and our reader open, holding either every original entry or exactly
// the cleaned set — never a mix, never a torn file — and a rerun finishes the job.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readDbFile } from '../../src/db/index.js';
import { BIN, runCli } from '../helpers/cli.js';
import { mulberry32 } from '../../bench/prng.js';
import { fixtureSpool, isRoot } from './spool.js';

const DBTOOL = '/usr/lib/cyrus/bin/cyr_dbtool';
const haveDbtool = isRoot() && existsSync(DBTOOL);
const KILLS = Number(process.env.CYRUS_FSCK_KILLS ?? 24);
const keys = (path: string) => readDbFile(path).records.map((r) => r.key.toString('latin1')).join(',');


describe.runIf(haveDbtool)('seen-cleanup --apply killed at random moments', () => {
  it(`leaves the old or the new database after each of ${KILLS} kills, and a rerun completes`, async () => {
    const random = mulberry32(20261128);
    // The cleaned set: what an uninterrupted run leaves (measured, not assumed).
    const ref = fixtureSpool();
    const original = keys(ref.seenDb);
    expect(runCli(['seen-cleanup', '-C', ref.conf, 'fxseen', '--apply']).code).toBe(1);
    const cleaned = keys(ref.seenDb);
    expect(cleaned).not.toBe(original);

    let sawOld = 0;
    let sawNew = 0;
    for (let i = 0; i < KILLS; i++) {
      const s = fixtureSpool();
      const child = spawn(process.execPath, [BIN, 'seen-cleanup', '-C', s.conf, 'fxseen', '--apply'], { stdio: 'ignore' });
      // Node's start-up takes ~100–300 ms here; spread kills over start-up, reading and writing.
      const delay = Math.floor(random() * 900);
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      await exited;
      clearTimeout(timer);

      const consistent = spawnSync('runuser', ['-u', 'cyrus', '--', DBTOOL, '-C', s.conf, s.seenDb, 'twoskip', 'consistent'], { encoding: 'utf8' });
      expect(consistent.stdout, `kill ${i} after ${delay} ms`).toContain('Yes, consistent');
      const now = keys(s.seenDb);
      expect([original, cleaned], `kill ${i} after ${delay} ms`).toContain(now);
      if (now === original) sawOld++;
      else sawNew++;

      const rerun = runCli(['seen-cleanup', '-C', s.conf, 'fxseen', '--apply']);
      expect([0, 1], `rerun after kill ${i}: ${rerun.stderr}`).toContain(rerun.code);
      expect(keys(s.seenDb)).toBe(cleaned);
    }
    // Both outcomes happened, so kills landed before and after the commit point.
    console.log(`seen-cleanup kills: ${sawOld} left the old db, ${sawNew} the cleaned one`);
    expect(sawOld).toBeGreaterThan(0);
  }, 300_000);
});
