// check --deep parses with the server's imapd.conf settings: a live Cyrus 3.6.1 with
// `maxheaderlines: 12` indexes (and `reconstruct -G` re-indexes) a message whose Subject, From
// and To come after 14 other header lines (lmtpd's 6, then 8 of ours), so its cache record leaves
// them out. check --deep
// with that config agrees with Cyrus; with Cyrus's defaults (--path, no -C) it calls exactly that
// record stale — so the setting reaches the parsing workers and decides the verdict.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import { mbpath } from '../harness/tools.js';
import { buildDist, type JsonReport } from './helpers.js';

const CLI = join(resolve(import.meta.dirname, '..', '..'), 'bin', 'cyrus-fsck.js');

function check(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'check', '--deep', '--json', ...args], { encoding: 'utf8' });
  const doc = r.stdout ? (JSON.parse(r.stdout) as JsonReport) : undefined;
  return { code: r.status, stderr: r.stderr, findings: doc?.mailboxes.flatMap((m) => m.findings.map((f) => ({ code: f.code, uid: f.uid, field: f.field }))) };
}

const crlf = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');

/** Eight X- lines first (after lmtpd's six): with maxheaderlines 12 Cyrus never reaches From. */
const LATE_HEADERS = crlf([
  ...Array.from({ length: 8 }, (_, i) => `X-Filler-${i + 1}: line ${i + 1}`),
  'From: Ann <ann@example.com>',
  'To: ben@example.com',
  'Subject: headers after the limit',
  'Date: Tue, 03 Mar 2026 10:00:00 +0000',
  'Message-ID: <late@example.com>',
  '',
  'body',
]);

describeInterop('check --deep with imapd.conf parse settings (live Cyrus 3.6.1)', () => {
  let inst: CyrusInstance;
  let dir: string;
  beforeAll(async () => {
    buildDist();
    inst = await CyrusInstance.start({ name: 'deepconf', conf: { maxheaderlines: '12' } });
    const admin = await inst.imap();
    try {
      await admin.create('user.ann');
    } finally {
      await admin.logout();
    }
    inst.addLogin('ann');
    await inst.deliver(['ann'], LATE_HEADERS);
    // A message whose headers all fit the limit (10 lines with lmtpd's and the Message-ID and Date
    // it adds): the same record whatever the setting.
    await inst.deliver(['ann'], crlf(['From: ben@example.com', 'Subject: short', '', 'body']));
    // Re-parse every message, as reconstruct does, under the same setting.
    await inst.tool('reconstruct', ['-G', 'user.ann']);
    dir = await mbpath(inst, 'user.ann');
  }, 300_000);
  afterAll(async () => {
    await inst?.stop();
  });

  it("with the server's config (-C): Cyrus's records are what a parse gives", () => {
    const r = check(['-C', inst.conf, 'user.ann']);
    expect(r.stderr).toBe('');
    expect(r.findings).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('--path with -C: the same settings, the same verdict', () => {
    const r = check(['--path', dir, '-C', inst.conf]);
    expect(r.findings).toEqual([]);
    expect(r.code).toBe(0);
  });

  it("--path without a config parses with Cyrus's defaults (maxheaderlines 1000): the late headers make uid 1 stale", () => {
    const r = check(['--path', dir]);
    expect(r.findings!.map((f) => [f.code, f.uid])).toEqual([['CACHE_STALE', 1]]);
    // What the limit cut: the envelope and the cached headers (Subject, From, To, Date...).
    expect(r.findings![0]!.field).toMatch(/ENVELOPE/);
    expect(r.code).toBe(4);
  });
});
