/**
 * The layout of every SharedArrayBuffer zonelb uses, and the functions that allocate them.
 * No other file computes a size or an offset: the rest of the code receives typed views.
 *
 * Three kinds of shared state:
 *  - the server table (one per engine): written by the control plane, seats taken by any
 *    shard with Atomics;
 *  - the zone table (one per engine, indexed by zone id): each zone's row is written only by
 *    the shard that owns the zone; other shards read `primary` as a placement hint;
 *  - shard state (one per shard): players, the zone-server entry pool, queues. Kept in shared
 *    memory so that it survives the worker thread that writes it.
 * Buffers are allocated at full capacity; Linux commits their pages only when touched.
 */

export const NEIGHBOUR_SLOTS = 4;

export interface ServerTableBuffers {
  capacity: number;
  state: SharedArrayBuffer;
  generation: SharedArrayBuffer;
  count: SharedArrayBuffer;
  limit: SharedArrayBuffer;
  weight: SharedArrayBuffer;
  cpu: SharedArrayBuffer;
  memory: SharedArrayBuffer;
  /** Fleet-wide figures the control plane refreshes every tick (see FleetField). */
  fleet: SharedArrayBuffer;
  /** Candidate servers with room, best first (see RoomListField). */
  roomList: SharedArrayBuffer;
  /** Servers that gained room since the room list was refreshed (see ServerTable.gainedRoom). */
  gainedRoom: SharedArrayBuffer;
  /** Where each server was last appended to it (see ServerTable.gainedAt). */
  gainedAt: SharedArrayBuffer;
  /** Engine-wide integer counters shards update with Atomics (see TotalField). */
  totals: SharedArrayBuffer;
}

export interface ServerTable {
  capacity: number;
  /**
   * True when one thread does everything with the table (LocalEngine: control plane and its
   * one shard on the caller's thread). Seats are then counted with plain reads and writes:
   * nobody can change a count between them, and on Node 20 an Atomics call costs a builtin
   * call (the CAS ~125 instructions in callgrind) where a plain increment costs a few.
   */
  exclusive: boolean;
  /** ServerState per slot. Atomics: read by shards while the control plane writes. */
  state: Int32Array;
  generation: Int32Array;
  /** Seats taken (placed + reserved players). Atomics CAS against `limit` (see `exclusive`). */
  count: Int32Array;
  /** Admission limit: the most players the server may hold now. */
  limit: Int32Array;
  weight: Float64Array;
  /** Last reported CPU and memory, fractions 0..1. */
  cpu: Float64Array;
  memory: Float64Array;
  fleet: Float64Array;
  /** [0] = number of entries, then server slots. */
  roomList: Int32Array;
  /**
   * Ring of the last GAINED_ROOM_SLOTS servers that went from full to having room (a seat
   * given back, a limit raised), appended at TotalField.gainedRoom by whoever made the room
   * (seats.ts noteRoom). The room list is rebuilt only on a tick; without this a seat freed on
   * a full server between ticks could not be found by a join of another zone, and the line
   * would wait for the tick beside it.
   */
  gainedRoom: Int32Array;
  /** Per slot: the TotalField.gainedRoom count at which it was last appended (so it is not appended twice). */
  gainedAt: Int32Array;
  totals: Int32Array;
}

/** Size of ServerTable.gainedRoom (a power of two: its index is a mask of a wrapping count). */
export const GAINED_ROOM_SLOTS = 64;

export const FleetField = {
  /** Servers in state Active. */
  activeServers: 0,
  /** Sum of seats taken on active servers, as of the last tick. */
  totalCount: 1,
  /** Sum of admission limits of active servers, as of the last tick. */
  totalLimit: 2,
  size: 4,
} as const;

export const TotalField = {
  /** Players waiting in line, all shards together (queueLimit applies to it). */
  queued: 0,
  /** Servers ever appended to ServerTable.gainedRoom (wraps at 2^32; its low bits index the ring). */
  gainedRoom: 1,
  /** The value of `gainedRoom` when the room list was last refreshed: entries before it are in the list. */
  gainedRoomListed: 2,
  size: 4,
} as const;

