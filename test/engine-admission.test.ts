/**
 * Admission limits: min(floor(weight × playersPerServer), the largest player count whose
 * predicted CPU and memory stay strictly below their thresholds), recomputed on every
 * heartbeat; a join never takes a seat past the limit, and a lowered limit evicts nobody.
 *
 * The harness declares readings exact (admission.readingNoise 0) and no cold start, so these
 * limits are the plain extrapolations; the doubt kept for noisy readings, the fleet's prior and
 * the cold start are tested in engine-admission-learning.test.ts.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Op, Status } from '../src/core/codes.ts';
import type { ServerInfo } from '../src/engine/types.ts';
import {
  closePool,
  ENGINE_KINDS,
  expectCountsMatchZones,
  joinMany,
  startEngine,
  submitBatch,
  zonesOnDifferentShards,
  type Harness,
} from './fixtures/engine-harness.ts';

// Pooled sharded engines (see startEngine) are closed once this file is done.
afterAll(closePool);

const ZONE = 5;
/** A high cap, so that CPU and memory decide the limit. */
const HIGH_CAP = { limits: { playersPerServer: 1000 }, whenFull: 'refuse' as const, reconnectMs: 0 };
/**
 * Engines that learn costs start fresh: a pooled one would carry what an earlier test's
 * servers taught the fleet, which sets a new server's first limit.
 */
const FRESH = true;

/** The defining property of a limit: predicted usage at `limit` is below the threshold, at limit + 1 it is not. */
function expectLimitIsLargestBelow(s: ServerInfo, usage: number, perPlayer: number, threshold: number): void {
  const at = (n: number) => usage + perPlayer * (n - s.reportedPlayers);
  expect(at(s.limit), `${s.id}: usage at the limit`).toBeLessThan(threshold);
  expect(at(s.limit + 1) + 1e-9, `${s.id}: usage one past the limit`).toBeGreaterThanOrEqual(threshold);
}

