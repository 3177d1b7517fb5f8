/**
 * Model-based property test: random sequences of joins, leaves, moves (one at a time and in
 * batches), registrations, heartbeats (including ones that lower limits or weights), drains,
 * crashes (a server stops heartbeating, time passes, ticks declare it dead), removals and
 * plain ticks, run against the local engine (1 shard) and the sharded engine (4 shards).
 *
 * A model follows every answer and every replacement event, and after every step the engine
 * must agree with it and with the rules:
 *  - every request is answered exactly once (sink.done once, every status written, a legal
 *    status for its op and for what the model knows of the player);
 *  - a join never pushes a server past its admission limit or its weighted cap (count ≤ limit,
 *    or the count did not grow in the step; checked around every tick on its own);
 *  - each server's count = the placed + reserved players the model puts on it = what zones()
 *    says; each zone's population = the model's players in it; queued() = the model's line;
 *  - no player (and no zone) is left on a dead or removed server;
 *  - a join is queued or refused only while every active server is at its limit or players
 *    already wait in line (checked on single joins);
 *  - a zone whose single server is active with room is never split (checked around each
 *    request step and each tick, whose limits are fixed); a new player's join goes
 *    to the zone's open server with room with the fewest zone players per weight;
 *  - while only joins of new players happened (the scenario's first phase), a split zone's
 *    open servers with room stay within one player (relative to weight) of even.
 *
 * Time is virtual; runs use a fixed seed.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_SERVER, Op, Reason, Status, statusName } from '../src/core/codes.ts';
import type { ReplacementEvent, ServerInfo, ZoneInfo } from '../src/engine/types.ts';
import { closePool, bounded, startEngine, submitBatch, UNANSWERED, type EngineKind, type Harness, type Request } from './fixtures/engine-harness.ts';

// Pooled sharded engines (see startEngine) are closed once this file is done.
afterAll(closePool);

const PLAYERS = 24;
const ZONES = 6;
const SERVER_IDS = ['s0', 's1', 's2', 's3', 's4'];
const WEIGHTS = [0.3, 0.5, 1, 1.5, 2];
const CAP = 10; // limits.playersPerServer
const DEAD_AFTER = 500;
const RING_POINTS = 400;
const EPS = 1e-9;

// ------------------------------------------------------------------------------- scenarios

type Step =
  | { k: 'join'; p: number; z: number }
  | { k: 'leave'; p: number }
  | { k: 'quit'; p: number }
  | { k: 'move'; p: number; z: number }
  | { k: 'batch'; reqs: Request[] }
  | { k: 'register'; s: number; w: number }
  | { k: 'heartbeat'; s: number; cpu: number; memory: number; w: number | undefined }
  | { k: 'drain'; s: number; move: boolean }
  | { k: 'crash'; s: number }
  | { k: 'remove'; s: number }
  | { k: 'tick'; ms: number };

interface Scenario {
  whenFull: 'queue' | 'refuse';
  reconnectMs: number;
  /** Joins-only phase: registrations of new servers, joins, join batches, ticks. */
  growth: Step[];
  /** Everything else, mixed. */
  steps: Step[];
}

const player = fc.integer({ min: 0, max: PLAYERS - 1 });
const zone = fc.integer({ min: 0, max: ZONES - 1 });
const server = fc.integer({ min: 0, max: SERVER_IDS.length - 1 });
const weight = fc.constantFrom(...WEIGHTS);
const fraction = fc.integer({ min: 0, max: 100 }).map((x) => x / 100);

const joinStep = fc.record({ k: fc.constant('join' as const), p: player, z: zone });
const joinBatch = fc
  .array(fc.record({ p: player, z: zone }), { minLength: 2, maxLength: 12 })
  .map((js): Step => ({ k: 'batch', reqs: js.map(({ p, z }) => ({ op: Op.Join, player: p, zone: z })) }));
const registerStep = fc.record({ k: fc.constant('register' as const), s: server, w: weight });
const tickStep = fc.record({ k: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1200 }) });

