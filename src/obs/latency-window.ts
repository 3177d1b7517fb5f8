import type { Histogram, JsHistogram } from 'hdr-histogram-js';

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

const PERCENTILES = [50, 90, 99, 99.9] as const;

/**
 * Recent percentiles of an HdrHistogram that only ever grows (the front end's and the engine's
 * recorders are cumulative since start: an all-time p99 says nothing after an hour).
 * Every `stepMs` the cumulative bucket counts are copied, into a ring of `steps` copies; the
 * window is (now − the copy taken `ageMs` ago). A read is one pass over the buckets, reading
 * the window's counts as differences on the way: the dashboard reads twice a second on the
 * thread that answers gateways, and the library's own route (add into a scratch histogram,
 * subtract, one scan per percentile, and a mean that walks an iterator) cost a few
 * milliseconds there. Nothing is allocated per read, and the recorder is never reset under
 * its owner.
 *
 * The source must be the JavaScript build (src/net/latency.ts and src/engine/engine-stats.ts
 * make it so): the read uses its bucket accessors.
 */
export class LatencyWindow {
  private readonly source: JsHistogram;
  /** Bucket counts of each copy, and the total count and time of each. */
  private readonly copies: Float64Array[] = [];
  private readonly copyTotal: Float64Array;
  private readonly takenAt: Float64Array;
  private next = 0;
  private taken = 0;
  private readonly empty: Float64Array;
  /** Per bucket: the value a percentile in it reports, and the value the mean counts it at. */
  private readonly highest: Float64Array;
  private readonly middle: Float64Array;
  private readonly targets = new Float64Array(PERCENTILES.length);
  private readonly found = new Float64Array(PERCENTILES.length);

  constructor(
    source: Readonly<Histogram>,
    private readonly stepMs = 5000,
    private readonly steps = 12,
  ) {
    this.source = source as unknown as JsHistogram;
    if (typeof this.source.getCountAtIndex !== 'function') throw new TypeError('LatencyWindow needs a JavaScript HdrHistogram (build with useWebAssembly: false)');
    const n = this.source.countsArrayLength;
    this.takenAt = new Float64Array(steps);
    this.copyTotal = new Float64Array(steps);
    for (let i = 0; i < steps; i++) this.copies.push(new Float64Array(n));
    this.empty = new Float64Array(n);
    // The library works these out from the index at every step of every scan: once here.
    this.highest = new Float64Array(n);
    this.middle = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const value = this.source.valueFromIndex(i);
      this.highest[i] = this.source.highestEquivalentValue(value);
      this.middle[i] = this.source.medianEquivalentValue(value);
    }
  }

  /** Keeps a copy if the last one is `stepMs` old. Call it often (every second is plenty). */
  update(nowMs: number): void {
    if (this.taken > 0) {
      const last = (this.next + this.steps - 1) % this.steps;
      if (nowMs - this.takenAt[last]! < this.stepMs) return;
    }
    const src = this.source;
    const c = this.copies[this.next]!;
    const n = Math.min(c.length, src.countsArrayLength);
    for (let i = 0; i < n; i++) c[i] = src.getCountAtIndex(i);
    this.copyTotal[this.next] = src.totalCount;
    this.takenAt[this.next] = nowMs;
    this.next = (this.next + 1) % this.steps;
    if (this.taken < this.steps) this.taken++;
  }

  /** Percentiles of what was recorded since the newest copy at least `ageMs` old (or the oldest copy). */
  quantiles(nowMs: number, ageMs = this.stepMs * this.steps): WindowQuantiles {
    this.update(nowMs);
    const src = this.source;
    const at = this.baseline(nowMs, ageMs);
    const base = at < 0 ? this.empty : this.copies[at]!;
    const count = src.totalCount - (at < 0 ? 0 : this.copyTotal[at]!);
    // Rank of each percentile in the window, rounded up as HdrHistogram rounds it.
    const targets = this.targets;
    const found = this.found;
    for (let k = 0; k < PERCENTILES.length; k++) {
      const fp = (PERCENTILES[k]! / 100) * count;
      targets[k] = Math.max(1, Math.ceil(fp - Math.abs(fp) * Number.EPSILON));
      found[k] = 0;
    }
    let seen = 0;
    let next = 0;
    let maxIndex = -1;
    let sum = 0;
    const highest = this.highest;
    const middle = this.middle;
    const n = Math.min(base.length, src.countsArrayLength);
    for (let i = 0; i < n; i++) {
      const all = src.getCountAtIndex(i);
      if (all === 0) continue;
      sum += middle[i]! * all;
      const inWindow = all - base[i]!;
      if (inWindow <= 0) continue;
      seen += inWindow;
      maxIndex = i;
      while (next < PERCENTILES.length && seen >= targets[next]!) found[next++] = highest[i]!;
    }
    // A percentile reports the highest value equivalent to its bucket: keep them under the max.
    const max = maxIndex < 0 ? 0 : highest[maxIndex]!;
    const ms = (us: number): number => (count <= 0 ? 0 : Math.round(Math.min(us, max)) / 1000);
    return {
      count,
      p50Ms: ms(found[0]!),
      p90Ms: ms(found[1]!),
      p99Ms: ms(found[2]!),
      p999Ms: ms(found[3]!),
      maxMs: ms(max),
      totalCount: src.totalCount,
      totalSumMs: sum / 1000,
    };
  }

  /** Index of the copy the window starts from, or −1 before the first copy. */
  private baseline(nowMs: number, ageMs: number): number {
    let best = -1;
    let bestAt = -Infinity;
    let oldest = -1;
    let oldestAt = Infinity;
    for (let i = 0; i < this.taken; i++) {
      const at = this.takenAt[i]!;
      if (at < oldestAt) {
        oldestAt = at;
        oldest = i;
      }
      if (nowMs - at >= ageMs && at > bestAt) {
        bestAt = at;
        best = i;
      }
    }
    return best >= 0 ? best : oldest;
  }
}
