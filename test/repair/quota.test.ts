// A repair that changes what a mailbox holds changes its quota root's usage exactly as Cyrus's
// own commit would: on a live Cyrus 3.6 with quotas set (IMAP SETQUOTA), a lost message file
// expunged, a file with no record appended above last_uid, a file whose record is gone renumbered;
// afterwards Cyrus's `quota -f -n` (which recounts every mailbox and reports each root whose
// stored usage differs) finds nothing, GETQUOTAROOT shows the usage of the messages IMAP lists,
// and reconstruct -n has nothing to say. --dry-run shows the change and writes nothing; --undo
// takes it back. The quota databases Cyrus 3.6 offers are covered: quotalegacy (the default,
// one file per root), twoskip, skiplist and flat.
import { chownSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readDb } from '../../src/db/index.js';
import { decodeIndex, encodeIndex } from '../../src/format/index/index.js';
import { decodeQuotaFile, decodeQuotaValue, encodeQuotaFile, encodeQuotaValue, type QuotaEntry } from '../../src/format/quota.js';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import { generateMessage, Rng } from '../harness/mime.js';
import { imapView, mbpath } from '../harness/tools.js';
import { loadConfig } from '../../src/config/index.js';
import { quotaDbLocation, quotaLegacyPath } from '../../src/repair/quota.js';
import { flip, HDR, indexPath, mailboxWith, reconstructComplaints, repairCli } from './helpers.js';

const LIMIT_KB = 100000;

async function setQuota(inst: CyrusInstance, root: string): Promise<void> {
  await inst.withImap(undefined, (c) => c.ok('SETQUOTA', root, `(STORAGE ${LIMIT_KB} MESSAGE 1000)`));
}

/** The root's entry as stored (read with our decoder from the file or database Cyrus wrote). */
function storedQuota(inst: CyrusInstance, root: string, backend: string): QuotaEntry {
  if (backend === 'quotalegacy') {
    const bytes = readFileSync(join(inst.configDir, 'quota', root.split('.')[1]![0]!, root));
    const q = decodeQuotaFile(bytes);
    expect(encodeQuotaFile(q).toString()).toBe(bytes.toString()); // Cyrus's own bytes, or ours
    return q;
  }
  const db = readDb(readFileSync(join(inst.configDir, 'quotas.db')), undefined, { expect: backend });
  const rec = db.records.find((r) => r.key.toString() === root)!;
  const q = decodeQuotaValue(rec.value);
  expect(encodeQuotaValue(q).toString()).toBe(rec.value.toString());
  return q;
}

/** GETQUOTAROOT as the user: [STORAGE used (KB), MESSAGE used]. */
async function imapQuota(inst: CyrusInstance, user: string): Promise<{ kb: number; messages: number }> {
  return inst.withImap(user, async (c) => {
    const r = await c.ok('GETQUOTAROOT', 'INBOX');
    const q = r.untagged.find((u) => u.kind === 'QUOTA')!;
    const list = q.data[1] as string[];
    const get = (name: string) => Number(list[list.findIndex((x) => String(x).toUpperCase() === name) + 1]);
    return { kb: get('STORAGE'), messages: get('MESSAGE') };
  });
}

/** `quota -f -n`: each root whose stored usage differs from the recount (report only). */
async function quotaDiscrepancies(inst: CyrusInstance): Promise<string[]> {
  const r = await inst.tool('quota', ['-f', '-n']);
  return (r.stdout + r.stderr).split('\n').filter((l) => / usage was /.test(l));
}

function editIdx(dir: string, edit: (f: ReturnType<typeof decodeIndex>) => void): void {
  const f = decodeIndex(readFileSync(indexPath(dir)));
  edit(f);
  f.header.numRecords = f.records.length;
  writeFileSync(indexPath(dir), encodeIndex(f, { recomputeCrc: true }));
}

interface Case {
  user: string;
  /** Breaks the mailbox; returns the change in [bytes, messages] the repair must make. */
  damage: (dir: string) => [number, number];
}