export function allocateServerTable(capacity: number, roomListSize: number): ServerTableBuffers {
  return {
    capacity,
    state: new SharedArrayBuffer(capacity * 4),
    generation: new SharedArrayBuffer(capacity * 4),
    count: new SharedArrayBuffer(capacity * 4),
    limit: new SharedArrayBuffer(capacity * 4),
    weight: new SharedArrayBuffer(capacity * 8),
    cpu: new SharedArrayBuffer(capacity * 8),
    memory: new SharedArrayBuffer(capacity * 8),
    fleet: new SharedArrayBuffer(FleetField.size * 8),
    roomList: new SharedArrayBuffer((roomListSize + 1) * 4),
    gainedRoom: new SharedArrayBuffer(GAINED_ROOM_SLOTS * 4),
    gainedAt: new SharedArrayBuffer(capacity * 4),
    totals: new SharedArrayBuffer(TotalField.size * 4),
  };
}

export function serverTableViews(b: ServerTableBuffers, exclusive = false): ServerTable {
  return {
    capacity: b.capacity,
    exclusive,
    state: new Int32Array(b.state),
    generation: new Int32Array(b.generation),
    count: new Int32Array(b.count),
    limit: new Int32Array(b.limit),
    weight: new Float64Array(b.weight),
    cpu: new Float64Array(b.cpu),
    memory: new Float64Array(b.memory),
    fleet: new Float64Array(b.fleet),
    roomList: new Int32Array(b.roomList),
    gainedRoom: new Int32Array(b.gainedRoom),
    gainedAt: new Int32Array(b.gainedAt),
    totals: new Int32Array(b.totals),
  };
}

/**
 * Zone rows: one 32-byte row per zone id, so placing a player touches one cache line of zone
 * state instead of one per field (measured: separate arrays cost a cache miss each).
 * A row is written only by the shard that owns the zone.
 */
export const ZONE_STRIDE = 8;
/** First zone-server entry (index in the owning shard's pool), -1 when none. */
export const Z_HEAD = 0;
/** Number of entries (servers hosting the zone). */
export const Z_ENTRIES = 1;
/** Entries open to new joins (a merging zone closes some). */
export const Z_OPEN = 2;
/**
 * Players in the zone (placed and reserved); read by others for listings only. For a zone on
 * one server it is also that server's count (see E_COUNT).
 */
export const Z_POPULATION = 3;
/** Handle of the zone's first server, or -1. Atomics: read by other shards as a hint. */
export const Z_PRIMARY = 4;
/**
 * Joins asked for in the zone since the engine started (new players seated or put in line;
 * counted once, not again when the line admits them), wrapping at 2^32. A plain add by the
 * owning shard; the main thread samples it for the hot-zone detector and the forecaster and
 * may read a value one join stale.
 */
export const Z_JOINS = 5;
/** Hot-zone plan (setHotZone): servers to pre-split across, 0 when the zone is not hot. */
export const Z_HOT_SERVERS = 6;
/** Hot-zone plan: seats to hold in reserve for the zone's joins. */
export const Z_HOT_RESERVE = 7;

export interface ZoneTableBuffers {
  capacity: number;
  rows: SharedArrayBuffer;
  neighbourId: SharedArrayBuffer;
  neighbourCount: SharedArrayBuffer;
  adjacencyStart: SharedArrayBuffer;
  adjacency: SharedArrayBuffer;
  idBound: SharedArrayBuffer;
}

