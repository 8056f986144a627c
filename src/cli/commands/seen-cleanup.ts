// `cyrus-fsck seen-cleanup`: lists (default) or removes (--apply) obsolete seen-database entries;
// `--restore FILE...` puts removed ones back. The logic lives in src/seen/.
import { Option, type Command } from 'commander';
import { configPath, loadConfig, type ImapdConf } from '../../config/index.js';
import { ExitCode, operationalError, usageError } from '../../errors.js';
import { LockAborted, LockTimeout } from '../../repair/locks.js';
import { dropToCyrus } from '../../repair/privileges.js';
import type { SeenScope } from '../../seen/classify.js';
import { cleanSeenDb, RestoreFolder, type SeenDbReport } from '../../seen/apply.js';
import { findSeenDbs } from '../../seen/find.js';
import { loadInventory, type Inventory } from '../../seen/inventory.js';
import { restoreSeen, type RestoreReport } from '../../seen/restore.js';
import { VERSION } from '../../version.js';
import { toJson } from '../json.js';
import type { Register } from './index.js';

interface SeenOpts {
  config?: string;
  allUsers?: boolean;
  only?: 'owner' | 'gone';
  apply?: boolean;
  restore?: string[];
  restoreDir?: string;
  lockTimeout: number;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

const HELP = `
Since index version 12 a mailbox owner's \\Seen lives in cyrus.index, so the owner's entries in
the seen database are dead weight (they matter again only after a downgrade below version 12);
and Cyrus never removes other users' entries when a mailbox is deleted.

Listed (and removed with --apply):
  SEEN_OWNER_OBSOLETE  the user owns the mailbox, its index is v12+ and it has no shared seen
  SEEN_MAILBOX_GONE    no mailbox in mailboxes.db has the entry's uniqueid
Everything else stays: other users' seen state on shared mailboxes above all.

--apply writes a restore file per database first (cyr_dbtool batch format), then removes the
entries under the database's lock, the way Cyrus's checkpoint rewrites it. Put them back with
  cyrus-fsck seen-cleanup --restore FILE...      or   cyr_dbtool <db> twoskip batch < FILE
Nothing is written to the sync log: run it on the master and on each replica.

Exit codes: dry run 0 nothing obsolete · 4 obsolete entries listed (or a damaged seen db);
--apply 1 removed · 0 nothing to remove · 4 a damaged seen db left; --restore 0 all back ·
4 conflicts left; 8 operational error (lock timeout …) · 16 usage · 32 interrupted
`;

const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw usageError(`--lock-timeout wants seconds > 0, not "${v}"`);
  return n;
};

