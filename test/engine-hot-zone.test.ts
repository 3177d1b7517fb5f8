/**
 * Hot-zone plans (Engine.setHotZone), on both engines: a plan pre-splits the zone across the
 * servers asked for and spreads its new joins over them by weight; its reserved seats are held
 * against other zones and never push a server past its admission limit; its joins queue with a
 * position when nothing is left (also with whenFull 'refuse'); lifting gives the reserve back
 * and the zone merges back by the usual rule; a server of the plan that stops taking players is
 * replaced; and (sharded engine) the plan survives a killed shard worker, since it lives in the
 * shared zone rows.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Op, Reason, Status } from '../src/core/codes.ts';
import { zoneShard } from '../src/core/hash.ts';
import { ShardCounter } from '../src/core/layout.ts';
import { ShardCore } from '../src/core/shard-core.ts';
import { repairShard } from '../src/core/shard-repair.ts';
import type { EngineEvent, ZoneInfo } from '../src/engine/types.ts';
import { bounded, closePool, ENGINE_KINDS, joinMany, startEngine, zoneInfo, type Harness } from './fixtures/engine-harness.ts';
import { whiteBoxShard } from './fixtures/white-box-shard.ts';

afterAll(closePool);

const HOT = 5;
const OTHER = 6;

/** Zone players and reserved seats per server id. */
function split(info: ZoneInfo | undefined): Map<string, { players: number; reserved: number; open: boolean }> {
  return new Map((info?.servers ?? []).map((s) => [s.serverId, { players: s.players, reserved: s.reserved, open: s.open }]));
}

function sum(info: ZoneInfo | undefined, field: 'players' | 'reserved'): number {
  return (info?.servers ?? []).reduce((a, s) => a + s[field], 0);
}

