// Hand-made message files for what the 881-message corpus does not exercise: the spec's
// "not exercised" list (NUL in headers, > 1001 header lines, boundary_limit, BOUNDARY*, the
// encoded Content-Type, dates before 1970), charsets beyond the corpus, malformed encodings,
// address oddities, and hostile shapes. The live test has real Cyrus index them.

export interface Crafted {
  label: string;
  bytes: Buffer;
}

const b = (s: string) => Buffer.from(s, 'latin1');
const crlf = (...lines: string[]) => b(lines.map((l) => l + '\r\n').join(''));

function simple(label: string, headers: string[], body = 'body'): Crafted {
  return { label, bytes: crlf('From: a@example.com', ...headers, '', body) };
}

/** An RFC 2047 word carrying raw bytes in base64. */
const word = (cs: string, bytes: number[] | Buffer) => `=?${cs}?B?${Buffer.from(bytes).toString('base64')}?=`;

const CHARSET_SAMPLES: [string, number[]][] = [
  ['windows-1252', [0x80, 0x81, 0x8d, 0x9f, 0xe9]],
  ['iso-8859-1', [0x80, 0x9f, 0xe9]],
  ['646', [0x41, 0x80, 0xe9]],
  ['iso-8859-2', [0xa1, 0xb1, 0xe8]],
  ['iso-8859-9', [0x80, 0xd0, 0xfd]],
  ['iso-8859-15', [0xa4, 0xbc]],
  ['iso-8859-16', [0xa1, 0xa5]],
  ['koi8-u', [0xa4, 0xb4, 0xc1]],
  ['koi8-r', [0xc1, 0xc2]],
  ['windows-1251', [0x80, 0xc0]],
  ['windows-1250', [0x8a, 0xe8]],
  ['windows-874', [0x80, 0xa1]],
  ['tis-620', [0xa1, 0xc0]],
  ['cp850', [0x82, 0x90]],
  ['ibm866', [0x80, 0xa0]],
  ['macintosh', [0x80, 0xa5]],
  ['x-mac-cyrillic', [0x80, 0xdf]],
  ['x-mac-ce', [0x80, 0x81]],
  ['big5', [0xa4, 0x40, 0xa4, 0x48]],
  ['gb2312', [0xc4, 0xe3, 0xba, 0xc3]],
  ['gbk', [0x81, 0x40]],
  ['gb18030', [0x81, 0x30, 0x81, 0x30, 0xc4, 0xe3]],
  ['euc-jp', [0xa4, 0xa2, 0x8e, 0xb1]],
  ['shift_jis', [0x82, 0xa0, 0x87, 0x40]],
  ['x-sjis', [0x82, 0xa0]],
  ['windows-31j', [0x87, 0x40, 0xed, 0x40]],
  ['euc-kr', [0xb0, 0xa1]],
  ['ks_c_5601-1987', [0xb0, 0xa1, 0x81, 0x41]],
  ['iso-2022-jp', [0x1b, 0x24, 0x42, 0x30, 0x21, 0x1b, 0x28, 0x42]],
  ['iso-2022-kr', [0x1b, 0x24, 0x29, 0x43, 0x0e, 0x30, 0x21, 0x0f]],
  ['hz-gb-2312', Array.from(b('~{<:~}'))],
  ['utf-7', Array.from(b('Hi +AOkA6Q- x'))],
  ['unicode-1-1-utf-7', Array.from(b('+AOk-'))],
  ['utf-16', [0xff, 0xfe, 0x41, 0x00]],
  ['utf-16le', [0x41, 0x00, 0xe9, 0x00]],
  ['utf-16be', [0x00, 0x41, 0xd8, 0x3d, 0xde, 0x00]],
  ['utf-32', [0x00, 0x00, 0x00, 0x41]],
  ['UTF8', [0xc3, 0xa9]],
  ['latin2', [0xb1]],
  ['ISO_8859-1', [0xe9]],
  ['cp1252', [0x80]],
  ['us-ascii', [0x41, 0x80]],
  ['ascii', [0x00, 0x41]],
  ['x-user-defined', [0x80]],
  ['bogus', [0x41]],
  ['', [0x41]],
];

