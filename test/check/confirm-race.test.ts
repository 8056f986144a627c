// The race behind live.test.ts's rare false UNINDEXED_FILE_REUSE, replayed state by state on a
// real Cyrus-written mailbox: the lock-free first look lists the folder; then, before the
// confirmation takes the lock, Cyrus expunges a message immediately and repacks (its file
// unlinked, its record dropped, both under Cyrus's exclusive lock). The confirmation's index
// has no record for that UID any more, while the first listing still names its file.
import { copyFileSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { confirm, type FirstLook } from '../../src/check/confirm.js';
import { readMailbox } from '../../src/check/read.js';
import { scanFolder } from '../../src/check/scan-folder.js';
import { verifyMetadata } from '../../src/check/verify-mailbox.js';
import { decodeIndex, InternalFlag } from '../../src/format/index/index.js';
import { commit, mailbox, target } from './fx17-commit.js';

/** The lock-free first look as run.ts makes it (no file findings: every file is intact here). */
async function firstLook(dir: string): Promise<FirstLook> {
  const [data, scan] = await Promise.all([readMailbox(target(dir)), scanFolder(dir)]);
  try {
    return { verdict: verifyMetadata(data, scan), scan, fileFindings: [] };
  } finally {
    data.release?.();
  }
}

/** A live message's uid (not the last one) and the mailbox's last_uid. */
function pick(dir: string): { victim: number; lastUid: number } {
  const f = decodeIndex(readFileSync(join(dir, 'cyrus.index')));
  const live = f.records.filter((r) => !(r.internalFlags & InternalFlag.EXPUNGED)).map((r) => r.uid);
  expect(live.length).toBeGreaterThan(2);
  return { victim: live[1]!, lastUid: f.header.lastUid };
}

const codesOf = (fs: { code: string; uid?: number }[]) => fs.map((f) => `${f.code}:${f.uid ?? ''}`).sort();

describe('confirm: the folder listing is older than the locked index', () => {
  it('a message expunged and repacked away between the listing and the lock is not UNINDEXED_FILE_REUSE', async () => {
    const dir = mailbox();
    const { victim, lastUid } = pick(dir);
    // An append in progress when the folder is listed: its file is there, its record not yet
    // (the finding that sends this mailbox to the confirmation).
    copyFileSync(join(dir, `${victim}.`), join(dir, `${lastUid + 1}.`));
    const first = await firstLook(dir);
    expect(codesOf(first.verdict.findings)).toEqual([`UNINDEXED_FILE:${lastUid + 1}`]);

    // Then, before our lock: the append is aborted (append_abort unlinks its file) and another
    // message is expunged immediately; the repack unlinks its file and drops its record.
    unlinkSync(join(dir, `${lastUid + 1}.`));
    unlinkSync(join(dir, `${victim}.`));
    commit(dir, (f) => void (f.records = f.records.filter((r) => r.uid !== victim)));

    const c = await confirm(target(dir), first);
    expect(c.unconfirmed).toBeUndefined();
    expect(codesOf(c.findings)).toEqual([]);
  });

  it('a record dropped while its file stays (real damage made meanwhile) is still reported, seen under the lock', async () => {
    const dir = mailbox();
    const { victim, lastUid } = pick(dir);
    copyFileSync(join(dir, `${victim}.`), join(dir, `${lastUid + 1}.`));
    const first = await firstLook(dir);
    // The record goes, the file stays: a file no record names, at or below last_uid.
    commit(dir, (f) => void (f.records = f.records.filter((r) => r.uid !== victim)));

    const c = await confirm(target(dir), first);
    expect(codesOf(c.findings)).toEqual([`UNINDEXED_FILE:${lastUid + 1}`, `UNINDEXED_FILE_REUSE:${victim}`]);
    expect(c.findings.every((f) => !f.message.includes('unconfirmed'))).toBe(true);
  });
});