describe.each(ENGINE_KINDS)('hot-zone plans (%s engine)', (kind) => {
  let h: Harness;
  let events: EngineEvent[];
  let stop: () => void;

  async function start(overrides: Parameters<typeof startEngine>[1] = {}, fresh = false): Promise<void> {
    h = await startEngine(kind, overrides, fresh);
    events = [];
    stop = h.engine.onEvent((e) => events.push(e));
  }

  afterEach(async () => {
    if (!h) return;
    stop();
    // A plan stays in the zone rows: lift it so that a pooled engine starts clean.
    for (const z of [HOT, OTHER]) await h.engine.setHotZone(z, null).catch(() => undefined);
    await h.close();
  });

  /** Every server holds at most its limit, and its count is the zones' players plus their reserve. */
  async function expectSeatsConsistent(): Promise<void> {
    const zones = await h.engine.zones();
    const held = new Map<string, number>();
    for (const z of zones) for (const s of z.servers) held.set(s.serverId, (held.get(s.serverId) ?? 0) + s.players + s.reserved);
    for (const s of h.engine.servers()) {
      expect(s.players, `server ${s.id}: seats taken vs limit`).toBeLessThanOrEqual(s.limit);
      expect(s.players, `server ${s.id}: seats taken vs players + reserve in zones`).toBe(held.get(s.id) ?? 0);
    }
  }

  it('pre-splits a zone across the servers asked for and spreads its joins evenly by weight', async () => {
    await start();
    h.engine.registerServer({ id: 'a', weight: 1 });
    h.engine.registerServer({ id: 'b', weight: 2 });
    await h.engine.setHotZone(HOT, { servers: 2, reserve: 0 });
    const info = await zoneInfo(h.engine, HOT);
    expect(info?.hot).toEqual({ servers: 2, reserve: 0 });
    expect([...split(info).keys()].sort()).toEqual(['a', 'b']);
    expect(info!.servers.every((s) => s.open && s.players === 0)).toBe(true);
    // The pre-split is a split: one event for the second server.
    expect(events.filter((e) => e.type === 'zone-split' && e.zone === HOT)).toHaveLength(1);

    const placed = await joinMany(h.engine, HOT, 0, 9);
    expect(placed.every((p) => p.status === Status.Ok)).toBe(true);
    const s = split(await zoneInfo(h.engine, HOT));
    // Weight 1 and 2: one player in three on a, two in three on b.
    expect(s.get('a')!.players).toBe(3);
    expect(s.get('b')!.players).toBe(6);
    await expectSeatsConsistent();
  });

  it('spreads a reserve over the plan by weight, and the zone\'s joins use it first', async () => {
    await start();
    h.engine.registerServer({ id: 'a', weight: 1 });
    h.engine.registerServer({ id: 'b', weight: 2 });
    await h.engine.setHotZone(HOT, { servers: 2, reserve: 6 });
    let s = split(await zoneInfo(h.engine, HOT));
    expect(s.get('a')).toMatchObject({ players: 0, reserved: 2 });
    expect(s.get('b')).toMatchObject({ players: 0, reserved: 4 });
    expect(h.engine.server('a').players).toBe(2);
    expect(h.engine.server('b').players).toBe(4);

    await joinMany(h.engine, HOT, 0, 9);
    s = split(await zoneInfo(h.engine, HOT));
    expect(s.get('a')).toMatchObject({ players: 3, reserved: 0 });
    expect(s.get('b')).toMatchObject({ players: 6, reserved: 0 });
    // The reserve is used, not added to: 9 seats taken in all.
    expect(h.engine.server('a').players + h.engine.server('b').players).toBe(9);
    // The next tick tops the reserve up again.
    await h.advance(1);
    expect(sum(await zoneInfo(h.engine, HOT), 'reserved')).toBe(6);
    await expectSeatsConsistent();
  });

  it('gives a player walking into the zone one of its reserved seats', async () => {
    await start();
    h.engine.registerServer({ id: 'b', weight: 0.2 });
    expect((await joinMany(h.engine, OTHER, 0, 2)).every((p) => p.serverId === 'b')).toBe(true);
    h.engine.registerServer({ id: 'a', weight: 1 });
    await h.engine.setHotZone(HOT, { servers: 1, reserve: 2 });
    expect(split(await zoneInfo(h.engine, HOT)).get('a')).toMatchObject({ players: 0, reserved: 2 });

    expect((await h.engine.move(0, HOT)).serverId).toBe('a');
    // The walker took a held seat, not one more: the reserve is used, as a join's would be.
    expect(split(await zoneInfo(h.engine, HOT)).get('a')).toMatchObject({ players: 1, reserved: 1 });
    expect(h.engine.server('a').players).toBe(2);
    expect(h.engine.server('b').players).toBe(1);
    await expectSeatsConsistent();
  });

  it('holds reserved seats against other zones and never fills a server past its limit', async () => {
    await start({ whenFull: 'queue' });
    h.engine.registerServer({ id: 'a' }); // 10 seats
    await h.engine.setHotZone(HOT, { servers: 1, reserve: 4 });
    expect(h.engine.server('a').players).toBe(4);

    // Another zone gets the 6 free seats, then waits in line: the reserve is not its to take.
    const others = await joinMany(h.engine, OTHER, 100, 7);
    expect(others.slice(0, 6).every((p) => p.status === Status.Ok && p.serverId === 'a')).toBe(true);
    expect(others[6]).toMatchObject({ status: Status.Queued, position: 1 });
    expect(h.engine.server('a')).toMatchObject({ players: 10, limit: 10 });

    // The hot zone's own joins take the reserved seats, then queue: never an 11th seat.
    const hot = await joinMany(h.engine, HOT, 0, 5);
    expect(hot.slice(0, 4).every((p) => p.status === Status.Ok && p.serverId === 'a')).toBe(true);
    expect(hot[4]).toMatchObject({ status: Status.Queued, position: 2 });
    expect(h.engine.server('a').players).toBe(10);
    // The tick cannot top the reserve up past the limit either.
    await h.advance(1);
    expect(h.engine.server('a').players).toBe(10);
    expect(sum(await zoneInfo(h.engine, HOT), 'reserved')).toBe(0);
    await expectSeatsConsistent();
  });

  it('gives back reserved seats a lowered limit no longer covers, on the next tick', async () => {
    await start();
    h.engine.registerServer({ id: 'a' });
    await h.engine.setHotZone(HOT, { servers: 1, reserve: 4 });
    await joinMany(h.engine, OTHER, 100, 3);
    expect(h.engine.server('a').players).toBe(7);
    // Half the weight: 5 seats, 7 taken. The reserve (not the players) gives way.
    h.engine.heartbeat('a', { cpu: 0, memory: 0, players: 3, weight: 0.5 });
    expect(h.engine.server('a').limit).toBe(5);
    await h.advance(1);
    expect(h.engine.server('a').players).toBe(5);
    expect(split(await zoneInfo(h.engine, HOT)).get('a')).toMatchObject({ players: 0, reserved: 2 });
    await expectSeatsConsistent();
  });

  it('queues a hot zone\'s joins with a position when nothing is left, even with whenFull \'refuse\'', async () => {
    await start({ whenFull: 'refuse', reconnectMs: 0 });
    h.engine.registerServer({ id: 'a' });
    const fill = await joinMany(h.engine, OTHER, 100, 10);
    expect(fill.every((p) => p.status === Status.Ok)).toBe(true);
    await h.engine.setHotZone(HOT, { servers: 1, reserve: 2 });
    // No seat to reserve, none to take: the hot zone queues, other zones are refused.
    expect(await h.engine.join(0, HOT)).toMatchObject({ status: Status.Queued, position: 1 });
    expect(await h.engine.join(1, HOT)).toMatchObject({ status: Status.Queued, position: 2 });
    expect((await h.engine.join(200, OTHER)).status).toBe(Status.Full);
    expect(h.engine.queued()).toBe(2);
    expect(h.engine.server('a').players).toBe(10);

    // A seat opens: the first in line is admitted at the end of the leave's batch (before the
    // next tick refills the reserve).
    h.events.length = 0;
    await h.engine.leave(100);
    expect(h.events.map((e) => [e.player, e.reason, e.newServerId])).toEqual([[0, Reason.Admitted, 'a']]);
    expect(h.engine.queued()).toBe(1);
    expect(h.engine.server('a').players).toBe(10);
    await expectSeatsConsistent();
  });

  it('lifts a plan: the reserve is given back, empty servers leave the zone, the rest merge back as it empties', async () => {
    await start({ reconnectMs: 0 });
    for (const id of ['a', 'b', 'c']) h.engine.registerServer({ id });
    await h.engine.setHotZone(HOT, { servers: 3, reserve: 6 });
    let info = await zoneInfo(h.engine, HOT);
    expect(info!.servers).toHaveLength(3);
    expect(sum(info, 'reserved')).toBe(6);
    const placed = await joinMany(h.engine, HOT, 0, 4);
    info = await zoneInfo(h.engine, HOT);
    // Spread: no server of the plan holds more than two of the four.
    expect(Math.max(...info!.servers.map((s) => s.players))).toBeLessThanOrEqual(2);
    const holding = info!.servers.filter((s) => s.players > 0).map((s) => s.serverId).sort();

    events.length = 0;
    await h.engine.setHotZone(HOT, null);
    info = await zoneInfo(h.engine, HOT);
    expect(info!.hot).toBeNull();
    expect(sum(info, 'reserved')).toBe(0);
    expect(info!.servers.map((s) => s.serverId).sort()).toEqual(holding);
    expect(h.engine.servers().reduce((a, s) => a + s.players, 0)).toBe(4);
    await expectSeatsConsistent();

    // The merge rule takes over: 4 players fit easily in one server, so the extra servers
    // close to new joins tick by tick (zone-merged events) and leave as their players go.
    for (let i = 0; i < 3; i++) await h.advance(1);
    info = await zoneInfo(h.engine, HOT);
    expect(info!.servers.filter((s) => s.open)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'zone-merged' && e.zone === HOT).length).toBeGreaterThanOrEqual(holding.length - 1);
    const home = info!.servers.find((s) => s.open)!.serverId;
    for (const p of placed) if (p.serverId !== home) await h.engine.leave(p.player);
    expect((await zoneInfo(h.engine, HOT))!.servers.map((s) => s.serverId)).toEqual([home]);
    // New joins go to the one server left.
    expect((await h.engine.join(50, HOT)).serverId).toBe(home);
  });

  it('lifting a plan of an empty zone leaves nothing behind', async () => {
    await start();
    for (const id of ['a', 'b']) h.engine.registerServer({ id });
    await h.engine.setHotZone(HOT, { servers: 2, reserve: 4 });
    expect(h.engine.servers().reduce((a, s) => a + s.players, 0)).toBe(4);
    await h.engine.setHotZone(HOT, null);
    expect(await zoneInfo(h.engine, HOT)).toBeUndefined();
    expect(h.engine.servers().every((s) => s.players === 0)).toBe(true);
  });

  it('replaces a server of the plan that stops taking players, on the next tick', async () => {
    await start();
    for (const id of ['a', 'b', 'c']) h.engine.registerServer({ id });
    await h.engine.setHotZone(HOT, { servers: 2, reserve: 2 });
    await joinMany(h.engine, HOT, 0, 2);
    let s = split(await zoneInfo(h.engine, HOT));
    expect(s.size).toBe(2);
    const [victim] = [...s].find(([, v]) => v.players > 0)!;
    // Drained without moving its players: it keeps them, but takes no more.
    await h.engine.drainServer(victim, { move: false });
    await h.advance(1);
    s = split(await zoneInfo(h.engine, HOT));
    const taking = [...s.keys()].filter((id) => id !== victim);
    expect(taking).toHaveLength(2);
    expect(s.get(victim)).toMatchObject({ reserved: 0 });
    expect(taking.reduce((a, id) => a + s.get(id)!.reserved, 0)).toBe(2);
    for (const p of await joinMany(h.engine, HOT, 10, 4)) expect(taking).toContain(p.serverId);
    await expectSeatsConsistent();
  });

  it('refuses a bad plan or zone with ZLB_ERR_INVALID_ARGUMENT and changes nothing', async () => {
    await start();
    h.engine.registerServer({ id: 'a' });
    await expect(h.engine.setHotZone(HOT, { servers: 0, reserve: 1 })).rejects.toMatchObject({ code: 'ZLB_ERR_INVALID_ARGUMENT', field: 'plan.servers' });
    await expect(h.engine.setHotZone(HOT, { servers: 2, reserve: -1 })).rejects.toMatchObject({ field: 'plan.reserve' });
    await expect(h.engine.setHotZone(HOT, { servers: 1.5, reserve: 0 })).rejects.toMatchObject({ field: 'plan.servers' });
    await expect(h.engine.setHotZone(1_000_000, { servers: 1, reserve: 0 })).rejects.toMatchObject({ code: 'ZLB_ERR_INVALID_ARGUMENT' });
    expect(await zoneInfo(h.engine, HOT)).toBeUndefined();
    expect(h.engine.server('a').players).toBe(0);
  });
});

