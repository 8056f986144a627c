// `crc` reproduces the SYNC_CRCs real Cyrus stored, and says so with exit 0; a stored value
// that no longer matches the records is reported with exit 4.
import { readFileSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyOf, indexFixture, INDEX_VERSIONS, seenFixture } from '../helpers/fixtures.js';
import { runCli, runCliJson } from '../helpers/cli.js';

const mailboxes = [
  ...INDEX_VERSIONS.map((v) => indexFixture(v)),
  ...['user.fxseen', 'user.fxseen.NoSeen', 'shared.fxteam'].map((m) => join(seenFixture(), m)),
];

describe('crc on real Cyrus mailboxes', () => {
  it.each(mailboxes)('%s: computed equals what Cyrus stored', (dir) => {
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    const { code, json } = runCliJson(['crc', '--path', join(dir, 'mailbox')]);
    expect(code).toBe(0);
    const [m] = json.mailboxes;
    expect(m.name).toBe(expected.mailbox);
    expect(m.agree).toBe(true);
    expect(m.computed.basic).toBe(expected.stored_sync_crc.basic);
    expect(m.stored.basic).toBe(expected.stored_sync_crc.basic);
    if (expected.stored_sync_crc.annot !== null) expect(m.computed.annot).toBe(expected.stored_sync_crc.annot);
    expect(m.algorithm).toBe(expected.minor_version >= 16 ? '3.x' : expected.minor_version === 12 ? '2.4' : m.algorithm);
  });

  it('reports a stored SYNC_CRC that the records do not give, with exit 4', () => {
    const dir = copyOf(join(indexFixture(17), 'mailbox'));
    const file = join(dir, 'cyrus.index');
    const buf = readFileSync(file);
    // v17 keeps SYNC_CRC at offset 100 and the header CRC in the header's last 4 bytes (160-4).
    buf.writeUInt32BE((buf.readUInt32BE(100) ^ 1) >>> 0, 100);
    buf.writeUInt32BE(crc32(buf.subarray(0, 156)), 156);
    writeFileSync(file, buf);
    const r = runCli(['crc', '--path', dir]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/DIFFERENT/);
    expect(r.stdout).toMatch(/SYNC_CRC +\d+ ≠ stored \d+/);
  });

  it('names a mailbox whose index cannot be decoded, with exit 4', () => {
    const dir = copyOf(join(indexFixture(13), 'mailbox'));
    writeFileSync(join(dir, 'cyrus.index'), readFileSync(join(dir, 'cyrus.index')).subarray(0, 40));
    const r = runCli(['crc', '--path', dir]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/cannot compute: .*offset/);
  });

  it('refuses --path combined with a mailbox name (usage, exit 16)', () => {
    expect(runCli(['crc', 'user.x', '--path', '/tmp']).code).toBe(16);
  });
});
