import type { Reason, Status } from '../core/codes.ts';
import type { EngineOptions } from '../core/options.ts';
import type { EngineEvent, EngineEventListener } from './engine-events.ts';

export type { EngineEvent, EngineEventListener, EngineEventType } from './engine-events.ts';

/** A game server announcing itself. */
export interface ServerSpec {
  /** Stable name of the server (non-empty, at most 128 characters). */
  id: string;
  /** Relative capacity (> 0, default 1): a weight-2 server takes twice the players. */
  weight?: number;
  /** Where gateways reach it (host:port); zonelb only passes it on. */
  address?: string;
  /**
   * Its load as it registers, taken as its first heartbeat. A server that already holds players
   * (registering with a zonelb that restarted, which knows none of them) should send it: until
   * a heartbeat shows them, zonelb would offer it the seats of an empty server.
   */
  load?: LoadReport;
}

/** What a game server measures of itself. */
export interface LoadReport {
  /** CPU use as a fraction 0..1. */
  cpu: number;
  /** Memory use as a fraction 0..1. */
  memory: number;
  /** Players the server hosts now. */
  players: number;
}

/** A heartbeat: the server's own view of its load. */
export interface HeartbeatReport extends LoadReport {
  /** A changed weight, if any. */
  weight?: number;
}

export interface Placement {
  player: number;
  status: Status;
  /** Server handle (slot and generation), or -1. */
  server: number;
  /** The server's id, when placed. */
  serverId: string | undefined;
  /** Place in line when queued, else 0. */
  position: number;
}

export interface ServerInfo {
  id: string;
  handle: number;
  state: 'active' | 'draining' | 'suspect' | 'dead' | 'free';
  weight: number;
  address: string;
  /** Seats taken (placed and reserved players), as counted by the engine. */
  players: number;
  /**
   * Of those, seats held with nobody on the server: for players whose connection dropped (until
   * `reconnectMs`) and for hot zones' joins. The server itself should count `players − heldSeats`.
   */
  heldSeats: number;
  /**
   * Admission limit: the most seats the engine may hold on it now (the players its readings say
   * it can hold, less those it reports beyond the engine's seats with a player in them,
   * `players − heldSeats`).
   */
  limit: number;
  /** Weighted player cap. */
  cap: number;
  cpu: number;
  memory: number;
  /** Players the server itself reported last. */
  reportedPlayers: number;
  /** Learned cost of one player (fractions of the machine). */
  cpuPerPlayer: number;
  memoryPerPlayer: number;
  lastHeartbeat: number;
}

/**
 * Seats free by the engine's own admission limits, on servers taking joins, by who may take
 * them (LocalEngine.admissionSeats). On each server, the seats below its limit not taken by a
 * placed player are split: reconnect reservations first, then hot-zone reserves, the rest
 * takeable; a server over its limit has none.
 */
export interface AdmissionSeats {
  /** Unheld seats below a limit: any new join may take them. */
  takeable: number;
  /** Held for players who left within reconnectMs and may come back. */
  reconnect: number;
  /** Held in reserve for hot zones' joins (only those zones' joins may take them). */
  hot: number;
}

export interface ZoneInfo {
  zone: number;
  population: number;
  /** `reserved`: seats held for the zone as a hot zone, not yet used (they count in the server's players). */
  servers: { serverId: string; server: number; players: number; open: boolean; reserved: number }[];
  /** The hot-zone plan in force (setHotZone), or null. */
  hot: HotZonePlan | null;
}

/**
 * Mitigation for a hot zone (Engine.setHotZone): pre-split it across up to `servers` servers
 * with room and hold `reserve` seats for its joins.
 */
export interface HotZonePlan {
  /** Servers to spread the zone over (integer ≥ 1). */
  servers: number;
  /** Seats to hold for the zone's joins (integer ≥ 0). */
  reserve: number;
}

export interface ReplacementEvent {
  player: number;
  zone: number;
  oldServer: number;
  newServer: number;
  oldServerId: string | undefined;
  newServerId: string | undefined;
  reason: Reason;
}

/** Requests in structure-of-arrays form (index i of each array is one request). */
export interface RequestArrays {
  ops: Uint8Array;
  players: Uint32Array;
  zones: Uint32Array;
}