const growthStep: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: registerStep, weight: 2 },
  { arbitrary: joinStep, weight: 6 },
  { arbitrary: joinBatch, weight: 2 },
  { arbitrary: tickStep, weight: 1 },
);

const mixedRequest = fc.oneof(
  fc.record({ op: fc.constant(Op.Join as number), player, zone }),
  fc.record({ op: fc.constant(Op.Leave as number), player, zone: fc.constant(0) }),
  fc.record({ op: fc.constant(Op.Quit as number), player, zone: fc.constant(0) }),
  fc.record({ op: fc.constant(Op.Move as number), player, zone }),
);

const mixedStep: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: joinStep, weight: 6 },
  { arbitrary: fc.record({ k: fc.constant('leave' as const), p: player }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('quit' as const), p: player }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('move' as const), p: player, z: zone }), weight: 4 },
  { arbitrary: fc.array(mixedRequest, { minLength: 2, maxLength: 12 }).map((reqs): Step => ({ k: 'batch', reqs })), weight: 3 },
  { arbitrary: registerStep, weight: 2 },
  {
    arbitrary: fc.record({
      k: fc.constant('heartbeat' as const),
      s: server,
      cpu: fraction,
      memory: fraction,
      w: fc.option(weight, { nil: undefined, freq: 3 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ k: fc.constant('drain' as const), s: server, move: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('crash' as const), s: server }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('remove' as const), s: server }), weight: 1 },
  { arbitrary: tickStep, weight: 2 },
);

/** One to four servers registered first, so that most steps have a fleet to work with. */
const initialServers = fc
  .uniqueArray(fc.record({ s: server, w: weight }), { minLength: 1, maxLength: 4, selector: (r) => r.s })
  .map((rs): Step[] => rs.map(({ s, w }) => ({ k: 'register', s, w })));

const scenario: fc.Arbitrary<Scenario> = fc.record({
  whenFull: fc.constantFrom('queue' as const, 'refuse' as const),
  reconnectMs: fc.constantFrom(0, 1000),
  growth: fc
    .tuple(initialServers, fc.array(growthStep, { minLength: 3, maxLength: 14 }))
    .map(([first, more]) => [...first, ...more]),
  steps: fc.array(mixedStep, { minLength: 8, maxLength: 30 }),
});

// ------------------------------------------------------------------------------- the model

type Held = { state: 'placed' | 'reserved'; server: number; zone: number; leftAt: number } | { state: 'queued'; zone: number };

class Model {
  readonly players = new Map<number, Held>();
  /** Last heartbeat report per server id (keep-alives repeat it, so lowered limits stay low). */
  readonly reports = new Map<string, { cpu: number; memory: number }>();
  /** Weight per live server id. */
  readonly weights = new Map<string, number>();

  constructor(readonly reconnectMs: number) {}

  seatsOn(handle: number): number {
    let n = 0;
    for (const h of this.players.values()) if (h.state !== 'queued' && h.server === handle) n++;
    return n;
  }

  queued(): number {
    let n = 0;
    for (const h of this.players.values()) if (h.state === 'queued') n++;
    return n;
  }