const CASES: Case[] = [
  {
    user: 'qlost',
    damage: (dir) => {
      const size = statSync(join(dir, '3.')).size;
      unlinkSync(join(dir, '3.'));
      return [-size, -1];
    },
  },
  {
    user: 'qabove',
    damage: (dir) => {
      const last = decodeIndex(readFileSync(indexPath(dir))).header.lastUid;
      const m = generateMessage('plain', 999, new Rng(7), 'qabove@example.com');
      const to = join(dir, `${last + 1}.`);
      writeFileSync(to, m.bytes);
      const st = statSync(join(dir, '1.'));
      chownSync(to, st.uid, st.gid);
      return [m.bytes.length, 1];
    },
  },
  {
    user: 'qhdrbyte',
    damage: (dir) => {
      // One byte of the index header rotted (its CRC now fails) and a file lost: the header as
      // Cyrus committed it is restored exactly from the CRC, so the root still moves by the loss.
      const size = statSync(join(dir, '2.')).size;
      unlinkSync(join(dir, '2.'));
      flip(indexPath(dir), HDR.answered);
      return [-size, -1];
    },
  },
  {
    user: 'qrenum',
    damage: (dir) => {
      // The record of uid 4 lost, its file kept, the header's counters still counting it (what
      // Cyrus had committed, and added to the root): the file is renumbered, so the usage stays.
      editIdx(dir, (f) => {
        f.records = f.records.filter((x) => x.uid !== 4);
      });
      return [0, 0];
    },
  },
];

for (const backend of ['quotalegacy', 'twoskip', 'skiplist', 'flat'] as const) {
  describeInterop(`repair keeps the quota root's usage (quota_db: ${backend})`, () => {
    let inst: CyrusInstance;
    const dirs = new Map<string, string>();
    beforeAll(async () => {
      inst = await CyrusInstance.start({ name: `q${backend.slice(0, 2)}`, conf: backend === 'quotalegacy' ? {} : { quota_db: backend } });
      for (const [i, c] of CASES.entries()) {
        const { mailbox, dir } = await mailboxWith(inst, c.user, 8, 40 + i);
        await setQuota(inst, mailbox);
        dirs.set(c.user, dir);
      }
      expect(await quotaDiscrepancies(inst)).toEqual([]);
    }, 120_000);
    afterAll(async () => {
      await inst?.stop();
    });

    for (const c of CASES) {
      it(`${c.user}: the root changes by what the repair changes; quota -f agrees`, async () => {
        const mailbox = `user.${c.user}`;
        const dir = dirs.get(c.user)!;
        const before = storedQuota(inst, mailbox, backend);
        const [bytes, messages] = c.damage(dir);
        const headerBefore = decodeIndex(readFileSync(indexPath(dir))).header;

        const dry = repairCli(inst, ['--dry-run', '--json', mailbox]);
        expect(dry.code, dry.stderr).toBe(4);
        const planned = JSON.stringify(dry.json);
        if (bytes || messages) expect(planned).toContain('quota-usage');
        else expect(planned).not.toContain('quota-usage');
        expect(storedQuota(inst, mailbox, backend)).toEqual(before);

        const run = repairCli(inst, ['--json', mailbox]);
        expect([1, 4], run.stdout + run.stderr).toContain(run.code);
        const after = storedQuota(inst, mailbox, backend);
        const headerAfter = decodeIndex(readFileSync(indexPath(dir))).header;
        expect(headerAfter.quotaMailboxUsed - headerBefore.quotaMailboxUsed).toBe(BigInt(bytes));
        expect(after.used[0] - before.used[0]).toBe(headerAfter.quotaMailboxUsed - headerBefore.quotaMailboxUsed);
        expect(after.used[1] - before.used[1]).toBe(BigInt(messages));
        expect(after.limits).toEqual(before.limits);

        // Cyrus's view: the recount agrees with the root; IMAP shows the messages it lists.
        expect(await quotaDiscrepancies(inst)).toEqual([]);
        expect(await reconstructComplaints(inst, mailbox)).toEqual([]);
        const view = await imapView(inst, mailbox);
        const total = view.messages.reduce((s, m) => s + m.size, 0);
        expect(await imapQuota(inst, c.user)).toEqual({ kb: Math.floor(total / 1024), messages: view.messages.length });
        expect(after.used[0]).toBe(BigInt(total));

        if (c.user === 'qlost') {
          // --undo: the index comes back, and the root with it (one more commit, for Cyrus). The
          // IMAP session above made Cyrus write the index since (--force), so the change is
          // computed from the header as it is now, not from the repair's delta.
          const backup = run.json.mailboxes[0].backup;
          const undo = repairCli(inst, ['--undo', backup, '--force', '--json']);
          expect(undo.code, undo.stdout + undo.stderr).toBe(1);
          expect(storedQuota(inst, mailbox, backend).used).toEqual(before.used);
          expect(await quotaDiscrepancies(inst)).toEqual([]);
        }
      }, 120_000);
    }

    if (backend === 'quotalegacy') {
      it('a repair killed between the index commit and the quota write: the root lacks exactly its change, the backup says so, quota -f mends it', async () => {
        const { mailbox, dir } = await mailboxWith(inst, 'qkill', 5, 77);
        await setQuota(inst, mailbox);
        const size = statSync(join(dir, '2.')).size;
        unlinkSync(join(dir, '2.'));
        const before = storedQuota(inst, mailbox, backend);
        const run = repairCli(inst, ['--json', mailbox], { CYRUS_FSCK_TEST_HOOK: 'index:kill' });
        expect(run.code).toBe(137);
        expect(storedQuota(inst, mailbox, backend)).toEqual(before);
        const lines = await quotaDiscrepancies(inst);
        expect(lines).toEqual([`${mailbox}: STORAGE usage was ${before.used[0]}, now ${before.used[0] - BigInt(size)}`, `${mailbox}: MESSAGE usage was ${before.used[1]}, now ${before.used[1] - 1n}`]);
        const backups = readdirSync(join(inst.configDir, 'cyrus-fsck-backup')).filter((n) => n.startsWith(`${mailbox}.`));
        const manifest = JSON.parse(readFileSync(join(inst.configDir, 'cyrus-fsck-backup', backups.at(-1)!, 'manifest.json'), 'utf8'));
        expect(manifest).toMatchObject({ state: 'applied', quota: { root: mailbox, state: 'planned', delta: [String(-size), '-1', '0', '0'] } });
        await inst.tool('quota', ['-f', mailbox]);
        expect(await quotaDiscrepancies(inst)).toEqual([]);
      }, 120_000);
    }
  });
}

