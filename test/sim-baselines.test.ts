/**
 * Each baseline strategy follows the rule it is named after, on a hand-built fleet: the
 * comparison tables are only as fair as the baselines are faithful. Joins are fed one at a
 * time and applied to the ground truth (Placements) as the simulator's runner applies them.
 */
import { describe, expect, it } from 'vitest';
import { Fleet, type FleetListener } from '../src/sim/fleet.ts';
import { Placements, PlayerState } from '../src/sim/placements.ts';
import { Rng } from '../src/sim/rng.ts';
import { resolveScenario, worldMapOf } from '../src/sim/scenario.ts';
import { makeStrategy } from '../src/sim/strategies/index.ts';
import type { StrategyName } from '../src/sim/strategies/names.ts';
import { pickWeighted } from '../src/sim/strategies/random.ts';
import { Refusal, type MoveReason, type StrategyContext } from '../src/sim/strategy.ts';

const quiet: FleetListener = { up: () => undefined, draining: () => undefined, crashed: () => undefined, gone: () => undefined };

interface Setup {
  weights?: number[];
  servers?: number;
  playersPerServer?: number;
  roomCapacity?: number;
  epsilon?: number;
}

function setup(name: StrategyName, o: Setup = {}) {
  const scenario = resolveScenario({
    name: 'baselines',
    world: { grid: { width: 4, height: 4 } },
    fleet: { servers: o.servers ?? 3, weights: o.weights ?? [1], playersPerServer: o.playersPerServer ?? 400, cpuNoise: 0, memoryNoise: 0, costSpread: 0 },
    baselines: { roomCapacity: o.roomCapacity ?? 100, epsilon: o.epsilon ?? 0.25 },
  });
  const map = worldMapOf(scenario);
  const fleet = new Fleet(scenario, quiet);
  fleet.startInitial();
  fleet.advance(0);
  const placements = new Placements(map.zones, fleet.servers);
  const moves: { player: number; server: number; reason: MoveReason }[] = [];
  const ctx: StrategyContext = {
    scenario,
    map,
    servers: fleet.servers,
    placements,
    fleet,
    rng: new Rng(7, 'baselines-test'),
    moved: (player, server, reason) => {
      moves.push({ player, server, reason });
      if (server >= 0) placements.place(player, placements.zoneOf[player]!, server);
      else placements.unplace(player, PlayerState.Absent);
    },
    event: () => undefined,
  };
  const strategy = makeStrategy(name, ctx);
  for (const s of fleet.servers) strategy.addServer(s, 0);
  let next = 0;
  /** A new player joins `zone`: the strategy's answer, applied when it names a server. */
  const join = (zone: number): number => {
    const p = next++;
    const s = strategy.join(p, zone, 0);
    if (s >= 0) placements.place(p, zone, s);
    return s;
  };
  /** Player `p` walks into `zone`: the strategy's answer, applied. */
  const walk = (p: number, zone: number): number => {
    const s = strategy.move(p, zone, 0);
    if (s >= 0) placements.place(p, zone, s);
    return s;
  };
  const players = (): number[] => fleet.servers.map((s) => s.players);
  return { strategy, placements, servers: fleet.servers, join, walk, moves, players, scenario };
}

