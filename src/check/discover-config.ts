// Discovery through imapd.conf and mailboxes.db (filled in when src/config lands).
import { operationalError } from '../errors.js';
import type { Discovered } from './run.js';
import type { Selection } from './discover.js';

export async function* discoverConfig(sel: Selection, note: (s: string) => void): AsyncGenerator<Discovered> {
  void sel;
  void note;
  throw operationalError('reading imapd.conf is not available yet: use --path');
}
