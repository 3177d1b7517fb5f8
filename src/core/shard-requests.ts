import { NO_SERVER, Op, Status, handleSlot } from './codes.ts';
import {
  REC_STRIDE,
  R_PLAYER,
  R_SERVER,
  R_STAMP,
  R_STATE,
  R_ZONE,
  ZONE_STRIDE,
  Z_HOT_SERVERS,
  Z_JOINS,
  MAX_PLAYER_ID,
  PlayerState,
  ShardCounter,
  FleetField,
  noteZoneUsed,
} from './layout.ts';
import { findPlayer } from './player-directory.ts';
import { acceptsJoins, overLimit } from './seats.ts';
import { zoneShard } from './hash.ts';
import { ShardUpkeep } from './shard-upkeep.ts';

/** Internal ops: the second half of a move or join whose zone belongs to another shard. */
export const InternalOp = {
  /** Place a moving player that carries a seat (`carry`) in `zone`. */
  AttachMove: 5,
  /** Same for a join of a player that held a reconnect reservation. */
  AttachJoin: 6,
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

/**
 * The answer to each request (join, leave, move and the hand-offs between shards), one at a
 * time. Returns a Status and leaves the server handle and place in line in `server` and
 * `position`, so nothing is allocated per request.
 */
export class ShardRequests extends ShardUpkeep {
  /** Number of the batch being answered (0 outside batches) and the request's index in it. */
  protected batchNumber = 0;
  protected requestIndex = -1;

  apply(op: number, player: number, zone: number, fromZone: number, carry: number, now: number): number {
    this.server = NO_SERVER;
    this.position = 0;
    this.fromZone = -1;
    if (player > MAX_PLAYER_ID) return Status.Invalid;
    if (op === Op.Leave || op === Op.Quit) return this.leave(player, now, op === Op.Leave);
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
    this.position = this.line.place(r);
    return Status.Queued;
  }

  /**
   * A player leaves; `hold`: keep its seat for the reconnect window (Leave), or not (Quit).
   * ShardCore.answer has this path's common case written out in its batch loop: keep the two alike.
   */
  leave(player: number, now: number, hold = true): number {
    const s = this.s;
    const r = findPlayer(s, player);
    if (r < 0) return Status.NotFound;
    const st = s.records[r * REC_STRIDE + R_STATE];
    if (st === PlayerState.Queued) {
      this.line.remove(r);
      this.freeRecord(r);
      return Status.Ok;
    }
    this.server = s.records[r * REC_STRIDE + R_SERVER]!;
    // A quit after a leave frees the held seat; its expiry entry goes stale (stamp) and is skipped.
    if (st === PlayerState.Reserved) {
      if (!hold) this.releaseRecord(r);
      return Status.Ok;
    }
    if (!hold || this.reconnectMs <= 0) {
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
    s.serverHeld[handleSlot(this.server)]! += 1;
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
      this.position = this.line.place(r);
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
  protected handOff(op: number, player: number, zone: number): number {
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
      this.line.remove(r);
      this.freeRecord(r);
      return HANDOFF;
    }
    if (st === PlayerState.Reserved && op === Op.Move) return Status.NotFound;
    if (st === PlayerState.Reserved && overLimit(this.t, s.records[base + R_SERVER]!)) {
      // Its held seat is past the server's lowered limit (see reconnect): given back here, and
      // the other shard places the player from scratch.
      this.rememberHandOff(player);
      this.releaseRecord(r);
      return HANDOFF;
    }
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
    if (st === PlayerState.Reserved) s.serverHeld[handleSlot(h)]! -= 1;
    this.freeRecord(r);
    return HANDOFF;
  }

  /** Remember this request's answer before forgetting the player: see ShardCounter.handoffBatch. */
  protected rememberHandOff(player: number): void {
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
  protected replayedHandOff(player: number): boolean {
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

  protected reconnect(r: number, zone: number, _now: number): number {
    const s = this.s;
    const h = s.records[r * REC_STRIDE + R_SERVER]!;
    // The held seat is honoured while the server is within its limit. A reservation holds a
    // seat but no usage, so a heartbeat can lower the limit below the seats held; the player's
    // return would then fill the server past its limit, and it is placed afresh instead.
    if (acceptsJoins(this.t, h) && !overLimit(this.t, h)) {
      s.records[r * REC_STRIDE + R_STATE] = PlayerState.Active;
      s.serverHeld[handleSlot(h)]! -= 1;
      const st = s.records[r * REC_STRIDE + R_ZONE] === zone ? Status.Ok : this.moveRecord(r, zone);
      if (st === Status.Ok && this.server === NO_SERVER) this.server = h;
      return st === Status.Ok && this.server === h ? Status.Reconnected : st;
    }
    // Its old server no longer takes players, or not this many: give the seat back and place it afresh.
    const player = s.records[r * REC_STRIDE + R_PLAYER]! >>> 0;
    this.releaseRecord(r);
    return this.placeNew(player, zone);
  }

  /**
   * Move a record this shard holds to a zone this shard owns. ShardCore.answer writes out its
   * common case: keep the two alike.
   */
  protected moveRecord(r: number, zone: number): number {
    const s = this.s;
    this.learn(s.records[r * REC_STRIDE + R_ZONE]!, zone);
    const carry = this.detach(r);
    s.records[r * REC_STRIDE + R_STATE] = PlayerState.Active;
    const st = this.attach(r, zone, carry);
    if (st !== Status.Ok) this.dropFloating(r, carry, zone);
    return st;
  }

  /** Second half of a hand-off: a player arriving from another shard with a seat. */
  protected attachCarried(op: number, player: number, zone: number, fromZone: number, carry: number): number {
    const s = this.s;
    if (fromZone >= 0) this.learn(zone, fromZone);
    let r = findPlayer(s, player);
    if (r >= 0) {
      // Already here: this very attach ran before a worker died and was sent again (the
      // coordinator holds a player's other requests until its hand-off is answered). The first
      // run used the carried seat or gave it back; either way it is not ours to release again.
      const st = s.records[r * REC_STRIDE + R_STATE];
      if (st === PlayerState.Queued) {
        this.position = this.line.place(r);
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

  /** A new player's seat. ShardCore.answer writes out its common case: keep the two alike. */
  protected placeNew(player: number, zone: number): number {
    const r = this.allocRecord(player);
    if (r < 0) return Status.Overloaded;
    // Nobody jumps the line: while players wait in it, a new player goes behind them, even if a
    // seat is free (the end of the batch, or the next tick, admits the line in order). Otherwise, in a
    // full world, newcomers would take every seat that opens and the line would never move.
    // A hot zone's joins are the exception: seats are held for them that nobody in line could
    // take (so they may also take a seat that opened, ahead of the line: a hot zone's crowd is
    // served first, as its plan intends).
    // (A plain read of the line's count: this thread is the one that writes it.)
    if (this.queueOn && this.s.counters[ShardCounter.queued] !== 0 && this.z.rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] === 0) return this.noSeat(r, zone);
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
  protected noSeat(r: number, zone: number): number {
    // Float64 fleet figures are written whole by the control plane; a stale read is harmless.
    if (this.t.fleet[FleetField.activeServers]! <= 0) {
      this.freeRecord(r);
      return Status.NoServers;
    }
    // A hot zone's joins wait in line whenever there is a line, even with whenFull 'refuse'.
    const queue = this.queueOn || (this.queueLimit > 0 && this.z.rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] !== 0);
    if (queue && this.enqueue(r, zone)) {
      // A join counts when asked for, seated or in line: a crowd into a full fleet is demand
      // the hot-zone detector and the forecaster must see, though no seat shows it yet (and
      // so the zone may have joins before it has ever had a server).
      noteZoneUsed(this.z, zone);
      this.z.rows[zone * ZONE_STRIDE + Z_JOINS]! += 1;
      return Status.Queued;
    }
    this.freeRecord(r);
    return Status.Full;
  }
}
