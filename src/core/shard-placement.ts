import { NO_SERVER, Status, ServerState, handleSlot, serverHandle } from './codes.ts';
import {
  ENT_STRIDE,
  E_COUNT,
  E_NEXT,
  E_OPEN,
  E_RESERVED,
  E_SERVER,
  ZONE_STRIDE,
  Z_ENTRIES,
  Z_HEAD,
  Z_HOT_SERVERS,
  Z_OPEN,
  Z_POPULATION,
  Z_PRIMARY,
  NEIGHBOUR_SLOTS,
  FleetField,
  GAINED_ROOM_SLOTS,
  TotalField,
} from './layout.ts';
import { acceptsJoins, isAlive, releaseSeat, takeSeat } from './seats.ts';
import { EMPTY_RING, ringStart, type Ring } from './ring.ts';
import { mix32 } from './hash.ts';
import type { ShardViews } from './shard-store.ts';
import { ShardZoneServers } from './shard-zone-servers.ts';
import type { EngineOptions } from './options.ts';

/** How many ring points an overflow looks at before falling back to the room list. */
const RING_PROBES = 32;
/** How many of a zone's configured neighbours an overflow (or a merge) looks at. */
const NEAR_SCAN = 16;

/**
 * Where a player goes (DESIGN.md, "Placement"): a seat on a server already hosting the zone,
 * the least filled by weight; else the zone grows onto a neighbour's server, the zone's
 * successors on the bounded-load ring, or the room list (and the servers that gained room
 * since it was refreshed). Each step takes its seat with the compare-and-swap of seats.ts
 * and looks at a bounded number of candidates. Shared state
 * (server table, room list, other shards' zone rows) is read plainly, as in seats.ts: every
 * read only picks a candidate, and the compare-and-swap decides.
 */
export class ShardPlacement extends ShardZoneServers {
  /** The weighted consistent-hash ring of active servers (published by the control plane). */
  ring: Ring = EMPTY_RING;
  /** Stamp per server slot: equal to `stamp` means "already tried or hosts the zone". */
  protected readonly tried: Int32Array;
  protected stamp = 0;
  protected roomCursor = 0;
  /** The zone's neighbours, as neighbourRange() last set them: nearList[nearFrom, nearTo). */
  protected nearList: Int32Array;
  protected nearFrom = 0;
  protected nearTo = 0;

  constructor(views: ShardViews, index: number, shards: number, options: EngineOptions) {
    super(views, index, shards, options);
    this.tried = new Int32Array(this.t.capacity);
    this.nearList = this.z.neighbourId;
  }

  /** Take a seat for a new player of `zone`; returns the handle (entry in this.entry) or -1. */
  findSeat(zone: number): number {
    const h = this.seatInZone(zone);
    return h >= 0 ? h : this.overflow(zone);
  }

