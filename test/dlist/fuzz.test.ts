// Seeded fuzzing over real dlists (fixture headers, mailboxes.db values, the §10.3 transcript):
// every mutation either parses or fails with a FormatError (never another exception, never a
// hang); whatever parses prints to a fixed point; and the stream parser fed in random chunks
// agrees with the whole-buffer parser on the result or on the error's code and offset.
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import {
  DlistStreamParser,
  discardFileSink,
  parseDlist,
  parseLines,
  parseStrict,
  printDlist,
  type Parsed,
} from '../../src/dlist/index.js';
import { lcg } from '../db/prng.js';
import { EXAMPLE_2010, headerDlists, mboxlistValues, transcriptClient } from './corpus.js';

const CASES = 12_000;
const SPECIAL = Buffer.from('()%{}"\\ \r\n\t+0123456789NIL\x00\xff\x1f');

function corpus(): Buffer[] {
  const t = transcriptClient();
  return [
    ...headerDlists(),
    ...mboxlistValues(),
    // single dlist values out of the transcript (the text after the command words of each line)
    ...t
      .toString('latin1')
      .split('\r\n')
      .filter((l) => l.startsWith('APPLY '))
      .map((l) => Buffer.from(l.slice(l.indexOf(' ', 6) + 1), 'latin1')),
    Buffer.from(EXAMPLE_2010.slice('APPLY MAILBOX '.length, -2), 'latin1'),
    Buffer.from('(%{default aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d 5}\r\nhello %(K {3+}\r\na\0b F (\\Seen)))'),
  ];
}

function mutate(src: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(src);
  const ops = 1 + (rnd() % 3);
  for (let k = 0; k < ops; k++) {
    const at = b.length ? rnd() % b.length : 0;
    switch (rnd() % 6) {
      case 0: // replace a byte with a random one
        if (b.length) b[at] = rnd() & 0xff;
        break;
      case 1: // replace a byte with a grammar byte
        if (b.length) b[at] = SPECIAL[rnd() % SPECIAL.length]!;
        break;
      case 2: // insert grammar bytes
        b = Buffer.concat([b.subarray(0, at), Buffer.from([SPECIAL[rnd() % SPECIAL.length]!]), b.subarray(at)]);
        break;
      case 3: // delete a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + (rnd() % 8))]);
        break;
      case 4: // duplicate a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 1 + (rnd() % 16)), b.subarray(at)]);
        break;
      case 5: // truncate
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

type Outcome = { ok: true; parsed: Parsed } | { ok: false; code: string; offset: number };

function outcome(fn: () => Parsed): Outcome {
  try {
    return { ok: true, parsed: fn() };
  } catch (e) {
    if (e instanceof FormatError) return { ok: false, code: e.code, offset: e.offset };
    throw e; // anything but a FormatError fails the test
  }
}

function streamed(b: Buffer, rnd: () => number, dialect: '3.6' | '2.4'): Outcome {
  return outcome(() => {
    const p = new DlistStreamParser({ framing: 'value', dialect, fileSink: discardFileSink });
    for (let i = 0; i < b.length; ) {
      const n = 1 + (rnd() % 64);
      p.feed(b.subarray(i, i + n));
      i += n;
    }
    p.end();
    return p.value!;
  });
}

describe('dlist fuzz', () => {
  it(`${CASES} mutated real dlists: FormatError or a value that prints to a fixed point`, () => {
    const seeds = corpus();
    const rnd = lcg(20261128);
    const started = Date.now();
    let parsed = 0;
    let failed = 0;
    for (let i = 0; i < CASES; i++) {
      const input = mutate(seeds[rnd() % seeds.length]!, rnd);
      const dialect = rnd() % 4 === 0 ? '2.4' : '3.6';
      const whole = outcome(() => parseDlist(input, { dialect, fileSink: discardFileSink }));
      const stream = streamed(input, rnd, dialect);
      if (whole.ok !== stream.ok) throw new Error(`case ${i}: whole ${JSON.stringify(whole)} vs stream ${JSON.stringify(stream)} on ${JSON.stringify(input.toString('latin1'))}`);
      if (whole.ok && stream.ok) {
        expect(stream.parsed).toEqual(whole.parsed);
        parsed++;
        // printing reaches a fixed point: print(parse(print(x))) = print(x)
        const once = printDlist(whole.parsed.node, { dialect, verifyFiles: false });
        const again = outcome(() => parseDlist(once, { dialect, fileSink: discardFileSink }));
        if (!again.ok) throw new Error(`case ${i}: our own output does not parse: ${JSON.stringify(once.toString('latin1'))}`);
        expect(printDlist(again.parsed.node, { dialect, verifyFiles: false }).equals(once)).toBe(true);
      } else if (!whole.ok && !stream.ok) {
        expect([stream.code, stream.offset]).toEqual([whole.code, whole.offset]);
        expect(whole.offset).toBeLessThanOrEqual(input.length);
        failed++;
      }
      outcome(() => parseStrict(input)); // must not throw anything but FormatError
      if (rnd() % 8 === 0) {
        try {
          parseLines(Buffer.concat([input, Buffer.from('\r\n')]), { fileSink: discardFileSink });
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
        }
      }
    }
    // the mutations must exercise both sides
    expect(parsed).toBeGreaterThan(CASES / 20);
    expect(failed).toBeGreaterThan(CASES / 4);
    expect(Date.now() - started).toBeLessThan(60_000); // ~8 s alone on 2 cores; a hang guard, not a benchmark
  });
});
