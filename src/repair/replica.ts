// --from-replica: a read-only csync client (spec cyrus-db-seen-dlist.md §10) that asks the
// replica's sync_server for its view of a mailbox (GET FULLMAILBOX: every record with flags by
// name) and for message files (GET FETCH, checked against their GUID before use). It never
// sends APPLY: nothing on the replica changes. No COMPRESS, no STARTTLS (loopback or a trusted
// link, as sync_client itself is usually run).
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { asList, getChild, toAtom, toGuid, toNum32, toNum64 } from '../dlist/access.js';
import { DlistStreamParser } from '../dlist/parse.js';
import { printAstring } from '../dlist/print.js';
import type { DlistNode } from '../dlist/types.js';

export interface ReplicaRecord {
  uid: number;
  modseq: bigint;
  lastUpdated: number;
  /** Flags by name as the replica prints them (`\Seen`, `$Label1`, `\Expunged`…). */
  flags: string[];
  internaldate: number;
  size: number;
  guid: string;
}

export interface ReplicaView {
  source: string;
  uniqueid?: string;
  partition?: string;
  uidvalidity: number;
  lastUid: number;
  highestmodseq: bigint;
  records: ReplicaRecord[];
}

export interface ReplicaEndpoint {
  host: string;
  port: number;
  authname: string;
  password: string;
  timeoutMs: number;
}

export class ReplicaError extends Error {
  override readonly name = 'ReplicaError';
}

const STATUS = new Set(['OK', 'NO', 'BAD', 'BYE']);

/** One csync connection; commands run one at a time. */
export class SyncClient {
  private readonly parser = new DlistStreamParser();
  private lines: DlistNode[][] = [];
  private waiter?: () => void;
  private error?: Error;

  private constructor(
    private readonly sock: Socket,
    readonly endpoint: ReplicaEndpoint,
  ) {
    sock.on('data', (d: Buffer) => {
      try {
        this.lines.push(...this.parser.feed(d));
      } catch (e) {
        this.error = e as Error;
      }
      this.waiter?.();
    });
    sock.on('error', (e) => {
      this.error = e;
      this.waiter?.();
    });
    sock.on('close', () => {
      this.error ??= new ReplicaError('replica closed the connection');
      this.waiter?.();
    });
  }

