// The hashing pool: piscina threads running workers/hash.js over batches of paths.
// Batches (not single files) keep the per-task overhead below the cost of hashing small
// messages; a bounded number of batches in flight keeps memory flat however big the spool is.
import { Piscina } from 'piscina';
import { operationalError } from '../errors.js';
import { compiledWorker } from '../worker-threads.js';
import type { HashBatchResult, HashTask, HashWorkerData, WorkerParseSettings } from '../../workers/hash.js';

export type { HashBatchResult, HashResult, HashTask, ParseDigest, WorkerParseSettings } from '../../workers/hash.js';

/** A batch closes at this many files or this many (expected) bytes, whichever comes first. */
export const BATCH_FILES = 128;
export const BATCH_BYTES = 8 << 20;

/** The compiled hash worker (see compiledWorker), or an operational error saying to build. */
export function workerFile(): string {
  const { found, looked } = compiledWorker('hash');
  if (found) return found;
  throw operationalError(`hash worker not found (looked for ${looked.join(', ')}); run \`npm run build\` first`);
}

export class HashPool {
  private readonly piscina: Piscina<HashTask, HashBatchResult>;
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private closed = false;
  /** How many batches may be queued or running at once. */
  readonly maxInFlight: number;

  /** `parse`: check --deep's parse settings, handed to every worker at start. */
  constructor(readonly threads: number, parse?: WorkerParseSettings) {
    const workerData: HashWorkerData = parse ? { parse } : {};
    this.piscina = new Piscina<HashTask, HashBatchResult>({
      filename: workerFile(),
      workerData,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // Workers are busy back to back; per-task timing histograms are overhead we never read.
      recordTiming: false,
      // 'sync', 'async' and 'disabled' cost the same here (20,000-file hash-only runs, 2 threads).
      atomics: 'sync',
    });
    this.maxInFlight = threads * 4;
  }

  /** Waits until another batch may be submitted (backpressure for the producer). */
  async slot(): Promise<void> {
    while (this.inFlight >= this.maxInFlight && !this.closed) {
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Hashes (and with `task.parse` also parses) a batch of files; results in task order. */
  async hash(task: HashTask): Promise<HashBatchResult> {
    if (this.closed) throw new Error('hash pool closed');
    this.inFlight++;
    try {
      return await this.piscina.run(task);
    } finally {
      this.inFlight--;
      const w = this.waiters.shift();
      if (w) w();
    }
  }

  /** Lets queued work finish, then stops the threads. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    await this.piscina.close();
  }

  /** Stops the threads now (SIGINT): queued and running batches are abandoned. */
  async destroy(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    await this.piscina.destroy();
  }

  private wakeAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
