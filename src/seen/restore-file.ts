// The restore file `seen-cleanup --apply` writes before it removes anything: one per seen
// database, in cyr_dbtool's batch format (imap/cyr_dbtool.c batch_commands), so that
//
//     cyr_dbtool <seen db> twoskip batch < FILE        (Cyrus's own tool)
//     cyrus-fsck seen-cleanup --restore FILE           (ours: also checks for conflicts)
//
// both put the removed entries back. Layout:
//
//     GET <header>        a read of a key no seen db has (uniqueids hold no spaces): harmless for
//                         cyr_dbtool, and it names the database, user and time for us
//     BEGIN
//     SET <key> <value>   one per removed entry, exactly the bytes removed
//     COMMIT
//
// Arguments are IMAP astrings as Cyrus's getbastring reads them: an atom, a "quoted" string
// (backslash escapes the next byte; no CR, LF, NUL; at most maxquoted = 128 KiB) or a literal
// `{n+}` CRLF bytes. It must be the non-synchronizing `{n+}` form: for a plain `{n}` cyr_dbtool
// 3.6.1 tries to print a continuation to a null stream and dies with SIGSEGV (seen in the tests).
// With `literalminus: yes` Cyrus refuses `{n+}` over 4096 bytes, so quoted is used up to 64 KiB.
import { FormatError } from '../errors.js';
import type { DbRecord } from '../db/types.js';

export interface RestoreHeader {
  /** The seen database the entries were removed from. */
  db: string;
  user: string | null;
  backend: string;
  /** ISO time of the removal. */
  time: string;
}

const MAGIC = 'cyrus-fsck seen-cleanup restore 1';

/** Bytes an atom may hold (Cyrus stops an atom at whitespace, parens and '"'; we are stricter). */
const ATOM = /^[A-Za-z0-9!#$%&'*+,\-./:;<=>?@[\]^_`|~]+$/;
const MAX_QUOTED = 65536;

/** One astring as cyr_dbtool's batch reader takes it back byte for byte. */
export function encodeAstring(b: Buffer): Buffer {
  const s = b.toString('latin1');
  if (b.length && b[0] !== 0x7b && ATOM.test(s)) return Buffer.from(s, 'latin1');
  if (b.length <= MAX_QUOTED && !b.includes(0x0d) && !b.includes(0x0a) && !b.includes(0)) {
    return Buffer.from(`"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`, 'latin1');
  }
  return Buffer.concat([Buffer.from(`{${b.length}+}\r\n`), b]);
}

export function encodeRestoreFile(header: RestoreHeader, records: readonly DbRecord[]): Buffer {
  const head = Buffer.from(`${MAGIC} ${JSON.stringify(header)}`, 'utf8');
  const parts: Buffer[] = [Buffer.from('GET '), encodeAstring(head), Buffer.from('\nBEGIN\n')];
  for (const r of records) parts.push(Buffer.from('SET '), encodeAstring(r.key), Buffer.from(' '), encodeAstring(r.value), Buffer.from('\n'));
  parts.push(Buffer.from('COMMIT\n'));
  return Buffer.concat(parts);
}

/** Reads one astring at `at`: [bytes, offset after it]. */
function readAstring(buf: Buffer, at: number): [Buffer, number] {
  const c = buf[at];
  if (c === undefined) throw new FormatError('TRUNCATED', 'argument expected', at);
  if (c === 0x22) {
    const out: number[] = [];
    let i = at + 1;
    for (;;) {
      let b = buf[i];
      if (b === undefined || b === 0x0d || b === 0x0a) throw new FormatError('BAD_SYNTAX', 'unterminated quoted string', i);
      if (b === 0x5c) {
        b = buf[++i];
        if (b === undefined) throw new FormatError('TRUNCATED', 'quoted string ends after a backslash', i);
      } else if (b === 0x22) return [Buffer.from(out), i + 1];
      out.push(b);
      i++;
    }
  }
  if (c === 0x7b) {
    const m = /^\{(\d+)\+?\}\r\n/.exec(buf.subarray(at, at + 24).toString('latin1'));
    if (!m) throw new FormatError('BAD_SYNTAX', 'bad literal prefix', at);
    const start = at + m[0].length;
    const len = Number(m[1]);
    if (start + len > buf.length) throw new FormatError('TRUNCATED', `literal of ${len} bytes runs past the end`, at);
    return [Buffer.from(buf.subarray(start, start + len)), start + len];
  }
  let i = at;
  while (i < buf.length && ![0x20, 0x09, 0x0d, 0x0a, 0x28, 0x29, 0x22].includes(buf[i]!)) i++;
  if (i === at) throw new FormatError('BAD_SYNTAX', 'empty atom', at);
  return [Buffer.from(buf.subarray(at, i)), i];
}

export interface RestoreFile {
  header: RestoreHeader;
  records: DbRecord[];
}

/** Parses a restore file we wrote (the subset of the batch language above). */
export function decodeRestoreFile(buf: Buffer, file?: string): RestoreFile {
  let at = 0;
  let header: RestoreHeader | null = null;
  const records: DbRecord[] = [];
  let state: 'head' | 'begin' | 'body' | 'done' = 'head';
  const fail = (code: 'BAD_SYNTAX' | 'TRUNCATED', msg: string, off: number) => new FormatError(code, msg, off, file);
  while (at < buf.length) {
    const lineStart = at;
    if (buf[at] === 0x0a) {
      at++;
      continue;
    }
    let end = at;
    while (end < buf.length && /[A-Za-z]/.test(String.fromCharCode(buf[end]!))) end++;
    const cmd = buf.subarray(at, end).toString('latin1');
    at = end;
    const args: Buffer[] = [];
    while (buf[at] === 0x20) {
      const [a, next] = readAstring(buf, at + 1);
      args.push(a);
      at = next;
    }
    if (buf[at] === 0x0d) at++;
    // cyr_dbtool drops a last command that is not ended by LF (getword meets EOF): so do we
    if (at >= buf.length) throw fail('TRUNCATED', `${cmd || 'last line'} is not ended by LF`, at);
    if (buf[at] !== 0x0a) throw fail('BAD_SYNTAX', `junk after ${cmd || 'a line start'}`, at);
    at++;
    if (state === 'head' && cmd === 'GET' && args.length === 1) {
      const s = args[0]!.toString('utf8');
      if (!s.startsWith(`${MAGIC} `)) throw fail('BAD_SYNTAX', 'not a cyrus-fsck seen-cleanup restore file', lineStart);
      try {
        header = JSON.parse(s.slice(MAGIC.length + 1)) as RestoreHeader;
      } catch {
        throw fail('BAD_SYNTAX', 'restore header is not JSON', lineStart);
      }
      if (typeof header.db !== 'string') throw fail('BAD_SYNTAX', 'restore header names no database', lineStart);
      state = 'begin';
    } else if (state === 'begin' && cmd === 'BEGIN' && !args.length) state = 'body';
    else if (state === 'body' && cmd === 'SET' && args.length === 2) records.push({ key: args[0]!, value: args[1]! });
    else if (state === 'body' && cmd === 'COMMIT' && !args.length) state = 'done';
    else throw fail('BAD_SYNTAX', `unexpected ${cmd || 'empty command'} with ${args.length} argument(s)`, lineStart);
  }
  if (state !== 'done' || !header) throw fail('TRUNCATED', 'restore file ends before COMMIT', buf.length);
  return { header, records };
}
