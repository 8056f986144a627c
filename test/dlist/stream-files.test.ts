// File literals stream through the parser and printer without being held whole: the parser
// hands each arriving piece to a sink (here: files in a folder), the printer reads the file back
// in chunks, checks size and SHA-1 like Cyrus's printfile, and writes the same bytes.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DlistStreamParser,
  directoryFileSink,
  discardFileSink,
  file,
  list,
  writeDlist,
  type DFile,
  type FileSink,
} from '../../src/dlist/index.js';
import { lcg } from '../db/prng.js';

const dir = mkdtempSync(join(tmpdir(), 'dlist-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bigMessage(size: number): Buffer {
  const rnd = lcg(7);
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = rnd() & 0xff;
  return b;
}
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

describe('file literals', () => {
  const msg = bigMessage(3 * 1024 * 1024 + 17);
  const guid = sha1(msg);
  const wire = Buffer.concat([
    Buffer.from(`APPLY MESSAGE (%{default ${guid} ${msg.length}}\r\n`),
    msg,
    Buffer.from(')\r\n'),
  ]);

  it('arrive at the sink piece by piece, each no bigger than what was fed', () => {
    const pieces: number[] = [];
    const inner = directoryFileSink(dir);
    const sink: FileSink = (meta) => {
      const w = inner(meta);
      return { write: (c) => (pieces.push(c.length), w.write(c)), end: () => w.end() };
    };
    const p = new DlistStreamParser({ fileSink: sink });
    const lines = [];
    for (let i = 0; i < wire.length; i += 65536) lines.push(...p.feed(wire.subarray(i, i + 65536)));
    lines.push(...p.end());
    expect(lines.length).toBe(1);
    expect(Math.max(...pieces)).toBeLessThanOrEqual(65536);
    expect(pieces.reduce((a, b) => a + b, 0)).toBe(msg.length);
    const f = (lines[0]![2] as { items: DFile[] }).items[0]!;
    expect(f).toMatchObject({ partition: 'default', guid, size: msg.length, content: { kind: 'path', path: join(dir, guid) } });
    expect(sha1(readFileSync(join(dir, guid)))).toBe(guid);
  });

  it('print from the file in chunks and reproduce the wire bytes', () => {
    const chunks: number[] = [];
    const out: Buffer[] = [];
    const node = list(file('default', guid, msg.length, { kind: 'path', path: join(dir, guid) }));
    writeDlist({ write: (c) => (chunks.push(c.length), out.push(Buffer.from(c))) }, node);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(65536);
    expect(Buffer.concat([Buffer.from('APPLY MESSAGE '), ...out, Buffer.from('\r\n')]).equals(wire)).toBe(true);
  });

  it('print NIL when the file on disk no longer matches its GUID or size (as Cyrus does)', () => {
    const path = join(dir, 'changed');
    writeFileSync(path, msg.subarray(0, 100));
    const out: Buffer[] = [];
    writeDlist({ write: (c) => void out.push(Buffer.from(c)) }, file('default', guid, 100, { kind: 'path', path }));
    expect(Buffer.concat(out).toString()).toBe('NIL');
    const missing: Buffer[] = [];
    writeDlist({ write: (c) => void missing.push(Buffer.from(c)) }, file('default', guid, 1, { kind: 'path', path: join(dir, 'nope') }));
    expect(Buffer.concat(missing).toString()).toBe('NIL');
  });

  it('can be discarded while the structure is kept', () => {
    const p = new DlistStreamParser({ fileSink: discardFileSink });
    const lines = [...p.feed(wire), ...p.end()];
    expect((lines[0]![2] as { items: DFile[] }).items[0]).toMatchObject({ size: msg.length, content: { kind: 'none' } });
  });

  it('cut short: TRUNCATED at the end of what arrived', () => {
    const p = new DlistStreamParser({ fileSink: discardFileSink });
    p.feed(wire.subarray(0, 1000));
    expect(() => p.end()).toThrow(expect.objectContaining({ code: 'TRUNCATED', offset: 1000 }));
  });
});

describe('stream framing', () => {
  it("'value' framing reads one dlist, with its name, across chunks", () => {
    const p = new DlistStreamParser({ framing: 'value', parseKey: true });
    const text = Buffer.from('MAILBOX %(UID 1 FLAGS (\\Seen))');
    for (const b of text) p.feed(Buffer.from([b]));
    p.end();
    expect(p.value).toEqual({
      key: 'MAILBOX',
      node: { type: 'kvlist', items: [{ key: 'UID', value: { type: 'atom', value: '1' } }, { key: 'FLAGS', value: { type: 'list', items: [{ type: 'flag', value: '\\Seen' }] } }] },
    });
  });

  it('a top-level atom ends at the end of the input only when the input ends', () => {
    const p = new DlistStreamParser({ framing: 'value' });
    p.feed(Buffer.from('abc'));
    expect(p.value).toBeUndefined();
    p.feed(Buffer.from('def'));
    p.end();
    expect(p.value?.node).toEqual({ type: 'atom', value: 'abcdef' });
  });

  it('a failed stream keeps failing', () => {
    const p = new DlistStreamParser();
    expect(() => p.feed(Buffer.from('OK %x\r\n'))).toThrow(expect.objectContaining({ code: 'BAD_SYNTAX', offset: 3 }));
    expect(() => p.feed(Buffer.from('OK\r\n'))).toThrow(expect.objectContaining({ code: 'BAD_SYNTAX' }));
    expect(() => p.end()).toThrow(expect.objectContaining({ code: 'BAD_SYNTAX' }));
  });

  it('hands out the lines completed before an error, then throws it', () => {
    const p = new DlistStreamParser();
    expect(p.feed(Buffer.from('OK one\r\nOK two\r\nBAD %x\r\n'))).toEqual([
      [{ type: 'atom', value: 'OK' }, { type: 'atom', value: 'one' }],
      [{ type: 'atom', value: 'OK' }, { type: 'atom', value: 'two' }],
    ]);
    expect(() => p.feed(Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'BAD_SYNTAX', offset: 20 }));
  });

  it('lines complete as soon as their CRLF arrives', () => {
    const p = new DlistStreamParser();
    expect(p.feed(Buffer.from('OK suc'))).toEqual([]);
    expect(p.feed(Buffer.from('cess\r'))).toEqual([]);
    expect(p.feed(Buffer.from('\nNO'))).toEqual([[{ type: 'atom', value: 'OK' }, { type: 'atom', value: 'success' }]]);
    expect(() => p.end()).toThrow(expect.objectContaining({ code: 'TRUNCATED' }));
  });
});
