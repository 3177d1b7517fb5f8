import { NO_SERVER, Op, Reason, Status, ServerState, handleSlot, serverHandle } from './codes.ts';
import {
  ENT_STRIDE,
  E_COUNT,
  E_NEXT,
  E_OPEN,
  E_SERVER,
  E_ZONE,
  REC_STRIDE,
  R_ENTRY,
  R_NEXT,
  R_PLAYER,
  R_PREV,
  R_SERVER,
  R_STAMP,
  R_STATE,
  R_ZONE,
  ZONE_STRIDE,
  Z_ENTRIES,
  Z_HEAD,
  Z_OPEN,
  Z_POPULATION,
  Z_PRIMARY,
  MAX_PLAYER_ID,
  NEIGHBOUR_SLOTS,
  PlayerState,
  ShardCounter,
  FleetField,
  TotalField,
  type Batch,
  type ServerTable,
  type ShardState,
  type ZoneTable,
} from './layout.ts';
import { findPlayer, insertPlayer, removePlayer } from './player-directory.ts';
import { acceptsJoins, isAlive, releaseSeat, takeSeat } from './seats.ts';
import { EMPTY_RING, ringStart, type Ring } from './ring.ts';
import { mix32, zoneShard } from './hash.ts';
import { EventLog } from './event-log.ts';
import type { EngineOptions } from './options.ts';

/** Internal ops: the second half of a move or join whose zone belongs to another shard. */
export const InternalOp = {
  /** Place a moving player that carries a seat (`carry`) in `zone`. */
  AttachMove: 4,
  /** Same for a join of a player that held a reconnect reservation. */
  AttachJoin: 5,
} as const;

/**
 * Internal status: the request must continue on shard `position & 0xff`, carrying seat
 * `server`; HANDOFF_RECONNECT is set in `position` when the player held a reservation.
 */
export const HANDOFF = 200;
export const HANDOFF_RECONNECT = 0x100;
/**
 * Internal status: this shard cannot hold the arriving player (no free record). It still
 * holds seat `server`; the coordinator sends it back to the zone it came from (`from`).
 */
export const BOUNCE = 201;

/** How many ring points an overflow looks at before falling back to the room list. */
const RING_PROBES = 32;

export interface ShardViews {
  servers: ServerTable;
  zones: ZoneTable;
  state: ShardState;
}

/**
 * One shard's placement engine: the rules of DESIGN.md over shared typed arrays. Pure logic:
 * no threads, no I/O, no clock (time comes in as `now`). The single-threaded engine runs one
 * of these; the sharded engine runs one per worker thread over the same kind of views.
 *
 * Every method that answers a request returns a Status and leaves the server handle and
 * queue position in `server` and `position`, so the hot path allocates nothing.
 */
export class ShardCore {
  readonly index: number;
  readonly shards: number;
  server = NO_SERVER;
  position = 0;
  /** Zone a handed-off player came from (-1 when unknown). */
  fromZone = -1;
  /** Number of the batch being answered (0 outside batches) and the request's index in it. */
  private batchNumber = 0;
  private requestIndex = -1;
  /** Report expired reservations as events (the sharded engine uses them to forget players). */
  reportExpiries = false;
  /** Entry found or created by the last successful findSeat. */
  private entry = -1;
  readonly events = new EventLog();
  /** Split zones this shard owns, checked for merging on each tick. */
  readonly splitZones = new Set<number>();
  ring: Ring = EMPTY_RING;

  private readonly t: ServerTable;
  private readonly z: ZoneTable;
  private readonly s: ShardState;
  private readonly maxZones: number;
  private readonly reconnectMs: number;
  private readonly queueOn: boolean;
  private readonly queueLimit: number;
  private readonly epsilon: number;
  private readonly mergeBelow: number;
  /** Stamp per server slot: equal to `stamp` means "already tried or hosts the zone". */
  private readonly tried: Int32Array;
  private stamp = 0;
  private roomCursor = 0;
  private seatsSinceTick = 0;

  constructor(views: ShardViews, index: number, shards: number, options: EngineOptions) {
    this.t = views.servers;
    this.z = views.zones;
    this.s = views.state;
    this.index = index;
    this.shards = shards;
    this.maxZones = this.z.capacity;
    this.reconnectMs = options.reconnectMs;
    this.queueOn = options.whenFull === 'queue' && options.queueLimit > 0;
    this.queueLimit = options.queueLimit;
    this.epsilon = options.boundedLoadEpsilon;
    this.mergeBelow = options.mergeBelow;
    this.tried = new Int32Array(this.t.capacity);
  }

  ownsZone(zone: number): boolean {
    return zoneShard(zone, this.shards) === this.index;
  }

  // ---------------------------------------------------------------------------------------
  // Batches

  /** Answers requests [from, to) of a batch in place. */
  processBatch(b: Batch, from: number, to: number, now: number, batchNumber: number): void {
    const done = this.s.counters;
    this.batchNumber = batchNumber;
    for (let i = from; i < to; i++) {
      this.requestIndex = i;
      b.status[i] = this.apply(b.ops[i]!, b.players[i]!, b.zones[i]!, b.from[i]!, b.carry[i]!, now);
      b.server[i] = this.server;
      b.position[i] = this.position;
      b.from[i] = this.fromZone;
      // A plain store: it is read only after this thread has exited (the exit is the fence).
      done[ShardCounter.batchDone] = i + 1;
    }
    this.batchNumber = 0;
    this.requestIndex = -1;
  }

