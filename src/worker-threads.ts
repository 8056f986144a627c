// Where a piscina pool's compiled worker entry is.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The compiled entry of worker `name`: `workers/<name>-thread.cjs`, a CommonJS file that
 * import()s `workers/<name>.js` (piscina require()s its worker file, and require() of an ES
 * module aborted Node 20.20 now and then; see workers/hash-thread.cts). From dist/src/ it is in
 * dist/workers/; under vitest the pools run as TypeScript from src/, and a worker thread cannot
 * load .ts on Node 20, so we look for the compiled copy in <repo>/dist (npm test builds first).
 */
export function compiledWorker(name: string): { found?: string; looked: string[] } {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..'); // dist/ or the repo
  const file = `${name}-thread.cjs`;
  const looked = [resolve(root, 'workers', file), resolve(root, 'dist', 'workers', file)];
  return { found: looked.find((c) => existsSync(c)), looked };
}
