// What every piscina pool needs: where the compiled worker file is, and how to start its threads.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The compiled worker `workers/<name>.js`. From dist/src/*.js it is dist/workers/; under vitest the
 * pools run as TypeScript from src/, and a worker thread cannot load .ts on Node 20, so we look for
 * the compiled copy in <repo>/dist (npm test builds first). Undefined when neither exists.
 */
export function compiledWorker(name: string): { found?: string; looked: string[] } {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..'); // dist/ or the repo
  const looked = [resolve(root, `workers/${name}.js`), resolve(root, `dist/workers/${name}.js`)];
  return { found: looked.find((c) => existsSync(c)), looked };
}

/**
 * execArgv for worker threads. piscina loads a worker with require() first and falls back to
 * import(); Node 20.19+ lets require() load ES modules, and that path aborted the whole process
 * now and then ("Assertion failed: facade->InstantiateModule(...)" in CreateRequiredModuleFacade,
 * seen twice in CI on Node 20.20.2). Turning require(esm) off in the workers makes require() fail
 * cleanly and piscina import() the worker, the ordinary ESM path.
 */
export function workerExecArgv(): string[] {
  const off = '--no-experimental-require-module';
  return process.allowedNodeEnvironmentFlags.has('--experimental-require-module') ? [...process.execArgv, off] : process.execArgv;
}