/** Where the engine writes the answers of one submission, and whom it tells when done. */
export interface ResultSink {
  status: Uint8Array;
  server: Int32Array;
  position: Uint32Array;
  /** Called once, when every request of the submission has its answer. */
  done(): void;
}

/** What both engines offer: the in-process API the front end, simulator and users drive. */
export interface Engine {
  /** The validated, frozen options the engine runs with. */
  readonly options: EngineOptions;
  /** Answers `count` requests starting at `start`, writing result i at `start + i` of the sink. */
  submit(requests: RequestArrays, start: number, count: number, sink: ResultSink): void;
  join(player: number, zone: number): Promise<Placement>;
  /** The player left (disconnected): its seat is held for reconnectMs. */
  leave(player: number): Promise<Placement>;
  /** The player quit for good: its seat (or the one held since a leave) is freed at once. */
  quit(player: number): Promise<Placement>;
  move(player: number, zone: number): Promise<Placement>;
  registerServer(spec: ServerSpec): ServerInfo;
  heartbeat(id: string, report: HeartbeatReport): ServerInfo;
  /** Stops new joins on a server; with `move`, re-places its players where there is room. */
  drainServer(id: string, options?: { move?: boolean }): Promise<{ players: number[]; moved: number }>;
  /** Takes a server out; its remaining players are re-placed. */
  removeServer(id: string): Promise<ReplacementEvent[]>;
  /** Runs background work now (failure detection, expiries, queue, merges, room list). */
  tick(now?: number): Promise<ReplacementEvent[]>;
  servers(): ServerInfo[];
  server(id: string): ServerInfo;
  /** Whether a server of this id is registered (and not yet removed or declared dead and freed). Cheap. */
  hasServer(id: string): boolean;
  zones(): Promise<ZoneInfo[]>;
  /** Players waiting in line. */
  queued(): number;
  /**
   * Copies every zone's cumulative join count (joins asked for in the zone since the engine
   * started, seated or put in line, wrapping at 2^32: take differences as
   * `(now - before) >>> 0`) and current population (placed and reserved players) into
   * `joins[zone]` and `population[zone]`. Both arrays need at least options.maxZones entries.
   * Synchronous and lock-free (it reads the shared zone rows): a count may be a few joins
   * behind a batch still being answered. With `servers`, also the number of servers holding
   * each zone (more than 1: split), for observers that must not walk zones() on a large world.
   * Returns the zone id bound: no zone at or above it has ever had a join or a server, so its
   * counts are all zero and are not written. Loops over the arrays stop there, which keeps a
   * world using ids 0..n at the cost of n zones, whatever maxZones is. With `from` and `to`,
   * only zones in [from, to) below the bound are read (a caller that yields between slices).
   */
  sampleZones(joins: Uint32Array, population: Uint32Array, servers?: Uint32Array, from?: number, to?: number): number;
  /**
   * Hot-zone mitigation. With a plan: pre-split the zone across up to `plan.servers` servers
   * with room (chosen as an overflow chooses: neighbours' servers, the bounded-load ring, the
   * room list), spread its new joins evenly over them (by weight), and hold `plan.reserve`
   * seats for it — other zones' joins cannot take them, its own joins use them first, and
   * they are taken with the seat compare-and-swap, so no server is ever filled past its
   * limit. When the zone finds no seat anywhere its joins queue with a position (also with
   * whenFull 'refuse', as long as queueLimit > 0). The plan is kept up on every tick (reserve
   * topped up, servers that stop taking players replaced). With null: lifted — unused
   * reserved seats are released, servers holding none of its players leave the zone at once,
   * and the rest merge back by the normal merge rule as the zone empties. Splits and merges
   * it causes are `zone-split` / `zone-merged` events. Resolves once the owning shard applied it.
   */
  setHotZone(zone: number, plan: HotZonePlan | null): Promise<void>;
  serverIdOf(handle: number): string | undefined;
  onReplacement(listener: (events: ReplacementEvent[]) => void): () => void;
  /** Control-plane events: servers joining, draining, dying; zones splitting; hot zones; scaling. */
  onEvent(listener: EngineEventListener): () => void;
  /** Publishes an event from a part of the control plane that runs beside the engine (autoscaler, hot-zone detector). */
  emitEvent(event: EngineEvent): void;
  close(): Promise<void>;
}
