// mailboxes.db written by Cyrus 2.x – 3.4 (key = internal name): the 2.4 text value
// "<mbtype> <partition> <acl>" with 2.4's bit values (imap/mboxlist.h @2.4.17: 1 REMOTE,
// 2 RESERVE, 4 NETNEWS, 8 MOVING, 16 DELETED) and the 2.5–3.4 dlist value (spec §7.1, §7.2).
// No 2.x Cyrus runs here, so these are the spec's examples and constructed entries.
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import {
  decodeMboxlistRecord,
  decodeMboxlistValue,
  detectMboxlistGeneration,
  listMailboxes,
  mbtype24To36,
  MBTYPE,
} from '../../src/format/mboxlist-entry.js';

const rec = (k: string, v: string) => ({ key: Buffer.from(k, 'latin1'), value: Buffer.from(v, 'latin1') });

const DB24 = [
  rec('user.foo', '0 default foo\tlrswipkxtecda\t'),
  rec('user.foo.Sent', '0 default foo\tlrswipkxtecda\tanyone\tp\t'),
  rec('user.bar', '1 backend2!default bar\tlrswipkxtecda\t'),
  rec('DELETED.user.foo.Old.4F1A2B3C', '16 default foo\tlrswipkxtecda\t'),
  rec('news.comp', '4 news anyone\tlrs\t'),
  rec('example.com!user.baz', '0 default baz@example.com\tlrswipkxtecda\t'),
  rec('user.dot^ted', '0 default dot.ted\tlrswipkxtecda\t'),
];

describe('2.4 text values', () => {
  it('decode mbtype, partition (server!partition when remote) and the TAB-separated ACL', () => {
    const r = decodeMboxlistRecord(DB24[2]!.key, DB24[2]!.value, 'legacy');
    expect(r).toMatchObject({
      kind: 'legacy',
      name: 'user.bar',
      entry: {
        valueFormat: 'text',
        server: 'backend2',
        partition: 'default',
        acl: 'bar\tlrswipkxtecda\t',
        uniqueid: null,
        flags: { remote: true, deleted: false, netnews: false },
        mbtype: 'er',
      },
    });
  });

  it('map 2.4 bits to 3.6 ones (16 = DELETED, 4 = NETNEWS)', () => {
    expect(mbtype24To36(16)).toBe(MBTYPE.DELETED);
    expect(mbtype24To36(1 | 8)).toBe(MBTYPE.REMOTE | MBTYPE.MOVING);
    expect(mbtype24To36(4)).toBe(MBTYPE.NETNEWS);
    expect(decodeMboxlistRecord(DB24[3]!.key, DB24[3]!.value, 'legacy')).toMatchObject({ entry: { flags: { deleted: true } } });
    expect(decodeMboxlistRecord(DB24[4]!.key, DB24[4]!.value, 'legacy')).toMatchObject({ entry: { kind: 'netnews', partition: 'news' } });
  });

  it('with 3.6 bits when read as 3.6 reads them (1 is then netnews, not remote)', () => {
    expect(decodeMboxlistValue(Buffer.from('1 backend2!default bar\tlr\t'))).toMatchObject({ kind: 'netnews', server: 'backend2' });
  });

  it('read the 2.5 "(uniqueid … specialuse …)" prefix', () => {
    expect(decodeMboxlistValue(Buffer.from('(uniqueid 74b8ef164c33c1b8 specialuse \\Sent) 0 default foo\tlr\t'))).toMatchObject({
      uniqueid: '74b8ef164c33c1b8',
      legacySpecialuse: '\\Sent',
      partition: 'default',
      acl: 'foo\tlr\t',
    });
  });

  it('note a mbtype that is not a number', () => {
    expect(decodeMboxlistValue(Buffer.from('x default ')).anomalies.length).toBe(1);
  });

  it('an empty value is BAD_VALUE', () => {
    expect(() => decodeMboxlistValue(Buffer.alloc(0))).toThrow(FormatError);
  });
});

describe('2.5 – 3.4 dlist values (key = internal name)', () => {
  it('decode the spec §7.2 form', () => {
    const v = '%(A %(foo lrswipkxtecda anyone lrs) I 74b8ef164c33c1b8 P default T e V 1278460344 M 1278460345)';
    expect(decodeMboxlistRecord(Buffer.from('user.foo'), Buffer.from(v), 'legacy')).toMatchObject({
      kind: 'legacy',
      name: 'user.foo',
      entry: { valueFormat: 'dlist', uniqueid: '74b8ef164c33c1b8', partition: 'default', uidvalidity: 1278460344, mtime: 1278460345, acl: 'foo\tlrswipkxtecda\tanyone\tlrs\t' },
    });
  });
});

describe('listing a legacy database', () => {
  it('is detected as legacy and lists every entry with its owner', () => {
    expect(detectMboxlistGeneration(DB24)).toBe('legacy');
    const list = [...listMailboxes(DB24)];
    expect(list.map((m) => [m.name, m.owner, m.deleted, m.remote])).toEqual([
      ['user.foo', 'foo', false, false],
      ['user.foo.Sent', 'foo', false, false],
      ['user.bar', 'bar', false, true],
      ['DELETED.user.foo.Old.4F1A2B3C', 'foo', true, false],
      ['news.comp', null, false, false],
      ['example.com!user.baz', 'baz@example.com', false, false],
      ['user.dot^ted', 'dot.ted', false, false],
    ]);
    expect(list.every((m) => m.dbname === null && m.uniqueid === null)).toBe(true);
  });

  it('reports undecodable records through onError and goes on', () => {
    const bad: string[] = [];
    const list = [...listMailboxes([...DB24, rec('user.broken', '%(T e')], { onError: (k) => bad.push(k.toString()) })];
    expect(bad).toEqual(['user.broken']);
    expect(list.length).toBe(DB24.length);
  });
});
