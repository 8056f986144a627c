// Writes a mailbox dump as sync_client's lines: `APPLY MESSAGE (…)` with the message files (at
// most 1024 per line, as update_mailbox_once splits them), then `APPLY MAILBOX %(…)`, each ended
// by CRLF. Files stream from disk in chunks; each is first checked the way Cyrus's printfile
// checks it (size, then SHA-1 = GUID) and sent as NIL when it fails, as Cyrus would.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { file, writeDlist, type ByteSink } from '../dlist/index.js';
import { messagePath, type LoadedMailbox } from './load.js';
import { FILES_PER_APPLY_MESSAGE, applyIntermediate, applyMailbox, messageUploads, syncRecords, type MessageUpload } from './mailbox.js';
import type { MboxEntry } from '../format/mboxlist-entry.js';

export interface DumpOptions {
  /** Also write the APPLY MESSAGE lines (a complete dump). */
  messages?: boolean;
  /**
   * `partition guid` of files already written earlier in the same stream; updated. Like
   * sync_client within one session (its per-partition msgid list), each file goes up once.
   */
  sent?: Set<string>;
}

/** A message file sent as NIL, and why. */
export interface BadFile {
  uid: number;
  path: string;
  reason: string;
}

export interface DumpResult {
  records: number;
  files: number;
  fileBytes: number;
  badFiles: BadFile[];
}

/** Size and SHA-1 of a file, read in chunks; a reason string when it cannot be sent. */
function checkFile(path: string, m: MessageUpload): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return `cannot open: ${(e as NodeJS.ErrnoException).code ?? e}`;
  }
  try {
    const size = fstatSync(fd).size;
    if (size !== m.size) return `size ${size}, index says ${m.size}`;
    const h = createHash('sha1');
    const chunk = Buffer.allocUnsafe(1 << 16);
    for (let pos = 0; pos < size; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - pos), pos);
      if (n <= 0) return `short read at ${pos}`;
      h.update(chunk.subarray(0, n));
      pos += n;
    }
    const got = h.digest('hex');
    return got === m.guid ? undefined : `SHA-1 ${got}, GUID ${m.guid}`;
  } finally {
    closeSync(fd);
  }
}

const text = (sink: ByteSink, s: string) => sink.write(Buffer.from(s, 'latin1'));

/** Thrown when the signal aborts a dump between two message files. */
export class DumpInterrupted extends Error {
  override readonly name = 'DumpInterrupted';
}

/** Lets signal handlers run between files (the writes themselves are synchronous). */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes one mailbox. Whether sync_client would send it at all is the caller's check
 * (`syncRefusal`); files that fail their check are sent as NIL and listed in the result.
 * Between message files it yields and honours `signal` (throwing DumpInterrupted, the output
 * then ends inside an APPLY MESSAGE line).
 */
export async function writeMailboxDump(sink: ByteSink, m: LoadedMailbox, opts: DumpOptions & { signal?: AbortSignal } = {}): Promise<DumpResult> {
  const result: DumpResult = { records: 0, files: 0, fileBytes: 0, badFiles: [] };
  if (opts.messages) {
    const sent = opts.sent ?? new Set<string>();
    const uploads = messageUploads(m.content.records).filter((u) => !sent.has(`${m.id.partition} ${u.guid}`));
    for (const u of uploads) sent.add(`${m.id.partition} ${u.guid}`);
    for (let i = 0; i < uploads.length; i += FILES_PER_APPLY_MESSAGE) {
      // `APPLY MESSAGE (f1 f2 …)` written file by file: the bytes writeDlist gives for the list.
      text(sink, 'APPLY MESSAGE (');
      for (const [j, u] of uploads.slice(i, i + FILES_PER_APPLY_MESSAGE).entries()) {
        if (j) text(sink, ' ');
        const path = messagePath(m.target, u);
        const bad = checkFile(path, u);
        if (bad) {
          result.badFiles.push({ uid: u.uid, path, reason: bad });
          text(sink, 'NIL');
        } else {
          writeDlist(sink, file(m.id.partition, u.guid, u.size, { kind: 'path', path }), { verifyFiles: false });
          result.files++;
          result.fileBytes += u.size;
        }
        await tick();
        if (opts.signal?.aborted) throw new DumpInterrupted(`interrupted while writing the message files of ${m.id.name}`);
      }
      text(sink, ')\r\n');
    }
  }
  const kl = applyMailbox(m.id, m.content);
  result.records = syncRecords(m.content.records).length;
  text(sink, 'APPLY ');
  writeDlist(sink, kl, { key: 'MAILBOX' });
  text(sink, '\r\n');
  return result;
}

/** Writes the APPLY MAILBOX line of an intermediate mailboxes.db entry (no files, no records). */
export function writeIntermediateDump(sink: ByteSink, name: string, e: MboxEntry): void {
  text(sink, 'APPLY ');
  writeDlist(sink, applyIntermediate({ name, uniqueid: e.uniqueid ?? '', mbtypeBits: e.mbtypeBits, createdmodseq: e.createdmodseq, foldermodseq: e.foldermodseq }), { key: 'MAILBOX' });
  text(sink, '\r\n');
}