/** Valid text in each multi-byte family (bytes from Python's codecs), split into two words. */
const MULTIBYTE_TEXT: [string, number[]][] = [
  ['big5', [0xa4, 0xa4, 0xa4, 0xe5, 0xb4, 0xfa, 0xb8, 0xd5]],
  ['big5-hkscs', [0xad, 0xbb, 0xb4, 0xe4]],
  ['gbk', [0xd6, 0xd0, 0xce, 0xc4, 0xb2, 0xe2, 0xca, 0xd4]],
  ['gb2312', [0xd6, 0xd0, 0xce, 0xc4]],
  ['gb18030', [0xd6, 0xd0, 0xce, 0xc4, 0x94, 0x39, 0xfc, 0x36, 0xa2, 0xe3]],
  ['euc-cn', [0xd6, 0xd0, 0xce, 0xc4]],
  ['euc-jp', [0xc6, 0xfc, 0xcb, 0xdc, 0xb8, 0xec, 0xa5, 0xc6, 0xa5, 0xad, 0xa5, 0xb9, 0xa5, 0xc8]],
  ['shift_jis', [0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea, 0xc3, 0xb7, 0xbd, 0xc4]],
  ['cp932', [0x87, 0x40, 0x87, 0x82, 0x87, 0x8a]],
  ['windows-31j', [0xee, 0xe0, 0xed, 0x95]],
  ['iso-2022-jp', [0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x38, 0x6c, 0x1b, 0x28, 0x42]],
  ['euc-kr', [0xc7, 0xd1, 0xb1, 0xb9, 0xbe, 0xee]],
  ['ks_c_5601-1987', [0x8c, 0x63, 0xb9, 0xe6, 0xb0, 0xa2, 0xc7, 0xcf]],
  ['cp949', [0xc7, 0xd1, 0xb1, 0xb9]],
  ['iso-2022-kr', [0x1b, 0x24, 0x29, 0x43, 0x0e, 0x47, 0x51, 0x31, 0x39, 0x3e, 0x6e, 0x0f]],
  ['hz-gb-2312', [0x7e, 0x7b, 0x56, 0x50, 0x4e, 0x44, 0x7e, 0x7d]],
  ['utf-16', [0xff, 0xfe, 0x47, 0x00, 0x72, 0x00, 0xfc, 0x00, 0xdf, 0x00, 0x65, 0x00]],
  ['utf-16le', [0x47, 0x00, 0x72, 0x00, 0xfc, 0x00, 0xdf, 0x00, 0x65, 0x00]],
  ['utf-32', [0xff, 0xfe, 0x00, 0x00, 0x47, 0x00, 0x00, 0x00, 0x72, 0x00, 0x00, 0x00, 0xfc, 0x00, 0x00, 0x00, 0xdf, 0x00, 0x00, 0x00, 0x65, 0x00, 0x00, 0x00, 0x00, 0xf6, 0x01, 0x00]],
  ['utf-7', [0x47, 0x72, 0x2b, 0x41, 0x50, 0x77, 0x41, 0x33, 0x77, 0x2d, 0x65, 0x20, 0x2b, 0x2d, 0x2d, 0x20, 0x41, 0x2b, 0x2d, 0x49, 0x6d, 0x49, 0x44, 0x6b, 0x51, 0x2e]],
  ['koi8-u', [0xf5, 0xcb, 0xd2, 0xc1, 0xa7, 0xce, 0xc1]],
  ['x-mac-cyrillic', [0x8f, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]],
  ['ibm-943', [0x93, 0xfa, 0x96, 0x7b]],
  ['euc-tw', [0x41, 0x42, 0x43]],
];

