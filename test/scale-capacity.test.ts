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
import { fleetSeatsPerUnit } from '../src/scale/fleet-capacity.ts';
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