describe('hot-zone plans and shard worker deaths (sharded engine)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('keeps the plan, its reserve and its upkeep through a killed worker', async () => {
    h = await startEngine('sharded', {}, true);
    for (const id of ['a', 'b', 'c']) h.engine.registerServer({ id });
    await h.engine.setHotZone(HOT, { servers: 2, reserve: 4 });
    const before = await zoneInfo(h.engine, HOT);
    expect(sum(before, 'reserved')).toBe(4);

    await h.sharded!.killShard(zoneShard(HOT, h.engine.options.shards));
    // The respawned worker answers the next tick; the plan is still in force.
    await h.advance(1);
    const after = await zoneInfo(h.engine, HOT);
    expect(after!.hot).toEqual({ servers: 2, reserve: 4 });
    expect(split(after)).toEqual(split(before));
    expect(h.engine.servers().reduce((a, s) => a + s.players, 0)).toBe(4);

    // Its joins still use the reserve, and the new worker tops it up on its tick.
    const placed = await joinMany(h.engine, HOT, 0, 3);
    expect(placed.every((p) => p.status === Status.Ok && split(after).has(p.serverId!))).toBe(true);
    expect(h.engine.servers().reduce((a, s) => a + s.players, 0)).toBe(4);
    await bounded(h.engine.tick(h.now + 1), 'tick after respawn');
    expect(sum(await zoneInfo(h.engine, HOT), 'reserved')).toBe(4);
    expect(h.engine.servers().reduce((a, s) => a + s.players, 0)).toBe(7);
    await h.engine.setHotZone(HOT, null);
    expect(h.engine.servers().reduce((a, s) => a + s.players, 0)).toBe(3);
  });
});

