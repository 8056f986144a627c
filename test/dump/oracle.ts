// Shared by the dump oracle tests: reading recorded sync sessions and running the CLI in-process.
import { main } from '../../src/cli/main.js';
import { DlistStreamParser, asList, getChild, printLine, toAtom, type DFile, type DlistNode } from '../../src/dlist/index.js';
import { clientBytes, type Capture } from '../harness/sync-relay.js';

export type Line = DlistNode[];

/** Parses one direction of a session in 97-byte chunks (tokens and literals straddle chunks). */
export function parseLines(bytes: Buffer): Line[] {
  const p = new DlistStreamParser();
  const out: Line[] = [];
  for (let i = 0; i < bytes.length; i += 97) out.push(...p.feed(bytes.subarray(i, i + 97)));
  out.push(...p.end());
  return out;
}

/** Cyrus prints the command words raw and the rest as dlists. */
export const print = (l: Line) => printLine([toAtom(l[0])!, ...l.slice(1)]);
export const isApply = (l: Line, what: string) => toAtom(l[0]) === 'APPLY' && toAtom(l[1]) === what;
export const nameOf = (l: Line) => toAtom(getChild(l[2], 'MBOXNAME'));
export const filesOf = (l: Line) => asList(l[2])!.items as DFile[];

/** Runs the CLI in this process; stderr captured (stdout is left alone: use -o). */
export async function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const w = process.stderr.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(['node', 'cyrus-fsck', ...args]), stderr: err.join('') };
  } finally {
    process.stderr.write = w;
  }
}

/** What sync_client sent for one mailbox: its APPLY MAILBOX line and the APPLY MESSAGE lines before it. */
export interface Sent {
  mailbox: Line;
  messages: Line[];
  /** GUIDs uploaded earlier in the same session. */
  uploadedBefore: Set<string>;
}

/** Per mailbox name, what the recorded sessions carried for it. */
export function sentByMailbox(captures: Capture[]): Map<string, Sent> {
  const sent = new Map<string, Sent>();
  for (const cap of captures) {
    const uploaded = new Set<string>();
    let pending: Line[] = [];
    for (const l of parseLines(clientBytes(cap))) {
      if (isApply(l, 'MESSAGE')) pending.push(l);
      if (!isApply(l, 'MAILBOX')) continue;
      sent.set(nameOf(l)!, { mailbox: l, messages: pending, uploadedBefore: new Set(uploaded) });
      for (const m of pending) for (const f of filesOf(m)) uploaded.add(f.guid);
      pending = [];
    }
  }
  return sent;
}

/**
 * Replays dump output to a Cyrus sync_server as one session (AUTHENTICATE PLAIN as `user`,
 * the lines as they are, EXIT) and returns the server's completion line for each command.
 */
export async function replayToSyncServer(port: number, user: string, password: string, dump: Buffer): Promise<string[]> {
  const { connect } = await import('node:net');
  const commands = parseLines(dump).length;
  const sock = connect(port, '127.0.0.1');
  let buf = '';
  const waiters: Array<() => void> = [];
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    waiters.splice(0).forEach((w) => w());
  });
  const line = async (): Promise<string> => {
    for (;;) {
      const nl = buf.indexOf('\r\n');
      if (nl >= 0) {
        const l = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        return l;
      }
      await new Promise<void>((resolve, reject) => {
        waiters.push(resolve);
        sock.once('error', reject);
        sock.once('close', () => reject(new Error(`sync_server closed the connection; pending: ${buf}`)));
      });
    }
  };
  try {
    while (!(await line()).startsWith('* OK')); // banner (COMPRESS is offered, never taken)
    sock.write(`AUTHENTICATE PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}\r\n`);
    const auth = await line();
    if (!auth.startsWith('OK')) throw new Error(`AUTHENTICATE: ${auth}`);
    sock.write(dump);
    const done: string[] = [];
    while (done.length < commands) {
      const l = await line();
      if (!l.startsWith('* ')) done.push(l);
    }
    sock.write('EXIT\r\n');
    await line();
    return done;
  } finally {
    sock.destroy();
  }
}
