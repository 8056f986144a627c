// Discovery through imapd.conf and a real mailboxes.db (the seen fixture's, written by Cyrus
// 3.6.1, which lists the index fixtures' mailboxes by their uniqueids): a partition is laid out
// in the uuid layout from the real mailbox folders, and check finds them as Cyrus would.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../src/check/discover.js';
import { copyOf, fixture, indexFixture, INDEX_VERSIONS, seenFixture } from '../helpers/fixtures.js';
import { buildDist, holdWriterLock, REPO, type JsonReport } from './helpers.js';

const CLI = join(REPO, 'bin', 'cyrus-fsck.js');

/** uniqueids mailboxes.db gives the fixtures (checked against their cyrus.header by check itself). */
const UNIQUEIDS: Record<string, string> = {
  'user.fx12': 'a0rw081s2imhau4d73rsuijz',
  'user.fx13': 'dxqgoyanhpti9eq77ols2zid',
  'user.fx14': '5zk91g53hngq9bqilz1tkv0r',
  'user.fx15': 'r9y9og2qpp1rfa6zai7nkiir',
  'user.fx16': 'okmmwlp6khyzfavg1xr45zrc',
  'user.fx17': '1j4s1g11vdryzabpaq5fa3bp',
  'user.fxseen': '4cy9s5l19ogqp6vqiiobu88o',
  'shared.fxteam': '3dv6uej4gj91v62s4giwpnmk',
};
const uuidDir = (spool: string, id: string) => join(spool, 'uuid', id[0]!, id[1]!, id);

interface Server {
  conf: string;
  spool: string;
}

/** A partition holding every mailbox whose folder the fixtures have; the rest are missing. */
function server(): Server {
  const root = mkdtempSync(join(copyOf(seenFixture()), 'server-'));
  const spool = join(root, 'spool');
  mkdirSync(join(root, 'conf'), { recursive: true });
  cpSync(join(seenFixture(), 'conf', 'mailboxes.db'), join(root, 'conf', 'mailboxes.db'));
  for (const v of INDEX_VERSIONS) cpSync(join(indexFixture(v), 'mailbox'), uuidDir(spool, UNIQUEIDS[`user.fx${v}`]!), { recursive: true });
  for (const name of ['user.fxseen', 'shared.fxteam']) cpSync(join(seenFixture(), name, 'mailbox'), uuidDir(spool, UNIQUEIDS[name]!), { recursive: true });
  const conf = join(root, 'imapd.conf');
  writeFileSync(conf, `configdirectory: ${root}/conf\npartition-default: ${spool}\nunixhierarchysep: no\n`);
  return { conf, spool };
}

function check(s: Server, args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'check', '-C', s.conf, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, doc: args.includes('--json') ? (JSON.parse(r.stdout) as JsonReport) : undefined };
}

const byMailbox = (doc: JsonReport) => Object.fromEntries(doc.mailboxes.map((m) => [m.name, m.findings.map((f) => f.code)]));

beforeAll(() => {
  buildDist();
  void fixture('corpus-indexed');
}, 120_000);

