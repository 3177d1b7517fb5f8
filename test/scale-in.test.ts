/**
 * Scale-in against a real LocalEngine on a virtual clock: it drains the servers cheapest to
 * empty (fewest players per unit of weight), never more capacity than asked and never the last
 * server; players are moved where there is room, the rest are left to finish (a reconnecting
 * player's held seat counts); and a server is removed only once nobody is on it. A property
 * run drives random joins, leaves, time and decisions and checks that no removal ever had a
 * player to re-place.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Reason, Status } from '../src/core/codes.ts';
import type { EngineOptionsInput } from '../src/core/options.ts';
import { LocalEngine } from '../src/engine/local-engine.ts';
import type { EngineEvent, ReplacementEvent, ServerInfo } from '../src/engine/types.ts';
import { AgonesProvider } from '../src/scale/agones-provider.ts';
import { Autoscaler } from '../src/scale/autoscaler.ts';
import { DrainLifecycle } from '../src/scale/drain-lifecycle.ts';
import { ReactivePolicy } from '../src/scale/predictive-scaler.ts';
import { ReactiveScaler, type ReactiveOptions } from '../src/scale/reactive-scaler.ts';
import { pickScaleIn } from '../src/scale/scale-in-selection.ts';

const POLICY: ReactiveOptions = { target: 0.7, band: 0.1, min: 1, max: 20, scaleOutCooldownMs: 0, scaleInCooldownMs: 0, scaleInStep: 0.5 };

function server(id: string, players: number, weight = 1, state: ServerInfo['state'] = 'active'): ServerInfo {
  return { id, handle: 0, state, weight, address: '', players, heldSeats: 0, limit: 10 * weight, cap: 10 * weight, cpu: 0, memory: 0, reportedPlayers: players, cpuPerPlayer: 0, memoryPerPlayer: 0, lastHeartbeat: 0 };
}

describe('pickScaleIn', () => {
  it('takes the servers with the fewest players per unit of weight first', () => {
    const fleet = [server('a', 6), server('b', 2), server('c', 5, 2), server('d', 0), server('e', 9)];
    // Per weight: d 0, b 2, c 2.5, a 6, e 9.
    expect(pickScaleIn(fleet, 1).map((s) => s.id)).toEqual(['d']);
    expect(pickScaleIn(fleet, 2).map((s) => s.id)).toEqual(['d', 'b']);
    expect(pickScaleIn(fleet, 4).map((s) => s.id)).toEqual(['d', 'b', 'c']);
  });

  it('never takes more capacity than asked, skipping a server too big for what is left', () => {
    const fleet = [server('big', 0, 4), server('x', 1), server('y', 3)];
    expect(pickScaleIn(fleet, 2).map((s) => s.id)).toEqual(['x', 'y']);
    expect(pickScaleIn(fleet, 4).map((s) => s.id)).toEqual(['big']);
  });

  it('counts the players a server reports beyond zonelb\'s seats (zonelb restarted while they played)', () => {
    const fleet = [{ ...server('restarted', 0), reportedPlayers: 8 }, server('b', 2), server('c', 5)];
    expect(pickScaleIn(fleet, 1).map((s) => s.id)).toEqual(['b']);
    expect(pickScaleIn(fleet, 2).map((s) => s.id)).toEqual(['b', 'c']);
  });

  it('never takes the last active server, nor one that is not active', () => {
    expect(pickScaleIn([server('a', 0)], 1)).toEqual([]);
    const fleet = [server('a', 0, 1, 'draining'), server('b', 0, 1, 'suspect'), server('c', 1), server('d', 4)];
    expect(pickScaleIn(fleet, 3).map((s) => s.id)).toEqual(['c']);
    expect(pickScaleIn(fleet, 0)).toEqual([]);
  });
});

/** The engine, recording the seats each server still held when something asked to remove it. */
class WatchedEngine extends LocalEngine {
  readonly seatsAtRemoval: { id: string; players: number }[] = [];
  override removeServer(id: string): Promise<ReplacementEvent[]> {
    this.seatsAtRemoval.push({ id, players: this.server(id).players });
    return super.removeServer(id);
  }
}

