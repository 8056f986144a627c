// A progress bar on stderr (cli-progress): mailboxes, files, bytes, rate and ETA. Shown only when
// stderr is a terminal unless --progress/--no-progress says otherwise; never on stdout, so
// --json/--ndjson output stays clean.
import cliProgress from 'cli-progress';

export interface ProgressCounts {
  mailboxes: number;
  files: number;
  bytes: number;
}

export interface Progress {
  /** Total mailboxes, once known (discovery may still be running). */
  setTotal(mailboxes: number): void;
  update(c: ProgressCounts): void;
  stop(): void;
}

const NONE: Progress = { setTotal() {}, update() {}, stop() {} };

export function createProgress(enabled: boolean | undefined, stream: NodeJS.WriteStream = process.stderr): Progress {
  const on = enabled ?? Boolean(stream.isTTY);
  if (!on) return NONE;
  const started = Date.now();
  let total = 0;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ' {bar} {value}/{total} mailboxes | {files} files | {mb} MB | {rate} MB/s | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      noTTYOutput: !stream.isTTY,
      notTTYSchedule: 2000,
      fps: 5,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(0, 0, { files: 0, mb: '0.0', rate: '0.0' });
  return {
    setTotal(n) {
      total = n;
      bar.setTotal(n);
    },
    update(c) {
      const secs = (Date.now() - started) / 1000;
      if (c.mailboxes > total) bar.setTotal((total = c.mailboxes));
      bar.update(c.mailboxes, {
        files: c.files,
        mb: (c.bytes / 1e6).toFixed(1),
        rate: secs > 0 ? (c.bytes / 1e6 / secs).toFixed(1) : '0.0',
      });
    },
    stop() {
      bar.stop();
    },
  };
}
