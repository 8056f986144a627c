// Mailbox and per-user paths, against the spec's verified examples, the seen fixture, and live
// Cyrus 3.6.1 (`mbpath -j` over a crafted mailboxes.db; lock files reconstruct really creates).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseImapdConf, type ImapdConf } from '../../src/config/imapd-conf.js';
import {
  dbnameToIntname,
  dirHashChar,
  legacyMailboxDir,
  mailboxArchiveDir,
  mailboxDataDir,
  mailboxesDbPath,
  mailboxLockPath,
  mailboxMetaDir,
  mailboxMetaFile,
  messageFilePath,
  parseIntname,
  syncLogPaths,
  userFilePath,
  userInboxName,
  userNamespaceLockPath,
  type MailboxLocation,
} from '../../src/config/paths.js';
import { readTwoskip } from '../../src/db/twoskip.js';
import { seenFixture } from '../helpers/fixtures.js';
import { batchScript, CYRUS_BIN, haveCyrus, scratch, type Scratch } from '../db/cyrus-tool.js';

const conf = (extra = '') => parseImapdConf(`configdirectory: /c\npartition-default: /p\n${extra}`);
const mb = (name: string, uniqueid: string | undefined, legacyDirs: boolean, partition = 'default'): MailboxLocation => ({ name, uniqueid, partition, legacyDirs });

