// A small IMAP4rev1 client over node:net for driving real Cyrus in tests. One command at a time
// (no pipelining); responses are read whole, literals included, and parsed into S-expressions.
// Only what the harness needs: LOGIN, AUTHENTICATE PLAIN (SASL-IR, with authzid so the admin can
// act as a mailbox owner), mailbox commands, APPEND with synchronizing literals, STORE, FETCH,
// ACL and annotation commands.
import { connect, type Socket } from 'node:net';

/** A parsed IMAP value: atom or quoted string (string), literal (Buffer), NIL (null), list. */
export type Sexp = string | Buffer | null | Sexp[];

export interface Untagged {
  /** Upper-cased response name: OK, NO, BAD, BYE, CAPABILITY, FLAGS, LIST, EXISTS, FETCH, ... */
  kind: string;
  /** The number before EXISTS/EXPUNGE/FETCH/RECENT. */
  num?: number;
  /** The rest of the response, parsed (for data responses). */
  data: Sexp[];
  /** For OK/NO/BAD/BYE: the response code in brackets, split on spaces, e.g. ['UIDVALIDITY','5']. */
  code?: string[];
  text?: string;
}

export interface Tagged {
  status: 'OK' | 'NO' | 'BAD';
  code?: string[];
  text: string;
  untagged: Untagged[];
}

export class ImapError extends Error {
  constructor(
    readonly command: string,
    readonly response: Tagged,
  ) {
    super(`IMAP ${command.split(' ')[0]} failed: ${response.status} ${response.text}`);
  }
}

/** A literal argument: sent as {n}CRLF after the server's continuation. */
export class Literal {
  constructor(readonly bytes: Buffer) {}
}
export type Arg = string | Literal;

export interface MailboxStatus {
  exists: number;
  uidvalidity: number;
  uidnext: number;
  highestmodseq: bigint;
  flags: string[];
  permanentflags: string[];
  readOnly: boolean;
}

export interface FetchedMessage {
  seq: number;
  /** Attribute name (upper-cased, e.g. UID, FLAGS, MODSEQ, BODY[]) → value. */
  attrs: Map<string, Sexp>;
}

const COMMAND_TIMEOUT_MS = 60_000;

