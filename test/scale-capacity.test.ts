/**
 * The seats the autoscaler counts per weight unit: the capacity the fleet's servers have, not
 * the sum of their admission limits as they stand (which on lightly loaded servers charge the
 * idle base to their few players, and on empty ones are the player cap).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Status } from '../src/core/codes.ts';
import type { ServerInfo } from '../src/engine/types.ts';
import { LocalEngine } from '../src/engine/local-engine.ts';
import { AgonesProvider } from '../src/scale/agones-provider.ts';
import { Autoscaler } from '../src/scale/autoscaler.ts';
import { FleetCapacity, fleetSeatsPerUnit } from '../src/scale/fleet-capacity.ts';
import { ReactivePolicy } from '../src/scale/predictive-scaler.ts';
import { ReactiveScaler } from '../src/scale/reactive-scaler.ts';

const LIMITS = { cpu: 0.8, memory: 0.9, playersPerServer: 400 };
/** A weight-1 server's true use: CPU reaches 80 % at 327 players, memory 90 % at 433. */
const cpuOf = (players: number, weight = 1): number => 0.08 + (0.0022 * players) / weight;
const memoryOf = (players: number, weight = 1): number => 0.25 + (0.0015 * players) / weight;
const TRUE_SEATS = (0.8 - 0.08) / 0.0022;

function server(id: string, players: number, limit: number, weight = 1, state: ServerInfo['state'] = 'active'): ServerInfo {
  return {
    id,
    handle: 0,
    state,
    weight,
    address: '',
    players,
    heldSeats: 0,
    limit,
    cap: 400 * weight,
    cpu: cpuOf(players, weight),
    memory: memoryOf(players, weight),
    reportedPlayers: players,
    cpuPerPlayer: 0,
    memoryPerPlayer: 0,
    lastHeartbeat: 0,
  };
}

describe('fleetSeatsPerUnit', () => {
  it('finds what a weight unit can hold from the fleet\'s CPU and memory against players, whatever the limits say', () => {
    // Limits as a cautious engine shows them on lightly loaded servers, and the cap on an empty one.
    const fleet = [server('a', 300, 320), server('b', 150, 280), server('c', 40, 116), server('d', 0, 400), server('e', 160, 300, 2)];
    expect(fleetSeatsPerUnit(fleet, LIMITS)).toBeCloseTo(TRUE_SEATS, 0);
    // Servers not taking players do not count.
    expect(fleetSeatsPerUnit([...fleet, { ...server('f', 10, 0), state: 'draining', cpu: 0.99 }], LIMITS)).toBeCloseTo(TRUE_SEATS, 0);
  });

  it('never offers more than the player cap', () => {
    const light = { ...LIMITS, cpu: 1 };
    const fleet = [server('a', 300, 400), server('b', 100, 400), server('c', 10, 400)].map((s) => ({ ...s, cpu: 0.01 + s.players * 0.0001 }));
    expect(fleetSeatsPerUnit(fleet, light)).toBe(400);
  });

  it('falls back on the admission limits of servers holding players when the loads are too alike to tell, and on the cap with nobody anywhere', () => {
    expect(fleetSeatsPerUnit([server('a', 200, 300), server('b', 205, 310), server('c', 210, 320), server('d', 0, 400, 1, 'draining')], LIMITS)).toBe(310);
    expect(fleetSeatsPerUnit([server('a', 200, 300), server('b', 100, 600, 2)], LIMITS)).toBe(300);
    expect(fleetSeatsPerUnit([server('a', 0, 400), server('b', 0, 400)], LIMITS)).toBe(400);
    expect(fleetSeatsPerUnit([], LIMITS)).toBe(400);
  });
});

