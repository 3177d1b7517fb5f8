/**
 * The reactive policy: the fleet capacity (in weight units: a weight-2 server counts 2) that
 * keeps utilisation at a target, with a dead band around the target (hysteresis), separate
 * cooldowns for scaling out and in, a minimum and a maximum. Capacity that is still booting
 * counts as capacity, so a scale-out is asked for once and not again every decision while the
 * servers boot. Scaling out goes straight to what the demand needs (no overshoot: the answer
 * to a step is one request of exactly the capacity the step needs); scaling in goes at most
 * `scaleInStep` of the fleet at a time, since draining is slow and a wrong scale-in hurts more
 * than a late one.
 */
import { invalidArgument } from '../core/errors.ts';

export interface ReactiveOptions {
  /** Utilisation aimed at (seats taken / seats), 0..1. */
  target: number;
  /** Dead band: scale out above target + band, in below target − band. */
  band: number;
  /** Capacity bounds, in weight units. */
  min: number;
  max: number;
  /** No scale-out within this long of the last one (ms). */
  scaleOutCooldownMs: number;
  /** No scale-in within this long of the last scale-out or scale-in (ms). */
  scaleInCooldownMs: number;
  /** Largest share of the fleet removed by one scale-in (0..1); at least one unit. */
  scaleInStep: number;
}

export interface ScaleInput {
  now: number;
  /** Seats wanted: players placed or reserved, plus players queued. */
  demand: number;
  /** Capacity serving now (weight units). */
  active: number;
  /** Capacity asked for and still booting (weight units). */
  pending: number;
  /** Seats one weight unit provides. */
  seatsPerUnit: number;
}

export interface ScaleVerdict {
  /** Capacity wanted (weight units), within [min, max]. */
  desired: number;
  direction: 'out' | 'in' | 'hold';
  /** Utilisation against active + pending capacity. */
  utilisation: number;
  reason: string;
}

export class ReactiveScaler {
  readonly o: Readonly<ReactiveOptions>;
  private lastOut = -Infinity;
  private lastIn = -Infinity;

  constructor(o: ReactiveOptions) {
    if (!(o.target > 0 && o.target <= 1)) throw invalidArgument('target', o.target, 'a utilisation in (0, 1]');
    if (!(o.band >= 0 && o.band < o.target)) throw invalidArgument('band', o.band, `a number in [0, target ${o.target})`);
    if (!(Number.isFinite(o.min) && o.min >= 0)) throw invalidArgument('min', o.min, 'a capacity ≥ 0');
    if (!(Number.isFinite(o.max) && o.max >= o.min && o.max > 0)) throw invalidArgument('max', o.max, `a capacity ≥ min (${o.min}) and > 0`);
    if (!(o.scaleInStep > 0 && o.scaleInStep <= 1)) throw invalidArgument('scaleInStep', o.scaleInStep, 'a share in (0, 1]');
    this.o = Object.freeze({ ...o });
  }

  /** Capacity (weight units) that serves `demand` seats at the target utilisation. */
  ideal(demand: number, seatsPerUnit: number): number {
    return Math.ceil(demand / (this.o.target * seatsPerUnit) - 1e-9);
  }

  decide(i: ScaleInput): ScaleVerdict {
    const o = this.o;
    const have = i.active + i.pending;
    const utilisation = have > 0 ? i.demand / (have * i.seatsPerUnit) : i.demand > 0 ? Infinity : 0;
    const ideal = clamp(this.ideal(i.demand, i.seatsPerUnit), o.min, o.max);
    const hold = (reason: string): ScaleVerdict => ({ desired: clamp(have, o.min, o.max), direction: 'hold', utilisation, reason });

    if (have < o.min) return this.out(i.now, Math.max(ideal, o.min), utilisation, `below the minimum (${o.min})`);
    if (have > o.max) return this.in(i.now, o.max, utilisation, `above the maximum (${o.max})`);
    if (utilisation > o.target + o.band) {
      if (ideal <= have) return hold(`at the maximum (${o.max})`);
      if (i.now - this.lastOut < o.scaleOutCooldownMs) return hold('scale-out cooldown');
      return this.out(i.now, ideal, utilisation, `utilisation ${pct(utilisation)} above ${pct(o.target + o.band)}`);
    }
    if (utilisation < o.target - o.band && i.pending === 0) {
      const step = Math.max(1, Math.floor(have * o.scaleInStep));
      const desired = Math.max(ideal, have - step);
      if (desired >= have) return hold('at the minimum');
      if (i.now - Math.max(this.lastIn, this.lastOut) < o.scaleInCooldownMs) return hold('scale-in cooldown');
      return this.in(i.now, desired, utilisation, `utilisation ${pct(utilisation)} below ${pct(o.target - o.band)}`);
    }
    return hold('within the band');
  }

  private out(now: number, desired: number, utilisation: number, reason: string): ScaleVerdict {
    this.lastOut = now;
    return { desired, direction: 'out', utilisation, reason };
  }

  private in(now: number, desired: number, utilisation: number, reason: string): ScaleVerdict {
    this.lastIn = now;
    return { desired, direction: 'in', utilisation, reason };
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function pct(u: number): string {
  return Number.isFinite(u) ? `${Math.round(u * 100)}%` : '∞';
}
