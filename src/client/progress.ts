/**
 * Progress of a transfer or a rotation: a cli-progress bar with throughput and ETA on stderr
 * when it is a terminal, nothing when piped or with --quiet. Result lines (one per file or
 * object) go through `line()`, which prints them above the bar so they do not tear it.
 */
import cliProgress from 'cli-progress';

export type ProgressUnit = 'bytes' | 'objects';

export interface Progress {
  /** Work done since the last call (bytes or objects), with what is being worked on. */
  add(amount: number, label?: string): void;
  /** Work discovered later (a listing still running): grows the total. */
  grow(amount: number): void;
  /** A result line, for stdout (or above the bar when both share a terminal). */
  line(text: string): void;
  /** A warning or error line for stderr. */
  warn(text: string): void;
  /** Removes the bar; call once, in a finally. */
  stop(): void;
}

export interface ProgressOptions {
  readonly unit: ProgressUnit;
  readonly total: number;
  /** Draw a bar: the caller decides (stderr is a TTY and neither --quiet nor --no-progress). */
  readonly bar: boolean;
  /** --quiet: no result lines either, only warnings and errors. */
  readonly quiet?: boolean;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${UNITS[i]}`;
}

/** Throughput over the last few seconds, so a stall shows instead of a lifetime average. */
class RateWindow {
  private readonly samples: { t: number; total: number }[] = [];
  private total = 0;

  add(amount: number): void {
    this.total += amount;
    const t = Date.now();
    this.samples.push({ t, total: this.total });
    while (this.samples.length > 2 && t - this.samples[0]!.t > 5000) this.samples.shift();
  }

  /** Units per second. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (first === undefined || last === undefined || last.t === first.t) return 0;
    return ((last.total - first.total) * 1000) / (last.t - first.t);
  }
}

export function createProgress(opts: ProgressOptions): Progress {
  const quiet = opts.quiet === true;
  if (!opts.bar) {
    return {
      add: () => undefined,
      grow: () => undefined,
      line: (text) => {
        if (!quiet) process.stdout.write(`${text}\n`);
      },
      warn: (text) => process.stderr.write(`${text}\n`),
      stop: () => undefined,
    };
  }
  const bytes = opts.unit === 'bytes';
  const show = (n: number) => (bytes ? formatBytes(n) : String(Math.round(n)));
  const multi = new cliProgress.MultiBar(
    {
      format: bytes
        ? '{bar} {percentage}% | {done} / {size} | {speed}/s | ETA {eta_formatted} | {label}'
        : '{bar} {percentage}% | {done} / {size} objects | {speed} objects/s | ETA {eta_formatted} | {label}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let total = opts.total;
  let done = 0;
  let label = '';
  const rate = new RateWindow();
  const payload = () => ({ done: show(done), size: show(total), speed: show(rate.rate()), label });
  const bar = multi.create(Math.max(total, 1), 0, payload());
  // Result lines share the terminal with the bar only when stdout is that terminal too.
  const toTerminal = process.stdout.isTTY;
  // multi.log() only queues a line for the next redraw: once the bar is gone, write directly.
  let stopped = false;
  return {
    add(amount, newLabel) {
      done += amount;
      if (newLabel !== undefined) label = newLabel;
      rate.add(amount);
      bar.update(done, payload());
    },
    grow(amount) {
      total += amount;
      bar.setTotal(Math.max(total, 1));
      bar.update(done, payload());
    },
    line(text) {
      if (quiet) return;
      if (toTerminal && !stopped) multi.log(`${text}\n`);
      else process.stdout.write(`${text}\n`);
    },
    warn(text) {
      if (stopped) process.stderr.write(`${text}\n`);
      else multi.log(`${text}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.update(done, payload());
      // A redraw prints the lines queued since the last one, which stop() alone would drop.
      multi.update();
      multi.stop();
    },
  };
}
