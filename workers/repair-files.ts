// Piscina worker for repair: what src/repair/state.ts needs to know about a batch of message
// files — size, mtime and SHA-1 of each (hashed by check's hashFile, streaming through one
// buffer), and, where asked, Cyrus's parse of it (the index fields and the encoded cache record
// repair appends). Read-only: message files are opened O_RDONLY; cyrus.index and every lock stay
// with the main thread (fcntl locks belong to the process, and closing any descriptor of a
// locked file would drop them). A file that cannot be read or parsed is an answer, never a
// thrown task.
import { statSync } from 'node:fs';
import type { ExpectedRecordFields } from '../src/message/record.js';
import type { ParseOptions } from '../src/message/options.js';
import { hashFile } from './hash.js';

/** Parse options that can cross a thread boundary (custom charset tables cannot). */
export type RepairParseOptions = Omit<ParseOptions, 'charsets'>;

/** Files `<dir>/<uids[i]>.`; `parse[i]` = 1 to parse as well (absent: hash only). */
export interface RepairFilesTask {
  dir: string;
  uids: Uint32Array;
  parse?: Uint8Array;
  /** Hash (and stat) the files; false when only the parse is wanted (facts already known). */
  hash: boolean;
  options?: RepairParseOptions;
}

export interface RepairParsed {
  record: ExpectedRecordFields;
  /** The encoded cache record (its items are decoded from it in the main thread). */
  cacheRecord: Uint8Array;
  warnings: string[];
}

export interface RepairFilesResult {
  sizes: Float64Array;
  /** Seconds (st_mtime), as state.ts keeps it. */
  mtimes: Float64Array;
  /** 40 hex characters per file, concatenated (40 spaces where there is no digest). */
  sha1: string;
  /** [index, errno code] for files that could not be read (ENOENT: gone meanwhile). */
  errors?: Array<[number, string]>;
  /** Per file asked: the parse, or the reason there is none. */
  parsed?: Array<RepairParsed | { error: string } | undefined>;
}

const NO_DIGEST = ' '.repeat(40);

function codeOf(e: unknown, parseError?: (e: unknown) => string | undefined): string {
  const known = parseError?.(e);
  if (known) return known;
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' ? code : String((e as Error)?.message ?? e);
}

type Parse = (path: string, options?: RepairParseOptions) => RepairParsed | { error: string };
let parser: Parse | undefined;

/** Loads the message parser on the first parse: hash-only threads start without it. */
export async function loadParser(): Promise<Parse> {
  if (parser) return parser;
  const [{ expectedCacheRecord }, { MessageParseError }, { UnsupportedCacheVersionError }] = await Promise.all([
    import('../src/message/record.js'),
    import('../src/message/parse.js'),
    import('../src/message/options.js'),
  ]);
  const parseError = (e: unknown) => (e instanceof MessageParseError ? e.code : e instanceof UnsupportedCacheVersionError ? 'UNSUPPORTED_CACHE_VERSION' : undefined);
  parser = (path, options = {}) => {
    try {
      const r = expectedCacheRecord(path, options);
      return { record: r.record, cacheRecord: new Uint8Array(r.cacheRecord), warnings: r.warnings };
    } catch (e) {
      return { error: codeOf(e, parseError) };
    }
  };
  return parser;
}

export default function repairFiles(task: RepairFilesTask): RepairFilesResult | Promise<RepairFilesResult> {
  if (task.parse && !parser) return loadParser().then(() => run(task));
  return run(task);
}

function run(task: RepairFilesTask): RepairFilesResult {
  const n = task.uids.length;
  const sizes = new Float64Array(n);
  const mtimes = new Float64Array(n);
  const digests: string[] = new Array(n).fill(NO_DIGEST);
  let errors: Array<[number, string]> | undefined;
  const parsed: RepairFilesResult['parsed'] = task.parse ? new Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const path = `${task.dir}/${task.uids[i]}.`;
    if (task.hash) {
      let failed: string | undefined;
      try {
        mtimes[i] = Math.floor(statSync(path).mtimeMs / 1000);
        const h = hashFile(path);
        sizes[i] = h.size;
        digests[i] = h.sha1;
        failed = h.error;
      } catch (e) {
        failed = codeOf(e);
      }
      if (failed) {
        (errors ??= []).push([i, failed]);
        continue;
      }
    }
    if (parsed && task.parse![i]) parsed[i] = parser!(path, task.options);
  }
  const out: RepairFilesResult = { sizes, mtimes, sha1: digests.join('') };
  if (errors) out.errors = errors;
  if (parsed) out.parsed = parsed;
  return out;
}
