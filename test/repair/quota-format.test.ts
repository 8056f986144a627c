// The quota entry codec on the forms Cyrus 3.6 reads (quota_parseval): the 3.x dlist and the
// historical "used limit" text a 2.x quotalegacy file holds, and quota_use's arithmetic (no
// usage below 0; a running quota -f scan that has passed the mailbox gets the change too).
// Cyrus-written entries are checked byte for byte in quota.test.ts.
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { applyQuotaDelta, decodeQuotaFile, decodeQuotaValue, encodeQuotaFile } from '../../src/format/quota.js';

describe('quota entries', () => {
  it('reads a 2.x quotalegacy file (used bytes, limit KB, -1 = unlimited) and writes the 3.x dlist back', () => {
    const q = decodeQuotaFile(Buffer.from('123456\n-1\n'.replace(/\n$/, '') + '\n'));
    expect(q.used).toEqual([123456n, 0n, 0n, 0n]);
    expect(q.limits).toEqual([undefined, undefined, undefined, undefined]);
    const named = decodeQuotaValue(Buffer.from('10 100 M 3 50'));
    expect(named.used).toEqual([10n, 3n, 0n, 0n]);
    expect(named.limits).toEqual([100n, 50n, undefined, undefined]);
    expect(encodeQuotaFile(named).toString()).toBe('%(S (10 100) M (3 50) AS (0) NF (0) MODSEQ 0)\n');
  });

  it('keeps a running scan and changes it only when the scan has passed the mailbox', () => {
    const q = decodeQuotaValue(Buffer.from('%(S (500 1000) M (5) AS (0) NF (2) SCAN %(MBOX user.m S 100 M 1 AS 0 NF 1) MODSEQ 7)'));
    expect(q.scan).toEqual({ mbox: 'user.m', used: [100n, 1n, 0n, 1n] });
    const passed = applyQuotaDelta(q, [-50n, -1n, 0n, 0n], 'user.a');
    expect(passed.used).toEqual([450n, 4n, 0n, 2n]);
    expect(passed.scan!.used).toEqual([50n, 0n, 0n, 1n]);
    const ahead = applyQuotaDelta(q, [-50n, -1n, 0n, 0n], 'user.z');
    expect(ahead.scan!.used).toEqual([100n, 1n, 0n, 1n]);
    expect(applyQuotaDelta(q, [-900n, 0n, 0n, 0n], 'user.z').used[0]).toBe(0n);
  });

  it('refuses what Cyrus refuses, with a FormatError', () => {
    for (const bad of ['', '%(S (1 2)', 'abc def', '%(S (x))']) {
      expect(() => decodeQuotaValue(Buffer.from(bad))).toThrow(FormatError);
    }
    expect(() => decodeQuotaFile(Buffer.from('%(S (1))'))).toThrow(/newline/);
  });
});
