// Contract "Who it runs as": started as root, repair acts as the Cyrus user, so every file it
// creates (lock files, .NEW files, backups, sync log) belongs to cyrus, as Cyrus's own would.
import { readFileSync } from 'node:fs';
import { operationalError } from '../errors.js';

/** uid/gid of `user` from /etc/passwd, or undefined. */
export function lookupUser(user: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

/** When running as root: become `user` (default cyrus), groups included. No-op otherwise. */
export function dropToCyrus(user = 'cyrus'): void {
  if (process.getuid?.() !== 0) return;
  const ids = lookupUser(user);
  if (!ids) throw operationalError(`running as root and there is no user "${user}" to act as`);
  (process as unknown as { initgroups?: (u: string, g: number) => void }).initgroups?.(user, ids.gid);
  process.setgid!(ids.gid);
  process.setuid!(ids.uid);
}
