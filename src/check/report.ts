// Output of `check`, three ways (contract: docs/cli-contract.md):
// human (one line per finding, then a summary), --json (one document, streamed mailbox by
// mailbox so memory stays flat), --ndjson (one event per line as it happens).
import type { Finding, FindingCode, Severity } from '../findings.js';
import { FINDING_SEVERITY } from '../findings.js';
import { VERSION } from '../version.js';
import type { MailboxReport, Skipped, Summary } from './types.js';

export type OutputMode = 'human' | 'json' | 'ndjson';

export interface ReporterOptions {
  mode: OutputMode;
  quiet?: boolean;
  verbose?: boolean;
  /** Where the report goes (stdout). */
  out: { write(s: string): unknown };
  /** Where -v notes go (stderr) in human and --json modes, so stdout stays the report. */
  err?: { write(s: string): unknown };
}

/** The contract's finding object inside a mailbox (the mailbox name is implied). */
function findingJson(f: Finding): Record<string, unknown> {
  const { mailbox: _m, ...rest } = f;
  return rest;
}

function mailboxJson(m: MailboxReport, withFindings: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = { name: m.name, path: m.path };
  if (m.indexVersion !== undefined) o.indexVersion = m.indexVersion;
  if (m.uniqueid !== undefined) o.uniqueid = m.uniqueid;
  o.records = m.records;
  o.messagesVerified = m.messagesVerified;
  if (withFindings) o.findings = m.findings.map(findingJson);
  return o;
}

export class Reporter {
  private first = true;
  private started = false;

  constructor(private readonly o: ReporterOptions) {}

  /** Called once before any mailbox. */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.o.mode === 'json') {
      this.o.out.write(`{"tool":"cyrus-fsck","version":${JSON.stringify(VERSION)},"command":"check","mailboxes":[`);
    }
  }

  mailbox(m: MailboxReport): void {
    this.start();
    const { mode, out } = this.o;
    if (mode === 'json') {
      out.write(`${this.first ? '\n' : ',\n'}${JSON.stringify(mailboxJson(m, true))}`);
      this.first = false;
    } else if (mode === 'ndjson') {
      out.write(`${JSON.stringify({ type: 'mailbox', ...mailboxJson(m, false) })}\n`);
      for (const f of m.findings) out.write(`${JSON.stringify({ type: 'finding', mailbox: m.name, ...findingJson(f) })}\n`);
    } else {
      for (const f of m.findings) out.write(`${humanLine(m.name, f)}\n`);
    }
  }

  /** A mailbox deliberately not checked (deleted, remote, intermediate…): -v only. */
  skipped(s: Skipped): void {
    if (!this.o.verbose) return;
    if (this.o.mode === 'ndjson') this.o.out.write(`${JSON.stringify({ type: 'skipped', mailbox: s.name, reason: s.reason })}\n`);
    else this.side(`skipped ${s.name}: ${s.reason}`);
  }

  /** -v: a note on stderr (human) or an event (ndjson). */
  note(text: string): void {
    if (!this.o.verbose) return;
    if (this.o.mode === 'ndjson') this.o.out.write(`${JSON.stringify({ type: 'note', message: text })}\n`);
    else this.side(text);
  }

  /** -v text outside the report: stderr, so stdout stays findings + summary (or pure JSON). */
  private side(text: string): void {
    if (this.o.err) this.o.err.write(`${text}\n`);
    else if (this.o.mode === 'human') this.o.out.write(`${text}\n`);
  }

  end(s: Summary): void {
    this.start();
    const { mode, out } = this.o;
    if (mode === 'json') {
      out.write(`${this.first ? '' : '\n'}],\n"summary":${JSON.stringify(s)}}\n`);
    } else if (mode === 'ndjson') {
      out.write(`${JSON.stringify({ type: 'summary', ...s })}\n`);
    } else if (!this.o.quiet) {
      out.write(humanSummary(s));
    }
  }
}

export function humanLine(mailbox: string, f: Finding): string {
  let line = `${mailbox}${f.uid !== undefined ? ` uid ${f.uid}` : ''}: ${f.code} (${f.severity}) ${f.message}`;
  if (f.expected !== undefined || f.actual !== undefined) line += ` [expected ${f.expected ?? '-'}, actual ${f.actual ?? '-'}]`;
  if (f.file !== undefined) line += ` ${f.file}${f.offset !== undefined ? `@${f.offset}` : ''}`;
  return line;
}

/** Decimal units, like the MB/s beside them. */
function fmtBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} KB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

export function humanSummary(s: Summary): string {
  const mbs = s.seconds > 0 ? s.bytesHashed / 1e6 / s.seconds : 0;
  const lines = [
    `${s.interrupted ? 'INTERRUPTED after' : 'checked'} ${s.mailboxes} mailbox${s.mailboxes === 1 ? '' : 'es'}, ` +
      `${s.messages} message${s.messages === 1 ? '' : 's'}, ${fmtBytes(s.bytesHashed)} hashed in ${s.seconds.toFixed(2)} s (${mbs.toFixed(1)} MB/s)`,
  ];
  const codes = Object.entries(s.findings) as [FindingCode, number][];
  if (codes.length === 0) lines.push(s.interrupted ? 'no problems found so far' : 'no problems found');
  else {
    const total = codes.reduce((a, [, n]) => a + n, 0);
    const bySeverity = (sev: Severity) => codes.filter(([c]) => FINDING_SEVERITY[c] === sev);
    lines.push(`${total} finding${total === 1 ? '' : 's'}:`);
    for (const sev of ['error', 'warning', 'info'] as const) {
      for (const [c, n] of bySeverity(sev).sort((a, b) => a[0].localeCompare(b[0]))) lines.push(`  ${c.padEnd(24)} ${String(n).padStart(6)}  ${sev}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
