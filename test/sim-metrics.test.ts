/**
 * Each metric on a case whose answer is known: hand-built servers and placements for the
 * per-tick measures, and small runs where the outcome can be worked out (a ring on a crowded
 * zone, a crash of a server holding everyone, players walking between two zones).
 */
import { describe, expect, it } from 'vitest';
import { buildRing, ringStart } from '../src/core/ring.ts';
import { Fleet, type FleetListener } from '../src/sim/fleet.ts';
import { RunMetrics } from '../src/sim/metrics.ts';
import { Placements } from '../src/sim/placements.ts';
import { runScenario } from '../src/sim/run.ts';
import { resolveScenario } from '../src/sim/scenario.ts';
import { zoneKey } from '../src/sim/strategies/hash-ring.ts';
import { tinyScenario } from './fixtures/sim-harness.ts';

const quiet: FleetListener = { up: () => undefined, draining: () => undefined, crashed: () => undefined, gone: () => undefined };

/** Two servers: CPU 0.1 + 0.01 per player (80 % at 70 players), memory never binding, cap 100. */
function handBuilt() {
  const s = resolveScenario({
    name: 'hand-built',
    world: { grid: { width: 3, height: 1 } },
    fleet: { servers: 2, playersPerServer: 100, cpuBase: 0.1, cpuPerPlayer: 0.01, memoryBase: 0.1, memoryPerPlayer: 0.001, cpuNoise: 0, memoryNoise: 0, costSpread: 0 },
  });
  const fleet = new Fleet(s, quiet);
  fleet.startInitial();
  fleet.advance(0);
  const placements = new Placements(3, fleet.servers);
  const metrics = new RunMetrics({ cpu: 0.8, memory: 0.9, playersPerServer: 100 });
  metrics.measuring = true;
  let next = 0;
  const put = (n: number, zone: number, server: number): number[] => {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      placements.ensurePlayer(next);
      placements.place(next, zone, server);
      ids.push(next++);
    }
    return ids;
  };
  const world = (): { population: number; zonePopulation: Int32Array } => ({ population: next, zonePopulation: placements.population });
  const tick = (now: number, dt: number, sample = false): void => {
    for (const srv of fleet.servers) fleet.measure(srv);
    metrics.tick(now, dt, fleet.servers, placements, world(), 0, sample);
  };
  return { fleet, placements, metrics, put, tick };
}

describe('metrics on hand-built servers', () => {
  it('true capacity is the most players with every limit strictly below its threshold', () => {
    const { fleet } = handBuilt();
    // 0.1 + 0.01 × 70 = 0.8 is at the threshold, so 69.
    expect(fleet.servers.map((s) => s.capacity)).toEqual([69, 69]);
  });

  it('limit violations: server-seconds, player-seconds, episodes, worst load; imbalance; server-hours', () => {
    const h = handBuilt();
    const a = h.put(30, 0, 0);
    h.put(10, 0, 1);
    h.put(10, 1, 1);
    h.put(50, 2, 0);
    // Server 0: 80 players, CPU 0.9 (over); server 1: 20 players, CPU 0.3.
    h.tick(2, 2);
    // Ten of server 0's players go: 70 players, CPU 0.8, still over (80 % is the limit); then 60: within.
    for (const p of a.slice(0, 10)) h.placements.unplace(p, -1);
    h.tick(4, 2);
    for (const p of a.slice(10, 20)) h.placements.unplace(p, -1);
    h.tick(6, 2);
    h.put(20, 2, 0); // 80 again: a second episode
    h.tick(8, 2);
    const s = h.metrics.summary({ scenario: 'x', strategy: 'y', seed: 1, durationS: 8, measuredS: 8, arrived: 0, hotZones: { flagged: 0, cooled: 0, detectS: null, coolS: null }, scale: { decisions: 0, started: 0, released: 0 } });
    expect(s.violations.episodes).toBe(2);
    expect(s.violations.serverSeconds).toBe(6);
    expect(s.violations.cpuServerSeconds).toBe(6);
    expect(s.violations.capServerSeconds).toBe(0);
    expect(s.violations.playerSeconds).toBe(80 * 2 + 70 * 2 + 80 * 2);
    expect(s.violations.worstUtilisation).toBeCloseTo(0.9 / 0.8, 3);
    // Imbalance at the first tick: 1.125 / mean(1.125, 0.375) = 1.5.
    expect(s.imbalance.p95).toBeCloseTo(1.5, 3);
    expect(s.serverHours).toBeCloseTo((2 * 8) / 3600, 3);
  });

  it('fragmentation: servers hosting each zone over the fewest its population needs', () => {
    const h = handBuilt();
    h.put(30, 0, 0);
    h.put(10, 0, 1); // zone 0 (40 players) on two servers, needs one
    h.put(10, 1, 1);
    h.put(50, 2, 0);
    h.tick(1, 1, true);
    expect(h.metrics.series.fragmentation).toEqual([Math.round((4 / 3) * 1000) / 1000]);
    // A zone bigger than a server needs two: 140 players over two servers is not fragmented.
    const g = handBuilt();
    g.put(69, 0, 0);
    g.put(69, 0, 1);
    g.tick(1, 1, true);
    expect(g.metrics.series.fragmentation).toEqual([1]);
  });

  it('players stranded on a crashed server count until they are moved', () => {
    const h = handBuilt();
    h.put(20, 0, 1);
    h.fleet.crash(h.fleet.servers[1]!);
    h.tick(900, 900, true);
    h.tick(1800, 900, true);
    expect(h.metrics.series.unplaced).toEqual([20, 20]);
    const s = h.metrics.summary({ scenario: 'x', strategy: 'y', seed: 1, durationS: 2, measuredS: 2, arrived: 0, hotZones: { flagged: 0, cooled: 0, detectS: null, coolS: null }, scale: { decisions: 0, started: 0, released: 0 } });
    expect(s.failover.strandedPlayerSeconds).toBe(20 * 1800);
    // The crashed server costs nothing any more; the live one does.
    expect(s.serverHours).toBe(0.5);
  });

  it('a denied join counts as "with room" only when some server has a true seat left', () => {
    const h = handBuilt();
    h.put(69, 0, 0);
    h.put(60, 1, 1);
    h.metrics.denied(h.fleet.freeSeats(), true);
    h.put(9, 1, 1);
    h.metrics.denied(h.fleet.freeSeats(), false);
    const s = h.metrics.summary({ scenario: 'x', strategy: 'y', seed: 1, durationS: 1, measuredS: 1, arrived: 0, hotZones: { flagged: 0, cooled: 0, detectS: null, coolS: null }, scale: { decisions: 0, started: 0, released: 0 } });
    expect(s.joins).toMatchObject({ queued: 1, refused: 1, deniedWhileRoom: 1, freeSeatsWhenDenied: 9 });
  });
});

