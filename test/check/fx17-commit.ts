// Shared by the confirmation tests: a writable copy of fixture 17's mailbox, its check target,
// and an index rewrite that leaves what a Cyrus commit leaves.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MailboxTarget } from '../../src/check/types.js';
import { readDb } from '../../src/db/index.js';
import { messageAnnotations } from '../../src/format/annotations.js';
import { decodeHeader } from '../../src/format/header.js';
import { decodeIndex, encodeIndex, InternalFlag, SystemFlag, type IndexFile } from '../../src/format/index/index.js';
import { syncCrcAnnot, syncCrcBasic } from '../../src/format/synccrc.js';
import { copyOf, indexFixture } from '../helpers/fixtures.js';

export const mailbox = () => join(copyOf(indexFixture(17)), 'mailbox');
export const target = (dir: string): MailboxTarget => ({ name: 'user.fx17', dir, nameFromHeader: true });

/** What a Cyrus commit leaves: counters and both SYNC CRCs recomputed from the records. */
export function commit(dir: string, change: (f: IndexFile) => void): void {
  const path = join(dir, 'cyrus.index');
  const f = decodeIndex(readFileSync(path));
  change(f);
  const h = f.header;
  const live = f.records.filter((r) => !(r.internalFlags & InternalFlag.EXPUNGED));
  const names = decodeHeader(readFileSync(join(dir, 'cyrus.header'))).userFlags;
  const anns = messageAnnotations(readDb(readFileSync(join(dir, 'cyrus.annotations')), undefined, { expect: 'twoskip' }).records, 'user.fx17');
  h.numRecords = f.records.length;
  h.exists = live.length;
  h.answered = live.filter((r) => r.systemFlags & SystemFlag.ANSWERED).length;
  h.flagged = live.filter((r) => r.systemFlags & SystemFlag.FLAGGED).length;
  h.deleted = live.filter((r) => r.systemFlags & SystemFlag.DELETED).length;
  h.unseen = live.filter((r) => !(r.systemFlags & SystemFlag.SEEN)).length;
  h.quotaMailboxUsed = live.reduce((a, r) => a + r.size, 0n);
  h.syncCrcBasic = syncCrcBasic(live, names);
  h.syncCrcAnnot = syncCrcAnnot(live, anns, h.minorVersion);
  writeFileSync(path, encodeIndex(f, { recomputeCrc: true }));
}
