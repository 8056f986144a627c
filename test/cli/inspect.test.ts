// `inspect` shows each record as Cyrus sees it: fields equal Cyrus's own view (IMAP FETCH and
// the stored records in expected.json) for every fixture version.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyOf, indexFixture, INDEX_VERSIONS } from '../helpers/fixtures.js';
import { runCli, runCliJson } from '../helpers/cli.js';

describe('inspect on real Cyrus mailboxes', () => {
  it.each(INDEX_VERSIONS)('v%i: records match IMAP and the stored records', (v) => {
    const dir = indexFixture(v);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    const { code, json } = runCliJson(['inspect', '--path', join(dir, 'mailbox')]);
    expect(code).toBe(0);
    const [m] = json.mailboxes;
    expect(m.name).toBe(expected.mailbox);
    expect(m.index.minorVersion).toBe(v);
    expect(m.index.uidvalidity).toBe(expected.uidvalidity);
    expect(m.index.highestmodseq).toBe(expected.highestmodseq);
    expect(m.index.lastUid + 1).toBe(expected.uidnext);
    expect(m.records.map((r: any) => r.uid)).toEqual(expected.index_records.map((r: any) => r.uid));
    const byUid = new Map(m.records.map((r: any) => [r.uid, r]));
    for (const msg of expected.messages) {
      const r: any = byUid.get(msg.uid);
      expect(r.flags.slice().sort()).toEqual(msg.flags.slice().sort());
      expect(r.modseq).toBe(msg.modseq);
      expect(r.size).toBe(msg.size);
      expect(r.guid).toBe(msg.body_sha1);
      expect(r.internalFlags).not.toContain('EXPUNGED');
      expect(r.cache.ENVELOPE.startsWith('(')).toBe(true);
    }
    const expunged = expected.index_records.filter((r: any) => r.internal_flags.includes('EXPUNGED')).map((r: any) => r.uid);
    expect(m.records.filter((r: any) => r.internalFlags.includes('EXPUNGED')).map((r: any) => r.uid)).toEqual(expunged);
  });

  it('prints an mbexamine-like report with user flag names', () => {
    const r = runCli(['inspect', '--path', join(indexFixture(17), 'mailbox'), '--uid', '1', '--no-cache']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Unique ID: 1j4s1g11vdryzabpaq5fa3bp/);
    expect(r.stdout).toMatch(/UID:00000001 .*SIZE:1735/);
    expect(r.stdout).toMatch(/FLAGS: \\Seen todo/);
    expect(r.stdout).not.toMatch(/UID:00000003/);
  });

  it('shows what it can of a truncated index and exits 4', () => {
    const dir = copyOf(join(indexFixture(16), 'mailbox'));
    const buf = readFileSync(join(dir, 'cyrus.index'));
    writeFileSync(join(dir, 'cyrus.index'), buf.subarray(0, buf.length - 50));
    const { code, json } = runCliJson(['inspect', '--path', dir]);
    expect(code).toBe(4);
    expect(json.mailboxes[0].missingRecords).toBe(1);
    expect(json.mailboxes[0].records).toHaveLength(json.mailboxes[0].index.numRecords - 1);
  });
});
