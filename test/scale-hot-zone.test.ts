/**
 * The hot-zone detector on plain series: a step in one zone's join rate is flagged within a
 * few samples and un-flagged after it cools; noise of the baseline's own size is ignored, in
 * every zone, over a long run; nothing is flagged during the warm-up.
 */
import { Rng } from '../src/sim/rng.ts';
import { describe, expect, it } from 'vitest';
import { HotZoneDetector, type HotZoneChange, type HotZoneOptions } from '../src/scale/hot-zone-detector.ts';

function gaussian(seed: number): () => number {
  const r = new Rng(seed, 'noise');
  return () => r.normal();
}

const ZONES = 64;
const OPTS: Partial<HotZoneOptions> = { warmupMs: 30_000, baselineMs: 60_000, coolMs: 10_000 };

/** Drives the detector one sample per second; `rate(zone, t)` joins/s, population kept at `pop(zone, t)`. */
function drive(d: HotZoneDetector, seconds: number, rate: (z: number, t: number) => number, pop: (z: number, t: number) => number = () => 100, start = 0) {
  const joins = new Uint32Array(ZONES);
  const population = new Uint32Array(ZONES);
  const changes: (HotZoneChange & { t: number })[] = [];
  const carry = new Float64Array(ZONES);
  for (let t = start; t <= start + seconds; t++) {
    for (let z = 0; z < ZONES; z++) {
      carry[z]! += Math.max(0, rate(z, t));
      const whole = Math.floor(carry[z]!);
      joins[z]! += whole;
      carry[z]! -= whole;
      population[z] = pop(z, t);
    }
    for (const c of d.update(t * 1000, joins, population)) changes.push({ ...c, t });
  }
  return changes;
}

describe('HotZoneDetector', () => {
  it('flags a step in one zone within a few seconds and un-flags it after it cools', () => {
    const noise = gaussian(1);
    const d = new HotZoneDetector(ZONES, OPTS);
    // Every zone ~20 joins/s ± 3; zone 5 jumps to 150 joins/s from t = 300 to t = 420.
    const changes = drive(d, 600, (z, t) => (z === 5 && t >= 300 && t < 420 ? 150 : 20) + 3 * noise());
    const start = changes.find((c) => c.hot);
    expect(start).toMatchObject({ zone: 5, hot: true });
    expect(start!.t - 300).toBeLessThanOrEqual(3);
    expect(start!.baseline).toBeGreaterThan(15);
    expect(start!.baseline).toBeLessThan(25);
    const end = changes.find((c) => !c.hot);
    expect(end).toMatchObject({ zone: 5, hot: false });
    expect(end!.t).toBeGreaterThanOrEqual(420 + 10);
    expect(end!.t).toBeLessThanOrEqual(420 + 15);
    expect(changes).toHaveLength(2);
    expect(d.hotZones).toBe(0);
  });

  it('ignores noise of the baseline\'s own size in every zone over an hour', () => {
    const noise = gaussian(2);
    const d = new HotZoneDetector(ZONES, OPTS);
    // Rates differ by zone (1 to 64 joins/s) and each wobbles by a standard deviation of its own
    // size's square root (Poisson-like), plus slow drift.
    const changes = drive(d, 3600, (z, t) => (z + 1) * (1 + 0.2 * Math.sin(t / 600)) + Math.sqrt(z + 1) * noise(), (z) => 50 + z);
    expect(changes).toEqual([]);
  });

  it('flags a crowd seen in the population alone (joins it did not count, e.g. moves in)', () => {
    const d = new HotZoneDetector(ZONES, OPTS);
    const changes = drive(d, 200, () => 5, (z, t) => (z === 9 && t >= 100 ? 2000 : 100));
    expect(changes.filter((c) => c.hot).map((c) => [c.zone, c.t])).toEqual([[9, 101]]);
  });

  it('flags nothing during the warm-up, when every baseline is still zero', () => {
    const d = new HotZoneDetector(ZONES, OPTS);
    expect(drive(d, 29, (z) => (z === 3 ? 500 : 10))).toEqual([]);
  });

  it('refuses inconsistent options', () => {
    expect(() => new HotZoneDetector(0)).toThrow(expect.objectContaining({ field: 'zones' }));
    expect(() => new HotZoneDetector(4, { k: 2, exitK: 3 })).toThrow(expect.objectContaining({ field: 'exitK' }));
    expect(() => new HotZoneDetector(4, { confirmSamples: 0 })).toThrow(expect.objectContaining({ field: 'confirmSamples' }));
  });
});
