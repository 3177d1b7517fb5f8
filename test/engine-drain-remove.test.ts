/**
 * Graceful exits: drainServer stops new joins on a server and lists who is on it, and with
 * `move: true` re-places those it can (Reason.Drained); removeServer takes a server out and
 * re-places everyone (Reason.Removed).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Reason, Status, handleSlot } from '../src/core/codes.ts';
import {
  caught,
  closePool,
  ENGINE_KINDS,
  expectCountsMatchZones,
  joinMany,
  startEngine,
  zoneServerIds,
  type Harness,
} from './fixtures/engine-harness.ts';

// Pooled sharded engines (see startEngine) are closed once this file is done.
afterAll(closePool);

const ZONE = 8;

describe.each(ENGINE_KINDS)('drain and remove (%s engine)', (kind) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  /** a holds players 0..n-1 in ZONE; b registered after with `bWeight`. */
  async function setup(n: number, bWeight = 1, overrides: Parameters<typeof startEngine>[1] = {}): Promise<void> {
    h = await startEngine(kind, overrides);
    h.engine.registerServer({ id: 'a' });
    const placed = await joinMany(h.engine, ZONE, 0, n);
    expect(placed.every((p) => p.serverId === 'a')).toBe(true);
    h.engine.registerServer({ id: 'b', weight: bWeight });
  }

  it('stops new joins on a draining server, keeps its players and lists them (not the reserved ones)', async () => {
    await setup(4);
    await h.engine.leave(3);
    const r = await h.engine.drainServer('a');
    expect(r.moved).toBe(0);
    expect([...r.players].sort((x, y) => x - y)).toEqual([0, 1, 2]);
    expect(h.engine.server('a')).toMatchObject({ state: 'draining', players: 4 });
    expect(await h.engine.join(10, ZONE)).toMatchObject({ status: Status.Ok, serverId: 'b' });
    expect(h.engine.server('a').players).toBe(4);
    expect(h.events).toEqual([]);
  });

  it('stays draining through heartbeats and a repeated registration', async () => {
    await setup(1);
    await h.engine.drainServer('a');
    h.keepAlive('a');
    h.engine.registerServer({ id: 'a' });
    expect(h.engine.server('a').state).toBe('draining');
    expect((await h.engine.join(10, ZONE)).serverId).toBe('b');
  });

  it('moves every player it can with move: true (Drained events) and leaves the rest listed', async () => {
    await setup(5, 0.3); // b: 3 seats
    const r = await h.engine.drainServer('a', { move: true });
    expect(r.moved).toBe(3);
    expect(r.players.length).toBe(2);
    const drained = h.events.filter((e) => e.reason === Reason.Drained);
    expect(drained.length).toBe(3);
    for (const e of drained) expect(e).toMatchObject({ oldServerId: 'a', newServerId: 'b', zone: ZONE });
    expect(h.engine.server('a').players).toBe(2);
    expect(h.engine.server('b').players).toBe(3);
    // Those listed are the ones still on a; the moved ones are found on b.
    for (const p of r.players) expect(drained.map((e) => e.player)).not.toContain(p);
    for (const e of drained) expect(await h.engine.leave(e.player)).toMatchObject({ status: Status.Ok, serverId: 'b' });
    await expectCountsMatchZones(h.engine);
  });

  it('empties a drained server of its players when there is room, keeping reserved seats until they expire', async () => {
    await setup(4);
    await h.engine.leave(3);
    const r = await h.engine.drainServer('a', { move: true });
    expect(r).toMatchObject({ moved: 3, players: [] });
    expect(h.engine.server('a').players).toBe(1);
    await h.advance(1100);
    expect(h.engine.server('a').players).toBe(0);
    expect(await zoneServerIds(h.engine, ZONE)).toEqual(['b']);
  });

  it('removes a server and re-places all its players with Removed events', async () => {
    await setup(4);
    const a = h.engine.server('a');
    await h.engine.leave(3);
    const events = await h.engine.removeServer('a');
    expect(events.map((e) => e.player).sort()).toEqual([0, 1, 2]);
    for (const e of events) expect(e).toMatchObject({ reason: Reason.Removed, oldServer: a.handle, oldServerId: 'a', newServerId: 'b' });
    expect(h.events).toEqual(events);
    expect(h.engine.servers().map((s) => s.id)).toEqual(['b']);
    expect(h.engine.server('b').players).toBe(3);
    expect((await h.engine.leave(3)).status).toBe(Status.NotFound);
    await expectCountsMatchZones(h.engine);
  });

  it('removes a draining server, re-placing what is left on it', async () => {
    await setup(5, 0.3);
    await h.engine.drainServer('a', { move: true });
    h.engine.registerServer({ id: 'c' });
    const events = await h.engine.removeServer('a');
    expect(events.length).toBe(2);
    for (const e of events) expect(e).toMatchObject({ reason: Reason.Removed, newServerId: 'c' });
    expect(h.engine.servers().reduce((n, s) => n + s.players, 0)).toBe(5);
    await expectCountsMatchZones(h.engine);
  });

  it('reports players of a removed server Lost when nothing has room (whenFull refuse)', async () => {
    await setup(3, 0.1, { whenFull: 'refuse' });
    const events = await h.engine.removeServer('a');
    expect(events.filter((e) => e.reason === Reason.Removed && e.newServerId === 'b').length).toBe(1);
    expect(events.filter((e) => e.reason === Reason.Lost && e.newServer === -1).length).toBe(2);
    expect(h.engine.servers().map((s) => [s.id, s.players])).toEqual([['b', 1]]);
  });

  /*
   * removeServer() and the failure detector's tick both evacuate a server and free its slot;
   * the engine keeps the evacuation in flight per slot so a second caller waits for the first
   * instead of freeing the slot twice (which once gave the next two registrations one slot).
   */
  it('says whether a server is registered, until it is removed', async () => {
    await setup(1, 0.5);
    expect(h.engine.hasServer('a')).toBe(true);
    expect(h.engine.hasServer('nope')).toBe(false);
    await h.engine.removeServer('a');
    expect(h.engine.hasServer('a')).toBe(false);
  });

  it('frees a slot once when the same server is removed twice at the same time', async () => {
    h = await startEngine(kind, {}, true); // fresh: the registry gets corrupted
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 3);
    h.engine.registerServer({ id: 'b' });
    const results = await Promise.allSettled([h.engine.removeServer('a'), h.engine.removeServer('a')]);
    const removed = results.filter((r) => r.status === 'fulfilled' && r.value.length === 3);
    expect(removed.length).toBe(1);
    const c = h.engine.registerServer({ id: 'c' });
    const d = h.engine.registerServer({ id: 'd' });
    expect(handleSlot(c.handle)).not.toBe(handleSlot(d.handle));
    expect(h.engine.servers().map((s) => s.id).sort()).toEqual(['b', 'c', 'd']);
  });

  it('frees a slot once when a server is removed while a tick declares it dead', async () => {
    h = await startEngine(kind, {}, true); // fresh: the registry gets corrupted
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 3);
    h.engine.registerServer({ id: 'b' });
    h.silent.add('a');
    await h.advance(500);
    h.now += 1;
    h.keepAlive('b');
    const tick = h.engine.tick(h.now);
    await caught(() => h.engine.removeServer('a'));
    await tick;
    expect(h.engine.server('b').players).toBe(3);
    const c = h.engine.registerServer({ id: 'c' });
    const d = h.engine.registerServer({ id: 'd' });
    expect(handleSlot(c.handle)).not.toBe(handleSlot(d.handle));
    expect(h.engine.servers().map((s) => s.id).sort()).toEqual(['b', 'c', 'd']);
  });
});
