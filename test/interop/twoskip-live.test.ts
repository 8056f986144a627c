// Our twoskip reader against the databases a live Cyrus 3.6.1 keeps: mailboxes.db, annotations.db,
// every user's seen.db, every mailbox's cyrus.annotations. What readTwoskip returns, printed the
// way `cyr_dbtool <db> twoskip show` prints (key TAB value LF), equals that tool's output byte for
// byte — after population, and again after the replica received everything over sync.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readTwoskip } from '../../src/db/twoskip.js';
import { describeInterop } from '../harness/env.js';
import { CyrusInstance } from '../harness/instance.js';
import { populate } from '../harness/populate.js';
import { cyrDbtool, listMailboxes, mbpath, syncAll } from '../harness/tools.js';

/** Every twoskip file of an instance worth comparing, by path. */
async function twoskipFiles(inst: CyrusInstance): Promise<string[]> {
  const files = [inst.configPath('mailboxes.db'), inst.configPath('annotations.db')];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e === 'seen.db' || e.endsWith('.seen')) files.push(p);
    }
  };
  walk(inst.configPath('user'));
  for (const mb of await listMailboxes(inst)) files.push(join(await mbpath(inst, mb), 'cyrus.annotations'));
  return files.filter((f) => {
    try {
      return statSync(f).size > 0;
    } catch {
      return false; // a mailbox without annotations has no cyrus.annotations
    }
  });
}

function printed(records: { key: Buffer; value: Buffer }[]): Buffer {
  return Buffer.concat(records.flatMap((r) => [r.key, Buffer.from('\t'), r.value, Buffer.from('\n')]));
}

async function expectSameAsCyrus(inst: CyrusInstance): Promise<number> {
  const files = await twoskipFiles(inst);
  let records = 0;
  for (const f of files) {
    const ours = readTwoskip(readFileSync(f), f);
    const cyrus = (await cyrDbtool(inst, f, 'twoskip', 'show')).stdoutBytes;
    expect(printed(ours.records).toString('latin1'), f).toBe(cyrus.toString('latin1'));
    records += ours.records.length;
  }
  return records;
}

describeInterop('twoskip reader against live Cyrus databases', () => {
  let master: CyrusInstance;
  let replica: CyrusInstance;
  beforeAll(async () => {
    ({ master, replica } = await CyrusInstance.startPair({ name: 'twoskip' }));
    await populate(master, { seed: 2024, users: ['fay', 'gus', 'hal'], messages: 10 });
  });
  afterAll(async () => {
    await master?.stop();
    await replica?.stop();
  });

  it('reads mailboxes.db, annotations.db, seen.db and cyrus.annotations as cyr_dbtool shows them', async () => {
    const files = await twoskipFiles(master);
    // mailboxes.db, annotations.db, three users' seen.db, and several cyrus.annotations
    expect(files.filter((f) => f.endsWith('seen.db')).length).toBe(3);
    expect(files.filter((f) => f.endsWith('cyrus.annotations')).length).toBeGreaterThanOrEqual(4);
    expect(await expectSameAsCyrus(master)).toBeGreaterThan(50);
  });

  it('reads the replica databases that sync_server wrote', async () => {
    await syncAll(master);
    expect(await expectSameAsCyrus(replica)).toBeGreaterThan(30);
  });
});
