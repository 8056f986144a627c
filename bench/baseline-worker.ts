// The bench's bare baseline: one thread reads and SHA-1s its share of the files, nothing else
// (no pool, no index, no batching) — the floor check is measured against.
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

const files = workerData as string[];
const buf = Buffer.allocUnsafe(1 << 20);
let bytes = 0;
for (const f of files) {
  const fd = openSync(f, 'r');
  const h = createHash('sha1');
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
    h.update(buf.subarray(0, n));
    bytes += n;
  }
  h.digest();
  closeSync(fd);
}
parentPort!.postMessage({ files: files.length, bytes });
