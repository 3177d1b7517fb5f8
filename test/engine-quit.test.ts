/**
 * Quit: a player who logs out for good frees its seat at once (a Leave holds it for
 * reconnectMs), whether it was placed, holding a reservation since a leave, or waiting in line.
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
  zonesOnDifferentShards,
  zonesOnSameShard,
  type Harness,
} from './fixtures/engine-harness.ts';

// Pooled sharded engines (see startEngine) are closed once this file is done.
afterAll(closePool);

describe.each(ENGINE_KINDS)('quit (%s engine)', (kind) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('frees the seat at once: the next join of the player is a fresh placement, a second quit NotFound', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    const p = await h.engine.join(1, 4);
    expect(await h.engine.quit(1)).toMatchObject({ status: Status.Ok, server: p.server });
    expect(h.engine.server('a').players).toBe(0);
    expect(await zoneInfo(h.engine, 4)).toBeUndefined();
    expect((await h.engine.quit(1)).status).toBe(Status.NotFound);
    expect((await h.engine.leave(1)).status).toBe(Status.NotFound);
    expect((await h.engine.join(1, 4)).status).toBe(Status.Ok);
    await expectCountsMatchZones(h.engine);
  });

  it('gives the seat to another player in a full fleet, where a leave would have kept it', async () => {
    h = await startEngine(kind, { whenFull: 'refuse' });
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, 2, 0, 10);
    await h.engine.leave(3);
    expect((await h.engine.join(50, 2)).status).toBe(Status.Full);
    await h.engine.quit(4);
    expect((await h.engine.join(50, 2)).status).toBe(Status.Ok);
    expect(h.engine.server('a').players).toBe(10);
  });

  it('after a leave frees the held seat at once, and its expiry entry does not cut a later reservation short', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    await h.engine.join(1, 4);
    await h.engine.leave(1);
    expect(h.engine.server('a').players).toBe(1);
    expect((await h.engine.quit(1)).status).toBe(Status.Ok);
    expect(h.engine.server('a').players).toBe(0);
    expect((await h.engine.join(1, 4)).status).toBe(Status.Ok);
    // Left again 500 ms after the first leave: held until 1500, not released at 1000.
    await h.advance(500);
    await h.engine.leave(1);
    await h.advance(600);
    expect(h.engine.server('a').players).toBe(1);
    expect((await h.engine.join(1, 4)).status).toBe(Status.Reconnected);
  });

  it('takes a player out of the line: the players behind move up', async () => {
    h = await startEngine(kind, { whenFull: 'queue' });
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, 3, 0, 10);
    await joinMany(h.engine, 3, 10, 2);
    expect(h.engine.queued()).toBe(2);
    expect(await h.engine.quit(10)).toMatchObject({ status: Status.Ok, server: -1 });
    expect(h.engine.queued()).toBe(1);
    expect(await h.engine.join(11, 3)).toMatchObject({ status: Status.Queued, position: 1 });
  });

  it('forgets the player: it can join again in a zone of another shard', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    const [z1, z2] = zonesOnDifferentShards(0);
    await h.engine.join(1, z1);
    await h.engine.quit(1);
    expect((await h.engine.join(1, z2)).status).toBe(Status.Ok);
    expect((await zoneInfo(h.engine, z2))!.population).toBe(1);
    expect(await zoneInfo(h.engine, z1)).toBeUndefined();
    expect((await h.engine.quit(1)).status).toBe(Status.Ok);
    expect(h.engine.server('a').players).toBe(0);
    await expectCountsMatchZones(h.engine);
  });

  // A relogin: the quit (or a leave with reconnects off) and the new join reach the same
  // shard, the join placing the player afresh after the quit removed it. The player must still
  // be found afterwards: its leave frees its seat, rather than answer NotFound and leave the
  // seat held by nobody.
  it.each([
    ['a quit', Op.Quit, {}],
    ['a leave with reconnects off', Op.Leave, { reconnectMs: 0 }],
  ] as const)('after %s and a join of the same player in one batch, the player is found again', async (_, op, options) => {
    h = await startEngine(kind, options);
    h.engine.registerServer({ id: 'a' });
    const [zone, sameShard] = zonesOnSameShard(4, 2);
    await h.engine.join(1, zone);
    const r = await submitBatch(h.engine, [
      { op, player: 1, zone: 0 },
      { op: Op.Join, player: 1, zone: sameShard! },
    ]);
    expect(r.status).toEqual([Status.Ok, Status.Ok]);
    expect(h.engine.server('a').players).toBe(1);
    expect((await h.engine.quit(1)).status).toBe(Status.Ok);
    expect(h.engine.server('a').players).toBe(0);
    await expectCountsMatchZones(h.engine);
  });

  it('after a quit and a join of the same player in batches submitted back to back, the player is found again', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a' });
    await h.engine.join(1, 4);
    // Submitted before the quit is answered: the join is routed while the quit is in flight.
    const [quit, join] = await Promise.all([
      submitBatch(h.engine, [{ op: Op.Quit, player: 1, zone: 0 }]),
      submitBatch(h.engine, [{ op: Op.Join, player: 1, zone: 4 }]),
    ]);
    expect([quit.status[0], join.status[0]]).toEqual([Status.Ok, Status.Ok]);
    expect((await h.engine.quit(1)).status).toBe(Status.Ok);
    expect(h.engine.server('a').players).toBe(0);
    await expectCountsMatchZones(h.engine);
  });
});
