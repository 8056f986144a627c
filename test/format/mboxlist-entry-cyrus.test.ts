// mailboxes.db values Cyrus 3.6.1 itself decodes: we write N records with cyr_dbtool (dlist
// values of every shape, and the older text forms "<mbtype> [server!]<partition> <acl>" with an
// optional "(uniqueid … specialuse …)" prefix) and compare our decoding with `ctl_mboxlist -d`.
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { atom, kvlist, list, NIL, num, printDlist, type DlistNode } from '../../src/dlist/index.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDb } from '../../src/db/index.js';
import {
  decodeMboxlistRecord,
  detectMboxlistGeneration,
  intnameToDbname,
  dbnameToIntname,
  listMailboxes,
} from '../../src/format/mboxlist-entry.js';
import { seenFixture } from '../helpers/fixtures.js';
import { batchScript, CYRUS_BIN, haveCyrus, scratch, type Scratch } from '../db/cyrus-tool.js';
import { lcg } from '../db/prng.js';
import { ctlMboxlistView } from './mboxlist-entry-view.js';

const live = haveCyrus();

function ctlMboxlistDump(s: Scratch): Record<string, unknown> {
  const r = spawnSync('runuser', ['-u', 'cyrus', '--', `${CYRUS_BIN}/ctl_mboxlist`, '-C', s.conf, '-d', '-y'], {
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`ctl_mboxlist -d failed: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString('utf8'));
}

/** Random but valid entries (Cyrus assert()s on unknown type letters, so we stay inside). */
function randomEntries(seed: number, count: number): Array<[Buffer, Buffer]> {
  const rnd = lcg(seed);
  const pick = <T,>(a: readonly T[]): T => a[rnd() % a.length]!;
  const word = (alphabet: string, min: number, max: number) =>
    Array.from({ length: min + (rnd() % (max - min + 1)) }, () => pick([...alphabet])).join('');
  const u64 = () => (BigInt(rnd()) << 40n) ^ (BigInt(rnd()) << 20n) ^ BigInt(rnd());
  const out: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i < count; i++) {
    const boxes = Array.from({ length: 1 + (rnd() % 3) }, () => word('abcXYZ019.-_&+', 1, 8));
    let dbname = (rnd() % 2 ? ['user', `u${i}`, ...boxes] : [`top${i}`, ...boxes]).join('\x1f');
    if (rnd() % 5 === 0) dbname = `DELETED\x1f${dbname}\x1f${(0x6b000000 + rnd()).toString(16).toUpperCase()}`;
    if (rnd() % 4 === 0) dbname = `dom${i}.example\x1d${dbname}`;
    let value: Buffer;
    if (rnd() % 4 === 0) {
      // text form, numbers with 3.6 bit values
      const kindBits = pick([0, 1, 2, 3, 5, 8, 9, 10]);
      const flagBits = pick([0, 16, 32, 64, 128, 256, 512, 128 | 512, 16 | 64]);
      const prefix = rnd() % 2 ? `(uniqueid ${word('abcdef0123456789', 16, 16)}${rnd() % 2 ? ' specialuse \\Sent' : ''}) ` : '';
      const server = rnd() % 3 === 0 ? `backend${i}!` : '';
      const acl = Array.from({ length: rnd() % 3 }, () => `${word('abcxyz', 1, 6)}\t${word('lrswipkxtecdan', 1, 8)}\t`).join('');
      value = Buffer.from(`${prefix}${kindBits | flagBits} ${server}p${i} ${acl}`, 'latin1');
    } else {
      const kind = pick(['e', 'n', 'b', 'c', 'a', 's', 'p', '']);
      // 'f' (sieve) ORs 5 into the kind: only valid on email; 'pf' etc. crash ctl_mboxlist (assert).
      const flags = ['d', 'm', 'r', 'z', 'i', 'l', ...(kind === 'e' || kind === '' ? ['f'] : [])]
        .filter(() => rnd() % 4 === 0)
        .join('');
      const items: Array<[string, DlistNode]> = [['T', atom(kind + flags || 'e')]];
      if (rnd() % 5) items.push(['I', atom(word('abcdefghijklmnopqrstuvwxyz0123456789', 24, 24))]);
      if (rnd() % 4) items.push(['P', atom(pick(['default', 'p two', 'part-1']))]);
      if (rnd() % 6 === 0) items.push(['S', atom(`backend${i}`)]);
      if (rnd() % 4) items.push(['V', num(rnd() % 3 === 0 ? u64() & 0xffffffffn : BigInt(rnd()))]);
      if (rnd() % 2) items.push(['C', num(u64())]);
      if (rnd() % 2) items.push(['F', num(rnd() % 5 === 0 ? (1n << 64n) - 1n : u64())]);
      items.push(['M', num(1795880000 + (rnd() % 100000))]);
      if (rnd() % 4) {
        const ids = Array.from({ length: rnd() % 4 }, () =>
          pick(['anyone', 'group:staff', 'a b', `user${rnd() % 9}`, 'x"y', '-anyone', 'admin']),
        );
        items.push(['A', kvlist(...ids.map((id): [string, DlistNode] => [id, atom(word('lrswipkxtecdan', 1, 14))]))]);
      }
      if (rnd() % 3 === 0) {
        const hist = Array.from({ length: 1 + (rnd() % 2) }, (_, j) =>
          kvlist(
            ['N', atom(`user\x1fold${i}\x1fbox${j}`)],
            ['M', num(1795880000 + j)],
            ['V', num(rnd())],
            ['C', num(rnd() % 50)],
            ['F', num(u64())],
            ['T', atom(pick(['e', 'ed', 'el']))],
            ...(rnd() % 2 ? [['P', atom('default')] as [string, DlistNode]] : []),
          ),
        );
        items.push(['H', list(...hist)]);
      }
      if (rnd() % 10 === 0) items.push(['Z', NIL]); // unknown key: ignored by Cyrus
      value = printDlist(kvlist(...items));
    }
    out.push([Buffer.from('N' + dbname, 'latin1'), value]);
  }
  return out;
}

describe.skipIf(!live)('mailboxes.db values: our decoding equals ctl_mboxlist -d (Cyrus 3.6.1)', () => {
  const s = live ? scratch() : undefined;
  afterAll(() => s?.cleanup());

  it('hand-picked text and dlist values', () => {
    const entries: Array<[string, string]> = [
      ['Nuser\x1fold', '0 default foo\tlrswipkxtecda\tanyone\tlrs\t'],
      ['Nremote\x1fbox', '1 backend1!default bar\tlr\t'], // 3.6 reads 1 as netnews, not REMOTE
      ['Nx\x1fspecial', '(uniqueid abc123 specialuse \\Sent) 0 default foo\tlr\t'],
      ['Nx\x1fdeleted', '128 default '],
      ['Nx\x1fquoted', '%(T el I "id with space" P default M 1 A %("a b" lrs {3+}\r\nx"y lr))'],
      ['Nx\x1fnil', '%(T e I NIL P default M 1)'],
    ];
    const db = s!.path('conf/mailboxes.db');
    s!.dbtool(db, 'twoskip', ['batch'], { input: batchScript(entries.map(([k, v]) => ['SET', k, v])), flags: ['-n'] });
    const cyrus = ctlMboxlistDump(s!);
    const ours: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const r = decodeMboxlistRecord(Buffer.from(k, 'latin1'), Buffer.from(v, 'latin1'), '3.6');
      if (r.kind !== 'name') throw new Error('not an N record');
      ours[r.name] = ctlMboxlistView(r.name, r.entry);
    }
    // ctl_mboxlist prints a missing uniqueid as no key at all
    for (const v of Object.values(ours) as Array<Record<string, unknown>>) if (v.uniqueid === null) delete v.uniqueid;
    expect(ours).toEqual(cyrus);
  });

  it.each([1, 2, 3])('200 random entries (seed %i)', (seed) => {
    const entries = randomEntries(seed, 200);
    const db = s!.path(`conf/mailboxes.db`);
    spawnSync('rm', ['-f', db]);
    s!.dbtool(db, 'twoskip', ['batch'], { input: batchScript(entries.map(([k, v]) => ['SET', k, v])), flags: ['-n'] });
    const cyrus = ctlMboxlistDump(s!);
    const ours: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const r = decodeMboxlistRecord(k, v, '3.6');
      if (r.kind !== 'name') throw new Error('not an N record');
      const view = ctlMboxlistView(r.name, r.entry) as Record<string, unknown>;
      if (view.uniqueid === null) delete view.uniqueid;
      ours[r.name] = view;
    }
    expect(Object.keys(ours).length).toBe(200);
    expect(ours).toEqual(cyrus);
  });
});

describe.skipIf(!live)('reverse-ACL records (reverseacls: 1, ctl_cyrusdb -r)', () => {
  it('decode as the marker and one (scope, user, db-name) per reader of a shared mailbox', () => {
    const s = scratch();
    try {
      writeFileSync(s.conf, readFileSync(s.conf, 'utf8') + 'reverseacls: 1\n');
      const db = s.copyIn(join(seenFixture(), 'conf', 'mailboxes.db'), 'conf/mailboxes.db');
      const r = spawnSync('runuser', ['-u', 'cyrus', '--', `${CYRUS_BIN}/ctl_cyrusdb`, '-C', s.conf, '-r']);
      expect(r.status).toBe(0);
      const recs = readDb(readFileSync(db)).records;
      const racl = recs.filter((x) => x.key[0] === 0x41).map((x) => decodeMboxlistRecord(x.key, x.value, '3.6'));
      expect(racl).toEqual([
        { kind: 'racl-marker' },
        { kind: 'racl', scope: 'shared', user: 'anyone', dbname: 'shared' },
        { kind: 'racl', scope: 'shared', user: 'anyone', dbname: 'shared\x1ffxteam' },
        { kind: 'racl', scope: 'shared', user: 'fxseen', dbname: 'shared\x1ffxteam' },
      ]);
      expect(detectMboxlistGeneration(recs)).toBe('3.6');
      expect([...listMailboxes(recs)].length).toBe(12);
    } finally {
      s.cleanup();
    }
  });
});

describe.skipIf(!live)('a 2.5–3.4 (legacy-key) database upgraded by Cyrus 3.6 (ctl_cyrusdb -r)', () => {
  it('holds the entries our legacy decoding gives (plus the l flag and a new mtime)', () => {
    const s = scratch();
    try {
      const legacy: Array<[string, string]> = [
        ['user.foo', '%(A %(foo lrswipkxtecda anyone lrs) I 74b8ef164c33c1b8 P default T e V 1278460344 M 1278460345)'],
        ['user.foo.Sent', '%(A %(foo lrswipkxtecda) I aaaa1111bbbb2222 P default T e V 1278460346 M 1278460347)'],
        ['example.com!user.baz', '%(I cccc3333dddd4444 P default T ed V 5 M 6)'],
        ['user.dot^ted', '%(A %(dot.ted lr) I eeee5555ffff6666 P p2 S backend1 T er V 7 M 8)'],
        ['shared.x', '(uniqueid 0123456789abcdef) 0 default anyone\tlrs\t'],
        // 2.4's DELETED (16) is 3.6's REMOTE: an in-place upgrade of 2.4 text values misreads them
        ['old.deleted', '(uniqueid 1111222233334444) 16 default '],
      ];
      const db = s.path('conf/mailboxes.db');
      s.dbtool(db, 'twoskip', ['batch'], { input: batchScript(legacy.map(([k, v]) => ['SET', k, v])), flags: ['-n'] });
      const before = readDb(readFileSync(db)).records;
      expect(detectMboxlistGeneration(before)).toBe('legacy');
      const up = spawnSync('runuser', ['-u', 'cyrus', '--', `${CYRUS_BIN}/ctl_cyrusdb`, '-C', s.conf, '-r']);
      expect(up.status).toBe(0);
      const after = readDb(readFileSync(db)).records;
      expect(detectMboxlistGeneration(after)).toBe('3.6');
      const cyrus = ctlMboxlistDump(s) as Record<string, Record<string, unknown>>;
      for (const r of before) {
        const d = decodeMboxlistRecord(r.key, r.value, 'legacy');
        if (d.kind !== 'legacy') throw new Error('not a legacy record');
        const view = ctlMboxlistView(d.name, d.entry) as Record<string, unknown>;
        const theirs = cyrus[d.name]!;
        expect(theirs, d.name).toBeDefined();
        const { mtime: _m1, mbtype: ourType, ...ours } = view;
        const { mtime: _m2, mbtype: upType, ...up36 } = theirs;
        expect(up36).toEqual(ours);
        if (d.name === 'old.deleted') {
          expect([ourType, upType]).toEqual(['ed', 'erl']);
        } else {
          expect(upType).toBe(`${ourType}l`);
        }
      }
      expect(Object.keys(cyrus).length).toBe(legacy.length);
    } finally {
      s.cleanup();
    }
  });
});

describe('db-name ↔ internal name', () => {
  it.each([
    ['user\x1ffoo\x1fSub', 'user.foo.Sub'],
    ['DELETED\x1fuser\x1ffoo\x1f6B0B123A', 'DELETED.user.foo.6B0B123A'],
    ['example.com\x1duser\x1fbar', 'example.com!user.bar'],
    ['user.foo', 'user^foo'],
    ['DELETED\x1fuser.foo\x1f6B0B123A', 'DELETED.user^foo.6B0B123A'],
    ['shared', 'shared'],
  ])('%j ↔ %s', (db, int) => {
    expect(dbnameToIntname(db)).toBe(int);
    expect(intnameToDbname(int)).toBe(db);
  });
});
