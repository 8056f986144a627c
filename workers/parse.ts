// Piscina worker: parses a batch of message files the way Cyrus would index them and answers
// with small results (record fields + cache CRC, the encoded cache record only on request).
// Each file is streamed from disk inside the worker, so file contents never cross threads and a
// huge message costs one read window. A file that cannot be read or parsed is an answer
// ({error}), never a thrown task.
import { expectedCacheRecord, type ExpectedRecordFields } from '../src/message/record.js';
import { MessageParseError } from '../src/message/parse.js';
import { UnsupportedCacheVersionError, type ParseOptions } from '../src/message/options.js';

/** Options that can cross a thread boundary (custom charset tables cannot). */
export type WorkerParseOptions = Omit<ParseOptions, 'charsets'>;

export interface ParseTask {
  paths: string[];
  options?: WorkerParseOptions;
  /** Also return the encoded cache record (for repair); off for checking, which needs the CRC. */
  includeRecord?: boolean;
}

export interface ParseResult {
  record?: ExpectedRecordFields;
  /** Bytes of the cache record Cyrus would append. */
  cacheRecordLength?: number;
  cacheRecord?: Uint8Array;
  warnings?: string[];
  /** errno code (ENOENT, EACCES…), NOT_A_FILE, EMPTY / TOO_DEEP, or UNSUPPORTED_CACHE_VERSION. */
  error?: string;
}

export function parseOne(path: string, options: WorkerParseOptions = {}, includeRecord = false): ParseResult {
  try {
    const r = expectedCacheRecord(path, options);
    return {
      record: r.record,
      cacheRecordLength: r.cacheRecord.length,
      ...(includeRecord ? { cacheRecord: new Uint8Array(r.cacheRecord) } : {}),
      ...(r.warnings.length ? { warnings: r.warnings } : {}),
    };
  } catch (e) {
    if (e instanceof MessageParseError) return { error: e.code };
    if (e instanceof UnsupportedCacheVersionError) return { error: 'UNSUPPORTED_CACHE_VERSION' };
    const code = (e as NodeJS.ErrnoException)?.code;
    return { error: typeof code === 'string' ? code : String((e as Error)?.message ?? e) };
  }
}

export function parseBatch(task: ParseTask): ParseResult[] {
  return task.paths.map((p) => parseOne(p, task.options, task.includeRecord));
}

export default parseBatch;