export interface ZoneTable {
  capacity: number;
  rows: Int32Array;
  /** Zones that players most often walk to from here (space-saving sketch, learned). */
  neighbourId: Int32Array;
  neighbourCount: Int32Array;
  /** Configured adjacency in CSR form: neighbours of z are adjacency[start[z] .. start[z+1]). */
  adjacencyStart: Int32Array;
  adjacency: Int32Array;
  /**
   * One int32: every zone id that ever had a join (seated or in line) or a server is below it.
   * Samplers of every zone (the hot-zone detector, the forecaster, the census) stop there, so
   * a world using ids 0..n costs them n zones, not maxZones. Only grows (noteZoneUsed).
   */
  idBound: Int32Array;
}

export function allocateZoneTable(
  capacity: number,
  adjacency: Readonly<Record<string, readonly number[]>> | undefined,
): ZoneTableBuffers {
  const lists = new Map<number, readonly number[]>();
  let total = 0;
  for (const [zone, list] of Object.entries(adjacency ?? {})) {
    lists.set(Number(zone), list);
    total += list.length;
  }
  const adjacencyStart = new SharedArrayBuffer((capacity + 1) * 4);
  const adjacencyBuf = new SharedArrayBuffer(Math.max(1, total) * 4);
  const start = new Int32Array(adjacencyStart);
  const flat = new Int32Array(adjacencyBuf);
  let at = 0;
  for (let z = 0; z < capacity; z++) {
    start[z] = at;
    const list = lists.get(z);
    if (list) for (const n of list) flat[at++] = n;
  }
  start[capacity] = at;

  const rows = new SharedArrayBuffer(capacity * ZONE_STRIDE * 4);
  const r = new Int32Array(rows);
  for (let z = 0; z < capacity; z++) {
    r[z * ZONE_STRIDE + Z_HEAD] = -1;
    r[z * ZONE_STRIDE + Z_PRIMARY] = -1;
  }
  const neighbourId = new SharedArrayBuffer(capacity * NEIGHBOUR_SLOTS * 4);
  new Int32Array(neighbourId).fill(-1);
  return {
    capacity,
    rows,
    neighbourId,
    neighbourCount: new SharedArrayBuffer(capacity * NEIGHBOUR_SLOTS * 4),
    adjacencyStart,
    adjacency: adjacencyBuf,
    idBound: new SharedArrayBuffer(4),
  };
}

export function zoneTableViews(b: ZoneTableBuffers): ZoneTable {
  return {
    capacity: b.capacity,
    rows: new Int32Array(b.rows),
    neighbourId: new Int32Array(b.neighbourId),
    neighbourCount: new Int32Array(b.neighbourCount),
    adjacencyStart: new Int32Array(b.adjacencyStart),
    adjacency: new Int32Array(b.adjacency),
    idBound: new Int32Array(b.idBound),
  };
}

/**
 * Raise the zone table's id bound past `zone`. Called where a zone gets its first server entry
 * or a join in line (the only ways its row starts to count), so rarely: shards race on it,
 * hence the compare-and-swap, which keeps it the maximum of what they wrote.
 */
export function noteZoneUsed(z: ZoneTable, zone: number): void {
  const bound = z.idBound;
  for (let cur = Atomics.load(bound, 0); zone >= cur; ) {
    const seen = Atomics.compareExchange(bound, 0, cur, zone + 1);
    if (seen === cur) return;
    cur = seen;
  }
}

/** Record states of a player in its shard. */
export const PlayerState = {
  Free: 0,
  /** Holds a seat and plays. */
  Active: 1,
  /** Left; its seat is held until the reconnect window ends. */
  Reserved: 2,
  /** Waits in line for a seat. */
  Queued: 3,
} as const;

