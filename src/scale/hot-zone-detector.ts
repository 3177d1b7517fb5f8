/**
 * Hot-zone detection: each zone's join rate and population against its own baseline, taken
 * relative to the rest of the world.
 *
 * Per zone, an exponentially weighted mean and variance of the join rate and of the
 * population (typed arrays over every zone id: two passes over them per sample, no
 * allocation, no per-zone object).
 *
 * What a zone is compared with is its baseline plus its share of any surge the rest of the
 * world shows now: if the other zones together join (or hold) more than their baselines say,
 * a zone is expected to take its part of that excess, its part being the larger of its share
 * of the world's baseline arrivals and of its baseline population (a mass reconnect brings
 * players back where they were). So a surge every zone shares (the reconnect after an outage,
 * a busy hour starting) flags nothing, and one zone's own surge during it still stands out.
 * Hot zones are left out of the world's totals, so that one crowd does not hide another.
 *
 * A zone is flagged hot when, for `confirmSamples` samples in a row, its join rate is more
 * than `k` standard deviations above what is expected, at least `minRise` above it in
 * relative terms and at least `minRate` joins/s in absolute terms; or the same of its
 * population (with `minPopulation`). The variance has a Poisson floor (a rate counted over a
 * short sample is noisy even when the underlying rate is constant), so a quiet zone does not
 * flag on its first few joins. While the rest of the world surges too, a zone needs a few more
 * hot samples in a row (a world-wide surge does not reach every zone in the same second).
 *
 * A hot zone stays flagged while its join rate or its population is still well above what is
 * expected (the crowd is there after its arrivals stop, and queue admissions into it belong to
 * the same crowd), and cools once both have stayed near it (within `exitK` deviations, or the
 * population under 1 + minRise / 2 times it, or under `minPopulation`) for `coolMs`. While it is hot its baselines are
 * all but frozen (the crowd must not become the zone's normal within minutes): they move with
 * the time constant `hotBaselineMs`, so that a crowd that stays for hours does become the new
 * normal and the zone cools.
 *
 * Baselines start at zero, so nothing is flagged during a warm-up (`warmupMs`).
 *
 * Each pass stops at the highest zone id the engine has ever used, so its cost follows the
 * world, not the id space; zones with no joins and no history are skipped at the first
 * comparison.
 */
import { invalidArgument } from '../core/errors.ts';

export interface HotZoneOptions {
  /** Time constant of the baselines (ms). */
  baselineMs: number;
  /** Time constant of a hot zone's baselines (ms): how long a crowd takes to become its normal. */
  hotBaselineMs: number;
  /** Deviations above the expected value that make a sample "hot". */
  k: number;
  /** Deviations under which a hot zone counts as calm. */
  exitK: number;
  /** Relative rise over the expected value a hot sample also needs (1 = double). */
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
  hotBaselineMs: 7_200_000,
  k: 4,
  exitK: 2,
  minRise: 1,
  minRate: 2,
  minPopulation: 50,
  confirmSamples: 2,
  coolMs: 10_000,
  warmupMs: 30_000,
};

/** A zone's part of a world-wide excess is at most this share of it (keeps share / (1 − share) finite). */
const MAX_SHARE = 0.5;
/**
 * Hot samples a zone needs beyond `confirmSamples` while the rest of the world surges: a
 * world-wide surge does not reach every zone in the same second (a queue is admitted in its
 * own order), so a sample or two can show a zone ahead of its share.
 */
