// The two APPLY MAILBOX fields that live outside the mailbox when `conversations: yes`:
// XCONVMODSEQ, the folder's thread modseq in the owner's conversations.db
// (mailbox_get_xconvmodseq → conversation_getstatus), and RACLMODSEQ, from the owner's counters
// file, defined on INBOX only (mboxname_readraclmodseq). Cyrus 3.6.1 imap/conversations.c,
// imap/mboxname.c.
import { crc32 } from 'node:zlib';
import { parseStrict, toNum64, asList } from '../dlist/index.js';

type DbRecord = { key: Buffer; value: Buffer };

/** Folder status records of a conversations.db: `F<folder key>` → threadmodseq. */
export interface FolderModseqs {
  /** Folders are keyed by name (`$FOLDER_NAMES`) rather than uniqueid (`$FOLDER_IDS`). */
  byName: boolean;
  threadModseq: Map<string, bigint>;
}

/** Reads the folder status records (`<version> SP (threadmodseq exists unseen …)`, version 0). */
export function folderModseqs(records: Iterable<DbRecord>): FolderModseqs {
  let hasIds = false;
  let hasNames = false;
  const threadModseq = new Map<string, bigint>();
  for (const { key, value } of records) {
    const k = key.toString('latin1');
    if (k === '$FOLDER_IDS') hasIds = true;
    else if (k === '$FOLDER_NAMES') hasNames = true;
    else if (k[0] === 'F') {
      const text = value.toString('latin1');
      // conversation_parsestatus: anything but version 0 or a list is "bad format" → no value.
      if (!text.startsWith('0 ')) continue;
      try {
        const first = asList(parseStrict(value.subarray(2)).node)?.items[0];
        const v = toNum64(first);
        if (v !== undefined) threadModseq.set(k.slice(1), v);
      } catch {
        // undecodable status: Cyrus logs and treats it as 0
      }
    }
  }
  return { byName: !hasIds && hasNames, threadModseq };
}

/** The XCONVMODSEQ Cyrus would send (0 = none). */
export function xconvModseq(f: FolderModseqs, mailbox: { name: string; uniqueid: string }): bigint {
  return f.threadModseq.get(f.byName ? mailbox.name : mailbox.uniqueid) ?? 0n;
}

const RACLMODSEQ_OFFSET = 88;

/**
 * raclmodseq from a user's counters file (`mboxname_buf_to_counters`): big-endian words, a
 * version at offset 4, the value at offset 88 from version 4 on, a CRC-32 of everything before
 * the last 4 bytes. Any inconsistency reads as 0, as Cyrus does.
 */
export function countersRaclModseq(buf: Buffer): bigint {
  if (buf.length < 8 || buf.length === 48) return 0n; // v0 files are 48 bytes, without raclmodseq
  const version = buf.readUInt32BE(4);
  if (COUNTERS_LENGTH[version] !== buf.length || version < 4) return 0n;
  if ((crc32(buf.subarray(0, buf.length - 4)) >>> 0) !== buf.readUInt32BE(buf.length - 4)) return 0n;
  return buf.readBigUInt64BE(RACLMODSEQ_OFFSET);
}

/** File length of each counters version (v4 introduced raclmodseq). */
const COUNTERS_LENGTH: Record<number, number> = { 1: 56, 2: 64, 3: 88, 4: 104, 5: 120, 6: 200, 7: 232, 8: 264, 9: 296 };
