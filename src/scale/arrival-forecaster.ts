/**
 * Turns the engine's cumulative join counters into arrivals per bucket, fits a seasonal
 * forecast of them (the whole world, and each of the busiest zones), and projects the player
 * population a few buckets ahead with a fluid model: each bucket the forecast arrivals come in
 * and a fraction of the players present leave, the fraction set by the mean session length,
 * itself estimated online by Little's law (population = arrival rate × mean stay).
 *
 * The engine counts joins when they are asked for, seated or put in line (not again when the
 * line admits them): learnt from seats alone, a rush the fleet could not hold would be learnt as
 * it was served (cut to the fleet's size, and late), and the forecast would never ask for more
 * than the fleet had. The players present are those placed plus those in line.
 */
import { invalidArgument } from '../core/errors.ts';
import { ForecastError, type ForecastErrorSnapshot } from './forecast-error.ts';
import { HoltWinters } from './holt-winters.ts';

export interface ArrivalForecasterOptions {
  /** Width of one bucket (ms). */
  bucketMs: number;
  /** Length of the season (ms): a day, live; shorter in a compressed simulation. */
  seasonMs: number;
  /** How far ahead the scaler looks (ms): the servers' boot delay plus one decision period. */
  horizonMs: number;
  /** Most zones with a forecast of their own (the first to reach `zoneMinArrivals` in a bucket). */
  maxZoneForecasts?: number;
  zoneMinArrivals?: number;
  alpha?: number;
  beta?: number;
  gamma?: number;
}

export interface PopulationOutlook {
  /** Highest population expected within the horizon. */
  peak: number;
  /** Arrivals expected within the horizon. */
  arrivals: number;
  /** Mean session length used (ms). */
  meanSessionMs: number;
}

export class ArrivalForecaster {
  readonly bucketMs: number;
  readonly season: number;
  /** Buckets the horizon spans, fractional. */
  readonly horizonBuckets: number;
  readonly horizonMs: number;
  private readonly total: HoltWinters;
  private readonly error: ForecastError;
  private readonly zoneModels = new Map<number, HoltWinters>();
  private readonly maxZoneForecasts: number;
  private readonly zoneMinArrivals: number;
  private readonly hw: { alpha?: number; beta?: number; gamma?: number };
  private prevZones: Uint32Array | undefined;
  private zoneAcc: Float64Array | undefined;
  /** Zones below this have had arrivals counted in zoneAcc (the others are all zero). */
  private zoneSpan = 0;
  private bucketStart = Number.NaN;
  /** Time of the last sample: where the outlook starts by default. */
  private lastSampleAt = Number.NaN;
  private acc = 0;
  private prevTotal = Number.NaN;
  private population = 0;
  /** Placed and queued players at the last sample: the population the arrivals sustain. */
  private present = 0;
  private popEwma = 0;
  private rateEwma = 0;

  constructor(o: ArrivalForecasterOptions) {
    for (const k of ['bucketMs', 'seasonMs', 'horizonMs'] as const) {
      if (!Number.isFinite(o[k]) || o[k] <= 0) throw invalidArgument(k, o[k], 'a positive number of milliseconds');
    }
    const season = Math.round(o.seasonMs / o.bucketMs);
    if (season < 2) throw invalidArgument('seasonMs', o.seasonMs, `at least two buckets (bucketMs ${o.bucketMs})`);
    this.bucketMs = o.bucketMs;
    this.season = season;
    this.horizonBuckets = o.horizonMs / o.bucketMs;
    this.horizonMs = o.horizonMs;
    this.hw = { alpha: o.alpha, beta: o.beta, gamma: o.gamma };
    this.total = new HoltWinters({ season, ...this.hw });
    this.error = new ForecastError(Math.max(1, Math.ceil(this.horizonBuckets)));
    this.maxZoneForecasts = o.maxZoneForecasts ?? 32;
    this.zoneMinArrivals = o.zoneMinArrivals ?? 10;
  }

  /** Two seasons of history: the forecast can be acted on. */
  get ready(): boolean {
    return this.total.ready;
  }

  /** Buckets of history seen. */
  get buckets(): number {
    return this.total.observations;
  }

  /**
   * A sample of the engine's counters at `now`: cumulative joins asked for per zone (wrapping
   * u32), the players placed now, and the players queued now. Closes every bucket `now` has passed.
   * Zones from `zoneCount` on have never had a join (Engine.sampleZones' bound) and are skipped.
   */
  sample(now: number, zoneJoins: Uint32Array, population: number, queued = 0, zoneCount: number = zoneJoins.length): void {
    if (this.prevZones === undefined || this.prevZones.length < zoneJoins.length) {
      this.prevZones = Uint32Array.from(zoneJoins);
      this.zoneAcc = new Float64Array(zoneJoins.length);
      this.zoneSpan = Math.min(zoneCount, zoneJoins.length);
      this.prevTotal = 0;
      this.start(now, population, queued);
      return;
    }
    let delta = 0;
    const prev = this.prevZones;
    const zacc = this.zoneAcc!;
    const span = Math.min(zoneCount, prev.length);
    if (span > this.zoneSpan) this.zoneSpan = span;
    for (let z = 0; z < span; z++) {
      const cur = zoneJoins[z]!;
      const d = (cur - prev[z]!) >>> 0;
      if (d !== 0) {
        delta += d;
        zacc[z]! += d;
        prev[z] = cur;
      }
    }
    this.observeTotal(now, delta, population, queued);
  }

