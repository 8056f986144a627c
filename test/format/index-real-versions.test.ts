// Versions 6–10 made real: Cyrus 3.6.1's own `reconstruct -V N` rewrites a copy of the v17
// fixture mailbox down to v9, up to v10, and down to 8, 7 and 6 (the path the spec's §13 took;
// 17 → 10 directly is refused by 3.6.1 when the owner has \Seen). After each step our decode must
// agree with Cyrus's mbexamine, our SYNC_CRCs with what `reconstruct -n` computes, and
// decode → encode must reproduce the file Cyrus wrote.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTwoskip } from '../../src/db/twoskip.js';
import { messageAnnotations } from '../../src/format/annotations.js';
import { decodeHeader } from '../../src/format/header.js';
import {
  decodeIndex,
  encodeIndex,
  internalFlagNames,
  isExpunged,
  optionNames,
  type IndexFile,
} from '../../src/format/index/index.js';
import { syncCrcAnnot, syncCrcBasic } from '../../src/format/synccrc.js';
import { CYRUS_BIN, haveCyrus } from '../db/cyrus-tool.js';
import { indexFixture, seenFixture } from '../helpers/fixtures.js';

const live = haveCyrus();
const STEPS = [9, 10, 8, 7, 6];
const MAILBOX = 'user.fx17';

interface Step {
  version: number;
  index: Buffer;
  header: Buffer;
  annotations: Buffer;
  mbexamine: string;
  /** reconstruct -n's "updating sync_crc 0 => N" lines: what Cyrus computes for this file. */
  computed: { basic?: number; annot?: number };
}

/** A bare Cyrus configuration (no master needed for reconstruct/mbexamine) holding the v17 mailbox. */
function makeLab(): { dir: string; conf: string; mailboxDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cyrus-fsck-idx-'));
  const conf = join(dir, 'imapd.conf');
  const lines = {
    configdirectory: join(dir, 'conf'),
    defaultpartition: 'default',
    'partition-default': join(dir, 'spool'),
    mboxname_lockpath: join(dir, 'lock'),
    proc_path: join(dir, 'proc'),
    unixhierarchysep: 'no',
    altnamespace: 'no',
    hashimapspool: 'true',
  };
  writeFileSync(conf, Object.entries(lines).map(([k, v]) => `${k}: ${v}\n`).join(''));
  for (const d of ['conf', 'spool', 'lock', 'proc']) mkdirSync(join(dir, d));
  cpSync(join(seenFixture(), 'conf', 'mailboxes.db'), join(dir, 'conf', 'mailboxes.db'));
  const src = join(indexFixture(17), 'mailbox');
  const uniqueid = decodeHeader(readFileSync(join(src, 'cyrus.header'))).uniqueid!;
  const mailboxDir = join(dir, 'spool', 'uuid', uniqueid[0]!, uniqueid[1]!, uniqueid);
  mkdirSync(mailboxDir, { recursive: true });
  cpSync(src, mailboxDir, { recursive: true, preserveTimestamps: true });
  execFileSync('chown', ['-R', 'cyrus:mail', dir]);
  return { dir, conf, mailboxDir };
}

