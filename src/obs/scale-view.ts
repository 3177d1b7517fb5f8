import type { AutoscaleStatus } from '../scale/autoscaler.ts';
import type { ForecastStatus } from '../scale/scale-controller.ts';
import type { EventTracker } from './event-tracker.ts';
import type { ScaleStatusSource } from './obs-options.ts';

/** A hot zone as metrics and the dashboard show it. */
export interface HotZoneView {
  zone: number;
  joinRate: number;
  baseline: number;
  /** When zonelb first saw it hot (wall clock, ms). */
  sinceWallTime: number;
  /** The mitigation in force (known when the scale controller is connected). */
  plan: { servers: number; reserve: number } | undefined;
}

/** The autoscaler as metrics and the dashboard show it. */
export type AutoscaleView =
  | { mode: 'off' }
  | {
      mode: 'reactive' | 'predictive';
      /** Capacity in weight units: wanted, active, asked for and booting, draining. */
      desired: number;
      actual: number;
      pending: number | undefined;
      draining: number | undefined;
      /** Seats wanted now (players, reserved seats and the queue). */
      demand: number | undefined;
      utilisation: number | undefined;
      direction: AutoscaleStatus['direction'] | undefined;
      reason: string;
      /** Peak population the forecast projected over the horizon, when the last decision used it. */
      forecastPeak: number | undefined;
      lastError: string | undefined;
      /** When this decision was first seen (wall clock, ms). */
      wallTime: number;
    };

/**
 * One view of scaling whatever feeds it: the scale controller's status when it is connected
 * (live figures: pending and draining capacity, utilisation, hot-zone plans), otherwise what
 * the `scale` and `hot-zone` engine events said last. Undefined autoscale: nothing known yet.
 */
export class ScaleView {
  private lastAt = Number.NaN;
  private lastSeen = 0;

  constructor(
    private readonly tracker: EventTracker,
    private readonly source: ScaleStatusSource | undefined,
    private readonly wallClock: () => number,
  ) {}

  autoscale(): AutoscaleView | undefined {
    const a = this.status()?.autoscale;
    if (a === undefined) return this.fromEvents();
    if (a.mode === 'off') return { mode: 'off' };
    if (a.at !== this.lastAt) {
      this.lastAt = a.at;
      this.lastSeen = this.wallClock();
    }
    return {
      mode: a.mode,
      desired: a.desired,
      actual: a.actual,
      pending: a.pending,
      draining: a.draining,
      demand: a.demand,
      utilisation: a.utilisation,
      direction: a.direction,
      reason: a.reason,
      forecastPeak: a.forecastPeak,
      lastError: a.lastError,
      wallTime: this.lastSeen,
    };
  }

  /** The arrival forecast (a predictive controller connected), else undefined. */
  forecast(): ForecastStatus | undefined {
    return this.status()?.forecast;
  }

  hotZones(): HotZoneView[] {
    const status = this.status();
    const seen = this.tracker.hotZones;
    if (!status) return [...seen.values()].map((h) => ({ ...h, plan: undefined }));
    const now = this.wallClock();
    return status.hotZones.map((h) => ({
      zone: h.zone,
      joinRate: h.joinRate,
      baseline: h.baseline,
      sinceWallTime: seen.get(h.zone)?.sinceWallTime ?? now,
      plan: { servers: h.plan.servers, reserve: h.plan.reserve },
    }));
  }

  private status(): ReturnType<ScaleStatusSource> {
    return this.source?.();
  }

  private fromEvents(): AutoscaleView | undefined {
    const s = this.tracker.scale;
    if (!s) return undefined;
    return {
      mode: s.mode,
      desired: s.desired,
      actual: s.actual,
      pending: undefined,
      draining: undefined,
      demand: undefined,
      utilisation: undefined,
      direction: undefined,
      reason: s.reason,
      forecastPeak: undefined,
      lastError: undefined,
      wallTime: s.wallTime,
    };
  }
}