describeInterop('repair finds the quota root file with virtdomains and fulldirhash', () => {
  let inst: CyrusInstance;
  beforeAll(async () => {
    inst = await CyrusInstance.start({ name: 'qvd', conf: { virtdomains: 'userid', fulldirhash: 'yes' } });
  }, 60_000);
  afterAll(async () => {
    await inst?.stop();
  });

  it('the file Cyrus wrote is the one quotaLegacyPath names, and a repair changes it', async () => {
    const mailbox = 'user.dom@example.org';
    await inst.withImap(undefined, async (c) => {
      await c.create(mailbox);
      await c.ok('SETQUOTA', mailbox, '(STORAGE 100000)');
    });
    const loc = quotaDbLocation(loadConfig(inst.conf));
    const path = quotaLegacyPath(loc, 'example.org!user.dom');
    const before = decodeQuotaFile(readFileSync(path));
    // One message file with no record, above last_uid: appended, so the root grows by its size.
    const dir = await mbpath(inst, mailbox);
    const m = generateMessage('plain', 5, new Rng(3), 'dom@example.org');
    writeFileSync(join(dir, '1.'), m.bytes);
    const st = statSync(dir);
    chownSync(join(dir, '1.'), st.uid, st.gid);
    const run = repairCli(inst, ['--json', 'example.org!user.dom']);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const after = decodeQuotaFile(readFileSync(path));
    expect(after.used[0] - before.used[0]).toBe(BigInt(m.bytes.length));
    expect(after.used[1] - before.used[1]).toBe(1n);
    expect(await quotaDiscrepancies(inst)).toEqual([]);
  }, 120_000);
});
