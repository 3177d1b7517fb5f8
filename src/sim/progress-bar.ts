/**
 * A progress bar for the terminal: the share of simulated time done over all runs, and how
 * many runs are finished. On a terminal it redraws one line (at most ten times a second); into
 * a file or a pipe it writes one line per finished run instead.
 */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressBar {
  private readonly finished: boolean[];
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    /** A label per run ("crash × zonelb"). */
    private readonly labels: readonly string[],
    private readonly now: () => number = () => Date.now(),
  ) {
    this.finished = labels.map(() => false);
  }

  /** `done[i]`: the share of run i done (1 = finished). */
  update(done: readonly number[]): void {
    let finishedNow = false;
    for (let i = 0; i < done.length; i++) {
      if (done[i]! >= 1 && !this.finished[i]) {
        this.finished[i] = true;
        finishedNow = true;
        if (!this.stream.isTTY) this.stream.write(`[${this.count()}/${this.labels.length}] ${this.labels[i]} done\n`);
      }
    }
    if (!this.stream.isTTY) return;
    const t = this.now();
    if (!finishedNow && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    this.stream.write(`\r${render(done, this.count(), this.labels, this.stream.columns ?? 80)}`);
    this.drawn = true;
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.stream.isTTY && this.drawn) this.stream.write('\n');
  }

  private count(): number {
    return this.finished.filter(Boolean).length;
  }
}

/** One line: bar, percentage, runs finished, and the runs in progress (as many as fit). */
export function render(done: readonly number[], finished: number, labels: readonly string[], columns: number): string {
  const total = done.length === 0 ? 1 : done.reduce((a, b) => a + Math.min(1, b), 0) / done.length;
  const width = 24;
  const full = Math.round(total * width);
  let line = `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${String(Math.floor(total * 100)).padStart(3)} %  ${finished}/${labels.length} runs`;
  const running = labels.filter((_, i) => done[i]! > 0 && done[i]! < 1);
  if (running.length > 0) line += `  ${running.join(', ')}`;
  const max = Math.max(20, columns - 1);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line.padEnd(max);
}
