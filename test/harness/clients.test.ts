// The harness's own IMAP and LMTP clients, against a scripted loopback peer that sends its
// replies one byte at a time: literals split anywhere, CRLF split, multi-line replies. Runs
// without Cyrus, so the framing the interop suite relies on is checked everywhere.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ImapClient, imapDate, parseImapDate, sexpString } from './imap.js';
import { dataPayload, lmtpDeliver } from './lmtp.js';

let server: Server | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A peer that answers each received line via `reply`, writing byte by byte. */
async function peer(greeting: string, reply: (line: string, sock: Socket) => string | undefined): Promise<number> {
  server = createServer((sock) => {
    sockets.add(sock);
    let buf = '';
    const send = async (s: string) => {
      for (const ch of Buffer.from(s, 'latin1')) {
        sock.write(Buffer.from([ch]));
        await new Promise((r) => setImmediate(r));
      }
    };
    void send(greeting);
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const out = reply(line, sock);
        if (out !== undefined) void send(out);
      }
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server!.address() as { port: number }).port;
}

describe('harness IMAP client', () => {
  it('reads FETCH responses whose literals arrive split across packets', async () => {
    const body = 'Subject: x\r\n\r\n{5}\r\nnot a literal\r\n';
    const port = await peer('* OK [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n', (line) => {
      const [tag, cmd] = line.split(' ');
      if (cmd === 'UID')
        return (
          `* 1 FETCH (UID 7 FLAGS (\\Seen $Work) MODSEQ (12) RFC822.SIZE ${body.length} INTERNALDATE " 2-Jan-2023 09:58:00 +0100" BODY[] {${body.length}}\r\n${body})\r\n` +
          `${tag} OK done\r\n`
        );
      return `${tag} OK fine\r\n`;
    });
    const c = await ImapClient.connect(port);
    expect(c.capabilities).toContain('LITERAL+');
    const [m] = await c.uidFetch('7', 'UID FLAGS BODY.PEEK[]');
    expect(m!.attrs.get('UID')).toBe('7');
    expect(m!.attrs.get('FLAGS')).toEqual(['\\Seen', '$Work']);
    expect((m!.attrs.get('BODY[]') as Buffer).toString('latin1')).toBe(body);
    expect(parseImapDate(sexpString(m!.attrs.get('INTERNALDATE')!))).toBe(Date.UTC(2023, 0, 2, 8, 58) / 1000);
    c.close();
  });

  it('waits for the continuation before sending an APPEND literal, and reads APPENDUID', async () => {
    const seen: string[] = [];
    let pending = 0;
    let tag = '';
    const port = await peer('* OK hi\r\n', (line) => {
      seen.push(line);
      if (pending > 0) {
        pending -= line.length + 2; // the literal's lines, then the command's final CRLF
        return pending <= 0 ? `${tag} OK [APPENDUID 99 42] done\r\n` : undefined;
      }
      const m = /\{(\d+)\}$/.exec(line);
      if (!m) return undefined;
      tag = line.split(' ')[0]!;
      pending = Number(m[1]);
      return '+ go\r\n';
    });
    const c = await ImapClient.connect(port);
    const uid = await c.append('INBOX', Buffer.from('a: b\r\n\r\nbody'), { flags: ['\\Seen'], internalDate: new Date(Date.UTC(2023, 4, 6, 7, 8, 9)) });
    expect(uid).toBe(42);
    expect(seen[0]).toBe('T1 APPEND INBOX (\\Seen) "06-May-2023 07:08:09 +0000" {12}');
    expect(seen.slice(1).join('\r\n')).toBe('a: b\r\n\r\nbody');
    c.close();
  });

  it('formats and parses IMAP dates in UTC', () => {
    const d = new Date(Date.UTC(2024, 1, 29, 23, 59, 1));
    expect(imapDate(d)).toBe('29-Feb-2024 23:59:01 +0000');
    expect(parseImapDate(imapDate(d))).toBe(d.getTime() / 1000);
  });
});

describe('harness LMTP client', () => {
  it('dot-stuffs, keeps LF-only bodies LF-only, and reads multi-line replies', async () => {
    expect(dataPayload(Buffer.from('.a\n..b\nc\n')).toString()).toBe('..a\n...b\nc\n.\r\n');
    expect(dataPayload(Buffer.from('x\r\n.y')).toString()).toBe('x\r\n..y\r\n.\r\n');
    let inData = false;
    const port = await peer('220 lmtp ready\r\n', (line) => {
      if (inData) {
        // LF-only data arrives as one "line" up to the CRLF of the final dot.
        if (line === '.' || line.endsWith('\n.')) {
          inData = false;
          return '250 2.1.5 ok a\r\n452 4.2.2 over quota b\r\n';
        }
        return undefined;
      }
      if (line.startsWith('LHLO')) return '250-lmtp\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n';
      if (line === 'DATA') {
        inData = true;
        return '354 go\r\n';
      }
      if (line === 'QUIT') return '221 bye\r\n';
      return '250 ok\r\n';
    });
    const replies = await lmtpDeliver(port, ['a', 'b'], Buffer.from('Subject: x\n\nhi\n'));
    expect(replies.map((r) => r.code)).toEqual([250, 452]);
  });
});
