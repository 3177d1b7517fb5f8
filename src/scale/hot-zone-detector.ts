/**
 * Hot-zone detection: each zone's join rate (and population) against its own recent baseline.
 *
 * Per zone, an exponentially weighted mean and variance of the join rate and of the
 * population (typed arrays over every zone id: one pass over them per sample, no allocation,
 * no per-zone object). A zone is flagged hot when, for `confirmSamples` samples in a row, its
 * join rate is more than `k` standard deviations above its baseline, at least `minRise` above
 * it in relative terms and at least `minRate` joins/s in absolute terms; or the same of its
 * population (with `minPopulation`). The variance has a Poisson floor (a rate counted over a
 * short sample is noisy even when the underlying rate is constant), so a quiet zone does not
 * flag on its first few joins. While a zone is hot its baseline is frozen (the crowd must not
 * become the new normal); it cools once its join rate has stayed within `exitK` deviations of
 * the baseline for `coolMs`, and its population baseline then restarts from what is there.
 *
 * Baselines start at zero, so nothing is flagged during a warm-up (`warmupMs`).
 *
 * One pass over all zone ids per sample costs about a millisecond per 250 k zones; zones with
 * no joins and no history are skipped at the first comparison.
 */
import { invalidArgument } from '../core/errors.ts';

export interface HotZoneOptions {
  /** Time constant of the baselines (ms). */
  baselineMs: number;
  /** Deviations above the baseline that make a sample "hot". */
  k: number;
  /** Deviations under which a hot zone counts as calm. */
  exitK: number;
  /** Relative rise over the baseline a hot sample also needs (1 = double). */
  minRise: number;
  /** Joins per second a hot sample also needs. */
  minRate: number;
  /** Population a population-hot sample also needs. */
  minPopulation: number;
  /** Hot samples in a row before a zone is flagged. */
  confirmSamples: number;
  /** Calm time before a hot zone is un-flagged (ms). */
  coolMs: number;
  /** Nothing is flagged until the detector has watched this long (ms): baselines start at zero. */
  warmupMs: number;
}

export const DEFAULT_HOT_ZONE: HotZoneOptions = {
  baselineMs: 120_000,
  k: 4,
  exitK: 2,
  minRise: 1,
  minRate: 2,
  minPopulation: 50,
  confirmSamples: 2,
  coolMs: 10_000,
  warmupMs: 30_000,
};

export interface HotZoneChange {
  zone: number;
  hot: boolean;
  /** Join rate (joins/s) at the change. */
  joinRate: number;
  /** The zone's baseline join rate (joins/s). */
  baseline: number;
  population: number;
}

export class HotZoneDetector {
  readonly o: Readonly<HotZoneOptions>;
  readonly zones: number;
  private readonly prev: Uint32Array;
  private readonly rateMean: Float32Array;
  private readonly rateVar: Float32Array;
  private readonly popMean: Float32Array;
  private readonly popVar: Float32Array;
  private readonly rate: Float32Array;
  private readonly streak: Uint8Array;
  private readonly hot: Uint8Array;
  private readonly calmSince: Float64Array;
  private readonly seen: Uint8Array;
  private lastNow = Number.NaN;
  private startedAt = Number.NaN;
  private hotCount = 0;
  /** Reused for each update's answer. */
  private readonly changes: HotZoneChange[] = [];

  constructor(zones: number, options: Partial<HotZoneOptions> = {}) {
    if (!Number.isInteger(zones) || zones < 1) throw invalidArgument('zones', zones, 'an integer ≥ 1');
    const o = { ...DEFAULT_HOT_ZONE, ...options };
    if (!(o.baselineMs > 0)) throw invalidArgument('baselineMs', o.baselineMs, 'a positive number of ms');
    if (!(o.k > 0) || !(o.exitK >= 0) || o.exitK > o.k) throw invalidArgument('exitK', o.exitK, `a number in [0, k ${o.k}]`);
    if (!Number.isInteger(o.confirmSamples) || o.confirmSamples < 1 || o.confirmSamples > 255) {
      throw invalidArgument('confirmSamples', o.confirmSamples, 'an integer in [1, 255]');
    }
    this.o = Object.freeze(o);
    this.zones = zones;
    this.prev = new Uint32Array(zones);
    this.rateMean = new Float32Array(zones);
    this.rateVar = new Float32Array(zones);
    this.popMean = new Float32Array(zones);
    this.popVar = new Float32Array(zones);
    this.rate = new Float32Array(zones);
    this.streak = new Uint8Array(zones);
    this.hot = new Uint8Array(zones);
    this.calmSince = new Float64Array(zones).fill(Number.NaN);
    this.seen = new Uint8Array(zones);
  }

