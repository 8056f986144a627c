// A 2.x mailboxes.db (key = internal name, value "<mbtype> <partition> <acl>", no uniqueids):
// the uniqueids come from each mailbox's cyrus.header in the legacy name-based folders, so the
// verdicts are the same as with the 3.6 database; and when one mailbox's header cannot be read,
// no entry is called gone (it might be that mailbox's), while owner entries still are obsolete.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeTwoskip } from '../../src/db/index.js';
import { runCli } from '../helpers/cli.js';
import { fixtureSpool, isRoot } from './spool.js';

function legacySpool() {
  const s = fixtureSpool();
  const spool = join(s.root, 'spool');
  const records = [];
  for (const [name, dir] of s.folders) {
    const legacyDir = join(spool, ...name.split('.'));
    mkdirSync(join(legacyDir, '..'), { recursive: true });
    cpSync(dir, legacyDir, { recursive: true });
    rmSync(dir, { recursive: true });
    const owner = /^(?:DELETED\.)?user\.([^.]+)/.exec(name)?.[1];
    records.push({ key: Buffer.from(name), value: Buffer.from(`0 default ${owner ?? 'anyone'}\tlrswipkxtecda\t`) });
  }
  writeFileSync(s.mailboxesDb, encodeTwoskip(records));
  if (isRoot()) execFileSync('chown', ['-R', 'cyrus:mail', s.root]);
  return s;
}

const obsolete = (stdout: string) => (JSON.parse(stdout).databases as Array<{ entries: Array<{ uniqueid: string; verdict: string; obsolete: boolean; reason: string; mailbox: string }> }>)[0]!.entries;

describe('seen-cleanup with a 2.x mailboxes.db', () => {
  it('reads uniqueids from cyrus.header: the same three obsolete entries', () => {
    const s = legacySpool();
    const r = runCli(['seen-cleanup', '-C', s.conf, 'fxseen', '--json']);
    expect(r.code).toBe(4);
    const entries = obsolete(r.stdout);
    expect(entries.filter((e) => e.obsolete).map((e) => e.mailbox).sort()).toEqual(['user.fxseen', 'user.fxseen.NoSeen', s.deletedName].sort());
    expect(entries.find((e) => e.mailbox === 'shared.fxteam')!.obsolete).toBe(false);
  });

  it('an unreadable cyrus.header: nothing is called gone', () => {
    const s = legacySpool();
    rmSync(join(s.root, 'spool', 'shared', 'fxteam', 'cyrus.header'));
    const entries = obsolete(runCli(['seen-cleanup', '-C', s.conf, 'fxseen', '--json']).stdout);
    const team = entries.find((e) => e.mailbox === null)!;
    expect(team.verdict).toBe('keep');
    expect(team.reason).toMatch(/could not be fully resolved/);
    expect(entries.filter((e) => e.obsolete)).toHaveLength(3);
  });
});
