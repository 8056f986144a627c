// The worked examples and the verified date table of cyrus-message-parse.md (§2.5, §8, §9):
// values the spec authors read back from Cyrus 3.6.1's own cyrus.index / cyrus.cache.
import { describe, expect, it } from 'vitest';
import { expectedCacheRecord } from '../../src/message/record.js';
import { parseDateHeader, toIndexTime, withFallbacks } from '../../src/message/datetime.js';

const crlf = (lines: string[]) => Buffer.from(lines.map((l) => l + '\r\n').join(''), 'latin1');

describe('worked example 1: a simple message', () => {
  const file = crlf([
    'Date: Mon, 7 Feb 1994 21:52:25 -0800',
    'From: Fred Foobar <foobar@Blurdybloop.COM>',
    'Subject: afternoon meeting',
    'To: mooch@owatagu.siam.edu',
    'Message-Id: <B27397-0100000@Blurdybloop.COM>',
    'MIME-Version: 1.0',
    'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII',
    '',
    'Hello Joe, do you think we can meet at 3:30 tomorrow?',
  ]);
  const got = expectedCacheRecord(file, { timeZone: 'UTC' });

  it('has the record values Cyrus wrote', () => {
    expect(got.record).toEqual({
      size: 304,
      headerSize: 249,
      contentLines: 1,
      parsedSize: 304,
      sentdate: 760579200,
      gmtime: 760686745,
      guid: '8f39b089c82d643d96661ef863b5699998b8b6c3',
      cacheVersion: 11,
      cacheCrc: 0xeb443f7a,
    });
    expect(got.cacheRecord.length).toBe(704);
  });

  it('has the cache items Cyrus wrote', () => {
    const s = (k: keyof typeof got.items) => got.items[k].toString('latin1');
    expect(s('ENVELOPE')).toBe(
      '("Mon, 7 Feb 1994 21:52:25 -0800" "afternoon meeting" (("Fred Foobar" NIL "foobar" "Blurdybloop.COM")) (("Fred Foobar" NIL "foobar" "Blurdybloop.COM")) (("Fred Foobar" NIL "foobar" "Blurdybloop.COM")) ((NIL NIL "mooch" "owatagu.siam.edu")) NIL NIL NIL "<B27397-0100000@Blurdybloop.COM>")',
    );
    expect(s('BODYSTRUCTURE')).toBe('("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 55 1 NIL NIL NIL NIL)');
    expect(s('BODY')).toBe('("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 55 1)');
    expect(s('HEADERS')).toBe('Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n');
    expect(s('FROM')).toBe('Fred Foobar <foobar@blurdybloop.com>');
    expect(s('TO')).toBe('<mooch@owatagu.siam.edu>');
    expect(s('CC')).toBe('');
    expect(s('SUBJECT')).toBe('"afternoon meeting"');
    expect(got.items.SECTION.toString('hex')).toBe(
      '00000002' +
        '00000000000000f9000000f900000037' +
        '0000ffff' + 'eb2ad26529b6d590b1306274867c7cef7ac975f9' + '0000003700000001' +
        '00000000000000f9000000f900000037' +
        '000c0000' + '55532d415343494900000000' + 'eb2ad26529b6d590b1306274867c7cef7ac975f9' + '0000003700000001' +
        '00000000',
    );
  });
});

