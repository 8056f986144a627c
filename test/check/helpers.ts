// Shared by the check tests: run the pipeline in-process and capture its JSON, snapshot a tree
// (bytes + mtimes) to prove check never changes anything, and damage tools for real fixtures.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { discover } from '../../src/check/discover.js';
import { Reporter } from '../../src/check/report.js';
import { runCheck } from '../../src/check/run.js';
import type { Finding } from '../../src/findings.js';
import { decodeIndex, encodeIndex, type IndexFile } from '../../src/format/index/index.js';

export interface JsonReport {
  tool: string;
  version: string;
  command: string;
  mailboxes: Array<{
    name: string;
    path: string;
    indexVersion?: number;
    uniqueid?: string;
    records: number;
    messagesVerified: number;
    findings: Finding[];
  }>;
  summary: { mailboxes: number; messages: number; bytesHashed: number; seconds: number; findings: Record<string, number>; interrupted?: boolean };
}

export const REPO = join(import.meta.dirname, '..', '..');

/**
 * Compiles the project (the hash workers and the CLI run as JS from dist/). tsc emits even when
 * some other module has a type error, which is not ours to fail on here.
 */
export function buildDist(): void {
  if (process.env.npm_lifecycle_event === 'test') return; // `npm test` has just built
  spawnSync('npx', ['tsc', '-p', '.'], { cwd: REPO, stdio: 'ignore' });
}

/** Runs check over folders (--path mode) and returns the parsed --json document. */
export async function checkPaths(paths: string[], jobs = 2): Promise<JsonReport> {
  let out = '';
  const reporter = new Reporter({ mode: 'json', out: { write: (s: string) => (out += s) } });
  const none = { setTotal() {}, update() {}, stop() {} };
  await runCheck({ targets: discover({ mailboxes: [], path: paths }), jobs, reporter, progress: none });
  return JSON.parse(out) as JsonReport;
}

/** Every finding of a report, flattened. */
export const allFindings = (r: JsonReport) => r.mailboxes.flatMap((m) => m.findings);
export const codes = (r: JsonReport) => [...new Set(allFindings(r).map((f) => f.code))].sort();

/** path → sha1, size, mtime of every file under dir (what check must never change). */
export function snapshotTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = statSync(p);
      if (e.isDirectory()) {
        out.set(p, `dir ${st.mtimeMs} ${st.mode}`);
        walk(p);
      } else {
        const sha = createHash('sha1').update(readFileSync(p)).digest('hex');
        out.set(p, `${sha} ${st.size} ${st.mtimeMs} ${st.mode}`);
      }
    }
  };
  walk(dir);
  return out;
}

/** Rewrites cyrus.index after `edit`; CRCs recomputed (a consistent, deliberate change). */
export function editIndex(mailboxDir: string, edit: (f: IndexFile) => void, { recomputeCrc = true } = {}): void {
  const path = join(mailboxDir, 'cyrus.index');
  const f = decodeIndex(readFileSync(path));
  edit(f);
  f.header.numRecords = f.records.length;
  writeFileSync(path, encodeIndex(f, { recomputeCrc }));
}

/** Changes one byte of a file in place (no CRC fixed). */
export function flipByte(path: string, offset: number): void {
  const buf = readFileSync(path);
  buf[offset] = buf[offset]! ^ 0x55;
  writeFileSync(path, buf);
}

/**
 * Another process takes the exclusive fcntl lock a Cyrus writer takes on `path` (fcntl locks
 * belong to the process: this one's own locks would not conflict) and holds it until release().
 */
export async function holdWriterLock(path: string): Promise<{ release(): Promise<void> }> {
  const holder = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { openSync } from 'node:fs'; import { lock } from 'os-lock';
       const fd = openSync(${JSON.stringify(path)}, 'r+'); await lock(fd, { exclusive: true }); console.log('locked');
       process.stdin.once('data', () => process.exit(0));`,
    ],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise((res) => holder.once('exit', res));
  await new Promise<void>((res) => holder.stdout!.once('data', () => res()));
  let released: Promise<unknown> | undefined;
  return {
    release() {
      released ??= (holder.stdin!.end('done\n'), exited);
      return released.then(() => {});
    },
  };
}
