// `cyrus-fsck check`: parses options, wires discovery, the pipeline, output and signals.
// The logic lives in src/check/.
import type { Command } from 'commander';
import { ExitCode, operationalError, usageError } from '../../errors.js';
import { ConfigError } from '../../config/imapd-conf.js';
import { configPath, loadConfig } from '../../config/load.js';
import { parseOptionsFromConfig } from '../../config/parse-options.js';
import { discover } from '../../check/discover.js';
import { createProgress } from '../../check/progress.js';
import { Reporter } from '../../check/report.js';
import { runCheck } from '../../check/run.js';
import {
  addJobsOption,
  addOutputOptions,
  addSelectionOptions,
  checkOutputOptions,
  type JobsOptions,
  type OutputOptions,
  type SelectionOptions,
} from '../options.js';
import type { Register } from './index.js';

type CheckOptions = SelectionOptions & OutputOptions & JobsOptions & { deep?: boolean };

const HELP = `
What it verifies, per mailbox:
  cyrus.header, cyrus.index and cyrus.cache present, CRCs right (header, every record, every
  cache record), header_file_crc, uniqueid vs mailboxes.db, cache generation, counters,
  SYNC_CRC and SYNC_CRC_ANNOT, UID order, last_uid and highestmodseq bounds, user flags named;
  every message file of a record present, readable, of the recorded size and SHA-1 (GUID);
  message files with no record, and odd files.
  With --deep, also every cache record against a fresh parse of its message file (CACHE_STALE).

It never writes, never takes an exclusive lock and never holds a lock while hashing: safe on a
live server at any hour. Anything that looks wrong is re-checked under a brief shared lock on
cyrus.index, as Cyrus's own readers take it, so mail arriving or being expunged meanwhile is
not reported as damage.

Examples:
  cyrus-fsck check                          every mailbox in mailboxes.db (/etc/imapd.conf)
  cyrus-fsck check -C /etc/imapd.conf -u alice bob
  cyrus-fsck check 'user.alice.*' -j 4      one user's folders, 4 hashing threads
  cyrus-fsck check -p archive --ndjson      one partition, one JSON event per line
  cyrus-fsck check --path /backup/spool     folders on disk, no config needed (copies, backups)
  cyrus-fsck check --json > report.json     one JSON document for scripts
  cyrus-fsck check --deep -u alice          also compare cache records with a fresh parse
  cyrus-fsck check --deep --path /backup/spool -C /etc/imapd.conf
                                            --path with the server's parse settings
                                            (maxheaderlines, boundary_limit, rfc2046_strict,
                                            rfc2047_utf8; without -C, Cyrus's defaults)

-C with --path: the folders are still taken as given (no mailboxes.db, no discovery, no
partition or layout settings); imapd.conf supplies only --deep's parse settings, and without
--deep it is not read at all.

Exit codes:
  0   no problems
  4   problems found (warnings included); nothing was changed
  8   operational error (config unreadable, permission denied…)
  16  usage error
  32  interrupted (SIGINT/SIGTERM): what was found so far is printed
`;

/** imapd.conf's parse settings; a value Cyrus would refuse to start with is exit 8. */
function deepSettings(config: string | undefined) {
  try {
    return parseOptionsFromConfig(loadConfig(configPath(config)));
  } catch (e) {
    if (e instanceof ConfigError) throw operationalError(e.message);
    throw e;
  }
}

export const register: Register = (program: Command, outcome) => {
  const cmd = program
    .command('check')
    .summary('non-invasive integrity scan (never writes)')
    .description(
      'Non-invasive integrity scan: every message file hashed and compared with its index record, ' +
        'every CRC, counter and UID/modseq rule verified. Never writes a byte, never blocks Cyrus.',
    )
    .argument('[mailbox...]', "mailboxes in Cyrus's internal form (user.fred.Sent) or with / under unixhierarchysep; * and % wildcards");
  addSelectionOptions(cmd);
  addOutputOptions(cmd);
  addJobsOption(cmd);
  cmd.option(
    '--deep',
    'also parse every message file as Cyrus would index it and compare its cache record (and ' +
      'header_size, sentdate, gmtime) with the stored one: CACHE_STALE. Slower (every message is ' +
      'parsed). Judges cache versions 3, 6, 10, 11 and 13 (Cyrus 2.4 to 3.12); others are ' +
      'counted and skipped (-v says so)',
  );
  cmd.addHelpText('after', HELP);
  cmd.action(async (mailboxes: string[], opts: CheckOptions) => {
    checkOutputOptions(opts);
    if (opts.path && (mailboxes.length || opts.user || opts.partition)) {
      throw usageError('--path takes folders directly; it cannot be combined with MAILBOX, -u or -p');
    }
    // --deep parses as the server does: imapd.conf's parse settings (with --path only when -C
    // names a config; otherwise Cyrus's defaults).
    const parse = opts.deep && (!opts.path || opts.config) ? deepSettings(opts.config) : undefined;
    const mode = opts.json ? 'json' : opts.ndjson ? 'ndjson' : 'human';
    const reporter = new Reporter({ mode, quiet: opts.quiet, verbose: opts.verbose, out: process.stdout, err: process.stderr });
    const progress = createProgress(opts.progress);
    const targets = discover({ mailboxes, ...opts, onTotal: (n) => progress.setTotal(n) }, (s) => reporter.note(s));
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const { summary, interrupted } = await runCheck({
        targets,
        jobs: opts.jobs,
        reporter,
        progress,
        signal: ac.signal,
        deep: opts.deep === true,
        parse,
      });
      if (interrupted) outcome.code = ExitCode.INTERRUPTED;
      else outcome.code = Object.keys(summary.findings).length > 0 ? ExitCode.PROBLEMS_LEFT : ExitCode.OK;
    } finally {
      progress.stop();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
};
