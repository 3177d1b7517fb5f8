import { NO_SERVER, Op, Status, ServerState } from './codes.ts';
import * as L from './layout.ts';
import type { Batch } from './layout.ts';
import { homeSlot, removeAt } from './player-directory.ts';
import { noteRoom, takeSeat } from './seats.ts';
import { ShardRequests } from './shard-requests.ts';

export { BOUNCE, HANDOFF, HANDOFF_RECONNECT, InternalOp } from './shard-requests.ts';
export type { ShardViews, ZoneRow, ZoneServerRow } from './shard-store.ts';

/**
 * Requests warmed (see ShardCore.warm) and then answered together: enough for the CPU to
 * overlap their cache misses, few enough that the lines touched (2 or 3 per request) stay in
 * the L1 cache until they are used.
 */
export const WARM_CHUNK = 32;

/**
 * One shard's placement engine: the rules of DESIGN.md over shared typed arrays. Pure logic:
 * no threads, no I/O, no clock (time comes in as `now`). The single-threaded engine runs one
 * of these; the sharded engine runs one per worker thread over the same kind of views.
 *
 * Layers, bottom up, one file each: ShardStore (records, entries, seat shares, the line),
 * ShardZoneServers (a zone's open and closing servers), ShardPlacement (where a player goes),
 * ShardHotZones (hot-zone plans), ShardMerge (split zones merging back), ShardUpkeep (ticks,
 * admission, evacuation), ShardRequests (join, leave, move, hand-offs), and this class:
 * batches, with the steady join, leave and move answered in the batch loop itself.
 */
export class ShardCore extends ShardRequests {
  /** What warm() read: kept in a field so that the compiler cannot drop the loads. */
  warmth = 0;
  /** Directory index (home slot × 2) of each request of the chunk being answered, from warm(). */
  private readonly homes = new Int32Array(WARM_CHUNK);

  /** Answers requests [from, to) of a batch in place. */
  processBatch(b: Batch, from: number, to: number, now: number, batchNumber: number): void {
    this.batchNumber = batchNumber;
    this.answer(b.ops, b.players, b.zones, b.from, b.carry, b.status, b.server, b.position, from, to, now, null);
    this.batchNumber = 0;
    this.requestIndex = -1;
  }

