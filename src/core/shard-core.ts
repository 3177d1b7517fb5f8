import { NO_SERVER, Op, Reason, Status, ServerState, handleGeneration, handleSlot, serverHandle } from './codes.ts';
import * as L from './layout.ts';
import {
  ENT_STRIDE,
  E_COUNT,
  E_NEXT,
  E_OPEN,
  E_RESERVED,
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
  Z_HOT_RESERVE,
  Z_HOT_SERVERS,
  Z_JOINS,
  Z_OPEN,
  Z_POPULATION,
  Z_PRIMARY,
  ZoneChange,
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
import { findPlayer, homeSlot, insertPlayer, removePlayer } from './player-directory.ts';
import { acceptsJoins, isAlive, releaseSeat, takeSeat } from './seats.ts';
import { EMPTY_RING, ringStart, type Ring } from './ring.ts';
import { mix32, zoneShard } from './hash.ts';
import { EventLog } from './event-log.ts';
import { pushZoneEvent } from './zone-event-ring.ts';
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

/**
 * Requests warmed (see ShardCore.warm) and then answered together: enough for the CPU to
 * overlap their cache misses, few enough that the lines touched (about 4 per request) stay
 * in the L1 cache until they are used.
 */
export const WARM_CHUNK = 32;

/** One server of a zone, as listed for inspection. */
export interface ZoneServerRow {
  server: number;
  players: number;
  open: boolean;
  /** Seats held for the zone as a hot zone and not yet used. */
  reserved: number;
}

export interface ZoneRow {
  zone: number;
  population: number;
  servers: ZoneServerRow[];
  /** The zone's hot-zone plan, or null. */
  hot: { servers: number; reserve: number } | null;
}

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
  /** Hot zones this shard owns (plan in their zone rows), kept up on each tick. */
  readonly hotZones = new Set<number>();
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
  /** The arrays the join path reads, held directly: one load each instead of two. */
  private readonly dir: Int32Array;
  private readonly dirMask: number;
  private readonly rec: Int32Array;
  private readonly ent: Int32Array;
  private readonly rows: Int32Array;
  /** What warm() read: kept in a field so that the compiler cannot drop the loads. */
  warmth = 0;

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
    this.dir = this.s.directory;
    this.dirMask = this.s.directoryMask;
    this.rec = this.s.records;
    this.ent = this.s.entries;
    this.rows = this.z.rows;
  }

  ownsZone(zone: number): boolean {
    return zoneShard(zone, this.shards) === this.index;
  }

  // ---------------------------------------------------------------------------------------
  // Batches

  /** Answers requests [from, to) of a batch in place. */
  processBatch(b: Batch, from: number, to: number, now: number, batchNumber: number): void {
    this.batchNumber = batchNumber;
    this.answer(b.ops, b.players, b.zones, b.from, b.carry, b.status, b.server, b.position, from, to, now);
    this.batchNumber = 0;
    this.requestIndex = -1;
  }

  /**
   * Answers requests [from, to) in place: status, server and position, and in `fromZones`
   * (when given) the zone a handed-off player came from. Without `fromZones` and `carries`
   * only client ops are taken (the hand-off ops are internal to the sharded engine).
   *
   * The steady join (a new player, a zone on one open server with room) is answered here, in
   * the loop, with every array in a local: it is most of the traffic, and at this rate calls
   * and repeated field loads cost more than the work. Everything else goes through apply().
   * It has the same effects as placeNew would on that path.
   */
  answer(
    ops: Uint8Array,
    players: Uint32Array,
    zones: Uint32Array,
    fromZones: Int32Array | null,
    carries: Int32Array | null,
    status: Uint8Array,
    server: Int32Array,
    position: Uint32Array,
    from: number,
    to: number,
    now: number,
  ): void {
    // The layout's constants as locals, under their own names. An imported binding is live:
    // Node 20's optimising compiler re-reads it through its module cell, with a hole check, at
    // every use; a local is a register. Measured: ~1.3x on this loop.
    const { ZONE_STRIDE, Z_HEAD, Z_HOT_SERVERS, Z_POPULATION, Z_JOINS, ENT_STRIDE, E_NEXT, E_OPEN, E_SERVER, E_COUNT } = L;
    const { REC_STRIDE, R_PLAYER, R_SERVER, R_ENTRY, R_ZONE, R_PREV, R_NEXT, R_STATE, EMPTY_KEY, MAX_PLAYER_ID } = L;
    const FREE_RECORDS = L.ShardCounter.freeRecords;
    const RECORD_HIGH = L.ShardCounter.recordHigh;
    const BATCH_DONE = L.ShardCounter.batchDone;
    const ACTIVE_PLAYER = L.PlayerState.Active;
    const ACTIVE_SERVER = ServerState.Active;
    const JOIN = Op.Join;
    const OK = Status.Ok;
    const s = this.s;
    const t = this.t;
    const c = s.counters;
    const dir = this.dir;
    const mask = this.dirMask;
    const rec = this.rec;
    const ent = this.ent;
    const rows = this.rows;
    const freeRecord = s.freeRecord;
    const serverHead = s.serverHead;
    const serverSeats = s.serverSeats;
    const generation = t.generation;
    const state = t.state;
    const count = t.count;
    const limit = t.limit;
    const recordCapacity = s.recordCapacity;
    const maxZones = this.maxZones;
    const oneShard = this.shards === 1;
    for (let chunk = from; chunk < to; chunk += WARM_CHUNK) {
      const end = Math.min(to, chunk + WARM_CHUNK);
      this.warm(players, zones, chunk, end);
      for (let i = chunk; i < end; i++) {
        const op = ops[i]!;
        const player = players[i]!;
        const zone = zones[i]!;
        steady: if (op === JOIN && zone < maxZones && player <= MAX_PLAYER_ID && (oneShard || this.ownsZone(zone))) {
          const key = player | 0;
          let at = homeSlot(player, mask);
          for (;;) {
            const k = dir[at << 1]!;
            if (k === EMPTY_KEY) break;
            if (k === key) break steady; // known player: apply() decides
            at = (at + 1) & mask;
          }
          const zb = zone * ZONE_STRIDE;
          const head = rows[zb + Z_HEAD]!;
          // A hot zone takes its reserved seats first: not this path (same cache line as the head).
          if (head < 0 || rows[zb + Z_HOT_SERVERS] !== 0) break steady;
          const eb = head * ENT_STRIDE;
          if (ent[eb + E_NEXT] !== -1 || ent[eb + E_OPEN] !== 1) break steady;
          const h = ent[eb + E_SERVER]!;
          const slot = h & 0xffff; // handleSlot, handleGeneration (codes.ts)
          // Plain reads of the server table: see seats.ts.
          if (generation[slot] !== ((h >>> 16) & 0x7fff) || state[slot] !== ACTIVE_SERVER) break steady;
          const free = c[FREE_RECORDS]!;
          // The record: the top of the free stack (freed last, so likely in cache), or a new one.
          const r = free > 0 ? freeRecord[free - 1]! : c[RECORD_HIGH]!;
          if (r >= recordCapacity) break steady;
          // The seat, as takeSeat() takes it: CAS of the count against the limit.
          let seen = count[slot]!;
          for (;;) {
            if (seen >= limit[slot]!) break steady;
            const found = Atomics.compareExchange(count, slot, seen, seen + 1);
            if (found === seen) break;
            seen = found;
          }
          if (free > 0) c[FREE_RECORDS] = free - 1;
          else c[RECORD_HIGH] = r + 1;
          // The record is complete before it turns Active: a worker dying earlier leaves a Free
          // record that repair drops (and the seat just taken counted once too often, never short).
          const rb = r * REC_STRIDE;
          rec[rb + R_PLAYER] = key;
          rec[rb + R_SERVER] = h;
          rec[rb + R_ENTRY] = head;
          rec[rb + R_ZONE] = zone;
          const first = serverHead[slot]!;
          rec[rb + R_PREV] = -1;
          rec[rb + R_NEXT] = first;
          rec[rb + R_STATE] = ACTIVE_PLAYER;
          dir[at << 1] = key;
          dir[(at << 1) + 1] = r;
          ent[eb + E_COUNT]! += 1;
          rows[zb + Z_POPULATION]! += 1;
          rows[zb + Z_JOINS]! += 1;
          if (first >= 0) rec[first * REC_STRIDE + R_PREV] = r;
          serverHead[slot] = r;
          serverSeats[slot]! += 1;
          this.seatsSinceTick++;
          status[i] = OK;
          server[i] = h;
          position[i] = 0;
          if (fromZones !== null) fromZones[i] = -1;
          // A plain store: it is read only after this thread has exited (the exit is the fence).
          c[BATCH_DONE] = i + 1;
          continue;
        }
        this.requestIndex = i;
        if (carries === null) {
          status[i] = op === Op.Join || op === Op.Leave || op === Op.Move ? this.apply(op, player, zone, -1, NO_SERVER, now) : Status.Invalid;
        } else {
          status[i] = this.apply(op, player, zone, fromZones![i]!, carries[i]!, now);
          fromZones![i] = this.fromZone;
        }
        server[i] = this.server;
        position[i] = this.position;
        c[BATCH_DONE] = i + 1;
      }
    }
  }

  /**
   * Touch what requests [from, to) will read first (directory lines, zone rows, then the
   * players' records and the zones' first entries) before answering them. These loads do not
   * depend on each other, so the CPU overlaps their cache misses: answered one by one, each
   * request waits for its misses in turn, and the seat's compare-and-swap (a full fence on
   * x86) keeps the next request's loads from starting early. Changes nothing.
   */
  warm(players: Uint32Array, zones: Uint32Array, from: number, to: number): void {
    const { ZONE_STRIDE, Z_HEAD, ENT_STRIDE, E_SERVER, REC_STRIDE, R_STATE } = L; // see answer()
    const dir = this.dir;
    const mask = this.dirMask;
    const rows = this.rows;
    const maxZones = this.maxZones;
    let x = 0;
    for (let i = from; i < to; i++) {
      x ^= dir[homeSlot(players[i]!, mask) << 1]!;
      const zone = zones[i]!;
      if (zone < maxZones) x ^= rows[zone * ZONE_STRIDE + Z_HEAD]!;
    }
    const rec = this.rec;
    const ent = this.ent;
    for (let i = from; i < to; i++) {
      const player = players[i]!;
      const at = homeSlot(player, mask) << 1;
      if (dir[at] === (player | 0)) x ^= rec[dir[at + 1]! * REC_STRIDE + R_STATE]!;
      const zone = zones[i]!;
      if (zone < maxZones) {
        const head = rows[zone * ZONE_STRIDE + Z_HEAD]!;
        if (head >= 0) x ^= ent[head * ENT_STRIDE + E_SERVER]!;
      }
    }
    this.warmth = x;
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
    if (r < 0) return this.placeNew(player, zone);
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
      // It re-queues (or is placed) in the zone's own shard, as a fresh join.
      this.rememberHandOff(player);
      this.unqueued();
      this.freeRecord(r);
      return HANDOFF;
    }
    if (st === PlayerState.Reserved && op === Op.Move) return Status.NotFound;
    if (st === PlayerState.Reserved) this.position = target | HANDOFF_RECONNECT;
    this.fromZone = s.records[base + R_ZONE]!;
    this.learn(this.fromZone, zone);
    const h = this.detach(r);
    this.server = h;
    this.rememberHandOff(player);
    // The seat leaves this shard's share before the record goes: a worker dying in between
    // keeps the record (the replay hands it off again) and errs by one seat taken, never one
    // seat short (shard-repair.ts).
    s.serverSeats[handleSlot(h)]! -= 1;
    this.freeRecord(r);
    return HANDOFF;
  }

  /** Remember this request's answer before forgetting the player: see ShardCounter.handoffBatch. */
  private rememberHandOff(player: number): void {
    if (this.batchNumber === 0) return;
    const c = this.s.counters;
    c[ShardCounter.handoffBatch] = this.batchNumber;
    c[ShardCounter.handoffIndex] = this.requestIndex;
    c[ShardCounter.handoffPlayer] = player | 0;
    c[ShardCounter.handoffCarry] = this.server;
    c[ShardCounter.handoffFrom] = this.fromZone;
    c[ShardCounter.handoffTarget] = this.position;
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
      // Already here: this very attach ran before a worker died and was sent again (the
      // coordinator holds a player's other requests until its hand-off is answered). The first
      // run used the carried seat or gave it back; either way it is not ours to release again.
      const st = s.records[r * REC_STRIDE + R_STATE];
      if (st === PlayerState.Queued) {
        this.position = this.queuePosition(r);
        return Status.Queued;
      }
      this.server = s.records[r * REC_STRIDE + R_SERVER]!;
      return op === InternalOp.AttachJoin && this.server === carry ? Status.Reconnected : Status.Ok;
    }
    if (carry === NO_SERVER) return this.placeNew(player, zone);
    r = this.allocRecord(player);
    if (r < 0) {
      // No room for its record here: it goes back where it came from, seat and all.
      this.server = carry;
      this.fromZone = fromZone;
      return BOUNCE;
    }
    // The record holds the carried seat from here on, in this shard's share: a worker dying
    // before the attach completes leaves a player repair keeps (in `zone`, on `carry`), and the
    // replay finds it "already here". Record first, share second: at worst one seat too many.
    s.records[r * REC_STRIDE + R_STATE] = PlayerState.Active;
    s.records[r * REC_STRIDE + R_ZONE] = zone;
    s.records[r * REC_STRIDE + R_SERVER] = carry;
    s.serverSeats[handleSlot(carry)]! += 1;
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
      this.z.rows[zone * ZONE_STRIDE + Z_JOINS]! += 1;
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
    // A hot zone's joins wait in line whenever there is a line, even with whenFull 'refuse'.
    const queue = this.queueOn || (this.queueLimit > 0 && this.z.rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] !== 0);
    if (queue && this.enqueue(r, zone)) return Status.Queued;
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
          this.linkHeld(r, zone, e, carry);
          this.server = carry;
          return Status.Ok;
        }
      }
    }
    let h = this.seatInZone(zone);
    if (h < 0 && carryOk) {
      const e = this.newEntry(zone, carry);
      if (e >= 0) {
        this.linkHeld(r, zone, e, carry);
        this.server = carry;
        return Status.Ok;
      }
    }
    if (h < 0) h = this.overflow(zone);
    if (h < 0 && carry !== NO_SERVER && isAlive(this.t, carry)) {
      // Nowhere else to go, but its seat (on a draining server) still stands: keep it there.
      const e = this.newEntry(zone, carry);
      if (e >= 0) {
        this.linkHeld(r, zone, e, carry);
        this.server = carry;
        return Status.Ok;
      }
    }
    if (h < 0) return Status.Full;
    // New seat first, old seat last: a worker dying in between leaves the record on one of
    // the two, and the other seat counted in this shard's share only while it is still taken.
    this.link(r, zone, this.entry, h);
    if (carry !== NO_SERVER) this.giveBack(carry);
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
    if (this.z.rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] !== 0) {
      const h = this.takeReserved(zone);
      if (h >= 0) return h;
    }
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
        pushZoneEvent(s, zone, ZoneChange.split, z.rows[zone * ZONE_STRIDE + Z_OPEN]!);
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

  /** Count a record in a zone entry and in its server's list, with a seat just taken on `h`. */
  private link(r: number, zone: number, e: number, h: number): void {
    this.linkHeld(r, zone, e, h);
    this.s.serverSeats[handleSlot(h)]! += 1;
  }

  /**
   * Count a record in a zone entry and in its server's list, with a seat already in this
   * shard's share (`serverSeats`): the record's own seat, carried through a move.
   */
  private linkHeld(r: number, zone: number, e: number, h: number): void {
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
  }

  /**
   * Undo linkHeld(); the seat stays taken and in this shard's share (`serverSeats`) until
   * giveBack() or a hand-off. Returns the handle of the seat it holds.
   */
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
    // R_SERVER and R_ZONE stay as they were until link() rewrites them: if the worker dies
    // between the two halves of a move, repair finds the player where it was, seat and all,
    // and the seat is still in the share, so the repair counts it exactly once.
    this.z.rows[zone * ZONE_STRIDE + Z_POPULATION]! -= 1;
    s.entries[e * ENT_STRIDE + E_COUNT]! -= 1;
    if (s.entries[e * ENT_STRIDE + E_COUNT] === 0 && !this.keepsEmptyEntry(zone, e)) this.removeEntry(zone, e);
    return h;
  }

  /** Release a player completely: its zone entry, its seat, its record. */
  private releaseRecord(r: number): void {
    this.giveBack(this.detach(r));
    this.seatsSinceTick--;
    this.freeRecord(r);
  }

  /**
   * Give back a seat of this shard's share. The share drops first: a worker dying in between
   * leaves the seat counted once too often (repair re-adds the difference), never once too few.
   */
  private giveBack(h: number): void {
    this.s.serverSeats[handleSlot(h)]! -= 1;
    releaseSeat(this.t, h);
  }

  /** A detached record found no place: give its seat back and queue or drop it. */
  private dropFloating(r: number, carry: number, zone: number): void {
    if (carry !== NO_SERVER) this.giveBack(carry);
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
    s.entries[e * ENT_STRIDE + E_RESERVED] = 0;
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
    const open = (z.rows[zone * ZONE_STRIDE + Z_OPEN]! += 1);
    if (z.rows[zone * ZONE_STRIDE + Z_ENTRIES] === 2) this.splitZones.add(zone);
    // A zone's first server is not a split.
    if (open > 1) pushZoneEvent(s, zone, ZoneChange.split, open);
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
    const openBefore = z.rows[zone * ZONE_STRIDE + Z_OPEN]!;
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
    // An open server left the zone (its last player went, or the server died): one fewer open.
    // A closing server leaving changes nothing here: its merge was counted when it closed.
    const openAfter = z.rows[zone * ZONE_STRIDE + Z_OPEN]!;
    if (openAfter < openBefore && openAfter > 0) pushZoneEvent(s, zone, ZoneChange.merged, openAfter);
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
  // Hot zones (the plan lives in the zone row, so a respawned worker finds it again)

  /**
   * Mitigation for a zone whose joins surge. With `servers` > 0: the zone is pre-split across
   * up to `servers` servers with room (picked as an overflow picks: neighbours' servers, the
   * bounded-load ring, the room list), its joins are spread over them by weight, `reserve`
   * seats are held for it (taken with the seat CAS, so never past a server's limit; other
   * zones cannot take them, its own joins use them first), and when nothing is left its joins
   * queue with a position (even with whenFull 'refuse'). The plan is kept up on every tick.
   * With `servers` = 0 the plan is lifted: unused reserved seats are released, servers the
   * zone holds no player on leave it at once, and the rest merge back by the usual rule.
   */
  setHotZone(zone: number, servers: number, reserve: number): void {
    if (zone >= this.maxZones || !this.ownsZone(zone)) return;
    const rows = this.z.rows;
    if (servers <= 0) {
      if (rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] !== 0) this.liftHotZone(zone);
      return;
    }
    rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] = servers;
    rows[zone * ZONE_STRIDE + Z_HOT_RESERVE] = reserve;
    this.hotZones.add(zone);
    this.keepHotZone(zone);
  }

  private liftHotZone(zone: number): void {
    const s = this.s;
    const rows = this.z.rows;
    rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] = 0;
    rows[zone * ZONE_STRIDE + Z_HOT_RESERVE] = 0;
    this.hotZones.delete(zone);
    for (let e = rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; ) {
      const next = s.entries[e * ENT_STRIDE + E_NEXT]!;
      this.releaseReserved(e, s.entries[e * ENT_STRIDE + E_RESERVED]!);
      if (s.entries[e * ENT_STRIDE + E_COUNT] === 0) this.removeEntry(zone, e);
      e = next;
    }
  }

  /**
   * Bring a hot zone to its plan: give back reserved seats it cannot use (server no longer
   * taking players, limit lowered under the count, plan lowered), re-open servers it was
   * leaving, grow onto more servers until `servers` are open, then top up the reserve.
   */
  private keepHotZone(zone: number): void {
    const s = this.s;
    const t = this.t;
    const rows = this.z.rows;
    const zb = zone * ZONE_STRIDE;
    const servers = rows[zb + Z_HOT_SERVERS]!;
    const reserve = rows[zb + Z_HOT_RESERVE]!;
    let held = 0;
    for (let e = rows[zb + Z_HEAD]!; e >= 0; ) {
      const b = e * ENT_STRIDE;
      const next = s.entries[b + E_NEXT]!;
      const h = s.entries[b + E_SERVER]!;
      if (!acceptsJoins(t, h)) {
        this.releaseReserved(e, s.entries[b + E_RESERVED]!);
        if (s.entries[b + E_COUNT] === 0) this.removeEntry(zone, e);
      } else {
        const slot = handleSlot(h);
        const over = Atomics.load(t.count, slot) - Atomics.load(t.limit, slot);
        if (over > 0) this.releaseReserved(e, Math.min(over, s.entries[b + E_RESERVED]!));
        if (s.entries[b + E_OPEN] !== 1) {
          s.entries[b + E_OPEN] = 1;
          rows[zb + Z_OPEN]! += 1;
          pushZoneEvent(s, zone, ZoneChange.split, rows[zb + Z_OPEN]!);
        }
        held += s.entries[b + E_RESERVED]!;
      }
      e = next;
    }
    for (let e = rows[zb + Z_HEAD]!; e >= 0 && held > reserve; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
      const n = Math.min(held - reserve, s.entries[e * ENT_STRIDE + E_RESERVED]!);
      this.releaseReserved(e, n);
      held -= n;
    }
    while (rows[zb + Z_OPEN]! < servers) {
      const h = this.overflow(zone);
      if (h < 0) break;
      // The seat the overflow took starts the new server's share of the reserve, if one is due.
      if (held < reserve) {
        this.holdReserved(this.entry, h);
        held++;
      } else {
        releaseSeat(t, h);
      }
    }
    while (held < reserve && this.reserveOne(zone)) held++;
  }

  /** Take one more reserved seat for a hot zone on its open server lowest in (players + reserve) per weight. */
  private reserveOne(zone: number): boolean {
    const s = this.s;
    const t = this.t;
    const head = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!;
    const stamp = this.nextStamp();
    for (;;) {
      let best = -1;
      let bestKey = Infinity;
      for (let e = head; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
        const b = e * ENT_STRIDE;
        if (s.entries[b + E_OPEN] !== 1) continue;
        const h = s.entries[b + E_SERVER]!;
        const slot = handleSlot(h);
        if (this.tried[slot] === stamp || !acceptsJoins(t, h)) continue;
        if (Atomics.load(t.count, slot) >= Atomics.load(t.limit, slot)) continue;
        const key = (s.entries[b + E_COUNT]! + s.entries[b + E_RESERVED]!) / t.weight[slot]!;
        if (key < bestKey) {
          bestKey = key;
          best = e;
        }
      }
      if (best < 0) return false;
      const h = s.entries[best * ENT_STRIDE + E_SERVER]!;
      if (takeSeat(t, handleSlot(h))) {
        this.holdReserved(best, h);
        return true;
      }
      this.tried[handleSlot(h)] = stamp;
    }
  }

  /** A seat just taken on `h` becomes a reserved seat of entry `e` (this shard's share). */
  private holdReserved(e: number, h: number): void {
    // Share first: a worker dying between the two leaves repair a share it gives back,
    // never a reserve it would count on top of the seat (see repairShard).
    this.s.serverSeats[handleSlot(h)]! += 1;
    this.s.entries[e * ENT_STRIDE + E_RESERVED]! += 1;
  }

  /** Give back `n` of entry `e`'s reserved seats. */
  private releaseReserved(e: number, n: number): void {
    if (n <= 0) return;
    const s = this.s;
    const h = s.entries[e * ENT_STRIDE + E_SERVER]!;
    const slot = handleSlot(h);
    s.entries[e * ENT_STRIDE + E_RESERVED]! -= n;
    // As releaseSeat: a reused slot's count and share belong to the new server, not to us.
    if (Atomics.load(this.t.generation, slot) !== handleGeneration(h)) return;
    s.serverSeats[slot]! -= n;
    Atomics.sub(this.t.count, slot, n);
  }

  /**
   * A join of a hot zone takes a reserved seat if one is held on an open server still taking
   * players: the one with the fewest zone players per weight, so the zone fills evenly.
   */
  private takeReserved(zone: number): number {
    const s = this.s;
    const t = this.t;
    let best = -1;
    let bestKey = Infinity;
    for (let e = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
      const b = e * ENT_STRIDE;
      if (s.entries[b + E_RESERVED] === 0 || s.entries[b + E_OPEN] !== 1) continue;
      const h = s.entries[b + E_SERVER]!;
      const slot = handleSlot(h);
      // Over its limit (lowered since): the reserve there is shed at the next tick instead.
      if (!acceptsJoins(t, h) || Atomics.load(t.count, slot) > Atomics.load(t.limit, slot)) continue;
      const key = s.entries[b + E_COUNT]! / t.weight[slot]!;
      if (key < bestKey) {
        bestKey = key;
        best = e;
      }
    }
    if (best < 0) return -1;
    const h = s.entries[best * ENT_STRIDE + E_SERVER]!;
    // The seat is already counted on the server and in this shard's share: it passes to the
    // player, and link() counts it in the share again.
    s.entries[best * ENT_STRIDE + E_RESERVED]! -= 1;
    s.serverSeats[handleSlot(h)]! -= 1;
    this.entry = best;
    return h;
  }

  /** A hot zone keeps a server it holds no player on while that server takes players or holds its reserve. */
  private keepsEmptyEntry(zone: number, e: number): boolean {
    if (this.z.rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] === 0) return false;
    return this.s.entries[e * ENT_STRIDE + E_RESERVED]! > 0 || acceptsJoins(this.t, this.s.entries[e * ENT_STRIDE + E_SERVER]!);
  }

  /** A server is being emptied: a hot zone gives back its reserve there and drops it if empty. */
  private leaveServer(zone: number, slot: number): void {
    const s = this.s;
    for (let e = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; ) {
      const next = s.entries[e * ENT_STRIDE + E_NEXT]!;
      if (handleSlot(s.entries[e * ENT_STRIDE + E_SERVER]!) === slot) {
        this.releaseReserved(e, s.entries[e * ENT_STRIDE + E_RESERVED]!);
        if (s.entries[e * ENT_STRIDE + E_COUNT] === 0) this.removeEntry(zone, e);
      }
      e = next;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Background work (ticks and control-plane commands)

  /** Expire reservations, admit queued players, close servers of zones that shrank. */
  tick(now: number): void {
    this.seatsSinceTick = 0;
    this.expire(now);
    // Hot zones first: their reserves are topped up before the line takes the free seats.
    for (const zone of this.hotZones) this.keepHotZone(zone);
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
        this.z.rows[zone * ZONE_STRIDE + Z_JOINS]! += 1;
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
      // A hot zone stays split as planned; it merges by this same rule once lifted.
      if (z.rows[zone * ZONE_STRIDE + Z_OPEN]! <= 1 || z.rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] !== 0) continue;
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
        pushZoneEvent(s, zone, ZoneChange.merged, z.rows[zone * ZONE_STRIDE + Z_OPEN]!);
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
    // Hot zones' reserved seats there are of no use now, and their empty entries must go.
    for (const zone of this.hotZones) this.leaveServer(zone, slot);
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
          this.link(r, zone, e, h);
          this.giveBack(old);
          this.events.push(player, old, h, zone, reason);
        }
      } else {
        this.detach(r);
        this.giveBack(old);
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

  /** Servers hosting a zone owned by this shard, with the zone's players (and hot-zone reserve) on each. */
  zoneServers(zone: number): ZoneServerRow[] {
    const out: ZoneServerRow[] = [];
    const s = this.s;
    for (let e = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
      const b = e * ENT_STRIDE;
      out.push({ server: s.entries[b + E_SERVER]!, players: s.entries[b + E_COUNT]!, open: s.entries[b + E_OPEN] === 1, reserved: s.entries[b + E_RESERVED]! });
    }
    return out;
  }

  /** Zones this shard owns that have servers, with their split. */
  listZones(): ZoneRow[] {
    const out: ZoneRow[] = [];
    const rows = this.z.rows;
    for (let zone = 0; zone < this.maxZones; zone++) {
      if (rows[zone * ZONE_STRIDE + Z_HEAD]! < 0 || !this.ownsZone(zone)) continue;
      const servers = this.zoneServers(zone);
      const hotServers = rows[zone * ZONE_STRIDE + Z_HOT_SERVERS]!;
      const hot = hotServers === 0 ? null : { servers: hotServers, reserve: rows[zone * ZONE_STRIDE + Z_HOT_RESERVE]! };
      out.push({ zone, population: servers.reduce((a, x) => a + x.players, 0), servers, hot });
    }
    return out;
  }

  /** After a repair: find the split zones again (the set lives in worker memory). */
  restoreSplitZones(): void {
    this.splitZones.clear();
    this.hotZones.clear();
    for (let zone = 0; zone < this.maxZones; zone++) {
      if (!this.ownsZone(zone)) continue;
      if (this.z.rows[zone * ZONE_STRIDE + Z_ENTRIES]! > 1) this.splitZones.add(zone);
      if (this.z.rows[zone * ZONE_STRIDE + Z_HOT_SERVERS]! !== 0) this.hotZones.add(zone);
    }
  }

  queuedCount(): number {
    return Atomics.load(this.s.counters, ShardCounter.queued);
  }
}