function tool(conf: string, name: string, args: string[]): string {
  const r = spawnSync('runuser', ['-u', 'cyrus', '--', join(CYRUS_BIN, name), '-C', conf, ...args], { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout.toString('latin1');
}

/** mbexamine's per-message block (visible records only; GUID from v7, MODSEQ from v8). */
const MESSAGE = new RegExp(
  String.raw`UID:(\d+)\s+INT_DATE:(\d+) SENTDATE:(\d+) SAVEDATE:(\d+) SIZE:(\d+)\s*\n` +
    String.raw`\s*> HDRSIZE:(\d+)\s+LASTUPD :(\d+) SYSFLAGS:([0-9A-F]+)\s+> CACHEVER:(\d+)(?: GUID:([0-9a-f]+))?(?: MODSEQ:(\d+))?[^\n]*\n` +
    String.raw`\s*> INTERNALFLAGS:([^>]*)> SYSTEMFLAGS:[^\n]*\n\s*> USERFLAGS: ([0-9A-F ]+)`,
  'g',
);

const field = (text: string, re: RegExp) => {
  const m = re.exec(text);
  if (!m) throw new Error(`mbexamine output lacks ${re}`);
  return m.slice(1);
};

describe.skipIf(!live)('cyrus.index v6–v10 written by real Cyrus 3.6.1 (reconstruct -V)', () => {
  const steps: Step[] = [];
  let lab: ReturnType<typeof makeLab>;

  beforeAll(() => {
    lab = makeLab();
    for (const version of STEPS) {
      const out = tool(lab.conf, 'reconstruct', ['-V', String(version), MAILBOX]);
      if (!out.includes(`to ${version}`)) throw new Error(`reconstruct -V ${version}: ${out}`);
      const read = (f: string) => readFileSync(join(lab.mailboxDir, f));
      const step: Step = {
        version,
        index: read('cyrus.index'),
        header: read('cyrus.header'),
        annotations: read('cyrus.annotations'),
        mbexamine: tool(lab.conf, 'mbexamine', [MAILBOX]),
        computed: {},
      };
      const check = tool(lab.conf, 'reconstruct', ['-n', MAILBOX]);
      const basic = /updating sync_crc 0 => (\d+)/.exec(check);
      const annot = /updating sync_crc_annot 0 => (\d+)/.exec(check);
      if (basic) step.computed.basic = Number(basic[1]);
      if (annot) step.computed.annot = Number(annot[1]);
      steps.push(step);
    }
  });
  afterAll(() => {
    if (lab) rmSync(lab.dir, { recursive: true, force: true });
  });

  const at = (v: number) => steps.find((s) => s.version === v)!;
  const decoded = (v: number): IndexFile => decodeIndex(at(v).index);

  it.each(STEPS)('v%i: decode → encode gives the bytes Cyrus wrote', (v) => {
    const file = decoded(v);
    expect(file.header.minorVersion).toBe(v);
    expect(file.header.crcOk && file.records.every((r) => r.crcOk)).toBe(true);
    expect(encodeIndex(file).equals(at(v).index)).toBe(true);
  });

  it.each(STEPS)('v%i: the header says what mbexamine says', (v) => {
    const { header: h } = decoded(v);
    const text = at(v).mbexamine;
    expect(field(text, /Generation Number: (\d+)/).map(Number)).toEqual([h.generationNo]);
    expect(field(text, /Minor Version: (\d+)/).map(Number)).toEqual([v]);
    expect(field(text, /Header Size: (\d+) bytes {2}Record Size: (\d+) bytes/).map(Number)).toEqual([h.startOffset, h.recordSize]);
    // Before v12 Cyrus reads exists from num_records.
    expect(field(text, /Number of Messages: (\d+) {2}Mailbox Size: (\d+) bytes/).map(Number)).toEqual([
      h.numRecords, Number(h.quotaMailboxUsed),
    ]);
    expect(field(text, /Last Append Date: \((\d+)\)/).map(Number)).toEqual([h.lastAppenddate]);
    expect(field(text, /UIDValidity: (\d+) {2}Last UID: (\d+)/).map(Number)).toEqual([h.uidvalidity, h.lastUid]);
    expect(field(text, /Deleted: (\d+) {2}Answered: (\d+) {2}Flagged: (\d+)/).map(Number)).toEqual([h.deleted, h.answered, h.flagged]);
    expect(field(text, /Mailbox Options: ?([^\n]*)/)[0]!.trim().split(/\s+/).filter(Boolean)).toEqual(optionNames(h.options));
    expect(field(text, /Last POP3 Login: \((\d+)\)/).map(Number)).toEqual([h.pop3LastLogin]);
    // v6/v7 have no HIGHESTMODSEQ slot; 3.6.1's reader then says 1.
    expect(field(text, /Highest Mod Sequence: (\d+)/).map(BigInt)).toEqual([h.highestmodseq ?? 1n]);
  });

  it.each(STEPS)('v%i: every visible record says what mbexamine says', (v) => {
    const { records } = decoded(v);
    const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
    const theirs = [...at(v).mbexamine.matchAll(MESSAGE)].map((m) => m.slice(1).map((s) => s?.trim()));
    const ours = records
      .filter((r) => !isExpunged(r))
      .map((r) => [
        String(r.uid).padStart(8, '0'), String(r.internaldate), String(r.sentdate), String(r.savedate ?? 0), String(r.size),
        String(r.headerSize), String(r.lastUpdated), hex(r.systemFlags), String(r.cacheVersion),
        v >= 7 ? (r.guid ?? '0'.repeat(40)) : undefined,
        r.modseq === undefined ? undefined : String(r.modseq),
        internalFlagNames(r.internalFlags).map((n) => `FLAG_INTERNAL_${n}`).join(' '),
        [...r.userFlags].reverse().map(hex).join(' '),
      ]);
    expect(theirs.length).toBeGreaterThan(0);
    expect(ours).toEqual(theirs);
    // 3.x keeps EXPUNGED records in downgraded files (§5.7 quirk 2): two here.
    expect(records.filter(isExpunged).map((r) => r.uid)).toEqual(decodeIndex(readFileSync(join(indexFixture(17), 'mailbox', 'cyrus.index'))).records.filter(isExpunged).map((r) => r.uid));
  });

  it.each(STEPS)('v%i: SYNC_CRC and SYNC_CRC_ANNOT equal what reconstruct -n computes', (v) => {
    const { header, records } = decoded(v);
    const step = at(v);
    const flags = decodeHeader(step.header).userFlags;
    const annotations = messageAnnotations(readTwoskip(step.annotations).records, MAILBOX);
    expect(step.computed.basic).toBeGreaterThan(0);
    expect(syncCrcBasic(records, flags)).toBe(step.computed.basic);
    expect(syncCrcAnnot(records, annotations, header.minorVersion)).toBe(step.computed.annot);
  });
});
