// MAILBOX arguments: IMAP LIST wildcards over internal names, `/` accepted under unixhierarchysep.
import { describe, expect, it } from 'vitest';
import { patternMatcher } from '../../src/check/discover-config.js';

const names = ['user.fred', 'user.fred.Sent', 'user.fred.Sent.2024', 'user.fred^smith', 'user.freda', 'shared.team'];
const pick = (p: string, unix: boolean) => names.filter(patternMatcher(p, { unixHierarchySep: unix }));

describe('patternMatcher', () => {
  it('a plain name is that mailbox only', () => {
    expect(pick('user.fred', false)).toEqual(['user.fred']);
  });
  it('* crosses the hierarchy, % stops at it', () => {
    expect(pick('user.fred.*', false)).toEqual(['user.fred.Sent', 'user.fred.Sent.2024']);
    expect(pick('user.fred.%', false)).toEqual(['user.fred.Sent']);
    expect(pick('user.%', false)).toEqual(['user.fred', 'user.fred^smith', 'user.freda']);
  });
  it('with unixhierarchysep, / separates and . is a real dot (^ internally)', () => {
    expect(pick('user/fred/*', true)).toEqual(['user.fred.Sent', 'user.fred.Sent.2024']);
    expect(pick('user/fred.smith', true)).toEqual(['user.fred^smith']);
  });
  it('regular-expression characters in names are literal', () => {
    expect(patternMatcher('user.a+b', { unixHierarchySep: false })('user.aab')).toBe(false);
    expect(patternMatcher('user.a+b', { unixHierarchySep: false })('user.a+b')).toBe(true);
  });
});
