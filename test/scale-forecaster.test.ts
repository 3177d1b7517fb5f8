/**
 * The Holt-Winters forecaster and the arrival forecaster built on it: on a synthetic seasonal
 * series it recovers the season and forecasts a season ahead; the forecast error it exports
 * is the error of forecasts made `horizon` buckets earlier; the population outlook follows
 * arrivals in and sessions out.
 */
import { Rng } from '../src/sim/rng.ts';
import { describe, expect, it } from 'vitest';
import { ArrivalForecaster } from '../src/scale/arrival-forecaster.ts';
import { ForecastError } from '../src/scale/forecast-error.ts';
import { HoltWinters } from '../src/scale/holt-winters.ts';
import { ErrorCode } from '../src/core/errors.ts';

/** Deterministic noise in [-1, 1). */
function rng(seed: number): () => number {
  const r = new Rng(seed, 'noise');
  return () => r.next() * 2 - 1;
}

const M = 48; // buckets per season
const season = (t: number): number => 40 * Math.sin((2 * Math.PI * t) / M) + 15 * Math.cos((4 * Math.PI * t) / M);

describe('HoltWinters', () => {
  it('is not ready before two seasons, and forecasts the mean seen meanwhile', () => {
    const hw = new HoltWinters({ season: 4 });
    for (const x of [1, 2, 3, 4, 5, 6, 7]) hw.observe(x);
    expect(hw.ready).toBe(false);
    expect(hw.forecast(1)).toBe(4);
    hw.observe(8);
    expect(hw.ready).toBe(true);
  });

  it('recovers the season of a noisy seasonal series with a trend', () => {
    const noise = rng(7);
    const hw = new HoltWinters({ season: M, alpha: 0.1, beta: 0.01, gamma: 0.2 });
    const level = (t: number) => 200 + 0.05 * t;
    const T = 8 * M;
    for (let t = 0; t < T; t++) hw.observe(level(t) + season(t) + 5 * noise());
    // The fitted season has the shape of the true one: each bucket within a few units.
    let worst = 0;
    for (let i = 0; i < M; i++) worst = Math.max(worst, Math.abs(hw.seasonalAt(i) - season(i)));
    expect(worst).toBeLessThan(8);
    // And a whole season ahead is forecast to within the noise and a little.
    let sumErr = 0;
    for (let h = 1; h <= M; h++) sumErr += Math.abs(hw.forecast(h) - (level(T - 1 + h) + season(T - 1 + h)));
    expect(sumErr / M).toBeLessThan(6);
    // The flat mean would be much worse: the season is what the forecast gets right.
    let flatErr = 0;
    for (let h = 1; h <= M; h++) flatErr += Math.abs(level(T) - (level(T - 1 + h) + season(T - 1 + h)));
    expect(flatErr / M).toBeGreaterThan(20);
  });

  it('does not learn a one-off in its first two seasons as part of the season (a reconnect burst, an outage)', () => {
    const noise = rng(11);
    const base = (t: number): number => 200 + season(t) + 5 * noise();
    const burst = 5; // season 1, bucket 5: a reconnect storm, 600 over the usual
    const outage = [28, 29, 30, 31]; // season 2, buckets 28-31: nothing arrived
    const hw = new HoltWinters({ season: M, alpha: 0.1, beta: 0.01, gamma: 0.2 });
    for (let t = 0; t < 2 * M; t++) hw.observe(t === burst ? base(t) + 600 : outage.includes(t - M) ? 0 : base(t));
    expect(hw.ready).toBe(true);
    // Averaged in, the burst would come back as +300 the next day at the same time, the outage as −85.
    for (const b of [burst, ...outage]) {
      expect(Math.abs(hw.seasonalAt(b) - season(b))).toBeLessThan(15);
      expect(Math.abs(hw.forecast(1 + b) - (200 + season(b)))).toBeLessThan(15);
    }
    // The level is not dragged: the rest of the next season is forecast as well as without the one-offs.
    let worst = 0;
    for (let h = 1; h <= M; h++) worst = Math.max(worst, Math.abs(hw.forecast(h) - (200 + season(2 * M - 1 + h))));
    expect(worst).toBeLessThan(15);
  });

  it('refuses bad parameters and observations with ZLB_ERR_INVALID_ARGUMENT', () => {
    expect(() => new HoltWinters({ season: 1 })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument, field: 'season' }));
    expect(() => new HoltWinters({ season: 4, alpha: 1.5 })).toThrow(expect.objectContaining({ field: 'alpha' }));
    expect(() => new HoltWinters({ season: 4 }).observe(Number.NaN)).toThrow(expect.objectContaining({ field: 'observation' }));
  });
});

describe('ForecastError', () => {
  it('scores each forecast against the actual value `horizon` buckets later', () => {
    const e = new ForecastError(2, 1);
    e.record(10, 12); // forecast for bucket 2: 12
    e.record(10, 20); // forecast for bucket 3: 20
    expect(e.snapshot().scored).toBe(0);
    e.record(15, undefined); // bucket 2 actual 15 vs 12
    expect(e.snapshot()).toMatchObject({ scored: 1, mae: 3, lastForecast: 12, lastActual: 15 });
    e.record(20, undefined); // bucket 3: exact
    expect(e.snapshot()).toMatchObject({ scored: 2, mae: 0, wape: 0 });
  });
});

