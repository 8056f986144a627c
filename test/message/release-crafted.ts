// Hand-made messages for the release rules (src/message/options.ts) and for what differs per Cyrus
// build, on top of crafted.ts's set. releaseCraftedMessages() is what test/message/fixtures/
// crafted-indexed-<release>.tar.gz were made from (make-release-fixtures.sh): uid = index + 1.
import { charsetFuzzMessages, craftedMessages, FUZZ_CHARSETS_EXACT, type Crafted } from './crafted.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const INNER = 'From: a@example.com\r\nSubject: inner\r\n\r\nhello\r\n';

function ruleMessages(): Crafted[] {
  return [
    { label: 'quoted phrase with bare CR', bytes: b('To: "ab\rcd" <x@example.com>\r\nSubject: s\r\n\r\nbody') },
    { label: 'quoted phrase with bare LF', bytes: b('To: "ab\ncd" <x@example.com>, y@example.com\r\nSubject: s\r\n\r\nbody') },
    { label: 'quoted phrase with TAB and ctl', bytes: b('To: "a\tb\x01c" <x@example.com>\r\n\r\nbody') },
    { label: 'BOUNDARY* us-ascii', bytes: b("Content-Type: multipart/mixed; boundary*=us-ascii''X\r\n\r\n--X\r\n\r\nA\r\n--X--\r\n") },
    { label: 'date 1969', bytes: b('Date: Wed, 31 Dec 1969 00:00:00 +0000\r\n\r\nbody') },
    { label: 'date 1969 -1s', bytes: b('Date: Wed, 31 Dec 1969 23:59:59 +0000\r\n\r\nbody') },
    { label: 'date 1901', bytes: b('Date: Mon, 1 Jan 1901 10:00:00 +0100\r\n\r\nbody') },
    { label: 'message/global', bytes: b(`Content-Type: message/global\r\n\r\n${INNER}`) },
    {
      label: 'message/global in multipart',
      bytes: b(`Content-Type: multipart/mixed; boundary=Q\r\n\r\n--Q\r\nContent-Type: message/global\r\n\r\n${INNER}\r\n--Q--\r\n`),
    },
    {
      label: 'base64 message/rfc822',
      bytes: b(`Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(INNER).toString('base64')}\r\n`),
    },
    {
      label: 'qp message/delivery-status',
      bytes: b(
        'Content-Type: multipart/report; boundary=R\r\n\r\n--R\r\nContent-Type: message/delivery-status\r\n' +
          'Content-Transfer-Encoding: quoted-printable\r\n\r\nStatus: 5.0.0=3D\r\n--R--\r\n',
      ),
    },
    { label: 'x-uuencode message/rfc822', bytes: b(`Content-Type: message/rfc822\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n${INNER}`) },
    { label: 'bad type no slash', bytes: b('Content-Type: text\r\n\r\nbody') },
    {
      label: 'bad type in digest',
      bytes: b(`Content-Type: multipart/digest; boundary=D\r\n\r\n--D\r\nContent-Type: foo\r\n\r\n${INNER}\r\n--D--\r\n`),
    },
    { label: 'blank type', bytes: b('Content-Type: \r\n\r\nbody') },
    { label: 'type with 8bit', bytes: b('Content-Type: te\xe4xt/plain\r\n\r\nbody') },
    { label: 'two types, second bad', bytes: b('Content-Type: text/html\r\nContent-Type: ;x\r\n\r\nbody') },
    { label: 'utf8 domain', bytes: b('From: a@ex\xe4mple.com\r\nTo: "N" <b@\xc3\xa9t\xc3\xa9.fr>\r\n\r\nbody') },
    { label: 'encoded content-type', bytes: b('Content-Type: =?utf-8?Q?text/plain;_name=3D"=C3=A9.txt"?=\r\n\r\nbody') },
    {
      label: 'encoded content-type, long 8-bit name',
      bytes: b(`Content-Type: =?utf-8?Q?text/plain;_name=3D"${'=C3=A9_a?'.repeat(30)}.txt"?=\r\n\r\nbody`),
    },
    { label: 'comment backslash end', bytes: b('Content-Type: text/plain (abc\\\r\n\r\nbody') },
  ];
}

/** Every 8-bit byte in the hour, the day and the zone of a Date: (read out of bounds by Cyrus). */
function highByteDates(): Crafted[] {
  const out: Crafted[] = [];
  for (let c = 0x80; c <= 0xff; c++) {
    const x = String.fromCharCode(c);
    for (const d of [`Mon, 6 Jul 2015 1${x}:35:56 +0200`, `Mon, ${x}6 Jul 2015 10:35:56 +0200`, `Mon, 6 Jul 2015 10:35:56 +02${x}0`]) {
      out.push({ label: `Date: ${JSON.stringify(d)}`, bytes: b(`Date: ${d}\r\nSubject: date\r\n\r\nbody`) });
    }
  }
  return out;
}

export function releaseCraftedMessages(): Crafted[] {
  return [...ruleMessages(), ...highByteDates(), ...craftedMessages(), ...charsetFuzzMessages(7, 40, FUZZ_CHARSETS_EXACT)];
}

/** Cyrus 3.2's reconstruct segfaults on this one (a 1-byte part before a boundary): kept apart. */
export const CRASHES_CYRUS_32 = b('Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\n\r\n\n--X--\r\n');
