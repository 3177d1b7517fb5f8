/**
 * One interface for every placement strategy the simulator compares, zonelb included. The
 * runner feeds each the same intents in the same order and applies what it answers to the
 * ground truth (Placements); strategies report players they move on their own (failover,
 * drain, queue admission) through `StrategyContext.moved`.
 */
import type { SimServer } from './fleet.ts';
import type { Placements } from './placements.ts';
import type { Rng } from './rng.ts';
import type { Scenario } from './scenario-schema.ts';
import type { EngineEvent } from '../engine/types.ts';

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
  readonly zones: number;
  readonly servers: readonly SimServer[];
  readonly placements: Placements;
  /** The strategy's own random stream (used by random and power-of-two choices). */
  readonly rng: Rng;
  /** A player the strategy moved on its own: to `server`, or lost (server −1). */
  moved(player: number, server: number, reason: MoveReason): void;
  /** A control-plane event worth a line on the timeline. */
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
  /** A server's heartbeat (true readings, noise included). */
  heartbeat(s: SimServer, now: number): void;
  /** Where the player goes: a server index, or a Refusal. */
  join(player: number, zone: number, now: number): number;
  /** Where a placed player goes when it walks into `zone`: a server index, or a Refusal. */
  move(player: number, zone: number, now: number): number;
  leave(player: number, now: number): void;
  tick(now: number): Promise<void>;
  close(): Promise<void>;
}

export type StrategyFactory = (ctx: StrategyContext) => Promise<Strategy> | Strategy;
