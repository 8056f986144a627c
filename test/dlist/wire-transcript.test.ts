// The sync-protocol transcript of spec §10.3 (Cyrus 3.6.1 client → server) and the §9.7 example:
// read as a chunked stream they give the values Cyrus sent, and printing the parsed lines with
// Cyrus's rules reproduces every byte.
import { describe, expect, it } from 'vitest';
import {
  DlistStreamParser,
  asList,
  getChild,
  parseLines,
  printLine,
  toAtom,
  toNum32,
  type DlistNode,
} from '../../src/dlist/index.js';
import { lcg } from '../db/prng.js';
import { EXAMPLE_2010, TRANSCRIPT_MESSAGE, transcriptClient, transcriptServer } from './corpus.js';

// The first word of a line (`*`, `OK`, `APPLY`…) is printed raw by Cyrus, the rest as dlists.
const reprint = (lines: DlistNode[][]) =>
  Buffer.concat(lines.map(([w, ...rest]) => printLine([toAtom(w)!, ...rest], { verifyFiles: false })));

function chunked(data: Buffer, sizes: () => number): DlistNode[][] {
  const p = new DlistStreamParser();
  const out: DlistNode[][] = [];
  for (let i = 0; i < data.length; ) {
    const n = Math.max(1, sizes());
    out.push(...p.feed(data.subarray(i, i + n)));
    i += n;
  }
  out.push(...p.end());
  return out;
}

describe('§10.3 client stream', () => {
  const data = transcriptClient();

  it('parses into the nine commands the client sent', () => {
    const lines = parseLines(data);
    expect(lines.map((l) => l.slice(0, 2).map((n) => toAtom(n)).join(' '))).toEqual([
      'AUTHENTICATE PLAIN',
      'APPLY CAPABILITIES',
      'GET MAILBOXES',
      'APPLY RESERVE',
      'APPLY MESSAGE',
      'APPLY MAILBOX',
      'RESTART',
      'APPLY SEEN',
      'EXIT',
    ]);
  });

  it('gives the values of APPLY MAILBOX, with flags, literal and records typed as Cyrus sent them', () => {
    const mb = parseLines(data)[5]![2]!;
    expect(toAtom(getChild(mb, 'UNIQUEID'))).toBe('223uo64ji93ogzn1doe4zpnz');
    expect(toNum32(getChild(mb, 'SYNC_CRC'))).toBe(1112956307);
    expect(toNum32(getChild(mb, 'SINCE_CRC_ANNOT'))).toBe(1363284824);
    expect(toAtom(getChild(mb, 'ACL'))).toBe('foo\tlrswipkxtecdan\tcyrus\tlrswipkxtecda\tbar\tlrs\t');
    const value = getChild(asList(getChild(mb, 'ANNOTATIONS'))!.items[0], 'VALUE');
    expect(value).toEqual({ type: 'buf', value: Buffer.from('he said "hi" 100%') });
    const records = asList(getChild(mb, 'RECORD'))!.items;
    expect(records.map((r) => toNum32(getChild(r, 'UID')))).toEqual([1, 3, 4]);
    expect(getChild(records[0], 'FLAGS')).toEqual({
      type: 'list',
      items: [
        { type: 'flag', value: '\\Deleted' },
        { type: 'flag', value: '\\Expunged' },
        { type: 'flag', value: '\\Seen' },
      ],
    });
    expect(getChild(records[2], 'FLAGS')).toEqual({
      type: 'list',
      items: [
        { type: 'flag', value: '\\Answered' },
        { type: 'atom', value: '$Label1' },
      ],
    });
  });

  it('streams the APPLY MESSAGE file literal', () => {
    const msg = parseLines(data)[4]![2]!;
    expect(msg).toEqual({
      type: 'list',
      items: [
        {
          type: 'file',
          partition: 'default',
          guid: 'fa45cffb05b14f8693cd24efd711dcdf9bf0a046',
          size: 46,
          content: { kind: 'memory', data: TRANSCRIPT_MESSAGE },
        },
      ],
    });
  });

  it('prints back byte for byte (file literal unverified: the spec elides the real message)', () => {
    expect(reprint(parseLines(data)).toString('latin1')).toBe(data.toString('latin1'));
  });

  it.each([1, 2, 3, 7, 64])('gives the same lines fed in %i-byte chunks', (n) => {
    expect(chunked(data, () => n)).toEqual(parseLines(data));
  });

  it('gives the same lines fed in random chunks', () => {
    const rnd = lcg(103);
    for (let i = 0; i < 20; i++) expect(chunked(data, () => rnd() % 200)).toEqual(parseLines(data));
  });

  it('reports a stream cut inside a value as TRUNCATED with the offset', () => {
    const p = new DlistStreamParser();
    p.feed(data.subarray(0, 500));
    expect(() => p.end()).toThrow(expect.objectContaining({ code: 'TRUNCATED', offset: 500 }));
  });
});

describe('§10.3 server stream', () => {
  it('parses and prints back byte for byte', () => {
    const data = transcriptServer();
    const lines = parseLines(data);
    expect(lines.length).toBe(15);
    expect(toAtom(getChild(lines[6]![2], 'MBOXNAME'))).toBe('user.foo');
    expect(reprint(lines).equals(data)).toBe(true);
  });
});

describe('§9.7 the 2010 example', () => {
  it('reprints byte for byte', () => {
    const data = Buffer.from(EXAMPLE_2010, 'latin1');
    expect(reprint(parseLines(data)).toString('latin1')).toBe(EXAMPLE_2010);
  });
});