  isHot(zone: number): boolean {
    return this.hot[zone] === 1;
  }

  /** Zones flagged now. */
  get hotZones(): number {
    return this.hotCount;
  }

  /** The latest join rate of `zone` (joins/s) and its baseline. */
  rateOf(zone: number): { joinRate: number; baseline: number; population: number } {
    return { joinRate: this.rate[zone]!, baseline: this.rateMean[zone]!, population: this.popMean[zone]! };
  }

  /**
   * One sample: cumulative joins per zone (u32, wrapping) and population per zone, at `now`.
   * Returns the zones that turned hot or cool (the array is reused by the next call).
   */
  update(now: number, joins: Uint32Array, population: Uint32Array): readonly HotZoneChange[] {
    const changes = this.changes;
    changes.length = 0;
    const n = this.zones;
    if (Number.isNaN(this.lastNow)) {
      this.prev.set(joins.subarray(0, n));
      for (let z = 0; z < n; z++) {
        const p = population[z]!;
        this.popMean[z] = p;
        if (p !== 0 || this.prev[z] !== 0) this.seen[z] = 1;
      }
      this.lastNow = now;
      this.startedAt = now;
      return changes;
    }
    const dtMs = now - this.lastNow;
    if (!(dtMs > 0)) return changes;
    this.lastNow = now;
    const dt = dtMs / 1000;
    const w = 1 - Math.exp(-dtMs / this.o.baselineMs);
    const { k, exitK, minRise, minRate, minPopulation, confirmSamples, coolMs } = this.o;
    const armed = now - this.startedAt >= this.o.warmupMs;
    for (let z = 0; z < n; z++) {
      const cur = joins[z]!;
      const d = (cur - this.prev[z]!) >>> 0;
      const pop = population[z]!;
      if (d === 0 && pop === 0 && this.seen[z] === 0) continue;
      this.seen[z] = 1;
      this.prev[z] = cur;
      const r = d / dt;
      this.rate[z] = r;
      const mean = this.rateMean[z]!;
      // Poisson floor: counting over dt seconds, a steady rate λ shows a variance of λ/dt.
      const sd = Math.sqrt(this.rateVar[z]! + Math.max(mean, 1 / dt) / dt);
      const pMean = this.popMean[z]!;
      const pSd = Math.sqrt(this.popVar[z]! + Math.max(pMean, 1));
      const rateHot = armed && r >= minRate && r > mean + k * sd && r >= mean * (1 + minRise);
      const popHot = armed && pop >= minPopulation && pop > pMean + k * pSd && pop >= pMean * (1 + minRise);
      if (this.hot[z] === 0) {
        if (rateHot || popHot) {
          this.streak[z] = Math.min(255, this.streak[z]! + 1);
          if (this.streak[z]! >= confirmSamples) {
            this.hot[z] = 1;
            this.hotCount++;
            this.calmSince[z] = Number.NaN;
            changes.push({ zone: z, hot: true, joinRate: r, baseline: mean, population: pop });
            continue;
          }
        } else this.streak[z] = 0;
        // Learn the baseline only from samples that are not (yet) a crowd.
        if (this.streak[z] === 0) {
          const dm = r - mean;
          this.rateMean[z] = mean + w * dm;
          this.rateVar[z] = (1 - w) * (this.rateVar[z]! + w * dm * dm);
          const dp = pop - pMean;
          this.popMean[z] = pMean + w * dp;
          this.popVar[z] = (1 - w) * (this.popVar[z]! + w * dp * dp);
        }
        continue;
      }
      // Hot: baseline frozen; count calm time.
      const calm = r <= mean + exitK * sd || r < minRate;
      if (!calm) {
        this.calmSince[z] = Number.NaN;
        continue;
      }
      if (Number.isNaN(this.calmSince[z]!)) this.calmSince[z] = now;
      if (now - this.calmSince[z]! >= coolMs) {
        this.hot[z] = 0;
        this.hotCount--;
        this.streak[z] = 0;
        // The players who came stay a while: that population is the zone's new normal.
        this.popMean[z] = pop;
        this.popVar[z] = 0;
        changes.push({ zone: z, hot: false, joinRate: r, baseline: mean, population: pop });
      }
    }
    return changes;
  }
}
