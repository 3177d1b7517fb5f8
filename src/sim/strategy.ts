/**
 * One interface for every placement strategy the simulator compares, zonelb included. The
 * runner feeds each the same intents in the same order and applies what it answers to the
 * ground truth (Placements); strategies report players they move on their own (failover,
 * drain, queue admission) through `StrategyContext.moved`.
 */
import type { FleetControl, SimServer } from './fleet.ts';
import type { Placements } from './placements.ts';
import type { Rng } from './rng.ts';
import type { Scenario } from './scenario-schema.ts';
import type { WorldMap } from './world-map.ts';
import type { AdmissionSeats, EngineEvent } from '../engine/types.ts';

/** A join's answer when it does not name a server. */
export const Refusal = {
  /** Every server is full (or the strategy's queue is). */
  Full: -1,
  /** In the strategy's queue; a seat will be reported through `moved` with reason 'admitted'. */
  Queued: -2,
  /** No server takes joins at all. */
  NoServers: -3,
} as const;

export type MoveReason = 'failover' | 'drain' | 'admitted' | 'lost';

export interface StrategyContext {
  readonly scenario: Scenario;
  readonly map: WorldMap;
  readonly servers: readonly SimServer[];
  readonly placements: Placements;
  /** What an autoscaler may do to the fleet (zonelb's scale provider). */
  readonly fleet: FleetControl;
  /** The strategy's own random stream (used by random and power-of-two choices). */
  readonly rng: Rng;
  /**
   * A player the strategy moved on its own: to server index `server`, into its queue
   * (Refusal.Queued: it waits for a seat), or lost (−1: it has to join again).
   */
  moved(player: number, server: number, reason: MoveReason): void;
  /** A control-plane event (server lifecycle, zone split, hot zone, scaling). */
  event(e: EngineEvent): void;
}

export interface Strategy {
  readonly name: string;
  /** A server booted: it takes players from now on. */
  addServer(s: SimServer, now: number): void;
  /** Graceful leave: no new joins; move its players where there is room. */
  drainServer(s: SimServer, now: number): Promise<void>;
  /** The drain finished (or timed out): take it out, re-placing whoever is still on it. */
  removeServer(s: SimServer, now: number): Promise<void>;
  /** The failure detection delay after a crash has passed: re-place its players if it is the strategy's job. */
  serverDead(s: SimServer, now: number): void;
  /** A server's heartbeat (its readings, noise included, and its players). */
  heartbeat(s: SimServer, now: number): void;
  /** Where the player goes: a server index, or a Refusal. */
  join(player: number, zone: number, now: number): number;
  /** Where a player walking into `zone` goes (placed, or waiting in the strategy's queue): a server index, or a Refusal. */
  move(player: number, zone: number, now: number): number;
  /** The player leaves: logged out, or (`dropped`) its connection dropped and it will be back. */
  leave(player: number, now: number, dropped: boolean): void;
  /** Background work once a tick, after the heartbeats. */
  tick(now: number): Promise<void>;
  close(now: number): Promise<void>;
  /**
   * The balancer restarts: it forgets its players, its line and what it learnt, and the servers
   * taking players register again with their load (strategies that keep such state: zonelb).
   * The players it had in line are lost to it; the runner has them join again.
   */
  restart?(now: number): Promise<void>;
  /** Servers an autoscaler started and released over the run (strategies that scale). */
  scaleCounts?(): { started: number; released: number };
  /**
   * Seats free by the strategy's own admission limits right now, by who may take them
   * (strategies with such limits: zonelb). Asked at each denied join, so it allocates nothing.
   */
  admissionSeats?(out: AdmissionSeats): void;
}
