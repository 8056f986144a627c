// piscina's entry for workers/repair-files.js: a CommonJS file that import()s the ES module, so
// that piscina's require() never loads an ES module (see hash-thread.cts for why).
import type { RepairFilesTask } from './repair-files.js';

let loaded: Promise<typeof import('./repair-files.js')> | undefined;

module.exports = async (task: RepairFilesTask) => (await (loaded ??= import('./repair-files.js'))).default(task);
