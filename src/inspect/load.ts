// Reads a mailbox's metadata files for inspect/crc/dump. Read-only; a missing file is
// `undefined`, any other error is thrown with the path.
import { readFile } from 'node:fs/promises';
import { operationalError } from '../errors.js';
import { metaPaths, type MailboxTarget } from '../check/types.js';

export interface MetadataFiles {
  header?: Buffer;
  index?: Buffer;
  cache?: Buffer;
  annotations?: Buffer;
  paths: ReturnType<typeof metaPaths>;
}

/** A file's bytes, or undefined when it does not exist; any other error names the path. */
export async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw operationalError(`${path}: ${(e as NodeJS.ErrnoException).code ?? e}`, e);
  }
}

export async function loadMetadata(t: MailboxTarget): Promise<MetadataFiles> {
  const paths = metaPaths(t);
  const [header, index, cache, annotations] = await Promise.all(
    [paths.header, paths.index, paths.cache, paths.annotations].map(readOptional),
  );
  return { header, index, cache, annotations, paths };
}
