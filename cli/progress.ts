/**
 * Progress of a long command (`scenario --runs N`): on a terminal, one status
 * line kept under the log and redrawn every second (done/total, elapsed,
 * estimate); elsewhere (CI, a pipe) a plain line each time a unit is done.
 * Colour goes through chalk, which is off under NO_COLOR (cli/main.ts).
 */
import chalk from 'chalk';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  /** A log line: printed above the status line on a terminal. */
  log(line: string): void;
  /** `done` units are finished; `note` says how the last one went. */
  update(done: number, note?: string): void;
  /** Removes the status line (terminal) and stops its timer. */
  end(): void;
}

const secs = (ms: number) => (ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);

/**
 * "runs 2/5 · 12.3 s elapsed · about 18.5 s left": the mean time of the finished units times those
 * left, less the time already spent on the current one (`sinceLastDoneMs`).
 */
export function progressText(what: string, done: number, total: number, elapsedMs: number, sinceLastDoneMs = 0): string {
  const mean = (elapsedMs - sinceLastDoneMs) / Math.max(1, done);
  const estimate = done > 0 && done < total ? ` · about ${secs(Math.max(0, mean * (total - done) - sinceLastDoneMs))} left` : done === 0 ? ' · estimating…' : '';
  return `${what} ${done}/${total} · ${secs(elapsedMs)} elapsed${estimate}`;
}

function bar(done: number, total: number, width = 20): string {
  const full = Math.round((done / Math.max(1, total)) * width);
  return chalk.cyan('█'.repeat(full)) + chalk.dim('░'.repeat(width - full));
}

export function progressReporter(opts: { what: string; total: number; out: ProgressStream; now?: () => number }): Progress {
  const now = opts.now ?? Date.now;
  const started = now();
  let done = 0;
  let lastDoneAt = started;
  const text = () => progressText(opts.what, done, opts.total, now() - started, now() - lastDoneAt);
  if (!opts.out.isTTY) {
    return {
      log: (line) => opts.out.write(`${line}\n`),
      update(n, note) {
        done = n;
        lastDoneAt = now();
        opts.out.write(`${text()}${note ? ` — ${note}` : ''}\n`);
      },
      end: () => undefined,
    };
  }
  const status = () => {
    opts.out.write(`\r\x1b[2K${bar(done, opts.total)} ${text()}`);
  };
  const timer = setInterval(status, 1000);
  timer.unref();
  status();
  return {
    log(line) {
      opts.out.write(`\r\x1b[2K${line}\n`);
      status();
    },
    update(n, note) {
      done = n;
      lastDoneAt = now();
      if (note) this.log(note);
      else status();
    },
    end() {
      clearInterval(timer);
      opts.out.write('\r\x1b[2K');
    },
  };
}
