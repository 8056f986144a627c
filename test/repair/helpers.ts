// Shared by the repair tests: run the built CLI against a live instance, damage files the way
// real damage looks (bytes changed without fixing CRCs, files removed or truncated), and read
// back what Cyrus sees.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { chownSync, copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cyrusIds, type CyrusInstance, type ToolResult } from '../harness/instance.js';
import { decodeHeader, encodeHeader, headerFileCrc } from '../../src/format/header.js';
import { decodeIndex, encodeIndex } from '../../src/format/index/index.js';
import { generateMessage, Rng } from '../harness/mime.js';
import { imapView, mbpath, type MailboxView } from '../harness/tools.js';

export const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'cyrus-fsck.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Parsed --json document when the run asked for it. */
  json?: any;
  ms: number;
}

/** Runs `cyrus-fsck repair …` as root (it drops to cyrus itself), synchronously. */
export function repairCli(inst: CyrusInstance, args: string[], env: Record<string, string> = {}): Run {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, 'repair', '-C', inst.conf, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  const run: Run = { code: r.status ?? 128 + 9, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
  if (args.includes('--json') && r.stdout.trim()) {
    try {
      run.json = JSON.parse(r.stdout);
    } catch {
      // left for the test to report
    }
  }
  return run;
}

/** The same, asynchronously (to run beside Cyrus's tools); resolves with end time. */
export function repairCliAsync(inst: CyrusInstance, args: string[], env: Record<string, string> = {}): { done: Promise<Run & { end: number }>; pid: number } {
  const t0 = Date.now();
  const child = spawn(process.execPath, [BIN, 'repair', '-C', inst.conf, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Run & { end: number }>((res) =>
    child.once('close', (code, sig) => res({ code: code ?? (sig === 'SIGKILL' ? 137 : 143), stdout, stderr, ms: Date.now() - t0, end: Date.now() })),
  );
  return { done, pid: child.pid! };
}

/** Creates user.<name> and appends `n` messages; some \Seen/\Flagged and keywords. */
export async function mailboxWith(inst: CyrusInstance, user: string, n: number, seed = 1): Promise<{ mailbox: string; dir: string; bodies: Map<number, Buffer> }> {
  const mailbox = `user.${user}`;
  inst.addLogin(user);
  await inst.withImap(undefined, (c) => c.create(mailbox));
  const rng = new Rng(seed);
  const bodies = new Map<number, Buffer>();
  await inst.withImap(user, async (c) => {
    for (let i = 0; i < n; i++) {
      const m = generateMessage('plain', i + seed * 100, rng, `${user}@example.com`);
      const flags = [i % 3 === 0 ? '\\Seen' : '', i % 4 === 1 ? '\\Flagged' : '', i % 2 === 0 ? '$Work' : '', i % 5 === 0 ? 'todo' : ''].filter(Boolean);
      const uid = await c.append('INBOX', m.bytes, { flags, internalDate: m.internalDate });
      bodies.set(uid, m.bytes);
    }
  });
  return { mailbox, dir: await mbpath(inst, mailbox), bodies };
}

export const indexPath = (dir: string) => join(dir, 'cyrus.index');

/** XORs one byte of a file in place (CRCs not fixed), keeping owner and mode. */
export function flip(path: string, offset: number, mask = 0x55): void {
  const b = readFileSync(path);
  b[offset] = b[offset]! ^ mask;
  writeFileSync(path, b);
}

/** Offset of record `recno` (1-based) in a v12+ cyrus.index. */
export function recordOffset(index: Buffer, recno: number): number {
  return index.readUInt32BE(12) + (recno - 1) * index.readUInt32BE(16);
}

/** `reconstruct -n MAILBOX` output lines that say something is wrong (the name line removed). */
export async function reconstructComplaints(inst: CyrusInstance, mailbox: string, extra: string[] = []): Promise<string[]> {
  const r: ToolResult = await inst.tool('reconstruct', ['-n', ...extra, mailbox]);
  return (r.stdout + r.stderr)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== mailbox);
}

/** The finding codes `cyrus-fsck check --json` reports for one mailbox of a live instance. */
export function checkCodes(inst: CyrusInstance, mailbox: string): string[] {
  const r = spawnSync(process.execPath, [BIN, 'check', '-C', inst.conf, mailbox, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  try {
    const findings = JSON.parse(r.stdout).mailboxes.flatMap((m: { findings: Array<{ code: string }> }) => m.findings);
    return [...new Set<string>(findings.map((f: { code: string }) => f.code))].sort();
  } catch {
    return [`(check exit ${r.status}: ${r.stderr.trim().split('\n')[0]})`];
  }
}

/** IMAP view keyed by UID: flags, sha1, size, internaldate (no modseq: repairs raise them). */
export function byUid(v: MailboxView) {
  return new Map(v.messages.map((m) => [m.uid, { flags: m.flags.join(' '), sha1: m.sha1, size: m.size, internaldate: m.internaldate }]));
}

export { imapView };

/** Sets a u32 in the index header and fixes the header CRC: a consistent but wrong counter. */
export function setHeaderU32(dir: string, offset: number, value: number): void {
  const p = indexPath(dir);
  const b = readFileSync(p);
  b.writeUInt32BE(value >>> 0, offset);
  const crcAt = b.readUInt32BE(12) - 4;
  b.writeUInt32BE(crc32(b.subarray(0, crcAt)) >>> 0, crcAt);
  writeFileSync(p, b);
}

/** Header offsets (v12+) of the counters a damage test bends. */
export const HDR = { answered: 52, flagged: 56, deleted: 48, exists: 84, lastUid: 28, uidvalidity: 44, headerFileCrc: 96, syncCrc: 100 } as const;

export const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
export const fileSha1 = (p: string) => sha1(readFileSync(p));

/** Waits until /proc/locks shows a POSIX write lock on `path` (held by `pid` if given). */
export async function waitForWriteLock(path: string, pid?: number, timeoutMs = 15_000): Promise<number> {
  const ino = statSync(path).ino;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      // "1: POSIX  ADVISORY  WRITE 12345 08:01:123456 0 EOF"
      if (f[1] !== 'POSIX' || f[3] !== 'WRITE') continue;
      if (Number(f[5]?.split(':')[2]) !== ino) continue;
      if (pid === undefined || Number(f[4]) === pid) return Number(f[4]);
    }
    if (Date.now() > deadline) throw new Error(`no write lock on ${path} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Planted {
  mailbox: string;
  dir: string;
  /** Puts the fixture's files back (a fresh, undamaged copy), as planted the first time. */
  replant: () => void;
}

/**
 * Puts a mailbox folder Cyrus wrote (a fixture's mailbox/) into a live instance under its own
 * name: the mailbox is created over IMAP, then its files replaced by the fixture's, with
 * cyrus.header taking the new mailboxes.db entry's uniqueid and ACL and cyrus.index its
 * UIDVALIDITY (header_file_crc and the CRCs follow). Records, cache, annotations and message
 * files stay exactly as Cyrus wrote them.
 */
export async function plantFixture(inst: CyrusInstance, fixtureMailbox: string): Promise<Planted> {
  const fxHeader = decodeHeader(readFileSync(join(fixtureMailbox, 'cyrus.header')));
  const mailbox = fxHeader.name!;
  const owner = /^user\.([^.]+)/.exec(mailbox)?.[1];
  if (owner) inst.addLogin(owner);
  await inst.withImap(undefined, (c) => c.create(mailbox));
  const dir = await mbpath(inst, mailbox);
  const made = decodeHeader(readFileSync(join(dir, 'cyrus.header')));
  const uidvalidity = decodeIndex(readFileSync(join(dir, 'cyrus.index'))).header.uidvalidity;
  const { uid, gid } = cyrusIds();
  const replant = () => {
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
    for (const f of readdirSync(fixtureMailbox)) {
      copyFileSync(join(fixtureMailbox, f), join(dir, f));
      chownSync(join(dir, f), uid, gid);
    }
    const header = encodeHeader({ ...fxHeader, uniqueid: made.uniqueid, acl: made.acl });
    writeFileSync(join(dir, 'cyrus.header'), header);
    const idx = decodeIndex(readFileSync(join(dir, 'cyrus.index')));
    idx.header.uidvalidity = uidvalidity;
    idx.header.headerFileCrc = headerFileCrc(header);
    writeFileSync(join(dir, 'cyrus.index'), encodeIndex(idx, { recomputeCrc: true }));
  };
  replant();
  return { mailbox, dir, replant };
}