  /** Applies one answered request; checks that the answer is legal for what the model knows. */
  answer(q: Request, status: number, srv: number, now: number, what: string): void {
    expect(status, `${what}: answered`).not.toBe(UNANSWERED);
    const before = this.players.get(q.player);
    const known = `${what} (model: ${before ? before.state : 'unknown'})`;
    if (q.op === Op.Join) {
      expect([Status.Ok, Status.Reconnected, Status.Queued, Status.Full, Status.NoServers], known).toContain(status);
      if (before?.state === 'placed') expect(status, known).toBe(Status.Ok);
      if (status === Status.Reconnected) {
        expect(before?.state, known).toBe('reserved');
        expect(srv, known).toBe((before as { server: number }).server);
      }
      if (status === Status.Ok || status === Status.Reconnected) this.players.set(q.player, { state: 'placed', server: srv, zone: q.zone, leftAt: 0 });
      else if (status === Status.Queued) this.players.set(q.player, { state: 'queued', zone: q.zone });
      else this.players.delete(q.player);
    } else if (q.op === Op.Leave) {
      expect(status, known).toBe(before ? Status.Ok : Status.NotFound);
      if (!before) return;
      if (before.state === 'queued') this.players.delete(q.player);
      else if (before.state === 'placed') {
        expect(srv, known).toBe(before.server);
        if (this.reconnectMs > 0) this.players.set(q.player, { ...before, state: 'reserved', leftAt: now });
        else this.players.delete(q.player);
      }
    } else if (q.op === Op.Quit) {
      expect(status, known).toBe(before ? Status.Ok : Status.NotFound);
      if (!before) return;
      expect(srv, known).toBe(before.state === 'queued' ? NO_SERVER : before.server);
      this.players.delete(q.player);
    } else {
      if (!before || before.state === 'reserved') {
        expect(status, known).toBe(Status.NotFound);
        return;
      }
      if (before.state === 'placed') expect(status, known).toBe(Status.Ok);
      expect([Status.Ok, Status.Queued, Status.Full, Status.NoServers], known).toContain(status);
      if (status === Status.Ok) this.players.set(q.player, { state: 'placed', server: srv, zone: q.zone, leftAt: 0 });
      else if (status === Status.Queued) this.players.set(q.player, { state: 'queued', zone: q.zone });
      else this.players.delete(q.player);
    }
  }

  /**
   * Applies replacement events (crash, drain, removal, admission). `superseded`: players of the
   * batch just answered that were queued by one of its requests and named by a later one. The
   * sharded engine answers a batch spanning shards in rounds, and a shard admits its line at the
   * end of each: the later request may find the player already seated, and the admission, told
   * after the batch's answers, is then stale (docs/protocol.md: such a push can be dropped).
   * The model drops it too.
   */
  events(events: readonly ReplacementEvent[], superseded: ReadonlySet<number> = new Set()): void {
    for (const e of events) {
      const before = this.players.get(e.player);
      if (e.reason === Reason.Admitted) {
        if (before?.state !== 'queued' && superseded.has(e.player)) continue;
        expect(before?.state, `admitted player ${e.player}`).toBe('queued');
        this.players.set(e.player, { state: 'placed', server: e.newServer, zone: e.zone, leftAt: 0 });
        continue;
      }
      expect(before?.state, `re-placed player ${e.player} (reason ${e.reason})`).toBe('placed');
      expect((before as { server: number }).server, `re-placed player ${e.player}: old server`).toBe(e.oldServer);
      if (e.reason === Reason.Lost) this.players.delete(e.player);
      else if (e.newServer === NO_SERVER) this.players.set(e.player, { state: 'queued', zone: e.zone });
      else this.players.set(e.player, { state: 'placed', server: e.newServer, zone: e.zone, leftAt: 0 });
    }
  }

  /** Reservations whose window ended by `now` are gone. */
  expire(now: number): void {
    for (const [p, h] of this.players) if (h.state === 'reserved' && h.leftAt + this.reconnectMs <= now) this.players.delete(p);
  }

  /** A server is gone: the reservations on it are released (silently). */
  serverGone(handle: number): void {
    for (const [p, h] of this.players) {
      expect(h.state === 'placed' && h.server === handle, `player ${p} still placed on a server that is gone`).toBe(false);
      if (h.state === 'reserved' && h.server === handle) this.players.delete(p);
    }
  }
}

// ------------------------------------------------------------------------------- the runner

interface Snapshot {
  servers: Map<string, ServerInfo>;
  zones: Map<number, ZoneInfo>;
  /** Players in line (all shards). */
  queued: number;
}

async function snap(h: Harness): Promise<Snapshot> {
  return {
    servers: new Map(h.engine.servers().map((s) => [s.id, s])),
    zones: new Map((await h.engine.zones()).map((z) => [z.zone, z])),
    queued: h.engine.queued(),
  };
}

function acceptsJoinsWithRoom(s: ServerInfo | undefined): boolean {
  return s !== undefined && s.state === 'active' && s.players < s.limit;
}

class Runner {
  readonly model: Model;
  private step = 0;
  private label = '';

