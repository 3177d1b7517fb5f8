import { Worker } from 'node:worker_threads';
import { NO_SERVER, Op, Reason, Status } from '../core/codes.ts';
import { zoneShard } from '../core/hash.ts';
import {
  MAX_PLAYER_ID,
  ShardCounter,
  allocateBatch,
  allocateServerTable,
  allocateShardState,
  allocateZoneTable,
  batchViews,
  entryCapacityFor,
  serverTableViews,
  shardStateViews,
  zoneTableViews,
  type Batch,
  type ServerTable,
  type ShardState,
} from '../core/layout.ts';
import { concatEvents, emptyEvents, type ReplacementEvents } from '../core/event-log.ts';
import { resolveOptions, type EngineOptions, type EngineOptionsInput } from '../core/options.ts';
import type { Ring } from '../core/ring.ts';
import { BOUNCE, HANDOFF, HANDOFF_RECONNECT, InternalOp, type ZoneRow } from '../core/shard-core.ts';
import { releaseSeat } from '../core/seats.ts';
import { EngineBase, type EngineRuntime } from './engine-base.ts';
import { queueCapacityFor } from './local-engine.ts';
import { PlayerRouter } from './player-router.ts';
import { sinkDone } from './sink-done.ts';
import type { ControlRequest, FromShard, ShardWorkerData, ToShard } from './shard-protocol.ts';
import type { RequestArrays, ResultSink } from './types.ts';

/** One submission waiting for its answers. */
interface Pending {
  sink: ResultSink;
  remaining: number;
  /** Run once every request is answered (events that must not reach the gateway before). */
  after?: (() => void)[];
}

interface Deferred {
  op: number;
  player: number;
  zone: number;
  pending: Pending;
  index: number;
}

/** Running from TypeScript source (tests, tsx): workers must load the .ts entry too. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * Request flags on the coordinator: the player is between shards; it was sent back; a join of
 * a player some shard held when it was routed (see collect).
 */
const IN_TRANSIT = 1;
const BOUNCED = 2;
const HELD_JOIN = 4;

/** Deaths of a shard's worker on the same request before that request is failed. */
const MAX_ATTEMPTS = 2;

/** The coordinator's side of one shard: its worker, its two mailboxes, its control calls. */
class Shard {
  worker: Worker | undefined;
  ready = false;
  readonly state: ShardState;
  readonly mailboxes: [Batch, Batch];
  /** Per request in each mailbox: which submission it answers, at which index. */
  readonly pendingOf: [(Pending | undefined)[], (Pending | undefined)[]];
  readonly indexOf: [Int32Array, Int32Array];
  /** IN_TRANSIT when this request put its player between shards; BOUNCED once sent back. */
  readonly transitOf: [Uint8Array, Uint8Array];
  filling: 0 | 1 = 0;
  fillCount = 0;
  /** Mailbox being answered by the worker, or -1. */
  inFlight: -1 | 0 | 1 = -1;
  inFlightFrom = 0;
  inFlightTo = 0;
  /** Number of the batch in flight (a resend keeps it: see ShardCounter.handoffBatch). */
  batchNumber = 0;
  attempts = 0;
  /** Submissions this shard has answered into that still wait for another shard's answers. */
  readonly owed = new Set<Pending>();
  readonly controls = new Map<number, { msg: ControlRequest; resolve: (m: FromShard & { t: 'reply' }) => void }>();

  constructor(
    readonly index: number,
    readonly data: ShardWorkerData,
  ) {
    this.state = shardStateViews(data.state);
    this.mailboxes = [batchViews(data.mailboxes[0]), batchViews(data.mailboxes[1])];
    const cap = data.mailboxes[0].capacity;
    this.pendingOf = [new Array(cap).fill(undefined), new Array(cap).fill(undefined)];
    this.indexOf = [new Int32Array(cap), new Int32Array(cap)];
    this.transitOf = [new Uint8Array(cap), new Uint8Array(cap)];
  }

  post(m: ToShard): void {
    if (this.worker && this.ready) this.worker.postMessage(m);
  }
}

