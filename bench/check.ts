// Benchmark of `cyrus-fsck check` (issue 4), reported in one run:
//   1. check on a synthetic spool: files/s, MB/s, peak RSS (the CLI in a child process);
//   2. a bare baseline: read + SHA-1 of the same files on the same number of threads;
//   3. Cyrus's `reconstruct -n -G` over the same messages, when Cyrus is installed (bench/cyrus.ts).
// Warm cache: every measurement is run twice and the faster run is reported.
//
//   npm run bench -- [--messages 20000] [--per-mailbox 500] [--jobs N] [--small] [--dir D]
//                    [--no-cyrus] [--runs 2] [--deep]
// --deep: check runs with --deep (every message also parsed, cache records compared).
// --small: every message about 3 KB (to reach 1M messages on a modest disk, for the RSS target).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { benchReconstruct, cyrusAvailable } from './cyrus.js';
import { buildSpool } from './synth.js';

interface Args {
  messages: number;
  perMailbox: number;
  jobs: number;
  small: boolean;
  dir?: string;
  cyrus: boolean;
  runs: number;
  deep: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { messages: 20_000, perMailbox: 500, jobs: availableParallelism(), small: false, cyrus: true, runs: 2, deep: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const num = () => Number(argv[++i]);
    if (k === '--messages') a.messages = num();
    else if (k === '--per-mailbox') a.perMailbox = num();
    else if (k === '--jobs' || k === '-j') a.jobs = num();
    else if (k === '--small') a.small = true;
    else if (k === '--dir') a.dir = argv[++i];
    else if (k === '--no-cyrus') a.cyrus = false;
    else if (k === '--runs') a.runs = num();
    else if (k === '--deep') a.deep = true;
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

const REPO = resolve(import.meta.dirname, '..', '..');

function listFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) listFiles(join(dir, e.name), out);
    else if (/^\d+\.$/.test(e.name)) out.push(join(dir, e.name));
  }
  return out;
}

async function baseline(files: string[], jobs: number): Promise<{ seconds: number; bytes: number; cpu: number }> {
  const t = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const shares = Array.from({ length: jobs }, (_, i) => files.filter((_, j) => j % jobs === i));
  const results = await Promise.all(
    shares.map(
      (share) =>
        new Promise<{ files: number; bytes: number }>((res, rej) => {
          const w = new Worker(new URL('./baseline-worker.js', import.meta.url), { workerData: share });
          w.once('message', res);
          w.once('error', rej);
        }),
    ),
  );
  const cpu = process.cpuUsage(cpu0);
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, bytes: results.reduce((s, r) => s + r.bytes, 0), cpu: (cpu.user + cpu.system) / 1e6 };
}

interface CheckRun {
  seconds: number;
  wall: number;
  bytes: number;
  messages: number;
  findings: number;
  maxRssMb: number;
  /** user + system CPU seconds of the whole process (startup included). */
  cpu: number;
}

function runCheckCli(root: string, jobs: number, deep = false): CheckRun {
  const args = ['check', '--path', root, '-j', String(jobs), '--json', '--no-progress', ...(deep ? ['--deep'] : [])];
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %M %e %U %S', process.execPath, join(REPO, 'bin', 'cyrus-fsck.js'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const m = /TIME (\d+) ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m || (r.status !== 0 && r.status !== 4)) throw new Error(`check failed (${r.status}): ${r.stderr}`);
  const s = JSON.parse(r.stdout).summary;
  const findings = Object.values(s.findings as Record<string, number>).reduce((a, b) => a + b, 0);
  return { seconds: s.seconds, wall: Number(m[2]), bytes: s.bytesHashed, messages: s.messages, findings, maxRssMb: Number(m[1]) / 1024, cpu: Number(m[3]) + Number(m[4]) };
}

const mb = (b: number) => b / 1e6;
const fmt = (n: number, d = 1) => n.toFixed(d);

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const dir = a.dir ?? join(tmpdir(), `cyrus-fsck-bench-${a.messages}-${a.perMailbox}${a.small ? '-small' : ''}`);
  const marker = join(dir, '.built.json');
  const params = JSON.stringify({ messages: a.messages, perMailbox: a.perMailbox, small: a.small, v: 3 });
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== params) {
    rmSync(dir, { recursive: true, force: true });
    const t = Date.now();
    process.stderr.write(`building ${a.messages} messages in ${dir} …\n`);
    buildSpool({ root: dir, messages: a.messages, perMailbox: a.perMailbox, fixedSize: a.small ? 3000 : undefined });
    writeFileSync(marker, params);
    process.stderr.write(`built in ${fmt((Date.now() - t) / 1000)} s\n`);
  }
  const files = listFiles(dir);

  // Warm the page cache, then measure.
  await baseline(files, a.jobs);
  let base = { seconds: Infinity, bytes: 0, cpu: 0 };
  let check: CheckRun | undefined;
  for (let i = 0; i < a.runs; i++) {
    const b = await baseline(files, a.jobs);
    if (b.seconds < base.seconds) base = b;
    const c = runCheckCli(dir, a.jobs, a.deep);
    if (!check || c.seconds < check.seconds) check = { ...c, maxRssMb: Math.max(c.maxRssMb, check?.maxRssMb ?? 0) };
    else check.maxRssMb = Math.max(check.maxRssMb, c.maxRssMb);
  }
  const c = check!;
  const lines = [
    `cyrus-fsck check benchmark — ${files.length} messages, ${fmt(mb(base.bytes))} MB, ${Math.ceil(files.length / a.perMailbox)} mailboxes, ${a.jobs} threads, warm cache, best of ${a.runs}`,
    `  node ${process.version}, ${availableParallelism()} cores`,
    '',
    `  bare baseline (read + SHA-1)   ${fmt(base.seconds, 2).padStart(7)} s  ${fmt(files.length / base.seconds, 0).padStart(8)} files/s  ${fmt(mb(base.bytes) / base.seconds).padStart(7)} MB/s`,
    `  cyrus-fsck check${a.deep ? ' --deep' : '       '}        ${fmt(c.seconds, 2).padStart(7)} s  ${fmt(c.messages / c.seconds, 0).padStart(8)} files/s  ${fmt(mb(c.bytes) / c.seconds).padStart(7)} MB/s   (process wall ${fmt(c.wall, 2)} s, peak RSS ${fmt(c.maxRssMb, 0)} MB, ${c.findings} findings)`,
    `  check / baseline               ${fmt(c.seconds / base.seconds, 2)}× wall   (target ≤ 1.30×); CPU ${fmt(c.cpu, 2)} s vs ${fmt(base.cpu, 2)} s = ${fmt(c.cpu / base.cpu, 2)}× (check's includes node startup)`,
    `  machine load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  ];
  if (a.cyrus && cyrusAvailable()) {
    const rc = await benchReconstruct(dir, a.jobs, { messages: files.length, bytes: base.bytes });
    if (rc.error) lines.push(`  cyrus reconstruct -n -G        not measured: ${rc.error}`);
    else
      lines.push(
        `  cyrus reconstruct -n -G        ${fmt(rc.seconds!, 2).padStart(7)} s  ${fmt(rc.messages! / rc.seconds!, 0).padStart(8)} files/s  ${fmt(mb(rc.bytes!) / rc.seconds!).padStart(7)} MB/s   (${rc.how})`,
        `  reconstruct / check            ${fmt(rc.seconds! / c.seconds, 1)}×   (target ≥ 6×)`,
      );
  } else {
    lines.push(`  cyrus reconstruct -n -G        not measured (${a.cyrus ? 'Cyrus not installed' : '--no-cyrus'})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
