// Cyrus's own `reconstruct -n -G` over the bench spool, for comparison: a private imapd.conf
// whose partition-default is the spool, mailboxes.db entries made by `reconstruct -P` from our
// cyrus.header files, then the timed run (best of two; it re-parses every message file).
// Note: Cyrus's -n is not read-only (it creates missing cyrus.annotations, takes exclusive
// locks), so the spool is chowned to cyrus for it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BIN = '/usr/lib/cyrus/bin';

export const cyrusAvailable = () => existsSync(join(BIN, 'reconstruct')) && spawnSync('id', ['-u', 'cyrus']).status === 0;

export interface ReconstructResult {
  seconds?: number;
  messages?: number;
  bytes?: number;
  how?: string;
  error?: string;
}

function headerDirs(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) headerDirs(join(dir, e.name), out);
    else if (e.name === 'cyrus.header') out.push(dir);
  }
  return out;
}

function asCyrus(args: string[]) {
  return spawnSync('runuser', ['-u', 'cyrus', '--', ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
}

export async function benchReconstruct(spool: string, _jobs: number, totals: { messages: number; bytes: number }): Promise<ReconstructResult> {
  const base = `${spool}.cyrus`;
  const conf = join(base, 'imapd.conf');
  if (!existsSync(join(base, '.ready'))) {
    for (const d of ['conf', 'lock', 'proc']) mkdirSync(join(base, d), { recursive: true });
    writeFileSync(
      conf,
      [`configdirectory: ${base}/conf`, `partition-default: ${spool}`, `mboxname_lockpath: ${base}/lock`, `proc_path: ${base}/proc`, 'defaultpartition: default', ''].join('\n'),
    );
    spawnSync('chown', ['-R', 'cyrus:mail', base, spool]);
    const dirs = headerDirs(spool);
    for (let i = 0; i < dirs.length; i += 200) {
      const r = asCyrus([join(BIN, 'reconstruct'), '-C', conf, '-P', ...dirs.slice(i, i + 200)]);
      if (r.status !== 0) return { error: `reconstruct -P failed: ${r.stderr || r.stdout}` };
    }
    writeFileSync(join(base, '.ready'), '');
  }
  // The spool may have been rebuilt (as root) since: Cyrus's -n still opens files for writing.
  spawnSync('chown', ['-R', 'cyrus:mail', spool]);
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const t = process.hrtime.bigint();
    const r = asCyrus([join(BIN, 'reconstruct'), '-C', conf, '-n', '-G', '-q']);
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (r.status !== 0) return { error: `reconstruct -n -G exited ${r.status}: ${r.stderr.slice(0, 500)}` };
    const complaints = r.stdout.split('\n').filter((l) => l.trim()).length;
    if (complaints > 0 && i === 1) process.stderr.write(`note: reconstruct printed ${complaints} lines\n`);
    best = Math.min(best, s);
  }
  return { seconds: best, messages: totals.messages, bytes: totals.bytes, how: 'single process, as Cyrus runs it' };
}