const BAD_UTF8: [string, number[]][] = [
  ['overlong', [0xc0, 0xaf, 0xe0, 0x80, 0xaf]],
  ['surrogate', [0xed, 0xa0, 0x80]],
  ['truncated', [0x41, 0xe2, 0x82]],
  ['interrupted', [0xe2, 0x41, 0x42]],
  ['five-byte', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ['too-big', [0xf4, 0x90, 0x80, 0x80]],
  ['nul', [0x41, 0x00, 0x42]],
];

export function craftedMessages(): Crafted[] {
  const out: Crafted[] = [];

  // --- the spec's "not exercised by the corpus" list
  out.push({ label: 'NUL in header block', bytes: b('From: a@b\r\nSubject: x\0y\r\nTo: t@u\r\n\r\nbody\r\n') });
  out.push({ label: 'NUL in body', bytes: b('From: a@b\r\n\r\nbo\0dy\r\n') });
  out.push({
    label: '1500 header lines (CRLF)',
    bytes: crlf('From: a@b', ...Array.from({ length: 1500 }, (_, i) => `Comments: line ${i}`), 'Subject: after the limit', '', 'body'),
  });
  out.push({
    label: 'maxheaderlines edge (1000 lines then Subject)',
    bytes: crlf(...Array.from({ length: 1000 }, (_, i) => `Keywords: ${i}`), 'Subject: line 1000', 'Priority: 1001', '', 'x'),
  });
  {
    const parts: string[] = [];
    for (let i = 0; i < 1005; i++) parts.push(`Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`);
    parts.push('Content-Type: text/plain\r\n\r\nleaf\r\n');
    for (let i = 1004; i >= 0; i--) parts.push(`--b${i}--\r\n`);
    out.push({ label: 'boundary_limit reached (1005 nested multiparts)', bytes: b(parts.join('')) });
  }
  out.push(
    simple('BOUNDARY* (RFC 2231)', [`Content-Type: multipart/mixed; boundary*=utf-8''%41%42`], '--AB\r\n\r\none\r\n--AB--\r\n'),
  );
  out.push(simple('BOUNDARY* undecodable', [`Content-Type: multipart/mixed; boundary*=%41%42`], '--%41%42\r\n\r\none\r\n--%41%42--\r\n'));
  out.push(simple('encoded Content-Type', ['Content-Type: =?utf-8?q?text/plain=3B_name=3D=22f=C3=BCr=22?=']));
  out.push(simple('encoded Content-Type, plain params', ['Content-Type: =?us-ascii?q?text/html=3B_charset=3Dutf-8?=']));
  for (const d of [
    'Wed, 31 Dec 1969 23:00:00 +0000',
    'Thu, 1 Jan 1970 00:00:00 +0100',
    '1 Jan 1900 00:00:00 GMT',
    'Sun, 31 Feb 2021 25:61:61 +9999',
    'Mon, 30 Jun 3609 15:33:50 +0600',
    '7 Feb 69 21:52 PST',
    '7 Feb 70 21:52 pdt',
    '07 Feb 2001 21:52:25 a',
    '07 Feb 2001 21:52:25 n',
    '07 Feb 2001 21:52:25 y',
    'Tue, 7 Feb 2001 21:52 0130',
    'Tue 7 Feb 2001 21:52:25 +0000',
    'Tue, 7-Feb-2001 21:52:25 +0000',
    ' \t Tue,  7   Feb   2001   21:52:25   +0000  ',
    'Tue, 7 Feb 2001',
    'Fri, 16 Oct 2009 23:3:34 +1100',
    'Fri, 26 Mar 1993 12:59:38 -050 (EST)',
    'Mon, 6 Jul 2015 1\u00ad:35:56 +0200',
    '',
  ]) {
    out.push(simple(`Date: ${JSON.stringify(d)}`, [`Date: ${d}`, 'Subject: date']));
  }

  // --- charsets: RFC 2047 words and text parts (SECTION "known charset")
  for (const [cs, bytes] of CHARSET_SAMPLES) {
    out.push(
      simple(`charset ${cs}`, [
        `Subject: x ${word(cs, bytes)} y`,
        `To: ${word(cs, bytes)} <to@example.com>`,
        `Content-Type: text/plain; charset="${cs}"`,
      ]),
    );
  }
  for (const [cs, bytes] of MULTIBYTE_TEXT) {
    out.push(simple(`multi-byte text ${cs}`, [`Subject: ${word(cs, bytes)}`, `Content-Type: text/plain; charset=${cs}`]));
  }
  // GB 18030-2005 (ICU < 73) and -2022 (ICU 73+) swap 18 two-byte codes and their four-byte
  // twins between standard and private-use code points; 0x80 alone became the euro sign.
  {
    const codes = [
      'a6d9', 'a6da', 'a6db', 'a6dc', 'a6dd', 'a6de', 'a6df', 'a6ec', 'a6ed', 'a6f3',
      'fe59', 'fe61', 'fe66', 'fe67', 'fe6d', 'fe7e', 'fe90', 'fea0',
      '82359037', '82359038', '82359039', '82359130', '82359131', '82359132', '82359133', '82359134',
      '84318236', '84318237', '84318238', '84318239', '84318330', '84318331', '84318332', '84318333', '84318334', '84318335',
      '80', 'ff', '8135f437',
    ];
    const words = codes.map((h) => word('gb18030', Buffer.from(h, 'hex')));
    out.push(simple('gb18030 2005/2022 mappings', [`Subject: ${words.join(' ~ ')}`]));
    // the same two-byte codes in ICU's other Chinese converters (not euc-cn: README, known limits)
    for (const cs of ['gbk', 'windows-936', 'ibm-1386']) {
      const pairs = codes.filter((h) => h.length === 4).map((h) => word(cs, Buffer.from(h, 'hex')));
      out.push(simple(`${cs}: the GB 18030 2005/2022 two-byte codes`, [`Subject: ${pairs.join(' ~ ')}`]));
    }
  }
  for (const [label, bytes] of BAD_UTF8) {
    out.push(simple(`utf-8 ${label}`, [`Subject: ${word('utf-8', bytes)}`, `Cc: ${word('utf-8', bytes)} <c@d>`]));
  }
  out.push(simple('utf-8 split over words', [`Subject: ${word('utf-8', [0x41, 0xe2])} ${word('utf-8', [0x82, 0xac])}`]));
  out.push(simple('q word with _ and bad =', ['Subject: =?utf-8?q?a_b=3=ZZ=?= =?utf-8?Q?c__d?=']));
  out.push(simple('word with language', ['Subject: =?utf-8*en?q?hello?=']));
  out.push(simple('words separated by text', ['Subject: =?utf-8?q?a?= - =?utf-8?q?b?=']));
  out.push(simple('raw 8-bit with rfc2047_utf8 off', ['Subject: Gr\u00fc\u00dfe \u00c3\u00a9', 'From: J\u00f6rg <j@x.de>']));
  out.push(simple('two charset params', ['Content-Type: text/plain; charset=bogus; charset=utf-8; charset=nope']));
  out.push(simple('charset* parameter', [`Content-Type: text/plain; charset*=utf-8''x`]));

  // --- transfer encodings for content hashes
  out.push(simple('qp edge cases', ['Content-Transfer-Encoding: quoted-printable'], `a=\r\nb=4\r\nc=ZZ  \t\r\n${'x'.repeat(1200)}\r\nend=`));
  out.push(simple('base64 with garbage and padding', ['Content-Transfer-Encoding: base64'], 'QU*JD\r\n==RE==VG\r\nR0h\r\nZ'));
  out.push(simple('cte 8bit/binary/7bitx', ['Content-Transfer-Encoding: 7bitx'], 'x'));
  out.push(simple('cte binary', ['Content-Transfer-Encoding: Binary'], 'x\0y'));
  out.push(simple('message/rfc822 with base64 cte', ['Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64'], 'Subject: inner\r\n\r\nhi'));
  out.push(simple('message/global', ['Content-Type: message/global'], 'Subject: inner\r\n\r\nhi'));

  // --- structure oddities
  out.push(simple('empty boundary', ['Content-Type: multipart/mixed; boundary=""'], '--\r\n\r\nx\r\n----\r\n'));
  out.push(simple('digest defaults', ['Content-Type: multipart/digest; boundary=d'], '--d\r\n\r\nSubject: in digest\r\n\r\nb\r\n--d\r\nContent-Type: text/plain\r\n\r\nt\r\n--d--\r\n'));
  out.push(simple('boundary without CRLF at EOF', ['Content-Type: multipart/mixed; boundary=z'], '--z\r\n\r\none\r\n--z--'));
  out.push(simple('part header cut by boundary', ['Content-Type: multipart/mixed; boundary=z'], '--z\r\nContent-Type: message/rfc822\r\n--z\r\nX: y\r\n--z--\r\n'));
  out.push(simple('nested message cut by outer boundary', ['Content-Type: multipart/mixed; boundary=o'], '--o\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: multipart/alternative; boundary=i\r\n--o--\r\n'));
  out.push(simple('bare LF parts', ['Content-Type: multipart/mixed; boundary=q'], '--q\nContent-Type: text/plain\n\nbody\n--q--\n'));
  out.push(simple('params: comments, folds, garbage', ['Content-Type: text/plain (c) ; a = "b\\"c" (x) ; d=e f ; g ; =h; i=j', '  ;k="l', ' m"; n=']));
  out.push(simple('disposition and language', ['Content-Disposition: INLINE; filename*0="a"; filename*1*=%41; filename*2="b c"', 'Content-Language: en-GB, (c) de , x_y', 'Content-Location: http://x', 'Content-MD5: abc', 'Content-ID: <id>', 'Content-Description: d']));
  out.push(simple('language only garbage', ['Content-Language: 12']));
  out.push(simple('empty type token', ['Content-Type: /mixed; boundary=b'], '--b\r\n\r\nx\r\n--b--\r\n'));
  out.push(simple('empty subtype token', ['Content-Type: text/; charset=utf-8']));

  // --- addresses
  for (const a of [
    '"unbalanced <u@v>',
    '<@route:>',
    '<@a,@b>',
    'x@y@z (Comment (nested) \\) here)',
    'Group: a@b, c@d',
    'Group2: ; e@f',
    '"" <empty@name>',
    'a . b @ c . d',
    '<>',
    '(only a comment)',
    'first@a, , second@b,',
    '=?utf-8?q?Enc=C3=A9?= <e@x>',
    '=?utf-8?q?Grp=C3=A9?=: g@x;',
    'Name With "Quote\\"s" <q@x>',
    '"back\\\\slash" <bs@x>',
    'dot.atom.name <d@x>',
    'x@[1.2.3.4]',
    'x@...y..z..',
  ]) {
    out.push(simple(`address ${JSON.stringify(a)}`, [`To: ${a}`, `Reply-To: ${a}`, `Sender: ${a}`]));
  }
  out.push({ label: 'folded address field', bytes: crlf('From: "Doe,', '   John" <j@x>,', '\tother@y', '', 'b') });

  // --- hostile shapes
  out.push({
    label: '3000 sibling parts',
    bytes: b(
      'Content-Type: multipart/mixed; boundary=X\r\n\r\n' +
        Array.from({ length: 3000 }, (_, i) => `--X\r\nContent-Type: text/plain; charset=utf-8\r\n\r\npart ${i}\r\n`).join('') +
        '--X--\r\n',
    ),
  });
  out.push({ label: '1000 nested message/rfc822', bytes: b('Content-Type: message/rfc822\r\n\r\n'.repeat(1000) + 'Subject: deep\r\n\r\nbody\r\n') });
  let seed = 4242;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let n = 0; n < 6; n++) {
    const buf = Buffer.alloc(20_000 + n * 3000);
    for (let i = 0; i < buf.length; i++) buf[i] = rnd();
    buf.write('Content-Type: multipart/mixed; boundary="=?"\r\n\r\n--=?\r\n', (n * 977) % 1000, 'latin1');
    out.push({ label: `binary garbage ${n}`, bytes: buf });
  }
  out.push({ label: 'only a blank line', bytes: b('\r\n') });
  out.push({ label: 'one byte', bytes: b('x') });
  out.push({ label: 'header without colon', bytes: b('no colon here\r\n\r\nbody') });
  out.push({ label: '2 MB single header line', bytes: Buffer.concat([b('Subject: '), Buffer.alloc(2_000_000, 0x61), b('\r\n\r\nbody')]) });
  return out;
}

