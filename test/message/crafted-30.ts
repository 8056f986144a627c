// Messages for the Cyrus 3.0 rules the corpus does not exercise (src/message/options.ts, those
// marked 3.0), appended after release-crafted.ts's set in crafted-indexed-3.0.13.tar.gz
// (make-fixture-3.0.sh): uid = index + 1 over releaseCraftedMessages().concat(crafted30Messages()).
import type { Crafted } from './crafted.js';

const b = (s: string) => Buffer.from(s, 'latin1');

export function crafted30Messages(): Crafted[] {
  const m = (label: string, s: string): Crafted => ({ label, bytes: b(s) });
  return [
    m('backslash CR LF in quoted phrase', 'To: "ab\\\r\n cd" <x@example.com>\r\nSubject: s\r\n\r\nbody'),
    m('backslash CR LF in From phrase', 'From: "Last, First\\\r\n\t(x)" <a@example.com>\r\n\r\nbody'),
    m('date without time', 'Date: 5 Oct 2015\r\n\r\nbody'),
    m('date with time no zone', 'Date: Mon, 05 Oct 2015 12:34:56\r\n\r\nbody'),
    m('date military zone', 'Date: Mon, 05 Oct 2015 12:34:56 K\r\n\r\nbody'),
    m('date US zone EDT', 'Date: Mon, 05 Oct 2015 12:34:56 EDT\r\n\r\nbody'),
    m('date UT', 'Date: Mon, 05 Oct 2015 12:34:56 UT\r\n\r\nbody'),
    m('date bad zone', 'Date: Mon, 05 Oct 2015 12:34:56 XYZ\r\n\r\nbody'),
    m('date two-digit year', 'Date: 5 Oct 15 01:02 +0130\r\n\r\nbody'),
    m('date long day name', 'Date: Monday, 5 Oct 2015 01:02:03 +0000\r\n\r\nbody'),
    m('date bad time', 'Date: 5 Oct 2015 1:02:03 +0000\r\n\r\nbody'),
    m('date 31 Feb', 'Date: 31 Feb 2015 01:02:03 +0000\r\n\r\nbody'),
    m('date 0 Mar', 'Date: 0 Mar 2015 01:02:03 +0000\r\n\r\nbody'),
    m('date seconds 99', 'Date: 5 Oct 2015 23:59:99 -0000\r\n\r\nbody'),
    m('rfc2047 split utf-8', 'Subject: =?utf-8?q?a=C5?= =?utf-8?q?=BEb?=\r\n\r\nbody'),
    m('rfc2047 question in text', 'Subject: =?utf-8?q?a?b?= =?utf-8?q?c?=\r\n\r\nbody'),
    m('rfc2047 charset with =', 'Subject: =?utf=8?q?x?= y\r\n\r\nbody'),
    m('rfc2047 language', 'Subject: =?iso-8859-1*en?q?caf=E9?=\r\n\r\nbody'),
    m('rfc2047 b64 padding inside', 'Subject: =?utf-8?b?YQ==YWI=?=\r\n\r\nbody'),
    m('param token with space', 'Content-Type: text/plain; name=a b.txt; charset=utf-8\r\n\r\nbody'),
    m('param token with 8-bit', 'Content-Type: text/plain; name=\xe9.txt; charset=utf-8\r\n\r\nbody'),
    m('param token with tspecial', 'Content-Type: text/plain; name=a/b; charset=utf-8\r\n\r\nbody'),
    m('disposition token 8-bit', 'Content-Disposition: attachment; filename=\xe9.txt\r\n\r\nbody'),
    m('charset iso-8859-1 (3.0 alias)', 'Content-Type: text/plain; charset=ISO-8859-1\r\nSubject: =?iso-8859-1?q?=80=E9?=\r\n\r\nbody'),
    m('charset macintosh (3.0 alias)', 'Content-Type: text/plain; charset=macintosh\r\nSubject: =?x-mac-roman?q?=80?=\r\n\r\nbody'),
    m('charset iso-8859-5 (ICU name)', 'Content-Type: text/plain; charset=iso-8859-5\r\n\r\nbody'),
    m('charset shift_jis alias', 'Content-Type: text/plain; charset=Shift_JIS\r\n\r\nbody'),
    m('charset euc-jp (ICU name)', 'Content-Type: text/plain; charset=EUC-JP\r\n\r\nbody'),
    m('charset utf-16 (ICU name)', 'Content-Type: text/plain; charset=UTF-16\r\n\r\nbody'),
    m('charset unknown', 'Content-Type: text/plain; charset=x-nonesuch\r\n\r\nbody'),
    m('base64 with = inside', 'Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nYQ==YWJj\r\n'),
    m('cached message-id and ARC', 'Message-ID: <a@b>\r\nARC-Seal: i=1\r\nAuthentication-Results: x\r\nReceived-SPF: pass\r\nArchived-At: <u>\r\nX-Apple-Base-URL: y\r\nReply-To: r@x\r\n\r\nbody'),
    m('multipart with 3.0 names', 'Content-Type: multipart/mixed; boundary=Z\r\n\r\n--Z\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\na\r\n--Z\r\nContent-Type: text/html; charset=koi8-r\r\nContent-Transfer-Encoding: base64\r\n\r\nYWJj\r\n--Z\r\nContent-Type: image/png\r\n\r\nx\r\n--Z--\r\n'),
  ];
}