  constructor(
    readonly h: Harness,
    readonly sc: Scenario,
  ) {
    this.model = new Model(sc.reconnectMs);
  }

  async run(): Promise<void> {
    // Growth joins new players only (a join of a placed player into another zone is a move).
    let fresh = 0;
    for (const s of this.sc.growth) {
      if (s.k === 'join') await this.do({ ...s, p: fresh++ }, true);
      else if (s.k === 'batch') await this.do({ k: 'batch', reqs: s.reqs.map((q) => ({ ...q, player: fresh++ })) }, true);
      else await this.do(s, true);
    }
    for (const s of this.sc.steps) await this.do(s, false);
  }

  private where(): string {
    return `step ${this.step} (${this.label})`;
  }

  private async do(s: Step, growth: boolean): Promise<void> {
    this.step++;
    this.label = JSON.stringify(s);
    const e = this.h.engine;
    const before = await snap(this.h);
    let ticked = false;
    let splitCheck = true;
    switch (s.k) {
      case 'join': {
        const fresh = !this.model.players.has(s.p);
        const r = await this.requests([{ op: Op.Join, player: s.p, zone: s.z }]);
        if (fresh) this.checkZoneChoice(before, s.z, r.status[0]!, r.server[0]!);
        this.checkNoDenialWithRoom(before, r.status[0]!);
        break;
      }
      case 'leave':
        await this.requests([{ op: Op.Leave, player: s.p, zone: 0 }]);
        break;
      case 'quit':
        await this.requests([{ op: Op.Quit, player: s.p, zone: 0 }]);
        break;
      case 'move':
        await this.requests([{ op: Op.Move, player: s.p, zone: s.z }]);
        break;
      case 'batch':
        // A batch mixing leaves or moves with joins may fill a server and free it again
        // within the step: the no-split rule is checked per request only for join batches.
        splitCheck = s.reqs.every((q) => q.op === Op.Join);
        await this.requests(s.reqs);
        break;
      case 'register': {
        const id = SERVER_IDS[s.s]!;
        if (growth && this.model.weights.has(id)) break; // growth only adds new servers
        const info = e.registerServer({ id, weight: s.w });
        this.model.weights.set(id, s.w);
        if (!this.model.reports.has(id)) this.model.reports.set(id, { cpu: 0, memory: 0 });
        expect(info.cap, this.where()).toBe(Math.floor(s.w * CAP));
        break;
      }
      case 'heartbeat': {
        const id = SERVER_IDS[s.s]!;
        if (!this.model.weights.has(id)) break;
        const count = e.server(id).players;
        e.heartbeat(id, { cpu: s.cpu, memory: s.memory, players: count, ...(s.w === undefined ? {} : { weight: s.w }) });
        this.model.reports.set(id, { cpu: s.cpu, memory: s.memory });
        if (s.w !== undefined) this.model.weights.set(id, s.w);
        break;
      }
      case 'drain': {
        const id = SERVER_IDS[s.s]!;
        if (!this.model.weights.has(id)) break;
        const handle = e.server(id).handle;
        const r = await bounded(e.drainServer(id, { move: s.move }), this.where());
        const events = this.takeEvents();
        expect(events.every((x) => x.reason === Reason.Drained && x.newServer !== NO_SERVER), this.where()).toBe(true);
        expect(r.moved, this.where()).toBe(events.length);
        this.model.events(events);
        const onIt = [...this.model.players].filter(([, x]) => x.state === 'placed' && x.server === handle).map(([p]) => p);
        expect([...r.players].sort((a, b) => a - b), `${this.where()}: players listed by the drain`).toEqual(onIt.sort((a, b) => a - b));
        break;
      }
      case 'remove': {
        const id = SERVER_IDS[s.s]!;
        if (!this.model.weights.has(id)) break;
        const handle = e.server(id).handle;
        await bounded(e.removeServer(id), this.where());
        const events = this.takeEvents();
        for (const x of events) expect([Reason.Removed, Reason.Lost], this.where()).toContain(x.reason);
        this.model.events(events);
        this.forget(id, handle);
        break;
      }
      case 'crash': {
        const id = SERVER_IDS[s.s]!;
        if (!this.model.weights.has(id)) break;
        const handle = e.server(id).handle;
        this.h.silent.add(id);
        await this.advance(DEAD_AFTER + 1);
        ticked = true;
        expect(e.servers().some((x) => x.id === id), `${this.where()}: ${id} should be dead and gone`).toBe(false);
        this.h.silent.delete(id);
        this.forget(id, handle);
        break;
      }
      case 'tick':
        await this.advance(s.ms);
        ticked = true;
        break;
    }
    const after = await snap(this.h);
    if (!ticked) this.checkSeatsAgainstLimits(before, after, s.k === 'heartbeat');
    // Heartbeats change limits: around a step that sent some (a tick's), "had room before and
    // after" says nothing of the moment a seat was taken. Ticks are checked one by one instead.
    if (splitCheck && s.k !== 'heartbeat' && !ticked) this.checkNoSplitWithRoom(before, after);
    this.checkAgreement(after);
    if (growth) this.checkEvenness(after);
    expect(this.takeEvents(), `${this.where()}: unexpected events`).toEqual([]);
  }