/** A seeded generator (LCG) so fuzz cases are reproducible from their seed. */
export class Lcg {
  constructor(private s: number) {}
  next(n: number): number {
    this.s = (Math.imul(this.s, 1103515245) + 12345) >>> 0;
    return (this.s >>> 8) % n;
  }
}

const SPLICES = [
  '\r\n--', '--', '\r\n\r\n', '\n', '\r', '\0', '=?utf-8?q?=C3=A9?=', '=?', '?=', '"', '(', ')', '<', '>', '@', ',', ';', ':',
  '\r\n ', 'Content-Type: multipart/mixed; boundary=x\r\n', 'Content-Type: message/rfc822\r\n', '\r\n--x\r\n', '\r\n--x--\r\n',
  'Content-Transfer-Encoding: base64\r\n', 'Content-Transfer-Encoding: quoted-printable\r\n', 'charset=', '=\r\n', '=3D', '\u00e9',
];

/**
 * Damaged variants of real messages: bytes flipped, cut, duplicated, and MIME-significant
 * fragments spliced in where headers and boundaries live.
 */
export function mutate(src: Buffer, rng: Lcg): Buffer {
  let b = Buffer.from(src);
  const edits = 1 + rng.next(4);
  for (let e = 0; e < edits; e++) {
    const at = b.length ? rng.next(b.length) : 0;
    switch (rng.next(5)) {
      case 0: // flip a byte
        if (b.length) b[at] = rng.next(256);
        break;
      case 1: // cut the tail
        b = b.subarray(0, Math.max(1, at));
        break;
      case 2: // delete a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.next(40)))]);
        break;
      case 3: // duplicate a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + rng.next(200)), b.subarray(at)]);
        break;
      default: // splice in a MIME-significant fragment
        b = Buffer.concat([b.subarray(0, at), Buffer.from(SPLICES[rng.next(SPLICES.length)]!, 'latin1'), b.subarray(at)]);
    }
  }
  return b.length ? b : Buffer.from('x');
}

