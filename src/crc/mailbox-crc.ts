// A mailbox's replication checksums, computed from its files and set beside the stored ones.
// Pure over buffers. Which Cyrus algorithm applies is not written in the files, so unless the
// caller names one we try the families that could have written this index version and report
// the first whose values equal the stored ones (or the version's usual family when none does).
import { readDb } from '../db/index.js';
import { messageAnnotations } from '../format/annotations.js';
import { decodeHeader } from '../format/header.js';
import { decodeIndex, type IndexHeader } from '../format/index/index.js';
import {
  SYNC_CRC_ALGORITHMS,
  syncCrcAnnot,
  syncCrcBasic,
  type SyncCrcAnnotation,
} from '../format/synccrc.js';

export type AlgorithmName = keyof typeof SYNC_CRC_ALGORITHMS;
export const ALGORITHM_NAMES = Object.keys(SYNC_CRC_ALGORITHMS) as AlgorithmName[];

export interface MailboxCrcFiles {
  index: Buffer;
  header: Buffer;
  /** cyrus.annotations; undefined when the file does not exist (no annotations). */
  annotations?: Buffer;
}

export interface MailboxCrcs {
  /** The name annotations were attributed with (given, or from a 3.6 cyrus.header). */
  mailboxName: string;
  indexVersion: number;
  algorithm: AlgorithmName;
  /** True when `algorithm` was chosen because its values equal the stored ones. */
  algorithmMatched: boolean;
  stored: { basic?: number; annot?: number };
  computed: { basic: number; annot?: number };
  /** basic and annot (where the version stores it) equal their stored values. */
  agree: boolean;
}

/**
 * The families that write each index version, most likely first (v13: 2.5, 3.0 and early 3.1;
 * the seed changed to 12345678 in 3.1.8). Shared with check, so both judge a value alike.
 */
export function candidates(version: number): AlgorithmName[] {
  if (version <= 12) return ['2.4'];
  if (version <= 15) return ['2.5', '3.x', '3.1.7'];
  if (version <= 19) return ['3.x', '3.1.7', '2.5'];
  return ['master', '3.x'];
}

/**
 * Computes SYNC_CRC and (v13+) SYNC_CRC_ANNOT. `mailboxName` gives the owner for private
 * annotations (`[.OwNeR.]`); it defaults to the name in a 3.6 cyrus.header.
 * Throws FormatError when a file cannot be decoded.
 */
export function mailboxCrcs(files: MailboxCrcFiles, opts: { mailboxName?: string; algorithm?: AlgorithmName } = {}): MailboxCrcs {
  const { header, records } = decodeIndex(files.index);
  const mh = decodeHeader(files.header);
  const name = opts.mailboxName ?? mh.name ?? '';
  const annotations: SyncCrcAnnotation[] = files.annotations
    ? messageAnnotations(readDb(files.annotations, undefined, { expect: 'twoskip' }).records, name)
    : [];
  const version = header.minorVersion;
  const stored = storedCrcs(header);
  const compute = (alg: AlgorithmName) => {
    const a = SYNC_CRC_ALGORITHMS[alg];
    return {
      basic: syncCrcBasic(records, mh.userFlags, a),
      annot: version >= 13 ? syncCrcAnnot(records, annotations, version, a) : undefined,
    };
  };
  const agrees = (c: { basic: number; annot?: number }) =>
    c.basic === stored.basic && (stored.annot === undefined || c.annot === stored.annot);

  const tried = opts.algorithm ? [opts.algorithm] : candidates(version);
  for (const alg of tried) {
    const computed = compute(alg);
    if (agrees(computed)) return { mailboxName: name, indexVersion: version, algorithm: alg, algorithmMatched: !opts.algorithm, stored, computed, agree: true };
  }
  const alg = tried[0]!;
  return { mailboxName: name, indexVersion: version, algorithm: alg, algorithmMatched: false, stored, computed: compute(alg), agree: false };
}

function storedCrcs(h: IndexHeader): { basic?: number; annot?: number } {
  // v13 files from FastMail's 2010–2015 development builds keep an algorithm number at the
  // annot offset, not a checksum (spec §10.7): do not compare it.
  const annot = h.quirks.includes('V13_SYNC_CRC_VERS') ? undefined : h.syncCrcAnnot;
  return { basic: h.syncCrcBasic, annot };
}
