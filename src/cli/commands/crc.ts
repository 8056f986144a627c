// `cyrus-fsck crc`: SYNC_CRC and SYNC_CRC_ANNOT per mailbox, computed from the files and set
// beside the stored values. The computation lives in src/crc/.
import { Option, type Command } from 'commander';
import { discover } from '../../check/discover.js';
import { ALGORITHM_NAMES, mailboxCrcs, type AlgorithmName, type MailboxCrcs } from '../../crc/mailbox-crc.js';
import { ExitCode, FormatError, usageError } from '../../errors.js';
import { loadMetadata } from '../../inspect/load.js';
import { toJson } from '../json.js';
import { addOutputOptions, addSelectionOptions, checkOutputOptions, type OutputOptions, type SelectionOptions } from '../options.js';
import type { Register } from './index.js';
import { VERSION } from '../../version.js';

type CrcOptions = SelectionOptions & OutputOptions & { algorithm?: AlgorithmName };

interface CrcResult extends Partial<Omit<MailboxCrcs, 'mailboxName'>> {
  name: string;
  path: string;
  error?: string;
}

const HELP = `
SYNC_CRC (every index version from 12) and SYNC_CRC_ANNOT (from 13) are the checksums a Cyrus
replica compares with its master. The algorithm differs between Cyrus releases and is not
recorded in the files: by default each family that writes the mailbox's index version is tried
and the one that reproduces the stored values is named; --algorithm fixes one.

Algorithms: 2.4 · 2.5 (annot starts at 0) · 3.1.7 · 3.x (3.1.8–3.12, annot starts at 12345678)
            · master (zero-padded thrid) · dev-2010 (flag names not lower-cased)

Examples:
  cyrus-fsck crc user.alice                     one mailbox via /etc/imapd.conf
  cyrus-fsck crc --path /var/spool/cyrus/mail/uuid/1/j/1j4s1g11vdryzabpaq5fa3bp
  cyrus-fsck crc -u alice --json

Exit codes: 0 every mailbox's computed values equal the stored ones · 4 some differ (or a
mailbox could not be read) · 8 operational error · 16 usage error
`;

export const register: Register = (program: Command, outcome) => {
  const cmd = program
    .command('crc')
    .summary('SYNC_CRC / SYNC_CRC_ANNOT, computed and stored (never writes)')
    .description('Computes each mailbox\'s replication checksums from its files and compares them with the values\nstored in cyrus.index.')
    .argument('[mailbox...]', "mailboxes in Cyrus's internal form; * and % wildcards");
  addSelectionOptions(cmd);
  addOutputOptions(cmd, { ndjson: false, progress: false });
  cmd.addOption(new Option('--algorithm <name>', 'use this Cyrus family\'s algorithm instead of detecting it').choices(ALGORITHM_NAMES));
  cmd.addHelpText('after', HELP);
  cmd.action(async (mailboxes: string[], opts: CrcOptions) => {
    checkOutputOptions(opts);
    if (opts.path && (mailboxes.length || opts.user || opts.partition || opts.config)) {
      throw usageError('--path takes folders directly; it cannot be combined with MAILBOX, -u, -p or -C');
    }
    const results: CrcResult[] = [];
    for await (const t of discover({ mailboxes, ...opts }, (s) => opts.verbose && process.stderr.write(`${s}\n`))) {
      if ('skipped' in t) continue;
      const files = await loadMetadata(t);
      const r: CrcResult = { name: t.name, path: t.dir };
      if (!files.index || !files.header) {
        r.error = `${files.index ? files.paths.header : files.paths.index} is missing`;
      } else {
        try {
          const c = mailboxCrcs(
            { index: files.index, header: files.header, annotations: files.annotations },
            { mailboxName: t.nameFromHeader ? undefined : t.name, algorithm: opts.algorithm },
          );
          const { mailboxName, ...rest } = c;
          Object.assign(r, rest);
          if (t.nameFromHeader && mailboxName) r.name = mailboxName;
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
          r.error = e.message;
        }
      }
      if (!opts.json) printHuman(r, opts.quiet ?? false);
      results.push(r);
    }
    const bad = results.filter((r) => r.error || !r.agree).length;
    if (opts.json) {
      process.stdout.write(`${toJson({ tool: 'cyrus-fsck', version: VERSION, command: 'crc', mailboxes: results, summary: { mailboxes: results.length, different: bad } })}\n`);
    } else if (!opts.quiet) {
      process.stdout.write(`${results.length} mailbox${results.length === 1 ? '' : 'es'}, ${bad} with checksums that differ or could not be computed\n`);
    }
    outcome.code = bad ? ExitCode.PROBLEMS_LEFT : ExitCode.OK;
  });
};

function printHuman(r: CrcResult, quiet: boolean): void {
  if (r.error) {
    process.stdout.write(`${r.name}: cannot compute: ${r.error}\n`);
    return;
  }
  if (quiet && r.agree) return;
  const cmp = (label: string, computed?: number, stored?: number) =>
    stored === undefined && computed === undefined
      ? ''
      : `  ${label} ${computed ?? '-'} ${stored === undefined ? '(not stored)' : computed === stored ? '= stored' : `≠ stored ${stored}`}`;
  const alg = `${r.algorithm}${r.algorithmMatched ? '' : r.agree ? '' : ' (no family reproduces the stored values)'}`;
  process.stdout.write(
    `${r.name} (v${r.indexVersion}, algorithm ${alg}): ${r.agree ? 'OK' : 'DIFFERENT'}\n` +
      `${cmp('SYNC_CRC      ', r.computed?.basic, r.stored?.basic)}\n` +
      (r.indexVersion! >= 13 ? `${cmp('SYNC_CRC_ANNOT', r.computed?.annot, r.stored?.annot)}\n` : ''),
  );
}
