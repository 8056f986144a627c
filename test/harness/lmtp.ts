// A minimal LMTP client (RFC 2033) over node:net: one message to one or more recipients per call.
// LMTP matters to the harness because it is the only way into Cyrus for a message with LF-only
// line endings (imapd refuses bare LF in APPEND; lmtpd stores such mail with CRLF).
import { connect, type Socket } from 'node:net';

const TIMEOUT_MS = 60_000;

export interface LmtpReply {
  code: number;
  lines: string[];
}

export class LmtpError extends Error {
  constructor(
    readonly step: string,
    readonly reply: LmtpReply,
  ) {
    super(`LMTP ${step} failed: ${reply.code} ${reply.lines.join(' / ')}`);
  }
}

class ReplyReader {
  private buf = '';
  private replies: LmtpReply[] = [];
  private waiting?: (r: LmtpReply) => void;
  private failed?: Error;
  private onFail?: (e: Error) => void;

  constructor(sock: Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => this.feed(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('LMTP connection closed')));
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    this.onFail?.(e);
  }

  private pending: string[] = [];

  /** Collects reply lines; "250-" continues a reply, "250 " ends it. */
  private feed(d: string): void {
    this.buf += d;
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i < 0) return;
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      this.pending.push(line.slice(4));
      if (line[3] === '-') continue;
      const reply = { code: Number(line.slice(0, 3)), lines: this.pending };
      this.pending = [];
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(reply);
      else this.replies.push(reply);
    }
  }

  next(): Promise<LmtpReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('LMTP reply timed out')), TIMEOUT_MS);
      this.onFail = (e) => {
        clearTimeout(timer);
        reject(e);
      };
      this.waiting = (r) => {
        clearTimeout(timer);
        this.onFail = undefined;
        resolve(r);
      };
    });
  }
}

/** Dot-stuffs a message and adds the end-of-data line; LF-only input stays LF-only. */
export function dataPayload(message: Buffer): Buffer {
  const s = message.toString('latin1').replace(/(^|\n)\./g, '$1..');
  const end = s.length === 0 || s.endsWith('\n') ? '.\r\n' : '\r\n.\r\n';
  return Buffer.from(s + end, 'latin1');
}

/**
 * Delivers `message` to `recipients` (e.g. "alice", "alice+Sub" for a folder, which needs the
 * `p` right for anyone) and returns each recipient's final reply. Throws on a failed session step.
 */
export async function lmtpDeliver(
  port: number,
  recipients: string[],
  message: Buffer,
  opts: { from?: string; host?: string } = {},
): Promise<LmtpReply[]> {
  const sock = connect({ port, host: opts.host ?? '127.0.0.1' });
  sock.setNoDelay(true);
  const r = new ReplyReader(sock);
  try {
    const expect = async (step: string, code: number) => {
      const reply = await r.next();
      if (reply.code !== code) throw new LmtpError(step, reply);
      return reply;
    };
    await expect('greeting', 220);
    sock.write('LHLO cyrus-fsck-tests\r\n');
    await expect('LHLO', 250);
    sock.write(`MAIL FROM:<${opts.from ?? ''}>\r\n`);
    await expect('MAIL FROM', 250);
    for (const rcpt of recipients) {
      sock.write(`RCPT TO:<${rcpt}>\r\n`);
      await expect(`RCPT TO ${rcpt}`, 250);
    }
    sock.write('DATA\r\n');
    await expect('DATA', 354);
    sock.write(dataPayload(message));
    const results: LmtpReply[] = [];
    for (let i = 0; i < recipients.length; i++) results.push(await r.next());
    sock.write('QUIT\r\n');
    await r.next().catch(() => undefined);
    return results;
  } finally {
    sock.destroy();
  }
}
