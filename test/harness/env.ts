// Whether this machine can run the interop suite (real Cyrus 3.6, root, a C compiler for the
// syslog shim), and the describe() wrapper that skips loudly, or fails when CI demands Cyrus.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';

export const CYRUS_BIN = '/usr/lib/cyrus/bin';
export const INSTALL_HINT =
  'apt-get install -y cyrus-imapd cyrus-admin cyrus-clients cyrus-replication sasl2-bin libsasl2-modules';

const TOOLS = ['master', 'imapd', 'lmtpd', 'sync_server', 'sync_client', 'reconstruct', 'mbexamine', 'mbpath', 'cyr_dbtool', 'ctl_mboxlist', 'ctl_cyrusdb'];

/** Finds a program on PATH (plus the sbin folders, which root's PATH may lack). */
export function which(program: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  return dirs.map((d) => `${d}/${program}`).find((p) => existsSync(p));
}

let cached: string | null | undefined;

/** Why interop tests cannot run here, or undefined when they can. */
export function interopUnavailable(): string | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = findProblem() ?? null;
  return cached ?? undefined;
}

function findProblem(): string | undefined {
  const missing = TOOLS.filter((t) => !existsSync(`${CYRUS_BIN}/${t}`));
  if (missing.length) return `Cyrus IMAP 3.6 is not installed (missing ${CYRUS_BIN}/${missing.join(', ')}); run: ${INSTALL_HINT}`;
  if (!which('saslpasswd2')) return `saslpasswd2 is not installed; run: ${INSTALL_HINT}`;
  if (process.getuid?.() !== 0) return 'interop tests need root (they start Cyrus and run its tools as user cyrus via runuser); run them as root';
  if (!which('runuser')) return 'runuser is missing (util-linux)';
  try {
    execFileSync('id', ['cyrus'], { stdio: 'ignore' });
  } catch {
    return `user cyrus does not exist; run: ${INSTALL_HINT}`;
  }
  if (!which('cc') && !which('gcc')) return 'no C compiler (cc/gcc) to build the syslog shim; run: apt-get install -y gcc';
  return undefined;
}

/**
 * describe() for a file of interop tests. Without Cyrus: one loud warning line and the suite is
 * skipped, unless CYRUS_FSCK_REQUIRE_CYRUS=1 (CI), where the missing Cyrus is a failing test.
 */
export function describeInterop(name: string, body: () => void): void {
  const why = interopUnavailable();
  if (!why) {
    describe(name, body);
    return;
  }
  if (process.env.CYRUS_FSCK_REQUIRE_CYRUS === '1') {
    describe(name, () => {
      it('has real Cyrus to test against (CYRUS_FSCK_REQUIRE_CYRUS=1)', () => {
        throw new Error(why);
      });
    });
    return;
  }
  warnOnce(`cyrus-fsck: interop tests against real Cyrus SKIPPED: ${why}`);
  describe.skip(name, body);
}

/**
 * One warning per test run, not per suite or file: vitest runs each file in a fork of one main
 * process, so a marker named after that parent pid tells the other files it was said already.
 */
function warnOnce(line: string): void {
  if (warned) return;
  warned = true;
  try {
    writeFileSync(join(tmpdir(), `cyrus-fsck-interop-skipped-${process.ppid}`), '', { flag: 'wx' });
  } catch {
    return; // another file of this run already warned
  }
  console.warn(line);
}
let warned = false;
