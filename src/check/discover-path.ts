// --path mode: mailbox folders given directly (copies, backups, forensic work), no config and no
// mailboxes.db. A folder holding cyrus.header or cyrus.index is a mailbox; every folder is walked
// for more (legacy layouts nest child mailboxes, uuid layouts hash into uuid/a/b/<id>/).
// Streams targets depth-first so a huge spool never becomes one big array. Symbolic links to
// folders inside the walk are not followed (no loops, no escaping the tree given).
import { realpath, stat } from 'node:fs/promises';
import { basename, relative } from 'node:path';
import { operationalError } from '../errors.js';
import { scanFolder } from './scan-folder.js';
import type { MailboxTarget } from './types.js';

/** Folders Cyrus keeps beside mailboxes in a partition; never mailboxes themselves. */
const NOT_MAILBOXES = new Set(['stage.', 'sync.', 'lost+found']);

export async function* discoverPaths(dirs: string[]): AsyncGenerator<MailboxTarget> {
  const roots = new Set<string>();
  for (const dir of dirs) {
    let st;
    try {
      st = await stat(dir);
    } catch (e) {
      throw operationalError(`--path ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    if (!st.isDirectory()) throw operationalError(`--path ${dir}: not a folder`);
    const root = await realpath(dir);
    // The same tree named twice (or a tree inside another given one) is checked once.
    if ([...roots].some((r) => root === r || root.startsWith(`${r}/`))) continue;
    roots.add(root);
    yield* walk(root, root, dir, true);
  }
}

async function* walk(
  folder: string,
  root: string,
  given: string,
  top: boolean,
): AsyncGenerator<MailboxTarget> {
  const scan = await scanFolder(folder);
  if (scan.error) {
    if (top) throw operationalError(`--path ${given}: cannot list: ${scan.error}`);
    return;
  }
  // A folder given directly that holds message files but no metadata is still a mailbox:
  // its missing cyrus.header / cyrus.index are what the admin needs to hear about.
  const isMailbox = scan.hasHeader || scan.hasIndex || (top && scan.uids.length > 0);
  if (isMailbox) {
    const rel = relative(root, folder);
    yield { name: rel === '' ? basename(folder) : rel, dir: folder, nameFromHeader: true, scan };
  }
  for (const sub of scan.subdirs) {
    if (NOT_MAILBOXES.has(sub)) continue;
    yield* walk(`${folder}/${sub}`, root, given, false);
  }
}
