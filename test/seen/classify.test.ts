// The verdict table (spec §6.3/§6.4, issue 7) case by case.
import { describe, expect, it } from 'vitest';
import { classifySeenEntry, inScope, parseSeenValue, type MailboxFacts } from '../../src/seen/classify.js';

const mb = (over: Partial<MailboxFacts> = {}): MailboxFacts => ({
  name: 'user.fred.Work',
  owner: 'fred',
  delayedDelete: false,
  remote: false,
  index: { minorVersion: 17, sharedSeen: false },
  ...over,
});

describe('classifySeenEntry', () => {
  it('owner entry of a v12+ mailbox is obsolete (internal seen), for every version 12-20', () => {
    for (let v = 12; v <= 20; v++) expect(classifySeenEntry('fred', 'u1', mb({ index: { minorVersion: v, sharedSeen: false } })).verdict).toBe('SEEN_OWNER_OBSOLETE');
  });
  it('owner entry below version 12 is the owner state itself: kept', () => {
    for (const v of [6, 9, 10, 11]) {
      const c = classifySeenEntry('fred', 'u1', mb({ index: { minorVersion: v, sharedSeen: false } }));
      expect(c.verdict).toBe('keep');
      expect(c.reason).toMatch(`version ${v}`);
    }
  });
  it('shared seen keeps the owner entry', () => {
    expect(classifySeenEntry('fred', 'u1', mb({ index: { minorVersion: 17, sharedSeen: true } })).verdict).toBe('keep');
  });
  it('other users, anyone, shared mailboxes: kept', () => {
    expect(classifySeenEntry('barney', 'u1', mb()).verdict).toBe('keep');
    expect(classifySeenEntry('anyone', 'u1', mb()).verdict).toBe('keep');
    expect(classifySeenEntry('fred', 'u1', mb({ name: 'shared.team', owner: null })).verdict).toBe('keep');
  });
  it('delayed-deleted mailbox of the owner: still the owner\'s, so obsolete at v12+ (the fixture README\'s user.fxseen.Old)', () => {
    const c = classifySeenEntry('fred', 'u1', mb({ name: 'DELETED.user.fred.Old.6B0B1551', delayedDelete: true }));
    expect(c.verdict).toBe('SEEN_OWNER_OBSOLETE');
    expect(c.reason).toMatch(/delayed delete/);
    expect(classifySeenEntry('barney', 'u1', mb({ name: 'DELETED.user.fred.Old.6B0B1551', delayedDelete: true })).verdict).toBe('keep');
  });
  it('no mailbox with the uniqueid: gone, for any user', () => {
    for (const u of ['fred', 'barney', 'anyone']) expect(classifySeenEntry(u, 'u1', null).verdict).toBe('SEEN_MAILBOX_GONE');
  });
  it('unreadable index or a remote mailbox: kept', () => {
    expect(classifySeenEntry('fred', 'u1', mb({ index: { error: 'ENOENT' } })).verdict).toBe('keep');
    expect(classifySeenEntry('fred', 'u1', mb({ remote: true })).verdict).toBe('keep');
  });
  it('--only scopes', () => {
    expect(inScope('SEEN_OWNER_OBSOLETE', 'owner')).toBe(true);
    expect(inScope('SEEN_OWNER_OBSOLETE', 'gone')).toBe(false);
    expect(inScope('SEEN_MAILBOX_GONE', 'gone')).toBe(true);
    expect(inScope('keep', 'all')).toBe(false);
  });
  it('parses seen values, including an empty seen set', () => {
    expect(parseSeenValue(Buffer.from('1 1795888462 3 1795888461 '))).toEqual({ version: 1, lastread: 1795888462, lastuid: 3, lastchange: 1795888461, seenuids: '' });
    expect(parseSeenValue(Buffer.from('1 5 12 4 1:2,5:7'))!.seenuids).toBe('1:2,5:7');
    expect(parseSeenValue(Buffer.from('2 5 12 4 1'))).toBeNull();
    expect(parseSeenValue(Buffer.from('garbage'))).toBeNull();
  });
});

describe('classifySeenEntry with an incompletely resolved mailboxes.db', () => {
  it('never calls an entry gone when some mailbox uniqueid is unknown', () => {
    const c = classifySeenEntry('fred', 'u1', null, 'user.fred.X: uniqueid unknown');
    expect(c.verdict).toBe('keep');
    expect(c.reason).toMatch(/could not be fully resolved/);
    expect(classifySeenEntry('fred', 'u1', mb(), 'x').verdict).toBe('SEEN_OWNER_OBSOLETE');
  });
});
