// `cyrus-fsck check` as admins and scripts meet it: the compiled CLI in a child process. Clean
// real mailboxes give exit 0 and no findings; JSON and NDJSON have the contract's shape; exit
// codes follow fsck(8); not one byte or mtime changes; SIGINT stops with what was found, exit 32.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSpool } from '../../bench/synth.js';
import { copyOf, fixture, indexFixture, INDEX_VERSIONS } from '../helpers/fixtures.js';
import { buildDist, flipByte, snapshotTree, type JsonReport } from './helpers.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const CLI = join(REPO, 'bin', 'cyrus-fsck.js');

beforeAll(() => {
  buildDist();
}, 120_000);

function cli(args: string[], opts: { user?: string } = {}) {
  const argv = opts.user ? ['runuser', '-u', opts.user, '--', process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd: REPO });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const mailboxOf = (v: number) => join(indexFixture(v), 'mailbox');

describe('clean real mailboxes', () => {
  it('every index version Cyrus 3.6.1 wrote (v12–v17) and the 881-message corpus: exit 0, no findings', () => {
    const dirs = [...INDEX_VERSIONS.map(mailboxOf), join(fixture('corpus-indexed'), 'corpus-indexed', 'mailbox')];
    const r = cli(['check', '--path', ...dirs, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as JsonReport;
    expect(doc.mailboxes).toHaveLength(dirs.length);
    expect(doc.mailboxes.flatMap((m) => m.findings)).toEqual([]);
    expect(doc.summary.findings).toEqual({});
    expect(doc.summary.messages).toBe(6 * 12 + 881);
  });

  it('human output: a summary and "no problems found"', () => {
    const r = cli(['check', '--path', mailboxOf(17)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^checked 1 mailbox, 12 messages, [\d.]+ KB hashed in [\d.]+ s \([\d.]+ MB\/s\)\nno problems found\n$/);
  });

  it('a folder holding mailbox folders is walked', () => {
    const root = copyOf(indexFixture(17));
    const r = cli(['check', '--path', root, '--json']);
    expect(JSON.parse(r.stdout).mailboxes.map((m: { name: string }) => m.name)).toEqual(['user.fx17']);
  });
});

describe('output formats', () => {
  const damaged = () => {
    const mb = join(copyOf(indexFixture(17)), 'mailbox');
    flipByte(join(mb, '5.'), 100);
    rmSync(join(mb, '8.'));
    return mb;
  };

  it('--json: the contract document', () => {
    const mb = damaged();
    const r = cli(['check', '--path', mb, '--json']);
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout) as JsonReport;
    expect(doc).toMatchObject({ tool: 'cyrus-fsck', version: '0.1.0', command: 'check' });
    expect(Object.keys(doc.mailboxes[0]!)).toEqual(['name', 'path', 'indexVersion', 'uniqueid', 'records', 'messagesVerified', 'findings']);
    expect(doc.mailboxes[0]).toMatchObject({ name: 'user.fx17', path: mb, indexVersion: 17, uniqueid: '1j4s1g11vdryzabpaq5fa3bp', records: 12, messagesVerified: 10 });
    expect(doc.mailboxes[0]!.findings).toEqual([
      expect.objectContaining({ code: 'GUID_MISMATCH', severity: 'error', uid: 5, file: join(mb, '5.'), message: expect.any(String) }),
      expect.objectContaining({ code: 'FILE_MISSING', severity: 'error', uid: 8, file: join(mb, '8.') }),
    ]);
    expect(doc.summary).toMatchObject({ mailboxes: 1, messages: 12, findings: { GUID_MISMATCH: 1, FILE_MISSING: 1 } });
    expect(doc.summary.bytesHashed).toBeGreaterThan(30_000);
    expect(typeof doc.summary.seconds).toBe('number');
  });

  it('--ndjson: mailbox, finding… and a final summary event, one JSON object per line', () => {
    const mb = damaged();
    const r = cli(['check', '--path', mb, mailboxOf(16), '--ndjson']);
    expect(r.code).toBe(4);
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(['mailbox', 'finding', 'finding', 'mailbox', 'summary']);
    expect(events[0]).toMatchObject({ type: 'mailbox', name: 'user.fx17', records: 12, messagesVerified: 10 });
    expect(events[0].findings).toBeUndefined();
    expect(events[1]).toMatchObject({ type: 'finding', mailbox: 'user.fx17', code: 'GUID_MISMATCH', uid: 5 });
    expect(events[4]).toMatchObject({ type: 'summary', mailboxes: 2, messages: 24, findings: { GUID_MISMATCH: 1, FILE_MISSING: 1 } });
  });

  it('human: one line per finding naming mailbox, uid, code, expected and actual, then the counts', () => {
    const mb = damaged();
    const r = cli(['check', '--path', mb]);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^user\.fx17 uid 5: GUID_MISMATCH \(error\) .*\[expected [0-9a-f]{40}, actual [0-9a-f]{40}\] .*\/5\.$/);
    expect(lines[1]).toMatch(/^user\.fx17 uid 8: FILE_MISSING \(error\) /);
    expect(r.stdout).toMatch(/2 findings:\n {2}FILE_MISSING +1 {2}error\n {2}GUID_MISMATCH +1 {2}error\n$/);
  });

  it('-q prints findings only', () => {
    const r = cli(['check', '--path', damaged(), '-q']);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
  });
});

describe('exit codes', () => {
  it('16 for contradictory options', () => {
    expect(cli(['check', '--path', mailboxOf(17), '--json', '--ndjson']).code).toBe(16);
    expect(cli(['check', '--path', mailboxOf(17), '-u', 'fred']).code).toBe(16);
    expect(cli(['check', '--jobs', '0', '--path', mailboxOf(17)]).code).toBe(16);
  });

  it('8 when a --path folder or the configuration cannot be read', () => {
    const r = cli(['check', '--path', '/nonexistent/spool']);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/nonexistent.*ENOENT/);
    expect(cli(['check', '-C', '/nonexistent/imapd.conf']).code).toBe(8);
  });

  it('--help teaches: examples and exit codes', () => {
    const r = cli(['check', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/--path/);
    expect(r.stdout).toMatch(/32 +interrupted/);
    // What -C does with --path (docs/cli-contract.md, additions): parse settings only.
    expect(r.stdout).toMatch(/-C with --path: the folders are still taken as given \(no mailboxes\.db, no discovery/);
  });

  it('-C with --path: read only for --deep (a missing config is exit 8 there, ignored without --deep)', () => {
    const mb = join(copyOf(indexFixture(16)), 'mailbox');
    const missing = join(mb, 'no-such-imapd.conf');
    const plain = cli(['check', '--path', mb, '-C', missing, '--json']);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).mailboxes).toHaveLength(1);
    const deep = cli(['check', '--deep', '--path', mb, '-C', missing]);
    expect(deep.code).toBe(8);
  });
});

