// `cyrus-fsck inspect`: a mailbox's header and every record, like Cyrus's mbexamine, or as JSON.
import type { Command } from 'commander';
import { discover } from '../../check/discover.js';
import { ExitCode, usageError } from '../../errors.js';
import { loadMetadata } from '../../inspect/load.js';
import { inspectMailbox, type MailboxView } from '../../inspect/view.js';
import { CACHE_ITEMS } from '../../format/cache.js';
import { VERSION } from '../../version.js';
import { toJson } from '../json.js';
import { addSelectionOptions, checkOutputOptions, type SelectionOptions } from '../options.js';
import type { Register } from './index.js';

type InspectOptions = SelectionOptions & { json?: boolean; cache: boolean; uid?: number[] };

const HELP = `
Shows what Cyrus keeps about a mailbox: cyrus.header (uniqueid, ACL, user-flag names) and the
cyrus.index header (version, counters, UIDVALIDITY, last UID, highest modseq, SYNC_CRCs), then
every record (UID, flags by name, dates, size, GUID, modseq, cache offset) with its cache items
(envelope, bodystructure, cached headers). Nothing is written or locked.

Examples:
  cyrus-fsck inspect user.alice                 via /etc/imapd.conf and mailboxes.db
  cyrus-fsck inspect --path ./copy-of-mailbox   a folder on disk
  cyrus-fsck inspect user.alice --uid 4 7 --no-cache
  cyrus-fsck inspect user.alice --json | jq '.mailboxes[0].records[] | {uid, flags}'

Exit codes: 0 shown · 4 a metadata file could not be decoded (what could be read is shown)
· 8 operational error · 16 usage error
`;