const SURGE_CONFIRM = 3;

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
  private readonly pop: Uint32Array;
  private readonly streak: Uint8Array;
  private readonly hot: Uint8Array;
  private readonly calmSince: Float64Array;
  private readonly seen: Uint8Array;
  private lastNow = Number.NaN;
  /** The update under way: its sample interval (s), baseline weights, and the world's totals. */
  private dt = 1;
  private w = 0;
  private wHot = 0;
  private worldRate = 0;
  private worldRateBase = 0;
  private worldPop = 0;
  private worldPopBase = 0;
  private startedAt = Number.NaN;
  private hotCount = 0;
  /** Reused for each update's answer. */
  private readonly changes: HotZoneChange[] = [];

  constructor(zones: number, options: Partial<HotZoneOptions> = {}) {
    if (!Number.isInteger(zones) || zones < 1) throw invalidArgument('zones', zones, 'an integer ≥ 1');
    const o = { ...DEFAULT_HOT_ZONE, ...options };
    if (!(o.baselineMs > 0)) throw invalidArgument('baselineMs', o.baselineMs, 'a positive number of ms');
    if (!(o.hotBaselineMs >= o.baselineMs)) throw invalidArgument('hotBaselineMs', o.hotBaselineMs, `a number of ms ≥ baselineMs (${o.baselineMs})`);
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
    this.pop = new Uint32Array(zones);
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

  /** The latest join rate of `zone` (joins/s), its baseline, and its baseline population. */
  rateOf(zone: number): { joinRate: number; baseline: number; population: number } {
    return { joinRate: this.rate[zone]!, baseline: this.rateMean[zone]!, population: this.popMean[zone]! };
  }

  /**
   * One sample: cumulative joins per zone (u32, wrapping) and population per zone, at `now`.
   * Zones from `bound` on have had no join and no player ever (Engine.sampleZones says where
   * that starts), so they are not looked at. Returns the zones that turned hot or cool (the
   * array is reused by the next call).
   */
  update(now: number, joins: Uint32Array, population: Uint32Array, bound: number = this.zones): readonly HotZoneChange[] {
    const n = this.begin(now, joins, population, bound);
    if (n > 0) {
      this.measure(joins, population, 0, n);
      this.judge(now, 0, n);
    }
    return this.changes;
  }

  /**
   * The same update in slices, for a caller that must not hold its thread for a whole pass
   * (the hot-zone monitor runs beside the gateways): `begin` says how many zones to go
   * through (0: nothing to judge this time), then `measure` every slice in order, then `judge`
   * every slice in order; `changes` then holds what `update` would have returned. The arrays
   * must not change in between. Only the world's totals may differ from one pass, by rounding.
   */
  begin(now: number, joins: Uint32Array, population: Uint32Array, bound: number = this.zones): number {
    this.changes.length = 0;
    const n = Math.min(this.zones, bound);
    if (Number.isNaN(this.lastNow)) {
      this.prev.set(joins.subarray(0, n));
      for (let z = 0; z < n; z++) {
        const p = population[z]!;
        this.popMean[z] = p;
        if (p !== 0 || this.prev[z] !== 0) this.seen[z] = 1;
      }
      this.lastNow = now;
      this.startedAt = now;
      return 0;
    }
    const dtMs = now - this.lastNow;
    if (!(dtMs > 0)) return 0;
    this.lastNow = now;
    this.dt = dtMs / 1000;
    this.w = 1 - Math.exp(-dtMs / this.o.baselineMs);
    this.wHot = 1 - Math.exp(-dtMs / this.o.hotBaselineMs);
    this.worldRate = 0;
    this.worldRateBase = 0;
    this.worldPop = 0;
    this.worldPopBase = 0;
    return n;
  }

  /** Zones that turned hot or cool in the last update (reused by the next). */
  get lastChanges(): readonly HotZoneChange[] {
    return this.changes;
  }

  /** Pass 1 over zones [from, to): each zone's rate this sample, and the world's totals and baselines (zones not hot). */
  measure(joins: Uint32Array, population: Uint32Array, from: number, to: number): void {
    const dt = this.dt;
    let worldRate = 0;
    let worldRateBase = 0;
    let worldPop = 0;
    let worldPopBase = 0;
    for (let z = from; z < to; z++) {
      const cur = joins[z]!;
      const d = (cur - this.prev[z]!) >>> 0;
      const p = population[z]!;
      if (d === 0 && p === 0 && this.seen[z] === 0) continue;
      this.seen[z] = 1;
      this.prev[z] = cur;
      const r = d / dt;
      this.rate[z] = r;
      this.pop[z] = p;
      if (this.hot[z] === 1) continue;
      worldRate += r;
      worldRateBase += this.rateMean[z]!;
      worldPop += p;
      worldPopBase += this.popMean[z]!;
    }
    this.worldRate += worldRate;
    this.worldRateBase += worldRateBase;
    this.worldPop += worldPop;
    this.worldPopBase += worldPopBase;
  }

  /** Pass 2 over zones [from, to): each zone against its baseline plus its part of the rest of the world's excess. */
  judge(now: number, from: number, to: number): void {
    const changes = this.changes;
    const { dt, w, wHot, worldRate, worldRateBase, worldPop, worldPopBase } = this;
    const { k, exitK, minRise, minRate, minPopulation, confirmSamples, coolMs } = this.o;
    const armed = now - this.startedAt >= this.o.warmupMs;
    for (let z = from; z < to; z++) {
      if (this.seen[z] === 0) continue;
      const r = this.rate[z]!;
      const pop = this.pop[z]!;
      const mean = this.rateMean[z]!;
      const pMean = this.popMean[z]!;
      const counted = this.hot[z] === 0;
      // The rest of the world: leave this zone out, so that its own surge never excuses itself.
      const restRate = worldRate - (counted ? r : 0);
      const restRateBase = worldRateBase - (counted ? mean : 0);
      const restPop = worldPop - (counted ? pop : 0);
      const restPopBase = worldPopBase - (counted ? pMean : 0);
      const popShare = share(pMean, restPopBase);
      const expRate = mean + part(Math.max(share(mean, restRateBase), popShare)) * Math.max(0, restRate - restRateBase);
      const expPop = pMean + part(popShare) * Math.max(0, restPop - restPopBase);
      // Poisson floor: counting over dt seconds, a steady rate λ shows a variance of λ/dt.
      // (The deviations and the rest-of-world surge are worked out only where a test reads
      // them: most zones fail the cheap thresholds first, and this pass runs every second over
      // every zone in use.)
      if (this.hot[z] === 0) {
        const rateHot = armed && r >= minRate && r >= expRate * (1 + minRise) && r > expRate + k * Math.sqrt(this.rateVar[z]! + Math.max(expRate, 1 / dt) / dt);
        const popHot = armed && pop >= minPopulation && pop >= expPop * (1 + minRise) && pop > expPop + k * Math.sqrt(this.popVar[z]! + Math.max(expPop, 1));
        if (rateHot || popHot) {
          const restSurge =
            restRate > restRateBase * (1 + minRise) + k * Math.sqrt(Math.max(restRateBase, 1 / dt) / dt) ||
            restPop > restPopBase * (1 + minRise / 2) + k * Math.sqrt(Math.max(restPopBase, 1));
          const need = confirmSamples + (restSurge ? SURGE_CONFIRM : 0);
          this.streak[z] = Math.min(255, this.streak[z]! + 1);
          if (this.streak[z]! >= need) {
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
      // Hot: the baselines move only slowly, and their variances not at all (a crowd's spread
      // would otherwise widen the calm band until the crowd itself looked calm).
      this.rateMean[z] = mean + wHot * (r - mean);
      this.popMean[z] = pMean + wHot * (pop - pMean);
      // (Their variances do not move while hot, so reading them after the means moved is the same.)
      const rateUp = r >= minRate && r > expRate + exitK * Math.sqrt(this.rateVar[z]! + Math.max(expRate, 1 / dt) / dt);
      const popUp = pop >= minPopulation && pop >= expPop * (1 + minRise / 2) && pop > expPop + exitK * Math.sqrt(this.popVar[z]! + Math.max(expPop, 1));
      if (rateUp || popUp) {
        this.calmSince[z] = Number.NaN;
        continue;
      }
      if (Number.isNaN(this.calmSince[z]!)) this.calmSince[z] = now;
      if (now - this.calmSince[z]! >= coolMs) {
        this.hot[z] = 0;
        this.hotCount--;
        this.streak[z] = 0;
        changes.push({ zone: z, hot: false, joinRate: r, baseline: this.rateMean[z]!, population: pop });
      }
    }
  }
}

/** A zone's share of a total whose other part is `rest` (0 when both are 0). */
function share(own: number, rest: number): number {
  const total = own + Math.max(0, rest);
  return total > 0 ? own / total : 0;
}

/** How much of the rest's excess falls to a zone holding `s` of the whole: s / (1 − s). */
function part(s: number): number {
  const c = Math.min(s, MAX_SHARE);
  return c / (1 - c);
}
