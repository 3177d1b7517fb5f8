import { build, type Histogram } from 'hdr-histogram-js';

/** Latency percentiles over a recent window, in milliseconds, and the all-time count and sum. */
export interface WindowQuantiles {
  /** Values recorded inside the window. */
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Since start (for Prometheus' _count and _sum, which are cumulative by convention). */
  totalCount: number;
  totalSumMs: number;
}

/** Same layout as the recorders in src/net/latency.ts and src/engine/engine-stats.ts (µs). */
function newHistogram(): Histogram {
  return build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

/**
 * Recent percentiles of an HdrHistogram that only ever grows (the front end's and the engine's
 * recorders are cumulative since start: an all-time p99 says nothing after an hour).
 * Every `stepMs` a copy of the cumulative histogram is kept, in a ring of `steps` copies; the
 * window's percentiles are those of (now − the copy taken `ageMs` ago), computed in a scratch
 * histogram, so a read allocates nothing and the recorder is never reset under its owner.
 */
export class LatencyWindow {
  private readonly copies: Histogram[] = [];
  private readonly takenAt: Float64Array;
  private next = 0;
  private taken = 0;
  private readonly scratch = newHistogram();

  constructor(
    private readonly source: Readonly<Histogram>,
    private readonly stepMs = 5000,
    private readonly steps = 12,
  ) {
    this.takenAt = new Float64Array(steps);
    for (let i = 0; i < steps; i++) this.copies.push(newHistogram());
  }

  /** Keeps a copy if the last one is `stepMs` old. Call it often (every second is plenty). */
  update(nowMs: number): void {
    if (this.taken > 0) {
      const last = (this.next + this.steps - 1) % this.steps;
      if (nowMs - this.takenAt[last]! < this.stepMs) return;
    }
    const c = this.copies[this.next]!;
    c.reset();
    c.add(this.source as Histogram);
    this.takenAt[this.next] = nowMs;
    this.next = (this.next + 1) % this.steps;
    if (this.taken < this.steps) this.taken++;
  }

  /** Percentiles of what was recorded since the newest copy at least `ageMs` old (or the oldest copy). */
  quantiles(nowMs: number, ageMs = this.stepMs * this.steps): WindowQuantiles {
    this.update(nowMs);
    const src = this.source as Histogram;
    const h = this.scratch;
    h.reset();
    h.add(src);
    const base = this.baseline(nowMs, ageMs);
    if (base) h.subtract(base);
    const count = h.totalCount;
    // Percentiles report the highest value equivalent to the bucket: keep them under the max.
    const max = count === 0 ? 0 : h.getValueAtPercentile(100);
    const ms = (us: number): number => (count === 0 ? 0 : Math.round(Math.min(us, max)) / 1000);
    return {
      count,
      p50Ms: ms(h.getValueAtPercentile(50)),
      p90Ms: ms(h.getValueAtPercentile(90)),
      p99Ms: ms(h.getValueAtPercentile(99)),
      p999Ms: ms(h.getValueAtPercentile(99.9)),
      maxMs: ms(max),
      totalCount: src.totalCount,
      totalSumMs: src.totalCount === 0 ? 0 : (src.mean * src.totalCount) / 1000,
    };
  }

  private baseline(nowMs: number, ageMs: number): Histogram | undefined {
    let best: Histogram | undefined;
    let bestAt = -Infinity;
    let oldest: Histogram | undefined;
    let oldestAt = Infinity;
    for (let i = 0; i < this.taken; i++) {
      const at = this.takenAt[i]!;
      if (at < oldestAt) {
        oldestAt = at;
        oldest = this.copies[i];
      }
      if (nowMs - at >= ageMs && at > bestAt) {
        bestAt = at;
        best = this.copies[i];
      }
    }
    return best ?? oldest;
  }
}
