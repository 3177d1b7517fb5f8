/**
 * The autoscaler: each decision reads the fleet from the engine (capacity, seats taken, the
 * queue), asks the policy (predictive, falling back to reactive) for the capacity wanted,
 * then scales out through the provider or scales in by draining the servers cheapest to
 * empty, and removes drained servers once they hold nobody. Each change of the capacity
 * wanted is a `scale` engine event. Time is an argument: the same code runs live and in the
 * simulator.
 */
import type { Limits } from '../core/admission.ts';
import type { Engine } from '../engine/types.ts';
import { DrainLifecycle, type Draining } from './drain-lifecycle.ts';
import { FleetCapacity } from './fleet-capacity.ts';
import { hostedPlayers } from './hosted-players.ts';
import type { ForecastErrorSnapshot } from './forecast-error.ts';
import type { ScaleMode, ScalePolicy } from './predictive-scaler.ts';
import type { ScaleProvider } from './provider.ts';
import { pickScaleIn } from './scale-in-selection.ts';

export type AutoscaleEngine = Pick<Engine, 'servers' | 'queued' | 'drainServer' | 'removeServer' | 'emitEvent'>;

export interface AutoscalerOptions {
  policy: ScalePolicy;
  provider: ScaleProvider;
  /** The engine's limits: CPU and memory thresholds, and the player cap of one weight unit. */
  limits: Limits;
  /** While a drained server still holds players, try moving them again this often (ms). */
  retryMoveMs: number;
  /** Told of provider and engine failures (the decision loop goes on). */
  onError?: (error: unknown) => void;
}

export interface AutoscaleStatus {
  at: number;
  mode: ScaleMode;
  /** Capacity wanted / active / booting / draining (weight units). */
  desired: number;
  actual: number;
  pending: number;
  draining: number;
  /** Seats wanted now (players and reserved seats, or more if servers report more; plus the queue), and the demand decided on. */
  demand: number;
  demandUsed: number;
  queued: number;
  utilisation: number;
  direction: 'out' | 'in' | 'hold';
  reason: string;
  forecastPeak: number | undefined;
  forecastError: ForecastErrorSnapshot | undefined;
  drainingServers: Draining[];
  lastError: string | undefined;
}

export class Autoscaler {
  readonly provider: ScaleProvider;
  readonly policy: ScalePolicy;
  private readonly lifecycle: DrainLifecycle;
  private last: AutoscaleStatus | undefined;
  private lastDesired = Number.NaN;
  private lastError: string | undefined;
  private running: Promise<AutoscaleStatus> | undefined;
  private readonly capacity: FleetCapacity;

  constructor(
    private readonly engine: AutoscaleEngine,
    private readonly o: AutoscalerOptions,
  ) {
    this.provider = o.provider;
    this.policy = o.policy;
    this.capacity = new FleetCapacity(o.limits);
    this.lifecycle = new DrainLifecycle(engine, (id, at) => o.provider.release(id, at), o.retryMoveMs);
  }

  /** The latest decision, or undefined before the first. */
  status(): AutoscaleStatus | undefined {
    return this.last;
  }

  /** Decides and acts. Calls never overlap: a call made while one runs gets that one's answer. */
  evaluate(now: number): Promise<AutoscaleStatus> {
    if (this.running) return this.running;
    this.running = this.run(now).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(now: number): Promise<AutoscaleStatus> {
    const servers = this.engine.servers();
    let active = 0;
    let players = 0;
    let registered = 0;
    const ids = new Set<string>();
    const weights = new Map<string, number>();
    for (const s of servers) {
      if (s.state === 'dead' || s.state === 'free') continue;
      ids.add(s.id);
      weights.set(s.id, s.weight);
      registered += s.weight;
      players += hostedPlayers(s);
      if (s.state === 'active' || s.state === 'suspect') active += s.weight;
    }
    const queued = this.engine.queued();
    const demand = players + queued;
    // What a unit can hold before its CPU or memory crosses a threshold (or its cap), from the
    // whole fleet's readings: new servers will likely hold the same.
    const seatsPerUnit = this.capacity.seatsPerUnit(servers, now);
    const pending = this.provider.pending(now, { units: registered, ids, weights });
    const v = this.o.policy.decide({ now, demand, active, pending, seatsPerUnit }, players);

    try {
      if (v.direction === 'out' && v.desired > active + pending) {
        await this.provider.scaleOut({ at: now, add: v.desired - active - pending, desired: v.desired, actual: active, mode: v.mode, reason: v.reason });
      } else if (v.direction === 'in' && v.desired < active) {
        await this.lifecycle.drainAll(pickScaleIn(servers, active - v.desired), now);
      }
      await this.lifecycle.step(now);
      this.lastError = undefined;
    } catch (e) {
      this.lastError = (e as Error).message;
      this.o.onError?.(e);
    }

    if (v.desired !== this.lastDesired) {
      this.engine.emitEvent({ type: 'scale', at: now, desired: v.desired, actual: active, mode: v.mode, reason: v.reason });
      this.lastDesired = v.desired;
    }
    this.last = {
      at: now,
      mode: v.mode,
      desired: v.desired,
      actual: active,
      pending,
      draining: this.lifecycle.units,
      demand,
      demandUsed: v.demandUsed,
      queued,
      utilisation: v.utilisation,
      direction: v.direction,
      reason: v.reason,
      forecastPeak: v.forecastPeak,
      forecastError: this.o.policy.forecastError(),
      drainingServers: this.lifecycle.list(),
      lastError: this.lastError,
    };
    return this.last;
  }
}
