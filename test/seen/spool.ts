// The seen fixture (real Cyrus 3.6.1 files) laid out as a Cyrus configuration: imapd.conf,
// configdirectory with mailboxes.db and fxseen's seen.db at its 3.6 uuid path, and each fixture
// mailbox folder at the uuid path its mailboxes.db entry gives. Owned by cyrus when we are root,
// since the CLI acts as cyrus then (contract "Who it runs as").
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seenFixture } from '../helpers/fixtures.js';

export interface FixtureSpool {
  root: string;
  conf: string;
  seenDb: string;
  mailboxesDb: string;
  /** uniqueid → internal name, from the fixture's ctl_mboxlist dump (tombstones left out). */
  names: Map<string, string>;
  /** name → mailbox folder in the spool. */
  folders: Map<string, string>;
  /** The fixture's own dump of the seen db (cyr_dbtool show), as uniqueid → value. */
  seenDump: Map<string, string>;
  /** The uniqueid of the deleted user.fxseen.Old (deleted-mailbox.txt). */
  deletedUniqueid: string;
  deletedName: string;
}

export const isRoot = () => process.getuid?.() === 0;

export function fixtureSpool(): FixtureSpool {
  const fx = seenFixture();
  const root = mkdtempSync(join(tmpdir(), 'cyrus-fsck-seen-'));
  chmodSync(root, 0o755);
  const confDir = join(root, 'conf');
  const spool = join(root, 'spool');
  const dump = JSON.parse(readFileSync(join(fx, 'mailboxes.db.json'), 'utf8')) as Record<string, { uniqueid: string; mbtype: string }>;
  const names = new Map<string, string>();
  for (const [name, e] of Object.entries(dump)) if (!e.mbtype.includes('d')) names.set(e.uniqueid, name);
  const deletedText = readFileSync(join(fx, 'deleted-mailbox.txt'), 'utf8');
  const deletedUniqueid = /uniqueid of deleted user\.fxseen\.Old: (\S+)/.exec(deletedText)![1]!;
  const deletedName = /deleted mailbox in mailboxes\.db: (\S+)/.exec(deletedText)![1]!;

  const seenRel = /<configdirectory>\/(\S+)/.exec(readFileSync(join(fx, 'conf-paths.txt'), 'utf8'))![1]!;
  const seenDb = join(confDir, seenRel);
  mkdirSync(join(seenDb, '..'), { recursive: true });
  cpSync(join(fx, 'conf', 'fxseen.seen.db'), seenDb);
  const mailboxesDb = join(confDir, 'mailboxes.db');
  cpSync(join(fx, 'conf', 'mailboxes.db'), mailboxesDb);

  const folders = new Map<string, string>();
  const uidOf = (name: string) => [...names].find(([, n]) => n === name)![0];
  const place = (name: string, src: string) => {
    const id = uidOf(name);
    const dst = join(spool, 'uuid', id[0]!, id[1]!, id);
    cpSync(src, dst, { recursive: true });
    folders.set(name, dst);
  };
  for (const m of ['user.fxseen', 'user.fxseen.NoSeen', 'shared.fxteam']) place(m, join(fx, m, 'mailbox'));
  place(deletedName, join(fx, 'deleted-mailbox', 'mailbox'));

  const conf = join(root, 'imapd.conf');
  writeFileSync(conf, `configdirectory: ${confDir}\npartition-default: ${spool}\n`);
  if (isRoot()) execFileSync('chown', ['-R', 'cyrus:mail', root]);

  const seenDump = new Map<string, string>();
  for (const line of readFileSync(join(fx, 'fxseen.seen.db.txt'), 'latin1').split('\n')) {
    const t = line.indexOf('\t');
    if (t > 0) seenDump.set(line.slice(0, t), line.slice(t + 1));
  }
  return { root, conf, seenDb, mailboxesDb, names, folders, seenDump, deletedUniqueid, deletedName };
}
