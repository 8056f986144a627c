// A progress bar on stderr (cli-progress): mailboxes, files, bytes, rate and — when the number of
// mailboxes is known up front (mailboxes.db) — a bar and an ETA. Shown only when stderr is a
// terminal unless --progress/--no-progress says otherwise; never on stdout, so --json/--ndjson
// output stays clean.
import cliProgress from 'cli-progress';

export interface ProgressCounts {
  mailboxes: number;
  files: number;
  bytes: number;
}

export interface Progress {
  /** Total mailboxes, when discovery knows it before the first one is checked. */
  setTotal(mailboxes: number): void;
  update(c: ProgressCounts): void;
  stop(): void;
}

const NONE: Progress = { setTotal() {}, update() {}, stop() {} };

const WITH_TOTAL = ' {bar} {value}/{total} mailboxes | {files} files | {mb} MB | {rate} MB/s | ETA {eta_formatted}';
const OPEN_ENDED = ' {value} mailboxes | {files} files | {mb} MB | {rate} MB/s';

export function createProgress(enabled: boolean | undefined, stream: NodeJS.WriteStream = process.stderr): Progress {
  const on = enabled ?? Boolean(stream.isTTY);
  if (!on) return NONE;
  const started = Date.now();
  let total: number | undefined;
  let bar: cliProgress.SingleBar | undefined;
  const start = () => {
    bar = new cliProgress.SingleBar(
      {
        stream,
        format: total ? WITH_TOTAL : OPEN_ENDED,
        hideCursor: true,
        clearOnComplete: true,
        noTTYOutput: !stream.isTTY,
        notTTYSchedule: 2000,
        fps: 5,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total ?? 0, 0, { files: 0, mb: '0.0', rate: '0.0' });
    return bar;
  };
  return {
    setTotal(n) {
      total = n;
      bar?.setTotal(n);
    },
    update(c) {
      const b = bar ?? start();
      if (total !== undefined && c.mailboxes > total) b.setTotal((total = c.mailboxes)); // unlisted folders
      const secs = (Date.now() - started) / 1000;
      b.update(c.mailboxes, {
        files: c.files,
        mb: (c.bytes / 1e6).toFixed(1),
        rate: secs > 0 ? (c.bytes / 1e6 / secs).toFixed(1) : '0.0',
      });
    },
    stop() {
      bar?.stop();
    },
  };
}