/** Counters of a shard, in one Int32Array (index names below). */
export const ShardCounter = {
  /** Records ever used (records below this index may be in use). */
  recordHigh: 0,
  /** Top of the free-record stack. */
  freeRecords: 1,
  entryHigh: 2,
  freeEntries: 3,
  /** Reservation-expiry FIFO ring: next to pop, next to push, entries in it. */
  expiryHead: 4,
  expiryTail: 5,
  expiryLength: 11,
  /** Queue ring (entries may be stale: players who left the line are skipped when popped). */
  queueHead: 6,
  queueTail: 7,
  queueLength: 12,
  /** Requests of the current batch whose results are written (read after a worker dies). */
  batchDone: 8,
  /** Set while the worker is inside a batch: a dead worker leaves it set, so repair is due. */
  busy: 9,
  /** Players currently waiting in this shard's queue. */
  queued: 10,
  /**
   * The last hand-off made (batch number, request index, player, carried seat, zone left,
   * target): if the worker dies before the request's result is counted, the request is sent
   * again and must get the same answer, though the player has already left this shard.
   */
  handoffBatch: 13,
  handoffIndex: 14,
  handoffPlayer: 15,
  handoffCarry: 16,
  handoffFrom: 17,
  handoffTarget: 18,
  size: 32,
} as const;

/**
 * Player records: one 32-byte row per record (fields below), for the same reason as zone
 * rows. Records are recycled LIFO, so a join usually reuses a row that is still in cache.
 */
export const REC_STRIDE = 8;
export const R_PLAYER = 0;
export const R_ZONE = 1;
/** Server handle the player's seat is on, -1 when queued. */
export const R_SERVER = 2;
/** Zone-server entry the player counts in; while queued, its slot in the queue ring. */
export const R_ENTRY = 3;
/** PlayerState. */
export const R_STATE = 4;
/** Bumped on every reservation or enqueue, so stale FIFO entries are recognised. */
export const R_STAMP = 5;
/** Doubly linked list of this shard's players per server (for failover and drains). */
export const R_NEXT = 6;
export const R_PREV = 7;

/** Zone-server entries: which server hosts a zone and how many of the zone's players it holds. */
export const ENT_STRIDE = 8;
export const E_SERVER = 0;
export const E_ZONE = 1;
/**
 * Players of the zone on this server, exact while the zone has two entries or more. A zone on
 * one server counts its players in Z_POPULATION only (this field lags and is rewritten when a
 * second entry comes), so a join into such a zone touches the zone's row and no entry.
 */
export const E_COUNT = 2;
export const E_NEXT = 3;
/** 1 when open to new joins. */
export const E_OPEN = 4;
/**
 * Seats taken on this server for a hot zone and not yet given to a player. They count in the
 * server's seat count and in the shard's `serverSeats`, so no other join can take them.
 */
export const E_RESERVED = 5;

/**
 * Zone split/merge log, one per shard, in shared memory: the shard appends, the main thread
 * drains after batches and ticks without a message. A ring of ZONE_EVENT_CAPACITY events of
 * ZEV_STRIDE int32 each; its cursor is a separate Int32Array (see ZoneEventCursor).
 */
/** A power of two (the ring indexes with a mask). */
export const ZONE_EVENT_CAPACITY = 1024;
export const ZEV_STRIDE = 4;
export const ZEV_ZONE = 0;
/** ZoneChange below. */
export const ZEV_KIND = 1;
/** Servers open to the zone's joins after the change. */
export const ZEV_SERVERS = 2;

export const ZoneChange = {
  split: 1,
  merged: 2,
} as const;

export const ZoneEventCursor = {
  /** Next event to read (written by the main thread only). */
  head: 0,
  /** Next event to write (written by the shard only). */
  tail: 1,
  /** Events dropped because the ring was full (written by the shard only). */
  dropped: 2,
  size: 4,
} as const;

export interface ShardStateBuffers {
  recordCapacity: number;
  entryCapacity: number;
  directoryCapacity: number;
  queueCapacity: number;
  serverCapacity: number;
  counters: SharedArrayBuffer;
  directory: SharedArrayBuffer;
  records: SharedArrayBuffer;
  freeRecord: SharedArrayBuffer;
  entries: SharedArrayBuffer;
  freeEntry: SharedArrayBuffer;
  serverHead: SharedArrayBuffer;
  serverSeats: SharedArrayBuffer;
  serverHeld: SharedArrayBuffer;
  expiryRecord: SharedArrayBuffer;
  expiryStamp: SharedArrayBuffer;
  expiryTime: SharedArrayBuffer;
  queueRecord: SharedArrayBuffer;
  queueStamp: SharedArrayBuffer;
  queueRank: SharedArrayBuffer;
  zoneEvents: SharedArrayBuffer;
  zoneEventCursor: SharedArrayBuffer;
}