describe('FleetCapacity', () => {
  /*
   * Regression (daily-cycle at night: 4 → 3 → 4 → 3 servers in twenty minutes): a night fleet's
   * loads are too alike to fit a line at one instant, so the instant estimate fell back on the
   * mean admission limit, which moves with the fleet's make-up; the autoscaler flapped on it.
   * Fitted through time, the day's spread of loads still pins the line down at night.
   */
  it('keeps the day\'s estimate through a night of alike loads, whatever the fleet\'s make-up', () => {
    const capacity = new FleetCapacity(LIMITS);
    const HOUR = 3_600_000;
    // A day: ten servers between 40 and 320 players.
    for (let t = 0; t < 12 * HOUR; t += 60_000) {
      const fleet = Array.from({ length: 10 }, (_, i) => server(`s${i}`, 40 + ((i * 31 + t / 60_000) % 280), 0));
      capacity.seatsPerUnit(fleet, t);
    }
    // The night: four servers at 60-66 players with cautious limits, then one drained and three at 85-88.
    const night4 = [server('s0', 60, 150), server('s1', 62, 240), server('s2', 64, 200), server('s3', 66, 260)];
    const night3 = [server('s0', 85, 150), server('s1', 86, 240), server('s2', 88, 200)];
    expect(fleetSeatsPerUnit(night4, LIMITS)).not.toBeCloseTo(fleetSeatsPerUnit(night3, LIMITS), -1); // the instant picture moves
    const at4 = capacity.seatsPerUnit(night4, 12 * HOUR + 60_000);
    const at3 = capacity.seatsPerUnit(night3, 12 * HOUR + 120_000);
    expect(at4).toBeCloseTo(TRUE_SEATS, 0);
    expect(at3).toBeCloseTo(TRUE_SEATS, 0);
    // Hours of alike loads later, what the day taught still carries it.
    let late = 0;
    for (let t = 13 * HOUR; t < 18 * HOUR; t += 60_000) late = capacity.seatsPerUnit(night3, t);
    expect(Math.abs(late - TRUE_SEATS) / TRUE_SEATS).toBeLessThan(0.02);
  });

  it('answers as the instant fit before it has seen any spread', () => {
    const capacity = new FleetCapacity(LIMITS);
    const alike = [server('a', 200, 300), server('b', 205, 310), server('c', 210, 320)];
    expect(capacity.seatsPerUnit(alike, 0)).toBe(fleetSeatsPerUnit(alike, LIMITS));
    expect(capacity.seatsPerUnit([], 1000)).toBe(400);
  });
});

describe('the autoscaler on a LocalEngine', () => {
  let engine: LocalEngine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('measures utilisation against what the servers can hold: a half-empty fleet is scaled in', async () => {
    let now = 0;
    const e = (engine = new LocalEngine({ shards: 1, maxZones: 64, maxPlayers: 4096, maxServers: 16, limits: LIMITS, reconnectMs: 0 }, { clock: () => now, autoTick: false }));
    for (const id of ['s0', 's1', 's2', 's3']) e.registerServer({ id });
    // Loads of 300, 200, 40 and 20 players (one zone each): 560 players where 4 × 327 fit.
    let p = 0;
    for (const [zone, count] of [[0, 300], [1, 200], [2, 40], [3, 20]] as const) {
      for (let k = 0; k < count; k++) {
        expect((await e.join(p++, zone)).status).toBe(Status.Ok);
        // Each server reports its true use as its players arrive, one at a time (as a fleet
        // filling up does): too little change in its count for the engine to fit its cost per
        // player, so its limit charges the idle base to its players.
        for (const s of e.servers()) e.heartbeat(s.id, { cpu: cpuOf(s.players), memory: memoryOf(s.players), players: s.players });
      }
    }
    for (let beat = 0; beat < 5; beat++) {
      now += 1000;
      for (const s of e.servers()) e.heartbeat(s.id, { cpu: cpuOf(s.players), memory: memoryOf(s.players), players: s.players });
      await e.tick(now);
    }
    // Where each zone lands is placement's business; what matters here is that all 560 are
    // placed on servers of different loads (the spread the fleet's capacity is read from).
    const loads = e.servers().map((s) => s.players);
    expect(loads.reduce((a, b) => a + b, 0)).toBe(560);
    expect(new Set(loads).size).toBeGreaterThanOrEqual(3);
    const autoscaler = new Autoscaler(e, {
      policy: new ReactivePolicy(new ReactiveScaler({ target: 0.7, band: 0.1, min: 1, max: 10, scaleOutCooldownMs: 0, scaleInCooldownMs: 0, scaleInStep: 0.5 })),
      provider: new AgonesProvider(1000),
      limits: LIMITS,
      retryMoveMs: 1000,
    });
    const status = await autoscaler.evaluate(now);
    // 560 / (4 × 327) = 43 %: below the band; 560 players at 70 % need ceil(560 / 229) = 3 servers.
    expect(status.utilisation).toBeCloseTo(560 / (4 * TRUE_SEATS), 2);
    expect(status).toMatchObject({ direction: 'in', desired: 3, actual: 4 });
  });
});
