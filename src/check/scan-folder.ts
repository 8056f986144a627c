// Lists one mailbox folder the way Cyrus's find_files does: names starting with "." or "cyrus."
// are skipped, `<digits>.` is a message file, sub-folders are child mailboxes (legacy layout),
// anything else is an odd file. Read-only: opendir + stat only where the type is unknown.
import { readdir, stat } from 'node:fs/promises';

export interface FolderScan {
  dir: string;
  /** UIDs of the `N.` files, ascending. */
  uids: Uint32Array;
  /** Names of files Cyrus would call odd. */
  odd: string[];
  /** Names of sub-folders (real ones; symbolic links to folders are in `linkedDirs`). */
  subdirs: string[];
  linkedDirs: string[];
  /** Whether cyrus.header / cyrus.index are present in this folder (a mailbox folder). */
  hasHeader: boolean;
  hasIndex: boolean;
  /** errno code when the folder could not be listed (ENOENT, EACCES, ENOTDIR). */
  error?: string;
}

/** The UID named by a message file, or undefined when the name is not one (Cyrus's rule). */
export function messageUid(name: string): number | undefined {
  if (!/^[0-9]+\.$/.test(name)) return undefined;
  const digits = name.slice(0, -1);
  // Cyrus parses "007." as uid 7 but opens "7."; such a name is never one of its files.
  if (digits.length > 1 && digits[0] === '0') return undefined;
  const uid = Number(digits);
  return uid >= 1 && uid <= 0xffffffff ? uid : undefined;
}

export async function scanFolder(dir: string): Promise<FolderScan> {
  const uids: number[] = [];
  const odd: string[] = [];
  const subdirs: string[] = [];
  const linkedDirs: string[] = [];
  let hasHeader = false;
  let hasIndex = false;
  try {
    // One readdir per folder: the listing of one mailbox is bounded by that mailbox.
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const name = e.name;
      if (name === 'cyrus.header') hasHeader = true;
      else if (name === 'cyrus.index') hasIndex = true;
      if (name.startsWith('.') || name.startsWith('cyrus.')) continue;
      const uid = messageUid(name);
      let isDir = e.isDirectory();
      if (e.isSymbolicLink() || (!e.isFile() && !isDir && uid === undefined)) {
        // Cyrus stat()s (follows links); a name that vanished meanwhile is ignored, as Cyrus does.
        try {
          isDir = (await stat(`${dir}/${name}`)).isDirectory();
        } catch {
          continue;
        }
      }
      if (isDir) (e.isSymbolicLink() ? linkedDirs : subdirs).push(name);
      else if (uid !== undefined) uids.push(uid);
      else odd.push(name);
    }
  } catch (e) {
    return { dir, uids: new Uint32Array(0), odd, subdirs, linkedDirs, hasHeader, hasIndex, error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
  const sorted = Uint32Array.from(uids).sort();
  odd.sort();
  subdirs.sort();
  return { dir, uids: sorted, odd, subdirs, linkedDirs, hasHeader, hasIndex };
}
