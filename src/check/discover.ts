// Which mailboxes to check (contract "Selecting mailboxes"): --path folders directly, or the
// mailboxes.db named by imapd.conf, filtered by MAILBOX patterns, -u and -p.
import { discoverPaths } from './discover-path.js';
import { discoverConfig } from './discover-config.js';
import type { Discovered } from './run.js';

export interface Selection {
  mailboxes: string[];
  config?: string;
  user?: string[];
  partition?: string;
  path?: string[];
  /** How long to wait for a Cyrus writer's lock on mailboxes.db (default 10 s). */
  lockTimeoutMs?: number;
  /** Told how many mailboxes will come, when that is known before the first (mailboxes.db). */
  onTotal?: (mailboxes: number) => void;
}

export async function* discover(sel: Selection, note: (s: string) => void = () => {}): AsyncGenerator<Discovered> {
  if (sel.path?.length) {
    yield* discoverPaths(sel.path);
    return;
  }
  yield* discoverConfig(sel, note);
}
