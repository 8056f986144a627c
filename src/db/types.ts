// Shared shapes of the cyrusdb readers (twoskip, skiplist, flat).

export type Backend = 'twoskip' | 'skiplist' | 'flat';

/** One live key/value pair, in the database's own key order. Buffers are private copies. */
export interface DbRecord {
  key: Buffer;
  value: Buffer;
}

/** A consistency problem found by a check*() function: data, not an exception. */
export interface DbProblem {
  /** Stable short code, e.g. HEAD_CRC, ORDER, LINKAGE (see each backend's list). */
  code: string;
  /** Byte offset of the record or field concerned. */
  offset: number;
  message: string;
}

/**
 * Bytes at the end of a file that Cyrus would throw away on recovery: a transaction that was
 * started but never committed (twoskip: everything at or past current_size; skiplist: a log
 * transaction without its COMMIT).
 */
export interface UncommittedTail {
  offset: number;
  length: number;
}
