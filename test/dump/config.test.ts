// Config mode on real files: a mailboxes.db written by Cyrus 3.6.1 (the seen fixture's, which
// lists the index fixtures' mailboxes) and those mailboxes placed where imapd.conf says. The dump
// then takes name, uniqueid, partition, ACL and FOLDERMODSEQ from mailboxes.db (checked against
// ctl_mboxlist's dump of it) and otherwise equals the --path dump of the same folder. Also the
// line sync_client sends for an intermediate entry.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadImapdConf, mailboxDataDir } from '../../src/config/index.js';
import { DlistStreamParser, getChild, printDlist, toAtom, toNum64, type DKvList, type DlistNode } from '../../src/dlist/index.js';
import { applyIntermediate } from '../../src/dump/index.js';
import { MBTYPE } from '../../src/format/mboxlist-entry.js';
import { indexFixture, seenFixture } from '../helpers/fixtures.js';

async function cli(...args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const out: Buffer[] = [];
  const err: string[] = [];
  const [w1, w2] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((s: string | Uint8Array) => (out.push(Buffer.from(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(['node', 'cyrus-fsck', ...args]), stdout: Buffer.concat(out), stderr: err.join('') };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}
const parse = (b: Buffer): DlistNode[][] => {
  const p = new DlistStreamParser();
  return [...p.feed(b), ...p.end()];
};

interface MbJson {
  uniqueid: string;
  foldermodseq: string;
  acl: Record<string, string>;
  partition: string;
}

describe('dump through imapd.conf and a real mailboxes.db', () => {
  const root = mkdtempSync(join(tmpdir(), 'cyrus-fsck-dumpconf-'));
  const confDir = join(root, 'conf');
  cpSync(join(seenFixture(), 'conf'), confDir, { recursive: true });
  writeFileSync(join(root, 'imapd.conf'), `configdirectory: ${confDir}\npartition-default: ${join(root, 'spool')}\n`);
  const conf = loadImapdConf(join(root, 'imapd.conf'));
  const mbdb = JSON.parse(readFileSync(join(seenFixture(), 'mailboxes.db.json'), 'utf8')) as Record<string, MbJson>;
  const placed: Record<string, string> = {
    'user.fx16': join(indexFixture(16), 'mailbox'),
    'user.fx17': join(indexFixture(17), 'mailbox'),
    'shared.fxteam': join(seenFixture(), 'shared.fxteam', 'mailbox'),
  };
  for (const [name, src] of Object.entries(placed)) {
    const dir = mailboxDataDir(conf, { name, uniqueid: mbdb[name]!.uniqueid, partition: 'default', legacyDirs: false })!;
    mkdirSync(dir, { recursive: true });
    cpSync(src, dir, { recursive: true });
  }

  it('takes the mbentry fields from mailboxes.db and equals the --path dump otherwise', async () => {
    const r = await cli('dump', '-C', join(root, 'imapd.conf'), 'user.fx16', 'user.fx17', 'shared.fxteam');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = parse(r.stdout);
    expect(lines.map((l) => toAtom(getChild(l[2], 'MBOXNAME')))).toEqual(['shared.fxteam', 'user.fx16', 'user.fx17']); // mailboxes.db order
    for (const l of lines) {
      const kl = l[2] as DKvList;
      const name = toAtom(getChild(kl, 'MBOXNAME'))!;
      const e = mbdb[name]!;
      expect({
        uniqueid: toAtom(getChild(kl, 'UNIQUEID')),
        partition: toAtom(getChild(kl, 'PARTITION')),
        acl: toAtom(getChild(kl, 'ACL')),
        foldermodseq: toNum64(getChild(kl, 'FOLDERMODSEQ'))?.toString(),
      }).toEqual({
        uniqueid: e.uniqueid,
        partition: e.partition,
        acl: Object.entries(e.acl).map(([id, rights]) => `${id}\t${rights}\t`).join(''),
        foldermodseq: e.foldermodseq === '0' ? undefined : e.foldermodseq,
      });
      const p = await cli('dump', '--path', placed[name]!, '-p', 'default');
      const [pl] = parse(p.stdout);
      const without = { ...kl, items: kl.items.filter((it) => it.key !== 'FOLDERMODSEQ') };
      expect(printDlist(pl![2]!).toString('latin1')).toBe(printDlist(without).toString('latin1'));
    }
  });

  it('an intermediate entry: the mailboxes.db facts sync_do_update_mailbox sends', () => {
    const kl = applyIntermediate({ name: 'user.a.b', uniqueid: 'u1', mbtypeBits: MBTYPE.INTERMEDIATE | MBTYPE.LEGACY_DIRS, createdmodseq: 4n, foldermodseq: 9n });
    expect(printDlist(kl, { key: 'MAILBOX' }).toString('latin1')).toBe(
      'MAILBOX %(UNIQUEID u1 MBOXNAME user.a.b MBOXTYPE ei HIGHESTMODSEQ 9 CREATEDMODSEQ 4 FOLDERMODSEQ 9)',
    );
  });
});