describe('worked example 2: a multipart message', () => {
  const file = crlf([
    'From: "Doe, John" <John.Doe@Example.COM>',
    'To: alice@example.org, Bob <bob@example.net>',
    'Cc: undisclosed-recipients:;',
    'Subject: =?UTF-8?Q?Caf=C3=A9?= report',
    'Date: Tue, 1 Mar 2022 10:00:00 +0100',
    'Message-ID: <m1@example.com>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="XX"',
    'X-Mailer: test',
    'Received: from a by b; Tue, 1 Mar 2022 09:00:00 +0000',
    '',
    'preamble',
    '--XX',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Hello=20world',
    '--XX',
    'Content-Type: application/octet-stream; name="a.bin"',
    'Content-Disposition: attachment; filename="a.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    'AAECAw==',
    '--XX--',
    'epilogue',
  ]);
  const got = expectedCacheRecord(file, { timeZone: 'UTC' });

  it('has the record values and items Cyrus wrote', () => {
    expect(got.record).toMatchObject({
      size: 658,
      headerSize: 363,
      contentLines: 14,
      gmtime: 1646125200,
      sentdate: 1646092800,
      guid: '34fb95776f3e26fc400f0677ec9f034fc7ae1305',
      cacheCrc: 0x29f62331,
    });
    expect(got.cacheRecord.length).toBe(1128);
    const s = (k: keyof typeof got.items) => got.items[k].toString('latin1');
    expect(s('BODY')).toBe(
      '(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 13 0)("APPLICATION" "OCTET-STREAM" ("NAME" "a.bin") NIL NIL "BASE64" 8) "MIXED")',
    );
    expect(s('HEADERS')).toBe('Content-Type: multipart/mixed; boundary="XX"\r\nX-Mailer: test\r\n');
    expect(s('FROM')).toBe('"Doe, John" <john.doe@example.com>');
    expect(s('TO')).toBe('<alice@example.org>,Bob <bob@example.net>');
    expect(s('CC')).toBe('undisclosed-recipients:;');
    expect(got.items.SUBJECT.equals(Buffer.from('{12}\r\nCaf\u00e9 report', 'utf8'))).toBe(true);
  });
});

describe('Date: header → sentdate/gmtime (spec §2.5, verified with TZ=UTC, internaldate 1623758400)', () => {
  const table: [string, number, number][] = [
    ['Mon, 7 Feb 1994 21:52:25 -0800', 760579200, 760686745],
    ['7 Feb 94 21:52 PST', 760579200, 760686720],
    ['07-Feb-1994 21:52:25 +0530', 760579200, 760638145],
    ['Monday, 7 Feb 1994 21:52:25 GMT', 1623715200, 1623758400],
    ['Mon,7 Feb 1994 21:52:25 EDT', 760579200, 760672345],
    ['Mon, 7 feb 1994 21:52:25 z', 760579200, 760657945],
    ['Mon, 7 Feb 1994', 760579200, 1623758400],
    ['Mon, 7 Feb 1994 21.52.25 (comment)', 760579200, 760657945],
    ['Mon, 7 Feb 01 21:52:25 -0000', 981504000, 981582745],
    ['garbage', 1623715200, 1623758400],
  ];
  for (const [date, sentdate, gmtime] of table) {
    it(JSON.stringify(date), () => {
      const d = withFallbacks(parseDateHeader(Buffer.from(date)), 1623758400);
      expect(d).toEqual({ sentdate, gmtime });
    });
  }

  it('keeps the low 32 bits of 64-bit times, and negative gmtime as Cyrus stores it', () => {
    expect(toIndexTime(parseDateHeader(Buffer.from('Mon, 30 Jun 3609 15:33:50 +0600')).sentdate)).toBe(197835648);
    const d = parseDateHeader(Buffer.from('Thu, 1 Jan 1970 00:00:00 +0100'));
    expect(toIndexTime(d.gmtime)).toBe(4294963696);
    expect(d.sentdate).toBe(0);
  });

  it('sentdate is local midnight of the server time zone', () => {
    const la = parseDateHeader(Buffer.from('Mon, 7 Feb 1994 21:52:25 -0800'), 'America/Los_Angeles');
    expect(la.sentdate).toBe(760579200 + 8 * 3600);
    const summer = parseDateHeader(Buffer.from('1 Jul 2020 12:00:00 +0000'), 'Europe/Berlin');
    expect(summer.sentdate).toBe(Date.UTC(2020, 6, 1) / 1000 - 2 * 3600);
  });
});
