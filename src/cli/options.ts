// Options shared by every command, declared once (contract: docs/cli-contract.md).
import { Option, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { usageError } from '../errors.js';

export interface SelectionOptions {
  config?: string;
  user?: string[];
  partition?: string;
  path?: string[];
}

export interface OutputOptions {
  json?: boolean;
  ndjson?: boolean;
  progress?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export interface JobsOptions {
  jobs: number;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw usageError(`--jobs wants a whole number from 1 to 1024, not "${value}"`);
  return n;
}

/** -C, -u, -p, --path: which mailboxes. */
export function addSelectionOptions(cmd: Command): Command {
  return cmd
    .option('-C, --config <file>', 'imapd.conf to read (default /etc/imapd.conf, then $CYRUS_CONFIG)')
    .option('-u, --user <userid...>', 'every mailbox of these users')
    .option('-p, --partition <name>', 'only mailboxes on this partition')
    .option('--path <dir...>', 'mailbox folders given directly (no mailboxes.db, no discovery); a folder holding mailbox folders is walked');
}

/** --json, --ndjson, --progress/--no-progress, -q, -v. */
export function addOutputOptions(cmd: Command, { ndjson = true, progress = true } = {}): Command {
  cmd.option('--json', 'one JSON document on stdout');
  if (ndjson) cmd.option('--ndjson', 'one JSON event per line as it happens');
  if (progress) {
    cmd
      .addOption(new Option('--progress', 'show a progress bar on stderr (default: only when stderr is a terminal)'))
      .addOption(new Option('--no-progress', 'never show a progress bar'));
  }
  return cmd.option('-q, --quiet', 'print findings only, no summary').option('-v, --verbose', 'say more: skipped mailboxes, timings');
}

export function addJobsOption(cmd: Command): Command {
  return cmd.option('-j, --jobs <n>', 'worker threads (default: number of cores)', positiveInt, availableParallelism());
}

/** Rejects contradictory output options. */
export function checkOutputOptions(o: OutputOptions): void {
  if (o.json && o.ndjson) throw usageError('--json and --ndjson cannot be combined');
}