export const register: Register = (program: Command, outcome) => {
  const cmd = program
    .command('seen-cleanup')
    .summary('find (default) or remove (--apply) obsolete seen-database entries')
    .description('Lists seen-database entries made obsolete by internal seen or by deleted mailboxes;\nremoves them with --apply (after writing a restore file).')
    .argument('[user...]', 'userids whose seen databases to look at')
    .option('-C, --config <file>', 'imapd.conf to read (default /etc/imapd.conf, then $CYRUS_CONFIG)')
    .option('--all-users', 'every seen database under configdirectory')
    .addOption(new Option('--only <kind>', 'only owner entries made obsolete by internal seen, or only entries of deleted mailboxes').choices(['owner', 'gone']))
    .option('--apply', 'remove the listed entries (writes a restore file first)')
    .option('--restore-dir <dir>', 'where --apply puts restore files (default <configdirectory>/cyrus-fsck-seen)')
    .option('--restore <file...>', 'put back the entries saved in these restore files')
    .option('--lock-timeout <seconds>', 'give up waiting for a database lock after this long (exit 8)', seconds, 30)
    .option('--json', 'one JSON document on stdout')
    .option('-q, --quiet', 'no summary line')
    .option('-v, --verbose', 'also list the entries that stay, and why');
  cmd.addHelpText('after', HELP);
  cmd.action(async (users: string[], opts: SeenOpts) => {
    if (opts.restore && (users.length || opts.allUsers || opts.apply || opts.only)) throw usageError('--restore takes only restore files');
    if (!opts.restore && !users.length && !opts.allUsers) throw usageError('name users, or --all-users');
    if (users.length && opts.allUsers) throw usageError('USER... and --all-users cannot be combined');
    const conf = loadConfig(configPath(opts.config));
    dropToCyrus();
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const wait = { timeoutMs: opts.lockTimeout * 1000, signal: ac.signal };
    try {
      outcome.code = opts.restore ? await runRestore(conf, opts.restore, wait, opts) : await runCleanup(conf, users, wait, opts, ac.signal);
    } catch (e) {
      if (e instanceof LockTimeout) throw operationalError(e.message);
      if (e instanceof LockAborted) {
        process.stderr.write(`cyrus-fsck: ${e.message}\n`);
        outcome.code = ExitCode.INTERRUPTED;
        return;
      }
      throw e;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
};

async function runCleanup(conf: ImapdConf, users: string[], wait: { timeoutMs: number; signal: AbortSignal }, opts: SeenOpts, signal: AbortSignal): Promise<number> {
  const cache: { current?: Inventory } = {};
  cache.current = await loadInventory(conf);
  let files = await findSeenDbs(conf, cache.current);
  if (users.length) {
    const want = new Set(users);
    files = files.filter((f) => f.user !== null && want.has(f.user));
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const restoreDir = new RestoreFolder(opts.restoreDir ?? `${conf.configDirectory}/cyrus-fsck-seen`, stamp);
  const only: SeenScope = opts.only ?? 'all';
  const reports: SeenDbReport[] = [];
  for (const f of files) {
    if (signal.aborted) break;
    const r = await cleanSeenDb(conf, f, { apply: !!opts.apply, only, restoreDir, wait, inventory: cache });
    reports.push(r);
    if (!opts.json) printDb(r, opts);
  }
  const listed = reports.reduce((n, r) => n + r.entries.filter((e) => e.obsolete).length, 0);
  const removed = reports.reduce((n, r) => n + r.removed, 0);
  const bad = reports.filter((r) => r.finding).length;
  const summary = { databases: reports.length, entries: reports.reduce((n, r) => n + r.entries.length, 0), obsolete: listed, removed, damaged: bad };
  if (opts.json) {
    process.stdout.write(`${toJson({ tool: 'cyrus-fsck', version: VERSION, command: 'seen-cleanup', apply: !!opts.apply, databases: reports, summary })}\n`);
  } else if (!opts.quiet) {
    const what = opts.apply ? `${removed} removed` : `${listed} obsolete`;
    process.stdout.write(`${reports.length} seen database${reports.length === 1 ? '' : 's'}, ${summary.entries} entries, ${what}${bad ? `, ${bad} damaged (not changed)` : ''}\n`);
    if (opts.apply && restoreDir.path) process.stdout.write(`restore files: ${restoreDir.path}\n`);
  }
  if (signal.aborted) return ExitCode.INTERRUPTED;
  if (bad) return ExitCode.PROBLEMS_LEFT;
  if (opts.apply) return removed ? ExitCode.REPAIRED : ExitCode.OK;
  return listed ? ExitCode.PROBLEMS_LEFT : ExitCode.OK;
}

function printDb(r: SeenDbReport, opts: SeenOpts): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const where = `${r.path}${r.layout === 'legacy' ? ' (legacy layout)' : ''}${r.active ? '' : ' (not the file Cyrus uses now)'}`;
  if (r.skipped) {
    if (opts.verbose) out(`${where}: skipped: ${r.skipped}`);
    return;
  }
  if (r.finding) out(`${r.finding.code} ${r.finding.message}`);
  for (const e of r.entries) {
    if (!e.obsolete && !opts.verbose) continue;
    const code = e.obsolete ? e.verdict : 'KEEP';
    const done = e.removed ? ' [removed]' : '';
    out(`${code}\t${e.user}\t${e.uniqueid}\t${e.mailbox ?? '-'}\t${JSON.stringify(e.value)}\t${e.reason}${done}`);
  }
  if (opts.verbose) out(`  (${where})`);
}

async function runRestore(conf: ImapdConf, files: string[], wait: { timeoutMs: number; signal: AbortSignal }, opts: SeenOpts): Promise<number> {
  const reports: RestoreReport[] = [];
  for (const f of files) {
    if (wait.signal.aborted) break;
    const r = await restoreSeen(conf, f, wait);
    reports.push(r);
    if (!opts.json) {
      if (r.error) process.stdout.write(`${f}: not restored: ${r.error}\n`);
      else {
        process.stdout.write(`${f}: ${r.restored.length} restored, ${r.alreadyThere.length} already there, ${r.conflicts.length} conflicts (${r.db})\n`);
        for (const c of r.conflicts) process.stdout.write(`  CONFLICT ${c.uniqueid}: kept ${JSON.stringify(c.current)}, saved ${JSON.stringify(c.saved)}\n`);
      }
    }
  }
  if (opts.json) process.stdout.write(`${toJson({ tool: 'cyrus-fsck', version: VERSION, command: 'seen-cleanup --restore', restores: reports })}\n`);
  if (wait.signal.aborted) return ExitCode.INTERRUPTED;
  return reports.some((r) => r.error || r.conflicts.length) ? ExitCode.PROBLEMS_LEFT : ExitCode.OK;
}