describe.each(ENGINE_KINDS)('admission limits (%s engine)', (kind) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('caps each server at floor(weight × playersPerServer) and fills exactly that many seats', async () => {
    h = await startEngine(kind, { whenFull: 'refuse' });
    h.engine.registerServer({ id: 'a', weight: 2 });
    h.engine.registerServer({ id: 'b', weight: 0.5 });
    h.engine.registerServer({ id: 'c', weight: 1.25 });
    expect(h.engine.servers().map((s) => [s.id, s.limit, s.cap])).toEqual([
      ['a', 20, 20],
      ['b', 5, 5],
      ['c', 12, 12],
    ]);
    const placed = await joinMany(h.engine, ZONE, 0, 40);
    expect(placed.filter((p) => p.status === Status.Ok).length).toBe(37);
    expect(placed.slice(37).every((p) => p.status === Status.Full)).toBe(true);
    for (const s of h.engine.servers()) expect(s.players).toBe(s.limit);
  });

  it('extrapolates CPU: 40 players at cpu 0.4 → limit 79 (0.01 each; 80 would reach 0.8)', async () => {
    h = await startEngine(kind, HIGH_CAP, FRESH);
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 40);
    const s = h.engine.heartbeat('a', { cpu: 0.4, memory: 0.1, players: 40 });
    expect(s.cpuPerPlayer).toBeCloseTo(0.01, 12);
    expect(s.limit).toBe(79);
    const more = await joinMany(h.engine, ZONE, 40, 40);
    expect(more.filter((p) => p.status === Status.Ok).length).toBe(39);
    expect(more[39]!.status).toBe(Status.Full);
    expect(h.engine.server('a').players).toBe(79);
  });

  it('extrapolates memory: 40 players at memory 0.6 → limit 59 (0.015 each; 60 would reach 0.9)', async () => {
    h = await startEngine(kind, HIGH_CAP, FRESH);
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 40);
    const s = h.engine.heartbeat('a', { cpu: 0.2, memory: 0.6, players: 40 });
    expect(s.limit).toBe(59);
    expectLimitIsLargestBelow(s, 0.6, s.memoryPerPlayer, 0.9);
  });

  it('gives no new joins to a server above its CPU threshold, and evicts nobody', async () => {
    h = await startEngine(kind, HIGH_CAP, FRESH);
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 40);
    // A first report at 20 players fixes the cost per player (0.02): 37 players is 0.79.
    h.engine.heartbeat('a', { cpu: 0.45, memory: 0.1, players: 20 });
    const s = h.engine.heartbeat('a', { cpu: 0.85, memory: 0.1, players: 40 });
    expect(s.limit).toBe(37);
    expect((await h.engine.join(100, ZONE)).status).toBe(Status.Full);
    expect(h.engine.server('a').players).toBe(40);
    // Joins resume only once the count is back below the limit.
    for (let p = 0; p < 4; p++) await h.engine.leave(p);
    expect((await h.engine.join(101, ZONE)).status).toBe(Status.Ok);
    expect((await h.engine.join(102, ZONE)).status).toBe(Status.Full);
    expect(h.engine.server('a').players).toBe(37);
  });

  it('gives a limit of 0 to a server above its CPU threshold whose cost per player is unknown', async () => {
    h = await startEngine(kind, HIGH_CAP, FRESH);
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 40);
    // One report, at one player count: how many players fewer would bring it under is unknown.
    expect(h.engine.heartbeat('a', { cpu: 0.85, memory: 0.1, players: 40 }).limit).toBe(0);
    expect((await h.engine.join(100, ZONE)).status).toBe(Status.Full);
    expect(h.engine.server('a').players).toBe(40);
  });

  it('gives a limit of 0 to an idle server already above its CPU threshold', async () => {
    h = await startEngine(kind, HIGH_CAP, FRESH);
    h.engine.registerServer({ id: 'a' });
    expect(h.engine.heartbeat('a', { cpu: 0.9, memory: 0, players: 0 }).limit).toBe(0);
    expect((await h.engine.join(1, ZONE)).status).toBe(Status.Full);
    expect(h.engine.server('a').players).toBe(0);
  });

  it('uses the fitted per-player slope once the player count varies: limit = largest count below the threshold', async () => {
    h = await startEngine(kind, HIGH_CAP, FRESH);
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 30);
    h.engine.heartbeat('a', { cpu: 0.2, memory: 0.1, players: 10 });
    h.engine.heartbeat('a', { cpu: 0.3, memory: 0.15, players: 20 });
    const s = h.engine.heartbeat('a', { cpu: 0.4, memory: 0.2, players: 30 });
    // base 0.1 + 0.01 per player: the plain ratio (0.4 / 30) would have said 0.0133.
    expect(s.cpuPerPlayer).toBeCloseTo(0.01, 9);
    expect(s.limit).toBe(69);
    expectLimitIsLargestBelow(s, 0.4, s.cpuPerPlayer, 0.8);
  });

  it('gives only the seats beside players a server reports that zonelb did not seat (zonelb restarted), and more as they leave', async () => {
    h = await startEngine(kind, HIGH_CAP, FRESH);
    h.engine.registerServer({ id: 'a' });
    // 90 players zonelb knows nothing of, at 0.008 each: 99 would be 0.792, 100 would reach 0.8.
    expect(h.engine.heartbeat('a', { cpu: 0.72, memory: 0.1, players: 90 })).toMatchObject({ limit: 9, players: 0, reportedPlayers: 90 });
    const first = await joinMany(h.engine, ZONE, 0, 20);
    expect(first.filter((p) => p.status === Status.Ok).length).toBe(9);
    expect(first[9]!.status).toBe(Status.Full);
    // The server now reports them all: still no room.
    expect(h.engine.heartbeat('a', { cpu: 0.792, memory: 0.1, players: 99 })).toMatchObject({ limit: 9, players: 9 });
    expect((await h.engine.join(100, ZONE)).status).toBe(Status.Full);
    // 30 of the others log out (through their own gateway path): 69 players, room for 30 more.
    expect(h.engine.heartbeat('a', { cpu: 0.552, memory: 0.1, players: 69 })).toMatchObject({ limit: 39, players: 9 });
    const more = await joinMany(h.engine, ZONE, 200, 31);
    expect(more.filter((p) => p.status === Status.Ok).length).toBe(30);
    expect(more[30]!.status).toBe(Status.Full);
  });

  it('does not let seats held for reconnecting players hide the players zonelb did not seat', async () => {
    h = await startEngine(kind, { ...HIGH_CAP, reconnectMs: 60_000 }, FRESH);
    h.engine.registerServer({ id: 'a', load: { cpu: 0.72, memory: 0.1, players: 90 } });
    expect((await joinMany(h.engine, ZONE, 0, 9)).every((p) => p.status === Status.Ok)).toBe(true);
    // 5 of the 9 drop their connection: their seats are held, and they are not on the server.
    for (let p = 0; p < 5; p++) await h.engine.leave(p);
    // 94 players there (90 + 4) at 0.008 each: 99 fit, so the 9 seats (4 taken, 5 held) are all
    // there is. Taking the held seats for players there would hide 5 of the 90 and offer 5 more.
    expect(h.engine.heartbeat('a', { cpu: 0.752, memory: 0.1, players: 94 })).toMatchObject({ limit: 9, players: 9, heldSeats: 5 });
    expect((await h.engine.join(100, ZONE)).status).toBe(Status.Full);
  });

  it('counts a held seat once whichever zone (and shard) its player comes back to', async () => {
    h = await startEngine(kind, { ...HIGH_CAP, reconnectMs: 60_000 }, FRESH);
    h.engine.registerServer({ id: 'a' });
    // A zone of another shard than ZONE's, when there are several: the player is handed over
    // with its held seat.
    const [, other] = zonesOnDifferentShards(ZONE);
    await joinMany(h.engine, ZONE, 0, 3);
    await h.engine.leave(0);
    await h.engine.leave(1);
    expect(h.engine.server('a')).toMatchObject({ players: 3, heldSeats: 2 });
    expect((await h.engine.join(0, other)).status).toBe(Status.Reconnected);
    expect((await h.engine.join(1, ZONE)).status).toBe(Status.Reconnected);
    expect(h.engine.server('a')).toMatchObject({ players: 3, heldSeats: 0 });
  });

  it('takes a load sent with the registration as its first heartbeat; a bad one registers nothing', async () => {
    h = await startEngine(kind, HIGH_CAP, FRESH);
    expect(() => h.engine.registerServer({ id: 'a', load: { cpu: 0.72, memory: 0.1, players: -1 } })).toThrow(
      expect.objectContaining({ code: 'ZLB_ERR_INVALID_ARGUMENT', field: 'load.players' }),
    );
    expect(h.engine.servers()).toEqual([]);
    expect(h.engine.registerServer({ id: 'a', load: { cpu: 0.72, memory: 0.1, players: 90 } })).toMatchObject({ limit: 9, reportedPlayers: 90 });
    const placed = await joinMany(h.engine, ZONE, 0, 10);
    expect(placed.filter((p) => p.status === Status.Ok).length).toBe(9);
  });

  it('takes nothing off the limit for seats zonelb holds beyond the players reported (joins on their way, reconnects)', async () => {
    h = await startEngine(kind, HIGH_CAP, FRESH);
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 40);
    // 10 of the 40 have not reached the server yet: 30 players at 0.01 each, 79 in all fit.
    expect(h.engine.heartbeat('a', { cpu: 0.3, memory: 0.1, players: 30 })).toMatchObject({ limit: 79, players: 40 });
    const more = await joinMany(h.engine, ZONE, 40, 40);
    expect(more.filter((p) => p.status === Status.Ok).length).toBe(39);
  });

  it('recomputes the cap when a heartbeat changes the weight; a lowered cap keeps its players', async () => {
    h = await startEngine(kind, { whenFull: 'refuse', reconnectMs: 0 });
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 10);
    expect(h.engine.heartbeat('a', { cpu: 0, memory: 0, players: 10, weight: 0.5 })).toMatchObject({ limit: 5, cap: 5, players: 10 });
    expect((await h.engine.join(50, ZONE)).status).toBe(Status.Full);
    expect(h.engine.heartbeat('a', { cpu: 0, memory: 0, players: 10, weight: 1.5 })).toMatchObject({ limit: 15, cap: 15 });
    const more = await joinMany(h.engine, ZONE, 60, 6);
    expect(more.map((p) => p.status).filter((s) => s === Status.Ok).length).toBe(5);
    expect(h.engine.server('a').players).toBe(15);
  });

  it('never over-fills a server under one large batch of joins spread over many zones', async () => {
    h = await startEngine(kind, { whenFull: 'refuse' });
    h.engine.registerServer({ id: 'a' });
    h.engine.registerServer({ id: 'b', weight: 0.7 });
    h.engine.registerServer({ id: 'c', weight: 1.3 });
    const reqs = Array.from({ length: 300 }, (_, i) => ({ op: Op.Join, player: i, zone: (i * 7) % 64 }));
    const r = await submitBatch(h.engine, reqs);
    expect(r.doneCalls()).toBe(1);
    expect(r.status.every((s) => s === Status.Ok || s === Status.Full)).toBe(true);
    const ok = r.status.filter((s) => s === Status.Ok).length;
    let seats = 0;
    for (const s of h.engine.servers()) {
      expect(s.players, s.id).toBeLessThanOrEqual(s.limit);
      seats += s.players;
    }
    expect(seats).toBe(ok);
    await expectCountsMatchZones(h.engine);
  });
});
