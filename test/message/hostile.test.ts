// Hostile message files: deep nesting, 100 MB of headers, binary garbage. Each must finish in
// bounded time and memory with a result or a typed error, never a crash or a hang.
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedCacheRecord } from '../../src/message/record.js';
import { MessageParseError } from '../../src/message/parse.js';
import { UnsupportedCacheVersionError } from '../../src/message/options.js';

const dir = mkdtempSync(join(tmpdir(), 'cyrus-fsck-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function nestedMultiparts(n: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`);
  parts.push('Content-Type: text/plain\r\n\r\nleaf\r\n');
  for (let i = n - 1; i >= 0; i--) parts.push(`--b${i}--\r\n`);
  return Buffer.from(parts.join(''));
}

describe('hostile input', () => {
  it('10,000 nested multiparts: stops at boundary_limit (1000) like Cyrus, in bounded time', () => {
    const t0 = Date.now();
    const r = expectedCacheRecord(nestedMultiparts(10_000));
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.warnings.some((w) => /boundary limit 1000/.test(w))).toBe(true);
    expect(r.record.size).toBeGreaterThan(0);
  }, 60_000);

  it('10,000 nested message/rfc822 parts: a TOO_DEEP error, not a stack overflow', () => {
    const m = Buffer.from('Content-Type: message/rfc822\r\n\r\n'.repeat(10_000) + 'Subject: x\r\n\r\nbody\r\n');
    let err: unknown;
    try {
      expectedCacheRecord(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MessageParseError);
    expect((err as MessageParseError).code).toBe('TOO_DEEP');
  });

  it('nesting just under the depth cap still parses and writes every item', () => {
    const m = Buffer.from('Content-Type: message/rfc822\r\n\r\n'.repeat(1400) + 'Subject: x\r\n\r\nbody\r\n');
    const r = expectedCacheRecord(m);
    expect(r.items.BODYSTRUCTURE.length).toBeGreaterThan(1400 * 40);
  });

  it('10,000 sibling parts parse in bounded time', () => {
    const body = Array.from({ length: 10_000 }, (_, i) => `--X\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
    const m = Buffer.from(`Content-Type: multipart/mixed; boundary=X\r\n\r\n${body}--X--\r\n`);
    const t0 = Date.now();
    const r = expectedCacheRecord(m);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.items.SECTION.readUInt32BE(0)).toBe(10_001);
  }, 60_000);

  it('100 MB of headers in a file: bounded memory, correct size/header_size, a warning', () => {
    const path = join(dir, 'big-headers.');
    const fd = openSync(path, 'w');
    const line = Buffer.from(`X-Filler: ${'a'.repeat(88)}\r\n`); // 100 bytes
    const block = Buffer.concat(Array.from({ length: 10_000 }, () => line)); // 1 MB
    writeSync(fd, Buffer.from('Subject: big\r\n'));
    for (let i = 0; i < 100; i++) writeSync(fd, block);
    writeSync(fd, Buffer.from('\r\nbody\r\n'));
    closeSync(fd);
    const before = process.memoryUsage();
    const t0 = Date.now();
    const r = expectedCacheRecord(path);
    const grew = process.memoryUsage().rss - before.rss;
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(grew).toBeLessThan(400 * 1024 * 1024);
    expect(r.record.size).toBe(14 + 100_000_000 + 8);
    expect(r.record.headerSize).toBe(14 + 100_000_000 + 2);
    expect(r.items.SUBJECT.toString()).toBe('"big"');
    expect(r.warnings.some((w) => /exceeds/.test(w))).toBe(true);
  }, 120_000);

  it('one 20 MB header line without any line end', () => {
    const m = Buffer.concat([Buffer.from('Subject: '), Buffer.alloc(20_000_000, 0x61)]);
    const r = expectedCacheRecord(m, { maxHeaderBytes: 1 << 20 });
    expect(r.record.headerSize).toBe(m.length);
    expect(r.warnings.length).toBeGreaterThan(0);
  }, 60_000);

  it('binary garbage: a record, never a crash', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let n = 0; n < 20; n++) {
      const buf = Buffer.alloc(50_000 + n * 1000);
      for (let i = 0; i < buf.length; i++) buf[i] = rnd();
      // sprinkle MIME-looking fragments so the parser's structured paths run too
      buf.write('Content-Type: multipart/mixed; boundary="=?"\r\n\r\n--=?\r\n', (n * 977) % 1000, 'latin1');
      const r = expectedCacheRecord(buf);
      expect(r.record.size).toBe(buf.length);
    }
  });

  it('an empty file is an error, as in Cyrus', () => {
    const path = join(dir, 'empty.');
    writeFileSync(path, '');
    expect(() => expectedCacheRecord(path)).toThrow(MessageParseError);
  });

  it('a cache version we cannot reproduce is refused, not guessed', () => {
    expect(() => expectedCacheRecord(Buffer.from('x'), { cacheVersion: 2 })).toThrow(UnsupportedCacheVersionError);
  });
});