/**
 * The multi-threaded engine. Zones are spread over `shards` worker threads by a stable hash;
 * each worker runs a ShardCore over its own shared state, and all of them take seats in the
 * one shared server table. This thread (the coordinator) routes each request to the shard
 * that holds the player (or owns the zone), fills one mailbox per shard while the shard
 * answers the other — so under load requests batch themselves, one message per batch — and
 * hands players moving between shards from one to the other.
 */
export class ShardedEngine extends EngineBase {
  private readonly shards: Shard[];
  private readonly router = new PlayerRouter();
  /** Players between two shards, with the requests for them that arrived meanwhile. */
  private readonly transit = new Map<number, Deferred[]>();
  private readonly workerUrl: URL;
  private readonly table: ServerTable;
  private ring: Ring | undefined;
  private nextControl = 1;
  private everReady = false;
  private readonly started: Promise<void>;

  static async start(input: EngineOptionsInput = {}, runtime: EngineRuntime = {}): Promise<ShardedEngine> {
    const engine = new ShardedEngine(input, runtime);
    await engine.started;
    return engine;
  }

  private constructor(input: EngineOptionsInput, runtime: EngineRuntime) {
    const options: EngineOptions = resolveOptions(input);
    const serverBuffers = allocateServerTable(options.maxServers, options.roomListSize);
    const table = serverTableViews(serverBuffers);
    const zoneBuffers = allocateZoneTable(options.maxZones, options.adjacency);
    super(options, table, zoneTableViews(zoneBuffers), runtime);
    this.table = table;
    const n = options.shards;
    const mailboxSize = options.maxBatch * 2;
    this.workerUrl = new URL(FROM_SOURCE ? './shard-worker.ts' : './shard-worker.js', import.meta.url);
    this.shards = [];
    for (let i = 0; i < n; i++) {
      const data: ShardWorkerData = {
        index: i,
        shards: n,
        options,
        servers: serverBuffers,
        zones: zoneBuffers,
        state: allocateShardState(
          options.maxPlayers,
          entryCapacityFor(options.maxZones, n, options.maxServers),
          queueCapacityFor(options, n),
          options.maxServers,
        ),
        mailboxes: [allocateBatch(mailboxSize), allocateBatch(mailboxSize)],
      };
      const sh = new Shard(i, data);
      this.shards.push(sh);
      this.zoneChanges.watch(sh.state);
    }
    const held = this.shards.map((sh) => sh.state.serverHeld);
    this.cp.heldSeats = (slot) => {
      let n = 0;
      for (const h of held) n += Atomics.load(h, slot);
      return n;
    };
    this.started = Promise.all(this.shards.map((s) => this.spawn(s))).then(() => undefined);
    this.startTimer(runtime);
  }

  get shardCount(): number {
    return this.shards.length;
  }

  // ------------------------------------------------------------------ workers

