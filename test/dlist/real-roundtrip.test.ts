// Every dlist Cyrus 3.6.1 wrote into the fixtures (cyrus.header lines, mailboxes.db values)
// reads with both readers to the same tree and prints back to the same bytes.
import { describe, expect, it } from 'vitest';
import { parseDlist, parseStrict, printDlist } from '../../src/dlist/index.js';
import { headerDlists, mboxlistValues } from './corpus.js';

describe.each([
  ['cyrus.header lines', headerDlists],
  ['mailboxes.db values', mboxlistValues],
])('%s', (_what, corpus) => {
  it('are present', () => {
    expect(corpus().length).toBeGreaterThanOrEqual(10);
  });

  it('parse the same with the stream and the strict reader', () => {
    for (const d of corpus()) expect(parseDlist(d).node).toEqual(parseStrict(d).node);
  });

  it('print back byte for byte', () => {
    for (const d of corpus()) expect(printDlist(parseDlist(d).node).toString('latin1')).toBe(d.toString('latin1'));
  });
});