describe('metrics of whole runs', () => {
  it('a ring on one crowded zone overloads one server; zonelb splits the zone and overloads none', async () => {
    const s = tinyScenario({ world: { grid: { width: 1, height: 1 }, players: 600, warmupS: 120 }, fleet: { servers: 2 } });
    const ring = await runScenario(s, 'ring');
    const zonelb = await runScenario(s, 'zonelb');
    expect(ring.summary.violations.serverSeconds).toBeGreaterThan(100);
    expect(ring.summary.violations.capServerSeconds).toBeGreaterThan(0);
    expect(ring.summary.violations.worstUtilisation).toBeGreaterThan(1.5);
    expect(zonelb.summary.violations.serverSeconds).toBe(0);
    expect(zonelb.summary.zones.splits).toBeGreaterThan(0);
  });

  it('a crash re-places every player of the crashed server, after the detection delay', async () => {
    // Everyone stays put (endless sessions, nobody walks), in one zone: one server holds them all.
    const s = tinyScenario({
      durationS: 400,
      world: { grid: { width: 1, height: 1 }, players: 100, warmupS: 50, sessionMedianS: 1e9, sessionSigma: 0, dailyAmplitude: 0 },
      fleet: { servers: 2 },
      events: [{ type: 'crash', at: 300 }],
    });
    for (const strategy of ['zonelb', 'ring', 'packed'] as const) {
      const r = await runScenario(s, strategy);
      expect(r.summary.moved.failover, strategy).toBe(100);
      expect(r.summary.failover).toEqual({ crashes: 1, meanS: 5, maxS: 5, strandedPlayerSeconds: 500 });
      expect(r.summary.moved.lost).toBe(0);
    }
  });

  it('handoffs: every walk between two zones on different ring servers is one; a zone-blind balancer has none', async () => {
    const s = tinyScenario({ world: { grid: { width: 2, height: 1 }, players: 100, dwellMeanS: 20 }, fleet: { servers: 2 } });
    // Where the ring puts the two zones (the baseline builds the same ring over server indices 0 and 1).
    const ring = buildRing([{ slot: 0, generation: 0, weight: 1 }, { slot: 1, generation: 0, weight: 1 }], 40);
    const apart = ring.slots[ringStart(ring, zoneKey(0))] !== ring.slots[ringStart(ring, zoneKey(1))];
    const r = await runScenario(s, 'ring');
    expect(r.summary.crossings).toBeGreaterThan(500);
    expect(r.summary.handoffRate).toBe(apart ? 1 : 0);
    const rr = await runScenario(s, 'round-robin');
    expect(rr.summary.crossings).toBe(r.summary.crossings);
    expect(rr.summary.handoffs).toBe(0);
  });

  it('decision latency is recorded for every join and every move', async () => {
    const r = await runScenario(tinyScenario(), 'zonelb');
    expect(r.timing.latencyUs.count).toBe(r.summary.joins.total + r.summary.crossings);
    expect(r.timing.latencyUs.p50).toBeGreaterThan(0);
    expect(r.timing.latencyUs.p99).toBeGreaterThanOrEqual(r.timing.latencyUs.p50);
  });
});