/** IMAP quoting for an astring argument: quoted unless it is a plain atom. */
export function quote(s: string): string {
  if (/^[A-Za-z0-9_.\-+/$&!#%]+$/.test(s) && s.toUpperCase() !== 'NIL') return s;
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** An astring that may contain 8-bit or CR/LF bytes: a literal when quoting cannot carry it. */
export function astring(s: string): Arg {
  return /[\r\n\x80-\uffff]/.test(s) ? new Literal(Buffer.from(s, 'utf8')) : quote(s);
}

/** A string (never an atom: values of METADATA/ANNOTATION must be strings), quoted or literal. */
export function qstring(s: string): Arg {
  return /[\r\n\x80-\uffff]/.test(s) ? new Literal(Buffer.from(s, 'utf8')) : `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export class ImapClient {
  private buf: Buffer = Buffer.alloc(0);
  private scan = 0;
  private tagSeq = 0;
  private untagged: Untagged[] = [];
  private waiter?: { tag: string; resolve: (t: Tagged) => void; reject: (e: Error) => void };
  private continuation?: () => void;
  private closed?: Error;
  private queue: Promise<unknown> = Promise.resolve();
  greeting?: Untagged;
  capabilities: string[] = [];

  private constructor(private readonly sock: Socket) {
    // A literal is sent as separate writes after the "+"; Nagle plus delayed ACKs would stall
    // each APPEND by ~40 ms.
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('IMAP connection closed')));
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<ImapClient> {
    const sock = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    const client = new ImapClient(sock);
    client.greeting = await new Promise<Untagged>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no IMAP greeting')), COMMAND_TIMEOUT_MS);
      client.onGreeting = (u) => {
        clearTimeout(timer);
        resolve(u);
      };
      client.onFail = reject;
    });
    client.onFail = undefined;
    if (client.greeting.kind !== 'OK' && client.greeting.kind !== 'PREAUTH') {
      sock.destroy();
      throw new Error(`IMAP greeting: ${client.greeting.kind} ${client.greeting.text}`);
    }
    if (client.greeting.code?.[0]?.toUpperCase() === 'CAPABILITY') {
      client.capabilities = client.greeting.code.slice(1);
    }
    return client;
  }

  private onGreeting?: (u: Untagged) => void;
  private onFail?: (e: Error) => void;

  private fail(e: Error): void {
    if (this.closed) return;
    this.closed = e;
    this.onFail?.(e);
    this.waiter?.reject(e);
    this.waiter = undefined;
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const end = completeResponseEnd(this.buf, this.scan);
      if (end.kind === 'partial') {
        this.scan = end.resume;
        return;
      }
      const line = this.buf.subarray(0, end.at);
      this.buf = this.buf.subarray(end.at + 2);
      this.scan = 0;
      this.dispatch(line);
    }
  }

  private dispatch(line: Buffer): void {
    if (line[0] === 0x2b /* + */) {
      const go = this.continuation;
      this.continuation = undefined;
      go?.();
      return;
    }
    const p = new Parser(line);
    const tag = p.atom();
    p.space();
    if (tag === '*') {
      const u = parseUntagged(p);
      if (this.onGreeting) {
        const g = this.onGreeting;
        this.onGreeting = undefined;
        g(u);
        return;
      }
      if (u.kind === 'CAPABILITY') this.capabilities = u.data.map(String);
      this.untagged.push(u);
      return;
    }
    const status = p.atom().toUpperCase();
    const { code, text } = parseRespText(p);
    const w = this.waiter;
    if (!w || w.tag !== tag) return;
    this.waiter = undefined;
    const untagged = this.untagged;
    this.untagged = [];
    w.resolve({ status: status as Tagged['status'], code, text, untagged });
  }

  /** Sends one command (literals wait for the continuation) and returns its tagged response. */
  command(...args: Arg[]): Promise<Tagged> {
    const run = () => this.run(args);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Like command(), but a NO or BAD becomes an ImapError. */
  async ok(...args: Arg[]): Promise<Tagged> {
    const r = await this.command(...args);
    if (r.status !== 'OK') throw new ImapError(args.filter((a) => typeof a === 'string').join(' '), r);
    return r;
  }

  private async run(args: Arg[]): Promise<Tagged> {
    if (this.closed) throw this.closed;
    const tag = `T${++this.tagSeq}`;
    const done = new Promise<Tagged>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`IMAP command timed out: ${describe(args)}`));
        this.sock.destroy();
      }, COMMAND_TIMEOUT_MS);
      this.waiter = {
        tag,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
    // Build the text in pieces; each literal ends a piece and needs a "+" before its bytes.
    let pending = `${tag} `;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      // No space before a closing parenthesis: "(value.shared "x"))" not "(... "x" ))".
      const next = args[i + 1];
      const sep = next === undefined || (typeof next === 'string' && next.startsWith(')')) ? '' : ' ';
      if (typeof a === 'string') {
        pending += a + sep;
        continue;
      }
      const cont = new Promise<void>((resolve) => (this.continuation = resolve));
      this.sock.write(`${pending}{${a.bytes.length}}\r\n`);
      const which = await Promise.race([cont.then(() => 'go' as const), done.then(() => 'done' as const)]);
      if (which === 'done') return done; // server refused the literal (tagged NO/BAD)
      this.sock.write(a.bytes);
      pending = sep;
    }
    this.sock.write(`${pending}\r\n`);
    return done;
  }

  async login(user: string, password: string): Promise<void> {
    await this.ok('LOGIN', quote(user), quote(password));
  }

  /** SASL PLAIN with an initial response; `authzid` lets an admin act as that user. */
  async authenticatePlain(authcid: string, password: string, authzid = ''): Promise<void> {
    const ir = Buffer.from(`${authzid}\0${authcid}\0${password}`, 'utf8').toString('base64');
    await this.ok('AUTHENTICATE', 'PLAIN', ir);
  }

  async select(mailbox: string): Promise<MailboxStatus> {
    return mailboxStatus(await this.ok('SELECT', ...[astring(mailbox)], '(CONDSTORE)'), false);
  }

  async examine(mailbox: string): Promise<MailboxStatus> {
    return mailboxStatus(await this.ok('EXAMINE', ...[astring(mailbox)], '(CONDSTORE)'), true);
  }

  async create(mailbox: string): Promise<void> {
    await this.ok('CREATE', astring(mailbox));
  }
  async delete(mailbox: string): Promise<void> {
    await this.ok('DELETE', astring(mailbox));
  }
  async rename(from: string, to: string): Promise<void> {
    await this.ok('RENAME', astring(from), astring(to));
  }
  async setAcl(mailbox: string, identifier: string, rights: string): Promise<void> {
    await this.ok('SETACL', astring(mailbox), quote(identifier), quote(rights));
  }
  async subscribe(mailbox: string): Promise<void> {
    await this.ok('SUBSCRIBE', astring(mailbox));
  }

  /** LIST "" pattern → mailbox names with their attributes (\Noselect, \HasChildren ...). */
  async list(pattern = '*'): Promise<{ name: string; attributes: string[] }[]> {
    const r = await this.ok('LIST', '""', quote(pattern));
    return r.untagged
      .filter((u) => u.kind === 'LIST')
      .map((u) => ({ name: sexpString(u.data[2] ?? null), attributes: (u.data[0] as Sexp[]).map(String) }));
  }

  /** APPEND; returns the new UID from APPENDUID (UIDPLUS, which Cyrus always has). */
  async append(
    mailbox: string,
    message: Buffer,
    opts: { flags?: string[]; internalDate?: Date } = {},
  ): Promise<number> {
    const args: Arg[] = ['APPEND', astring(mailbox)];
    if (opts.flags?.length) args.push(`(${opts.flags.join(' ')})`);
    if (opts.internalDate) args.push(`"${imapDate(opts.internalDate)}"`);
    args.push(new Literal(message));
    const r = await this.ok(...args);
    if (r.code?.[0]?.toUpperCase() !== 'APPENDUID') throw new Error(`APPEND: no APPENDUID in ${r.text}`);
    return Number(r.code[2]);
  }

  /** UID STORE uids +FLAGS.SILENT (..) etc. `op` is '+', '-' or '' (replace). */
  async uidStore(uids: string, op: '+' | '-' | '', flags: string[]): Promise<void> {
    await this.ok('UID', 'STORE', uids, `${op}FLAGS.SILENT`, `(${flags.join(' ')})`);
  }

  async expunge(): Promise<void> {
    await this.ok('EXPUNGE');
  }
  async uidExpunge(uids: string): Promise<void> {
    await this.ok('UID', 'EXPUNGE', uids);
  }

  /**
   * A per-message annotation (RFC 5257 as Cyrus 3.6 speaks it):
   * UID STORE uid ANNOTATION (entry (value.priv|value.shared "x")). `value` null deletes it.
   */
  async storeAnnotation(
    uids: string,
    entry: string,
    value: string | null,
    scope: 'priv' | 'shared' = 'shared',
  ): Promise<void> {
    const v: Arg = value === null ? 'NIL' : qstring(value);
    await this.ok('UID', 'STORE', uids, 'ANNOTATION', `(${entry} (value.${scope}`, v, '))');
  }

  /** ANNOTATEMORE (draft) SETANNOTATION on a mailbox, as older Cyrus clients send it. */
  async setAnnotation(mailbox: string, entry: string, value: string | null, scope: 'priv' | 'shared' = 'shared'): Promise<void> {
    await this.ok('SETANNOTATION', astring(mailbox), qstring(entry), `("value.${scope}"`, value === null ? 'NIL' : qstring(value), ')');
  }

  /** RFC 5464 GETMETADATA of one entry; null when unset. */
  async getMetadata(mailbox: string, entry: string): Promise<string | null> {
    const r = await this.ok('GETMETADATA', astring(mailbox), qstring(entry));
    const m = r.untagged.find((u) => u.kind === 'METADATA');
    const list = m?.data[1];
    return Array.isArray(list) && list[1] !== undefined && list[1] !== null ? sexpString(list[1]) : null;
  }

  /** RFC 5464 SETMETADATA on a mailbox; `value` null deletes the entry. */
  async setMetadata(mailbox: string, entry: string, value: string | null): Promise<void> {
    await this.ok('SETMETADATA', astring(mailbox), `(${entry}`, value === null ? 'NIL' : qstring(value), ')');
  }

  /** UID SEARCH with raw criteria (e.g. 'HEADER Received "LMTPA"'); returns the UIDs. */
  async uidSearch(criteria: string): Promise<number[]> {
    const r = await this.ok('UID', 'SEARCH', criteria);
    return r.untagged.filter((u) => u.kind === 'SEARCH').flatMap((u) => u.data.map(Number));
  }

  /** UID FETCH set (items); returns one entry per FETCH response, in arrival order. */
  async uidFetch(uids: string, items: string): Promise<FetchedMessage[]> {
    const r = await this.ok('UID', 'FETCH', uids, `(${items})`);
    return r.untagged.filter((u) => u.kind === 'FETCH').map((u) => fetchedMessage(u));
  }

  async logout(): Promise<void> {
    if (!this.closed) await this.command('LOGOUT').catch(() => undefined);
    this.sock.destroy();
  }

  close(): void {
    this.sock.destroy();
  }
}

function describe(args: Arg[]): string {
  return args.map((a) => (typeof a === 'string' ? a : `{${a.bytes.length}}`)).join(' ');
}

/**
 * Finds where the next complete response ends (the index of its final CRLF), skipping over
 * literals announced by a line ending in {n}. `from` resumes an earlier partial scan.
 */
function completeResponseEnd(
  buf: Buffer,
  from: number,
): { kind: 'complete'; at: number } | { kind: 'partial'; resume: number } {
  let pos = from;
  for (;;) {
    const crlf = buf.indexOf('\r\n', pos);
    if (crlf < 0) return { kind: 'partial', resume: pos };
    const m = /\{(\d+)\+?\}$/.exec(buf.toString('latin1', Math.max(pos, crlf - 24), crlf));
    if (!m) return { kind: 'complete', at: crlf };
    const litEnd = crlf + 2 + Number(m[1]);
    if (buf.length < litEnd) return { kind: 'partial', resume: pos };
    pos = litEnd;
  }
}

function parseUntagged(p: Parser): Untagged {
  const first = p.atom();
  if (/^\d+$/.test(first)) {
    p.space();
    const kind = p.atom().toUpperCase();
    const data = p.atEnd() ? [] : (p.space(), p.rest());
    return { kind, num: Number(first), data };
  }
  const kind = first.toUpperCase();
  if (['OK', 'NO', 'BAD', 'BYE', 'PREAUTH'].includes(kind)) {
    const { code, text } = parseRespText(p);
    return { kind, data: [], code, text };
  }
  const data = p.atEnd() ? [] : (p.space(), p.rest());
  return { kind, data };
}

function parseRespText(p: Parser): { code?: string[]; text: string } {
  if (p.peek() === 0x20) p.space();
  const text = p.remainingText();
  const m = /^\[([^\]]*)\]\s?(.*)$/s.exec(text);
  if (!m) return { text };
  return { code: m[1]!.split(' '), text: m[2]! };
}

function mailboxStatus(r: Tagged, readOnly: boolean): MailboxStatus {
  const st: MailboxStatus = {
    exists: 0,
    uidvalidity: 0,
    uidnext: 0,
    highestmodseq: 0n,
    flags: [],
    permanentflags: [],
    readOnly,
  };
  for (const u of r.untagged) {
    if (u.kind === 'EXISTS') st.exists = u.num!;
    if (u.kind === 'FLAGS') st.flags = (u.data[0] as Sexp[]).map(String);
    const c = u.code;
    if (!c) continue;
    const name = c[0]!.toUpperCase();
    if (name === 'UIDVALIDITY') st.uidvalidity = Number(c[1]);
    if (name === 'UIDNEXT') st.uidnext = Number(c[1]);
    if (name === 'HIGHESTMODSEQ') st.highestmodseq = BigInt(c[1]!);
    if (name === 'PERMANENTFLAGS') st.permanentflags = c.slice(1).join(' ').replace(/[()]/g, '').split(' ').filter(Boolean);
  }
  return st;
}

function fetchedMessage(u: Untagged): FetchedMessage {
  const list = u.data[0];
  if (!Array.isArray(list)) throw new Error('FETCH response without a list');
  const attrs = new Map<string, Sexp>();
  for (let i = 0; i + 1 < list.length; i += 2) attrs.set(String(list[i]).toUpperCase(), list[i + 1]!);
  return { seq: u.num!, attrs };
}

/** A string from an atom, quoted string or literal. */
export function sexpString(v: Sexp): string {
  if (v === null) return '';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'string') return v;
  throw new Error('expected a string, got a list');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** IMAP date-time ("02-Jan-2023 09:58:00 +0000"), always in UTC. */
export function imapDate(d: Date): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return (
    `${p2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`
  );
}

/** Parses an IMAP date-time into seconds since the epoch. */
export function parseImapDate(s: string): number {
  const m = /^\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(s);
  if (!m) throw new Error(`bad IMAP date-time: ${s}`);
  const month = MONTHS.findIndex((x) => x.toLowerCase() === m[2]!.toLowerCase());
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60 * (m[7] === '-' ? -1 : 1);
  return utc - offset;
}

/** Recursive-descent parser over one response (literal bytes inline). */
class Parser {
  private pos = 0;
  constructor(private readonly b: Buffer) {}

  atEnd(): boolean {
    return this.pos >= this.b.length;
  }
  peek(): number | undefined {
    return this.b[this.pos];
  }
  space(): void {
    if (this.b[this.pos] !== 0x20) throw this.error('expected a space');
    this.pos++;
  }
  remainingText(): string {
    const s = this.b.toString('utf8', this.pos);
    this.pos = this.b.length;
    return s;
  }

  /** Space-separated values until the end of the response. */
  rest(): Sexp[] {
    const out: Sexp[] = [];
    while (!this.atEnd()) {
      out.push(this.value());
      if (this.b[this.pos] === 0x20) this.pos++;
    }
    return out;
  }

  value(): Sexp {
    const c = this.b[this.pos];
    if (c === 0x28 /* ( */) return this.list();
    if (c === 0x22 /* " */) return this.quoted();
    if (c === 0x7b /* { */) return this.literal();
    const a = this.atom();
    return a.toUpperCase() === 'NIL' ? null : a;
  }

  list(): Sexp[] {
    this.pos++; // (
    const out: Sexp[] = [];
    for (;;) {
      const c = this.b[this.pos];
      if (c === undefined) throw this.error('unterminated list');
      if (c === 0x29 /* ) */) {
        this.pos++;
        return out;
      }
      if (c === 0x20) {
        this.pos++;
        continue;
      }
      out.push(this.value());
    }
  }

  quoted(): string {
    this.pos++;
    const bytes: number[] = [];
    for (;;) {
      const c = this.b[this.pos++];
      if (c === undefined) throw this.error('unterminated quoted string');
      if (c === 0x22) break;
      if (c === 0x5c /* \ */) {
        bytes.push(this.b[this.pos++]!);
        continue;
      }
      bytes.push(c);
    }
    return Buffer.from(bytes).toString('utf8');
  }

  literal(): Buffer {
    const close = this.b.indexOf('}', this.pos);
    const n = Number(this.b.toString('latin1', this.pos + 1, close).replace('+', ''));
    const start = close + 3; // }\r\n
    const out = this.b.subarray(start, start + n);
    this.pos = start + n;
    return Buffer.from(out);
  }

  /** An atom; brackets are part of it (BODY[HEADER.FIELDS (A B)]), including their spaces. */
  atom(): string {
    const start = this.pos;
    let depth = 0;
    while (this.pos < this.b.length) {
      const c = this.b[this.pos]!;
      if (c === 0x5b /* [ */) depth++;
      else if (c === 0x5d /* ] */) depth--;
      else if (depth === 0 && (c === 0x20 || c === 0x28 || c === 0x29)) break;
      this.pos++;
    }
    if (this.pos === start) throw this.error('expected an atom');
    return this.b.toString('utf8', start, this.pos);
  }

  private error(what: string): Error {
    return new Error(`IMAP parse error at ${this.pos}: ${what} in ${JSON.stringify(this.b.toString('latin1', 0, 200))}`);
  }
}
