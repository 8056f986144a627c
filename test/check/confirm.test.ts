// The second look under the shared lock: what changed in the mailbox between the lock-free
// first pass and the confirmation (an expunge, an append, a flag change caught half-written) is
// not reported; what is still wrong is. And the lock is the one Cyrus's writers respect.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { confirm, type FirstLook } from '../../src/check/confirm.js';
import { readMailbox } from '../../src/check/read.js';
import { scanFolder } from '../../src/check/scan-folder.js';
import { verifyFile, verifyMetadata } from '../../src/check/verify-mailbox.js';
import { holdWriterLock } from './helpers.js';
import { InternalFlag, SystemFlag } from '../../src/format/index/index.js';
import { commit, mailbox, target } from './fx17-commit.js';

/** The first, lock-free pass as run.ts makes it (hash results from the worker's own function). */
async function firstLook(dir: string): Promise<FirstLook> {
  const [data, scan] = await Promise.all([readMailbox(target(dir)), scanFolder(dir)]);
  const verdict = verifyMetadata(data, scan);
  const { hashFile } = await import('../../workers/hash.js');
  const fileFindings = verdict.files.flatMap((check) => {
    const finding = verifyFile(check, hashFile(check.path));
    return finding ? [{ finding, check }] : [];
  });
  return { verdict, scan, fileFindings };
}

const codesOf = (fs: { code: string }[]) => fs.map((f) => f.code).sort();

describe('confirm', () => {
  it('a message expunged (and its file unlinked) during the scan is not FILE_MISSING', async () => {
    const dir = mailbox();
    rmSync(join(dir, '5.')); // cleanup removed the file before we hashed it…
    const first = await firstLook(dir);
    expect(codesOf(first.fileFindings.map((x) => x.finding))).toEqual(['FILE_MISSING']);
    // …because Cyrus had expunged and unlinked uid 5 in the meantime.
    commit(dir, (f) => {
      const r = f.records.find((x) => x.uid === 5)!;
      r.internalFlags = (r.internalFlags | InternalFlag.EXPUNGED | InternalFlag.UNLINKED) >>> 0;
      r.modseq = f.header.highestmodseq! + 1n;
      f.header.highestmodseq = r.modseq;
    });
    expect((await confirm(target(dir), first)).findings).toEqual([]);
  });

  it('a file still missing for a live record is confirmed', async () => {
    const dir = mailbox();
    rmSync(join(dir, '5.'));
    const c = await confirm(target(dir), await firstLook(dir));
    expect(codesOf(c.findings)).toEqual(['FILE_MISSING']);
    expect(c.unconfirmed).toBeUndefined();
  });

  it('a message appended during the scan (file first, record at commit) is not UNINDEXED_FILE', async () => {
    const dir = mailbox();
    copyFileSync(join(dir, '12.'), join(dir, '13.'));
    const first = await firstLook(dir);
    expect(codesOf(first.verdict.findings)).toEqual(['UNINDEXED_FILE']);
    commit(dir, (f) => {
      const r = { ...f.records.at(-1)!, uid: 13, userFlags: [...f.records.at(-1)!.userFlags] };
      r.modseq = f.header.highestmodseq! + 1n;
      f.header.highestmodseq = r.modseq;
      f.header.lastUid = 13;
      f.records.push(r);
    });
    expect((await confirm(target(dir), first)).findings).toEqual([]);
  });

  it('flags changed while we read (record written, header not yet) are not counter or CRC damage', async () => {
    const dir = mailbox();
    const path = join(dir, 'cyrus.index');
    const before = readFileSync(path);
    // Cyrus writes the record first and the header last: read in between, the header lags.
    commit(dir, (f) => {
      const r = f.records.find((x) => x.uid === 4)!;
      r.systemFlags |= SystemFlag.FLAGGED | SystemFlag.SEEN;
      r.modseq = f.header.highestmodseq! + 1n;
      f.header.highestmodseq = r.modseq;
    });
    const after = readFileSync(path);
    const torn = Buffer.concat([before.subarray(0, 160), after.subarray(160)]);
    writeFileSync(path, torn);
    const first = await firstLook(dir);
    expect(codesOf(first.verdict.findings)).toEqual(['COUNTER_MISMATCH', 'COUNTER_MISMATCH', 'HIGHESTMODSEQ_LOW', 'SYNC_CRC_MISMATCH']);
    writeFileSync(path, after); // the commit completes
    expect((await confirm(target(dir), first)).findings).toEqual([]);
  });

  it("waits for a writer's exclusive lock, and says so when it outlasts the timeout", async () => {
    const dir = mailbox();
    rmSync(join(dir, '5.'));
    const first = await firstLook(dir);
    const writer = await holdWriterLock(join(dir, 'cyrus.index'));
    const busy = await confirm(target(dir), first, { lockTimeoutMs: 300 });
    expect(busy.unconfirmed).toMatch(/not granted/);
    expect(codesOf(busy.findings)).toEqual(['FILE_MISSING']);
    expect(busy.findings[0]!.message).toMatch(/unconfirmed/);

    const again = await firstLook(dir);
    // The writer lets go 500 ms into the second look: it must have waited that long.
    const t = Date.now();
    setTimeout(() => void writer.release(), 500);
    const waited = await confirm(target(dir), again, { lockTimeoutMs: 10_000 });
    expect(waited.unconfirmed).toBeUndefined();
    expect(codesOf(waited.findings)).toEqual(['FILE_MISSING']);
    expect(Date.now() - t).toBeGreaterThanOrEqual(450); // it did wait for the writer
    await writer.release();
  });
});
