import { NO_SERVER, handleGeneration, handleSlot } from './codes.ts';
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
  Z_OPEN,
  Z_POPULATION,
  Z_PRIMARY,
  ZoneChange,
  NEIGHBOUR_SLOTS,
  noteZoneUsed,
  PlayerState,
  ShardCounter,
  type ServerTable,
  type ShardState,
  type ZoneTable,
} from './layout.ts';
import { findPlayer, insertPlayer, removePlayer } from './player-directory.ts';
import { acceptsJoins, releaseSeat } from './seats.ts';
import { zoneShard } from './hash.ts';
import { EventLog } from './event-log.ts';
import { pushZoneEvent } from './zone-event-ring.ts';
import { ShardQueue } from './shard-queue.ts';
import type { EngineOptions } from './options.ts';

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
 * The bottom layer of a shard's placement engine (ShardCore is the top): the shard's state in
 * shared memory and the bookkeeping every rule uses — player records, the directory, zone
 * entries, each server's list of this shard's players, this shard's share of each server's
 * seats, the neighbour sketch, the line — and read-only listings of them. No placement rule.
 *
 * Every update here is ordered so that a worker dying half-way leaves state that repairShard
 * (shard-repair.ts) can rebuild from the player records, erring by a seat taken, never one
 * seat short.
 */
export class ShardStore {
  readonly index: number;
  readonly shards: number;
  /** The answer of the request being handled: server handle, place in line, zone it came from. */
  server = NO_SERVER;
  position = 0;
  /** Zone a handed-off player came from (-1 when unknown). */
  fromZone = -1;
  /** Entry found or created by the last successful findSeat. */
  protected entry = -1;
  readonly events = new EventLog();
  /** Split zones this shard owns, checked for merging on each tick. */
  readonly splitZones = new Set<number>();
  /** Hot zones this shard owns (plan in their zone rows), kept up on each tick. */
  readonly hotZones = new Set<number>();

  protected readonly t: ServerTable;
  protected readonly z: ZoneTable;
  protected readonly s: ShardState;
  protected readonly line: ShardQueue;
  protected readonly maxZones: number;
  protected readonly reconnectMs: number;
  protected readonly queueOn: boolean;
  protected readonly queueLimit: number;
  protected readonly epsilon: number;
  protected readonly mergeBelow: number;
  /** Seats taken since the last tick (the bounded-load estimate adds them to its totals). */
  protected seatsSinceTick = 0;
  /** The arrays the join path reads, held directly: one load each instead of two. */
  protected readonly dir: Int32Array;
  protected readonly dirMask: number;
  protected readonly rec: Int32Array;
  protected readonly ent: Int32Array;
  protected readonly rows: Int32Array;