export interface ShardState {
  recordCapacity: number;
  entryCapacity: number;
  /** Directory slots − 1 (a power of two minus one). */
  directoryMask: number;
  queueCapacity: number;
  counters: Int32Array;
  /**
   * Open-addressing player directory, key and record interleaved ([2i] = dirKey(player id),
   * [2i + 1] = record) so a lookup costs one cache line.
   */
  directory: Int32Array;
  records: Int32Array;
  freeRecord: Int32Array;
  entries: Int32Array;
  freeEntry: Int32Array;
  /** Head of this shard's player list per server slot. */
  serverHead: Int32Array;
  /** Seats this shard holds per server slot: its share of the server table's count. */
  serverSeats: Int32Array;
  /**
   * Of those, the seats held with nobody on the server: reconnect holds and hot-zone reserves.
   * Kept in step with every change to them, recounted after a repair
   * (ShardStore.publishHeldSeats). Written by its shard only; the control plane reads it to
   * tell a server's reported players from zonelb's seats with a player in them.
   */
  serverHeld: Int32Array;
  expiryRecord: Int32Array;
  expiryStamp: Int32Array;
  expiryTime: Float64Array;
  queueRecord: Int32Array;
  queueStamp: Int32Array;
  /** Players still waiting per queue-ring slot, as a Fenwick tree (see shard-queue.ts). */
  queueRank: Int32Array;
  /** Zone split/merge log (see ZONE_EVENT_CAPACITY). */
  zoneEvents: Int32Array;
  zoneEventCursor: Int32Array;
}

/** Entry capacity per shard: one per zone it may own, plus room for splits. */
export function entryCapacityFor(maxZones: number, shards: number, maxServers: number): number {
  return Math.ceil(maxZones / shards) * 2 + 16 * maxServers + 1024;
}

export function allocateShardState(
  recordCapacity: number,
  entryCapacity: number,
  queueCapacity: number,
  serverCapacity: number,
): ShardStateBuffers {
  let directoryCapacity = 16;
  while (directoryCapacity < recordCapacity * 2) directoryCapacity *= 2;
  // Zero-filled is empty (EMPTY_KEY): its pages are committed as players arrive, not here.
  const directory = new SharedArrayBuffer(directoryCapacity * 8);
  const serverHead = new SharedArrayBuffer(serverCapacity * 4);
  new Int32Array(serverHead).fill(-1);
  const q = Math.max(1, queueCapacity);
  return {
    recordCapacity,
    entryCapacity,
    directoryCapacity,
    queueCapacity: q,
    serverCapacity,
    counters: new SharedArrayBuffer(ShardCounter.size * 4),
    directory,
    records: new SharedArrayBuffer(recordCapacity * REC_STRIDE * 4),
    freeRecord: new SharedArrayBuffer(recordCapacity * 4),
    entries: new SharedArrayBuffer(entryCapacity * ENT_STRIDE * 4),
    freeEntry: new SharedArrayBuffer(entryCapacity * 4),
    serverHead,
    serverSeats: new SharedArrayBuffer(serverCapacity * 4),
    serverHeld: new SharedArrayBuffer(serverCapacity * 4),
    expiryRecord: new SharedArrayBuffer(recordCapacity * 4),
    expiryStamp: new SharedArrayBuffer(recordCapacity * 4),
    expiryTime: new SharedArrayBuffer(recordCapacity * 8),
    queueRecord: new SharedArrayBuffer(q * 4),
    queueStamp: new SharedArrayBuffer(q * 4),
    queueRank: new SharedArrayBuffer((q + 1) * 4),
    zoneEvents: new SharedArrayBuffer(ZONE_EVENT_CAPACITY * ZEV_STRIDE * 4),
    zoneEventCursor: new SharedArrayBuffer(ZoneEventCursor.size * 4),
  };
}

