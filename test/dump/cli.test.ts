// `cyrus-fsck dump` as a command (run in-process through main()): output to a file or stdout,
// what --path cannot know said on stderr, exit codes per the contract, message files that fail
// Cyrus's own pre-send check sent as NIL and reported, mailboxes sync_client would refuse, and
// message files streamed in bounded chunks rather than read whole.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DlistStreamParser, asList, toAtom, type DlistNode } from '../../src/dlist/index.js';
import { loadMailbox, writeMailboxDump } from '../../src/dump/index.js';
import { decodeIndex, encodeIndex } from '../../src/format/index/index.js';
import { lookupUser } from '../../src/repair/privileges.js';
import { copyOf, indexFixture, seenFixture } from '../helpers/fixtures.js';

async function cli(...args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const out: Buffer[] = [];
  const err: string[] = [];
  const [w1, w2] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((s: string | Uint8Array) => (out.push(Buffer.from(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'cyrus-fsck', ...args]);
    return { code, stdout: Buffer.concat(out), stderr: err.join('') };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

function lines(bytes: Buffer): DlistNode[][] {
  const p = new DlistStreamParser();
  return [...p.feed(bytes), ...p.end()];
}

const tmp = () => mkdtempSync(join(tmpdir(), 'cyrus-fsck-dumpcli-'));
const mailboxDir = (v = 17) => join(indexFixture(v), 'mailbox');

describe('cyrus-fsck dump', () => {
  it('--path -o FILE: the APPLY lines, mode 0600, and stderr says what --path cannot know', async () => {
    const out = join(tmp(), 'd.dlist');
    const r = await cli('dump', '--path', mailboxDir(), '--messages', '-o', out);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toContain('PARTITION default (name it with -p)');
    expect(r.stderr).toContain('FOLDERMODSEQ');
    expect(r.stderr).toContain('mailbox-level ANNOTATIONS');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    // Run as root, the file still belongs to the Cyrus user (contract "Who it runs as").
    const cyrus = process.getuid?.() === 0 ? lookupUser('cyrus') : undefined;
    if (cyrus) expect([statSync(out).uid, statSync(out).gid]).toEqual([cyrus.uid, cyrus.gid]);
    const ls = lines(readFileSync(out));
    expect(ls.map((l) => `${toAtom(l[0])} ${toAtom(l[1])}`)).toEqual(['APPLY MESSAGE', 'APPLY MAILBOX']);
  });

  it('stdout carries the same bytes as -o; -p names the partition', async () => {
    const out = join(tmp(), 'd.dlist');
    const a = await cli('dump', '--path', mailboxDir(15), '-p', 'p2', '-o', out);
    const b = await cli('dump', '--path', mailboxDir(15), '-p', 'p2');
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(b.stdout.equals(readFileSync(out))).toBe(true);
    expect(b.stdout.toString('latin1')).toContain(' PARTITION p2 ');
    expect(b.stderr).not.toContain('partition unknown');
  });

  it('a message file that no longer matches its GUID, or lost bytes, is sent as NIL and exits 4', async () => {
    const dir = copyOf(mailboxDir());
    const clean = await cli('dump', '--path', dir, '-p', 'default', '--messages');
    const f3 = readFileSync(join(dir, '3.'));
    f3[100] ^= 0x20;
    writeFileSync(join(dir, '3.'), f3);
    writeFileSync(join(dir, '5.'), readFileSync(join(dir, '5.')).subarray(0, 10));
    const r = await cli('dump', '--path', dir, '-p', 'default', '--messages');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/uid 3: .*3\.: SHA-1 [0-9a-f]{40}, GUID [0-9a-f]{40} — sent as NIL/);
    expect(r.stderr).toMatch(/uid 5: .*5\.: size 10, index says \d+ — sent as NIL/);
    const [bad, badMailbox] = lines(r.stdout);
    const [good, goodMailbox] = lines(clean.stdout);
    const kinds = (l: DlistNode[]) => asList(l[2])!.items.map((i) => i.type);
    expect(kinds(bad!).filter((k) => k === 'nil').length).toBe(2);
    expect(kinds(bad!).length).toBe(kinds(good!).length);
    // The APPLY MAILBOX line does not depend on the files.
    expect(JSON.stringify(badMailbox)).toBe(JSON.stringify(goodMailbox));
  });

  it('a mailbox sync_client would refuse (a record without GUID) is not dumped: exit 4', async () => {
    const dir = copyOf(mailboxDir());
    const idx = decodeIndex(readFileSync(join(dir, 'cyrus.index')));
    idx.records[3]!.guid = '0'.repeat(40);
    writeFileSync(join(dir, 'cyrus.index'), encodeIndex(idx, { recomputeCrc: true }));
    const r = await cli('dump', '--path', dir);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`sync_client would refuse it: uid ${idx.records[3]!.uid} has no GUID`);
    expect(r.stdout.length).toBe(0);
  });

  it('a record whose CRC is wrong (Cyrus stops reading there) is not dumped: exit 4', async () => {
    const dir = copyOf(mailboxDir());
    const idx = decodeIndex(readFileSync(join(dir, 'cyrus.index')));
    idx.records[5]!.modseq! += 1n; // stored CRC kept: no longer matches
    writeFileSync(join(dir, 'cyrus.index'), encodeIndex(idx));
    const r = await cli('dump', '--path', dir);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`the record of uid ${idx.records[5]!.uid} has a wrong CRC`);
  });

  it('SIGINT stops between message files: exit 32, and stderr says the output is incomplete', async () => {
    const out: Buffer[] = [];
    const err: string[] = [];
    const [w1, w2] = [process.stdout.write, process.stderr.write];
    process.stdout.write = ((c: Uint8Array) => {
      out.push(Buffer.from(c));
      if (Buffer.from(c).includes('%{')) process.emit('SIGINT'); // as if Ctrl-C during the first file
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((c: string) => (err.push(String(c)), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(['node', 'cyrus-fsck', 'dump', '--path', mailboxDir(), '-p', 'default', '--messages']);
    } finally {
      process.stdout.write = w1;
      process.stderr.write = w2;
    }
    expect(code).toBe(32);
    expect(err.join('')).toContain('interrupted while writing the message files');
    const text = Buffer.concat(out).toString('latin1');
    expect(text.startsWith('APPLY MESSAGE (%{default ')).toBe(true);
    expect(text.match(/%\{/g)!.length).toBe(1);
    expect(text).not.toContain('APPLY MAILBOX');
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('missing cyrus.index: not dumped, exit 4', async () => {
    const dir = copyOf(mailboxDir());
    rmSync(join(dir, 'cyrus.index'));
    const r = await cli('dump', '--path', dir, '-p', 'default');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/not dumped: .*cyrus\.index is missing/);
  });

  it('usage errors exit 16, no matching mailbox exits 8', async () => {
    expect((await cli('dump')).code).toBe(16);
    expect((await cli('dump', '--path', mailboxDir(), '-C', '/etc/imapd.conf')).code).toBe(16);
    const conf = join(tmp(), 'imapd.conf');
    const confDir = copyOf(join(seenFixture(), 'conf'));
    writeFileSync(conf, `configdirectory: ${confDir}\npartition-default: ${tmp()}\n`);
    const r = await cli('dump', '-C', conf, 'user.nobody-here');
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('no mailbox matched');
  });

  it('message files stream through in chunks of at most 64 KiB, never whole', async () => {
    const dir = copyOf(mailboxDir());
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'x');
    big.write('Subject: big\r\n\r\n');
    writeFileSync(join(dir, '1.'), big);
    const idx = decodeIndex(readFileSync(join(dir, 'cyrus.index')));
    const r1 = idx.records.find((r) => r.uid === 1)!;
    r1.size = BigInt(big.length);
    r1.guid = createHash('sha1').update(big).digest('hex');
    writeFileSync(join(dir, 'cyrus.index'), encodeIndex(idx, { recomputeCrc: true }));

    const m = await loadMailbox({ name: 'x', dir, nameFromHeader: true }, undefined, 'default');
    const chunks: number[] = [];
    const parts: Buffer[] = [];
    const res = await writeMailboxDump({ write: (c) => (chunks.push(c.length), void parts.push(Buffer.from(c))) }, m, { messages: true });
    expect(res.badFiles).toEqual([]);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(65536);
    const [msg] = lines(Buffer.concat(parts));
    const first = asList(msg![2])!.items[0]!;
    expect(first.type === 'file' && first.content.kind === 'memory' && first.content.data.equals(big)).toBe(true);
  });
});