  /** Submits one batch, checks the answer contract and applies the answers to the model. */
  private async requests(reqs: Request[]): Promise<{ status: number[]; server: number[] }> {
    const r = await submitBatch(this.h.engine, reqs);
    expect(r.doneCalls(), `${this.where()}: sink.done calls`).toBe(1);
    reqs.forEach((q, i) => this.model.answer(q, r.status[i]!, r.server[i]!, this.h.now, `${this.where()} request ${i}`));
    const queuedAt = new Set<number>();
    const superseded = new Set<number>();
    reqs.forEach((q, i) => {
      if (queuedAt.has(q.player)) superseded.add(q.player);
      if (r.status[i] === Status.Queued) queuedAt.add(q.player);
    });
    // A late second done() would show up here.
    await Promise.resolve();
    expect(r.doneCalls(), `${this.where()}: sink.done calls`).toBe(1);
    // Seats the batch freed went to the line at its end: told after the answers that queued them.
    const events = this.takeEvents();
    for (const x of events) expect(x.reason, `${this.where()}: events from a request`).toBe(Reason.Admitted);
    this.model.events(events, superseded);
    return r;
  }

  /**
   * A new player's join into a zone goes to the zone's open server with room that has the
   * fewest zone players per weight (ties either way); with no open server with room, to the
   * closing one with room that has the most (re-opened: the zone gathers where it is
   * best-filled) before any new server; and is never refused while one of the zone's
   * servers has room, unless players wait in line (it goes behind them).
   */
  private checkZoneChoice(before: Snapshot, z: number, status: number, handle: number): void {
    const entries = (before.zones.get(z)?.servers ?? []).map((e) => {
      const srv = before.servers.get(e.serverId);
      return { ...e, room: acceptsJoinsWithRoom(srv), key: e.players / (srv?.weight ?? 1) };
    });
    const open = entries.filter((e) => e.open && e.room);
    const closing = entries.filter((e) => !e.open && e.room);
    const candidates = open.length > 0 ? open : closing;
    if (candidates.length === 0) return;
    // The line is per shard: with several shards, one waiting in another's line does not count.
    if (status === Status.Queued && before.queued > 0) return;
    expect(status, `${this.where()}: zone ${z} has a server with room`).toBe(Status.Ok);
    const chosen = candidates.find((e) => e.server === handle);
    expect(chosen, `${this.where()}: zone ${z} join went to ${handle}, not to ${candidates.map((e) => e.serverId).join('/')}`).toBeDefined();
    if (open.length > 0) {
      const min = Math.min(...open.map((e) => e.key));
      expect(chosen!.key, `${this.where()}: zone ${z} join went to ${chosen!.serverId} (key ${chosen!.key}, min ${min})`).toBeLessThanOrEqual(min + EPS);
    } else {
      const max = Math.max(...closing.map((e) => e.key));
      expect(chosen!.key, `${this.where()}: zone ${z} join re-opened ${chosen!.serverId} (key ${chosen!.key}, max ${max})`).toBeGreaterThanOrEqual(max - EPS);
    }
  }

