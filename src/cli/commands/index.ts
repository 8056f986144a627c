import type { Command } from 'commander';
import type { Outcome } from '../main.js';

/** Each command adds itself to the program; its action stores its exit code in `outcome`. */
export type Register = (program: Command, outcome: Outcome) => void;

/**
 * One command: what the top-level --help lists (`term` and `summary`, as its module declares
 * them) and how to load the module. Only the command being run is loaded: importing every
 * command's dependency tree cost ~0.1–0.2 s of start-up on each run. Keep term and summary equal
 * to the module's `.command()`/`.summary()` (test/cli/lazy-commands.test.ts compares them).
 */
export interface CommandEntry {
  name: string;
  term: string;
  summary: string;
  load: () => Promise<{ register: Register }>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'check', term: 'check [options] [mailbox...]', summary: 'non-invasive integrity scan (never writes)', load: () => import('./check.js') },
  { name: 'crc', term: 'crc [options] [mailbox...]', summary: 'SYNC_CRC / SYNC_CRC_ANNOT, computed and stored (never writes)', load: () => import('./crc.js') },
  { name: 'dump', term: 'dump [options] [mailbox...]', summary: 'a mailbox as the APPLY MAILBOX / APPLY MESSAGE dlist sync_client sends (never writes the spool)', load: () => import('./dump.js') },
  { name: 'inspect', term: 'inspect [options] [mailbox...]', summary: 'header and records of a mailbox, like mbexamine (never writes)', load: () => import('./inspect.js') },
  { name: 'repair', term: 'repair [options] [mailbox...]', summary: 'replication-safe repair under Cyrus locks, with backups', load: () => import('./repair.js') },
  { name: 'seen-cleanup', term: 'seen-cleanup [options] [user...]', summary: 'find (default) or remove (--apply) obsolete seen-database entries', load: () => import('./seen-cleanup.js') },
];
