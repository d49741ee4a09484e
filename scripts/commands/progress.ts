/**
 * Progress display for long work: a redrawn bar on a terminal, periodic plain lines otherwise (CI,
 * pipes), both with counts, rate and ETA.
 */

export interface ProgressFrame {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  readonly running: number;
  /** Finished (done + failed) per second. */
  readonly rate: number;
  readonly note?: string;
}

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatFrame(f: ProgressFrame, width = 28): string {
  const finished = f.done + f.failed + f.skipped;
  const ratio = f.total > 0 ? Math.min(1, finished / f.total) : 1;
  const filled = Math.round(ratio * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  const remaining = f.total - finished;
  const eta = f.rate > 0 ? remaining / f.rate : Number.POSITIVE_INFINITY;
  return (
    `[${bar}] ${String(finished).padStart(String(f.total).length)}/${f.total} ` +
    `done ${f.done} failed ${f.failed} skipped ${f.skipped} running ${f.running} | ${f.rate.toFixed(1)}/s ETA ${remaining === 0 ? '0s' : formatEta(eta)}` +
    (f.note ? ` (${f.note})` : '')
  );
}

export class ProgressReporter {
  private lastLineAt = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = 5_000,
  ) {}

  update(frame: ProgressFrame): void {
    const line = formatFrame(frame);
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else if (Date.now() - this.lastLineAt >= this.intervalMs) {
      this.out.write(`${line}\n`);
      this.lastLineAt = Date.now();
    }
  }

  finish(frame: ProgressFrame): void {
    if (this.out.isTTY) this.out.write(`\r${formatFrame(frame)}\x1b[K\n`);
    else this.out.write(`${formatFrame(frame)}\n`);
    this.drawn = false;
  }

  get active(): boolean {
    return this.drawn;
  }
}
