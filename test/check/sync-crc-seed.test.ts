// check judges SYNC_CRC_ANNOT by every algorithm family that could have written the index
// version (the seed is not in the file): 0 for 2.5 / 3.0 / early 3.1 (v13–v15 written before
// 3.1.8), 12345678 from 3.1.8 on. A stored value any of them reproduces stands; otherwise the
// finding names the version's usual family's value (as the `crc` command chooses).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDb } from '../../src/db/index.js';
import { messageAnnotations } from '../../src/format/annotations.js';
import { decodeHeader } from '../../src/format/header.js';
import { decodeIndex } from '../../src/format/index/index.js';
import { SYNC_CRC_ALGORITHMS, syncCrcAnnot, type SyncCrcAlgorithmName } from '../../src/format/synccrc.js';
import { copyOf, indexFixture } from '../helpers/fixtures.js';
import { allFindings, buildDist, checkPaths, editIndex } from './helpers.js';

beforeAll(() => buildDist(), 240_000);

/** A writable copy of the 3.6.1-written mailbox at `version`, and its annot CRC per family. */
function mailbox(version: number): { mb: string; annot: (alg: SyncCrcAlgorithmName) => number } {
  const mb = join(copyOf(indexFixture(version)), 'mailbox');
  const { records } = decodeIndex(readFileSync(join(mb, 'cyrus.index')));
  const header = decodeHeader(readFileSync(join(mb, 'cyrus.header')));
  const annFile = join(mb, 'cyrus.annotations');
  const anns = existsSync(annFile) ? messageAnnotations(readDb(readFileSync(annFile)).records, header.name ?? '') : [];
  return { mb, annot: (alg) => syncCrcAnnot(records, anns, version, SYNC_CRC_ALGORITHMS[alg]) };
}

const setAnnot = (mb: string, v: number) => editIndex(mb, (f) => void (f.header.syncCrcAnnot = v >>> 0));
const annotFindings = async (mb: string) =>
  allFindings(await checkPaths([mb])).filter((f) => f.code === 'SYNC_CRC_ANNOT_MISMATCH').map((f) => [f.expected, f.actual]);

describe('SYNC_CRC_ANNOT seed by index version', () => {
  it('v13: the 2.5 (seed 0), 3.1.7 and 3.1.8+ values all stand; another is reported against the 2.5 value', async () => {
    const { mb, annot } = mailbox(13);
    // The seeds must really differ here, or this test proves nothing (2.5 and 3.1.7 differ only
    // for annotations without a userid, which this mailbox has none of).
    expect(annot('2.5')).not.toBe(annot('3.x'));
    for (const alg of ['2.5', '3.1.7', '3.x'] as const) {
      setAnnot(mb, annot(alg));
      expect(await annotFindings(mb)).toEqual([]);
    }
    const wrong = (annot('2.5') ^ 0x10) >>> 0;
    setAnnot(mb, wrong);
    expect(await annotFindings(mb)).toEqual([[annot('2.5'), wrong]]);
  });

  it('v17 (3.4+): the 3.1.8+ value stands and is the one a mismatch is reported against; master (padded thrid) is not a v17 family', async () => {
    const { mb, annot } = mailbox(17);
    expect(await annotFindings(mb)).toEqual([]);
    const wrong = (annot('3.x') ^ 0x10) >>> 0;
    setAnnot(mb, wrong);
    expect(await annotFindings(mb)).toEqual([[annot('3.x'), wrong]]);
  });
});