describe('ArrivalForecaster', () => {
  const bucketMs = 1000;
  /** Feeds `buckets` more buckets (state kept per forecaster: the engine's counters only grow). */
  const fed = new WeakMap<ArrivalForecaster, { joins: Uint32Array; now: number; t: number }>();
  function feed(f: ArrivalForecaster, buckets: number, arrivals: (t: number) => number, population: (t: number) => number): void {
    let st = fed.get(f);
    if (!st) {
      st = { joins: new Uint32Array(4), now: 0, t: 0 };
      fed.set(f, st);
      f.sample(0, st.joins, population(0));
    }
    const joins = st.joins;
    let now = st.now;
    for (let t = st.t; t < st.t + buckets; t++) {
      // Two samples per bucket, arrivals split between zones 1 and 2.
      const a = Math.round(arrivals(t));
      joins[1]! += Math.floor(a / 2);
      now += bucketMs / 2;
      f.sample(now, joins, population(t));
      joins[2]! += a - Math.floor(a / 2);
      now += bucketMs / 2;
      f.sample(now, joins, population(t));
    }
    st.now = now;
    st.t += buckets;
  }

  it('falls back (not ready) until two seasons are seen, then forecasts arrivals per bucket', () => {
    const f = new ArrivalForecaster({ bucketMs, seasonMs: M * bucketMs, horizonMs: 3 * bucketMs, zoneMinArrivals: 1 });
    const arrivals = (t: number) => 100 + season(t);
    feed(f, 2 * M - 1, arrivals, () => 1000);
    expect(f.ready).toBe(false);
    feed(f, 6 * M, arrivals, () => 1000);
    expect(f.ready).toBe(true);
    const next = f.buckets;
    for (const h of [1, 5, 20]) expect(Math.abs(f.arrivalsAhead(h) - arrivals(next - 1 + h))).toBeLessThan(6);
    expect(f.forecastZones.sort()).toEqual([1, 2]);
    const z1 = f.zoneArrivalsAhead(1, 1)!;
    expect(Math.abs(z1 - arrivals(next) / 2)).toBeLessThan(6);
    const err = f.forecastError();
    expect(err.horizon).toBe(3);
    expect(err.scored).toBeGreaterThan(M);
    expect(err.wape).toBeLessThan(0.05);
  });

  it('looks ahead the horizon from now, wherever now falls within the open bucket', () => {
    // Nobody arrives except in bucket 10 of each season (300 arrivals); sessions never end.
    const B = 1000;
    const S = 20;
    const f = new ArrivalForecaster({ bucketMs: B, seasonMs: S * B, horizonMs: B });
    let joins = 0;
    f.sampleTotal(0, 0, 0);
    for (let t = 0; t < 2 * S + 9; t++) {
      if (t % S === 10) joins += 300;
      f.sampleTotal((t + 1) * B, joins, 0);
    }
    expect(f.ready).toBe(true);
    // Bucket 9 of the third season is open. At 90 % into it the next second is 10 % of bucket 9
    // (nobody) and 90 % of bucket 10 (270 arrivals); from the bucket's start, none of them.
    const open = (2 * S + 9) * B;
    f.sampleTotal(open + 0.9 * B, joins, 0);
    expect(f.outlook(0, open + 0.9 * B).arrivals).toBeCloseTo(270, 0);
    expect(f.outlook(0).arrivals).toBeCloseTo(270, 0);
    expect(f.outlook(0, open).arrivals).toBeCloseTo(0, 0);
    // Halfway through bucket 10 (half its arrivals in) only its second half is still to come.
    f.sampleTotal(open + B, joins, 0);
    f.sampleTotal(open + 1.5 * B, joins + 150, 150);
    expect(f.outlook(150).arrivals).toBeCloseTo(150, 0);
    expect(f.outlook(150).peak).toBeCloseTo(300, 0);
  });

  it('estimates the mean session by Little\'s law and projects the population over the horizon', () => {
    // 10 arrivals per second and 600 players: a mean stay of 60 s.
    const f = new ArrivalForecaster({ bucketMs, seasonMs: 4 * bucketMs, horizonMs: 10 * bucketMs });
    feed(f, 200, () => 10, () => 600);
    expect(f.meanSessionMs).toBeGreaterThan(55_000);
    expect(f.meanSessionMs).toBeLessThan(65_000);
    // At equilibrium the population stays put; from an empty world it grows by about the arrivals.
    const steady = f.outlook(600);
    expect(Math.abs(steady.peak - 600)).toBeLessThan(15);
    const empty = f.outlook(0);
    expect(empty.arrivals).toBeCloseTo(100, -1);
    expect(empty.peak).toBeGreaterThan(80);
    expect(empty.peak).toBeLessThan(100);
  });
});