  /**
   * A seat on one of the servers already hosting the zone: the open entry with the fewest
   * zone players relative to the server's weight, so a split zone fills its servers evenly;
   * with none, the server the zone is leaving that has the most (re-opened, see reopen), unless
   * `reopenClosed` is false.
   */
  protected seatInZone(zone: number, reopenClosed = true): number {
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
      return reopenClosed ? this.reopen(zone) : -1;
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
        if (t.count[slot]! >= t.limit[slot]!) continue;
        const key = s.entries[e * ENT_STRIDE + E_COUNT]! / t.weight[slot]!;
        if (key < bestKey) {
          bestKey = key;
          best = e;
        }
      }
      if (best < 0) return reopenClosed ? this.reopen(zone) : -1;
      const h = s.entries[best * ENT_STRIDE + E_SERVER]!;
      if (takeSeat(t, handleSlot(h))) {
        this.entry = best;
        return h;
      }
      this.tried[handleSlot(h)] = stamp; // lost the race for its last seat: try the next
    }
  }

  /**
   * A join of a hot zone takes a reserved seat if one is held on an open server still taking
   * players: the one with the fewest zone players per weight, so the zone fills evenly.
   */
  protected takeReserved(zone: number): number {
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
      if (!acceptsJoins(t, h) || t.count[slot]! > t.limit[slot]!) continue;
      const key = this.entryCount(zone, e) / t.weight[slot]!;
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
    s.serverHeld[handleSlot(h)]! -= 1;
    this.entry = best;
    return h;
  }

  /**
   * Before growing a merging zone onto a new server, re-open one it is leaving: the one with
   * the most zone players relative to weight, so the zone gathers on its best-filled servers
   * (as a merge keeps them) while the others empty. The loop mirrors seatInZone's; folded into
   * one helper the two measured 6-10 % slower on joins into a split zone.
   */
  protected reopen(zone: number): number {
    const s = this.s;
    const t = this.t;
    const z = this.z;
    if (z.rows[zone * ZONE_STRIDE + Z_OPEN] === z.rows[zone * ZONE_STRIDE + Z_ENTRIES]) return -1;
    const stamp = this.nextStamp();
    for (;;) {
      let best = -1;
      let bestKey = -1;
      for (let e = z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
        if (s.entries[e * ENT_STRIDE + E_OPEN] === 1) continue;
        const h = s.entries[e * ENT_STRIDE + E_SERVER]!;
        const slot = handleSlot(h);
        if (this.tried[slot] === stamp || !acceptsJoins(t, h)) continue;
        if (t.count[slot]! >= t.limit[slot]!) continue;
        const key = this.entryCount(zone, e) / t.weight[slot]!;
        if (key > bestKey) {
          bestKey = key;
          best = e;
        }
      }
      if (best < 0) return -1;
      const h = s.entries[best * ENT_STRIDE + E_SERVER]!;
      if (takeSeat(t, handleSlot(h))) {
        this.reopenEntry(zone, best);
        this.entry = best;
        return h;
      }
      this.tried[handleSlot(h)] = stamp; // lost the race for its last seat: try the next
    }
  }

  /**
   * Grow the zone onto a server that does not host it yet: first a server hosting neighbouring
   * zones (players walking across the border stay on the same server), then the zone's
   * successors on the weighted ring (stable as servers come and go), both within the
   * bounded-load cap; then the control plane's list of servers with the most room, and the
   * servers that gained room since that list was refreshed. Never a scan of the whole fleet.
   */
  protected overflow(zone: number): number {
    const s = this.s;
    const t = this.t;
    const z = this.z;
    const stamp = this.nextStamp();
    const tried = this.tried;
    for (let e = z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) tried[handleSlot(s.entries[e * ENT_STRIDE + E_SERVER]!)] = stamp;
    const bound = this.loadBound();

    this.neighbourRange(zone);
    const near = this.nearNeighbours(stamp, bound);
    if (near >= 0) return this.grow(zone, near);

    const ring = this.ring;
    const points = ring.slots.length;
    if (points > 0) {
      let i = ringStart(ring, mix32(zone ^ 0x2545f491));
      const probes = Math.min(points, RING_PROBES);
      for (let k = 0; k < probes; k++) {
        const slot = ring.slots[i]!;
        if (++i === points) i = 0;
        if (tried[slot] === stamp) continue;
        if (t.state[slot] !== ServerState.Active) continue;
        // Over the load bound: skipped here, but not marked, so the room list may offer it.
        if (!this.withinBound(slot, bound)) continue;
        tried[slot] = stamp;
        if (takeSeat(t, slot)) return this.grow(zone, serverHandle(slot, t.generation[slot]!));
      }
    }

    const list = t.roomList;
    const n = list[0]!;
    for (let k = 0; k < n; k++) {
      if (++this.roomCursor > n) this.roomCursor = 1;
      const slot = list[this.roomCursor]!;
      if (tried[slot] === stamp) continue;
      tried[slot] = stamp;
      if (t.state[slot] !== ServerState.Active) continue;
      if (takeSeat(t, slot)) return this.grow(zone, serverHandle(slot, t.generation[slot]!));
    }

    // Servers that gained room since the list was refreshed, newest first (see ServerTable.gainedRoom).
    const totals = t.totals;
    const end = totals[TotalField.gainedRoom]!;
    const fresh = Math.min((end - totals[TotalField.gainedRoomListed]!) >>> 0, GAINED_ROOM_SLOTS);
    for (let k = 1; k <= fresh; k++) {
      const slot = t.gainedRoom[(end - k) & (GAINED_ROOM_SLOTS - 1)]!;
      if (tried[slot] === stamp) continue;
      tried[slot] = stamp;
      if (t.state[slot] !== ServerState.Active) continue;
      if (takeSeat(t, slot)) return this.grow(zone, serverHandle(slot, t.generation[slot]!));
    }
    return -1;
  }

  /**
   * Point nearList[nearFrom, nearTo) at the zone's neighbours: its configured adjacency (the
   * first NEAR_SCAN: scoring is quadratic in them) or, without one, the zones its players were
   * seen walking to. Fields, not a returned object: overflow runs once per join that grows a zone.
   */
  protected neighbourRange(zone: number): void {
    const z = this.z;
    const a0 = z.adjacencyStart[zone]!;
    const a1 = z.adjacencyStart[zone + 1]!;
    const configured = a1 > a0;
    this.nearList = configured ? z.adjacency : z.neighbourId;
    this.nearFrom = configured ? a0 : zone * NEIGHBOUR_SLOTS;
    this.nearTo = configured ? Math.min(a1, a0 + NEAR_SCAN) : this.nearFrom + NEIGHBOUR_SLOTS;
  }

  /**
   * A seat on the server holding most of the zone's neighbours (neighbourRange): of the
   * servers that are a neighbour's primary, taking joins and within the load bound, the one
   * whose neighbours there hold the most players (players walk in proportion to where they
   * are), then the one with the most room. Returns the handle or -1.
   */
  protected nearNeighbours(stamp: number, bound: number): number {
    const t = this.t;
    const rows = this.z.rows;
    const list = this.nearList;
    const from = this.nearFrom;
    const to = this.nearTo;
    for (;;) {
      let best = -1;
      let bestNear = -1;
      let bestRoom = 0;
      for (let i = from; i < to; i++) {
        const n = list[i]!;
        if (n < 0) continue;
        const h = rows[n * ZONE_STRIDE + Z_PRIMARY]!;
        if (h < 0) continue;
        const slot = handleSlot(h);
        if (this.tried[slot] === stamp || !acceptsJoins(t, h) || !this.withinBound(slot, bound)) continue;
        const near = this.neighboursOn(h);
        const room = t.limit[slot]! - t.count[slot]!;
        if (near > bestNear || (near === bestNear && room > bestRoom)) {
          best = h;
          bestNear = near;
          bestRoom = room;
        }
      }
      if (best < 0) return -1;
      const slot = handleSlot(best);
      this.tried[slot] = stamp;
      if (takeSeat(t, slot)) return best;
    }
  }

  /** Players of the neighbours (neighbourRange) whose primary server is `h`. */
  protected neighboursOn(h: number): number {
    const rows = this.z.rows;
    const list = this.nearList;
    const from = this.nearFrom;
    const to = this.nearTo;
    let players = 0;
    for (let i = from; i < to; i++) {
      const n = list[i]!;
      if (n >= 0 && rows[n * ZONE_STRIDE + Z_PRIMARY] === h) players += 1 + rows[n * ZONE_STRIDE + Z_POPULATION]!;
    }
    return players;
  }

  protected grow(zone: number, h: number): number {
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
  protected loadBound(): number {
    const f = this.t.fleet;
    const totalLimit = f[FleetField.totalLimit]!;
    if (!(totalLimit > 0)) return Infinity;
    const used = Math.max(0, f[FleetField.totalCount]! + this.seatsSinceTick * this.shards) + 1;
    return (1 + this.epsilon) * Math.min(1, used / totalLimit);
  }

  protected withinBound(slot: number, bound: number): boolean {
    return this.t.count[slot]! + 1 <= Math.ceil(bound * this.t.limit[slot]!);
  }

  protected nextStamp(): number {
    this.stamp = (this.stamp + 1) | 0;
    if (this.stamp === 0) {
      this.tried.fill(0);
      this.stamp = 1;
    }
    return this.stamp;
  }

  /**
   * Put a player that holds a seat on `carry` (or none) into `zone`: stay on the same server
   * when it hosts the zone and takes the zone's joins; when the zone is leaving that server
   * (merging), go where a join of the zone would go, and stay (re-opening it) only if no
   * server of the zone has room; else a server of the zone with room; else extend the zone
   * onto the carried server (no new seat needed, no hand-off for the player); else overflow.
   */
  protected attach(r: number, zone: number, carry: number): number {
    const carryOk = carry !== NO_SERVER && acceptsJoins(this.t, carry);
    const here = carryOk ? this.entryOn(zone, carry) : -1;
    if (here >= 0 && this.s.entries[here * ENT_STRIDE + E_OPEN] === 1) {
      this.linkHeld(r, zone, here, carry);
      this.server = carry;
      return Status.Ok;
    }
    // A walker is a new player for the zone it enters: following the zone's open servers is
    // what lets a merging server empty (it would refill from its own side of the border).
    let h = this.seatInZone(zone, here < 0);
    if (h < 0 && here >= 0) {
      this.reopenEntry(zone, here);
      this.linkHeld(r, zone, here, carry);
      this.server = carry;
      return Status.Ok;
    }
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
      const on = this.entryOn(zone, carry);
      const e = on >= 0 ? on : this.newEntry(zone, carry);
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

  /** A detached record found no place: give its seat back and queue or drop it. */
  protected dropFloating(r: number, carry: number, zone: number): void {
    if (carry !== NO_SERVER) this.giveBack(carry);
    if (this.queueOn && this.enqueue(r, zone)) return;
    this.freeRecord(r);
  }
}
