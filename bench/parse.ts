// Parse throughput: every message of the corpus (test/fixtures/corpus-indexed.tar.gz, 881
// real-world messages, 18.9 MB) through expectedCacheRecord — parse, all ten cache items, the
// record CRC — on one thread, warm page cache. Also a 100 MB single-part message, to show the
// streaming path (bounded memory) and the raw hashing/decoding rate.
//
//   npm run build && node dist/bench/parse.js [--runs 3] [--big-mb 100]
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expectedCacheRecord } from '../src/message/record.js';

function args(argv: string[]): { runs: number; bigMb: number } {
  const a = { runs: 3, bigMb: 100 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') a.runs = Number(argv[++i]);
    else if (argv[i] === '--big-mb') a.bigMb = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return a;
}

function fixturesDir(): string {
  for (const c of [resolve(import.meta.dirname, '../test/fixtures'), resolve(import.meta.dirname, '../../test/fixtures')]) {
    try {
      if (statSync(join(c, 'corpus-indexed.tar.gz')).isFile()) return c;
    } catch {
      /* try the next */
    }
  }
  throw new Error('test/fixtures/corpus-indexed.tar.gz not found');
}

function timeIt(runs: number, f: () => void): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    f();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}

const a = args(process.argv.slice(2));
const work = mkdtempSync(join(tmpdir(), 'cyrus-fsck-bench-parse-'));
try {
  execFileSync('tar', ['xzf', join(fixturesDir(), 'corpus-indexed.tar.gz'), '-C', work]);
  const mbox = join(work, 'corpus-indexed', 'mailbox');
  const files = readdirSync(mbox).filter((f) => /^\d+\.$/.test(f)).map((f) => join(mbox, f));
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const secs = timeIt(a.runs, () => {
    for (const f of files) expectedCacheRecord(f);
  });
  console.log(
    `corpus: ${files.length} messages, ${(bytes / 1e6).toFixed(1)} MB in ${secs.toFixed(2)} s: ` +
      `${Math.round(files.length / secs)} messages/s, ${(bytes / 1e6 / secs).toFixed(1)} MB/s (best of ${a.runs}, one thread)`,
  );

  for (const [label, cte, line] of [
    ['7bit', '7bit', `${'x'.repeat(76)}\r\n`],
    ['base64', 'base64', `${'QUJD'.repeat(19)}\r\n`],
  ] as const) {
    const big = join(work, `big-${label}.`);
    const fd = openSync(big, 'w');
    writeSync(fd, `Subject: big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`);
    const block = Buffer.from(line.repeat(Math.floor((1 << 20) / line.length)));
    for (let i = 0; i < a.bigMb; i++) writeSync(fd, block);
    closeSync(fd);
    const size = statSync(big).size;
    const rss0 = process.memoryUsage().rss;
    const s = timeIt(1, () => expectedCacheRecord(big));
    const rss = process.memoryUsage().rss - rss0;
    console.log(
      `one ${(size / 1e6).toFixed(0)} MB ${label} message: ${s.toFixed(2)} s, ${(size / 1e6 / s).toFixed(1)} MB/s, ` +
        `RSS growth ${(rss / 1e6).toFixed(0)} MB`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
