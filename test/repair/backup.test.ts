// Backups are never written into another backup's folder: two backups of one mailbox by one
// process within the same second (same name, time and pid) get two folders, each with its files.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBackup, readManifest } from '../../src/repair/backup.js';

describe('repair backups', () => {
  it('two backups of a mailbox in the same second get their own folders', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cyrus-fsck-backup-'));
    const first = await createBackup(root, 'user.ann', 'u1', [{ role: 'index', original: '/x/cyrus.index', data: Buffer.from('one') }]);
    const second = await createBackup(root, 'user.ann', 'u1', [{ role: 'index', original: '/x/cyrus.index', data: Buffer.from('two') }]);
    expect(second.dir).not.toBe(first.dir);
    expect(readdirSync(root)).toHaveLength(2);
    // Same second (almost always): the second folder is the first one's name with a suffix.
    if (basename(second.dir).startsWith(basename(first.dir))) expect(second.dir).toBe(`${first.dir}.2`);
    expect(readFileSync(join(first.dir, 'cyrus.index'), 'utf8')).toBe('one');
    expect(readFileSync(join(second.dir, 'cyrus.index'), 'utf8')).toBe('two');
    expect((await readManifest(second.dir)).files[0]!.size).toBe(3);
  });
});