  static async open(ep: ReplicaEndpoint): Promise<SyncClient> {
    const sock = connect({ host: ep.host, port: ep.port });
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new ReplicaError(`${ep.host}:${ep.port}: no connection within ${ep.timeoutMs} ms`)), ep.timeoutMs);
      sock.once('connect', () => (clearTimeout(t), res()));
      sock.once('error', (e) => (clearTimeout(t), rej(new ReplicaError(`${ep.host}:${ep.port}: ${e.message}`))));
    });
    const c = new SyncClient(sock, ep);
    try {
      await c.until((l) => word(l) === '*' && toAtom(l[1]) === 'OK'); // banner ends with "* OK …"
      const auth = Buffer.from(`\0${ep.authname}\0${ep.password}`).toString('base64');
      const r = await c.run(`AUTHENTICATE PLAIN ${auth}`);
      if (r.status !== 'OK') throw new ReplicaError(`replica refused the login as ${ep.authname}: ${r.text}`);
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  private async next(): Promise<DlistNode[]> {
    const deadline = Date.now() + this.endpoint.timeoutMs;
    while (!this.lines.length) {
      if (this.error) throw this.error instanceof ReplicaError ? this.error : new ReplicaError(this.error.message);
      const left = deadline - Date.now();
      if (left <= 0) throw new ReplicaError(`replica did not answer within ${this.endpoint.timeoutMs} ms`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiter = () => (clearTimeout(t), res());
      });
      this.waiter = undefined;
    }
    return this.lines.shift()!;
  }

  private async until(done: (l: DlistNode[]) => boolean): Promise<DlistNode[][]> {
    const seen: DlistNode[][] = [];
    for (;;) {
      const l = await this.next();
      seen.push(l);
      if (done(l)) return seen;
    }
  }

  /** Sends one command line; returns the `*` data lines and the completion. */
  async run(line: string): Promise<{ data: DlistNode[][]; status: string; text: string }> {
    this.sock.write(`${line}\r\n`);
    const all = await this.until((l) => STATUS.has(word(l) ?? ''));
    const last = all.pop()!;
    return { data: all.filter((l) => word(l) === '*').map((l) => l.slice(1)), status: word(last)!, text: last.slice(1).map((n) => toAtom(n) ?? '').join(' ') };
  }

  /** The replica's mailbox with every record, or undefined when it has no such mailbox. */
  async fullMailbox(name: string): Promise<ReplicaView | undefined> {
    const r = await this.run(`GET FULLMAILBOX ${printAstring(name).toString('latin1')}`);
    if (r.status !== 'OK') {
      if (/NONEXISTENT/.test(r.text)) return undefined;
      throw new ReplicaError(`GET FULLMAILBOX ${name}: ${r.status} ${r.text}`);
    }
    const line = r.data.find((l) => toAtom(l[0]) === 'MAILBOX');
    const kv = line?.[1];
    if (!kv) throw new ReplicaError(`GET FULLMAILBOX ${name}: no MAILBOX in the answer`);
    const records = (asList(getChild(kv, 'RECORD'))?.items ?? []).map((n): ReplicaRecord => ({
      uid: toNum32(getChild(n, 'UID')) ?? 0,
      modseq: toNum64(getChild(n, 'MODSEQ')) ?? 0n,
      lastUpdated: toNum32(getChild(n, 'LAST_UPDATED')) ?? 0,
      flags: (asList(getChild(n, 'FLAGS'))?.items ?? []).map((f) => toAtom(f) ?? '').filter(Boolean),
      internaldate: toNum32(getChild(n, 'INTERNALDATE')) ?? 0,
      size: toNum32(getChild(n, 'SIZE')) ?? 0,
      guid: (toGuid(getChild(n, 'GUID')) ?? '').toLowerCase(),
    }));
    return {
      source: `${this.endpoint.host}:${this.endpoint.port}`,
      uniqueid: toAtom(getChild(kv, 'UNIQUEID')) ?? undefined,
      partition: toAtom(getChild(kv, 'PARTITION')) ?? undefined,
      uidvalidity: toNum32(getChild(kv, 'UIDVALIDITY')) ?? 0,
      lastUid: toNum32(getChild(kv, 'LAST_UID')) ?? 0,
      highestmodseq: toNum64(getChild(kv, 'HIGHESTMODSEQ')) ?? 0n,
      records,
    };
  }

  /** One message file from the replica, verified against its GUID (SHA-1). */
  async fetch(view: ReplicaView, name: string, rec: ReplicaRecord): Promise<Buffer> {
    const q = (s: string) => printAstring(s).toString('latin1');
    const args = [`MBOXNAME ${q(name)}`, `PARTITION ${q(view.partition ?? 'default')}`, view.uniqueid ? `UNIQUEID ${q(view.uniqueid)}` : '', `GUID ${rec.guid}`, `UID ${rec.uid}`];
    const r = await this.run(`GET FETCH %(${args.filter(Boolean).join(' ')})`);
    if (r.status !== 'OK') throw new ReplicaError(`GET FETCH uid ${rec.uid}: ${r.status} ${r.text}`);
    for (const l of r.data) {
      const f = l.find((n) => n.type === 'file') ?? asList(l[1])?.items.find((n) => n.type === 'file');
      if (f?.type === 'file' && f.content.kind === 'memory') {
        const data = f.content.data;
        const sha1 = createHash('sha1').update(data).digest('hex');
        if (sha1 !== rec.guid) throw new ReplicaError(`uid ${rec.uid}: the replica's copy has SHA-1 ${sha1}, not its GUID ${rec.guid}`);
        return data;
      }
    }
    throw new ReplicaError(`GET FETCH uid ${rec.uid}: no message in the answer`);
  }

  close(): void {
    try {
      this.sock.end('EXIT\r\n');
    } catch {
      // already closed
    }
    this.sock.destroy();
  }
}

function word(l: DlistNode[]): string | undefined {
  return toAtom(l[0]) ?? undefined;
}