  apply(op: number, player: number, zone: number, fromZone: number, carry: number, now: number): number {
    this.server = NO_SERVER;
    this.position = 0;
    this.fromZone = -1;
    if (player > MAX_PLAYER_ID) return Status.Invalid;
    if (op === Op.Leave) return this.leave(player, now);
    if (zone >= this.maxZones) return Status.Invalid;
    if (!this.ownsZone(zone)) {
      return op === Op.Join || op === Op.Move ? this.handOff(op, player, zone) : Status.Invalid;
    }
    switch (op) {
      case Op.Join:
        return this.join(player, zone, now);
      case Op.Move:
        return this.move(player, zone);
      case InternalOp.AttachMove:
      case InternalOp.AttachJoin:
        return this.attachCarried(op, player, zone, fromZone, carry);
      default:
        return Status.Invalid;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Requests

  join(player: number, zone: number, now: number): number {
    const r = findPlayer(this.s, player);
    if (r < 0) return this.joinSteady(player, zone) ? Status.Ok : this.placeNew(player, zone);
    const st = this.s.records[r * REC_STRIDE + R_STATE];
    if (st === PlayerState.Active) {
      if (this.s.records[r * REC_STRIDE + R_ZONE] === zone) {
        this.server = this.s.records[r * REC_STRIDE + R_SERVER]!;
        return Status.Ok;
      }
      return this.moveRecord(r, zone);
    }
    if (st === PlayerState.Reserved) return this.reconnect(r, zone, now);
    // Queued: it keeps its place, in the zone it asked for last.
    this.s.records[r * REC_STRIDE + R_ZONE] = zone;
    this.position = this.queuePosition(r);
    return Status.Queued;
  }

  /**
   * The steady path, flattened: a new player for a zone on one server with room. Everything
   * else (split zones, overflow, full servers, records exhausted) returns false and goes
   * through placeNew. Same effects as placeNew on this path, in one function with its arrays
   * in locals: this is most joins, and calls and repeated field loads cost more than the
   * work itself here.
   */
  private joinSteady(player: number, zone: number): boolean {
    const s = this.s;
    const t = this.t;
    const rows = this.z.rows;
    const ent = s.entries;
    const head = rows[zone * ZONE_STRIDE + Z_HEAD]!;
    if (head < 0) return false;
    const eb = head * ENT_STRIDE;
    if (ent[eb + E_NEXT] !== -1 || ent[eb + E_OPEN] !== 1) return false;
    const h = ent[eb + E_SERVER]!;
    const slot = h & 0xffff;
    const c = s.counters;
    if (c[ShardCounter.freeRecords] === 0 && c[ShardCounter.recordHigh]! >= s.recordCapacity) return false;
    if (!acceptsJoins(t, h) || !takeSeat(t, slot)) return false;
    const r = this.allocRecord(player);
    const rb = r * REC_STRIDE;
    const rec = s.records;
    rec[rb + R_STATE] = PlayerState.Active;
    rec[rb + R_SERVER] = h;
    rec[rb + R_ENTRY] = head;
    rec[rb + R_ZONE] = zone;
    ent[eb + E_COUNT]! += 1;
    rows[zone * ZONE_STRIDE + Z_POPULATION]! += 1;
    const first = s.serverHead[slot]!;
    rec[rb + R_PREV] = -1;
    rec[rb + R_NEXT] = first;
    if (first >= 0) rec[first * REC_STRIDE + R_PREV] = r;
    s.serverHead[slot] = r;
    s.serverSeats[slot]! += 1;
    this.seatsSinceTick++;
    this.server = h;
    return true;
  }

  leave(player: number, now: number): number {
    const s = this.s;
    const r = findPlayer(s, player);
    if (r < 0) return Status.NotFound;
    const st = s.records[r * REC_STRIDE + R_STATE];
    if (st === PlayerState.Queued) {
      this.freeRecord(r);
      this.unqueued();
      return Status.Ok;
    }
    this.server = s.records[r * REC_STRIDE + R_SERVER]!;
    if (st === PlayerState.Reserved) return Status.Ok;
    if (this.reconnectMs <= 0) {
      this.releaseRecord(r);
      return Status.Ok;
    }
    const c = s.counters;
    if (c[ShardCounter.expiryLength]! >= s.recordCapacity) {
      // The expiry ring is full of flapping players' entries: no reservation this time.
      this.releaseRecord(r);
      return Status.Ok;
    }
    // Keep the seat for the reconnect window; the expiry FIFO is in leave order, and since
    // the window is constant that is also expiry order.
    s.records[r * REC_STRIDE + R_STATE] = PlayerState.Reserved;
    const stamp = (s.records[r * REC_STRIDE + R_STAMP]! + 1) | 0;
    s.records[r * REC_STRIDE + R_STAMP] = stamp;
    const at = c[ShardCounter.expiryTail]!;
    s.expiryRecord[at] = r;
    s.expiryStamp[at] = stamp;
    s.expiryTime[at] = now + this.reconnectMs;
    c[ShardCounter.expiryTail] = at + 1 === s.recordCapacity ? 0 : at + 1;
    c[ShardCounter.expiryLength]! += 1;
    return Status.Ok;
  }

  move(player: number, zone: number): number {
    const r = findPlayer(this.s, player);
    if (r < 0) return Status.NotFound;
    const st = this.s.records[r * REC_STRIDE + R_STATE];
    if (st === PlayerState.Queued) {
      this.s.records[r * REC_STRIDE + R_ZONE] = zone;
      this.position = this.queuePosition(r);
      return Status.Queued;
    }
    if (this.s.records[r * REC_STRIDE + R_ZONE] === zone) {
      this.server = this.s.records[r * REC_STRIDE + R_SERVER]!;
      return st === PlayerState.Reserved ? Status.NotFound : Status.Ok;
    }
    if (st === PlayerState.Reserved) return Status.NotFound;
    return this.moveRecord(r, zone);
  }

  /** The zone belongs to another shard: release what this shard holds and pass it on. */
  private handOff(op: number, player: number, zone: number): number {
    const s = this.s;
    const c = s.counters;
    const r = findPlayer(s, player);
    const target = zoneShard(zone, this.shards);
    this.position = target;
    if (r < 0) {
      if (this.replayedHandOff(player)) return HANDOFF;
      if (op === Op.Move) return Status.NotFound;
      return HANDOFF; // a fresh join: the other shard places it from scratch
    }
    const base = r * REC_STRIDE;
    const st = s.records[base + R_STATE];
    if (st === PlayerState.Queued) {
      this.freeRecord(r);
      this.unqueued();
      return HANDOFF; // it re-queues (or is placed) in the zone's own shard
    }
    if (st === PlayerState.Reserved && op === Op.Move) return Status.NotFound;
    if (st === PlayerState.Reserved) this.position = target | HANDOFF_RECONNECT;
    this.fromZone = s.records[base + R_ZONE]!;
    this.learn(this.fromZone, zone);
    this.server = this.detach(r);
    if (this.batchNumber > 0) {
      // Remember the answer before forgetting the player: see ShardCounter.handoffBatch.
      c[ShardCounter.handoffBatch] = this.batchNumber;
      c[ShardCounter.handoffIndex] = this.requestIndex;
      c[ShardCounter.handoffPlayer] = player | 0;
      c[ShardCounter.handoffCarry] = this.server;
      c[ShardCounter.handoffFrom] = this.fromZone;
      c[ShardCounter.handoffTarget] = this.position;
    }
    this.freeRecord(r);
    return HANDOFF;
  }

  /** This very request already handed the player off before a worker died: same answer. */
  private replayedHandOff(player: number): boolean {
    const c = this.s.counters;
    if (
      this.batchNumber === 0 ||
      c[ShardCounter.handoffBatch] !== this.batchNumber ||
      c[ShardCounter.handoffIndex] !== this.requestIndex ||
      c[ShardCounter.handoffPlayer] !== (player | 0)
    ) {
      return false;
    }
    this.server = c[ShardCounter.handoffCarry]!;
    this.fromZone = c[ShardCounter.handoffFrom]!;
    this.position = c[ShardCounter.handoffTarget]!;
    return true;
  }

  private reconnect(r: number, zone: number, _now: number): number {
    const s = this.s;
    const h = s.records[r * REC_STRIDE + R_SERVER]!;
    if (acceptsJoins(this.t, h)) {
      s.records[r * REC_STRIDE + R_STATE] = PlayerState.Active;
      const st = s.records[r * REC_STRIDE + R_ZONE] === zone ? Status.Ok : this.moveRecord(r, zone);
      if (st === Status.Ok && this.server === NO_SERVER) this.server = h;
      return st === Status.Ok && this.server === h ? Status.Reconnected : st;
    }
    // Its old server no longer takes players: give the seat back and place it afresh.
    const player = s.records[r * REC_STRIDE + R_PLAYER]! >>> 0;
    this.releaseRecord(r);
    return this.placeNew(player, zone);
  }

  /** Move a record this shard holds to a zone this shard owns. */
  private moveRecord(r: number, zone: number): number {
    const s = this.s;
    this.learn(s.records[r * REC_STRIDE + R_ZONE]!, zone);
    const carry = this.detach(r);
    s.records[r * REC_STRIDE + R_STATE] = PlayerState.Active;
    const st = this.attach(r, zone, carry);
    if (st !== Status.Ok) this.dropFloating(r, carry, zone);
    return st;
  }

  /** Second half of a hand-off: a player arriving from another shard with a seat. */
  private attachCarried(op: number, player: number, zone: number, fromZone: number, carry: number): number {
    const s = this.s;
    if (fromZone >= 0) this.learn(zone, fromZone);
    let r = findPlayer(s, player);
    if (r >= 0) {
      // Already here (a retried hand-off): keep what is here, give the carried seat back.
      if (carry !== NO_SERVER) releaseSeat(this.t, carry);
      this.server = s.records[r * REC_STRIDE + R_SERVER]!;
      return s.records[r * REC_STRIDE + R_STATE] === PlayerState.Queued ? Status.Queued : Status.Ok;
    }
    if (carry === NO_SERVER) return this.placeNew(player, zone);
    r = this.allocRecord(player);
    if (r < 0) {
      // No room for its record here: it goes back where it came from, seat and all.
      this.server = carry;
      this.fromZone = fromZone;
      return BOUNCE;
    }
    s.records[r * REC_STRIDE + R_STATE] = PlayerState.Active;
    const st = this.attach(r, zone, carry);
    if (st !== Status.Ok) {
      this.dropFloating(r, carry, zone);
      return st;
    }
    return op === InternalOp.AttachJoin && this.server === carry ? Status.Reconnected : Status.Ok;
  }

  private placeNew(player: number, zone: number): number {
    const r = this.allocRecord(player);
    if (r < 0) return Status.Overloaded;
    const h = this.findSeat(zone);
    if (h >= 0) {
      this.s.records[r * REC_STRIDE + R_STATE] = PlayerState.Active;
      this.link(r, zone, this.entry, h);
      this.seatsSinceTick++;
      this.server = h;
      return Status.Ok;
    }
    return this.noSeat(r, zone);
  }

  /** No seat anywhere: queue the record or free it, and say why. */
  private noSeat(r: number, zone: number): number {
    // Float64 fleet figures are written whole by the control plane; a stale read is harmless.
    if (this.t.fleet[FleetField.activeServers]! <= 0) {
      this.freeRecord(r);
      return Status.NoServers;
    }
    if (this.queueOn && this.enqueue(r, zone)) return Status.Queued;
    this.freeRecord(r);
    return Status.Full;
  }

  // ---------------------------------------------------------------------------------------
  // Placement

  /**
   * Put a player that holds a seat on `carry` (or none) into `zone`: stay on the same server
   * when it hosts the zone; else a server of the zone with room; else extend the zone onto
   * the carried server (no new seat needed, no hand-off for the player); else overflow.
   */
  private attach(r: number, zone: number, carry: number): number {
    const z = this.z;
    const carryOk = carry !== NO_SERVER && acceptsJoins(this.t, carry);
    if (carryOk) {
      for (let e = z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = this.s.entries[e * ENT_STRIDE + E_NEXT]!) {
        if (this.s.entries[e * ENT_STRIDE + E_SERVER] === carry) {
          this.link(r, zone, e, carry);
          this.server = carry;
          return Status.Ok;
        }
      }
    }
    let h = this.seatInZone(zone);
    if (h < 0 && carryOk) {
      const e = this.newEntry(zone, carry);
      if (e >= 0) {
        this.link(r, zone, e, carry);
        this.server = carry;
        return Status.Ok;
      }
    }
    if (h < 0) h = this.overflow(zone);
    if (h < 0 && carry !== NO_SERVER && isAlive(this.t, carry)) {
      // Nowhere else to go, but its seat (on a draining server) still stands: keep it there.
      const e = this.newEntry(zone, carry);
      if (e >= 0) {
        this.link(r, zone, e, carry);
        this.server = carry;
        return Status.Ok;
      }
    }
    if (h < 0) return Status.Full;
    if (carry !== NO_SERVER) releaseSeat(this.t, carry);
    this.link(r, zone, this.entry, h);
    this.server = h;
    return Status.Ok;
  }

  /** Take a seat for a new player of `zone`; returns the handle (entry in this.entry) or -1. */
  findSeat(zone: number): number {
    const h = this.seatInZone(zone);
    return h >= 0 ? h : this.overflow(zone);
  }

  /**
   * A seat on one of the servers already hosting the zone: the open entry with the fewest
   * zone players relative to the server's weight, so a split zone fills its servers evenly.
   */
  private seatInZone(zone: number): number {
    const s = this.s;
    const t = this.t;
    const head = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!;
    if (head < 0) return -1;
    // Fast path: a zone on one server (the common case) costs one CAS.
    if (s.entries[head * ENT_STRIDE + E_NEXT] === -1) {
      const h = s.entries[head * ENT_STRIDE + E_SERVER]!;
      if (s.entries[head * ENT_STRIDE + E_OPEN] === 1 && acceptsJoins(t, h) && takeSeat(t, handleSlot(h))) {
        this.entry = head;
        return h;
      }
      return this.reopen(zone);
    }
    const stamp = this.nextStamp();
    for (;;) {
      let best = -1;
      let bestKey = Infinity;
      for (let e = head; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
        if (s.entries[e * ENT_STRIDE + E_OPEN] !== 1) continue;
        const h = s.entries[e * ENT_STRIDE + E_SERVER]!;
        const slot = handleSlot(h);
        if (this.tried[slot] === stamp || !acceptsJoins(t, h)) continue;
        if (Atomics.load(t.count, slot) >= Atomics.load(t.limit, slot)) continue;
        const key = s.entries[e * ENT_STRIDE + E_COUNT]! / t.weight[slot]!;
        if (key < bestKey) {
          bestKey = key;
          best = e;
        }
      }
      if (best < 0) return this.reopen(zone);
      const h = s.entries[best * ENT_STRIDE + E_SERVER]!;
      if (takeSeat(t, handleSlot(h))) {
        this.entry = best;
        return h;
      }
      this.tried[handleSlot(h)] = stamp; // lost the race for its last seat: try the next
    }
  }

  /** Before growing a merging zone onto a new server, re-open one it is leaving. */
  private reopen(zone: number): number {
    const s = this.s;
    const t = this.t;
    const z = this.z;
    if (z.rows[zone * ZONE_STRIDE + Z_OPEN] === z.rows[zone * ZONE_STRIDE + Z_ENTRIES]) return -1;
    for (let e = z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
      if (s.entries[e * ENT_STRIDE + E_OPEN] === 1) continue;
      const h = s.entries[e * ENT_STRIDE + E_SERVER]!;
      if (acceptsJoins(t, h) && takeSeat(t, handleSlot(h))) {
        s.entries[e * ENT_STRIDE + E_OPEN] = 1;
        z.rows[zone * ZONE_STRIDE + Z_OPEN]! += 1;
        this.entry = e;
        return h;
      }
    }
    return -1;
  }

  /**
   * Grow the zone onto a server that does not host it yet: first servers hosting neighbouring
   * zones (players walking across the border stay on the same server), then the zone's
   * successors on the weighted ring (stable as servers come and go), both within the
   * bounded-load cap; then the control plane's list of servers with the most room.
   * Never a scan of the whole fleet.
   */
  private overflow(zone: number): number {
    const s = this.s;
    const t = this.t;
    const z = this.z;
    const stamp = this.nextStamp();
    const tried = this.tried;
    for (let e = z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) tried[handleSlot(s.entries[e * ENT_STRIDE + E_SERVER]!)] = stamp;
    const bound = this.loadBound();

    const a0 = z.adjacencyStart[zone]!;
    const a1 = z.adjacencyStart[zone + 1]!;
    if (a1 > a0) {
      for (let i = a0; i < a1; i++) {
        const h = this.tryNeighbour(z.adjacency[i]!, stamp, bound);
        if (h >= 0) return this.grow(zone, h);
      }
    } else {
      const base = zone * NEIGHBOUR_SLOTS;
      for (let i = 0; i < NEIGHBOUR_SLOTS; i++) {
        const n = z.neighbourId[base + i]!;
        if (n < 0) continue;
        const h = this.tryNeighbour(n, stamp, bound);
        if (h >= 0) return this.grow(zone, h);
      }
    }

    const ring = this.ring;
    const points = ring.slots.length;
    if (points > 0) {
      let i = ringStart(ring, mix32(zone ^ 0x2545f491));
      const probes = Math.min(points, RING_PROBES);
      for (let k = 0; k < probes; k++) {
        const slot = ring.slots[i]!;
        if (++i === points) i = 0;
        if (tried[slot] === stamp) continue;
        if (Atomics.load(t.state, slot) !== ServerState.Active) continue;
        // Over the load bound: skipped here, but not marked, so the room list may offer it.
        if (!this.withinBound(slot, bound)) continue;
        tried[slot] = stamp;
        if (takeSeat(t, slot)) return this.grow(zone, serverHandle(slot, Atomics.load(t.generation, slot)));
      }
    }

    const list = t.roomList;
    const n = Atomics.load(list, 0);
    for (let k = 0; k < n; k++) {
      if (++this.roomCursor > n) this.roomCursor = 1;
      const slot = Atomics.load(list, this.roomCursor);
      if (tried[slot] === stamp) continue;
      tried[slot] = stamp;
      if (Atomics.load(t.state, slot) !== ServerState.Active) continue;
      if (takeSeat(t, slot)) return this.grow(zone, serverHandle(slot, Atomics.load(t.generation, slot)));
    }
    return -1;
  }

  private tryNeighbour(neighbour: number, stamp: number, bound: number): number {
    const h = Atomics.load(this.z.rows, neighbour * ZONE_STRIDE + Z_PRIMARY);
    if (h < 0) return -1;
    const slot = handleSlot(h);
    if (this.tried[slot] === stamp) return -1;
    if (!acceptsJoins(this.t, h) || !this.withinBound(slot, bound)) return -1;
    this.tried[slot] = stamp;
    return takeSeat(this.t, slot) ? h : -1;
  }

  private grow(zone: number, h: number): number {
    const e = this.newEntry(zone, h);
    if (e < 0) {
      releaseSeat(this.t, h);
      return -1;
    }
    this.entry = e;
    return h;
  }

  /**
   * Bounded-load cap as a fraction of each server's limit: (1 + ε) × the fleet's mean
   * utilisation (last tick's totals plus the seats this shard has taken since, scaled to all
   * shards). Infinity when there is no tick yet.
   */
  private loadBound(): number {
    const f = this.t.fleet;
    const totalLimit = f[FleetField.totalLimit]!;
    if (!(totalLimit > 0)) return Infinity;
    const used = Math.max(0, f[FleetField.totalCount]! + this.seatsSinceTick * this.shards) + 1;
    return (1 + this.epsilon) * Math.min(1, used / totalLimit);
  }

  private withinBound(slot: number, bound: number): boolean {
    const limit = Atomics.load(this.t.limit, slot);
    return Atomics.load(this.t.count, slot) + 1 <= Math.ceil(bound * limit);
  }

  private nextStamp(): number {
    this.stamp = (this.stamp + 1) | 0;
    if (this.stamp === 0) {
      this.tried.fill(0);
      this.stamp = 1;
    }
    return this.stamp;
  }

  // ---------------------------------------------------------------------------------------
  // Records, zone entries and per-server lists

  private allocRecord(player: number): number {
    const s = this.s;
    const c = s.counters;
    let r: number;
    if (c[ShardCounter.freeRecords]! > 0) r = s.freeRecord[--c[ShardCounter.freeRecords]!]!;
    else if (c[ShardCounter.recordHigh]! < s.recordCapacity) r = c[ShardCounter.recordHigh]!++;
    else return -1;
    s.records[r * REC_STRIDE + R_PLAYER] = player | 0;
    s.records[r * REC_STRIDE + R_SERVER] = NO_SERVER;
    s.records[r * REC_STRIDE + R_ENTRY] = -1;
    s.records[r * REC_STRIDE + R_ZONE] = -1;
    s.records[r * REC_STRIDE + R_NEXT] = -1;
    s.records[r * REC_STRIDE + R_PREV] = -1;
    insertPlayer(s, player, r);
    return r;
  }

  private freeRecord(r: number): void {
    const s = this.s;
    s.records[r * REC_STRIDE + R_STATE] = PlayerState.Free;
    removePlayer(s, s.records[r * REC_STRIDE + R_PLAYER]!);
    s.freeRecord[s.counters[ShardCounter.freeRecords]!++] = r;
  }

  /** Count a record in a zone entry and in its server's list. */
  private link(r: number, zone: number, e: number, h: number): void {
    const s = this.s;
    const slot = handleSlot(h);
    s.records[r * REC_STRIDE + R_SERVER] = h;
    s.records[r * REC_STRIDE + R_ENTRY] = e;
    s.records[r * REC_STRIDE + R_ZONE] = zone;
    s.entries[e * ENT_STRIDE + E_COUNT]! += 1;
    // Single writer (this shard): a plain add; listings elsewhere tolerate a stale read.
    this.z.rows[zone * ZONE_STRIDE + Z_POPULATION]! += 1;
    const head = s.serverHead[slot]!;
    s.records[r * REC_STRIDE + R_PREV] = -1;
    s.records[r * REC_STRIDE + R_NEXT] = head;
    if (head >= 0) s.records[head * REC_STRIDE + R_PREV] = r;
    s.serverHead[slot] = r;
    s.serverSeats[slot]! += 1;
  }

  /** Undo link(); the seat stays taken. Returns the handle of the seat it holds. */
  private detach(r: number): number {
    const s = this.s;
    const h = s.records[r * REC_STRIDE + R_SERVER]!;
    const e = s.records[r * REC_STRIDE + R_ENTRY]!;
    const zone = s.records[r * REC_STRIDE + R_ZONE]!;
    const slot = handleSlot(h);
    const prev = s.records[r * REC_STRIDE + R_PREV]!;
    const next = s.records[r * REC_STRIDE + R_NEXT]!;
    if (prev >= 0) s.records[prev * REC_STRIDE + R_NEXT] = next;
    else s.serverHead[slot] = next;
    if (next >= 0) s.records[next * REC_STRIDE + R_PREV] = prev;
    s.serverSeats[slot]! -= 1;
    // R_SERVER and R_ZONE stay as they were until link() rewrites them: if the worker dies
    // between the two halves of a move, repair finds the player where it was, seat and all.
    this.z.rows[zone * ZONE_STRIDE + Z_POPULATION]! -= 1;
    s.entries[e * ENT_STRIDE + E_COUNT]! -= 1;
    if (s.entries[e * ENT_STRIDE + E_COUNT] === 0) this.removeEntry(zone, e);
    return h;
  }

  /** Release a player completely: its zone entry, its seat, its record. */
  private releaseRecord(r: number): void {
    const h = this.detach(r);
    releaseSeat(this.t, h);
    this.seatsSinceTick--;
    this.freeRecord(r);
  }

  /** A detached record found no place: give its seat back and queue or drop it. */
  private dropFloating(r: number, carry: number, zone: number): void {
    if (carry !== NO_SERVER) releaseSeat(this.t, carry);
    if (this.queueOn && this.enqueue(r, zone)) return;
    this.freeRecord(r);
  }

  private newEntry(zone: number, h: number): number {
    const s = this.s;
    const z = this.z;
    const c = s.counters;
    let e: number;
    if (c[ShardCounter.freeEntries]! > 0) e = s.freeEntry[--c[ShardCounter.freeEntries]!]!;
    else if (c[ShardCounter.entryHigh]! < s.entryCapacity) e = c[ShardCounter.entryHigh]!++;
    else return -1;
    s.entries[e * ENT_STRIDE + E_SERVER] = h;
    s.entries[e * ENT_STRIDE + E_ZONE] = zone;
    s.entries[e * ENT_STRIDE + E_COUNT] = 0;
    s.entries[e * ENT_STRIDE + E_OPEN] = 1;
    const head = z.rows[zone * ZONE_STRIDE + Z_HEAD]!;
    if (head < 0) {
      s.entries[e * ENT_STRIDE + E_NEXT] = -1;
      z.rows[zone * ZONE_STRIDE + Z_HEAD] = e;
      Atomics.store(z.rows, zone * ZONE_STRIDE + Z_PRIMARY, h);
    } else {
      // Insert second, so the head (the zone's first server, its primary) stays put.
      s.entries[e * ENT_STRIDE + E_NEXT] = s.entries[head * ENT_STRIDE + E_NEXT]!;
      s.entries[head * ENT_STRIDE + E_NEXT] = e;
    }
    z.rows[zone * ZONE_STRIDE + Z_ENTRIES]! += 1;
    z.rows[zone * ZONE_STRIDE + Z_OPEN]! += 1;
    if (z.rows[zone * ZONE_STRIDE + Z_ENTRIES] === 2) this.splitZones.add(zone);
    return e;
  }

  private removeEntry(zone: number, e: number): void {
    const s = this.s;
    const z = this.z;
    let prev = -1;
    let cur = z.rows[zone * ZONE_STRIDE + Z_HEAD]!;
    while (cur >= 0 && cur !== e) {
      prev = cur;
      cur = s.entries[cur * ENT_STRIDE + E_NEXT]!;
    }
    if (cur < 0) return;
    const next = s.entries[e * ENT_STRIDE + E_NEXT]!;
    if (prev >= 0) s.entries[prev * ENT_STRIDE + E_NEXT] = next;
    else {
      z.rows[zone * ZONE_STRIDE + Z_HEAD] = next;
      Atomics.store(z.rows, zone * ZONE_STRIDE + Z_PRIMARY, next >= 0 ? s.entries[next * ENT_STRIDE + E_SERVER]! : NO_SERVER);
    }
    z.rows[zone * ZONE_STRIDE + Z_ENTRIES]! -= 1;
    if (s.entries[e * ENT_STRIDE + E_OPEN] === 1) z.rows[zone * ZONE_STRIDE + Z_OPEN]! -= 1;
    if (z.rows[zone * ZONE_STRIDE + Z_OPEN] === 0 && z.rows[zone * ZONE_STRIDE + Z_ENTRIES]! > 0) {
      // Never leave a zone with servers but none open: re-open its head.
      s.entries[z.rows[zone * ZONE_STRIDE + Z_HEAD]! * ENT_STRIDE + E_OPEN] = 1;
      z.rows[zone * ZONE_STRIDE + Z_OPEN] = 1;
    }
    if (z.rows[zone * ZONE_STRIDE + Z_ENTRIES]! <= 1) this.splitZones.delete(zone);
    s.entries[e * ENT_STRIDE + E_ZONE] = -1;
    s.freeEntry[s.counters[ShardCounter.freeEntries]!++] = e;
  }

  /** Learn that players walk from zone `a` to zone `b` (space-saving top-k per zone). */
  private learn(a: number, b: number): void {
    if (a < 0 || a === b || !this.ownsZone(a)) return;
    const ids = this.z.neighbourId;
    const counts = this.z.neighbourCount;
    const base = a * NEIGHBOUR_SLOTS;
    let min = base;
    for (let i = base; i < base + NEIGHBOUR_SLOTS; i++) {
      if (ids[i] === b) {
        counts[i]! += 1;
        return;
      }
      if (counts[i]! < counts[min]!) min = i;
    }
    ids[min] = b;
    counts[min]! += 1;
  }

  // ---------------------------------------------------------------------------------------
  // Queue

  private enqueue(r: number, zone: number): boolean {
    const s = this.s;
    const c = s.counters;
    if (c[ShardCounter.queueLength]! >= s.queueCapacity) return false;
    // The limit is for the whole engine: reserve a place in the shared count first, and give
    // it back if that went past the limit (two shards racing for the last place: one wins).
    const queued = Atomics.add(this.t.totals, TotalField.queued, 1);
    if (queued >= this.queueLimit) {
      Atomics.sub(this.t.totals, TotalField.queued, 1);
      return false;
    }
    s.records[r * REC_STRIDE + R_STATE] = PlayerState.Queued;
    s.records[r * REC_STRIDE + R_ZONE] = zone;
    s.records[r * REC_STRIDE + R_SERVER] = NO_SERVER;
    s.records[r * REC_STRIDE + R_ENTRY] = -1;
    const stamp = (s.records[r * REC_STRIDE + R_STAMP]! + 1) | 0;
    s.records[r * REC_STRIDE + R_STAMP] = stamp;
    const at = c[ShardCounter.queueTail]!;
    s.queueRecord[at] = r;
    s.queueStamp[at] = stamp;
    c[ShardCounter.queueTail] = at + 1 === s.queueCapacity ? 0 : at + 1;
    c[ShardCounter.queueLength]! += 1;
    Atomics.add(c, ShardCounter.queued, 1);
    // Place in the engine's whole line when it joined (walking the line here would be O(n)).
    this.position = queued + 1;
    return true;
  }

  private unqueued(): void {
    Atomics.sub(this.s.counters, ShardCounter.queued, 1);
    Atomics.sub(this.t.totals, TotalField.queued, 1);
  }

  /** Place in line (1 = next), counting only players still waiting. */
  private queuePosition(r: number): number {
    const s = this.s;
    const c = s.counters;
    let pos = 0;
    let at = c[ShardCounter.queueHead]!;
    for (let k = c[ShardCounter.queueLength]!; k > 0; k--) {
      const q = s.queueRecord[at]!;
      if (s.records[q * REC_STRIDE + R_STATE] === PlayerState.Queued && s.records[q * REC_STRIDE + R_STAMP] === s.queueStamp[at]) {
        pos++;
        if (q === r) return pos;
      }
      if (++at === s.queueCapacity) at = 0;
    }
    return pos;
  }

  // ---------------------------------------------------------------------------------------
  // Background work (ticks and control-plane commands)

  /** Expire reservations, admit queued players, close servers of zones that shrank. */
  tick(now: number): void {
    this.seatsSinceTick = 0;
    this.expire(now);
    this.admitQueued();
    this.mergeZones();
  }

  private expire(now: number): void {
    const s = this.s;
    const c = s.counters;
    while (c[ShardCounter.expiryLength]! > 0) {
      const at = c[ShardCounter.expiryHead]!;
      if (s.expiryTime[at]! > now) break;
      c[ShardCounter.expiryHead] = at + 1 === s.recordCapacity ? 0 : at + 1;
      c[ShardCounter.expiryLength]! -= 1;
      const r = s.expiryRecord[at]!;
      if (s.records[r * REC_STRIDE + R_STATE] === PlayerState.Reserved && s.records[r * REC_STRIDE + R_STAMP] === s.expiryStamp[at]) {
        if (this.reportExpiries) this.events.push(s.records[r * REC_STRIDE + R_PLAYER]! >>> 0, s.records[r * REC_STRIDE + R_SERVER]!, NO_SERVER, s.records[r * REC_STRIDE + R_ZONE]!, Reason.Expired);
        this.releaseRecord(r);
      }
    }
  }

  admitQueued(): void {
    const s = this.s;
    const c = s.counters;
    while (c[ShardCounter.queueLength]! > 0) {
      const at = c[ShardCounter.queueHead]!;
      const r = s.queueRecord[at]!;
      if (s.records[r * REC_STRIDE + R_STATE] === PlayerState.Queued && s.records[r * REC_STRIDE + R_STAMP] === s.queueStamp[at]) {
        const zone = s.records[r * REC_STRIDE + R_ZONE]!;
        const h = this.findSeat(zone);
        if (h < 0) return; // first in line cannot be placed: nobody behind it can either
        s.records[r * REC_STRIDE + R_STATE] = PlayerState.Active;
        this.link(r, zone, this.entry, h);
        this.unqueued();
        this.events.push(s.records[r * REC_STRIDE + R_PLAYER]! >>> 0, NO_SERVER, h, zone, Reason.Admitted);
      }
      c[ShardCounter.queueHead] = at + 1 === s.queueCapacity ? 0 : at + 1;
      c[ShardCounter.queueLength]! -= 1;
    }
  }

  /**
   * A split zone whose population fits comfortably (mergeBelow) in its other open servers
   * closes its least-filled server to new joins; that server leaves the zone as its players
   * do. Existing players are never moved for a merge.
   */
  private mergeZones(): void {
    const s = this.s;
    const t = this.t;
    const z = this.z;
    for (const zone of this.splitZones) {
      if (z.rows[zone * ZONE_STRIDE + Z_OPEN]! <= 1) continue;
      let victim = -1;
      let victimKey = Infinity;
      let capacity = 0;
      for (let e = z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
        if (s.entries[e * ENT_STRIDE + E_OPEN] !== 1) continue;
        const slot = handleSlot(s.entries[e * ENT_STRIDE + E_SERVER]!);
        const seats = s.entries[e * ENT_STRIDE + E_COUNT]! + Math.max(0, t.limit[slot]! - t.count[slot]!);
        capacity += seats;
        const key = s.entries[e * ENT_STRIDE + E_COUNT]! / t.weight[slot]!;
        if (key < victimKey && e !== z.rows[zone * ZONE_STRIDE + Z_HEAD]) {
          victimKey = key;
          victim = e;
        }
      }
      if (victim < 0) continue;
      const victimSlot = handleSlot(s.entries[victim * ENT_STRIDE + E_SERVER]!);
      const others = capacity - (s.entries[victim * ENT_STRIDE + E_COUNT]! + Math.max(0, t.limit[victimSlot]! - t.count[victimSlot]!));
      if (z.rows[zone * ZONE_STRIDE + Z_POPULATION]! <= this.mergeBelow * others) {
        s.entries[victim * ENT_STRIDE + E_OPEN] = 0;
        z.rows[zone * ZONE_STRIDE + Z_OPEN]! -= 1;
      }
    }
  }

  /**
   * Re-place this shard's players of a server (crashed, drained or removed). Players that
   * find no seat are queued (event with new server -1) or, when the queue is off, lost.
   * With `onlyIfRoom`, players that find no seat stay where they are (a drain).
   */
  evacuate(slot: number, reason: Reason, onlyIfRoom: boolean): void {
    const s = this.s;
    let r = s.serverHead[slot]!;
    while (r >= 0) {
      const next = s.records[r * REC_STRIDE + R_NEXT]!;
      const player = s.records[r * REC_STRIDE + R_PLAYER]! >>> 0;
      const zone = s.records[r * REC_STRIDE + R_ZONE]!;
      if (s.records[r * REC_STRIDE + R_STATE] === PlayerState.Reserved) {
        if (!onlyIfRoom) this.releaseRecord(r);
        r = next;
        continue;
      }
      const old = s.records[r * REC_STRIDE + R_SERVER]!;
      if (onlyIfRoom) {
        const h = this.findSeat(zone);
        if (h >= 0) {
          const e = this.entry;
          this.detach(r);
          releaseSeat(this.t, old);
          this.link(r, zone, e, h);
          this.events.push(player, old, h, zone, reason);
        }
      } else {
        this.detach(r);
        releaseSeat(this.t, old);
        const h = this.findSeat(zone);
        if (h >= 0) {
          this.link(r, zone, this.entry, h);
          this.events.push(player, old, h, zone, reason);
        } else if (this.queueOn && this.enqueue(r, zone)) {
          this.events.push(player, old, NO_SERVER, zone, reason);
        } else {
          this.freeRecord(r);
          this.events.push(player, old, NO_SERVER, zone, Reason.Lost);
        }
      }
      r = next;
    }
  }

  /** Players of this shard seated on a server. */
  playersOn(slot: number): number[] {
    const out: number[] = [];
    const s = this.s;
    for (let r = s.serverHead[slot]!; r >= 0; r = s.records[r * REC_STRIDE + R_NEXT]!) {
      if (s.records[r * REC_STRIDE + R_STATE] === PlayerState.Active) out.push(s.records[r * REC_STRIDE + R_PLAYER]! >>> 0);
    }
    return out;
  }

  /** Where a player is, as seen by this shard (for inspection and tests). */
  locate(player: number): { state: number; zone: number; server: number } | undefined {
    const r = findPlayer(this.s, player);
    if (r < 0) return undefined;
    return { state: this.s.records[r * REC_STRIDE + R_STATE]!, zone: this.s.records[r * REC_STRIDE + R_ZONE]!, server: this.s.records[r * REC_STRIDE + R_SERVER]! };
  }

  /** Servers hosting a zone owned by this shard, with the zone's players on each. */
  zoneServers(zone: number): { server: number; players: number; open: boolean }[] {
    const out: { server: number; players: number; open: boolean }[] = [];
    const s = this.s;
    for (let e = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
      out.push({ server: s.entries[e * ENT_STRIDE + E_SERVER]!, players: s.entries[e * ENT_STRIDE + E_COUNT]!, open: s.entries[e * ENT_STRIDE + E_OPEN] === 1 });
    }
    return out;
  }

  /** Zones this shard owns that have servers, with their split. */
  listZones(): { zone: number; population: number; servers: { server: number; players: number; open: boolean }[] }[] {
    const out = [];
    for (let zone = 0; zone < this.maxZones; zone++) {
      if (this.z.rows[zone * ZONE_STRIDE + Z_HEAD]! < 0 || !this.ownsZone(zone)) continue;
      const servers = this.zoneServers(zone);
      out.push({ zone, population: servers.reduce((a, x) => a + x.players, 0), servers });
    }
    return out;
  }

  /** After a repair: find the split zones again (the set lives in worker memory). */
  restoreSplitZones(): void {
    this.splitZones.clear();
    for (let zone = 0; zone < this.maxZones; zone++) {
      if (this.z.rows[zone * ZONE_STRIDE + Z_ENTRIES]! > 1 && this.ownsZone(zone)) this.splitZones.add(zone);
    }
  }

  queuedCount(): number {
    return Atomics.load(this.s.counters, ShardCounter.queued);
  }
}
