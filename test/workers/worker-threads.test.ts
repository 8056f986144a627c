// piscina require()s its worker file. The entries it is given are CommonJS files that import()
// the ES-module workers, so require() never loads an ES module (Node 20.19+'s require(esm) path
// aborted the process now and then in CI). Proven here on a plain worker thread doing what
// piscina does: require() the entry, call the export with a task, get the worker's answer.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledWorker } from '../../src/worker-threads.js';

/** In a fresh thread: which modules require() loaded, and the entry's answer to `task`. */
async function viaRequire(entry: string, task: unknown): Promise<{ cjsOnly: boolean; answer: unknown }> {
  const code = `const { parentPort, workerData } = require('node:worker_threads');
    const before = new Set(Object.keys(require.cache));
    const handler = require(workerData.entry);
    // require(esm) would put the ES module into require.cache as well.
    const loaded = Object.keys(require.cache).filter((k) => !before.has(k));
    Promise.resolve(handler(workerData.task)).then((answer) =>
      parentPort.postMessage({ cjsOnly: typeof handler === 'function' && loaded.every((k) => k.endsWith('.cjs')), answer }));`;
  const w = new Worker(code, { eval: true, workerData: { entry, task } });
  const [msg] = (await once(w, 'message')) as [{ cjsOnly: boolean; answer: unknown }];
  await w.terminate();
  return msg;
}

describe('worker thread entries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsck-entry-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are found compiled, as CommonJS', () => {
    expect(compiledWorker('hash').found).toMatch(/dist\/workers\/hash-thread\.cjs$/);
    expect(compiledWorker('repair-files').found).toMatch(/dist\/workers\/repair-files-thread\.cjs$/);
    expect(compiledWorker('no-such-worker').found).toBeUndefined();
  });

  it('load through require() as CommonJS only, and answer as the worker does', async () => {
    const body = Buffer.from('Subject: entry\r\n\r\nhello\r\n');
    writeFileSync(join(dir, '7.'), body);
    const { cjsOnly, answer } = await viaRequire(compiledWorker('hash').found!, { dirs: [dir], uids: new Uint32Array([7, 8]) });
    expect(cjsOnly).toBe(true);
    const a = answer as { sizes: Float64Array; sha1: string; errors?: Array<[number, string]> };
    expect([...a.sizes]).toEqual([body.length, 0]);
    expect(a.sha1.slice(0, 40)).toBe(createHash('sha1').update(body).digest('hex'));
    expect(a.errors).toEqual([[1, 'ENOENT']]);
  });
});
