// `cyrus-fsck dump`: a mailbox as the dlist lines Cyrus 3.6.1's sync_client sends to an empty
// replica. Parses arguments and prints; the dump itself lives in src/dump/.
import { closeSync, fchownSync, openSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { discover } from '../../check/discover.js';
import { configPath, loadConfig, mailboxesDbPath } from '../../config/index.js';
import type { ByteSink } from '../../dlist/index.js';
import { DumpError, DumpInterrupted, loadMailbox, loadServerState, syncRefusal, writeIntermediateDump, writeMailboxDump, type ServerState } from '../../dump/index.js';
import { ExitCode, operationalError, usageError } from '../../errors.js';
import { lookupUser } from '../../repair/privileges.js';
import { addSelectionOptions, type SelectionOptions } from '../options.js';
import type { Register } from './index.js';

type DumpOptions = SelectionOptions & { messages?: boolean; output?: string; verbose?: boolean };

const HELP = `
What it prints is exactly what Cyrus's replication client (sync_client, 3.6.1) sends when it
copies this mailbox to a replica that does not have it yet, one line per command, CRLF-ended:

  APPLY MAILBOX %(UNIQUEID … MBOXNAME … SYNC_CRC … LAST_UID … HIGHESTMODSEQ … UIDVALIDITY …
    PARTITION … ACL "…" OPTIONS … [QUOTAROOT] [CREATEDMODSEQ] [FOLDERMODSEQ] [ANNOTATIONS (…)]
    RECORD (%(UID … MODSEQ … LAST_UPDATED … FLAGS (…) INTERNALDATE … SIZE … GUID … [ANNOTATIONS (…)]) …))

With --messages the message files come first, as sync_client uploads them, in lines of at most
1024 files, each a file literal: %{partition guid size} CRLF then the file's bytes. As in one
sync session, a file already written for an earlier mailbox of the same run is not repeated:

  APPLY MESSAGE (%{default 3a5f…c1 2048}
  <2048 bytes>%{default 77e0…9b 513}
  <513 bytes>)

Together these are a complete, self-checking copy of the mailbox in Cyrus's own wire format
(spec: cyrus-db-seen-dlist.md §9–§11): SYNC_CRC/SYNC_CRC_ANNOT are the stored checksums a
replica verifies, every file literal is re-hashed against its GUID before it is written (a file
that fails is sent as NIL, as Cyrus does, and reported). Files are streamed, never held whole.
Sent to a Cyrus 3.6 sync_server in one session (AUTHENTICATE as an admin, then these lines),
a dump recreates the mailbox there, equal to the original.

Where the values come from: mailboxes.db (name, uniqueid, partition, ACL, type, FOLDERMODSEQ),
annotations.db (mailbox annotations), cyrus.header (quota root, flag names), cyrus.index
(counters, CRCs, records), cyrus.annotations (message annotations). With --path there is no
mailboxes.db or annotations.db: name, uniqueid and ACL are taken from cyrus.header, FOLDERMODSEQ
and mailbox annotations are left out, and the partition is "default" unless -p names it; each
such gap is said on stderr. With conversations: yes, XCONVMODSEQ (the owner's conversations.db)
and RACLMODSEQ (INBOX, the owner's counters file) are read too.

Examples:
  cyrus-fsck dump user.alice                      the APPLY MAILBOX line, via /etc/imapd.conf
  cyrus-fsck dump user.alice --messages -o alice.dlist
  cyrus-fsck dump -u alice --messages > alice-all.dlist      every mailbox of alice
  cyrus-fsck dump --path /srv/backup/uuid/k/q/kq3… -p default

Exit codes: 0 every selected mailbox dumped in full · 4 some mailbox could not be dumped (files
missing or undecodable, or sync_client would refuse it) or a message file failed its check
· 8 operational error (no such mailbox, config or output unusable) · 16 usage error
· 32 interrupted (SIGINT/SIGTERM; the output stops between two message files or mailboxes)
`;

/** A sink over a file descriptor (blocking writes; -o FILE). */
function fdSink(fd: number): ByteSink {
  return {
    write(chunk) {
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
    },
  };
}

/** stdout: Node writes to files, pipes and terminals synchronously on Linux. */
const stdoutSink: ByteSink = { write: (chunk) => void process.stdout.write(chunk) };

export const register: Register = (program: Command, outcome) => {
  const cmd = program
    .command('dump')
    .summary('a mailbox as the APPLY MAILBOX / APPLY MESSAGE dlist sync_client sends (never writes the spool)')
    .description("Prints a mailbox in Cyrus's replication format (dlist), as sync_client 3.6.1 sends it to an empty replica.")
    .argument('[mailbox...]', "mailboxes in Cyrus's internal form; * and % wildcards");
  addSelectionOptions(cmd);
  cmd
    .option('--messages', 'also the APPLY MESSAGE lines with every message file: a complete dump')
    .option('-o, --output <file>', 'write to this file (created with mode 0600) instead of stdout')
    .option('-v, --verbose', 'say which mailboxes were skipped and how much was written');
  cmd.addHelpText('after', HELP);
  cmd.action(async (mailboxes: string[], opts: DumpOptions) => {
    if (!mailboxes.length && !opts.path?.length && !opts.user?.length) {
      throw usageError('dump wants a MAILBOX, -u USER or --path DIR');
    }
    if (opts.path && (mailboxes.length || opts.user || opts.config)) {
      throw usageError('--path takes folders directly; it cannot be combined with MAILBOX, -u or -C (-p names their partition)');
    }
    const say = (s: string) => process.stderr.write(`cyrus-fsck: ${s}\n`);
    let server: ServerState | undefined;
    if (!opts.path) {
      const conf = loadConfig(configPath(opts.config));
      server = await loadServerState(conf, mailboxesDbPath(conf));
    }
    let fd: number | undefined;
    if (opts.output) {
      try {
        fd = openSync(opts.output, 'w', 0o600);
        // Contract "Who it runs as": what we create belongs to the Cyrus user, even when run as root.
        const cyrus = process.getuid?.() === 0 ? lookupUser('cyrus') : undefined;
        if (cyrus) fchownSync(fd, cyrus.uid, cyrus.gid);
      } catch (e) {
        throw operationalError(`-o ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? e}`);
      }
    }
    const sink = fd === undefined ? stdoutSink : fdSink(fd);
    const sent = new Set<string>(); // each message file once per run, as in one sync session
    let dumped = 0;
    let problems = 0;
    // SIGINT/SIGTERM: stop between message files or mailboxes and say where the output ends.
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const selection = { mailboxes, ...opts, partition: opts.path ? undefined : opts.partition };
      for await (const t of discover(selection, (s) => opts.verbose && say(s))) {
        if (ac.signal.aborted) throw new DumpInterrupted(`interrupted after ${dumped} mailbox${dumped === 1 ? '' : 'es'}`);
        if ('skipped' in t) {
          // An intermediate entry has no files, but sync_client still sends its mailboxes.db facts.
          const e = server?.entries.get(t.skipped.name);
          if (e?.flags.intermediate && !e.flags.deleted && e.uniqueid) {
            writeIntermediateDump(sink, t.skipped.name, e);
            dumped++;
          } else say(`not dumped: ${t.skipped.name}: ${t.skipped.reason}`);
          continue;
        }
        let m;
        try {
          m = await loadMailbox(t, server, opts.path ? opts.partition : undefined);
        } catch (e) {
          if (!(e instanceof DumpError)) throw e;
          say(`not dumped: ${t.name}: ${e.message}`);
          problems++;
          continue;
        }
        const refusal = syncRefusal(m.content);
        if (refusal) {
          say(`not dumped: ${m.id.name}: sync_client would refuse it: ${refusal}`);
          problems++;
          continue;
        }
        for (const n of m.notes) say(`${m.id.name}: ${n}`);
        const r = await writeMailboxDump(sink, m, { messages: opts.messages, sent, signal: ac.signal });
        for (const b of r.badFiles) say(`${m.id.name}: uid ${b.uid}: ${b.path}: ${b.reason} — sent as NIL`);
        if (r.badFiles.length) problems++;
        if (opts.verbose) say(`${m.id.name}: ${r.records} records${opts.messages ? `, ${r.files} files (${r.fileBytes} bytes)` : ''}`);
        dumped++;
      }
    } catch (e) {
      if (!(e instanceof DumpInterrupted)) throw e;
      say(`${e.message}; the output is incomplete (it ends after the last complete line, or inside an APPLY MESSAGE line)`);
      outcome.code = ExitCode.INTERRUPTED;
      return;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (fd !== undefined) closeSync(fd);
    }
    if (dumped === 0 && problems === 0) throw operationalError('no mailbox matched; nothing dumped');
    outcome.code = problems ? ExitCode.PROBLEMS_LEFT : ExitCode.OK;
  });
};