describe('non-invasive', () => {
  it('changes not one byte, mode or mtime of a damaged mailbox it reports on', () => {
    const root = copyOf(indexFixture(16));
    const mb = join(root, 'mailbox');
    flipByte(join(mb, '3.'), 10);
    flipByte(join(mb, 'cyrus.cache'), 200);
    rmSync(join(mb, '2.'));
    const before = snapshotTree(root);
    const r = cli(['check', '--path', root, '--json']);
    expect(r.code).toBe(4);
    expect(snapshotTree(root)).toEqual(before);
  });

  it('works as a user who can only read the spool', () => {
    if (process.getuid?.() !== 0) return; // needs root to switch user
    const dir = mkdtempSync(join(tmpdir(), 'cyrus-fsck-ro-'));
    chmodSync(dir, 0o755);
    cpSync(mailboxOf(17), join(dir, 'mailbox'), { recursive: true, preserveTimestamps: true });
    execFileSync('chmod', ['-R', 'a+rX,a-w', dir]);
    try {
      const r = cli(['check', '--path', join(dir, 'mailbox'), '--json'], { user: 'nobody' });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      execFileSync('chmod', ['-R', 'u+w', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('interruption', () => {
  it('SIGINT stops the workers, prints what was found so far, exits 32', async () => {
    // Sparse 512 MB files: hashing takes seconds, the disk holds nothing.
    const root = mkdtempSync(join(tmpdir(), 'cyrus-fsck-sigint-'));
    try {
      buildSpool({ root, messages: 24, perMailbox: 2, sparseSize: 512 << 20 });
      const child = spawn(process.execPath, [CLI, 'check', '--path', root, '--ndjson', '-j', '2'], { cwd: REPO });
      let out = '';
      const started = Date.now();
      const code = await new Promise<number | null>((res) => {
        child.stdout.on('data', (d: Buffer) => {
          const first = out === '';
          out += d.toString();
          if (first) child.kill('SIGINT'); // one mailbox reported: interrupt the rest
        });
        child.on('exit', (c) => res(c));
      });
      expect(code).toBe(32);
      const events = out.trimEnd().split('\n').map((l) => JSON.parse(l));
      const summary = events.at(-1);
      expect(summary).toMatchObject({ type: 'summary', interrupted: true });
      expect(summary.mailboxes).toBeGreaterThanOrEqual(1);
      expect(summary.mailboxes).toBeLessThan(12);
      expect(events.filter((e) => e.type === 'mailbox')).toHaveLength(summary.mailboxes);
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
