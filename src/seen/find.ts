// Every user's seen databases, in both layouts Cyrus 3.6 may have left (spec §6.1, §6.4 step 2):
//   legacy  <configdirectory>[/domain/<h>/<domain>]/user/<h>/<localpart>.seen   (2.x, legacy dirs,
//           and 3.6 users without an INBOX such as `anyone`, or a replica before the INBOX arrived)
//   uuid    <configdirectory>/user/uuid/<u0>/<u1>/<INBOX uniqueid>/seen.db     (3.6 default)
// A user may have both: the one userFilePath() names is the active one Cyrus reads and writes;
// the other is a stale leftover, which we still clean (a downgrade could read it again).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { userFilePath, type ImapdConf } from '../config/index.js';
import { inboxOwner, type Inventory } from './inventory.js';

export interface SeenDbFile {
  path: string;
  /** The user the file belongs to; null for a uuid folder whose INBOX is gone (user deleted). */
  user: string | null;
  layout: 'uuid' | 'legacy';
  /** Cyrus 3.6 reads and writes this file for the user (the other layout's file is stale). */
  active: boolean;
}

async function entries(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Legacy `.seen` files under `<root>/user/<h>/`, with their domain (null = default domain). */
async function legacyFiles(root: string, domain: string | null, out: Array<{ path: string; user: string }>): Promise<void> {
  for (const h of await entries(join(root, 'user'))) {
    if (!h.isDirectory() || h.name === 'uuid') continue;
    for (const f of await entries(join(root, 'user', h.name))) {
      if (!f.isFile() || !f.name.endsWith('.seen') || f.name.length === 5) continue;
      const local = f.name.slice(0, -5);
      out.push({ path: join(root, 'user', h.name, f.name), user: domain ? `${local}@${domain}` : local });
    }
  }
}

export async function findSeenDbs(conf: ImapdConf, inv: Inventory): Promise<SeenDbFile[]> {
  const root = conf.configDirectory;
  const legacy: Array<{ path: string; user: string }> = [];
  await legacyFiles(root, null, legacy);
  for (const hd of await entries(join(root, 'domain'))) {
    if (!hd.isDirectory()) continue;
    for (const d of await entries(join(root, 'domain', hd.name))) {
      if (d.isDirectory()) await legacyFiles(join(root, 'domain', hd.name, d.name), d.name, legacy);
    }
  }
  const found: SeenDbFile[] = [];
  const uuidRoot = join(root, 'user', 'uuid');
  for (const a of await entries(uuidRoot)) {
    if (!a.isDirectory()) continue;
    for (const b of await entries(join(uuidRoot, a.name))) {
      if (!b.isDirectory()) continue;
      for (const id of await entries(join(uuidRoot, a.name, b.name))) {
        if (!id.isDirectory()) continue;
        const dir = join(uuidRoot, a.name, b.name, id.name);
        if (!(await entries(dir)).some((f) => f.isFile() && f.name === 'seen.db')) continue;
        found.push({ path: join(dir, 'seen.db'), user: inboxOwner(conf, inv, id.name), layout: 'uuid', active: false });
      }
    }
  }
  for (const l of legacy) found.push({ ...l, layout: 'legacy', active: false });
  const inboxes = new Map<string, { uniqueid: string; legacyDirs: boolean }>();
  for (const [uniqueid, m] of inv.byUniqueid) {
    const owner = inboxOwner(conf, inv, uniqueid);
    // a 2.x mailboxes.db (no db-names) means the legacy layout throughout
    if (owner !== null) inboxes.set(owner, { uniqueid, legacyDirs: m.legacyDirs || m.dbname === null });
  }
  for (const f of found) {
    if (f.user === null) continue;
    const inbox = inboxes.get(f.user);
    const active = userFilePath(conf, f.user, 'seen', inbox ?? null);
    f.active = active === f.path;
  }
  return found.sort((x, y) => (x.user ?? '').localeCompare(y.user ?? '') || x.path.localeCompare(y.path));
}
