// The sync log line and its append protocol (cyrus-db-seen-dlist.md §8): names quoted as
// sync_quote_name does, lines appended whole, and a log that sync_client renamed away meanwhile
// gets a fresh file instead of the renamed one.
import { mkdtempSync, readFileSync, renameSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendSyncLog, mailboxLine, syncQuoteName } from '../../src/repair/synclog.js';

describe('sync log lines', () => {
  it('quotes names as sync_quote_name does', () => {
    expect(syncQuoteName('user.fred')).toBe('user.fred');
    expect(syncQuoteName('user.fred^smith')).toBe('user.fred^smith');
    expect(syncQuoteName('user.fred.My Folder')).toBe('"user.fred.My Folder"');
    expect(syncQuoteName('user.fred.(x)')).toBe('"user.fred.(x)"');
    expect(syncQuoteName('user.a"b')).toBe('"user.a\\"b"');
    expect(syncQuoteName('user.a{1}\\b')).toBe('"user.a\\{1\\}\\\\b"');
    expect(syncQuoteName('')).toBe('""');
    expect(() => syncQuoteName('user.a\nb')).toThrow();
    expect(mailboxLine('user.fred')).toBe('MAILBOX user.fred\n');
  });

  it('creates the channel folder, appends whole lines, and follows a log renamed away', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fsck-synclog-'));
    const log = join(dir, 'sync', 'chan', 'log');
    await appendSyncLog(log, mailboxLine('user.a'), { timeoutMs: 1000 });
    await appendSyncLog(log, mailboxLine('user.b'), { timeoutMs: 1000 });
    expect(readFileSync(log, 'utf8')).toBe('MAILBOX user.a\nMAILBOX user.b\n');
    renameSync(log, `${log}-run`); // what sync_client does when it starts on the log
    await appendSyncLog(log, mailboxLine('user.c'), { timeoutMs: 1000 });
    expect(readFileSync(log, 'utf8')).toBe('MAILBOX user.c\n');
    expect(existsSync(`${log}-run`)).toBe(true);
  });
});