describe('scale-in on a LocalEngine', () => {
  let engine: WatchedEngine | undefined;
  let now = 0;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  function start(o: EngineOptionsInput = {}): { engine: WatchedEngine; events: EngineEvent[]; moves: ReplacementEvent[] } {
    now = 0;
    // No cold-start ramp: each server's cap is its limit from registration on.
    engine = new WatchedEngine(
      { shards: 1, maxZones: 64, maxPlayers: 4096, maxServers: 32, limits: { playersPerServer: 10 }, reconnectMs: 0, admission: { coldStart: 1 }, ...o },
      { clock: () => now, autoTick: false },
    );
    const events: EngineEvent[] = [];
    const moves: ReplacementEvent[] = [];
    engine.onEvent((e) => events.push(e));
    engine.onReplacement((batch) => moves.push(...batch));
    return { engine, events, moves };
  }

  function autoscaler(e: LocalEngine, policy: Partial<ReactiveOptions> = {}, retryMoveMs = 1000): Autoscaler {
    return new Autoscaler(e, {
      policy: new ReactivePolicy(new ReactiveScaler({ ...POLICY, ...policy })),
      provider: new AgonesProvider(1000),
      limits: { cpu: 0.8, memory: 0.9, playersPerServer: 10 },
      retryMoveMs,
    });
  }

  async function advance(e: LocalEngine, ms: number): Promise<void> {
    now += ms;
    for (const s of e.servers()) if (s.state !== 'dead' && s.state !== 'free') e.heartbeat(s.id, { cpu: 0, memory: 0, players: s.players });
    await e.tick(now);
  }

  it('drains the servers cheapest to empty, moves their players and removes them once empty', async () => {
    const { engine: e, events, moves } = start();
    for (const id of ['s0', 's1', 's2', 's3']) e.registerServer({ id });
    await e.tick(now);
    for (let p = 0; p < 12; p++) expect((await e.join(p, p)).status).toBe(Status.Ok);
    const before = e.servers();
    // 12 players in 40 seats (30 %): scale in by half the fleet (scaleInStep 0.5) to 2 servers.
    const cheapest = [...before].sort((a, b) => a.players - b.players || (a.id < b.id ? -1 : 1)).slice(0, 2);
    const status = await autoscaler(e).evaluate(now);
    expect(status).toMatchObject({ direction: 'in', desired: 2, actual: 4 });
    const removed = events.filter((x) => x.type === 'server-removed');
    expect(removed.map((x) => (x as { serverId: string }).serverId).sort()).toEqual(cheapest.map((s) => s.id).sort());
    // Nobody was on them when they went: their players had been moved (Drained), none re-placed by the removal.
    for (const r of removed) expect((r as { players: number }).players).toBe(0);
    expect(moves.filter((m) => m.reason === Reason.Drained)).toHaveLength(cheapest.reduce((a, s) => a + s.players, 0));
    expect(moves.filter((m) => m.reason === Reason.Removed)).toEqual([]);
    expect(e.servers().reduce((a, s) => a + s.players, 0)).toBe(12);
  });

  it('leaves players that find no room to finish, retries moving them, and removes the server only when empty', async () => {
    const { engine: e, events } = start();
    e.registerServer({ id: 'a' });
    e.registerServer({ id: 'b' });
    await e.tick(now);
    for (let p = 0; p < 13; p++) await e.join(p, 1); // zone 1: 10 on one server, 3 spill to the other
    const byPlayers = e.servers().sort((x, y) => x.players - y.players);
    const [small, full] = [byPlayers[0]!, byPlayers[1]!];
    expect([small.players, full.players]).toEqual([3, 10]);

    // A repeated join of a placed player answers where it is, and changes nothing.
    const where = async (p: number): Promise<string | undefined> => (await e.join(p, 1)).serverId;
    const onSmall: number[] = [];
    const onFull: number[] = [];
    for (let p = 0; p < 13; p++) ((await where(p)) === small.id ? onSmall : onFull).push(p);
    expect(onSmall).toHaveLength(3);

    const released: string[] = [];
    const lifecycle = new DrainLifecycle(e, async (id) => void released.push(id), 1000);
    // The other server is full: nobody can be moved, so they stay to finish.
    expect(await lifecycle.drain(small.id, 1, now)).toEqual({ players: 3, moved: 0 });
    for (let k = 0; k < 5; k++) {
      await advance(e, 500);
      expect(await lifecycle.step(now)).toEqual([]);
      expect(e.server(small.id)).toMatchObject({ state: 'draining', players: 3 });
    }
    // Two players leave the full server: the next retry moves two over; one is left.
    for (const p of onFull.slice(0, 2)) await e.leave(p);
    await advance(e, 1000);
    expect(await lifecycle.step(now)).toEqual([]);
    expect(e.server(small.id).players).toBe(1);
    expect(e.server(full.id).players).toBe(10);
    await advance(e, 1000);
    expect(await lifecycle.step(now)).toEqual([]);
    expect(e.seatsAtRemoval).toEqual([]);
    // The last one finishes its session: only now is the server removed, and released once.
    for (const p of onSmall) if ((await where(p)) === small.id) await e.leave(p);
    expect(e.server(small.id).players).toBe(0);
    // Its last report still counts that player: removed once the server reports itself empty too.
    expect(await lifecycle.step(now)).toEqual([]);
    await advance(e, 100);
    expect(await lifecycle.step(now)).toEqual([small.id]);
    expect(released).toEqual([small.id]);
    expect(e.hasServer(small.id)).toBe(false);
    expect(await lifecycle.step(now)).toEqual([]);
    const removed = events.find((x) => x.type === 'server-removed');
    expect(removed).toMatchObject({ serverId: small.id, players: 0 });
  });

  it('counts players the servers report but zonelb did not seat (zonelb restarted) as demand, and drains none of their servers', async () => {
    const { engine: e, events } = start();
    for (const id of ['s0', 's1', 's2', 's3']) e.registerServer({ id, load: { cpu: 0.1, memory: 0.1, players: 8 } });
    await e.tick(now);
    const scaler = autoscaler(e);
    // 32 players on 40 seats: 80 %, above the 70 % target's band. By zonelb's seats alone (none) it would scale in.
    expect(await scaler.evaluate(now)).toMatchObject({ demand: 32, direction: 'out', actual: 4 });
    expect(e.servers().map((s) => s.state)).toEqual(['active', 'active', 'active', 'active']);
    expect(events.filter((x) => x.type === 'server-draining')).toEqual([]);
  });

  it('keeps a draining server while a reconnecting player holds a seat on it, and removes it after the seat expires', async () => {
    const { engine: e, events } = start({ reconnectMs: 5000 });
    e.registerServer({ id: 'b' });
    await e.tick(now);
    for (let p = 0; p < 4; p++) await e.join(p, 2);
    e.registerServer({ id: 'a' });
    await advance(e, 10);
    expect((await e.join(10, 3)).serverId).toBe('a');
    await e.leave(10); // its seat on a is held for 5 s
    const scaler = autoscaler(e);
    expect(await scaler.evaluate(now)).toMatchObject({ direction: 'in', desired: 1 });
    expect(e.server('a')).toMatchObject({ state: 'draining', players: 1 });
    for (let t = 0; t < 4; t++) {
      await advance(e, 1000);
      await scaler.evaluate(now);
      expect(e.hasServer('a')).toBe(true);
    }
    await advance(e, 1500); // the seat expires, after a heartbeat that still reported it
    await scaler.evaluate(now);
    expect(e.server('a').players).toBe(0);
    expect(e.hasServer('a')).toBe(true);
    await advance(e, 1000); // reported empty
    await scaler.evaluate(now);
    expect(e.hasServer('a')).toBe(false);
    expect(events.find((x) => x.type === 'server-removed')).toMatchObject({ serverId: 'a', players: 0 });
  });

  it('property: over random joins, leaves, time and decisions, no server is ever removed with a player on it', async () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('join' as const), player: fc.integer({ min: 0, max: 299 }), n: fc.integer({ min: 1, max: 12 }), zone: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ t: fc.constant('leave' as const), player: fc.integer({ min: 0, max: 299 }), n: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 1500 }) }),
      fc.record({ t: fc.constant('decide' as const) }),
      fc.record({ t: fc.constant('register' as const), weight: fc.constantFrom(1, 2) }),
    );
    let runs = 0;
    let removals = 0;
    let withPlayersAtDrain = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 120 }), fc.integer({ min: 2, max: 6 }), async (ops, initial) => {
        runs++;
        await engine?.close();
        const { engine: e, events, moves } = start({ reconnectMs: 4000 });
        let serial = 0;
        for (let i = 0; i < initial; i++) e.registerServer({ id: `s${serial++}` });
        await e.tick(now);
        const scaler = autoscaler(e, {}, 500);
        for (const o of ops) {
          if (o.t === 'join') for (let p = o.player; p < o.player + o.n; p++) await e.join(p, o.zone);
          else if (o.t === 'leave') for (let p = o.player; p < o.player + o.n; p++) await e.leave(p);
          else if (o.t === 'advance') await advance(e, o.ms);
          else if (o.t === 'register') e.registerServer({ id: `s${serial++}`, weight: o.weight });
          else {
            await scaler.evaluate(now);
            for (const d of scaler.status()!.drainingServers) if (e.hasServer(d.id) && e.server(d.id).players > 0) withPlayersAtDrain++;
          }
        }
        // Seats taken include a reconnecting player's held seat: those count as players on it.
        for (const r of e.seatsAtRemoval) expect(r.players, `seats on ${r.id} when it was removed`).toBe(0);
        removals += e.seatsAtRemoval.length;
        for (const x of events) if (x.type === 'server-removed') expect(x.players, `removal of ${x.serverId}`).toBe(0);
        expect(moves.filter((m) => m.reason === Reason.Removed || m.reason === Reason.Lost)).toEqual([]);
        expect(e.servers().some((s) => s.state === 'active')).toBe(true);
      }),
      { numRuns: 60, seed: 20240605 },
    );
    expect(runs).toBe(60);
    // The runs did scale in, and did catch servers still holding players while draining.
    expect(removals).toBeGreaterThan(10);
    expect(withPlayersAtDrain).toBeGreaterThan(0);
  });
});