  /**
   * A join is queued or refused only while every active server is at its limit, or while
   * players wait in line (it goes behind them): a seat that opened since the last tick (a
   * leave, a raised limit, a recovery) is found wherever it is, not only on the zone's servers,
   * its ring successors or the room list the tick built.
   */
  private checkNoDenialWithRoom(before: Snapshot, status: number): void {
    if ((status !== Status.Queued && status !== Status.Full) || before.queued > 0) return;
    const room = [...before.servers.values()].filter(acceptsJoinsWithRoom).map((x) => `${x.id} ${x.players}/${x.limit}`);
    expect(room, `${this.where()}: join denied (${statusName[status]}) with room on`).toEqual([]);
  }

  /**
   * Advances virtual time in 100 ms steps: every live server not silenced repeats its last
   * report (so lowered limits stay lowered), then one tick. Seats are checked against limits
   * around each tick (limits do not change during a tick).
   */
  private async advance(ms: number): Promise<void> {
    let left = ms;
    while (left > 0) {
      const d = Math.min(100, left);
      left -= d;
      this.h.now += d;
      for (const s of this.h.engine.servers()) {
        if (this.h.silent.has(s.id)) continue;
        const rep = this.model.reports.get(s.id) ?? { cpu: 0, memory: 0 };
        this.h.engine.heartbeat(s.id, { cpu: rep.cpu, memory: rep.memory, players: s.players });
      }
      const pre = await snap(this.h);
      const events = await bounded(this.h.engine.tick(this.h.now), this.where());
      this.takeEvents(); // the same events, as delivered to onReplacement
      for (const x of events) expect([Reason.Crashed, Reason.Lost, Reason.Admitted], this.where()).toContain(x.reason);
      // Dead servers' players first, then expiries and admissions (the engine's order).
      const dead = [...pre.servers.values()].filter((s) => !this.h.engine.servers().some((x) => x.id === s.id));
      this.model.events(events.filter((x) => x.reason !== Reason.Admitted));
      for (const s of dead) this.forget(s.id, s.handle);
      this.model.expire(this.h.now);
      this.model.events(events.filter((x) => x.reason === Reason.Admitted));
      const post = await snap(this.h);
      this.checkSeatsAgainstLimits(pre, post, false);
      this.checkNoSplitWithRoom(pre, post);
    }
  }

  private forget(id: string, handle: number): void {
    this.model.weights.delete(id);
    this.model.reports.delete(id);
    this.model.serverGone(handle);
  }

  private takeEvents(): ReplacementEvent[] {
    return this.h.events.splice(0);
  }

  /** No join pushed a server past its limit or weighted cap; heartbeats move nobody. */
  private checkSeatsAgainstLimits(before: Snapshot, after: Snapshot, heartbeat: boolean): void {
    for (const [id, s] of after.servers) {
      const was = before.servers.get(id);
      const grew = s.players > (was && was.handle === s.handle ? was.players : 0);
      const w = this.model.weights.get(id);
      expect(s.cap, `${this.where()}: ${id} cap`).toBe(Math.floor((w ?? s.weight) * CAP));
      expect(s.limit, `${this.where()}: ${id} limit ≤ cap`).toBeLessThanOrEqual(s.cap);
      if (grew) {
        expect(s.players, `${this.where()}: ${id} grew past its limit`).toBeLessThanOrEqual(s.limit);
        expect(s.players, `${this.where()}: ${id} grew past floor(weight × cap)`).toBeLessThanOrEqual(s.cap);
      }
      if (heartbeat && was) expect(s.players, `${this.where()}: a heartbeat moved players`).toBe(was.players);
    }
  }