  /** The same from a total only (no zone detail): `joins` cumulative. */
  sampleTotal(now: number, joins: number, population: number, queued = 0): void {
    if (Number.isNaN(this.prevTotal)) {
      this.prevTotal = joins;
      this.start(now, population, queued);
      return;
    }
    const delta = Math.max(0, joins - this.prevTotal);
    this.prevTotal = joins;
    this.observeTotal(now, delta, population, queued);
  }

  private start(now: number, population: number, queued: number): void {
    this.bucketStart = now;
    this.lastSampleAt = now;
    this.population = population;
    this.present = population + queued;
  }

  /** `joins`: joins asked for since the last sample. */
  private observeTotal(now: number, joins: number, population: number, queued: number): void {
    this.acc += joins;
    this.population = population;
    this.present = population + queued;
    this.lastSampleAt = now;
    const elapsed = now - this.bucketStart;
    if (elapsed < this.bucketMs) return;
    // A gap of several buckets: spread what arrived evenly over them.
    const closed = Math.floor(elapsed / this.bucketMs);
    const per = this.acc / closed;
    for (let k = 0; k < closed; k++) this.closeBucket(per);
    this.closeZones(closed);
    this.acc = 0;
    this.bucketStart += closed * this.bucketMs;
  }

  private closeBucket(arrivals: number): void {
    const ahead = this.error.horizon;
    this.total.observe(arrivals);
    this.error.record(arrivals, this.total.ready ? Math.max(0, this.total.forecast(ahead)) : undefined);
    // Little's law, smoothed over about a season's worth of buckets (at least 20).
    const w = Math.max(1 / Math.min(this.season, 200), 1 / (this.total.observations + 1));
    this.popEwma += w * (this.present - this.popEwma);
    this.rateEwma += w * (arrivals / this.bucketMs - this.rateEwma);
  }

  private closeZones(closed: number): void {
    const zacc = this.zoneAcc;
    if (!zacc) return;
    for (const [zone, model] of this.zoneModels) {
      const per = zacc[zone]! / closed;
      for (let k = 0; k < closed; k++) model.observe(per);
      zacc[zone] = 0;
    }
    // Adopt new busy zones while there is room; the rest are forgotten each bucket.
    for (let z = 0; z < this.zoneSpan; z++) {
      const a = zacc[z]!;
      if (a === 0) continue;
      if (this.zoneModels.size < this.maxZoneForecasts && a / closed >= this.zoneMinArrivals && !this.zoneModels.has(z)) {
        const model = new HoltWinters({ season: this.season, ...this.hw });
        for (let k = 0; k < closed; k++) model.observe(a / closed);
        this.zoneModels.set(z, model);
      }
      zacc[z] = 0;
    }
  }

  /** Mean time a player stays (ms), by Little's law; Infinity before any arrival. */
  get meanSessionMs(): number {
    return this.rateEwma > 0 ? this.popEwma / this.rateEwma : Infinity;
  }

  /** Arrivals expected `h` buckets ahead (h ≥ 1), never negative. */
  arrivalsAhead(h: number): number {
    return Math.max(0, this.total.forecast(h));
  }

  /** Arrivals expected in `zone` `h` buckets ahead, when the zone has a ready forecast. */
  zoneArrivalsAhead(zone: number, h: number): number | undefined {
    const m = this.zoneModels.get(zone);
    return m?.ready ? Math.max(0, m.forecast(h)) : undefined;
  }

  /** Zones with a forecast of their own. */
  get forecastZones(): number[] {
    return [...this.zoneModels.keys()];
  }

  /**
   * The population over the horizon from `population` at `now` (by default the last sample's
   * time): forecast arrivals in, a share of those present out (e^(−time / mean session) stay).
   * The window starts at `now`, not at the open bucket's start: of the open bucket only what is
   * left of it is still to come (its arrivals so far are in `population` already), and the
   * window reaches into the bucket after the horizon's last whole one by what the open one has
   * run. Within a bucket arrivals are taken as even.
   */
  outlook(population: number = this.population, now: number = this.lastSampleAt): PopulationOutlook {
    const session = this.meanSessionMs;
    const stay = Number.isFinite(session) && session > 0 ? Math.exp(-this.bucketMs / session) : 1;
    const B = this.bucketMs;
    const into = Number.isFinite(now) && Number.isFinite(this.bucketStart) ? Math.min(B, Math.max(0, now - this.bucketStart)) : 0;
    const end = into + this.horizonMs;
    let p = population;
    let peak = population;
    let arrivals = 0;
    // Bucket h (1 = the open one) spans [(h − 1)B, hB) from the open bucket's start.
    for (let h = 1, t = into; t < end; h++) {
      const to = Math.min(h * B, end);
      const frac = (to - t) / B;
      const a = this.arrivalsAhead(h) * frac;
      p = p * Math.pow(stay, frac) + a;
      arrivals += a;
      if (p > peak) peak = p;
      t = to;
    }
    return { peak, arrivals, meanSessionMs: session };
  }

  forecastError(): ForecastErrorSnapshot {
    return this.error.snapshot();
  }
}
