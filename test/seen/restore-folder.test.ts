// Restore files are never written over: a run's folder is claimed (a rerun within the same
// second gets `<stamp>-2`), and a file name already taken gets `-2` (the EEXIST crash.test.ts
// once hit when a rerun followed a killed --apply in the same second).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImapdConf } from '../../src/config/index.js';
import { readDbFile } from '../../src/db/index.js';
import { cleanSeenDb, RestoreFolder } from '../../src/seen/apply.js';
import { findSeenDbs } from '../../src/seen/find.js';
import { loadInventory } from '../../src/seen/inventory.js';
import { decodeRestoreFile } from '../../src/seen/restore-file.js';
import { fixtureSpool } from './spool.js';

const keys = (path: string) => readDbFile(path).records.map((r) => r.key.toString('latin1'));

describe('restore files', () => {
  it('two runs in the same second get two folders, made only when a file is written', async () => {
    const s = fixtureSpool();
    const base = join(s.root, 'restore');
    const a = new RestoreFolder(base, '20261129T013627Z');
    const b = new RestoreFolder(base, '20261129T013627Z');
    expect(existsSync(base)).toBe(false);
    expect(await a.claim()).toBe(join(base, '20261129T013627Z'));
    expect(await a.claim()).toBe(a.path); // one folder per run, however many databases
    expect(await b.claim()).toBe(join(base, '20261129T013627Z-2'));
    expect(readdirSync(base).sort()).toEqual(['20261129T013627Z', '20261129T013627Z-2']);
  });

  it('a rerun after a run killed between restore file and rename keeps the first file and writes its own beside it', async () => {
    const s = fixtureSpool();
    const conf = loadImapdConf(s.conf);
    const [file] = await findSeenDbs(conf, await loadInventory(conf));
    const dir = join(s.root, 'restore');
    const killed = cleanSeenDb(conf, file!, { apply: true, only: 'all', restoreDir: dir, wait: { timeoutMs: 5000 }, beforeReplace: () => { throw new Error('killed'); } });
    await expect(killed).rejects.toThrow('killed');
    const first = readFileSync(join(dir, 'fxseen.seen.batch'));

    const rerun = await cleanSeenDb(conf, file!, { apply: true, only: 'all', restoreDir: dir, wait: { timeoutMs: 5000 } });
    expect(rerun.removed).toBeGreaterThan(0);
    expect(rerun.restoreFile).toBe(join(dir, 'fxseen-2.seen.batch'));
    expect(readFileSync(join(dir, 'fxseen.seen.batch')).equals(first)).toBe(true);
    // Both name the same removed entries (the first run's were never removed), and they are gone.
    const removed = decodeRestoreFile(readFileSync(rerun.restoreFile!)).records.map((r) => r.key.toString('latin1'));
    expect(decodeRestoreFile(first).records.map((r) => r.key.toString('latin1'))).toEqual(removed);
    for (const k of removed) expect(keys(s.seenDb)).not.toContain(k);
  });
});