describe('paths: examples verified in the specs', () => {
  it('hashes like dir_hash_c in both variants', () => {
    expect(['foo', 'Bob', '1x', '', '\u00e9t\u00e9'].map((s) => dirHashChar(s, false))).toEqual(['f', 'b', 'q', 'q', 'q']);
    expect(['foo', 'alice', 'bob', 'carol', 'cassandane', 'example.com', 'user'].map((s) => dirHashChar(s, true))).toEqual(['U', 'L', 'E', 'B', 'O', 'O', 'C']);
  });

  it('builds legacy spool paths with hashimapspool + fulldirhash (cyrus-mailbox-format §9.3)', () => {
    const c = conf('hashimapspool: yes\nfulldirhash: yes\n');
    expect(legacyMailboxDir(c, '/p', 'user.alice')).toBe('/p/L/user/alice');
    expect(legacyMailboxDir(c, '/p', 'user.alice.Sent')).toBe('/p/L/user/alice/Sent');
    expect(legacyMailboxDir(c, '/p', 'user.bob')).toBe('/p/E/user/bob');
    expect(legacyMailboxDir(c, '/p', 'DELETED.user.alice.Trash.6B0B1267')).toBe('/p/C/DELETED/user/alice/Trash/6B0B1267');
    const plain = conf();
    expect(legacyMailboxDir(plain, '/p', 'user.cassandane')).toBe('/p/user/cassandane');
    expect(legacyMailboxDir(plain, '/p', 'DELETED.user.cassandane.bar.686BCF8B')).toBe('/p/DELETED/user/cassandane/bar/686BCF8B');
    // Cyrus re-prints the parsed time: upper case, 32 bits; a part that is no hex time is no deletion
    expect(legacyMailboxDir(plain, '/p', 'DELETED.user.x.y.00686bcf8b')).toBe('/p/DELETED/user/x/y/686BCF8B');
    expect(legacyMailboxDir(plain, '/p', 'DELETED.user.x.y.1686BCF8B')).toBe('/p/DELETED/user/x/y/686BCF8B');
    expect(legacyMailboxDir(plain, '/p', 'DELETED.user.x.zzz')).toBe('/p/user/x');
  });

  it('puts uuid mailboxes under uuid/<u0>/<u1>/<uniqueid>', () => {
    const c = conf('hashimapspool: yes\n');
    const m = mb('user.x', 'phybrsc2p15ejb7lz7nch1hz', false);
    expect(messageFilePath(c, m, 1)).toBe('/p/uuid/p/h/phybrsc2p15ejb7lz7nch1hz/1.');
    expect(mailboxMetaFile(c, m, 'index')).toBe('/p/uuid/p/h/phybrsc2p15ejb7lz7nch1hz/cyrus.index');
    expect(mailboxMetaFile(c, m, 'index', true)).toBe('/p/uuid/p/h/phybrsc2p15ejb7lz7nch1hz/cyrus.index.NEW');
    expect(mailboxDataDir(c, mb('user.x', 'ab', false, 'nosuch'))).toBeUndefined();
    // a uniqueid too short for two hash characters: Cyrus's printf stops at the NUL
    expect(mailboxDataDir(c, mb('user.x', 'a', false))).toBe('/p/uuid/a/');
    expect(mailboxDataDir(c, mb('user.x', undefined, false))).toBe('/p/x/user/x');
  });

  it('chooses metadata roots: metadir override, metapartition per metapartition_files, archive cache', () => {
    const c = conf(
      'metapartition-default: /meta\nmetapartition_files: header annotations\nmetadir-cache-default: /fastcache\narchive_enabled: 1\narchivepartition-default: /arch\n',
    );
    const m = mb('user.x', 'abcdef', false);
    expect(mailboxMetaFile(c, m, 'header')).toBe('/meta/uuid/a/b/abcdef/cyrus.header');
    expect(mailboxMetaFile(c, m, 'annotations')).toBe('/meta/uuid/a/b/abcdef/cyrus.annotations');
    expect(mailboxMetaFile(c, m, 'index')).toBe('/p/uuid/a/b/abcdef/cyrus.index');
    expect(mailboxMetaFile(c, m, 'cache')).toBe('/fastcache/uuid/a/b/abcdef/cyrus.cache');
    expect(mailboxMetaFile(c, m, 'archivecache')).toBe('/arch/uuid/a/b/abcdef/cyrus.cache');
    expect(messageFilePath(c, m, 7, true)).toBe('/arch/uuid/a/b/abcdef/7.');
    // archive partitions count only with archive_enabled
    const off = conf('archivepartition-default: /arch\n');
    expect(mailboxArchiveDir(off, m)).toBe('/p/uuid/a/b/abcdef');
  });

  it('places seen files for legacy and domain users (cyrus-db-seen-dlist §6.1)', () => {
    const plain = conf('virtdomains: userid\n');
    expect(userFilePath(plain, 'bar@example.com', 'seen', null)).toBe('/c/domain/e/example.com/user/b/bar.seen');
    const full = conf('virtdomains: userid\nfulldirhash: yes\n');
    expect(userFilePath(full, 'bar@example.com', 'seen', null)).toBe('/c/domain/O/example.com/user/I/bar.seen');
    expect(userFilePath(full, 'foo', 'seen', { uniqueid: 'qo3xwrnuiwopdzuzpzzjbjp9', legacyDirs: true })).toBe('/c/user/U/foo.seen');
    expect(userFilePath(full, 'bar', 'seen', { uniqueid: 'qo3xwrnuiwopdzuzpzzjbjp9', legacyDirs: false })).toBe(
      '/c/user/uuid/q/o/qo3xwrnuiwopdzuzpzzjbjp9/seen.db',
    );
    expect(userInboxName(plain, 'first.last@example.com')).toBe('example.com!user.first^last');
  });

  it('finds the seen.db of the fixture user where Cyrus wrote it', () => {
    const dir = seenFixture();
    const db = readTwoskip(readFileSync(join(dir, 'conf/mailboxes.db')));
    const inbox = db.records.find((r) => r.key.toString('latin1') === 'Nuser\x1ffxseen')!;
    const value = inbox.value.toString('latin1');
    const uniqueid = / I (\S+)/.exec(value)![1]!;
    const type = /%\(T (\S+)/.exec(value)![1]!;
    const c = parseImapdConf('configdirectory: <configdirectory>\npartition-default: /p\n');
    const path = userFilePath(c, 'fxseen', 'seen', { uniqueid, legacyDirs: type.includes('l') });
    expect(readFileSync(join(dir, 'conf-paths.txt'), 'utf8')).toContain(`at ${path}`);
  });

  it('derives lock, mailboxes.db and sync log paths', () => {
    const c = conf('sync_log: 1\nsync_log_channels: "" squat\n');
    expect(userNamespaceLockPath(c, 'test')).toBe('/c/lock/*U*test.lock');
    expect(mailboxLockPath(c, mb('user.x', 'ld7y6s09syo4jt8xjd55yh0j', false))).toBe('/c/lock/ld7y6s09syo4jt8xjd55yh0j.lock');
    expect(mailboxLockPath(c, mb('user.x.y^z', 'ld7y6s09syo4jt8xjd55yh0j', true))).toBe('/c/lock/user/x/y^z.lock');
    expect(userNamespaceLockPath(conf('mboxname_lockpath: /run/cyrus/locks\n'), 'first.last')).toBe('/run/cyrus/locks/*U*first^last.lock');
    expect(mailboxesDbPath(c)).toBe('/c/mailboxes.db');
    expect(syncLogPaths(c)).toEqual(['/c/sync/log', '/c/sync/squat/log']);
    expect(syncLogPaths(conf())).toEqual([]);
    expect(dbnameToIntname('example.com\x1duser\x1ffirst.last\x1fSent')).toBe('example.com!user.first^last.Sent');
  });
});

// ---- live: mbpath over a crafted mailboxes.db ---------------------------------------------------

interface Box {
  dbname: string;
  ext: string; // external name in the admin namespace with unixhierarchysep: yes
  uniqueid: string;
  type: string;
}
const BOXES: Box[] = [
  { dbname: 'user\x1ffoo', ext: 'user/foo', uniqueid: 'abcdefghijklmnopqrstuvwx', type: 'e' },
  { dbname: 'user\x1ffoo\x1fSub', ext: 'user/foo/Sub', uniqueid: 'bbcdefghijklmnopqrstuvw1', type: 'e' },
  { dbname: 'user\x1ffirst.last', ext: 'user/first.last', uniqueid: 'zz1defghijklmnopqrstuvw2', type: 'e' },
  { dbname: 'user\x1fbar', ext: 'user/bar', uniqueid: 'cbcdefghijklmnopqrstuvw3', type: 'el' },
  { dbname: 'user\x1fbar\x1fSent Items', ext: 'user/bar/Sent Items', uniqueid: 'cccdefghijklmnopqrstuvw4', type: 'el' },
  { dbname: 'user\x1fZed\x1fa.b', ext: 'user/Zed/a.b', uniqueid: 'dddefghijklmnopqrstuvw55', type: 'el' },
  { dbname: 'user\x1fZed', ext: 'user/Zed', uniqueid: 'ddcdefghijklmnopqrstuvw6', type: 'el' },
  { dbname: 'user\x1f9lives', ext: 'user/9lives', uniqueid: 'eecdefghijklmnopqrstuvw7', type: 'el' },
  { dbname: 'shared\x1ffolder', ext: 'shared/folder', uniqueid: 'ffcdefghijklmnopqrstuvw8', type: 'el' },
  { dbname: 'shared', ext: 'shared', uniqueid: 'ggcdefghijklmnopqrstuvw9', type: 'e' },
  { dbname: 'DELETED\x1fuser\x1fbar\x1fOld\x1f6B0B1551', ext: 'DELETED/user/bar/Old/6B0B1551', uniqueid: 'hhcdefghijklmnopqrstuvwa', type: 'el' },
  { dbname: 'example.com\x1duser\x1fbaz', ext: 'user/baz@example.com', uniqueid: 'iicdefghijklmnopqrstuvwb', type: 'el' },
  { dbname: 'example.com\x1duser\x1fbaz\x1fa.b', ext: 'user/baz/a.b@example.com', uniqueid: 'jjcdefghijklmnopqrstuvwc', type: 'el' },
  { dbname: 'example.org\x1duser\x1fqux', ext: 'user/qux@example.org', uniqueid: 'kkcdefghijklmnopqrstuvwd', type: 'e' },
  // folders of users without an INBOX: their user files fall back to the legacy path
  { dbname: 'user\x1fnobody\x1fOrphan', ext: 'user/nobody/Orphan', uniqueid: 'llcdefghijklmnopqrstuvwe', type: 'e' },
  { dbname: 'example.net\x1duser\x1fghost\x1fX', ext: 'user/ghost/X@example.net', uniqueid: 'mmcdefghijklmnopqrstuvwf', type: 'e' },
];
/** Users with an INBOX (mbpath -u needs one). */
const USERS = ['foo', 'first.last', 'bar', 'Zed', '9lives', 'baz@example.com', 'qux@example.org'];

const live = haveCyrus();

describe.skipIf(!live)('paths compared with live mbpath / reconstruct', () => {
  const scratches: Scratch[] = [];
  afterAll(() => scratches.forEach((s) => s.cleanup()));

  const combos = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const;

  it.each(combos)('hashimapspool=%s fulldirhash=%s: data, meta, archive and user paths match mbpath -j', (hash, full) => {
    const s = scratch();
    scratches.push(s);
    const text = [
      `configdirectory: ${s.dir}/conf`,
      `partition-default: ${s.dir}/spool`,
      `metapartition-default: ${s.dir}/meta`,
      'metapartition_files: header index',
      `archivepartition-default: ${s.dir}/archive`,
      'archive_enabled: yes',
      `hashimapspool: ${hash ? 'yes' : 'no'}`,
      `fulldirhash: ${full ? 'yes' : 'no'}`,
      'virtdomains: userid',
      'unixhierarchysep: yes',
      `mboxname_lockpath: ${s.dir}/locks`,
      '',
    ].join('\n');
    writeFileSync(s.conf, text);
    const c = parseImapdConf(text, s.conf);
    const value = (b: Box) => `%(T ${b.type} I ${b.uniqueid} P default V 1 M 1)`;
    s.dbtool(mailboxesDbPath(c), 'twoskip', ['batch'], {
      flags: ['-n'],
      input: batchScript(BOXES.map((b) => ['SET', `N${b.dbname}`, value(b)] as ['SET', string, string])),
    });
    const mbpath = (args: string[]) => {
      const r = spawnSync('runuser', ['-u', 'cyrus', '--', `${CYRUS_BIN}/mbpath`, '-C', s.conf, '-j', ...args]);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout.toString()) as { data: string; meta: string; archive: string; user?: { seen: string; sub: string; counters: string }; mbname: { intname: string } };
    };
    const inboxOf = (userid: string) => {
      const want = userInboxName(c, userid);
      const b = BOXES.find((x) => dbnameToIntname(x.dbname) === want);
      return b ? { uniqueid: b.uniqueid, legacyDirs: b.type.includes('l') } : null;
    };
    for (const b of BOXES) {
      const loc = mb(dbnameToIntname(b.dbname), b.uniqueid, b.type.includes('l'));
      const j = mbpath([b.ext]);
      expect(j.mbname.intname, b.ext).toBe(loc.name);
      expect([b.ext, mailboxDataDir(c, loc), mailboxMetaDir(c, loc), mailboxArchiveDir(c, loc)]).toEqual([b.ext, j.data, j.meta, j.archive]);
      const n = parseIntname(c, loc.name);
      const userid = n.localpart === null ? null : n.localpart + (n.domain ? `@${n.domain}` : '');
      if (userid) expect([b.ext, userFilePath(c, userid, 'seen', inboxOf(userid))]).toEqual([b.ext, j.user!.seen]);
      else expect(j.user).toBeUndefined();
    }
    for (const u of USERS) {
      const j = mbpath(['-u', u]);
      const inbox = inboxOf(u);
      for (const suffix of ['seen', 'sub', 'counters'] as const)
        expect([u, suffix, userFilePath(c, u, suffix, inbox)]).toEqual([u, suffix, j.user![suffix]]);
    }
  });

  it.each(combos)('hashimapspool=%s fulldirhash=%s: reconstruct creates the lock files we compute', (hash, full) => {
    const s = scratch();
    scratches.push(s);
    const text = `configdirectory: ${s.dir}/conf\npartition-default: ${s.dir}/spool\nhashimapspool: ${hash ? 1 : 0}\nfulldirhash: ${full ? 1 : 0}\nunixhierarchysep: yes\n`;
    writeFileSync(s.conf, text);
    const c: ImapdConf = parseImapdConf(text, s.conf);
    const boxes = [BOXES[0]!, BOXES[3]!, BOXES[2]!]; // uuid, legacy, dotted user
    s.dbtool(mailboxesDbPath(c), 'twoskip', ['batch'], {
      flags: ['-n'],
      input: batchScript(boxes.map((b) => ['SET', `N${b.dbname}`, `%(T ${b.type} I ${b.uniqueid} P default V 1 M 1)`] as ['SET', string, string])),
    });
    const expected = new Set<string>();
    for (const b of boxes) {
      spawnSync('runuser', ['-u', 'cyrus', '--', `${CYRUS_BIN}/reconstruct`, '-C', s.conf, b.ext]);
      const loc = mb(dbnameToIntname(b.dbname), b.uniqueid, b.type.includes('l'));
      const userid = dbnameToIntname(b.dbname).split('.')[1]!.replace(/\^/g, '.');
      expected.add(mailboxLockPath(c, loc));
      expected.add(userNamespaceLockPath(c, userid));
    }
    const found = listFiles(`${s.dir}/conf/lock`).filter((f) => f.endsWith('.lock'));
    for (const e of expected) expect(found, e).toContain(e);
  });
});

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  try {
    walk(dir);
  } catch {
    /* no lock dir: the test's expectations fail with the list */
  }
  return out;
}

