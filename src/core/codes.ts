/**
 * Numeric codes shared by the engine, the wire protocol and clients.
 * They travel in typed arrays and FlatBuffers structs, so they are small integers;
 * `as const` objects give each one a name without TypeScript enums.
 */

/** What a gateway asks for one player. */
export const Op = {
  /** Player enters the world in a zone (or reconnects). */
  Join: 1,
  /** Player leaves the world; its seat is held for the reconnect window. */
  Leave: 2,
  /** Player walks into another zone. */
  Move: 3,
  /**
   * Player quits for good (logged out, not disconnected): its seat, or the one held for it
   * since a Leave, is freed at once. Nobody waits for a reconnect that will not come.
   */
  Quit: 4,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/** The answer to one request. */
export const Status = {
  /** Placed (join, move) or done (leave). `server` holds the server handle. */
  Ok: 0,
  /** Placed back on the server the player held a reservation on. */
  Reconnected: 1,
  /**
   * Every server is full; the player waits in line. `position` is its place (1 = next) in the
   * line of the shard that owns its zone: each shard admits its own line in order as seats
   * open (one line in the single-threaded engine). A repeated join or a move in the same
   * shard answers the same place, less the players ahead who have left the line since.
   */
  Queued: 2,
  /** Every server is full and the queue is off or full: refused. */
  Full: 3,
  /** No server is registered and active. */
  NoServers: 4,
  /** Leave, quit or move for a player the engine does not hold. */
  NotFound: 5,
  /** The request itself is invalid (zone out of range, unknown op, bad id). */
  Invalid: 6,
  /** The engine's backlog is full; retry later. Nothing was changed. */
  Overloaded: 7,
  /** The shard that owned the request failed repeatedly; nothing is known to have changed. */
  ShardFailed: 8,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

export const statusName: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(Status).map(([k, v]) => [v, k])),
);

/** Why a player was moved without asking (pushed to gateways). */
export const Reason = {
  /** Its server was declared dead by the failure detector. */
  Crashed: 1,
  /** Its server is draining and the operator asked for players to be moved. */
  Drained: 2,
  /** Its server was removed while it still held players. */
  Removed: 3,
  /** It waited in the queue and a seat opened. */
  Admitted: 4,
  /** No server had room to take it after its server failed; it lost its seat. */
  Lost: 5,
  /** Its reconnect reservation expired. Reported internally, not pushed. */
  Expired: 6,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Lifecycle of a server slot in the shared server table. */
export const ServerState = {
  Free: 0,
  Active: 1,
  /** No new joins; existing players stay until moved or gone. */
  Draining: 2,
  /** Heartbeats are late: no new joins until one arrives or it is declared dead. */
  Suspect: 3,
  /** Declared dead; its players have been (or are being) re-placed. */
  Dead: 4,
} as const;
export type ServerState = (typeof ServerState)[keyof typeof ServerState];

export const serverStateName: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(ServerState).map(([k, v]) => [v, k.toLowerCase()])),
);

/**
 * A server handle names one incarnation of a server slot: the low 16 bits are the slot,
 * the high 16 bits its generation. A slot reused by a new server gets a new generation,
 * so an old handle kept in a zone or player record is recognised as stale.
 */
export const NO_SERVER = -1;
export const MAX_SERVER_SLOTS = 1 << 16;

export function serverHandle(slot: number, generation: number): number {
  return (((generation & 0x7fff) << 16) | slot) >>> 0;
}
export function handleSlot(handle: number): number {
  return handle & 0xffff;
}
export function handleGeneration(handle: number): number {
  return (handle >>> 16) & 0x7fff;
}
