// Deterministic message generators for populating live instances: every message is a function
// of (kind, index, rng), so a seed reproduces the same bytes. CRLF line endings unless asked
// (imapd refuses bare LF; LF-only mail goes in over LMTP).
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { mulberry32 } from '../../bench/prng.js';

/** mulberry32: a small seeded PRNG; good enough to vary test data reproducibly. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** A random subset, in the input's order. */
  subset<T>(xs: readonly T[], p: number): T[] {
    return xs.filter(() => this.chance(p));
  }
}

export const MESSAGE_KINDS = [
  'plain',
  'alternative',
  'attachment',
  'nested',
  'eightbit-headers',
  'encoded-words',
  'empty-body',
  'huge-header',
  'quoted-printable',
  'deep-multipart',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua'.split(' ');

function sentence(rng: Rng, words: number): string {
  return Array.from({ length: words }, () => rng.pick(WORDS)).join(' ');
}

function paragraph(rng: Rng, lines: number): string {
  return Array.from({ length: lines }, () => sentence(rng, 6 + rng.int(8))).join('\r\n');
}

/** RFC 5322 date for day `i` after 2023-01-01 plus a seeded time of day. */
function rfcDate(rng: Rng, i: number): { header: string; date: Date } {
  const date = new Date(Date.UTC(2023, 0, 1 + i, rng.int(24), rng.int(60), rng.int(60)));
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number) => String(n).padStart(2, '0');
  const header =
    `${days[date.getUTCDay()]}, ${p2(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${p2(date.getUTCHours())}:${p2(date.getUTCMinutes())}:${p2(date.getUTCSeconds())} +0000`;
  return { header, date };
}

