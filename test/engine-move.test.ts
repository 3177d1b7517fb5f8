/**
 * Moves between zones: stay on the same server when it hosts the new zone (and the zone is not
 * leaving it), else go to a server of the new zone with room, else extend the new zone onto
 * the player's own server; a move never takes a second seat. Zone pairs are picked on different shards so that the
 * sharded engine hands the player from one shard to another.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Op, Status } from '../src/core/codes.ts';
import {
  closePool,
  ENGINE_KINDS,
  expectCountsMatchZones,
  joinMany,
  startEngine,
  submitBatch,
  zoneInfo,
  zoneServerIds,
  zonesOnDifferentShards,
  type Harness,
} from './fixtures/engine-harness.ts';

// Pooled sharded engines (see startEngine) are closed once this file is done.
afterAll(closePool);

const [Z1, Z2] = zonesOnDifferentShards(0);

describe.each(ENGINE_KINDS)('move (%s engine)', (kind) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  /** a hosts Z1 (player 1), b hosts Z2 (player 2, b full at 1 seat); a has room. */
  async function twoZonesTwoServers(): Promise<void> {
    h.engine.registerServer({ id: 'a', weight: 0.1 });
    expect((await h.engine.join(1, Z1)).serverId).toBe('a');
    h.engine.registerServer({ id: 'b', weight: 0.1 });
    expect((await h.engine.join(2, Z2)).serverId).toBe('b');
    h.engine.heartbeat('a', { cpu: 0, memory: 0, players: 1, weight: 1 });
    expect(h.engine.server('a').limit).toBe(10);
  }

  it('stays on the same server when that server hosts the new zone', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    await h.engine.join(1, Z1);
    await h.engine.join(2, Z2);
    h.engine.registerServer({ id: 'b' });
    const m = await h.engine.move(1, Z2);
    expect(m).toMatchObject({ status: Status.Ok, serverId: 'a' });
    expect(h.engine.server('a').players).toBe(2);
    expect(await zoneInfo(h.engine, Z1)).toBeUndefined();
    expect((await zoneInfo(h.engine, Z2))!.population).toBe(2);
    await expectCountsMatchZones(h.engine);
  });

  it('moves to a server of the new zone with room, releasing the old seat', async () => {
    h = await startEngine(kind);
    await twoZonesTwoServers();
    h.engine.heartbeat('b', { cpu: 0, memory: 0, players: 1, weight: 1 });
    const m = await h.engine.move(1, Z2);
    expect(m).toMatchObject({ status: Status.Ok, serverId: 'b' });
    expect(h.engine.server('a').players).toBe(0);
    expect(h.engine.server('b').players).toBe(2);
    expect(await zoneServerIds(h.engine, Z2)).toEqual(['b']);
    await expectCountsMatchZones(h.engine);
  });

  it('extends the new zone onto the player\'s own server when the zone\'s servers are full', async () => {
    h = await startEngine(kind);
    await twoZonesTwoServers();
    const m = await h.engine.move(1, Z2);
    expect(m).toMatchObject({ status: Status.Ok, serverId: 'a' });
    expect(await zoneServerIds(h.engine, Z2)).toEqual(['b', 'a']);
    expect(h.engine.server('a').players).toBe(1);
    expect(h.engine.server('b').players).toBe(1);
    await expectCountsMatchZones(h.engine);
  });

  it('creates an unhosted zone on the player\'s own server, even when that server is full', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a', weight: 0.1 });
    h.engine.registerServer({ id: 'b' });
    await h.advance(1);
    const p = await h.engine.join(1, Z1);
    const m = await h.engine.move(1, Z2);
    expect(m).toMatchObject({ status: Status.Ok, server: p.server });
    expect(await zoneServerIds(h.engine, Z2)).toEqual([p.serverId]);
    await expectCountsMatchZones(h.engine);
  });

  it('follows a zone that is leaving its server to the zone\'s open server, and stays (re-opening it) only while that one is full', async () => {
    h = await startEngine(kind, { reconnectMs: 0 });
    h.engine.registerServer({ id: 'a' });
    expect((await h.engine.join(1, Z1)).serverId).toBe('a');
    expect((await joinMany(h.engine, Z2, 100, 9)).every((p) => p.serverId === 'a')).toBe(true);
    h.engine.registerServer({ id: 'b', weight: 2 });
    expect((await joinMany(h.engine, Z2, 200, 5)).every((p) => p.serverId === 'b')).toBe(true);
    // Z2 shrinks to 2 on a (2 per weight) and 5 on b (2.5 per weight): a closes to Z2.
    for (let p = 100; p < 107; p++) await h.engine.leave(p);
    await h.advance(1);
    expect((await zoneInfo(h.engine, Z2))!.servers.map((e) => [e.serverId, e.open])).toEqual([
      ['b', true],
      ['a', false],
    ]);
    // A player on a walking into Z2 goes where Z2's new players go: b.
    expect(await h.engine.move(1, Z2)).toMatchObject({ status: Status.Ok, serverId: 'b' });
    expect(h.engine.server('a').players).toBe(2);
    // With b full, the next walker from a stays on a, and a takes Z2's players again.
    await joinMany(h.engine, Z2, 300, 14);
    expect(h.engine.server('b')).toMatchObject({ players: 20, limit: 20 });
    expect((await h.engine.join(2, Z1)).serverId).toBe('a');
    expect(await h.engine.move(2, Z2)).toMatchObject({ status: Status.Ok, serverId: 'a' });
    expect((await zoneInfo(h.engine, Z2))!.servers.find((e) => e.serverId === 'a')).toMatchObject({ players: 3, open: true });
    await expectCountsMatchZones(h.engine);
  });

  it('answers a move into the current zone Ok on the same server', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    const p = await h.engine.join(1, Z1);
    expect(await h.engine.move(1, Z1)).toMatchObject({ status: Status.Ok, server: p.server });
    expect(h.engine.server('a').players).toBe(1);
  });

  it('keeps one seat and one record through a walk across many zones', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    h.engine.registerServer({ id: 'b' });
    await h.engine.join(1, 0);
    for (let z = 1; z <= 12; z++) expect((await h.engine.move(1, z)).status).toBe(Status.Ok);
    const zones = await h.engine.zones();
    expect(zones.map((z) => [z.zone, z.population])).toEqual([[12, 1]]);
    expect(h.engine.servers().reduce((a, s) => a + s.players, 0)).toBe(1);
    expect((await h.engine.leave(1)).status).toBe(Status.Ok);
    await expectCountsMatchZones(h.engine);
  });

  /*
   * Regression (found by this suite, fixed in 45742c8): the sharded engine turned every Join
   * hand-off carrying a seat into AttachJoin, answered Reconnected when the player stayed on
   * its server, though a placed (not reserved) player's join into another zone is a move
   * (codes.ts: Reconnected = back on the server it held a reservation on).
   */
  it('answers Ok (not Reconnected) to a join of a placed player into another zone', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    await h.engine.join(1, Z1);
    expect(await h.engine.join(1, Z2)).toMatchObject({ status: Status.Ok, serverId: 'a' });
    expect(await zoneServerIds(h.engine, Z2)).toEqual(['a']);
    expect(h.engine.server('a').players).toBe(1);
  });

  it('answers join, moves and leave of one player in one batch in order', async () => {
    h = await startEngine(kind, { reconnectMs: 0 });
    h.engine.registerServer({ id: 'a' });
    h.engine.registerServer({ id: 'b' });
    const r = await submitBatch(h.engine, [
      { op: Op.Join, player: 9, zone: Z1 },
      { op: Op.Move, player: 9, zone: Z2 },
      { op: Op.Move, player: 9, zone: Z1 },
      { op: Op.Leave, player: 9, zone: 0 },
      { op: Op.Move, player: 9, zone: Z2 },
    ]);
    expect(r.doneCalls()).toBe(1);
    expect(r.status).toEqual([Status.Ok, Status.Ok, Status.Ok, Status.Ok, Status.NotFound]);
    expect(h.engine.servers().map((s) => s.players)).toEqual([0, 0]);
    expect(await h.engine.zones()).toEqual([]);
  });

  it('keeps a player of a draining server on it when the new zone has no room anywhere', async () => {
    h = await startEngine(kind, { whenFull: 'refuse' });
    h.engine.registerServer({ id: 'a', weight: 0.1 });
    await h.engine.join(1, Z1);
    await h.engine.drainServer('a');
    h.engine.registerServer({ id: 'b', weight: 0.1 });
    await h.engine.join(2, Z2);
    expect(h.engine.server('b').players).toBe(1);
    const m = await h.engine.move(1, Z2);
    expect(m).toMatchObject({ status: Status.Ok, serverId: 'a' });
    expect(h.engine.server('a').players).toBe(1);
    await expectCountsMatchZones(h.engine);
  });
});