/** Charsets whose decoding of arbitrary (mostly invalid) byte sequences equals ICU's. */
export const FUZZ_CHARSETS_EXACT = [
  'utf-8', 'big5', 'gbk', 'iso-2022-jp', 'utf-16', 'utf-32', 'koi8-r', 'windows-1252', 'us-ascii', 'utf_8',
];
/**
 * Where we differ from ICU on invalid sequences (README): ICU tells an illegal trail byte
 * (U+FFFD) from an unassigned or truncated character (U+001A), WHATWG-based decoders do not.
 */
export const FUZZ_CHARSETS_APPROXIMATE = ['iso-2022-kr', 'hz-gb-2312', 'euc-kr', 'ks_c_5601-1987', 'gb18030', 'euc-jp', 'euc-cn', 'shift_jis', 'cp949', 'cp950', 'big5-hkscs', 'utf-16le', 'utf-7', 'ibm-943', 'ibm-1363', 'ibm-1386', 'ibm-33722'];

/** Random bytes (biased towards lead/trail ranges) in RFC 2047 words of multi-byte charsets. */
export function charsetFuzzMessages(seed: number, n: number, charsets: readonly string[] = FUZZ_CHARSETS_EXACT): Crafted[] {
  const rng = new Lcg(seed);
  const out: Crafted[] = [];
  for (let i = 0; i < n; i++) {
    const cs = charsets[rng.next(charsets.length)]!;
    const words: string[] = [];
    const nw = 1 + rng.next(3);
    for (let w = 0; w < nw; w++) {
      const len = 1 + rng.next(10);
      const bytes: number[] = [];
      for (let k = 0; k < len; k++) {
        const r = rng.next(10);
        bytes.push(r < 3 ? 0x20 + rng.next(0x60) : r < 5 ? 0x80 + rng.next(0x21) : r < 9 ? 0xa1 + rng.next(0x5e) : rng.next(256));
      }
      words.push(word(cs, bytes));
    }
    out.push(simple(`charset fuzz ${cs} #${i}`, [`Subject: ${words.join(rng.next(2) ? ' ' : ' x ')}`, `To: ${words[0]} <t@x>`]));
  }
  return out;
}
