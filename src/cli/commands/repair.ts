// `cyrus-fsck repair`: parses options, prints plans and results; the logic is in src/repair/.
import { Option, type Command } from 'commander';
import { configPath, loadConfig, type ImapdConf } from '../../config/index.js';
import { ExitCode, usageError, operationalError } from '../../errors.js';
import { outcomeCounts, type Plan } from '../../repair/plan.js';
import { dropToCyrus } from '../../repair/privileges.js';
import { repairMailbox, undoRepair, type MailboxRepair } from '../../repair/run.js';
import { readManifest } from '../../repair/backup.js';
import { selectTargets } from '../../repair/target.js';
import type { ReplicaEndpoint } from '../../repair/replica.js';
import { VERSION } from '../../version.js';
import { toJson } from '../json.js';
import type { Register } from './index.js';

interface RepairOpts {
  config?: string;
  user?: string[];
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  dryRun?: boolean;
  backupDir?: string;
  undo?: string;
  force?: boolean;
  guidMismatch: 'keep' | 'reappend' | 'discard';
  missing?: 'expunge' | 'keep';
  removeOdd?: boolean;
  lockTimeout: number;
  fromReplica?: boolean;
  replica?: string;
}

const HELP = `
What it does, per mailbox, under Cyrus's own locks (user namespace, mailbox name lock, exclusive
fcntl lock on cyrus.index), after copying cyrus.index/.cache/.header/.annotations to a backup:
  counters, SYNC_CRCs, header CRC, header_file_crc recomputed; damaged or missing cache records
  rebuilt from the message files (nothing else changes); a record with a bad CRC kept under its
  UID with its flags and dates (size, GUID… re-read from its file); a damaged index header
  salvaged from the records; files with no record appended (renamed to a new UID when theirs
  was already used); damaged keyword names recovered from earlier backups before any flag is
  cleared. Never lowers last_uid or highestmodseq, never changes UIDVALIDITY unless it is lost,
  never reuses a UID; every changed record gets a new modseq; a MAILBOX line goes to each sync
  log so rolling replication pushes the result.

Examples:
  cyrus-fsck repair --dry-run user.alice         print the plan, change nothing
  cyrus-fsck repair -C /etc/imapd.conf user.alice
  cyrus-fsck repair -u alice --json
  cyrus-fsck repair --undo /var/lib/cyrus/cyrus-fsck-backup/user.alice.20260101T000000Z.123

Exit codes:
  0   nothing to do          1   everything repaired
  4   something left or lost (see the report; --dry-run: something to do)
  8   operational error (lock not granted in time, config, permissions)
  16  usage error            32  interrupted: locks released, cyrus.index unchanged
`;

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 86400) throw usageError(`--lock-timeout wants seconds (0 < n ≤ 86400), not "${v}"`);
  return n;
}