  private spawn(sh: Shard): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = FROM_SOURCE
        ? // Node 20 does not apply --import loaders to a worker's entry module: register tsx
          // inside the worker, then load the TypeScript entry.
          new Worker(
            `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(this.workerUrl.href)}); })`,
            { eval: true, workerData: sh.data },
          )
        : new Worker(this.workerUrl, { workerData: sh.data });
      sh.worker = worker;
      sh.ready = false;
      worker.on('message', (m: FromShard) => {
        if (m.t === 'ready') {
          sh.ready = true;
          this.everReady = true;
          if (this.ring) sh.post({ t: 'ring', points: this.ring.points, slots: this.ring.slots });
          for (const c of sh.controls.values()) sh.post(c.msg);
          if (sh.inFlight >= 0) this.sendInFlight(sh);
          else this.flush();
          resolve();
        } else if (m.t === 'batch') {
          this.onBatch(sh, m.which, m.events);
        } else {
          const c = sh.controls.get(m.id);
          if (c) {
            sh.controls.delete(m.id);
            c.resolve(m);
          }
        }
      });
      worker.on('error', (err) => {
        // Before 'ready' the worker could not even start: that is a bug or a broken install,
        // not a crash to recover from.
        if (!sh.ready && !this.everReady) reject(err);
        // Otherwise 'exit' follows, and the shard is respawned there.
      });
      worker.on('exit', () => {
        if (sh.worker !== worker) return;
        sh.worker = undefined;
        sh.ready = false;
        if (!this.closed && this.everReady) this.onWorkerDeath(sh);
      });
    });
  }

  /**
   * A worker died. Its shared state is intact (or repaired by its successor); the requests of
   * its batch that have results are answered, the rest are sent again to the new worker, and
   * a request during which the worker died twice is answered ShardFailed.
   */
  private onWorkerDeath(sh: Shard): void {
    this.stats.restarted(sh.index);
    if (sh.inFlight !== -1) {
      const which = sh.inFlight;
      const reported = Atomics.load(sh.state.counters, ShardCounter.batchDone);
      const done = Math.min(sh.inFlightTo, Math.max(sh.inFlightFrom, reported));
      if (done > sh.inFlightFrom) {
        this.collect(sh, which, sh.inFlightFrom, done);
        sh.inFlightFrom = done;
        sh.attempts = 1; // this death counts against the request it stopped in
      } else if (++sh.attempts >= MAX_ATTEMPTS && done < sh.inFlightTo) {
        const b = sh.mailboxes[which];
        b.status[done] = Status.ShardFailed;
        b.server[done] = NO_SERVER;
        b.position[done] = 0;
        this.collect(sh, which, done, done + 1);
        sh.inFlightFrom = done + 1;
        sh.attempts = 0;
      }
      if (sh.inFlightFrom >= sh.inFlightTo) {
        sh.inFlight = -1;
        this.stats.answered(sh.index, performance.now());
      }
    }
    void this.spawn(sh);
  }

  /** Fault injection for tests and drills: kill a shard's worker as a crash would. */
  async killShard(index: number): Promise<void> {
    const sh = this.shards[index];
    if (!sh?.worker) return;
    await sh.worker.terminate();
  }

  private sendInFlight(sh: Shard): void {
    // Reset the progress counter first, so a worker dying before its first result does not
    // leave the previous batch's count to be mistaken for this one's.
    Atomics.store(sh.state.counters, ShardCounter.batchDone, sh.inFlightFrom);
    sh.post({ t: 'batch', which: sh.inFlight as 0 | 1, from: sh.inFlightFrom, to: sh.inFlightTo, now: this.clock(), number: sh.batchNumber });
  }

  // ------------------------------------------------------------------ requests

  submit(requests: RequestArrays, start: number, count: number, sink: ResultSink): void {
    this.checkBatch(count);
    if (count === 0) {
      sinkDone(sink);
      return;
    }
    this.syncRing();
    const pending: Pending = { sink, remaining: count };
    const { ops, players, zones } = requests;
    for (let i = 0; i < count; i++) {
      const j = start + i;
      this.route(ops[j]!, players[j]!, zones[j]!, pending, j);
    }
    this.flush();
  }

  private route(op: number, player: number, zone: number, pending: Pending, index: number): void {
    if (this.closed) {
      this.answer(pending, index, Status.ShardFailed, NO_SERVER, 0);
      return;
    }
    const leaving = op === Op.Leave || op === Op.Quit;
    if (player > MAX_PLAYER_ID || (!leaving && op !== Op.Join && op !== Op.Move) || (!leaving && zone >= this.options.maxZones)) {
      this.answer(pending, index, Status.Invalid, NO_SERVER, 0);
      return;
    }
    if (this.transit.size > 0) {
      const waiting = this.transit.get(player);
      if (waiting) {
        waiting.push({ op, player, zone, pending, index });
        return;
      }
    }
    if (leaving) {
      const holder = this.router.get(player);
      if (holder < 0) this.answer(pending, index, Status.NotFound, NO_SERVER, 0);
      else this.enqueue(holder, op, player, zone, -1, NO_SERVER, pending, index, 0);
      return;
    }
    const owner = zoneShard(zone, this.shards.length);
    // A join of a player no shard holds goes to the zone's shard, recorded in the same probe.
    const holder = op === Op.Join ? this.router.claim(player, owner) : this.router.get(player);
    if (holder < 0) {
      if (op === Op.Move) {
        this.answer(pending, index, Status.NotFound, NO_SERVER, 0);
        return;
      }
      this.enqueue(owner, op, player, zone, -1, NO_SERVER, pending, index, 0);
    } else if (holder === owner) {
      this.enqueue(owner, op, player, zone, -1, NO_SERVER, pending, index, op === Op.Join ? HELD_JOIN : 0);
    } else {
      // The player leaves its shard for another: requests for it wait until it has arrived.
      this.transit.set(player, []);
      this.enqueue(holder, op, player, zone, -1, NO_SERVER, pending, index, op === Op.Join ? IN_TRANSIT | HELD_JOIN : IN_TRANSIT);
    }
  }

  private enqueue(
    shard: number,
    op: number,
    player: number,
    zone: number,
    from: number,
    carry: number,
    pending: Pending,
    index: number,
    transit: number,
  ): void {
    const sh = this.shards[shard]!;
    const b = sh.mailboxes[sh.filling];
    const i = sh.fillCount;
    if (i === b.capacity) {
      this.answer(pending, index, Status.Overloaded, NO_SERVER, 0);
      if (transit & IN_TRANSIT) this.resolveTransit(player);
      return;
    }
    b.ops[i] = op;
    b.players[i] = player;
    b.zones[i] = zone;
    b.from[i] = from;
    b.carry[i] = carry;
    sh.pendingOf[sh.filling][i] = pending;
    sh.indexOf[sh.filling][i] = index;
    sh.transitOf[sh.filling][i] = transit;
    sh.fillCount = i + 1;
  }

  /** Send each idle shard the mailbox filled since its last batch. */
  private flush(): void {
    for (const sh of this.shards) {
      if (sh.inFlight >= 0 || sh.fillCount === 0 || !sh.ready) continue;
      sh.inFlight = sh.filling;
      sh.inFlightFrom = 0;
      sh.inFlightTo = sh.fillCount;
      sh.batchNumber = sh.batchNumber === 0x7fffffff ? 1 : sh.batchNumber + 1;
      sh.attempts = 0;
      sh.filling = sh.filling === 0 ? 1 : 0;
      sh.fillCount = 0;
      this.stats.sent(sh.index, sh.inFlightTo, performance.now());
      this.sendInFlight(sh);
    }
  }

  private onBatch(sh: Shard, which: 0 | 1, events: ReplacementEvents | undefined): void {
    if (sh.inFlight !== which) return;
    this.collect(sh, which, sh.inFlightFrom, sh.inFlightTo);
    sh.inFlight = -1;
    this.zoneChanges.flushShard(sh.state);
    this.stats.answered(sh.index, performance.now());
    for (const p of sh.owed) if (p.remaining === 0) sh.owed.delete(p);
    if (events) this.publishAfterOwed(sh, events);
    this.flush();
  }

  /**
   * Players the end of a batch admitted from the line (seats the batch freed). A gateway batch
   * spanning shards is answered when its last shard is done, and a player must not hear of its
   * seat before the answer that queued it: the events wait for every submission this shard has
   * answered into and that is still incomplete. (Submissions complete out of order, so a later
   * one about the same player, its leave say, may still be answered first: docs/protocol.md.)
   */
  private publishAfterOwed(sh: Shard, events: ReplacementEvents): void {
    let waiting = sh.owed.size;
    if (waiting === 0) {
      this.publish(this.describe(events));
      return;
    }
    const done = (): void => {
      if (--waiting === 0) this.publish(this.describe(events));
    };
    for (const p of sh.owed) (p.after ??= []).push(done);
  }

  /** Deliver the results [from, to) of a mailbox: answers, or hand-offs to another shard. */
  private collect(sh: Shard, which: 0 | 1, from: number, to: number): void {
    const b = sh.mailboxes[which];
    const pendingOf = sh.pendingOf[which];
    const indexOf = sh.indexOf[which];
    const transitOf = sh.transitOf[which];
    let last: Pending | undefined;
    for (let i = from; i < to; i++) {
      const pending = pendingOf[i]!;
      pendingOf[i] = undefined;
      // Runs of requests share a submission: note each once, answered or not (see owed).
      if (pending !== last) {
        if (last !== undefined && last.remaining > 0) sh.owed.add(last);
        last = pending;
      }
      const status = b.status[i]!;
      const player = b.players[i]!;
      const flags = transitOf[i]!;
      if (status === HANDOFF) {
        const position = b.position[i]!;
        const target = position & 0xff;
        const carry = b.server[i]!;
        const op = carry === NO_SERVER ? Op.Join : position & HANDOFF_RECONNECT ? InternalOp.AttachJoin : InternalOp.AttachMove;
        this.router.set(player, target);
        this.enqueue(target, op, player, b.zones[i]!, b.from[i]!, carry, pending, indexOf[i]!, flags);
        continue;
      }
      if (status === BOUNCE) {
        // The zone's shard could not take the player: back to the zone it left, and the
        // request is answered Overloaded (nothing changed for the player).
        const carry = b.server[i]!;
        const back = b.from[i]!;
        if ((flags & BOUNCED) === 0 && back >= 0) {
          const home = zoneShard(back, this.shards.length);
          this.router.set(player, home);
          this.enqueue(home, InternalOp.AttachMove, player, back, -1, carry, pending, indexOf[i]!, flags | BOUNCED);
          continue;
        }
        // Nowhere to hold it at all: give its seat back and say so.
        releaseSeat(this.table, carry);
        this.router.delete(player);
        this.answer(pending, indexOf[i]!, Status.ShardFailed, NO_SERVER, 0);
        if (flags & IN_TRANSIT) this.resolveTransit(player);
        continue;
      }
      this.answer(pending, indexOf[i]!, flags & BOUNCED ? Status.Overloaded : status, b.server[i]!, b.position[i]!);
      if (this.forgets(b.ops[i]!, status, b.server[i]!)) this.router.forget(player, sh.index);
      // A join of a player a shard held when it was routed (so it claimed no entry) that this
      // shard answered with a seat or a place in line: this shard holds the player. Recorded
      // again because a quit routed before the join (in its batch, or in one still in flight)
      // may have been answered first and forgotten the player, which the join then placed afresh.
      else if (flags & HELD_JOIN && (status === Status.Ok || status === Status.Queued || status === Status.Reconnected)) this.router.set(player, sh.index);
      if (flags & IN_TRANSIT) this.resolveTransit(player);
    }
    if (last !== undefined && last.remaining > 0) sh.owed.add(last);
  }

  /**
   * The shard no longer holds the player after this answer: a join refused, a quit, or a leave
   * that kept no seat (the player was in line — answered with no server — or reconnects are off).
   * A leave that keeps a seat is forgotten when the reservation expires.
   */
  private forgets(op: number, status: number, server: number): boolean {
    if (op === Op.Join) return status === Status.Full || status === Status.NoServers;
    if (status !== Status.Ok) return false;
    return op === Op.Quit || (op === Op.Leave && (server === NO_SERVER || this.options.reconnectMs <= 0));
  }

  private resolveTransit(player: number): void {
    const waiting = this.transit.get(player);
    if (!waiting) return;
    this.transit.delete(player);
    for (const d of waiting) this.route(d.op, d.player, d.zone, d.pending, d.index);
  }

  private answer(pending: Pending, index: number, status: number, server: number, position: number): void {
    const sink = pending.sink;
    this.stats.answers[status]!++;
    sink.status[index] = status;
    sink.server[index] = server;
    sink.position[index] = position;
    if (--pending.remaining === 0) {
      sinkDone(sink);
      if (pending.after) for (const f of pending.after) f();
    }
  }

  // ------------------------------------------------------------------ control

  private control(sh: Shard, make: (id: number) => ControlRequest): Promise<FromShard & { t: 'reply' }> {
    return new Promise((resolve) => {
      const msg = make(this.nextControl++);
      sh.controls.set(msg.id, { msg, resolve });
      sh.post(msg);
    });
  }

  private async all(make: (id: number) => ControlRequest): Promise<(FromShard & { t: 'reply' })[]> {
    return Promise.all(this.shards.map((sh) => this.control(sh, make)));
  }

  protected async shardsEvacuate(slot: number, reason: Reason, onlyIfRoom: boolean): Promise<ReplacementEvents> {
    const replies = await this.all((id) => ({ t: 'evacuate', id, slot, reason, onlyIfRoom }));
    const events = concatEvents(replies.map((r) => r.events ?? emptyEvents()));
    for (let i = 0; i < events.count; i++) {
      if (events.reasons[i] === Reason.Lost) this.router.delete(events.players[i]!);
    }
    return events;
  }

  protected async shardsTick(now: number): Promise<ReplacementEvents> {
    const replies = await this.all((id) => ({ t: 'tick', id, now }));
    const parts: ReplacementEvents[] = [];
    replies.forEach((r, shard) => {
      const e = r.events;
      if (!e || e.count === 0) return;
      let expired = 0;
      for (let i = 0; i < e.count; i++) {
        if (e.reasons[i] !== Reason.Expired) continue;
        expired++;
        const p = e.players[i]!;
        if (!this.transit.has(p)) this.router.forget(p, shard);
      }
      parts.push(expired === 0 ? e : withoutExpired(e));
    });
    return parts.length === 0 ? emptyEvents() : concatEvents(parts);
  }

  protected async shardsPlayersOn(slot: number): Promise<number[]> {
    const replies = await this.all((id) => ({ t: 'playersOn', id, slot }));
    return replies.flatMap((r) => r.data as number[]);
  }

  protected shardsRing(ring: Ring): void {
    this.ring = ring;
    for (const sh of this.shards) sh.post({ t: 'ring', points: ring.points, slots: ring.slots });
  }

  protected async shardsZones(): Promise<ZoneRow[]> {
    const replies = await this.all((id) => ({ t: 'zones', id }));
    return replies.flatMap((r) => r.data as ZoneRow[]).sort((a, b) => a.zone - b.zone);
  }

  protected async shardsHotZone(zone: number, servers: number, reserve: number): Promise<void> {
    const owner = this.shards[zoneShard(zone, this.shards.length)]!;
    await this.control(owner, (id) => ({ t: 'hotZone', id, zone, servers, reserve }));
  }

  protected shardsQueued(): number {
    let n = 0;
    for (const sh of this.shards) n += Atomics.load(sh.state.counters, ShardCounter.queued);
    return n;
  }

  protected async shutdown(): Promise<void> {
    // Requests still in a mailbox are answered, not dropped: the engine is going away.
    for (const sh of this.shards) {
      const which = sh.inFlight;
      if (which !== -1) {
        const b = sh.mailboxes[which];
        b.status.fill(Status.ShardFailed, sh.inFlightFrom, sh.inFlightTo);
        b.server.fill(NO_SERVER, sh.inFlightFrom, sh.inFlightTo);
        this.collect(sh, which, sh.inFlightFrom, sh.inFlightTo);
        sh.inFlight = -1;
      }
      const b = sh.mailboxes[sh.filling];
      b.status.fill(Status.ShardFailed, 0, sh.fillCount);
      b.server.fill(NO_SERVER, 0, sh.fillCount);
      this.collect(sh, sh.filling, 0, sh.fillCount);
      sh.fillCount = 0;
    }
    for (const d of [...this.transit.values()].flat()) this.answer(d.pending, d.index, Status.ShardFailed, NO_SERVER, 0);
    this.transit.clear();
    await Promise.all(this.shards.map((sh) => sh.worker?.terminate()));
  }
}

function withoutExpired(e: ReplacementEvents): ReplacementEvents {
  const out = emptyEvents();
  const keep: number[] = [];
  for (let i = 0; i < e.count; i++) if (e.reasons[i] !== Reason.Expired) keep.push(i);
  out.count = keep.length;
  out.players = Uint32Array.from(keep, (i) => e.players[i]!);
  out.oldServers = Int32Array.from(keep, (i) => e.oldServers[i]!);
  out.newServers = Int32Array.from(keep, (i) => e.newServers[i]!);
  out.zones = Uint32Array.from(keep, (i) => e.zones[i]!);
  out.reasons = Uint8Array.from(keep, (i) => e.reasons[i]!);
  return out;
}