  /** A zone on one server that accepts joins and has room (before and after) stays on it. */
  private checkNoSplitWithRoom(before: Snapshot, after: Snapshot): void {
    for (const [z, info] of before.zones) {
      if (info.servers.length !== 1) continue;
      const id = info.servers[0]!.serverId;
      if (!acceptsJoinsWithRoom(before.servers.get(id)) || !acceptsJoinsWithRoom(after.servers.get(id))) continue;
      const now = after.zones.get(z)?.servers.map((x) => x.serverId) ?? [];
      expect(now.length <= 1, `${this.where()}: zone ${z} split off ${id} (which has room) onto ${now.join(', ')}`).toBe(true);
    }
  }

  /** The engine's counts agree with the model, with zones() and with each other. */
  private checkAgreement(after: Snapshot): void {
    const byHandle = new Map([...after.servers.values()].map((s) => [s.handle, s]));
    for (const s of after.servers.values()) {
      expect(s.players, `${this.where()}: ${s.id} count vs placed + reserved in the model`).toBe(this.model.seatsOn(s.handle));
    }
    for (const [p, x] of this.model.players) {
      if (x.state !== 'queued') expect(byHandle.has(x.server), `${this.where()}: player ${p} on an unknown server`).toBe(true);
    }
    const perZone = new Map<number, number>();
    for (const x of this.model.players.values()) if (x.state !== 'queued') perZone.set(x.zone, (perZone.get(x.zone) ?? 0) + 1);
    for (let z = 0; z < ZONES; z++) {
      const info = after.zones.get(z);
      expect(info?.population ?? 0, `${this.where()}: zone ${z} population`).toBe(perZone.get(z) ?? 0);
      for (const e of info?.servers ?? []) {
        expect(byHandle.get(e.server)?.id, `${this.where()}: zone ${z} on an unknown or dead server`).toBe(e.serverId);
      }
      if (info) expect(info.servers.reduce((a, e) => a + e.players, 0), `${this.where()}: zone ${z} sum`).toBe(info.population);
    }
    expect(this.h.engine.queued(), `${this.where()}: queued()`).toBe(this.model.queued());
  }

  /** Joins only so far: a split zone's open servers with room are within one player per weight of even. */
  private checkEvenness(after: Snapshot): void {
    for (const [z, info] of after.zones) {
      const open = info.servers
        .filter((e) => e.open && acceptsJoinsWithRoom(after.servers.get(e.serverId)))
        .map((e) => ({ id: e.serverId, w: after.servers.get(e.serverId)!.weight, key: e.players / after.servers.get(e.serverId)!.weight }));
      for (const a of open) {
        for (const b of open) {
          expect(a.key - b.key, `${this.where()}: zone ${z}: ${a.id} (${a.key}) vs ${b.id} (${b.key})`).toBeLessThanOrEqual(1 / a.w + EPS);
        }
      }
    }
  }
}

async function runScenario(kind: EngineKind, sc: Scenario): Promise<void> {
  // Many ring points per server: an overflow's 32 ring probes then reach one or two of the
  // five servers, as they reach few of a large fleet's, so that finding room elsewhere (the
  // room list, the servers that gained room since the tick) is exercised.
  const h = await startEngine(kind, { whenFull: sc.whenFull, reconnectMs: sc.reconnectMs, deadAfterMs: DEAD_AFTER, ringPointsPerWeight: RING_POINTS });
  try {
    await new Runner(h, sc).run();
  } finally {
    await h.close();
  }
  // The local engine answers in microtasks: without a turn of the event loop between runs, the
  // whole property holds the thread, and vitest's worker RPC times out after 60 s of that
  // (an "Unhandled Error" that fails the run, seen with 1 500 runs on a busy machine).
  await new Promise((r) => setImmediate(r));
}

describe('engine properties (model-based)', () => {
  it('hold for the local engine (1 shard)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (sc) => runScenario('local', sc)),
      { seed: 42, numRuns: 600 },
    );
  }, 120_000);

  it('hold for the sharded engine (4 shards)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (sc) => runScenario('sharded', sc)),
      // Each run starts 4 worker threads: fewer runs, and no shrinking (it would restart the
      // engine hundreds of times); the failing scenario is reported as found.
      { seed: 42, numRuns: 40, endOnFailure: true },
    );
  }, 120_000);
});
