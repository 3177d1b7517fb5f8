/**
 * A hot zone's episode on plain series: the zone stays flagged while its crowd is there (its
 * population far above its own baseline), even after its arrivals stop and while queue
 * admissions trickle in, and cools only once both its join rate and its population are back
 * near baseline. A surge every zone shares (a mass reconnect, a busy hour starting) flags
 * nothing; one zone's own surge during it still does.
 */
import { Rng } from '../src/sim/rng.ts';
import { describe, expect, it } from 'vitest';
import { HotZoneDetector, type HotZoneChange, type HotZoneOptions } from '../src/scale/hot-zone-detector.ts';

const ZONES = 64;
const OPTS: Partial<HotZoneOptions> = { warmupMs: 30_000, baselineMs: 60_000, coolMs: 10_000 };

type Series = (z: number, t: number) => number;

/** One sample a second: Poisson joins at `rate(z, t)` joins/s, population `pop(z, t)`. */
function drive(d: HotZoneDetector, seconds: number, rate: Series, pop: Series, seed = 1): (HotZoneChange & { t: number })[] {
  const rng = new Rng(seed, 'joins');
  const draw = (mean: number): number => rng.poisson(mean);
  const joins = new Uint32Array(ZONES);
  const population = new Uint32Array(ZONES);
  const changes: (HotZoneChange & { t: number })[] = [];
  for (let t = 0; t <= seconds; t++) {
    for (let z = 0; z < ZONES; z++) {
      joins[z]! += draw(rate(z, t));
      population[z] = Math.max(0, Math.round(pop(z, t)));
    }
    for (const c of d.update(t * 1000, joins, population)) changes.push({ ...c, t });
  }
  return changes;
}

/** A quiet world: zone z gets 0.05 + z / 200 joins/s and holds 20 + z players. */
const baseRate = (z: number): number => 0.05 + z / 200;
const basePop = (z: number): number => 20 + z;

describe('a hot zone stays flagged while its crowd is there', () => {
  // Zone 5: 1000 players rush in over 20 s from t = 300, then stop arriving; they stay until
  // t = 600, when they drift off over 60 s. While they are there, players queued for the zone
  // are admitted in bursts (8 joins/s for 5 s, every 40 s).
  const HOT = 5;
  const crowd = (t: number): number => (t < 300 ? 0 : t < 320 ? 50 * (t - 300) : t < 600 ? 1000 : t < 660 ? 1000 * (1 - (t - 600) / 60) : 0);
  const rate: Series = (z, t) => {
    if (z !== HOT) return baseRate(z);
    if (t >= 300 && t < 320) return 50;
    if (t >= 320 && t < 600 && (t - 320) % 40 < 5) return 8;
    return baseRate(z);
  };
  const pop: Series = (z, t) => basePop(z) + (z === HOT ? crowd(t) : 0);

  it('is flagged once, within seconds, and cools only after the crowd has left', () => {
    const d = new HotZoneDetector(ZONES, OPTS);
    const changes = drive(d, 900, rate, pop);
    expect(changes.map((c) => [c.zone, c.hot])).toEqual([
      [HOT, true],
      [HOT, false],
    ]);
    const [start, end] = changes as [HotZoneChange & { t: number }, HotZoneChange & { t: number }];
    expect(start.t - 300).toBeLessThanOrEqual(3);
    // Still there at 600; near its baseline (25 players) only in the last seconds of the drift.
    expect(end.t).toBeGreaterThan(640);
    expect(end.t).toBeLessThanOrEqual(660 + 10 + 3);
    expect(end.population).toBeLessThan(2 * basePop(HOT));
    expect(d.isHot(HOT)).toBe(false);
  });

  it('keeps its own baseline while hot: the crowd is not its new normal', () => {
    const d = new HotZoneDetector(ZONES, OPTS);
    drive(d, 500, rate, pop);
    expect(d.isHot(HOT)).toBe(true);
    const r = d.rateOf(HOT);
    expect(r.baseline).toBeLessThan(1);
    expect(r.population).toBeLessThan(100);
  });
});

describe('a surge every zone shares is not a hot zone', () => {
  it('a mass reconnect after an outage flags nothing, while one zone with a crowd of its own during it is flagged', () => {
    // Every zone empties at t = 600 (every server down); two minutes later its players all come
    // back within 5 s (the queue admitted at once): about a tenth of its population a second,
    // hundreds of times its join rate. Zone 40 also gets a crowd of 1500 of its own at t = 725.
    const outage = (t: number): boolean => t >= 600 && t < 720;
    const rate: Series = (z, t) => {
      if (outage(t)) return 0;
      if (t >= 720 && t < 725) return basePop(z) / 5;
      if (z === 40 && t >= 725 && t < 745) return 75;
      return baseRate(z);
    };
    const pop: Series = (z, t) => {
      if (outage(t)) return 0;
      const back = t < 725 ? (basePop(z) * (t - 719)) / 5 : basePop(z);
      return back + (z === 40 && t >= 725 ? Math.min(1500, 75 * (t - 724)) : 0);
    };
    const d = new HotZoneDetector(ZONES, OPTS);
    const changes = drive(d, 900, rate, pop, 3);
    expect(changes.filter((c) => c.hot).map((c) => c.zone)).toEqual([40]);
    // Within seconds: while the rest of the world still surges, a zone needs three more hot samples.
    const flagged = changes.find((c) => c.hot)!;
    expect(flagged.t - 725).toBeLessThanOrEqual(3 + 3);
  });

  it('a busy hour starting everywhere at once flags nothing, and one zone surging in it is flagged', () => {
    // At t = 600 every zone's arrivals and population triple (and stay so); at t = 900 zone 12
    // alone gets ten times its share for a minute.
    const busy = (t: number): number => (t >= 600 ? 3 : 1);
    const rate: Series = (z, t) => baseRate(z) * busy(t) * 40 * (z === 12 && t >= 900 && t < 960 ? 10 : 1);
    const pop: Series = (z, t) => basePop(z) * busy(t);
    const d = new HotZoneDetector(ZONES, OPTS);
    const changes = drive(d, 1200, rate, pop, 4);
    expect(changes.filter((c) => c.hot).map((c) => [c.zone, c.t >= 900 && c.t <= 903])).toEqual([[12, true]]);
  });
});