describe('baseline strategies', () => {
  it('round-robin: each join to the next server in turn, skipping one that drained', async () => {
    const b = setup('round-robin');
    expect(Array.from({ length: 6 }, () => b.join(0))).toEqual([0, 1, 2, 0, 1, 2]);
    await b.strategy.drainServer(b.servers[1]!, 0);
    // Its two players were re-placed, one fresh decision each, on the servers still open.
    expect(b.moves.map((m) => m.reason)).toEqual(['drain', 'drain']);
    expect(b.moves.every((m) => m.server === 0 || m.server === 2)).toBe(true);
    expect(Array.from({ length: 4 }, () => b.join(3)).every((s) => s === 0 || s === 2)).toBe(true);
    expect(b.players()).toEqual([5, 0, 5]);
  });

  it('random: servers drawn in proportion to weight', () => {
    const open = [
      { index: 0, weight: 1 },
      { index: 1, weight: 2 },
      { index: 2, weight: 1 },
    ];
    // Cumulative weights 1, 3, 4: each server owns its share of [0, 1).
    expect([0, 0.2499, 0.25, 0.7499, 0.75, 0.9999].map((u) => pickWeighted(open, u))).toEqual([0, 0, 1, 1, 2, 2]);
    const b = setup('random', { weights: [1, 2, 1] });
    for (let i = 0; i < 4000; i++) b.join(i % 16);
    const [a, big, c] = b.players().map((n) => n / 4000);
    expect(big).toBeGreaterThan(0.45);
    expect(big).toBeLessThan(0.55);
    expect(a).toBeGreaterThan(0.2);
    expect(c).toBeGreaterThan(0.2);
  });

  it('least-loaded: each join to the server with the fewest players per unit of weight', () => {
    const b = setup('least-loaded', { weights: [1, 2, 1] });
    const put = (n: number, server: number): void => {
      for (let i = 0; i < n; i++) {
        const p = 10_000 + b.placements.population[5]!;
        b.placements.place(p, 5, server);
      }
    };
    put(10, 0);
    put(10, 1);
    put(6, 2);
    // 10, 5 and 6 players per weight: the big server.
    expect(b.join(0)).toBe(1);
    for (let i = 0; i < 200; i++) b.join(i % 16);
    const loads = b.servers.map((s) => s.players / s.weight);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
  });

  it('p2c: the less loaded of two random draws, so a loaded server is picked only when drawn twice', () => {
    const b = setup('p2c');
    for (let i = 0; i < 1000; i++) b.placements.place(10_000 + i, 5, 0);
    for (let i = 0; i < 450; i++) b.join(i % 16);
    const [loaded, x, y] = b.players();
    // Both draws land on server 0 with probability 1/9: about 50 of 450.
    expect(loaded! - 1000).toBeGreaterThan(25);
    expect(loaded! - 1000).toBeLessThan(80);
    expect(Math.abs(x! - y!)).toBeLessThanOrEqual(2);
  });

  it('ring: a zone lives on its ring server; walkers follow the zone; a server leaving moves only its zones', async () => {
    const b = setup('ring', { servers: 4 });
    const home = new Map<number, number>();
    for (let i = 0; i < 160; i++) {
      const zone = i % 16;
      const s = b.join(zone);
      if (!home.has(zone)) home.set(zone, s);
      expect(s).toBe(home.get(zone));
    }
    // Walking into a zone lands on that zone's server.
    expect(b.walk(0, 7)).toBe(home.get(7));
    const gone = home.get(3)!;
    await b.strategy.removeServer(b.servers[gone]!, 0);
    const after = new Map<number, number>();
    for (let zone = 0; zone < 16; zone++) after.set(zone, b.join(zone));
    for (let zone = 0; zone < 16; zone++) {
      if (home.get(zone) !== gone) expect(after.get(zone)).toBe(home.get(zone));
      else expect(after.get(zone)).not.toBe(gone);
    }
    // Its players went to their zones' new servers.
    expect(b.moves.length).toBeGreaterThan(0);
    for (const m of b.moves) expect(m.server).toBe(after.get(b.placements.zoneOf[m.player]!));
  });

  it('bounded-ring: no server past ⌈(1 + ε) × mean × weight⌉; an unloaded zone sits where the ring puts it', () => {
    const b = setup('bounded-ring', { servers: 3, epsilon: 0.25 });
    const ring = setup('ring', { servers: 3 });
    // 100 players a server: a new zone's one player is far under the bound, so the plain ring's choice.
    for (let s = 0; s < 3; s++) for (let i = 0; i < 100; i++) b.placements.place(10_000 + 100 * s + i, 15, s);
    for (let zone = 0; zone < 15; zone++) expect(b.join(zone)).toBe(ring.join(zone));
    // A crowd in one zone: its server fills to the bound, then the ring's next servers take the rest.
    for (let i = 0; i < 285; i++) b.join(9);
    const total = 600;
    const counts = b.players();
    expect(counts.reduce((a, n) => a + n, 0)).toBe(total);
    for (const n of counts) expect(n).toBeLessThanOrEqual(Math.ceil((1.25 * total) / 3));
    // The zone's own ring server is the one filled to the bound.
    expect(counts[ring.join(9)]).toBe(Math.ceil((1.25 * total) / 3));
    expect([0, 1, 2].filter((s) => b.placements.onServerInZone(s, 9) > 0).length).toBeGreaterThan(1);
  });

  it('least-rooms: rooms of at most roomCapacity per zone, each new room on the process with the fewest rooms', () => {
    const b = setup('least-rooms', { roomCapacity: 2 });
    expect(Array.from({ length: 5 }, () => b.join(0))).toEqual([0, 0, 1, 1, 2]);
    // Rooms: 1 on each process; the first of the fewest.
    expect(b.join(1)).toBe(0);
    // Player 4 leaves the only room on process 2: the room is disposed of, so 2 has none.
    b.strategy.leave(4, 0, false);
    b.placements.unplace(4, PlayerState.Absent);
    expect(b.join(2)).toBe(2);
    // A walker joins a room of the zone it enters: zone 1's room on process 0 has a seat.
    expect(b.walk(0, 1)).toBe(0);
  });

  it('packed: the zone’s server with a free slot, else the fullest with one; full everywhere is Full', () => {
    const b = setup('packed', { playersPerServer: 3 });
    expect([b.join(0), b.join(0), b.join(0)]).toEqual([0, 0, 0]);
    // Zone 0's server is full: the fullest with a free slot (all empty: the first).
    expect(b.join(0)).toBe(1);
    // Zone 1 is hosted nowhere: the fullest server with a free slot is 1 (one player).
    expect(b.join(1)).toBe(1);
    expect(b.join(2)).toBe(1);
    expect([b.join(3), b.join(3), b.join(3)]).toEqual([2, 2, 2]);
    expect(b.join(4)).toBe(Refusal.Full);
    // A walker with nowhere to go stays where it is.
    expect(b.walk(0, 5)).toBe(0);
    expect(b.placements.state(0)).toBe(0);
    // The zone's own server wins over a fuller one; without a host, the fullest does.
    const c = setup('packed', { playersPerServer: 5 });
    c.placements.place(900, 0, 0);
    for (let i = 0; i < 3; i++) c.placements.place(901 + i, 1, 1);
    expect(c.join(0)).toBe(0);
    expect(c.join(6)).toBe(1);
  });
});
