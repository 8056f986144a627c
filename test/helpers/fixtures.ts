// Unpacks the real Cyrus fixtures (test/fixtures/*.tar.gz) into a temporary folder, once per
// test process, and hands out paths. Tests never modify test/fixtures itself.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const FIXTURES_DIR = resolve(import.meta.dirname, '..', 'fixtures');
export const INDEX_VERSIONS = [12, 13, 14, 15, 16, 17] as const;

const unpacked = new Map<string, string>();
let root: string | undefined;

function tempRoot(): string {
  if (!root) {
    root = mkdtempSync(join(tmpdir(), 'cyrus-fsck-fx-'));
    const dir = root;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return root;
}

/** Unpacks `<name>.tar.gz` from test/fixtures and returns the folder it unpacked into. */
export function fixture(name: string): string {
  let dir = unpacked.get(name);
  if (!dir) {
    dir = join(tempRoot(), name);
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('tar', ['xzf', join(FIXTURES_DIR, `${name}.tar.gz`), '-C', dir]);
    unpacked.set(name, dir);
  }
  return dir;
}

/** The folder of the index-vNN fixture: contains mailbox/, expected.json, mbexamine.txt … */
export function indexFixture(version: number): string {
  return join(fixture(`cyrus-index-v${version}`), `index-v${version}`);
}

/** The seen/ folder of the seen fixture. */
export function seenFixture(): string {
  return join(fixture('cyrus-seen-v10-to-v17'), 'seen');
}

/** A private, writable copy of a fixture folder (for damage tests). */
export function copyOf(dir: string): string {
  const dst = mkdtempSync(join(tempRoot(), 'copy-'));
  cpSync(dir, dst, { recursive: true, preserveTimestamps: true });
  return dst;
}

/** The seen fixture's mailboxes that carry expected.json, like the index fixtures. */
export const SEEN_MAILBOXES = ['user.fxseen', 'user.fxseen.NoSeen', 'shared.fxteam'] as const;

/**
 * Every real mailbox fixture with Cyrus's expected view: [label, folder getter] pairs (getters,
 * so a test file unpacks only when it runs). Index fixtures are labelled `index-vNN`.
 */
export const MAILBOX_FIXTURES: Array<[string, () => string]> = [
  ...INDEX_VERSIONS.map((v): [string, () => string] => [`index-v${v}`, () => indexFixture(v)]),
  ...SEEN_MAILBOXES.map((m): [string, () => string] => [m, () => join(seenFixture(), m)]),
];
