// Finding codes are part of the command-line contract (docs/cli-contract.md):
// stable, add new ones, never rename.

export type Severity = 'error' | 'warning' | 'info';

export const FINDING_SEVERITY = {
  HEADER_MISSING: 'error',
  HEADER_BAD: 'error',
  INDEX_MISSING: 'error',
  INDEX_TRUNCATED: 'error',
  INDEX_VERSION_UNSUPPORTED: 'error',
  INDEX_HEADER_CRC: 'error',
  HEADER_FILE_CRC: 'warning',
  UNIQUEID_MISMATCH: 'error',
  CACHE_MISSING: 'error',
  CACHE_GENERATION: 'warning',
  COUNTER_MISMATCH: 'warning',
  SYNC_CRC_MISMATCH: 'warning',
  SYNC_CRC_ANNOT_MISMATCH: 'warning',
  LAST_UID_LOW: 'error',
  HIGHESTMODSEQ_LOW: 'error',
  MAILBOX_DIR_MISSING: 'error',
  MAILBOX_UNLISTED: 'warning',
  RECORD_CRC: 'error',
  UID_ORDER: 'error',
  CACHE_CRC: 'error',
  CACHE_RECORD_BAD: 'error',
  FILE_MISSING: 'error',
  FILE_UNREADABLE: 'error',
  SIZE_MISMATCH: 'error',
  GUID_MISMATCH: 'error',
  GUID_ZERO: 'warning',
  USER_FLAG_UNNAMED: 'warning',
  CACHE_STALE: 'warning',
  UNINDEXED_FILE: 'warning',
  UNINDEXED_FILE_REUSE: 'warning',
  ODD_FILE: 'info',
  SEEN_OWNER_OBSOLETE: 'info',
  SEEN_MAILBOX_GONE: 'info',
  SEEN_DB_BAD: 'error',
} as const satisfies Record<string, Severity>;

export type FindingCode = keyof typeof FINDING_SEVERITY;

export interface Finding {
  code: FindingCode;
  severity: Severity;
  message: string;
  mailbox?: string;
  uid?: number;
  file?: string;
  /** Byte offset in `file`, where the problem is located in a metadata file. */
  offset?: number;
  /** For COUNTER_MISMATCH: the header field. */
  field?: string;
  expected?: string | number;
  actual?: string | number;
}

export function finding(code: FindingCode, message: string, extra: Omit<Finding, 'code' | 'severity' | 'message'> = {}): Finding {
  return { code, severity: FINDING_SEVERITY[code], message, ...extra };
}
