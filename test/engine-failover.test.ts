/**
 * Failure detection and failover: a server silent for more than suspectAfterMs takes no new
 * joins; silent for more than deadAfterMs it is declared dead on a tick and its players are
 * re-placed at once (Reason.Crashed events), queued or lost when there is no room, and none
 * remain on it.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Reason, Status } from '../src/core/codes.ts';
import { ErrorCode, ZonelbError } from '../src/core/errors.ts';
import { zoneShard } from '../src/core/hash.ts';
import {
  closePool,
  ENGINE_KINDS,
  SHARDS,
  caught,
  expectCountsMatchZones,
  joinMany,
  startEngine,
  zoneServerIds,
  zonesOnSameShard,
  type Harness,
} from './fixtures/engine-harness.ts';

// Pooled sharded engines (see startEngine) are closed once this file is done.
afterAll(closePool);

const ZONE = 6;
const CANDIDATE_ZONES = Array.from({ length: 64 }, (_, z) => z);

describe.each(ENGINE_KINDS)('failure detection and failover (%s engine)', (kind) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  /** a holds players 0..n-1 in ZONE; b is registered after, empty. */
  async function setup(n: number, overrides: Parameters<typeof startEngine>[1] = {}, bWeight = 1): Promise<void> {
    h = await startEngine(kind, overrides);
    h.engine.registerServer({ id: 'a' });
    const placed = await joinMany(h.engine, ZONE, 0, n);
    expect(placed.every((p) => p.serverId === 'a')).toBe(true);
    h.engine.registerServer({ id: 'b', weight: bWeight });
  }

  it('marks a silent server suspect only after suspectAfterMs, and a suspect server takes no new joins', async () => {
    await setup(3);
    h.silent.add('a');
    await h.advance(300);
    expect(h.engine.server('a').state).toBe('active');
    await h.advance(1);
    expect(h.engine.server('a').state).toBe('suspect');
    const p = await h.engine.join(10, ZONE);
    expect(p).toMatchObject({ status: Status.Ok, serverId: 'b' });
    expect(h.engine.server('a').players).toBe(3);
    // A heartbeat brings it back.
    h.silent.delete('a');
    h.keepAlive('a');
    expect(h.engine.server('a').state).toBe('active');
  });

  it('declares a server dead only after deadAfterMs and re-places its players at once with Crashed events', async () => {
    await setup(4);
    const a = h.engine.server('a');
    h.silent.add('a');
    expect(await h.advance(500)).toEqual([]);
    expect(h.engine.server('a').state).toBe('suspect');
    const events = await h.advance(1);
    expect(events.map((e) => e.player).sort((x, y) => x - y)).toEqual([0, 1, 2, 3]);
    for (const e of events) {
      expect(e).toMatchObject({ reason: Reason.Crashed, oldServer: a.handle, oldServerId: 'a', newServerId: 'b', zone: ZONE });
    }
    expect(h.events).toEqual(events);
    // None remain on it: it is gone from servers() and zones(); everyone is on b.
    expect(h.engine.servers().map((s) => s.id)).toEqual(['b']);
    expect(await zoneServerIds(h.engine, ZONE)).toEqual(['b']);
    expect(h.engine.server('b').players).toBe(4);
    for (let p = 0; p < 4; p++) expect(await h.engine.leave(p)).toMatchObject({ status: Status.Ok, serverId: 'b' });
    await expectCountsMatchZones(h.engine);
  });

  it('releases the reservations held on a dead server without events', async () => {
    await setup(3);
    await h.engine.leave(2);
    h.silent.add('a');
    const events = await h.advance(501);
    expect(events.map((e) => e.player).sort()).toEqual([0, 1]);
    expect(h.engine.server('b').players).toBe(2);
    expect((await h.engine.leave(2)).status).toBe(Status.NotFound);
    expect(await h.engine.join(2, ZONE)).toMatchObject({ status: Status.Ok, serverId: 'b' });
  });

  it('queues the players of a dead server that find no room (whenFull queue)', async () => {
    await setup(5, { whenFull: 'queue' }, 0.2);
    h.silent.add('a');
    const events = await h.advance(501);
    const placed = events.filter((e) => e.newServerId === 'b');
    const queued = events.filter((e) => e.newServer === -1);
    expect(placed.length).toBe(2);
    expect(queued.length).toBe(3);
    for (const e of events) expect(e.reason).toBe(Reason.Crashed);
    expect(h.engine.queued()).toBe(3);
    expect(h.engine.server('b').players).toBe(2);
    // They wait in line: a join answers Queued; a new server admits them on the next tick.
    expect((await h.engine.join(queued[0]!.player, ZONE)).status).toBe(Status.Queued);
    h.engine.registerServer({ id: 'c' });
    const admitted = await h.advance(1);
    expect(admitted.map((e) => e.reason)).toEqual([Reason.Admitted, Reason.Admitted, Reason.Admitted]);
    expect(h.engine.queued()).toBe(0);
  });

  it('reports the players of a dead server that find no room as Lost when whenFull is refuse', async () => {
    await setup(5, { whenFull: 'refuse' }, 0.2);
    h.silent.add('a');
    const events = await h.advance(501);
    const lost = events.filter((e) => e.reason === Reason.Lost);
    expect(lost.length).toBe(3);
    for (const e of lost) expect(e).toMatchObject({ newServer: -1, oldServerId: 'a' });
    for (const e of lost) expect((await h.engine.leave(e.player)).status).toBe(Status.NotFound);
    expect(h.engine.queued()).toBe(0);
    await expectCountsMatchZones(h.engine);
  });

  it('forgets a dead server: heartbeats are refused, and registering again starts a new incarnation', async () => {
    await setup(2);
    const old = h.engine.server('a');
    h.silent.add('a');
    await h.advance(501);
    const err = await caught(() => h.engine.heartbeat('a', { cpu: 0, memory: 0, players: 0 }));
    expect(err).toBeInstanceOf(ZonelbError);
    expect((err as ZonelbError).code).toBe(ErrorCode.UnknownServer);
    const again = h.engine.registerServer({ id: 'a' });
    expect(again).toMatchObject({ state: 'active', players: 0 });
    expect(again.handle).not.toBe(old.handle);
    // The old handle no longer names any server.
    expect(h.engine.serverIdOf(old.handle)).toBeUndefined();
  });

  it('re-places the players of a dead server in every shard', async () => {
    h = await startEngine(kind);
    h.engine.registerServer({ id: 'a', weight: 2 });
    // One zone per shard, 5 players each, all on a.
    const zones = [0, 1, 2, 3].map((shard) => CANDIDATE_ZONES.find((z) => zoneShard(z, SHARDS) === shard)!);
    let player = 0;
    for (const zone of zones) {
      for (let k = 0; k < 5; k++) expect((await h.engine.join(player++, zone)).serverId).toBe('a');
    }
    for (const id of ['b', 'c', 'd', 'e']) h.engine.registerServer({ id });
    h.silent.add('a');
    const events = await h.advance(501);
    expect(events.length).toBe(20);
    expect(new Set(events.map((e) => e.player)).size).toBe(20);
    for (const e of events) {
      expect(e.reason).toBe(Reason.Crashed);
      expect(['b', 'c', 'd', 'e']).toContain(e.newServerId);
    }
    for (const z of await h.engine.zones()) for (const s of z.servers) expect(s.serverId).not.toBe('a');
    expect(h.engine.servers().reduce((a, s) => a + s.players, 0)).toBe(20);
    await expectCountsMatchZones(h.engine);
  });

  /*
   * Regression (found by this suite, fixed in 45742c8; same root cause as the overflow bug in
   * engine-placement.test.ts): re-placing a dead server's players goes through overflow() for
   * each zone's first player; from the third zone on every server with room failed the stale
   * load bound and was then skipped by the room-list fallback, so players were Lost (refuse)
   * or queued although the fleet had room. Repro: a (weight 4) holds 8 players in each of
   * zones 1, 2, 3; b and c (weight 2) register; a goes silent → 8 Reason.Lost events.
   */
  it('re-places every player of a dead server while the fleet has room (none Lost)', async () => {
    h = await startEngine(kind, { whenFull: 'refuse' });
    h.engine.registerServer({ id: 'a', weight: 4 });
    let player = 0;
    for (const zone of zonesOnSameShard(1, 3)) {
      for (let k = 0; k < 8; k++) expect((await h.engine.join(player++, zone)).serverId).toBe('a');
    }
    h.engine.registerServer({ id: 'b', weight: 2 });
    h.engine.registerServer({ id: 'c', weight: 2 });
    h.silent.add('a');
    const events = await h.advance(501);
    expect(events.filter((e) => e.reason === Reason.Lost).map((e) => e.player)).toEqual([]);
    expect(events.length).toBe(24);
    expect(h.engine.server('b').players + h.engine.server('c').players).toBe(24);
  });

  it('also declares a silent draining server dead and re-places its players', async () => {
    await setup(2);
    await h.engine.drainServer('a');
    h.silent.add('a');
    const events = await h.advance(501);
    expect(events.map((e) => [e.reason, e.newServerId])).toEqual([
      [Reason.Crashed, 'b'],
      [Reason.Crashed, 'b'],
    ]);
  });
});