describe('hot-zone plans through a shard repair (white box, deterministic)', () => {
  /** One shard over fresh shared buffers, with server slots 0 and 1 active (10 seats each). */
  function shard() {
    return whiteBoxShard({ shards: 1, maxZones: 64, maxPlayers: 64, maxServers: 4, limits: { playersPerServer: 10 } }, { activeServers: 2 });
  }

  it('a worker found dead mid-update: the repair keeps the reserve counted once, and the successor keeps the plan up', () => {
    const { servers, zones, state, core, options } = shard();
    expect(zoneShard(HOT, 1)).toBe(0);
    core.setHotZone(HOT, 2, 4);
    for (let p = 0; p < 3; p++) expect(core.apply(Op.Join, p, HOT, -1, -1, 0)).toBe(Status.Ok);
    const zonesBefore = core.listZones();
    const countsBefore = [servers.count[0], servers.count[1]];
    expect(countsBefore[0]! + countsBefore[1]!).toBe(3 + 1); // 3 players, 1 seat of reserve left

    Atomics.store(state.counters, ShardCounter.busy, 1);
    repairShard(servers, zones, state, 0, 1);
    const successor = new ShardCore({ servers, zones, state }, 0, 1, options);
    successor.restoreSplitZones();
    expect(successor.listZones()).toEqual(zonesBefore);
    expect([servers.count[0], servers.count[1]]).toEqual(countsBefore);
    expect([...successor.hotZones]).toEqual([HOT]);
    // Its tick tops the reserve up to the plan again.
    successor.tick(1);
    const row = successor.listZones().find((z) => z.zone === HOT)!;
    expect(row.hot).toEqual({ servers: 2, reserve: 4 });
    expect(row.servers.reduce((a, s) => a + s.reserved, 0)).toBe(4);
    expect(servers.count[0]! + servers.count[1]!).toBe(3 + 4);
  });
});