  /** publishHeldSeats' tally, made on first use. */
  private heldTally: Int32Array | undefined;

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
    this.line = new ShardQueue(this.s, this.t.totals, options.queueLimit);
    this.dir = this.s.directory;
    this.dirMask = this.s.directoryMask;
    this.rec = this.s.records;
    this.ent = this.s.entries;
    this.rows = this.z.rows;
  }

  ownsZone(zone: number): boolean {
    return zoneShard(zone, this.shards) === this.index;
  }

  protected allocRecord(player: number): number {
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

  protected freeRecord(r: number): void {
    const s = this.s;
    s.records[r * REC_STRIDE + R_STATE] = PlayerState.Free;
    removePlayer(s, s.records[r * REC_STRIDE + R_PLAYER]!);
    s.freeRecord[s.counters[ShardCounter.freeRecords]!++] = r;
  }

  /** Count a record in a zone entry and in its server's list, with a seat just taken on `h`. */
  protected link(r: number, zone: number, e: number, h: number): void {
    this.linkHeld(r, zone, e, h);
    this.s.serverSeats[handleSlot(h)]! += 1;
  }

  /**
   * Count a record in a zone entry and in its server's list, with a seat already in this
   * shard's share (`serverSeats`): the record's own seat, carried through a move.
   */
  protected linkHeld(r: number, zone: number, e: number, h: number): void {
    const s = this.s;
    const slot = handleSlot(h);
    s.records[r * REC_STRIDE + R_SERVER] = h;
    s.records[r * REC_STRIDE + R_ENTRY] = e;
    s.records[r * REC_STRIDE + R_ZONE] = zone;
    const zb = zone * ZONE_STRIDE;
    // Single writer (this shard): a plain add; listings elsewhere tolerate a stale read.
    this.z.rows[zb + Z_POPULATION]! += 1;
    // A zone's only entry is counted by the population (see E_COUNT in layout.ts).
    if (this.z.rows[zb + Z_ENTRIES] !== 1) s.entries[e * ENT_STRIDE + E_COUNT]! += 1;
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
  protected detach(r: number): number {
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
    const zb = zone * ZONE_STRIDE;
    const population = (this.z.rows[zb + Z_POPULATION]! -= 1);
    // A zone's only entry is counted by the population (see E_COUNT in layout.ts).
    const left = this.z.rows[zb + Z_ENTRIES] === 1 ? population : (s.entries[e * ENT_STRIDE + E_COUNT]! -= 1);
    if (left === 0 && !this.keepsEmptyEntry(zone, e)) this.removeEntry(zone, e);
    return h;
  }

  /** Release a player completely: its zone entry, its seat, its record. */
  protected releaseRecord(r: number): void {
    const s = this.s;
    if (s.records[r * REC_STRIDE + R_STATE] === PlayerState.Reserved) s.serverHeld[handleSlot(s.records[r * REC_STRIDE + R_SERVER]!)]! -= 1;
    this.giveBack(this.detach(r));
    this.seatsSinceTick--;
    this.freeRecord(r);
  }

  /**
   * Give back a seat of this shard's share. The share drops first: a worker dying in between
   * leaves the seat counted once too often (repair re-adds the difference), never once too few.
   */
  protected giveBack(h: number): void {
    this.s.serverSeats[handleSlot(h)]! -= 1;
    releaseSeat(this.t, h);
  }

  protected newEntry(zone: number, h: number): number {
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
    // The zone's only entry becomes one of two: from now on it keeps its own count.
    if (z.rows[zone * ZONE_STRIDE + Z_ENTRIES] === 1) s.entries[head * ENT_STRIDE + E_COUNT] = z.rows[zone * ZONE_STRIDE + Z_POPULATION]!;
    if (head < 0) {
      noteZoneUsed(z, zone);
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

  protected removeEntry(zone: number, e: number): void {
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
  protected learn(a: number, b: number): void {
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

  /** A seat just taken on `h` becomes a reserved seat of entry `e` (this shard's share). */
  protected holdReserved(e: number, h: number): void {
    // Share first: a worker dying between the two leaves repair a share it gives back,
    // never a reserve it would count on top of the seat (see repairShard).
    this.s.serverSeats[handleSlot(h)]! += 1;
    this.s.serverHeld[handleSlot(h)]! += 1;
    this.s.entries[e * ENT_STRIDE + E_RESERVED]! += 1;
  }

  /** Give back `n` of entry `e`'s reserved seats. */
  protected releaseReserved(e: number, n: number): void {
    if (n <= 0) return;
    const s = this.s;
    const h = s.entries[e * ENT_STRIDE + E_SERVER]!;
    const slot = handleSlot(h);
    s.entries[e * ENT_STRIDE + E_RESERVED]! -= n;
    // As releaseSeat: a reused slot's count and share belong to the new server, not to us.
    if (Atomics.load(this.t.generation, slot) !== handleGeneration(h)) return;
    s.serverSeats[slot]! -= n;
    s.serverHeld[slot]! -= n;
    Atomics.sub(this.t.count, slot, n);
  }

  /**
   * Players of `zone` counted in its entry `e`. A zone on one server counts them in its
   * population only, so a join touches one cache line of zone state (see E_COUNT in layout.ts).
   */
  protected entryCount(zone: number, e: number): number {
    const zb = zone * ZONE_STRIDE;
    return this.z.rows[zb + Z_ENTRIES] === 1 ? this.z.rows[zb + Z_POPULATION]! : this.s.entries[e * ENT_STRIDE + E_COUNT]!;
  }

  /** A hot zone keeps a server it holds no player on while that server takes players or holds its reserve. */
  protected keepsEmptyEntry(zone: number, e: number): boolean {
    if (this.z.rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] === 0) return false;
    return this.s.entries[e * ENT_STRIDE + E_RESERVED]! > 0 || acceptsJoins(this.t, this.s.entries[e * ENT_STRIDE + E_SERVER]!);
  }

  /** Put a record in line for `zone`, its place in `position`; false when the line is full. */
  protected enqueue(r: number, zone: number): boolean {
    const place = this.line.push(r, zone);
    if (place === 0) return false;
    this.position = place;
    return true;
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
      out.push({ server: s.entries[b + E_SERVER]!, players: this.entryCount(zone, e), open: s.entries[b + E_OPEN] === 1, reserved: s.entries[b + E_RESERVED]! });
    }
    return out;
  }

  /** Zones this shard owns that have servers, with their split. */
  listZones(): ZoneRow[] {
    const out: ZoneRow[] = [];
    const rows = this.z.rows;
    // No zone at or above the id bound has ever had a server.
    const bound = Atomics.load(this.z.idBound, 0);
    for (let zone = 0; zone < bound; zone++) {
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

  /**
   * Recount serverHeld from the reservations and the hot zones' reserves, after a repair (a
   * worker that died mid-update may have left it off by one). Otherwise it is kept in step as
   * they change: a recount walks every reservation, too much for each tick. Tallied aside and
   * copied in one pass, so the control plane reading meanwhile sees each server's old or new
   * figure, never a half-made one.
   */
  publishHeldSeats(): void {
    const tally = (this.heldTally ??= new Int32Array(this.s.serverHeld.length));
    tally.fill(0);
    this.addHeldSeats(tally, tally);
    this.s.serverHeld.set(tally);
  }

  /**
   * Add this shard's held seats to per-slot tallies: seats kept for players who left and may
   * reconnect (reservations still in the expiry ring), and seats reserved for hot zones' joins.
   * Both count in the servers' seat counts. For inspection (the simulator asks at each denied
   * join): it walks the reservations and the hot zones' entries, allocating nothing.
   */
  addHeldSeats(reconnect: Int32Array, hot: Int32Array): void {
    const s = this.s;
    const t = this.t;
    const c = s.counters;
    const capacity = s.recordCapacity;
    let at = c[ShardCounter.expiryHead]!;
    for (let k = c[ShardCounter.expiryLength]!; k > 0; k--) {
      const r = s.expiryRecord[at]!;
      // Stale entries (reconnected, released) are skipped as expire() skips them.
      if (s.records[r * REC_STRIDE + R_STATE] === PlayerState.Reserved && s.records[r * REC_STRIDE + R_STAMP] === s.expiryStamp[at]) {
        const h = s.records[r * REC_STRIDE + R_SERVER]!;
        const slot = handleSlot(h);
        if (t.generation[slot] === handleGeneration(h)) reconnect[slot]! += 1;
      }
      if (++at === capacity) at = 0;
    }
    for (const zone of this.hotZones) {
      for (let e = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
        const n = s.entries[e * ENT_STRIDE + E_RESERVED]!;
        if (n > 0) hot[handleSlot(s.entries[e * ENT_STRIDE + E_SERVER]!)]! += n;
      }
    }
  }

  /** Players waiting in this shard's line. */
  queuedCount(): number {
    return this.line.waiting;
  }
}
