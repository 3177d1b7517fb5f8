/**
 * Full fleet: queue (with a position) or refuse, the queue limit, and admission of queued
 * players on a later tick when room appears (Reason.Admitted events).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Op, Reason, Status } from '../src/core/codes.ts';
import { zoneShard } from '../src/core/hash.ts';
import {
  closePool,
  ENGINE_KINDS,
  SHARDS,
  expectCountsMatchZones,
  joinMany,
  startEngine,
  submitBatch,
  zonesOnDifferentShards,
  zonesOnSameShard,
  type Harness,
} from './fixtures/engine-harness.ts';

// Pooled sharded engines (see startEngine) are closed once this file is done.
afterAll(closePool);

const ZONE = 3;

describe.each(ENGINE_KINDS)('queue (%s engine)', (kind) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  /** One server (10 seats) filled by players 0..9 in ZONE. */
  async function fullFleet(overrides: Parameters<typeof startEngine>[1] = {}): Promise<void> {
    h = await startEngine(kind, { whenFull: 'queue', ...overrides });
    h.engine.registerServer({ id: 'a' });
    const placed = await joinMany(h.engine, ZONE, 0, 10);
    expect(placed.every((p) => p.status === Status.Ok)).toBe(true);
  }

  it('queues joins when every server is full, with positions 1, 2, 3; a repeated join or a move keeps the place', async () => {
    await fullFleet();
    const q = await joinMany(h.engine, ZONE, 10, 3);
    expect(q.map((p) => [p.status, p.position, p.server])).toEqual([
      [Status.Queued, 1, -1],
      [Status.Queued, 2, -1],
      [Status.Queued, 3, -1],
    ]);
    expect(h.engine.queued()).toBe(3);
    expect(await h.engine.join(11, ZONE)).toMatchObject({ status: Status.Queued, position: 2 });
    expect(await h.engine.move(12, ZONE)).toMatchObject({ status: Status.Queued, position: 3 });
    expect(h.engine.queued()).toBe(3);
    expect(h.engine.server('a').players).toBe(10);
  });

  it('admits queued players in order when room appears, with Admitted events: at the end of the batch that freed a seat, on a tick for a new server', async () => {
    await fullFleet({ reconnectMs: 0 });
    await joinMany(h.engine, ZONE, 10, 3);
    h.events.length = 0;
    await h.engine.leave(0);
    // No tick: the leave's own batch gave its seat to the first in line.
    expect(h.events.map((e) => [e.player, e.reason, e.oldServer, e.newServerId])).toEqual([[10, Reason.Admitted, -1, 'a']]);
    expect(h.engine.queued()).toBe(2);
    expect(await h.advance(1)).toEqual([]);
    expect(h.engine.server('a').players).toBe(10);
    expect(await h.engine.join(10, ZONE)).toMatchObject({ status: Status.Ok, serverId: 'a' });
    expect(await h.engine.join(12, ZONE)).toMatchObject({ status: Status.Queued, position: 2 });

    h.engine.registerServer({ id: 'b' });
    const rest = await h.advance(1);
    expect(rest.map((e) => [e.player, e.reason, e.newServerId])).toEqual([
      [11, Reason.Admitted, 'b'],
      [12, Reason.Admitted, 'b'],
    ]);
    expect(h.engine.queued()).toBe(0);
    await expectCountsMatchZones(h.engine);
  });

  it('sends a new player behind the line even when a seat is free, and the line takes the seat at the end of its batch', async () => {
    await fullFleet({ reconnectMs: 0 });
    await joinMany(h.engine, ZONE, 10, 2);
    // A heartbeat raises the server's limit to 11: a seat opens outside any batch.
    h.engine.heartbeat('a', { cpu: 0, memory: 0, players: 10, weight: 1.1 });
    expect(h.engine.server('a')).toMatchObject({ players: 10, limit: 11 });
    h.events.length = 0;
    // Players 10 and 11 were waiting for it: 12 goes third in line, not onto the seat, and
    // the end of its batch gives the seat to 10.
    expect(await h.engine.join(12, ZONE)).toMatchObject({ status: Status.Queued, position: 3 });
    expect(h.events.map((e) => [e.player, e.reason])).toEqual([[10, Reason.Admitted]]);
    expect(h.engine.server('a').players).toBe(11);
    expect(await h.engine.join(12, ZONE)).toMatchObject({ status: Status.Queued, position: 2 });
    // Once the line is empty, new players take free seats at once again.
    await h.engine.leave(1);
    await h.engine.leave(2);
    await h.engine.leave(3);
    expect(h.engine.queued()).toBe(0);
    expect(await h.engine.join(13, ZONE)).toMatchObject({ status: Status.Ok, serverId: 'a' });
    await expectCountsMatchZones(h.engine);
  });

  /**
   * SERVERS servers of `seats` seats, every seat taken by players 0.. in zone `fill`, then a tick:
   * the room list, rebuilt on it, names none of them. Returns each player's server.
   */
  async function fullSmallFleet(seats: number, fill = FILL): Promise<string[]> {
    h = await startEngine(kind, { whenFull: 'queue', reconnectMs: 0, limits: { playersPerServer: seats } });
    for (let i = 0; i < SERVERS; i++) h.engine.registerServer({ id: `s${i}` });
    const placed = await joinMany(h.engine, fill, 0, SERVERS * seats);
    expect(placed.every((p) => p.status === Status.Ok)).toBe(true);
    await h.engine.tick(h.now);
    return placed.map((p) => p.serverId!);
  }

  // A line in zone LINE, which none of the full servers hosts: a seat opening on one of them is
  // found only through the servers that gained room since the tick, for LINE's 32 ring probes
  // reach at most 32 of the 48 servers and the room list was built when all were full.
  const SERVERS = 48;
  const [FILL, LINE] = zonesOnSameShard(ZONE, 2) as [number, number];

  // One seat: the leaving player's zone entry empties (the leave goes through leave() and
  // releaseSeat); two: it keeps a player (the leave answered in the batch loop).
  it.each([1, 2])('gives a seat freed on a full server between ticks to the line at the end of its batch, wherever that server is (%i seats)', async (seats) => {
    const serverOf = await fullSmallFleet(seats);
    const servers = [...new Set(serverOf)];
    expect(servers).toHaveLength(SERVERS);
    for (let i = 0; i < SERVERS; i++) {
      expect(await h.engine.join(100 + i, LINE)).toMatchObject({ status: Status.Queued, position: 1 });
      h.events.length = 0;
      await h.engine.leave(serverOf.indexOf(servers[i]!));
      expect(h.events.map((e) => [e.player, e.reason, e.newServerId])).toEqual([[100 + i, Reason.Admitted, servers[i]]]);
    }
    expect(h.engine.queued()).toBe(0);
    await expectCountsMatchZones(h.engine);
  });

  it("gives a seat freed by another shard's player to this shard's line at the end of its next batch", async () => {
    // FILL_ELSEWHERE's players are answered by another worker than LINE's (the sharded engine):
    // the line sees the seat through the server table both share. The local engine, one shard,
    // admits at the end of the leave's own batch.
    const [, FILL_ELSEWHERE] = zonesOnDifferentShards(LINE);
    const serverOf = await fullSmallFleet(2, FILL_ELSEWHERE);
    const servers = [...new Set(serverOf)];
    expect(await h.engine.join(1000, LINE)).toMatchObject({ status: Status.Queued, position: 1 });
    for (let i = 0; i < SERVERS; i++) {
      h.events.length = 0;
      await h.engine.leave(serverOf.indexOf(servers[i]!));
      const next = await h.engine.join(1001 + i, LINE);
      expect(next).toMatchObject({ status: Status.Queued, position: kind === 'local' ? 1 : 2 });
      expect(h.events.map((e) => [e.player, e.reason, e.newServerId])).toEqual([[1000 + i, Reason.Admitted, servers[i]]]);
    }
    await expectCountsMatchZones(h.engine);
  });

  it('gives a seat a heartbeat opens on a full server between ticks to the line at the end of the next batch', async () => {
    const serverOf = await fullSmallFleet(2);
    // One player leaves each server, and its heartbeat reports two: one zonelb did not seat
    // takes the seat back (limit 1, full) until a report of one gives it back between ticks.
    const servers = [...new Set(serverOf)];
    for (const id of servers) {
      await h.engine.leave(serverOf.indexOf(id));
      expect(h.engine.heartbeat(id, { cpu: 0, memory: 0, players: 2 })).toMatchObject({ players: 1, limit: 1 });
    }
    await h.engine.tick(h.now);
    expect(await h.engine.join(1000, LINE)).toMatchObject({ status: Status.Queued, position: 1 });
    for (let i = 0; i < servers.length; i++) {
      expect(h.engine.heartbeat(servers[i]!, { cpu: 0, memory: 0, players: 1 })).toMatchObject({ limit: 2 });
      h.events.length = 0;
      // The next player goes behind the one waiting, and the end of its batch seats that one.
      expect(await h.engine.join(1001 + i, LINE)).toMatchObject({ status: Status.Queued, position: 2 });
      expect(h.events.map((e) => [e.player, e.reason, e.newServerId])).toEqual([[1000 + i, Reason.Admitted, servers[i]]]);
    }
    await expectCountsMatchZones(h.engine);
  });

  it('admits only as many players as there are free seats', async () => {
    await fullFleet({ reconnectMs: 0 });
    await joinMany(h.engine, ZONE, 10, 5);
    h.engine.heartbeat('a', { cpu: 0, memory: 0, players: 10, weight: 1.2 }); // 12 seats
    const events = await h.advance(1);
    expect(events.map((e) => e.player)).toEqual([10, 11]);
    expect(h.engine.queued()).toBe(3);
    expect(h.engine.server('a')).toMatchObject({ players: 12, limit: 12 });
  });

  it('refuses with Full and queues nobody when whenFull is refuse', async () => {
    await fullFleet({ whenFull: 'refuse', reconnectMs: 0 });
    expect(await h.engine.join(10, ZONE)).toMatchObject({ status: Status.Full, position: 0 });
    expect(h.engine.queued()).toBe(0);
    await h.engine.leave(0);
    expect(await h.advance(1)).toEqual([]);
    expect((await h.engine.leave(10)).status).toBe(Status.NotFound);
  });

  it('refuses with Full when queueLimit is 0', async () => {
    await fullFleet({ queueLimit: 0 });
    expect((await h.engine.join(10, ZONE)).status).toBe(Status.Full);
    expect(h.engine.queued()).toBe(0);
  });

  it('removes a queued player that leaves: Ok, out of the line, never admitted', async () => {
    await fullFleet({ reconnectMs: 0 });
    await joinMany(h.engine, ZONE, 10, 2);
    expect((await h.engine.leave(10)).status).toBe(Status.Ok);
    expect(h.engine.queued()).toBe(1);
    expect(await h.engine.join(11, ZONE)).toMatchObject({ status: Status.Queued, position: 1 });
    h.events.length = 0;
    await h.engine.leave(0);
    expect(h.events.map((e) => e.player)).toEqual([11]);
    expect((await h.engine.leave(10)).status).toBe(Status.NotFound);
  });

  it('keeps a queued player in line when it moves, and admits it into the zone it asked for last', async () => {
    await fullFleet({ reconnectMs: 0 });
    // A zone owned by the same shard, so the line is the same one in the sharded engine.
    const other = zonesOnSameShard(ZONE, 2)[1]!;
    await joinMany(h.engine, ZONE, 10, 2);
    expect(await h.engine.move(10, other)).toMatchObject({ status: Status.Queued, position: 1 });
    h.events.length = 0;
    await h.engine.leave(0);
    expect(h.events.map((e) => [e.player, e.zone, e.reason])).toEqual([[10, other, Reason.Admitted]]);
  });

  /*
   * Regression (found by this suite, fixed in 45742c8): the sharded engine enforced
   * Math.ceil(queueLimit / shards) on each shard's line instead of queueLimit on the whole
   * engine (options.ts: "Most players waiting in line (whole engine)"). Repro: shards 4,
   * queueLimit 2, one full server, two joins into one zone → the second was Full.
   */
  it('enforces queueLimit on the whole engine, across shards', async () => {
    await fullFleet({ queueLimit: 2 });
    const sameZone = await joinMany(h.engine, ZONE, 10, 3);
    expect(sameZone.map((p) => p.status)).toEqual([Status.Queued, Status.Queued, Status.Full]);
    // Other zones (other shards) are refused too: the whole engine holds at most 2.
    for (let z = 0; z < 12; z++) await h.engine.join(100 + z, z);
    expect(h.engine.queued()).toBe(2);
  });

  /*
   * Regression (sharded engine, since 45742c8): a queued player's first answer gave its place
   * in the engine's whole line (the engine-wide count when it joined), a repeated join or move
   * its place in its shard's line: with one player queued in each of 4 shards the first
   * answers were 1, 2, 3, 4 and the repeated joins 1, 1, 1, 1. Each shard admits its own line,
   * so the place is now the one in the line of the zone's shard, in both answers.
   */
  it("answers a queued player's repeated join and move with the place its first answer gave: its place in the line of the zone's shard", async () => {
    await fullFleet();
    const shards = kind === 'sharded' ? SHARDS : 1;
    // Two zones on each of two shards (in the local engine: four zones, one line).
    const [a1, a2] = zonesOnSameShard(0, 2) as [number, number];
    const other = Array.from({ length: 64 }, (_, z) => z).find((z) => zoneShard(z, SHARDS) !== zoneShard(0, SHARDS))!;
    const [b1, b2] = zonesOnSameShard(other, 2) as [number, number];
    const zones = [a1, b1, a2, b2, a1];
    const lineOf = (z: number) => zoneShard(z, shards);
    const expected = zones.map((z, i) => zones.slice(0, i + 1).filter((y) => lineOf(y) === lineOf(z)).length);
    expect(expected).toEqual(kind === 'sharded' ? [1, 1, 2, 2, 3] : [1, 2, 3, 4, 5]);
    const first = [];
    for (let i = 0; i < zones.length; i++) first.push((await h.engine.join(20 + i, zones[i]!)).position);
    expect(first).toEqual(expected);
    const again = [];
    for (let i = 0; i < zones.length; i++) again.push((await h.engine.join(20 + i, zones[i]!)).position);
    expect(again).toEqual(first);
    // A move to another zone of the same shard keeps the place too.
    expect(await h.engine.move(24, a2)).toMatchObject({ status: Status.Queued, position: first[4] });
    expect(h.engine.queued()).toBe(5);
  });

  it('moves everyone behind up when a player leaves the line, and admits the line in the order of its places', async () => {
    await fullFleet({ reconnectMs: 0 });
    const [z1, z2, z3, z4] = zonesOnSameShard(ZONE, 4) as [number, number, number, number];
    const first = [];
    for (const [i, z] of [z1, z2, z3, z4].entries()) first.push((await h.engine.join(30 + i, z)).position);
    expect(first).toEqual([1, 2, 3, 4]);
    expect((await h.engine.leave(31)).status).toBe(Status.Ok);
    expect((await h.engine.join(30, z1)).position).toBe(1);
    expect((await h.engine.join(32, z3)).position).toBe(2);
    expect((await h.engine.join(33, z4)).position).toBe(3);
    // Two seats open: the two first in line are admitted, in that order; the last is now 1.
    h.events.length = 0;
    await h.engine.leave(0);
    await h.engine.leave(1);
    expect(h.events.map((e) => [e.player, e.reason])).toEqual([
      [30, Reason.Admitted],
      [32, Reason.Admitted],
    ]);
    expect(await h.engine.join(33, z4)).toMatchObject({ status: Status.Queued, position: 1 });
    expect(h.engine.queued()).toBe(1);
  });

  it('tells players admitted at the end of a batch after the answers that queued them, though the batch spans shards', async () => {
    h = await startEngine(kind, { whenFull: 'queue', reconnectMs: 0 }, true);
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 10);
    // 1500 players in zones of the other shards, on a server that then drains: their repeated
    // joins below keep those shards busy without taking a seat anyone in line could want.
    h.engine.registerServer({ id: 'b', weight: 200 });
    const far = Array.from({ length: 256 }, (_, z) => z).filter((z) => zoneShard(z, SHARDS) !== zoneShard(ZONE, SHARDS));
    const farJoins = Array.from({ length: 1500 }, (_, i) => ({ op: Op.Join, player: 100 + i, zone: far[i % far.length]! }));
    expect((await submitBatch(h.engine, farJoins)).status.every((st) => st === Status.Ok)).toBe(true);
    await h.engine.drainServer('b');
    expect((await h.engine.join(10, ZONE)).status).toBe(Status.Queued);
    // Player 11 queues and two seats open on ZONE's shard, while the other shards have
    // thousands of requests of the same batch to answer.
    const reqs = [{ op: Op.Join, player: 11, zone: ZONE }, { op: Op.Leave, player: 0, zone: 0 }, { op: Op.Leave, player: 1, zone: 0 }, ...farJoins, ...farJoins];
    const log: string[] = [];
    const off = h.engine.onReplacement((events) => {
      for (const e of events) log.push(`${e.player} ${e.reason === Reason.Admitted ? 'admitted' : e.reason}`);
    });
    const r = await new Promise<number[]>((resolve) => {
      const n = reqs.length;
      const status = new Uint8Array(n);
      const sink = { status, server: new Int32Array(n), position: new Uint32Array(n), done: () => (log.push('answered'), resolve([...status])) };
      h.engine.submit({ ops: Uint8Array.from(reqs, (q) => q.op), players: Uint32Array.from(reqs, (q) => q.player), zones: Uint32Array.from(reqs, (q) => q.zone) }, 0, n, sink);
    });
    expect(r.slice(0, 3)).toEqual([Status.Queued, Status.Ok, Status.Ok]);
    // The shards' events may still be waiting for that answer: give them a turn.
    await new Promise((resolve) => setTimeout(resolve, 50));
    off();
    expect(log).toEqual(['answered', '10 admitted', '11 admitted']);
    expect(h.engine.server('a').players).toBe(10);
  });

  it('gives a place in its new line to a queued player that moves to a zone of another shard', async () => {
    await fullFleet();
    const [a, b] = zonesOnDifferentShards(0);
    const same = zonesOnSameShard(a, 2)[1]!;
    expect((await h.engine.join(40, a)).position).toBe(1);
    expect((await h.engine.join(41, same)).position).toBe(2);
    // Sharded: b's line is another one, empty, so 40 is first there and 41 moves up in a's.
    // Local: one line, 40 keeps its place.
    expect(await h.engine.move(40, b)).toMatchObject({ status: Status.Queued, position: 1 });
    expect((await h.engine.join(41, same)).position).toBe(kind === 'sharded' ? 1 : 2);
    expect(h.engine.queued()).toBe(2);
  });
});