  /**
   * Answers requests [from, to) in place: status, server and position, and in `fromZones`
   * (when given) the zone a handed-off player came from. Without `fromZones` and `carries`
   * only client ops are taken (the hand-off ops are internal to the sharded engine). With
   * `counts`, adds one per answer at its status (EngineStats.answers).
   *
   * The steady join (a new player, a zone on one open server with room), the steady leave (a
   * seated player leaves a zone that keeps others) and the steady move (from such a zone into
   * a zone on one open server with room) are answered here, in the loop, with the arrays in
   * locals: they are most of the traffic, and at this rate calls and repeated field loads cost
   * more than the work. Everything else goes through apply(). Each has the same effects as
   * placeNew, leave or moveRecord would have on that path: a change to those must be made here
   * too (engine-properties.test.ts checks every answer against its model, and `npm run
   * sim:readme` must give the same tables).
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
    counts: Float64Array | null,
  ): void {
    // The layout's constants as locals, under their own names. An imported binding is live:
    // Node 20's optimising compiler re-reads it through its module cell, with a hole check, at
    // every use; a local is a register. Measured: ~1.3x on this loop.
    const { ZONE_STRIDE, Z_HEAD, Z_ENTRIES, Z_OPEN, Z_HOT_SERVERS, Z_POPULATION, Z_PRIMARY, Z_JOINS } = L;
    const { REC_STRIDE, R_PLAYER, R_SERVER, R_ENTRY, R_ZONE, R_PREV, R_NEXT, R_STATE, R_STAMP, EMPTY_KEY, MAX_PLAYER_ID } = L;
    const { ENT_STRIDE, E_COUNT } = L;
    const FREE_RECORDS = L.ShardCounter.freeRecords;
    const EXPIRY_TAIL = L.ShardCounter.expiryTail;
    const EXPIRY_LENGTH = L.ShardCounter.expiryLength;
    const RECORD_HIGH = L.ShardCounter.recordHigh;
    const BATCH_DONE = L.ShardCounter.batchDone;
    const QUEUED = L.ShardCounter.queued;
    const ACTIVE_PLAYER = L.PlayerState.Active;
    const RESERVED_PLAYER = L.PlayerState.Reserved;
    const FREE_PLAYER = L.PlayerState.Free;
    const ACTIVE_SERVER = ServerState.Active;
    const JOIN = Op.Join;
    const LEAVE = Op.Leave;
    const QUIT = Op.Quit;
    const MOVE = Op.Move;
    const OK = Status.Ok;
    const s = this.s;
    const t = this.t;
    const c = s.counters;
    const dir = this.dir;
    const mask = this.dirMask;
    const rec = this.rec;
    const rows = this.rows;
    const homes = this.homes;
    const freeRecord = s.freeRecord;
    const serverHead = s.serverHead;
    const serverSeats = s.serverSeats;
    const serverHeld = s.serverHeld;
    const generation = t.generation;
    const state = t.state;
    const count = t.count;
    const limit = t.limit;
    const recordCapacity = s.recordCapacity;
    const maxZones = this.maxZones;
    const oneShard = this.shards === 1;
    const exclusive = t.exclusive;
    // Steady joins answered, and seats they took since the last slow request (which may read
    // seatsSinceTick): kept in locals, written back when needed.
    let steady = 0;
    let seated = 0;
    for (let chunk = from; chunk < to; chunk += WARM_CHUNK) {
      const end = Math.min(to, chunk + WARM_CHUNK);
      this.warm(players, zones, chunk, end);
      for (let i = chunk; i < end; i++) {
        const op = ops[i]!;
        const player = players[i]!;
        const zone = zones[i]!;
        // The server of a steady answer (below), or NO_SERVER: apply() answers.
        let answered = NO_SERVER;
        steady: if (op === JOIN && zone < maxZones && player <= MAX_PLAYER_ID && (oneShard || this.ownsZone(zone))) {
          const key = (player + 1) | 0; // dirKey(player)
          let at = homes[i - chunk]! >> 1; // homeSlot(player), from warm()
          for (;;) {
            const k = dir[at << 1]!;
            if (k === EMPTY_KEY) break;
            if (k === key) break steady; // known player: apply() decides
            at = (at + 1) & mask;
          }
          // The zone is on one server, open, not hot: all of it in the zone's row (one cache
          // line), which names the server (its primary) and counts the entry's players.
          const zb = zone * ZONE_STRIDE;
          if (rows[zb + Z_ENTRIES] !== 1 || rows[zb + Z_OPEN] !== 1 || rows[zb + Z_HOT_SERVERS] !== 0) break steady;
          const head = rows[zb + Z_HEAD]!;
          const h = rows[zb + Z_PRIMARY]!;
          const slot = h & 0xffff; // handleSlot, handleGeneration (codes.ts)
          // Plain reads of the server table: see seats.ts.
          if (generation[slot] !== ((h >>> 16) & 0x7fff) || state[slot] !== ACTIVE_SERVER) break steady;
          // Players in line: a new player goes behind them (placeNew says why).
          if (c[QUEUED] !== 0) break steady;
          const free = c[FREE_RECORDS]!;
          // The record: the top of the free stack (freed last, so likely in cache), or a new one.
          const r = free > 0 ? freeRecord[free - 1]! : c[RECORD_HIGH]!;
          if (r >= recordCapacity) break steady;
          // The seat, as takeSeat() takes it: CAS of the count against the limit (a plain
          // increment when this thread is the table's only one).
          let seen = count[slot]!;
          for (;;) {
            if (seen >= limit[slot]!) break steady;
            if (exclusive) {
              count[slot] = seen + 1;
              break;
            }
            const found = Atomics.compareExchange(count, slot, seen, seen + 1);
            if (found === seen) break;
            seen = found;
          }
          if (free > 0) c[FREE_RECORDS] = free - 1;
          else c[RECORD_HIGH] = r + 1;
          // The record is complete before it turns Active: a worker dying earlier leaves a Free
          // record that repair drops (and the seat just taken counted once too often, never short).
          const rb = r * REC_STRIDE;
          rec[rb + R_PLAYER] = player | 0;
          rec[rb + R_SERVER] = h;
          rec[rb + R_ENTRY] = head;
          rec[rb + R_ZONE] = zone;
          const first = serverHead[slot]!;
          rec[rb + R_PREV] = -1;
          rec[rb + R_NEXT] = first;
          rec[rb + R_STATE] = ACTIVE_PLAYER;
          dir[at << 1] = key;
          dir[(at << 1) + 1] = r;
          rows[zb + Z_POPULATION]! += 1;
          rows[zb + Z_JOINS]! += 1;
          if (first >= 0) rec[first * REC_STRIDE + R_PREV] = r;
          serverHead[slot] = r;
          serverSeats[slot]! += 1;
          seated++;
          answered = h;
        }
        // A seated player's steady leave or move (see above). Anything else about the player
        // (unknown, held for a reconnect, in line) or its zones goes to apply().
        seatedPlayer: if ((op === LEAVE || op === QUIT || op === MOVE) && player <= MAX_PLAYER_ID) {
          const key = (player + 1) | 0; // dirKey(player)
          let at = homes[i - chunk]! >> 1;
          for (;;) {
            const k = dir[at << 1]!;
            if (k === key) break;
            if (k === EMPTY_KEY) break seatedPlayer;
            at = (at + 1) & mask;
          }
          const r = dir[(at << 1) + 1]!;
          const rb = r * REC_STRIDE;
          if (rec[rb + R_STATE] !== ACTIVE_PLAYER) break seatedPlayer;
          const carry = rec[rb + R_SERVER]!;
          let h = carry;
          if (op === LEAVE && this.reconnectMs > 0) {
            // leave(): the seat held for the reconnect window.
            const held = c[EXPIRY_LENGTH]!;
            if (held >= recordCapacity) break seatedPlayer;
            rec[rb + R_STATE] = RESERVED_PLAYER;
            serverHeld[carry & 0xffff]! += 1;
            const stamp = (rec[rb + R_STAMP]! + 1) | 0;
            rec[rb + R_STAMP] = stamp;
            const tail = c[EXPIRY_TAIL]!;
            s.expiryRecord[tail] = r;
            s.expiryStamp[tail] = stamp;
            s.expiryTime[tail] = now + this.reconnectMs;
            c[EXPIRY_TAIL] = tail + 1 === recordCapacity ? 0 : tail + 1;
            c[EXPIRY_LENGTH] = held + 1;
          } else {
            const carrySlot = carry & 0xffff;
            const fromZone = rec[rb + R_ZONE]!;
            const fb = fromZone * ZONE_STRIDE;
            const eb = rec[rb + R_ENTRY]! * ENT_STRIDE;
            const fromOne = rows[fb + Z_ENTRIES] === 1;
            // Its zone entry would empty: detach() decides whether the entry goes.
            if ((fromOne ? rows[fb + Z_POPULATION]! : this.ent[eb + E_COUNT]!) <= 1) break seatedPlayer;
            const zb = zone * ZONE_STRIDE;
            if (op === MOVE) {
              // moveRecord(): into a zone of this shard on one open server (not hot) with room.
              if (fromZone === zone || zone >= maxZones || !(oneShard || this.ownsZone(zone))) break seatedPlayer;
              if (rows[zb + Z_ENTRIES] !== 1 || rows[zb + Z_OPEN] !== 1 || rows[zb + Z_HOT_SERVERS] !== 0) break seatedPlayer;
              h = rows[zb + Z_PRIMARY]!;
              const slot = h & 0xffff;
              if (generation[slot] !== ((h >>> 16) & 0x7fff) || state[slot] !== ACTIVE_SERVER) break seatedPlayer;
              // Another server: its seat first (attach), so a full one leaves everything to apply().
              if (h !== carry && !takeSeat(t, slot)) break seatedPlayer;
              this.learn(fromZone, zone);
            }
            // detach(): out of its server's list and its zone.
            const prev = rec[rb + R_PREV]!;
            const next = rec[rb + R_NEXT]!;
            if (prev >= 0) rec[prev * REC_STRIDE + R_NEXT] = next;
            else serverHead[carrySlot] = next;
            if (next >= 0) rec[next * REC_STRIDE + R_PREV] = prev;
            rows[fb + Z_POPULATION]! -= 1;
            if (!fromOne) this.ent[eb + E_COUNT]! -= 1;
            if (op === MOVE) {
              // linkHeld(), in its order (R_SERVER first): even on the same server the record goes
              // to the head of the list, whose order decides who is re-placed first after a crash.
              const slot = h & 0xffff;
              rec[rb + R_SERVER] = h;
              rec[rb + R_ENTRY] = rows[zb + Z_HEAD]!;
              rec[rb + R_ZONE] = zone;
              rows[zb + Z_POPULATION]! += 1;
              const first = serverHead[slot]!;
              rec[rb + R_PREV] = -1;
              rec[rb + R_NEXT] = first;
              if (first >= 0) rec[first * REC_STRIDE + R_PREV] = r;
              serverHead[slot] = r;
              if (h !== carry) serverSeats[slot]! += 1;
            }
            if (op !== MOVE || h !== carry) {
              // giveBack(): the share drops before the seat, the seat before the record.
              serverSeats[carrySlot]! -= 1;
              if (generation[carrySlot] === ((carry >>> 16) & 0x7fff)) {
                let before: number;
                if (exclusive) count[carrySlot] = (before = count[carrySlot]!) - 1;
                else before = Atomics.sub(count, carrySlot, 1);
                if (before === limit[carrySlot]) noteRoom(t, carrySlot);
              }
            }
            if (op !== MOVE) {
              // freeRecord()
              seated--;
              rec[rb + R_STATE] = FREE_PLAYER;
              removeAt(dir, mask, at);
              freeRecord[c[FREE_RECORDS]!] = r;
              c[FREE_RECORDS]! += 1;
            }
          }
          answered = h;
        }
        if (answered !== NO_SERVER) {
          status[i] = OK;
          server[i] = answered;
          position[i] = 0;
          if (fromZones !== null) fromZones[i] = -1;
          // A plain store: it is read only after this thread has exited (the exit is the fence).
          c[BATCH_DONE] = i + 1;
          steady++;
          continue;
        }
        this.seatsSinceTick += seated;
        seated = 0;
        this.requestIndex = i;
        let st: number;
        if (carries === null) {
          st = op === Op.Join || op === Op.Leave || op === Op.Move || op === Op.Quit ? this.apply(op, player, zone, -1, NO_SERVER, now) : Status.Invalid;
        } else {
          st = this.apply(op, player, zone, fromZones![i]!, carries[i]!, now);
          fromZones![i] = this.fromZone;
        }
        status[i] = st;
        server[i] = this.server;
        position[i] = this.position;
        c[BATCH_DONE] = i + 1;
        if (counts !== null) counts[st]! += 1;
      }
    }
    this.seatsSinceTick += seated;
    if (counts !== null) counts[OK]! += steady;
    // Seats this batch freed (leaves, quits, moves, a raised limit) go to the line now, in its
    // order: the newcomers of the batch went behind it, and must not wait up to a tick while
    // those seats sit empty. The Admitted events go out with the batch (see ShardCore.events).
    if (c[QUEUED] !== 0) this.seatsSinceTick += this.admitQueued();
  }

  /**
   * Touch what requests [from, to) will read first (directory lines and zone rows, then the
   * records of players already known) before answering them, and keep each player's home slot
   * in `homes`. These loads do not depend on each other, so the CPU overlaps their cache
   * misses: answered one by one, each request waits for its misses in turn, and the seat's
   * compare-and-swap (a full fence on x86) keeps the next request's loads from starting early.
   * At most WARM_CHUNK requests (the size of `homes`).
   */
  private warm(players: Uint32Array, zones: Uint32Array, from: number, to: number): void {
    const { ZONE_STRIDE, Z_HEAD, REC_STRIDE, R_STATE } = L; // see answer()
    const dir = this.dir;
    const mask = this.dirMask;
    const rows = this.rows;
    const homes = this.homes;
    const maxZones = this.maxZones;
    let x = 0;
    let known = 0;
    for (let i = from; i < to; i++) {
      const player = players[i]!;
      const at = homeSlot(player, mask) << 1;
      homes[i - from] = at;
      const k = dir[at]!;
      x ^= k;
      if (k === ((player + 1) | 0)) known++; // dirKey(player)
      const zone = zones[i]!;
      if (zone < maxZones) x ^= rows[zone * ZONE_STRIDE + Z_HEAD]!;
    }
    // Leaves, moves and repeated joins go on to the player's record (found at its home slot).
    if (known > 0) {
      const rec = this.rec;
      for (let i = from; i < to; i++) {
        const at = homes[i - from]!;
        if (dir[at] === ((players[i]! + 1) | 0)) x ^= rec[dir[at + 1]! * REC_STRIDE + R_STATE]!;
      }
    }
    this.warmth = x;
  }
}
