// Shapes shared by the check pipeline: what discovery hands over, what a mailbox's check yields.
import type { Finding, FindingCode } from '../findings.js';
import type { FolderScan } from './scan-folder.js';

/** One mailbox to check: where its files are (paths already resolved by discovery). */
export interface MailboxTarget {
  /** Internal name (user.fred.Sent); in --path mode the name in cyrus.header, else the folder. */
  name: string;
  /** Folder holding the message files (the spool folder). */
  dir: string;
  /** Folder holding cyrus.header / cyrus.index / cyrus.cache / cyrus.annotations (metapartition), if elsewhere. */
  metaDir?: string;
  /** Per-file overrides when metapartition_files splits them. */
  headerPath?: string;
  indexPath?: string;
  cachePath?: string;
  annotationsPath?: string;
  /** Folder of ARCHIVED message files (archivepartition), if different from `dir`. */
  archiveDir?: string;
  /** The cyrus.cache of ARCHIVED records (archive cache), if different from the normal cache. */
  archiveCachePath?: string;
  partition?: string;
  /** Uniqueid mailboxes.db records for this mailbox (absent in --path mode). */
  expectedUniqueid?: string;
  /** In --path mode: take the name from cyrus.header once it is read. */
  nameFromHeader?: boolean;
  /** Named by mailboxes.db: a missing folder is MAILBOX_DIR_MISSING. */
  listed?: boolean;
  /** Found on disk with a cyrus.header that no mailboxes.db entry names (MAILBOX_UNLISTED). */
  unlisted?: boolean;
  /** The listing of `dir` discovery has just made (--path walks every folder): not listed again. */
  scan?: FolderScan;
}

/** What check reports for one mailbox (the contract's JSON mailbox object). */
export interface MailboxReport {
  name: string;
  path: string;
  indexVersion?: number;
  uniqueid?: string;
  records: number;
  messagesVerified: number;
  /** Bytes read by the hashing workers for this mailbox. */
  bytesHashed: number;
  findings: Finding[];
}

export interface Summary {
  mailboxes: number;
  messages: number;
  bytesHashed: number;
  seconds: number;
  findings: Partial<Record<FindingCode, number>>;
  /** Present (true) only when SIGINT/SIGTERM cut the scan short. */
  interrupted?: boolean;
}

/** A mailbox discovery chose not to check, and why (printed with -v). */
export interface Skipped {
  name: string;
  reason: string;
}

export function metaPaths(t: MailboxTarget): { header: string; index: string; cache: string; annotations: string } {
  const meta = t.metaDir ?? t.dir;
  return {
    header: t.headerPath ?? `${meta}/cyrus.header`,
    index: t.indexPath ?? `${meta}/cyrus.index`,
    cache: t.cachePath ?? `${meta}/cyrus.cache`,
    annotations: t.annotationsPath ?? `${meta}/cyrus.annotations`,
  };
}
