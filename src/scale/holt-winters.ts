/**
 * Additive Holt-Winters (level, trend, one season), fitted online one bucket at a time.
 *
 * Additive rather than multiplicative because arrivals per bucket drop to zero at night in a
 * small game, and a multiplicative season divides by the level. The first two seasons are kept
 * to initialise level, trend and season from data (a cold start from zero would need several
 * seasons to forget its guess); until then `ready` is false and callers fall back to reactive
 * scaling. A one-off in those two seasons (a reconnect storm, an outage: a bucket where they
 * disagree far beyond their usual disagreement) is not taken for part of the season. After that
 * each observation costs O(1) and nothing is allocated.
 */
import { invalidArgument } from '../core/errors.ts';

export interface HoltWintersOptions {
  /** Buckets per season (e.g. 288 five-minute buckets for a daily season). */
  season: number;
  /** Level smoothing, 0..1. */
  alpha?: number;
  /** Trend smoothing, 0..1. */
  beta?: number;
  /** Season smoothing, 0..1. */
  gamma?: number;
}

export class HoltWinters {
  readonly season: number;
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  private level = 0;
  private trend = 0;
  private readonly seasonal: Float64Array;
  /** The first two seasons, kept for initialisation, and their means. */
  private readonly warmup: Float64Array;
  private readonly means = new Float64Array(2);
  /** Observations seen so far. */
  private n = 0;

  constructor(o: HoltWintersOptions) {
    if (!Number.isInteger(o.season) || o.season < 2 || o.season > 1_000_000) {
      throw invalidArgument('season', o.season, 'an integer number of buckets in [2, 1000000]');
    }
    this.season = o.season;
    this.alpha = unit('alpha', o.alpha ?? 0.2);
    this.beta = unit('beta', o.beta ?? 0.01);
    this.gamma = unit('gamma', o.gamma ?? 0.3);
    this.seasonal = new Float64Array(o.season);
    this.warmup = new Float64Array(2 * o.season);
  }

  /** True once two full seasons have been seen: forecasts mean something. */
  get ready(): boolean {
    return this.n >= 2 * this.season;
  }

  /** Observations seen. */
  get observations(): number {
    return this.n;
  }

  /** Adds the value of the next bucket. */
  observe(x: number): void {
    if (!Number.isFinite(x)) throw invalidArgument('observation', x, 'a finite number');
    const m = this.season;
    if (this.n < 2 * m) {
      this.warmup[this.n++] = x;
      if (this.n === 2 * m) this.initialise();
      return;
    }
    const i = this.n % m;
    const s = this.seasonal[i]!;
    const prevLevel = this.level;
    this.level = this.alpha * (x - s) + (1 - this.alpha) * (prevLevel + this.trend);
    this.trend = this.beta * (this.level - prevLevel) + (1 - this.beta) * this.trend;
    this.seasonal[i] = this.gamma * (x - this.level) + (1 - this.gamma) * s;
    this.n++;
  }

  /**
   * The value expected `h` buckets after the last observation (h ≥ 1). Before `ready`, the
   * mean of what was seen (a flat guess, which callers should not act on).
   */
  forecast(h: number): number {
    if (!this.ready) {
      if (this.n === 0) return 0;
      let sum = 0;
      for (let k = 0; k < this.n; k++) sum += this.warmup[k]!;
      return sum / this.n;
    }
    const i = (this.n + h - 1) % this.season;
    return this.level + h * this.trend + this.seasonal[i]!;
  }

  /** The season's component for bucket `i` of the season (0 = the first bucket seen). */
  seasonalAt(i: number): number {
    return this.seasonal[((i % this.season) + this.season) % this.season]!;
  }

  /** Current level and trend (per bucket). */
  get state(): { level: number; trend: number } {
    return { level: this.level, trend: this.trend };
  }

  private initialise(): void {
    const m = this.season;
    this.fit();
    // A bucket whose two seasons disagree far more than the seasons usually do holds a one-off
    // in one of them (a reconnect storm, an outage); averaged in, half of it would come back
    // every season, and drag the level each time. A run of such buckets keeps the season that
    // joins the buckets on either side of the run smoothly; the other's values are replaced.
    const d1 = new Float64Array(m);
    const d2 = new Float64Array(m);
    const diff = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      d1[k] = this.offset(0, k);
      d2[k] = this.offset(1, k);
      diff[k] = d1[k]! - d2[k]!;
    }
    // The usual disagreement, robustly: its median, and its spread as a standard deviation
    // (median absolute deviation / 0.6745). The one-offs themselves barely move either.
    const centre = median(diff);
    const gap = diff.map((x) => Math.abs(x - centre));
    const usual = median(gap) / 0.6745;
    // (With two identical seasons `usual` is 0: rounding is not a one-off.)
    const odd = (k: number): boolean => gap[(k + m) % m]! > Math.max(OUTLIER_K * usual, 1e-9);
    let start = 0;
    while (start < m && odd(start)) start++;
    if (start === m) return; // the two seasons disagree everywhere: nothing to tell apart
    let replaced = false;
    for (let k = start + 1; k < start + m; k++) {
      if (!odd(k)) continue;
      let end = k;
      while (end + 1 < start + m && odd(end + 1)) end++;
      const before = (k - 1) % m;
      const after = (end + 1) % m;
      const jump = (d: Float64Array): number => Math.abs(d[k % m]! - d[before]!) + Math.abs(d[end % m]! - d[after]!);
      const keepFirst = jump(d1) <= jump(d2);
      for (let j = k; j <= end; j++) {
        const i = j % m;
        // The rejected observation becomes the kept one plus the usual difference between the
        // seasons (diff − centre is how far this bucket strays from it).
        if (keepFirst) this.warmup[m + i] = this.warmup[m + i]! + diff[i]! - centre;
        else this.warmup[i] = this.warmup[i]! - diff[i]! + centre;
      }
      replaced = true;
      k = end;
    }
    if (replaced) this.fit();
  }

  /** Level, trend and season from the two seasons kept. */
  private fit(): void {
    const m = this.season;
    let first = 0;
    let second = 0;
    for (let k = 0; k < m; k++) {
      first += this.warmup[k]!;
      second += this.warmup[m + k]!;
    }
    first /= m;
    second /= m;
    this.means[0] = first;
    this.means[1] = second;
    this.trend = (second - first) / m;
    // The level at the end of the second season, and each bucket's offset from its season's
    // mean averaged over both seasons (the trend within a season taken out).
    this.level = second + this.trend * ((m - 1) / 2);
    for (let k = 0; k < m; k++) this.seasonal[k] = (this.offset(0, k) + this.offset(1, k)) / 2;
  }

  /** Bucket k's offset from the mean of warm-up season `s` (0 or 1), the trend within it taken out. */
  private offset(s: number, k: number): number {
    const m = this.season;
    return this.warmup[s * m + k]! - this.means[s]! - this.trend * (k - (m - 1) / 2);
  }
}

/** Two seasons disagreeing by more than this many usual disagreements in a bucket: a one-off. */
const OUTLIER_K = 8;

function median(xs: Float64Array): number {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function unit(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0 || v > 1) throw invalidArgument(name, v, 'a number in [0, 1]');
  return v;
}
