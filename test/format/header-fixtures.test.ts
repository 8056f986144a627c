// Every real cyrus.header written by Cyrus 3.6.1 decodes to what Cyrus itself reports
// (mbexamine.txt, mailboxes.db), re-encodes byte for byte, and its CRC is the header_file_crc
// Cyrus stored in the mailbox's cyrus.index.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeHeader, encodeHeader, headerFileCrc, headerCrcAgrees, aclEntries } from '../../src/format/header.js';
import { decodeIndexHeader } from '../../src/format/index/index.js';
import { INDEX_VERSIONS, indexFixture, seenFixture } from '../helpers/fixtures.js';

const MAILBOXES: Array<[string, () => string]> = [
  ...INDEX_VERSIONS.map((v): [string, () => string] => [`user.fx${v}`, () => indexFixture(v)]),
  ...['user.fxseen', 'user.fxseen.NoSeen', 'shared.fxteam'].map((m): [string, () => string] => [
    m,
    () => join(seenFixture(), m),
  ]),
  ['DELETED.user.fxseen.Old.6B0B1551', () => join(seenFixture(), 'deleted-mailbox')],
];

/** What mbexamine printed in its "Mailbox Header Info" block. */
function mbexamineHeader(dir: string) {
  const txt = readFileSync(join(dir, 'mbexamine.txt'), 'latin1');
  const acl = /^ {2}Mailbox ACL: (.*)$/m.exec(txt)![1]!;
  const uniqueid = /^ {2}Unique ID: (.*)$/m.exec(txt)![1]!;
  const flags = /^ {2}User Flags: (.*)$/m.exec(txt)![1]!;
  return { acl, uniqueid, userFlags: flags === '[none]' ? [] : flags.split(' ').filter(Boolean) };
}

/** The mailbox's N record in the seen fixture's mailboxes.db dump (ctl_mboxlist -d). */
function mboxlistEntry(name: string) {
  const db = JSON.parse(readFileSync(join(seenFixture(), 'mailboxes.db.json'), 'utf8'));
  return db[name] as { uniqueid: string; acl: Record<string, string>; mbtype: string };
}

describe.each(MAILBOXES)('cyrus.header of %s', (name, dir) => {
  const file = () => readFileSync(join(dir(), 'mailbox', 'cyrus.header'));

  it('decodes as the dlist format with the name, uniqueid, flags and ACL Cyrus reports', () => {
    const h = decodeHeader(file());
    expect(h.format).toBe('dlist');
    expect(h.name).toBe(name);
    const mb = mboxlistEntry(name);
    expect(h.uniqueid).toBe(mb.uniqueid);
    expect(h.mbtype).toBe(mb.mbtype);
    expect(Object.fromEntries(aclEntries(h.acl).map((e) => [e.identifier, e.rights]))).toEqual(mb.acl);
    if (existsSync(join(dir(), 'mbexamine.txt'))) {
      const ex = mbexamineHeader(dir());
      expect(h.uniqueid).toBe(ex.uniqueid);
      expect(h.acl).toBe(ex.acl);
      expect(h.userFlags).toEqual(ex.userFlags);
    }
    expect(h.quotaroot).toBeNull();
  });

  it('re-encodes to identical bytes', () => {
    expect(encodeHeader(decodeHeader(file())).equals(file())).toBe(true);
  });

  it('has the CRC that cyrus.index stores as header_file_crc (0 = not recorded)', () => {
    const index = decodeIndexHeader(readFileSync(join(dir(), 'mailbox', 'cyrus.index')));
    const stored = index.headerFileCrc!;
    // the raw bytes at the offset the spec gives (96 for v12–v18) are what the codec read
    expect(readFileSync(join(dir(), 'mailbox', 'cyrus.index')).readUInt32BE(96)).toBe(stored);
    expect(headerCrcAgrees(file(), stored)).toBe(true);
    if (stored !== 0) expect(headerFileCrc(file())).toBe(stored);
    else storedZero.push(name);
  });
});

// user.fxseen and user.fxseen.NoSeen went through reconstruct -V 9/10 and back to 17
// (seen/steps/versions-log.txt): v9/v10 have no header_file_crc, and the upgrade leaves 0.
const storedZero: string[] = [];
describe('header_file_crc: fixtures that store 0', () => {
  it('are only the mailboxes downgraded below v12 and back', () => {
    expect(storedZero.sort()).toEqual(['user.fxseen', 'user.fxseen.NoSeen']);
  });
});

describe('header_file_crc detects a change', () => {
  it('differs when one byte of the header changes', () => {
    const buf = readFileSync(join(indexFixture(17), 'mailbox', 'cyrus.header'));
    const stored = readFileSync(join(indexFixture(17), 'mailbox', 'cyrus.index')).readUInt32BE(96);
    const damaged = Buffer.from(buf);
    damaged[damaged.length - 3] ^= 0x20;
    expect(headerFileCrc(damaged)).not.toBe(stored);
    expect(headerCrcAgrees(damaged, stored)).toBe(false);
  });

  it('matches expected.json (Cyrus\'s own reading of the index header)', () => {
    for (const v of INDEX_VERSIONS) {
      const exp = JSON.parse(readFileSync(join(indexFixture(v), 'expected.json'), 'utf8'));
      const buf = readFileSync(join(indexFixture(v), 'mailbox', 'cyrus.header'));
      expect(headerFileCrc(buf)).toBe(exp.index_header.header_file_crc);
    }
  });
});