const uidList = (v: string, prev: number[] = []) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--uid wants UIDs (whole numbers ≥ 1), not "${v}"`);
  return [...prev, n];
};

export const register: Register = (program: Command, outcome) => {
  const cmd = program
    .command('inspect')
    .summary('header and records of a mailbox, like mbexamine (never writes)')
    .description('Decodes and shows a mailbox\'s cyrus.header, cyrus.index and cyrus.cache.')
    .argument('[mailbox...]', "mailboxes in Cyrus's internal form; * and % wildcards");
  addSelectionOptions(cmd);
  cmd
    .option('--json', 'one JSON document on stdout')
    .option('--no-cache', 'leave out the cache items')
    .option('--uid <uid...>', 'only these records', uidList);
  cmd.addHelpText('after', HELP);
  cmd.action(async (mailboxes: string[], opts: InspectOptions) => {
    checkOutputOptions(opts);
    if (!mailboxes.length && !opts.path?.length && !opts.user?.length) {
      throw usageError('inspect wants a MAILBOX, -u USER or --path DIR');
    }
    if (opts.path && (mailboxes.length || opts.user || opts.partition || opts.config)) {
      throw usageError('--path takes folders directly; it cannot be combined with MAILBOX, -u, -p or -C');
    }
    const out: Array<{ name: string; path: string } & MailboxView> = [];
    let damaged = false;
    for await (const t of discover({ mailboxes, ...opts })) {
      if ('skipped' in t) continue;
      const files = await loadMetadata(t);
      const view = inspectMailbox(files, { withCache: opts.cache });
      if (opts.uid) view.records = view.records.filter((r) => opts.uid!.includes(r.uid));
      const name = t.nameFromHeader ? (view.header?.name ?? t.name) : t.name;
      damaged ||= Boolean(
        view.headerError || view.indexError || view.missingRecords || !view.index?.crcOk || view.records.some((r) => !r.crcOk || r.cacheError),
      );
      if (opts.json) out.push({ name, path: t.dir, ...view });
      else process.stdout.write(formatView(name, t.dir, view));
    }
    if (opts.json) process.stdout.write(`${toJson({ tool: 'cyrus-fsck', version: VERSION, command: 'inspect', mailboxes: out })}\n`);
    outcome.code = damaged ? ExitCode.PROBLEMS_LEFT : ExitCode.OK;
  });
};

const date = (t: number) => `(${t}) ${new Date(t * 1000).toUTCString()}`;
const CACHE_LABELS = ['Envel', 'BdyStr', 'Body', 'Sect', 'CacHdr', 'From', 'To', 'Cc', 'Bcc', 'Subjct'];

/** mbexamine-like text. */
export function formatView(name: string, path: string, v: MailboxView): string {
  const l: string[] = [`Examining ${name}...`, ' Mailbox Header Info:', `  Path to mailbox: ${path}`];
  if (v.header) {
    l.push(`  Mailbox ACL: ${v.header.acl ?? ''}`, `  Unique ID: ${v.header.uniqueid ?? ''}`, `  User Flags: ${v.header.userFlags.join(' ')}`);
  } else l.push(`  cyrus.header: ${v.headerError}`);
  l.push('', ' Index Header Info:');
  const h = v.index;
  if (!h) {
    l.push(`  cyrus.index: ${v.indexError}`, '');
    return `${l.join('\n')}\n`;
  }
  l.push(
    `  Generation Number: ${h.generationNo}`,
    `  Minor Version: ${h.minorVersion}`,
    `  Header Size: ${h.startOffset} bytes  Record Size: ${h.recordSize} bytes`,
    `  Number of Messages: ${h.exists ?? h.numRecords}  Records: ${h.numRecords}  Mailbox Size: ${h.quotaMailboxUsed} bytes`,
    `  Last Append Date: ${date(h.lastAppenddate)}`,
    `  UIDValidity: ${h.uidvalidity}  Last UID: ${h.lastUid}`,
    `  Deleted: ${h.deleted}  Answered: ${h.answered}  Flagged: ${h.flagged}${h.unseen !== undefined ? `  Unseen: ${h.unseen}` : ''}`,
    `  Mailbox Options: ${h.options_names.join(' ')}`,
    `  Highest Mod Sequence: ${h.highestmodseq ?? '-'}`,
    `  SYNC_CRC: ${h.syncCrcBasic ?? '-'}  SYNC_CRC_ANNOT: ${h.syncCrcAnnot ?? '-'}  Header CRC: ${h.crcOk ? 'ok' : 'WRONG'}`,
  );
  if (v.missingRecords) l.push(`  TRUNCATED: ${v.missingRecords} of ${h.numRecords} records are missing from the end of the file`);
  if (v.trailingBytes) l.push(`  ${v.trailingBytes} bytes after the last committed record (uncommitted append or debris)`);
  l.push('', ' Message Info:');
  for (const r of v.records) {
    l.push(
      `UID:${String(r.uid).padStart(8, '0')}  INT_DATE:${r.internaldate} SENTDATE:${r.sentdate}${r.savedate !== undefined ? ` SAVEDATE:${r.savedate}` : ''} SIZE:${r.size}`,
      `      > HDRSIZE:${r.headerSize} LASTUPD:${r.lastUpdated} CACHEVER:${r.cacheVersion} CACHEOFFSET:${r.cacheOffset} GUID:${r.guid ?? '-'} MODSEQ:${r.modseq ?? '-'}${r.cid !== undefined ? ` THRID:${r.cid.toString(16)}` : ''}`,
      `      > FLAGS: ${r.flags.join(' ')}${r.internalFlags.length ? `  INTERNAL: ${r.internalFlags.join(' ')}` : ''}${r.unnamedFlagBits.length ? `  UNNAMED BITS: ${r.unnamedFlagBits.join(' ')}` : ''}${r.crcOk ? '' : '  RECORD CRC WRONG'}`,
    );
    if (r.cacheError) l.push(`  cache: ${r.cacheError}`);
    if (r.cache) {
      CACHE_ITEMS.forEach((k, i) => {
        const item = r.cache![k]!;
        // SECTION is binary (offsets and lengths): hex, not text.
        const shown = k === 'SECTION' ? Buffer.from(item, 'latin1').toString('hex') : item;
        l.push(` ${CACHE_LABELS[i]}>{${item.length}}${shown}`);
      });
    }
  }
  return `${l.join('\n')}\n\n`;
}
