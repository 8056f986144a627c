// Piscina worker: hashes a batch of message files. The worker opens and reads each file itself
// into one reused buffer (streaming big files through it), so file contents never cross threads
// and memory per worker stays at one buffer whatever the file sizes. Read-only: O_RDONLY, no
// locks, nothing written; an unreadable file is an answer ({error}), never a thrown task.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { createHash, hash as oneShot } from 'node:crypto';

/** One batch: the files to hash, in order. */
export interface HashTask {
  paths: string[];
}

/** What the worker learnt about one file: bytes read, SHA-1 (hex) of them, or why it failed. */
export interface HashResult {
  size: number;
  sha1: string;
  /** errno code (ENOENT, EACCES, EIO…) when the file could not be read to the end; NOT_A_FILE
   *  for a folder, FIFO or device in a message file's place. */
  error?: string;
}

const CHUNK = 1 << 20;
let buffer: Buffer | undefined;

export function hashFile(path: string): HashResult {
  buffer ??= Buffer.allocUnsafe(CHUNK);
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO or device named like a message must not hang the scan in open().
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { size: 0, sha1: '', error: errnoOf(e) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { size: 0, sha1: '', error: 'NOT_A_FILE' };
    // Most messages fit one buffer: hash them in one call, without a Hash object per file.
    if (st.size <= CHUNK) {
      const n = readFull(fd, buffer, st.size);
      return { size: n, sha1: oneShot('sha1', buffer.subarray(0, n), 'hex') };
    }
    const hash = createHash('sha1');
    let size = 0;
    // Message files are immutable: read what stat says is there, then stop — without the extra
    // read() that would only report end of file (one syscall per message saved). A file that
    // shrank meanwhile ends the loop early and shows as a size mismatch.
    while (size < st.size) {
      const n = readSync(fd, buffer, 0, Math.min(CHUNK, st.size - size), null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      size += n;
    }
    return { size, sha1: hash.digest('hex') };
  } catch (e) {
    return { size: 0, sha1: '', error: errnoOf(e) };
  } finally {
    closeSync(fd);
  }
}

/** Reads up to `want` bytes from the start of fd (fewer if the file shrank). */
function readFull(fd: number, buf: Buffer, want: number): number {
  let got = 0;
  while (got < want) {
    const n = readSync(fd, buf, got, want - got, null);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function errnoOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' ? code : String((e as Error)?.message ?? e);
}

export default function hashBatch(task: HashTask): HashResult[] {
  return task.paths.map(hashFile);
}
