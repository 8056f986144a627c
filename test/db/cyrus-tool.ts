// Drives the real Cyrus cyr_dbtool (the oracle) for the db tests: creates scratch databases as
// user cyrus and reads databases back through Cyrus. Tests that need it skip loudly when Cyrus is
// not installed, or fail when CYRUS_FSCK_REQUIRE_CYRUS=1.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DbRecord } from '../../src/db/types.js';

export const CYRUS_BIN = '/usr/lib/cyrus/bin';
const DBTOOL = join(CYRUS_BIN, 'cyr_dbtool');

let announced = false;
/** True when real Cyrus can be used; otherwise says so loudly once (or throws when required). */
export function haveCyrus(): boolean {
  const ok = existsSync(DBTOOL) && process.getuid?.() === 0;
  if (!ok) {
    if (process.env.CYRUS_FSCK_REQUIRE_CYRUS === '1')
      throw new Error(`CYRUS_FSCK_REQUIRE_CYRUS=1 but ${DBTOOL} is missing or we are not root`);
    if (!announced) console.warn(`!!! SKIPPING real-Cyrus tests: ${DBTOOL} missing or not root !!!`);
    announced = true;
  }
  return ok;
}

let cyrusUid: number | undefined;
function cyrusIds(): [number, number] {
  cyrusUid ??= Number(execFileSync('id', ['-u', 'cyrus']).toString().trim());
  return [cyrusUid, Number(execFileSync('id', ['-g', 'cyrus']).toString().trim())];
}

export interface Scratch {
  dir: string;
  conf: string;
  /** Absolute path of a file in the scratch folder. */
  path(name: string): string;
  /** Runs cyr_dbtool as cyrus: `cyr_dbtool -C conf [flags] <file> <backend> <args…>`. */
  dbtool(file: string, backend: string, args: string[], opts?: { input?: Buffer | string; flags?: string[] }): Buffer;
  /** A cyrus-owned copy of `src` inside the scratch folder (Cyrus may recover/rewrite what it opens). */
  copyIn(src: string, name?: string): string;
  cleanup(): void;
}

let n = 0;
export function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'cyrus-fsck-db-'));
  const [uid, gid] = cyrusIds();
  execFileSync('mkdir', ['-p', join(dir, 'conf'), join(dir, 'spool')]);
  const conf = join(dir, 'imapd.conf');
  writeFileSync(conf, `configdirectory: ${dir}/conf\npartition-default: ${dir}/spool\n`);
  execFileSync('chown', ['-R', `${uid}:${gid}`, dir]);
  return {
    dir,
    conf,
    path: (name) => join(dir, name),
    dbtool(file, backend, args, opts = {}) {
      const argv = ['-u', 'cyrus', '--', DBTOOL, '-C', conf, ...(opts.flags ?? []), file, backend, ...args];
      const r = spawnSync('runuser', argv, { input: opts.input ?? '', maxBuffer: 256 << 20 });
      const err = r.stderr.toString();
      if (r.status !== 0 || /FAILED|fatal/.test(err))
        throw new Error(`cyr_dbtool ${args.join(' ')} failed (exit ${r.status}): ${err.slice(0, 500)}`);
      return r.stdout;
    },
    copyIn(src, name) {
      const dst = join(dir, name ?? `copy-${++n}.db`);
      copyFileSync(src, dst);
      chownSync(dst, uid, gid);
      return dst;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * What Cyrus reads from a database: `cyr_dbtool <copy> <backend> batch` with `SHOW`, which prints
 * every key and value as an IMAP astring (binary-safe, unlike plain `show`). Works on a copy, since
 * opening may run recovery.
 */
export function cyrusRecords(s: Scratch, file: string, backend: string, flags: string[] = []): DbRecord[] {
  const copy = s.copyIn(file);
  const out = s.dbtool(copy, backend, ['batch'], { input: 'SHOW\n', flags });
  return parseAstringPairs(out);
}

/** Parses `astring SP astring LF` lines as printed by prot_printamap (atom, "quoted", {n}literal). */
export function parseAstringPairs(out: Buffer): DbRecord[] {
  let at = 0;
  const token = (): Buffer => {
    const c = out[at];
    if (c === 0x22) {
      const close = out.indexOf(0x22, at + 1);
      const s = out.subarray(at + 1, close);
      at = close + 1;
      return Buffer.from(s);
    }
    if (c === 0x7b) {
      const close = out.indexOf(0x7d, at);
      const len = Number(out.subarray(at + 1, close).toString().replace('+', ''));
      const start = close + 3; // "}\r\n"
      at = start + len;
      return Buffer.from(out.subarray(start, start + len));
    }
    let e = at;
    while (e < out.length && out[e] !== 0x20 && out[e] !== 0x0a) e++;
    const s = out.subarray(at, e);
    at = e;
    return Buffer.from(s);
  };
  const recs: DbRecord[] = [];
  while (at < out.length) {
    const key = token();
    if (out[at++] !== 0x20) throw new Error(`batch SHOW output: expected SP at ${at - 1}`);
    const value = token();
    if (out[at++] !== 0x0a) throw new Error(`batch SHOW output: expected LF at ${at - 1}`);
    recs.push({ key, value });
  }
  return recs;
}

/** Parses plain `cyr_dbtool … show` output (key TAB value LF): for text-only databases. */
export function parseShow(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .filter((l) => l.length)
    .map((l) => {
      const t = l.indexOf('\t');
      return [l.slice(0, t), l.slice(t + 1)];
    });
}

/** Literal-framed astring for `batch` input (binary-safe). */
export const lit = (b: Buffer | string) => {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1');
  return Buffer.concat([Buffer.from(`{${buf.length}+}\r\n`), buf]);
};

/** Builds a batch script: one BEGIN…COMMIT transaction of SET/DELETE operations. */
export function batchScript(ops: Array<['SET', Buffer | string, Buffer | string] | ['DELETE', Buffer | string]>): Buffer {
  const parts: Buffer[] = [Buffer.from('BEGIN\n')];
  for (const op of ops) {
    if (op[0] === 'SET') parts.push(Buffer.from('SET '), lit(op[1]), Buffer.from(' '), lit(op[2]), Buffer.from('\n'));
    else parts.push(Buffer.from('DELETE '), lit(op[1]), Buffer.from('\n'));
  }
  parts.push(Buffer.from('COMMIT\n'));
  return Buffer.concat(parts);
}