export function shardStateViews(b: ShardStateBuffers): ShardState {
  return {
    recordCapacity: b.recordCapacity,
    entryCapacity: b.entryCapacity,
    directoryMask: b.directoryCapacity - 1,
    queueCapacity: b.queueCapacity,
    counters: new Int32Array(b.counters),
    directory: new Int32Array(b.directory),
    records: new Int32Array(b.records),
    freeRecord: new Int32Array(b.freeRecord),
    entries: new Int32Array(b.entries),
    freeEntry: new Int32Array(b.freeEntry),
    serverHead: new Int32Array(b.serverHead),
    serverSeats: new Int32Array(b.serverSeats),
    serverHeld: new Int32Array(b.serverHeld),
    expiryRecord: new Int32Array(b.expiryRecord),
    expiryStamp: new Int32Array(b.expiryStamp),
    expiryTime: new Float64Array(b.expiryTime),
    queueRecord: new Int32Array(b.queueRecord),
    queueStamp: new Int32Array(b.queueStamp),
    queueRank: new Int32Array(b.queueRank),
    zoneEvents: new Int32Array(b.zoneEvents),
    zoneEventCursor: new Int32Array(b.zoneEventCursor),
  };
}

/**
 * A player's key in the directory is its id + 1 as an int32 (dirKey), so that 0, the key of the
 * reserved id 0xFFFFFFFF, marks an empty slot: a new directory is empty as allocated, and its
 * memory is committed only as players arrive (filling it with another sentinel would commit all
 * of it at start: 16 bytes per maxPlayers, per shard). Ids 0xFFFFFFFE and 0xFFFFFFFF are reserved.
 */
export const EMPTY_KEY = 0;
export const MAX_PLAYER_ID = 0xfffffffd;

/** Directory key of a player id (see EMPTY_KEY). */
export function dirKey(player: number): number {
  return (player + 1) | 0;
}

/** One batch of requests and its results, in shared memory (a shard's mailbox). */
export interface BatchBuffers {
  capacity: number;
  ops: SharedArrayBuffer;
  players: SharedArrayBuffer;
  zones: SharedArrayBuffer;
  /** Move hand-offs: the zone the player came from. */
  from: SharedArrayBuffer;
  /** Move hand-offs: the server handle whose seat the player carries, or -1. */
  carry: SharedArrayBuffer;
  status: SharedArrayBuffer;
  server: SharedArrayBuffer;
  position: SharedArrayBuffer;
}

export interface Batch {
  capacity: number;
  ops: Uint8Array;
  players: Uint32Array;
  zones: Uint32Array;
  from: Int32Array;
  carry: Int32Array;
  status: Uint8Array;
  server: Int32Array;
  position: Uint32Array;
}

export function allocateBatch(capacity: number): BatchBuffers {
  return {
    capacity,
    ops: new SharedArrayBuffer(capacity),
    players: new SharedArrayBuffer(capacity * 4),
    zones: new SharedArrayBuffer(capacity * 4),
    from: new SharedArrayBuffer(capacity * 4),
    carry: new SharedArrayBuffer(capacity * 4),
    status: new SharedArrayBuffer(capacity),
    server: new SharedArrayBuffer(capacity * 4),
    position: new SharedArrayBuffer(capacity * 4),
  };
}

export function batchViews(b: BatchBuffers): Batch {
  return {
    capacity: b.capacity,
    ops: new Uint8Array(b.ops),
    players: new Uint32Array(b.players),
    zones: new Uint32Array(b.zones),
    from: new Int32Array(b.from),
    carry: new Int32Array(b.carry),
    status: new Uint8Array(b.status),
    server: new Int32Array(b.server),
    position: new Uint32Array(b.position),
  };
}