describe.skipIf(!live)('sync log paths compared with cyr_synclog', () => {
  const scratches: Scratch[] = [];
  afterAll(() => scratches.forEach((s) => s.cleanup()));

  it.each([[''], ['sync_log_channels: "" squat\n'], ['sync_log_channels: chan1 chan2\n']])('writes where we expect with %j', (channels) => {
    const s = scratch();
    scratches.push(s);
    const text = `configdirectory: ${s.dir}/conf\npartition-default: ${s.dir}/spool\nsync_log: 1\n${channels}`;
    writeFileSync(s.conf, text);
    const c = parseImapdConf(text, s.conf);
    const r = spawnSync('runuser', ['-u', 'cyrus', '--', `${CYRUS_BIN}/cyr_synclog`, '-C', s.conf, '-u', 'foo']);
    expect(r.status, r.stderr.toString()).toBe(0);
    const written = listFiles(`${s.dir}/conf/sync`).sort();
    expect(written).toEqual([...syncLogPaths(c)].sort());
    for (const f of written) expect(readFileSync(f, 'utf8')).toBe('USER foo\n');
  });
});

describe.skipIf(!live)('metadata file paths compared with the files reconstruct creates', () => {
  const scratches: Scratch[] = [];
  afterAll(() => scratches.forEach((s) => s.cleanup()));

  const setups = [
    { name: 'uuid, metapartition for header/index/annotations, metadir-cache', type: 'e', extra: (d: string) => `metapartition-default: ${d}/meta\nmetapartition_files: header index annotations\nmetadir-cache-default: ${d}/fastcache\n` },
    { name: 'legacy, hashed, metapartition for cache, metadir-index', type: 'el', extra: (d: string) => `hashimapspool: 1\nfulldirhash: 1\nmetapartition-default: ${d}/meta\nmetapartition_files: cache\nmetadir-index-default: ${d}/idx\n` },
  ];

  it.each(setups)('$name', ({ type, extra }) => {
    const s = scratch();
    scratches.push(s);
    const text = `configdirectory: ${s.dir}/conf\npartition-default: ${s.dir}/spool\nunixhierarchysep: no\n${extra(s.dir)}`;
    writeFileSync(s.conf, text);
    const c = parseImapdConf(text, s.conf);
    const id = 'abcdefghijklmnopqrstuvwx';
    const entry = `%(T ${type} I ${id} P default V 1 M 1 A %(foo lrswipkxtecdan))`;
    s.dbtool(mailboxesDbPath(c), 'twoskip', ['batch'], {
      flags: ['-n'],
      input: batchScript([
        ['SET', 'Nuser\x1ffoo', entry],
        ['SET', `I${id}`, `%(T ${type} N user\x1ffoo P default V 1 M 1 A %(foo lrswipkxtecdan) H ())`],
      ]),
    });
    const loc = mb('user.foo', id, type.includes('l'));
    const message = messageFilePath(c, loc, 1)!;
    spawnSync('mkdir', ['-p', message.slice(0, message.lastIndexOf('/'))]);
    writeFileSync(message, 'From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n');
    spawnSync('chown', ['-R', 'cyrus', s.dir]);
    const r = spawnSync('runuser', ['-u', 'cyrus', '--', `${CYRUS_BIN}/reconstruct`, '-C', s.conf, 'user.foo']);
    expect(r.status, r.stderr.toString()).toBe(0);
    const found = listFiles(s.dir).filter((f) => !f.startsWith(`${s.dir}/conf/`) && f !== s.conf).sort();
    const expected = [message, ...(['header', 'index', 'cache', 'annotations'] as const).map((k) => mailboxMetaFile(c, loc, k)!)].sort();
    expect(found).toEqual(expected);
  });
});