export const register: Register = (program: Command, outcome) => {
  const cmd = program
    .command('repair')
    .summary('replication-safe repair under Cyrus locks, with backups')
    .description('Replication-safe repair of what check finds, under Cyrus\'s locks, with a backup of every metadata file first.')
    .argument('[mailbox...]', "mailboxes in Cyrus's internal form (user.fred.Sent); * and % wildcards")
    .option('-C, --config <file>', 'imapd.conf to read (default /etc/imapd.conf, then $CYRUS_CONFIG)')
    .option('-u, --user <userid...>', 'every mailbox of these users')
    .option('--json', 'one JSON document on stdout')
    .option('-q, --quiet', 'print only what was left or lost')
    .option('-v, --verbose', 'say more')
    .option('-n, --dry-run', 'print the plan, write nothing')
    .option('--backup-dir <dir>', 'where backups go (default <configdirectory>/cyrus-fsck-backup)')
    .option('--undo <backup>', 'put back the files of this backup (under the same locks)')
    .option('--force', 'with --undo: restore even if Cyrus changed the mailbox since')
    .addOption(new Option('--guid-mismatch <mode>', 'file content ≠ record: keep and report, re-append under a new UID (Cyrus -R), or discard into the backup (Cyrus -U)').choices(['keep', 'reappend', 'discard']).default('keep'))
    .addOption(new Option('--missing <mode>', 'live record whose file is gone: expunge (default without a replica) or keep (default when sync_host is set)').choices(['expunge', 'keep']))
    .option('--remove-odd', 'move odd files into the backup (default: report only)')
    .option('--from-replica', "use the replica (read-only, over Cyrus's sync protocol): missing or damaged message files fetched and checked against their GUID, flags of messages that lost their record")
    .option('--replica <host:port>', 'the replica for --from-replica (default: sync_host/sync_port of imapd.conf; login sync_authname/sync_password)')
    .option('--lock-timeout <seconds>', 'give up waiting for a Cyrus lock after this long (exit 8)', seconds, 30);
  cmd.addHelpText('after', HELP);
  cmd.action(async (mailboxes: string[], opts: RepairOpts) => {
    const conf = loadConfig(configPath(opts.config));
    dropToCyrus();
    const backupRoot = opts.backupDir ?? `${conf.configDirectory}/cyrus-fsck-backup`;
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const lock = { timeoutMs: opts.lockTimeout * 1000, signal: ac.signal };
    try {
      if (opts.undo) {
        if (mailboxes.length || opts.user) throw usageError('--undo takes only the backup folder');
        const m = await readManifest(opts.undo).catch((e) => {
          throw operationalError(`--undo ${opts.undo}: ${(e as Error).message}`);
        });
        const [t] = await selectTargets(conf, [m.mailbox]);
        const r = await undoRepair(opts.undo, t!, lock, opts.force);
        if (opts.json) process.stdout.write(toJson({ tool: 'cyrus-fsck', version: VERSION, command: 'repair --undo', ...r }) + '\n');
        else if (r.error) process.stderr.write(`cyrus-fsck: ${r.name}: undo failed: ${r.error}\n`);
        else process.stdout.write(`${r.name}: restored ${r.restored.length} files from ${opts.undo}\n`);
        outcome.code = r.interrupted ? ExitCode.INTERRUPTED : r.error ? ExitCode.OPERATIONAL : ExitCode.REPAIRED;
        return;
      }
      const targets = await selectTargets(conf, mailboxes, opts.user);
      const missing = opts.missing ?? (conf.raw('sync_host') ? 'keep' : 'expunge');
      const options = { guidMismatch: opts.guidMismatch, missing, removeOdd: !!opts.removeOdd } as const;
      const replica = opts.fromReplica || opts.replica ? replicaEndpoint(conf, opts) : undefined;
      const results: MailboxRepair[] = [];
      for (const t of targets) {
        if (ac.signal.aborted) break;
        const r = await repairMailbox(t, { dryRun: !!opts.dryRun, options, backupRoot, lock, onStep: testHook(), replica });
        results.push(r);
        if (!opts.json) printHuman(r, opts);
        if (r.interrupted) break;
      }
      if (opts.json) process.stdout.write(toJson(jsonDoc(results, !!opts.dryRun)) + '\n');
      outcome.code = exitCode(results, !!opts.dryRun, ac.signal.aborted);
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
};

function replicaEndpoint(conf: ImapdConf, opts: RepairOpts): ReplicaEndpoint {
  const [h, p] = opts.replica ? [opts.replica.slice(0, opts.replica.lastIndexOf(':')), opts.replica.slice(opts.replica.lastIndexOf(':') + 1)] : [conf.sync('sync_host'), conf.sync('sync_port')];
  if (!h) throw usageError('--from-replica: no sync_host in imapd.conf; give --replica HOST:PORT');
  const port = Number(p || 2005);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw usageError(`--replica: bad port "${p}"`);
  const authname = conf.sync('sync_authname');
  const password = conf.sync('sync_password');
  if (!authname || password === undefined) throw usageError('--from-replica: imapd.conf has no sync_authname/sync_password to log in with');
  return { host: h, port, authname, password, timeoutMs: opts.lockTimeout * 1000 };
}

function exitCode(results: MailboxRepair[], dryRun: boolean, aborted: boolean): number {
  if (aborted || results.some((r) => r.interrupted)) return ExitCode.INTERRUPTED;
  if (results.some((r) => r.error)) return ExitCode.OPERATIONAL;
  const plans = results.map((r) => r.plan).filter((p): p is Plan => !!p);
  const c = plans.map(outcomeCounts);
  if (c.some((x) => x.left || x.lost)) return ExitCode.PROBLEMS_LEFT;
  if (plans.every((p) => p.noop)) return ExitCode.OK;
  return dryRun ? ExitCode.PROBLEMS_LEFT : ExitCode.REPAIRED;
}

function jsonDoc(results: MailboxRepair[], dryRun: boolean) {
  const totals = { fixed: 0, left: 0, lost: 0 };
  const mailboxes = results.map((r) => {
    const c = r.plan ? outcomeCounts(r.plan) : { fixed: 0, left: 0, lost: 0 };
    totals.fixed += c.fixed;
    totals.left += c.left;
    totals.lost += c.lost;
    return {
      name: r.name,
      applied: r.applied,
      nothingToDo: r.plan?.noop ?? false,
      backup: r.backup,
      syncLogged: r.syncLogged,
      error: r.error,
      notes: r.notes,
      before: r.plan?.before,
      after: r.plan?.after,
      counts: c,
      actions: r.plan?.actions ?? [],
      removedRecords: r.plan?.removedRecords.map((x) => ({ uid: x.uid, why: x.why, guid: x.record.guid, modseq: x.record.modseq, internaldate: x.record.internaldate, systemFlags: x.record.systemFlags, userFlags: x.record.userFlags })) ?? [],
    };
  });
  return { tool: 'cyrus-fsck', version: VERSION, command: 'repair', dryRun, mailboxes, summary: { mailboxes: results.length, ...totals } };
}

function printHuman(r: MailboxRepair, o: RepairOpts): void {
  const out = process.stdout;
  if (r.error) {
    process.stderr.write(`cyrus-fsck: ${r.name}: ${r.lockTimeout ? 'lock timeout: ' : r.interrupted ? 'interrupted: ' : ''}${r.error} (mailbox unchanged)\n`);
    return;
  }
  for (const n of r.notes) process.stderr.write(`cyrus-fsck: ${r.name}: ${n}\n`);
  const p = r.plan!;
  if (p.noop) {
    if (!o.quiet) out.write(`${r.name}: nothing to do\n`);
    return;
  }
  const c = outcomeCounts(p);
  const verb = o.dryRun ? 'would fix' : 'fixed';
  if (!o.quiet) out.write(`${r.name}: ${c.fixed} ${verb}, ${c.left} left, ${c.lost} lost${r.backup ? ` (backup ${r.backup})` : ''}\n`);
  for (const a of p.actions) {
    if (o.quiet && a.outcome === 'fixed') continue;
    const where = a.uid !== undefined ? ` uid ${a.uid}${a.newUid ? ` → ${a.newUid}` : ''}` : '';
    out.write(`  ${a.outcome.padEnd(5)}${where} ${a.kind}: ${a.message}${a.modseq !== undefined ? ` [modseq ${a.modseq}]` : ''}\n`);
  }
  if (!o.quiet && !o.dryRun && r.syncLogged.length) out.write(`  sync log: MAILBOX ${r.name} → ${r.syncLogged.join(', ')}\n`);
}

/**
 * For the crash and lock tests only: CYRUS_FSCK_TEST_HOOK=<step>:sleep:<ms> or <step>:kill
 * pauses, or SIGKILLs this process, right after that repair step (locked, verified, cache,
 * file-ops, header, index).
 */
function testHook(): ((step: string) => Promise<void>) | undefined {
  const spec = process.env.CYRUS_FSCK_TEST_HOOK;
  if (!spec) return undefined;
  const [at, what, arg] = spec.split(':');
  return async (step) => {
    if (step !== at) return;
    if (what === 'kill') process.kill(process.pid, 'SIGKILL');
    // A kill at a chosen moment of the writes that follow this step (inside fsync, rename…).
    if (what === 'killafter') setTimeout(() => process.kill(process.pid, 'SIGKILL'), Number(arg)).unref();
    if (what === 'sleep') await new Promise((r) => setTimeout(r, Number(arg)));
  };
}
