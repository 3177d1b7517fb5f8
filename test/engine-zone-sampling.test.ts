/**
 * Engine.sampleZones, on both engines: every zone's joins, population and server count, read
 * lock-free from the shared zone rows, and the zone id bound it returns. The bound lets the
 * per-second samplers (hot-zone detector, forecaster, census) stop at the zones the world uses
 * instead of walking every id up to maxZones: it must cover every zone that ever had a join
 * (seated or in line) or a server, and nothing it leaves out may hold a count. And the
 * detector's passes over those zones, whole or in slices (as the monitor runs them on a big
 * world, yielding between slices), decide the same.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Status } from '../src/core/codes.ts';
import { HotZoneDetector } from '../src/scale/hot-zone-detector.ts';
import { closePool, ENGINE_KINDS, joinMany, startEngine, zonesOnDifferentShards } from './fixtures/engine-harness.ts';

afterAll(closePool);

function arrays(n: number): { joins: Uint32Array; population: Uint32Array; servers: Uint32Array } {
  return { joins: new Uint32Array(n), population: new Uint32Array(n), servers: new Uint32Array(n) };
}

describe.each(ENGINE_KINDS)('zone sampling (%s engine)', (kind) => {
  it('returns 0 before any zone is used, then one past the highest zone used', async () => {
    const h = await startEngine(kind, {}, true);
    try {
      const { engine } = h;
      const a = arrays(engine.options.maxZones);
      expect(engine.sampleZones(a.joins, a.population, a.servers)).toBe(0);
      engine.registerServer({ id: 'a', weight: 1 });
      engine.registerServer({ id: 'b', weight: 1 });
      // Zones on different shards: each shard raises the shared bound for its own zones.
      const [low, high] = zonesOnDifferentShards(40);
      await joinMany(engine, low, 1, 3);
      await joinMany(engine, high, 100, 2);
      const bound = engine.sampleZones(a.joins, a.population, a.servers);
      expect(bound).toBe(Math.max(low, high) + 1);
      expect([a.joins[low], a.population[low], a.servers[low]]).toEqual([3, 3, 1]);
      expect([a.joins[high], a.population[high], a.servers[high]]).toEqual([2, 2, 1]);
      // A range reads only its own zones (and still says where the bound is).
      const part = arrays(engine.options.maxZones);
      expect(engine.sampleZones(part.joins, part.population, part.servers, high, high + 1)).toBe(bound);
      expect([part.joins[low], part.joins[high], part.population[high]]).toEqual([0, 2, 2]);
      expect(() => engine.sampleZones(part.joins, part.population, part.servers, 5, 2)).toThrow(/0 ≤ from ≤ to/);
      // Arrays too short for maxZones (or not Uint32Array) are refused before anything is read.
      const short = new Uint32Array(engine.options.maxZones - 1);
      expect(() => engine.sampleZones(short, part.population)).toThrow(expect.objectContaining({ code: 'ZLB_ERR_INVALID_ARGUMENT', message: expect.stringMatching(/^joins: .*at least/) }));
      expect(() => engine.sampleZones(part.joins, part.population, [] as unknown as Uint32Array)).toThrow(/servers: expected a Uint32Array/);
      // A zone used then emptied stays inside the bound (its join count is history).
      for (let p = 100; p < 102; p++) await engine.leave(p);
      expect(engine.sampleZones(a.joins, a.population, a.servers)).toBe(bound);
      expect(a.joins[high]).toBe(2);
    } finally {
      await h.close();
    }
  });

  it('counts a join put in line in a zone that never had a server', async () => {
    const h = await startEngine(kind, { whenFull: 'queue', queueLimit: 100 }, true);
    try {
      const { engine } = h;
      const a = arrays(engine.options.maxZones);
      engine.registerServer({ id: 'a', weight: 1 });
      await joinMany(engine, 3, 1, engine.server('a').limit);
      const zone = 200;
      const [placement] = await joinMany(engine, zone, 1000, 1);
      expect(placement?.status).toBe(Status.Queued);
      expect(engine.sampleZones(a.joins, a.population, a.servers)).toBe(zone + 1);
      expect([a.joins[zone], a.population[zone], a.servers[zone]]).toEqual([1, 0, 0]);
    } finally {
      await h.close();
    }
  });

  it('covers a zone a hot-zone plan pre-split before any join', async () => {
    const h = await startEngine(kind, {}, true);
    try {
      const { engine } = h;
      const a = arrays(engine.options.maxZones);
      for (const id of ['a', 'b', 'c']) engine.registerServer({ id, weight: 1 });
      await engine.setHotZone(150, { servers: 2, reserve: 0 });
      expect(engine.sampleZones(a.joins, a.population, a.servers)).toBe(151);
      expect(a.servers[150]).toBe(2);
    } finally {
      await h.close();
    }
  });
});

describe('HotZoneDetector in slices', () => {
  it('decides as one pass when measured and judged slice by slice', () => {
    const ZONES = 64;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: ZONES }),
        fc.array(fc.array(fc.nat({ max: 40 }), { minLength: ZONES, maxLength: ZONES }), { minLength: 5, maxLength: 25 }),
        (slice, rounds) => {
          const options = { warmupMs: 0, confirmSamples: 1, minRate: 1, minPopulation: 1 };
          const whole = new HotZoneDetector(ZONES, options);
          const sliced = new HotZoneDetector(ZONES, options);
          const joins = new Uint32Array(ZONES);
          const population = new Uint32Array(ZONES);
          rounds.forEach((arrivals, t) => {
            for (let z = 0; z < ZONES; z++) {
              joins[z]! += arrivals[z]!;
              population[z] = arrivals[z]! * 3;
            }
            const a = whole.update(t * 1000, joins, population).map((c) => ({ ...c }));
            const n = sliced.begin(t * 1000, joins, population);
            for (let from = 0; from < n; from += slice) sliced.measure(joins, population, from, Math.min(n, from + slice));
            for (let from = 0; from < n; from += slice) sliced.judge(t * 1000, from, Math.min(n, from + slice));
            // Summed slice by slice, the world's totals may differ from one pass by a rounding
            // step; no decision made from these counts sits that close to its threshold.
            expect(sliced.lastChanges.map((c) => ({ ...c }))).toEqual(a);
            for (let z = 0; z < ZONES; z++) expect(sliced.rateOf(z)).toEqual(whole.rateOf(z));
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('HotZoneDetector with a zone bound', () => {
  it('decides exactly as a full pass when no zone at or past the bound has joins or players', () => {
    const ZONES = 64;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: ZONES }),
        fc.array(fc.array(fc.nat({ max: 40 }), { minLength: ZONES, maxLength: ZONES }), { minLength: 5, maxLength: 25 }),
        (bound, rounds) => {
          const options = { warmupMs: 0, confirmSamples: 1, minRate: 1, minPopulation: 1 };
          const full = new HotZoneDetector(ZONES, options);
          const bounded = new HotZoneDetector(ZONES, options);
          const joins = new Uint32Array(ZONES);
          const population = new Uint32Array(ZONES);
          rounds.forEach((arrivals, t) => {
            for (let z = 0; z < bound; z++) {
              joins[z]! += arrivals[z]!;
              population[z] = arrivals[z]! * 3;
            }
            const a = full.update(t * 1000, joins, population).map((c) => ({ ...c }));
            const b = bounded.update(t * 1000, joins, population, bound).map((c) => ({ ...c }));
            expect(b).toEqual(a);
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});