describe('move between shards (sharded engine only)', () => {
  /*
   * Regression (found by this suite, fixed in 45742c8): a move into a zone of a shard with no
   * free record (maxPlayers) was answered Overloaded — "nothing was changed" — after the
   * player's own shard had already forgotten it: the player vanished and its seat was freed.
   * Repro: shards 4, maxPlayers 16; 16 players in zone 0 (shard 3); player 100 placed in
   * zone 1 (shard 2); move(100, 0) → Overloaded; leave(100) → NotFound.
   */
  it('leaves the player where it was when the zone\'s shard cannot take it', async () => {
    const h = await startEngine('sharded', { maxPlayers: 16 });
    try {
      h.engine.registerServer({ id: 'a', weight: 10 });
      const [full, home] = zonesOnDifferentShards(0);
      for (let p = 0; p < 16; p++) expect((await h.engine.join(p, full)).status).toBe(Status.Ok);
      expect((await h.engine.join(16, full)).status).toBe(Status.Overloaded);
      await h.advance(1);
      expect(await h.engine.join(100, home)).toMatchObject({ status: Status.Ok, serverId: 'a' });
      const m = await h.engine.move(100, full);
      expect([Status.Ok, Status.Overloaded]).toContain(m.status);
      // Whatever the answer, the player is still held: in its old zone if the move failed.
      expect(await h.engine.leave(100)).toMatchObject({ status: Status.Ok, serverId: 'a' });
      expect(h.engine.server('a').players).toBe(17);
    } finally {
      await h.close();
    }
  });
});
