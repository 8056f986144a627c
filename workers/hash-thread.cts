// piscina's entry for workers/hash.js. piscina loads a worker file with require() first; on Node
// 20.19+ require() of an ES module takes the require(esm) path, which now and then aborted the
// whole process in CI (Node 20.20.2, "Assertion failed: facade->InstantiateModule(...)" in
// CreateRequiredModuleFacade). This CommonJS file is what require() loads; it import()s the ES
// module the ordinary way, once per thread.
import type { HashTask } from './hash.js';

let loaded: Promise<typeof import('./hash.js')> | undefined;

module.exports = async (task: HashTask) => (await (loaded ??= import('./hash.js'))).default(task);
