// Finding seen databases: the 3.6 uuid file (user from the INBOX with that uniqueid), legacy
// `.seen` files with and without a domain, a stale legacy file beside the active uuid one, and a
// uuid folder whose INBOX is gone (no user: skipped, never touched).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImapdConf } from '../../src/config/index.js';
import { cleanSeenDb } from '../../src/seen/apply.js';
import { findSeenDbs } from '../../src/seen/find.js';
import { loadInventory } from '../../src/seen/inventory.js';
import { fixtureSpool } from './spool.js';

describe('findSeenDbs', () => {
  it('finds every layout and names each file\'s user', async () => {
    const s = fixtureSpool();
    const conf = loadImapdConf(s.conf);
    const put = (rel: string) => {
      const p = join(conf.configDirectory, rel);
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, '');
      return p;
    };
    const stale = put('user/f/fxseen.seen');
    const other = put('user/q/1user.seen');
    const dom = put('domain/e/example.com/user/b/bar.seen');
    const orphan = put('user/uuid/z/z/zzgone0000000000000000000/seen.db');
    put('user/f/fxseen.sub'); // not seen state
    const files = await findSeenDbs(conf, await loadInventory(conf));
    const got = Object.fromEntries(files.map((f) => [f.path, [f.user, f.layout, f.active]]));
    expect(got).toEqual({
      [s.seenDb]: ['fxseen', 'uuid', true],
      [stale]: ['fxseen', 'legacy', false],
      [other]: ['1user', 'legacy', true],
      [dom]: ['bar@example.com', 'legacy', true],
      [orphan]: [null, 'uuid', false],
    });
    const r = await cleanSeenDb(conf, files.find((f) => f.user === null)!, { apply: true, only: 'all', wait: { timeoutMs: 1000 } });
    expect(r.skipped).toMatch(/no INBOX/);
    // an empty file (what Cyrus creates before the first write) has no entries and nothing wrong
    const e = await cleanSeenDb(conf, files.find((f) => f.path === stale)!, { apply: false, only: 'all', wait: { timeoutMs: 1000 } });
    expect([e.entries, e.finding]).toEqual([[], undefined]);
  });
});
