// The ANNOTATIONS lists of a dump: order and de-duplication as Cyrus's sync_annot_list_add keeps
// them, which entries annotatemore_findall would return (no tombstones, no keys without a
// userid, only the mailbox's own uniqueid prefix), the owner token, and how they print.
import { describe, expect, it } from 'vitest';
import { asList, printDlist } from '../../src/dlist/index.js';
import { mailboxAnnotations, recordAnnotations, syncAnnotationList, syncAnnotations, type SyncAnnotation } from '../../src/dump/index.js';

/** An annotations-db value as Cyrus 3.6 writes it on a 64-bit host (annotate.c make_entry). */
function value(v: string, modseq: bigint, flags = 0): Buffer {
  const len = Buffer.alloc(8);
  len.writeUInt32BE(Buffer.byteLength(v, 'latin1'), 0);
  const tail = Buffer.alloc(8 + 8 + 1);
  tail.writeBigUInt64BE(modseq, 8);
  tail[16] = flags;
  return Buffer.concat([len, Buffer.from(v, 'latin1'), Buffer.from('\0text/plain\0', 'latin1'), tail]);
}
const key = (...parts: string[]) => Buffer.from(parts.map((p) => `${p}\0`).join(''), 'latin1');
const ann = (entry: string, userid: string | null, v: string, modseq = 0n): SyncAnnotation => ({
  entry,
  userid,
  modseq,
  value: Buffer.from(v, 'latin1'),
});

describe('sync annotation lists', () => {
  it('sort by entry, then userid, then value, as C strcmp over unsigned bytes', () => {
    const got = syncAnnotationList([
      ann('/vendor/x', '', 'a'),
      ann('/comment', 'bob', 'z'),
      ann('/comment', '', 'b'),
      ann('/comment', 'alice', 'q'),
      ann('/comment', '', 'a'),
      ann('/comm\xe9nt', '', 'a'), // 0xE9 sorts after every ASCII byte
    ]);
    expect(got.map((a) => `${a.entry}|${a.userid}|${a.value.toString('latin1')}`)).toEqual([
      '/comment||a',
      '/comment||b',
      '/comment|alice|q',
      '/comment|bob|z',
      '/comm\xe9nt||a',
      '/vendor/x||a',
    ]);
  });

  it('keeps an exact duplicate once, with the higher modseq', () => {
    const got = syncAnnotationList([ann('/c', '', 'v', 5n), ann('/c', '', 'v', 9n), ann('/c', '', 'v', 7n)]);
    expect(got).toEqual([ann('/c', '', 'v', 9n)]);
  });

  it('mailbox annotations: only this uniqueid, no tombstones or empty values, owner token resolved', () => {
    const records = [
      { key: key('abc', '/comment', '[.OwNeR.]'), value: value('mine', 3n) },
      { key: key('abc', '/comment', ''), value: value('shared', 4n) },
      { key: key('abc', '/gone', ''), value: value('x', 5n, 1) }, // deleted flag
      { key: key('abc', '/empty', ''), value: value('', 6n) },
      { key: key('abcd', '/other', ''), value: value('not ours', 7n) },
      { key: Buffer.from('abc\0/nouser', 'latin1'), value: value('no userid part', 8n) },
    ];
    const got = mailboxAnnotations(records, 'abc', 'user.alice.Sent');
    expect(got).toEqual([ann('/comment', '', 'shared', 4n), ann('/comment', 'alice', 'mine', 3n)]);
  });

  it('record annotations: grouped by uid, uid 0 ignored, a shared mailbox\'s owner token becomes NIL', () => {
    const records = [
      { key: key('0', '/comment', ''), value: value('mailbox level', 1n) },
      { key: key('2', '/comment', '[.OwNeR.]'), value: value('owner', 2n) },
      { key: key('2', '/comment', 'bob'), value: value('bob\'s', 3n) },
      { key: key('10', '/comment', ''), value: value('ten', 4n) },
    ];
    const got = recordAnnotations(records, 'shared.team');
    expect([...got.keys()]).toEqual([2, 10]);
    expect(got.get(2)).toEqual([ann('/comment', null, 'owner', 2n), ann('/comment', 'bob', "bob's", 3n)]);
    const printed = printDlist(syncAnnotations(got.get(2)!, undefined, 17)!).toString('latin1');
    expect(printed).toBe('(%(ENTRY /comment USERID NIL MODSEQ 2 VALUE owner) %(ENTRY /comment USERID bob MODSEQ 3 VALUE bob\'s))');
  });

  it('values print as atoms, quoted strings or {n+} literals, never escaped', () => {
    const list = syncAnnotations([ann('/a', '', 'plain'), ann('/b', '', 'two words'), ann('/c', '', 'say "hi" 100%'), ann('/d', '', '')], undefined, 17)!;
    expect(printDlist(list).toString('latin1')).toBe(
      '(%(ENTRY /a USERID "" MODSEQ 0 VALUE plain) %(ENTRY /b USERID "" MODSEQ 0 VALUE "two words") ' +
        '%(ENTRY /c USERID "" MODSEQ 0 VALUE {13+}\r\nsay "hi" 100%) %(ENTRY /d USERID "" MODSEQ 0 VALUE ""))',
    );
  });

  it('virtual entries follow the stored ones, each only from the index version that has it', () => {
    const rec = { cid: 0xabcn, savedate: 1700000000, createdmodseq: 42n } as Parameters<typeof syncAnnotations>[1];
    const at = (minor: number) => syncAnnotations([ann('/comment', '', 'x', 7n)], rec, minor);
    expect(printDlist(at(17)!).toString('latin1')).toBe(
      '(%(ENTRY /comment USERID "" MODSEQ 7 VALUE x) ' +
        '%(ENTRY /vendor/cmu/cyrus-imapd/thrid USERID "" MODSEQ 0 VALUE 0000000000000abc) ' +
        '%(ENTRY /vendor/cmu/cyrus-imapd/savedate USERID "" MODSEQ 0 VALUE 1700000000) ' +
        '%(ENTRY /vendor/cmu/cyrus-imapd/createdmodseq USERID "" MODSEQ 0 VALUE 42))',
    );
    expect(asList(at(15))!.items.length).toBe(3); // no createdmodseq before v16
    expect(asList(at(13))!.items.length).toBe(2); // thrid only
    expect(asList(at(12))!.items.length).toBe(1);
    expect(syncAnnotations([], rec, 12)).toBeUndefined(); // no ANNOTATIONS key at all
  });
});
