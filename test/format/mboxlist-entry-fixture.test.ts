// The seen fixture's mailboxes.db (written by Cyrus 3.6.1): every record decodes, and the N
// records give exactly what Cyrus's own decoder printed (ctl_mboxlist -d → mailboxes.db.json).
// Read both from cyr_dbtool's raw dump and from the twoskip file itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDb } from '../../src/db/index.js';
import { parseStrict, printDlist } from '../../src/dlist/index.js';
import {
  decodeMboxlistRecord,
  detectMboxlistGeneration,
  encodeMboxlistValue,
  listMailboxes,
  type MboxEntry,
} from '../../src/format/mboxlist-entry.js';
import { ctlMboxlistView } from './mboxlist-entry-view.js';
import { seenFixture } from '../helpers/fixtures.js';

/** `cyr_dbtool … show`: one `key TAB value LF` per record, raw bytes. */
function dumpRecords(): Array<{ key: Buffer; value: Buffer }> {
  const raw = readFileSync(join(seenFixture(), 'mailboxes.db.cyr_dbtool.txt'));
  const out: Array<{ key: Buffer; value: Buffer }> = [];
  let p = 0;
  while (p < raw.length) {
    const lf = raw.indexOf(0x0a, p);
    const line = raw.subarray(p, lf < 0 ? raw.length : lf);
    const tab = line.indexOf(0x09);
    out.push({ key: Buffer.from(line.subarray(0, tab)), value: Buffer.from(line.subarray(tab + 1)) });
    p = lf < 0 ? raw.length : lf + 1;
  }
  return out;
}

const dbRecords = () => readDb(readFileSync(join(seenFixture(), 'conf', 'mailboxes.db'))).records;
const expected = () => JSON.parse(readFileSync(join(seenFixture(), 'mailboxes.db.json'), 'utf8')) as Record<string, unknown>;

describe.each([
  ['cyr_dbtool dump', dumpRecords],
  ['twoskip file', dbRecords],
])('mailboxes.db of the seen fixture, read from the %s', (_src, records) => {
  it('is recognised as the 3.6 layout', () => {
    expect(detectMboxlistGeneration(records())).toBe('3.6');
  });

  it('decodes every record, with no anomalies', () => {
    const recs = records();
    expect(recs.length).toBe(23);
    const kinds = recs.map((r) => decodeMboxlistRecord(r.key, r.value, '3.6'));
    expect(kinds.filter((k) => k.kind === 'name').length).toBe(12);
    expect(kinds.filter((k) => k.kind === 'id').length).toBe(11);
    for (const k of kinds) if (k.kind === 'name' || k.kind === 'id') expect(k.entry.anomalies).toEqual([]);
  });

  it('N records decode to exactly what ctl_mboxlist -d printed', () => {
    const ours: Record<string, unknown> = {};
    for (const r of records()) {
      const d = decodeMboxlistRecord(r.key, r.value, '3.6');
      if (d.kind === 'name') ours[d.name] = ctlMboxlistView(d.name, d.entry);
    }
    expect(ours).toEqual(expected());
  });

  it('I records agree with their N records and carry the rename history', () => {
    const byName = new Map<string, MboxEntry>();
    const byId = new Map<string, MboxEntry>();
    for (const r of records()) {
      const d = decodeMboxlistRecord(r.key, r.value, '3.6');
      if (d.kind === 'name') byName.set(d.dbname, d.entry);
      if (d.kind === 'id') byId.set(d.uniqueid, d.entry);
    }
    for (const [uid, e] of byId) {
      const n = byName.get(e.dbname!)!;
      expect(n.uniqueid).toBe(uid);
      expect(n.partition).toBe(e.partition);
    }
    // the delayed-delete moved user.fxseen.Old; the I record remembers the old name
    const old = byId.get('4zwp06twcyi8ogqsr10zprji')!;
    expect(old.dbname).toBe('DELETED\x1fuser\x1ffxseen\x1fOld\x1f6B0B1551');
    expect(old.history).toEqual([
      {
        name: 'user.fxseen.Old',
        dbname: 'user\x1ffxseen\x1fOld',
        mtime: 1795888465,
        uidvalidity: 1795888462,
        createdmodseq: 1n,
        foldermodseq: 10n,
        mbtype: 'ed',
        partition: null,
      },
    ]);
  });

  it('every N and I value re-encodes byte for byte (mboxlist_entry_dlist)', () => {
    for (const r of records()) {
      const d = decodeMboxlistRecord(r.key, r.value, '3.6');
      if (d.kind === 'name') expect(encodeMboxlistValue(d.entry, 'name').toString('latin1')).toBe(r.value.toString('latin1'));
      if (d.kind === 'id') expect(encodeMboxlistValue(d.entry, 'id').toString('latin1')).toBe(r.value.toString('latin1'));
    }
  });

  it('every value prints back byte for byte (parse → print)', () => {
    for (const r of records()) {
      if (r.value.length === 0) continue;
      expect(printDlist(parseStrict(r.value).node).toString('latin1')).toBe(r.value.toString('latin1'));
    }
  });

  it('listMailboxes gives name, uniqueid, partition, type, owner and flags', () => {
    const list = [...listMailboxes(records())];
    expect(list.map((m) => m.name).sort()).toEqual(Object.keys(expected()).sort());
    const tomb = list.find((m) => m.name === 'user.fxseen.Old')!;
    expect(tomb).toMatchObject({ deleted: true, partition: null, uniqueid: '4zwp06twcyi8ogqsr10zprji', owner: 'fxseen' });
    const moved = list.find((m) => m.name === 'DELETED.user.fxseen.Old.6B0B1551')!;
    expect(moved).toMatchObject({ deleted: false, partition: 'default', owner: 'fxseen', kind: 'email' });
    expect(list.find((m) => m.name === 'shared.fxteam')).toMatchObject({ owner: null, uniqueid: '3dv6uej4gj91v62s4giwpnmk' });
    expect(list.find((m) => m.name === 'user.fx12')).toMatchObject({
      owner: 'fx12',
      dbname: 'user\x1ffx12',
      intermediate: false,
      remote: false,
      acl: 'fx12\tlrswipkxtecdan\t',
      uidvalidity: 1795888450,
    });
  });
});
