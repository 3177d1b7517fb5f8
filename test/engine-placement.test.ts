/**
 * Placement basics: no servers, zone affinity, idempotent joins, overflow to another server
 * (the one holding most of the zone's neighbours' players), Full when every server is full,
 * and the seat count kept equal to the players placed.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Op, Status } from '../src/core/codes.ts';
import {
  closePool,
  ENGINE_KINDS,
  expectCountsMatchZones,
  joinMany,
  serverMap,
  startEngine,
  submitBatch,
  zoneInfo,
  zoneServerIds,
  type Harness,
} from './fixtures/engine-harness.ts';

// Pooled sharded engines (see startEngine) are closed once this file is done.
afterAll(closePool);

describe.each(ENGINE_KINDS)('placement (%s engine)', (kind) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('answers NoServers when no server is registered, and holds nothing', async () => {
    h = await startEngine(kind);
    const p = await h.engine.join(1, 5);
    expect(p).toMatchObject({ player: 1, status: Status.NoServers, server: -1, serverId: undefined, position: 0 });
    expect(h.engine.queued()).toBe(0);
    // Nothing was held for the refused player: a leave does not find it.
    expect((await h.engine.leave(1)).status).toBe(Status.NotFound);
  });

  it('answers NoServers (not Queued) when every registered server is draining', async () => {
    h = await startEngine(kind, { whenFull: 'queue' });
    h.engine.registerServer({ id: 'a' });
    await h.engine.drainServer('a');
    const p = await h.engine.join(1, 5);
    expect(p.status).toBe(Status.NoServers);
    expect(h.engine.queued()).toBe(0);
  });

  it('places a join on a registered server and reports its handle and id', async () => {
    h = await startEngine(kind);
    const a = h.engine.registerServer({ id: 'a', address: '10.0.0.1:7000' });
    const p = await h.engine.join(7, 3);
    expect(p).toEqual({ player: 7, status: Status.Ok, server: a.handle, serverId: 'a', position: 0 });
    expect(h.engine.server('a').players).toBe(1);
    expect(h.engine.serverIdOf(p.server)).toBe('a');
  });

  it('keeps every player of a zone on one server while it has room (zone affinity)', async () => {
    h = await startEngine(kind);
    for (const id of ['a', 'b', 'c']) h.engine.registerServer({ id });
    const zones = [0, 1, 2, 3, 4, 5];
    let player = 0;
    // 3 players per zone in an interleaved order: 18 players fit in 30 seats with room to spare.
    for (let round = 0; round < 3; round++) {
      for (const zone of zones) {
        const p = await h.engine.join(player++, zone);
        expect(p.status).toBe(Status.Ok);
      }
    }
    for (const zone of zones) {
      const info = await zoneInfo(h.engine, zone);
      expect(info?.servers.length, `zone ${zone} servers`).toBe(1);
      expect(info?.population).toBe(3);
    }
    await expectCountsMatchZones(h.engine);
  });

  it('answers a repeated join with the same server and takes no second seat', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    h.engine.registerServer({ id: 'b' });
    const first = await h.engine.join(42, 9);
    const again = await h.engine.join(42, 9);
    expect(again.status).toBe(Status.Ok);
    expect(again.server).toBe(first.server);
    const total = h.engine.servers().reduce((a, s) => a + s.players, 0);
    expect(total).toBe(1);
  });

  it('overflows onto another server only when the zone server is full', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    h.engine.registerServer({ id: 'b' });
    const placed = await joinMany(h.engine, 11, 0, 10);
    const home = placed[0]!.serverId!;
    expect(placed.every((p) => p.status === Status.Ok && p.serverId === home)).toBe(true);
    expect(await zoneServerIds(h.engine, 11)).toEqual([home]);

    const eleventh = await h.engine.join(10, 11);
    expect(eleventh.status).toBe(Status.Ok);
    expect(eleventh.serverId).not.toBe(home);
    const s = serverMap(h.engine);
    expect(s.get(home)!.players).toBe(10);
    expect(s.get(eleventh.serverId!)!.players).toBe(1);
    expect(await zoneServerIds(h.engine, 11)).toEqual([home, eleventh.serverId]);
    await expectCountsMatchZones(h.engine);
  });

  /** a holds N1's `n1` players, b holds N2's `n2` (a is filled first, then given room again). */
  async function neighboursOnTwoServers(n1: number, n2: number, bWeight: number): Promise<void> {
    h.engine.registerServer({ id: 'a', weight: n1 / 10 });
    expect((await joinMany(h.engine, N1, 0, n1)).every((p) => p.serverId === 'a')).toBe(true);
    h.engine.registerServer({ id: 'b', weight: bWeight });
    expect((await joinMany(h.engine, N2, 100, n2)).every((p) => p.serverId === 'b')).toBe(true);
    h.engine.heartbeat('a', { cpu: 0, memory: 0, players: n1, weight: 2 });
    // Fresh fleet totals for the load bound (which these tests keep out of the way).
    await h.advance(1);
  }
  const [Z, N1, N2, N3] = [40, 41, 42, 43];

  it("places a new zone on the server holding most of its neighbours' players", async () => {
    h = await startEngine(kind, { boundedLoadEpsilon: 10, adjacency: { [Z]: [N1, N2, N3] } });
    await neighboursOnTwoServers(1, 3, 1);
    // a: 1 player of N1 and 19 free seats; b: 3 of N2 and 7 free. N3 is hosted nowhere.
    expect((await h.engine.join(1000, Z)).serverId).toBe('b');
  });

  it("breaks a tie between neighbours' servers by room", async () => {
    h = await startEngine(kind, { boundedLoadEpsilon: 10, adjacency: { [Z]: [N1, N2] } });
    await neighboursOnTwoServers(1, 1, 3);
    // One neighbour player each; a has 19 free seats, b 29.
    expect((await h.engine.join(1000, Z)).serverId).toBe('b');
  });

  // No adjacency configured: zonelb learns a zone's neighbours from the moves out of it (the
  // batch loop's steady move and the general path alike), and a zone that outgrows its server
  // grows onto the server of the zone its players walk to.
  it('grows a full zone onto the server of the zone its players walk to, learned from moves', async () => {
    h = await startEngine(kind, { boundedLoadEpsilon: 10 });
    const [zone, walkedTo] = [60, 61];
    h.engine.registerServer({ id: 'a', weight: 0.2 });
    expect((await joinMany(h.engine, zone, 0, 2)).every((p) => p.serverId === 'a')).toBe(true);
    h.engine.registerServer({ id: 'c', weight: 0.1 });
    expect((await h.engine.join(10, walkedTo)).serverId).toBe('c');
    // More room on c, and more on each of five other servers: without the neighbour, any of
    // the six could take the zone's overflow.
    h.engine.heartbeat('c', { cpu: 0, memory: 0, players: 1, weight: 1 });
    for (const id of ['b1', 'b2', 'b3', 'b4', 'b5']) h.engine.registerServer({ id, weight: 2 });
    await h.advance(1);
    // Players of the zone walk to the other and back (a seat opens on a and is taken again).
    for (let round = 0; round < 3; round++) {
      expect((await h.engine.move(0, walkedTo)).serverId).toBe('c');
      expect((await h.engine.move(0, zone)).serverId).toBe('a');
    }
    expect(h.engine.server('a').players).toBe(2);
    expect((await h.engine.join(20, zone)).serverId).toBe('c');
    expect(await zoneServerIds(h.engine, zone)).toEqual(['a', 'c']);
    await expectCountsMatchZones(h.engine);
  });

  it('refuses with Full when every server is full (whenFull refuse) and never over-fills', async () => {
    h = await startEngine(kind, { whenFull: 'refuse' });
    h.engine.registerServer({ id: 'a' });
    h.engine.registerServer({ id: 'b', weight: 0.5 });
    const placed = await joinMany(h.engine, 2, 0, 15);
    expect(placed.every((p) => p.status === Status.Ok)).toBe(true);
    const more = [await h.engine.join(100, 2), await h.engine.join(101, 77)];
    for (const p of more) expect(p).toMatchObject({ status: Status.Full, server: -1, position: 0 });
    for (const s of h.engine.servers()) expect(s.players).toBe(s.limit);
    expect(h.engine.queued()).toBe(0);
    expect((await h.engine.leave(100)).status).toBe(Status.NotFound);
  });

  it('answers a large batch once, fills every seat before refusing, and refused joins hold no seat', async () => {
    h = await startEngine(kind, { whenFull: 'refuse' });
    for (let i = 0; i < 4; i++) h.engine.registerServer({ id: `s${i}`, weight: 1 + i * 0.5 });
    const capacity = h.engine.servers().reduce((a, s) => a + s.limit, 0);
    const reqs = Array.from({ length: 120 }, (_, i) => ({ op: Op.Join, player: 1000 + i, zone: i % 17 }));
    const r = await submitBatch(h.engine, reqs);
    expect(r.doneCalls()).toBe(1);
    const ok = r.status.filter((s) => s === Status.Ok).length;
    const full = r.status.filter((s) => s === Status.Full).length;
    expect(ok + full).toBe(120);
    expect(ok).toBe(capacity);
    // Every Ok holds exactly one seat; every Full holds none.
    expect(h.engine.servers().reduce((a, s) => a + s.players, 0)).toBe(ok);
    for (const s of h.engine.servers()) expect(s.players).toBeLessThanOrEqual(s.limit);
    await expectCountsMatchZones(h.engine);
  });

  it('answers leave Ok for a placed player and NotFound for an unknown one', async () => {
    h = await startEngine(kind, { reconnectMs: 0 });
    h.engine.registerServer({ id: 'a' });
    const p = await h.engine.join(5, 1);
    const left = await h.engine.leave(5);
    expect(left.status).toBe(Status.Ok);
    expect(left.server).toBe(p.server);
    expect(h.engine.server('a').players).toBe(0);
    expect((await h.engine.leave(6)).status).toBe(Status.NotFound);
    expect((await h.engine.move(6, 2)).status).toBe(Status.NotFound);
    await expectCountsMatchZones(h.engine);
  });

  /*
   * Regression (found by this suite, fixed in 45742c8): overflow() marked a ring probe as tried
   * before its bounded-load check, so the room-list fallback skipped every server rejected only
   * for the (stale, between ticks) load bound: a join for a new zone was answered Full or
   * Queued while servers had room. Repro: one server (10 seats), 3 players in zone 0, a join
   * into zone 1 → Full with 7 free seats.
   */
  it('places a join for a new zone while a server has room, even before the next tick', async () => {
    h = await startEngine(kind, { whenFull: 'refuse' });
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, 0, 0, 3);
    expect(h.engine.server('a')).toMatchObject({ players: 3, limit: 10 });
    const p = await h.engine.join(3, 1);
    expect(p.status).toBe(Status.Ok);
    expect(p.serverId).toBe('a');
  });
});
