/**
 * Reconnect reservations: a leave keeps the seat for reconnectMs; a join within the window
 * returns Reconnected on the same server; once a tick passes the window the seat is released.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Status } from '../src/core/codes.ts';
import {
  closePool,
  ENGINE_KINDS,
  expectCountsMatchZones,
  joinMany,
  startEngine,
  zoneInfo,
  zonesOnDifferentShards,
  type Harness,
} from './fixtures/engine-harness.ts';

// Pooled sharded engines (see startEngine) are closed once this file is done.
afterAll(closePool);

describe.each(ENGINE_KINDS)('reconnect (%s engine)', (kind) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('keeps the seat after a leave and answers a join within the window Reconnected on the same server', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    h.engine.registerServer({ id: 'b' });
    const p = await h.engine.join(1, 4);
    const left = await h.engine.leave(1);
    expect(left).toMatchObject({ status: Status.Ok, server: p.server });
    expect(h.engine.server(p.serverId!).players).toBe(1);
    await h.advance(900);
    const back = await h.engine.join(1, 4);
    expect(back).toMatchObject({ status: Status.Reconnected, server: p.server, serverId: p.serverId });
    expect(h.engine.server(p.serverId!).players).toBe(1);
    await expectCountsMatchZones(h.engine);
  });

  it('releases the seat once a tick passes the window; a later join is a fresh placement', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    await h.engine.join(1, 4);
    await h.engine.leave(1);
    await h.advance(999);
    expect(h.engine.server('a').players).toBe(1);
    await h.advance(2);
    expect(h.engine.server('a').players).toBe(0);
    expect(await zoneInfo(h.engine, 4)).toBeUndefined();
    expect((await h.engine.leave(1)).status).toBe(Status.NotFound);
    const again = await h.engine.join(1, 4);
    expect(again.status).toBe(Status.Ok);
  });

  it('does not give a reserved seat to another player', async () => {
    h = await startEngine(kind, { whenFull: 'refuse' });
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, 2, 0, 10);
    await h.engine.leave(3);
    expect((await h.engine.join(50, 2)).status).toBe(Status.Full);
    expect((await h.engine.join(3, 2)).status).toBe(Status.Reconnected);
    expect(h.engine.server('a').players).toBe(10);
  });

  it('releases the seat at once when reconnectMs is 0', async () => {
    h = await startEngine(kind, { reconnectMs: 0 });
    h.engine.registerServer({ id: 'a' });
    await h.engine.join(1, 4);
    expect((await h.engine.leave(1)).status).toBe(Status.Ok);
    expect(h.engine.server('a').players).toBe(0);
    expect((await h.engine.join(1, 4)).status).toBe(Status.Ok);
  });

  it('answers a second leave of a reserved player Ok and keeps one seat', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    await h.engine.join(1, 4);
    await h.engine.leave(1);
    expect((await h.engine.leave(1)).status).toBe(Status.Ok);
    expect(h.engine.server('a').players).toBe(1);
  });

  it('answers a move of a reserved player NotFound and keeps the reservation', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    await h.engine.join(1, 4);
    await h.engine.leave(1);
    expect((await h.engine.move(1, 5)).status).toBe(Status.NotFound);
    expect((await h.engine.join(1, 4)).status).toBe(Status.Reconnected);
  });

  it('reconnects into another zone on the same server when that server hosts it', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    const [z1, z2] = zonesOnDifferentShards(0);
    await h.engine.join(1, z1);
    await h.engine.join(2, z2);
    await h.engine.leave(1);
    const back = await h.engine.join(1, z2);
    expect(back).toMatchObject({ status: Status.Reconnected, serverId: 'a' });
    expect(h.engine.server('a').players).toBe(2);
    expect((await zoneInfo(h.engine, z2))!.population).toBe(2);
    await expectCountsMatchZones(h.engine);
  });

  it('places a reconnecting player afresh when its server drains, releasing the old seat', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    await h.engine.join(1, 4);
    await h.engine.leave(1);
    h.engine.registerServer({ id: 'b' });
    await h.engine.drainServer('a');
    const back = await h.engine.join(1, 4);
    expect(back).toMatchObject({ status: Status.Ok, serverId: 'b' });
    expect(h.engine.server('a').players).toBe(0);
    expect(h.engine.server('b').players).toBe(1);
    await expectCountsMatchZones(h.engine);
  });

  /*
   * Regression (found by the simulator once its players could drop and come back): a
   * reservation holds a seat but no usage, so a heartbeat could lower the server's limit below
   * its seats; the reconnect still took the held seat and filled the server past its limit.
   */
  it.each([
    ['the same zone', false],
    ['a zone of another shard', true],
  ])('places a player reconnecting into %s afresh when its server holds more seats than its lowered limit', async (_, otherShard) => {
    h = await startEngine(kind, {}, true); // fresh: the readings below teach the fleet a cost
    h.engine.registerServer({ id: 'a' });
    const [z1, z2] = zonesOnDifferentShards(0);
    await joinMany(h.engine, z1, 0, 10);
    await h.engine.leave(1);
    // 9 players placed, 10 seats taken; CPU now leaves room for 9 players, not 10.
    expect(h.engine.heartbeat('a', { cpu: 0.79, memory: 0.1, players: 9 }).limit).toBe(9);
    h.engine.registerServer({ id: 'b' });
    const back = await h.engine.join(1, otherShard ? z2 : z1);
    expect(back).toMatchObject({ status: Status.Ok, serverId: 'b' });
    expect(h.engine.server('a')).toMatchObject({ players: 9, limit: 9 });
    // Within its limit again, the server honours the reservations it still holds.
    await h.engine.leave(2);
    expect((await h.engine.join(2, z1)).status).toBe(Status.Reconnected);
    await expectCountsMatchZones(h.engine);
  });

  it('expires many reservations in leave order, each on its own deadline', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, 9, 0, 6);
    for (let p = 0; p < 6; p++) {
      await h.engine.leave(p);
      await h.advance(100);
    }
    // Player p left at time 100 × p; its seat goes on the first tick at or past that + 1000.
    expect(h.engine.server('a').players).toBe(6);
    await h.advance(450); // now = 1050: players 0 (left at 0) expired
    expect(h.engine.server('a').players).toBe(5);
    await h.advance(200); // now = 1250: players 1 (100) and 2 (200) too
    expect(h.engine.server('a').players).toBe(3);
    expect((await h.engine.join(3, 9)).status).toBe(Status.Reconnected);
  });
});
