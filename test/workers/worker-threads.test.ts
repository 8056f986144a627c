// Worker threads load their ES-module worker the ordinary way: with workerExecArgv(), require() of
// an ES module fails inside the thread (so piscina falls back to import()) instead of taking Node
// 20.19+'s require(esm) path, which aborted the process now and then in CI.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { compiledWorker, workerExecArgv } from '../../src/worker-threads.js';

async function requireInThread(file: string, execArgv: string[]): Promise<string> {
  const code = `const { parentPort, workerData } = require('node:worker_threads');
    try { require(workerData); parentPort.postMessage('loaded'); }
    catch (e) { parentPort.postMessage(String(e.code)); }`;
  const w = new Worker(code, { eval: true, workerData: file, execArgv });
  const [answer] = (await once(w, 'message')) as [string];
  await w.terminate();
  return answer;
}

describe('worker threads', () => {
  const hash = compiledWorker('hash').found!;

  it('finds the compiled workers', () => {
    expect(hash).toMatch(/dist\/workers\/hash\.js$/);
    expect(compiledWorker('repair-files').found).toMatch(/dist\/workers\/repair-files\.js$/);
    expect(compiledWorker('no-such-worker').found).toBeUndefined();
  });

  it.runIf(process.allowedNodeEnvironmentFlags.has('--experimental-require-module'))(
    'cannot require() an ES module with workerExecArgv, so piscina import()s it',
    async () => {
      expect(await requireInThread(hash, workerExecArgv())).toBe('ERR_REQUIRE_ESM');
      // The control: without the flag this Node takes the require(esm) path (the one that crashed).
      if ((process.features as { require_module?: boolean }).require_module) {
        expect(await requireInThread(hash, process.execArgv)).toBe('loaded');
      }
    },
  );
});