describe('check -C imapd.conf', () => {
  it('checks what mailboxes.db lists, where Cyrus keeps it; says which are missing and what it skipped', () => {
    const s = server();
    const r = check(s, ['--json', '-v']);
    expect(r.code).toBe(4);
    const found = byMailbox(r.doc!);
    for (const v of INDEX_VERSIONS) expect(found[`user.fx${v}`]).toEqual([]);
    expect(found['user.fxseen']).toEqual([]);
    expect(found['shared.fxteam']).toEqual([]);
    // Listed, but no folder on this partition (the fixture does not carry them).
    expect(found['user.fxseen.NoSeen']).toEqual(['MAILBOX_DIR_MISSING']);
    expect(found.shared).toEqual(['MAILBOX_DIR_MISSING']);
    // The tombstone of a deleted mailbox is never opened by Cyrus: skipped, and -v says so.
    expect(found['user.fxseen.Old']).toBeUndefined();
    expect(r.stderr).toMatch(/^skipped user\.fxseen\.Old: deleted/m);
    const fx17 = r.doc!.mailboxes.find((m) => m.name === 'user.fx17')!;
    expect(fx17).toMatchObject({ path: uuidDir(s.spool, UNIQUEIDS['user.fx17']!), uniqueid: UNIQUEIDS['user.fx17'], indexVersion: 17 });
  });

  it('-u, -p and patterns select', () => {
    const s = server();
    expect(check(s, ['--json', '-u', 'fx17']).doc!.mailboxes.map((m) => m.name)).toEqual(['user.fx17']);
    expect(check(s, ['--json', 'user.fx1%']).doc!.mailboxes.map((m) => m.name).sort()).toEqual(INDEX_VERSIONS.map((v) => `user.fx${v}`));
    const none = check(s, ['--json', '-p', 'nosuchpartition']);
    expect(none.code).toBe(0);
    expect(none.doc!.mailboxes).toEqual([]);
  });

  it('UNIQUEID_MISMATCH: the folder holds another mailbox than mailboxes.db says', () => {
    const s = server();
    // user.fx16's files where user.fx17's should be.
    cpSync(join(indexFixture(16), 'mailbox'), uuidDir(s.spool, UNIQUEIDS['user.fx17']!), { recursive: true, force: true });
    const r = check(s, ['--json', 'user.fx17']);
    // And, as Cyrus would compute it for user.fx17, SYNC_CRC_ANNOT: fx16's owner-private
    // annotations are hashed under the owner the name gives (fx17), not the one who wrote them.
    expect(byMailbox(r.doc!)['user.fx17']).toEqual(['UNIQUEID_MISMATCH', 'SYNC_CRC_ANNOT_MISMATCH']);
    const f = r.doc!.mailboxes[0]!.findings[0]!;
    expect(f).toMatchObject({ expected: UNIQUEIDS['user.fx17'], actual: UNIQUEIDS['user.fx16'] });
  });

  it("the archive partition's folder is listed too: odd and unindexed files there are found", () => {
    const s = server();
    const archive = join(s.spool, '..', 'archive');
    writeFileSync(s.conf, `${readFileSync(s.conf, 'utf8')}archive_enabled: yes\narchivepartition-default: ${archive}\n`);
    const adir = uuidDir(archive, UNIQUEIDS['user.fx17']!);
    mkdirSync(adir, { recursive: true });
    copyFileSync(join(indexFixture(17), 'mailbox', '3.'), join(adir, '3.')); // has a record: fine
    copyFileSync(join(indexFixture(17), 'mailbox', '3.'), join(adir, '40.'));
    writeFileSync(join(adir, 'leftover.tmp'), 'x');
    const r = check(s, ['--json', 'user.fx17']);
    expect(r.doc!.mailboxes[0]!.findings.map((f) => [f.code, f.file])).toEqual([
      ['ODD_FILE', join(adir, 'leftover.tmp')],
      ['UNINDEXED_FILE', join(adir, '40.')],
    ]);
    // Mailboxes without an archive folder are not bothered by its absence.
    expect(byMailbox(check(s, ['--json', 'user.fx16']).doc!)['user.fx16']).toEqual([]);
  });

  it('MAILBOX_UNLISTED: a folder with a cyrus.header that no entry names (reported on a full check)', () => {
    const s = server();
    const stray = uuidDir(s.spool, 'zz0000000000000000000000');
    cpSync(join(indexFixture(17), 'mailbox'), stray, { recursive: true });
    const r = check(s, ['--json']);
    const m = r.doc!.mailboxes.find((x) => x.path === stray)!;
    expect(m.name).toBe('user.fx17'); // the name its cyrus.header gives
    expect(m.findings.map((f) => f.code)).toEqual(['MAILBOX_UNLISTED']);
  });

  it("reads mailboxes.db under Cyrus's reader lock: waits out a writer, and reads anyway (saying so) if it never lets go", async () => {
    const s = server();
    const db = join(dirname(s.conf), 'conf', 'mailboxes.db');
    // The exclusive lock a Cyrus writer holds on mailboxes.db during a transaction.
    const writer = await holdWriterLock(db);
    const list = async (lockTimeoutMs: number) => {
      const notes: string[] = [];
      const names: string[] = [];
      for await (const d of discover({ mailboxes: [], config: s.conf, lockTimeoutMs }, (n) => notes.push(n))) if (!('skipped' in d)) names.push(d.name);
      return { names, notes };
    };
    const impatient = await list(200);
    expect(impatient.notes.join('\n')).toMatch(/mailboxes\.db: shared lock not granted within 200 ms; read without the lock/);
    expect(impatient.names).toContain('user.fx17');

    // The writer lets go 500 ms after the patient read began: it must have waited that long.
    const t = Date.now();
    setTimeout(() => void writer.release(), 500);
    const patient = await list(10_000);
    expect(Date.now() - t).toBeGreaterThanOrEqual(450);
    expect(patient.notes).toEqual([]);
    expect(patient.names.sort()).toEqual(impatient.names.sort());
    await writer.release();
  });
});
