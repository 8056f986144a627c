// `seen-cleanup --restore FILE`: puts the entries a cleanup removed back into the database the
// restore file names, under that database's exclusive lock and with the same checkpoint-style
// rewrite as the removal. An entry that exists again with a different value (Cyrus wrote new seen
// state for it since, e.g. after a downgrade) is left as Cyrus wrote it and reported as a
// conflict; an identical one counts as already there.
import { readFile } from 'node:fs/promises';
import type { ImapdConf } from '../config/index.js';
import { compareKeys, type DbRecord } from '../db/index.js';
import { lockDbFile, rewriteLockedDb, type LockWait } from '../db/locked.js';
import { FormatError } from '../errors.js';
import { inspectSeenDb } from './apply.js';
import { decodeRestoreFile } from './restore-file.js';

export interface RestoreReport {
  file: string;
  db: string;
  user: string | null;
  restored: string[];
  alreadyThere: string[];
  /** Keys present with another value: left alone. */
  conflicts: Array<{ uniqueid: string; current: string; saved: string }>;
  error?: string;
}

export async function restoreSeen(conf: ImapdConf, file: string, wait: LockWait): Promise<RestoreReport> {
  let parsed;
  try {
    parsed = decodeRestoreFile(await readFile(file), file);
  } catch (e) {
    if (e instanceof FormatError || (e as NodeJS.ErrnoException).code) {
      return { file, db: '', user: null, restored: [], alreadyThere: [], conflicts: [], error: (e as Error).message };
    }
    throw e;
  }
  const { header, records } = parsed;
  const report: RestoreReport = { file, db: header.db, user: header.user, restored: [], alreadyThere: [], conflicts: [] };
  let held;
  try {
    held = await lockDbFile(header.db, true, wait);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ...report, error: `${header.db} no longer exists` };
    throw e;
  }
  try {
    const seen = inspectSeenDb(held.bytes, header.db, conf.seenstateDb);
    if ('problem' in seen) return { ...report, error: `${header.db}: ${seen.problem}; not changed` };
    const byKey = new Map(seen.records.map((r) => [r.key.toString('latin1'), r]));
    const add: DbRecord[] = [];
    for (const r of records) {
      const k = r.key.toString('latin1');
      const cur = byKey.get(k);
      if (!cur) add.push(r), report.restored.push(k);
      else if (cur.value.equals(r.value)) report.alreadyThere.push(k);
      else report.conflicts.push({ uniqueid: k, current: cur.value.toString('latin1'), saved: r.value.toString('latin1') });
    }
    if (add.length) {
      const all = [...seen.records, ...add].sort((a, b) => compareKeys('raw', a.key, b.key));
      await rewriteLockedDb(held, seen.backend, all);
    }
    return report;
  } finally {
    await held.release();
  }
}