function base64Lines(b: Buffer): string {
  return (b.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

function commonHeaders(rng: Rng, kind: string, i: number, subject: string, to: string): string {
  const { header } = rfcDate(rng, i);
  return (
    `Date: ${header}\r\nFrom: Sender ${i} <sender${i}@example.com>\r\nTo: <${to}>\r\n` +
    `Subject: ${subject}\r\nMessage-ID: <lab-${kind}-${i}@example.com>\r\nMIME-Version: 1.0\r\n`
  );
}

export interface GeneratedMessage {
  kind: MessageKind;
  bytes: Buffer;
  /** A plausible arrival time (the INTERNALDATE to APPEND with). */
  internalDate: Date;
}

/** Message number `i` of the given kind, for recipient `to`. */
export function generateMessage(kind: MessageKind, i: number, rng: Rng, to = 'user@example.com'): GeneratedMessage {
  const internalDate = new Date(rfcDate(new Rng(i * 7919 + 1), i).date.getTime() + 3600_000 + rng.int(3600) * 1000);
  const h = (subject: string) => commonHeaders(rng, kind, i, subject, to);
  let text: string;
  switch (kind) {
    case 'plain':
      text = `${h(`plain message ${i}`)}Content-Type: text/plain; charset=us-ascii\r\n\r\n${paragraph(rng, 5 + rng.int(30))}\r\n`;
      break;
    case 'alternative': {
      const b = `alt-${i}-${rng.int(1e6)}`;
      text =
        `${h(`alternative ${i}`)}Content-Type: multipart/alternative; boundary="${b}"\r\n\r\n` +
        `preamble\r\n--${b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${paragraph(rng, 4)}\r\n` +
        `--${b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>${sentence(rng, 12)}</p></body></html>\r\n` +
        `--${b}--\r\nepilogue\r\n`;
      break;
    }
    case 'attachment': {
      const b = `mixed-${i}-${rng.int(1e6)}`;
      const data = rng.bytes(2000 + rng.int(30000));
      text =
        `${h(`with attachment ${i}`)}Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n` +
        `--${b}\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n` +
        `--${b}\r\nContent-Type: application/octet-stream; name="data${i}.bin"\r\n` +
        `Content-Disposition: attachment; filename="data${i}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
        `${base64Lines(data)}\r\n--${b}--\r\n`;
      break;
    }
    case 'nested': {
      const inner = generateMessage('plain', i + 1000, rng, to).bytes.toString('latin1');
      const b = `nested-${i}`;
      text =
        `${h(`forwarded message ${i}`)}Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n` +
        `--${b}\r\nContent-Type: text/plain\r\n\r\nForwarded below.\r\n` +
        `--${b}\r\nContent-Type: message/rfc822\r\n\r\n${inner}\r\n--${b}--\r\n`;
      break;
    }
    case 'eightbit-headers': {
      // Raw UTF-8 in Subject, raw Latin-1 in the From name: both occur in real spools.
      const utf8 = Buffer.from(`Grüße aus Köln — ${i} ✓`, 'utf8').toString('latin1');
      const latin1 = Buffer.from('Jos\xe9 M\xfcller', 'latin1').toString('latin1');
      text =
        `Date: ${rfcDate(rng, i).header}\r\nFrom: ${latin1} <jose${i}@example.com>\r\nTo: <${to}>\r\n` +
        `Subject: ${utf8}\r\nMessage-ID: <lab-8bit-${i}@example.com>\r\nMIME-Version: 1.0\r\n` +
        `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n` +
        `${Buffer.from(`Ünïcödé body ${sentence(rng, 8)}`, 'utf8').toString('latin1')}\r\n`;
      break;
    }
    case 'encoded-words':
      text =
        `Date: ${rfcDate(rng, i).header}\r\nFrom: =?ISO-8859-1?Q?Andr=E9_Pirard?= <andre${i}@example.com>\r\n` +
        `To: =?UTF-8?B?${Buffer.from('Zoë Ångström', 'utf8').toString('base64')}?= <${to}>\r\n` +
        `Subject: =?UTF-8?B?${Buffer.from(`Ça va? ${i} 日本語`, 'utf8').toString('base64')}?=\r\n` +
        ` =?ISO-8859-1?Q?_suite_=E0_la_ligne?=\r\n` +
        `Message-ID: <lab-ew-${i}@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n` +
        `${paragraph(rng, 3)}\r\n`;
      break;
    case 'empty-body':
      // Headers only: no separator line, no body.
      text = `${h(`empty ${i}`)}Content-Type: text/plain\r\n`;
      break;
    case 'huge-header': {
      const received = Array.from(
        { length: 60 + rng.int(60) },
        (_, k) => `Received: from relay${k}.example.net (relay${k}.example.net [192.0.2.${k % 250}])\r\n\tby mx.example.com with ESMTP id ${rng.int(1e9)}; ${rfcDate(rng, i).header}\r\n`,
      ).join('');
      const refs = Array.from({ length: 300 }, (_, k) => `<ref-${i}-${k}@example.com>`).join('\r\n ');
      text = `${received}${h(`huge header ${i}`)}References: ${refs}\r\nContent-Type: text/plain\r\n\r\n${sentence(rng, 10)}\r\n`;
      break;
    }
    case 'quoted-printable':
      text =
        `${h(`quoted-printable ${i}`)}Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n` +
        `Caf=E9 cr=E8me br=FBl=E9e, na=EFve fa=E7ade =\r\n${sentence(rng, 20)}=3D\r\n`;
      break;
    case 'deep-multipart': {
      const outer = `outer-${i}`;
      const inner = `inner-${i}`;
      text =
        `${h(`deep multipart ${i}`)}Content-Type: multipart/mixed; boundary="${outer}"\r\n\r\n` +
        `--${outer}\r\nContent-Type: multipart/alternative; boundary="${inner}"\r\n\r\n` +
        `--${inner}\r\nContent-Type: text/plain\r\n\r\n${sentence(rng, 9)}\r\n` +
        `--${inner}\r\nContent-Type: text/html\r\n\r\n<p>${sentence(rng, 9)}</p>\r\n--${inner}--\r\n` +
        `--${outer}\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(rng.bytes(600))}\r\n` +
        `--${outer}\r\nContent-Type: message/rfc822\r\n\r\n${generateMessage('encoded-words', i + 2000, rng, to).bytes.toString('latin1')}\r\n` +
        `--${outer}--\r\n`;
      break;
    }
  }
  return { kind, bytes: Buffer.from(text, 'latin1'), internalDate };
}

/** The same message with LF-only line endings (for LMTP delivery). */
export function lfOnly(msg: Buffer): Buffer {
  return Buffer.from(msg.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
}

export const CASSANDANE_MIME_DIR = resolve(import.meta.dirname, '..', 'fixtures', 'cassandane-mime');

/** The sample messages from Cyrus's own test suite, by file name (sorted), CRLF-normalised. */
export function cassandaneMessages(): { name: string; bytes: Buffer }[] {
  return readdirSync(CASSANDANE_MIME_DIR)
    .sort()
    .map((name) => ({
      name,
      bytes: Buffer.from(readFileSync(resolve(CASSANDANE_MIME_DIR, name)).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1'),
    }));
}
