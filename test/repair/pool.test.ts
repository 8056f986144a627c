// Repair reads a big folder on all cores (workers/repair-files.js through FilePool) and gets the
// same answers as reading it in the main thread: on the 881 messages Cyrus 3.6.1 indexed
// (corpus-indexed), every file's size, mtime and SHA-1 — which must be the GUID Cyrus stored — and
// every parse (index fields, cache record bytes and items) are identical either way.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeIndex } from '../../src/format/index/index.js';
import { FilePool, parseFiles, parseFilesPooled, readFolder } from '../../src/repair/state.js';
import { fixture } from '../helpers/fixtures.js';

describe('repair file reading on worker threads', () => {
  const dir = join(fixture('corpus-indexed'), 'corpus-indexed', 'mailbox');
  const pool = new FilePool(2, 1);
  afterAll(() => pool.close());

  it('hashes like the main thread, and the SHA-1s are the GUIDs Cyrus stored', async () => {
    const here = await readFolder(dir);
    expect(here.files.size).toBe(881);
    const there = await readFolder(dir, pool);
    expect(pool.for(here.files.size)).toBeDefined(); // the threads really ran
    expect(there.files.size).toBe(881);
    expect([...there.files.entries()]).toEqual([...here.files.entries()]);
    expect(there.unreadable).toEqual(here.unreadable);
    expect(there.odd).toEqual(here.odd);
    const idx = decodeIndex(readFileSync(join(dir, 'cyrus.index')));
    for (const r of idx.records) expect(there.files.get(r.uid)?.sha1, `uid ${r.uid}`).toBe(r.guid);
  });

  it('parses like the main thread: same fields, same cache record bytes and items', async () => {
    const facts = await readFolder(dir, pool);
    const uids = [...facts.files.keys()];
    const here = parseFiles(facts, uids);
    const there = await parseFilesPooled(facts, uids, pool);
    expect(here.size).toBeGreaterThan(800);
    expect(there.size).toBe(here.size);
    for (const [uid, a] of here) {
      const b = there.get(uid)!;
      expect(b.record, `uid ${uid}`).toEqual(a.record);
      expect(b.cacheRecord.equals(a.cacheRecord), `uid ${uid}`).toBe(true);
      expect(b.items).toEqual(a.items);
      expect(b.warnings).toEqual(a.warnings);
    }
  }, 120_000);
});
