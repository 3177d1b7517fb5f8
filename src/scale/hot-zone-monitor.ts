/**
 * Runs the hot-zone detector against the engine and applies its mitigation.
 *
 * Each step samples every zone's cumulative joins and population from the engine (one call,
 * into arrays kept here and shared with the arrival forecaster), feeds the detector, and for
 * each zone that turns hot asks the engine to pre-split it across servers with room (its new
 * joins spread evenly over them), to hold seats in reserve for it, and to queue its joins with
 * a position rather than overflow when nothing is left. The plan is sized for the population
 * expected `planHorizonMs` ahead at the current join rate, and its servers grow while the crowd
 * keeps coming and stay while the zone is hot. The reserve follows the zone's recent joins
 * (smoothed over a quarter of `reserveMs`): a crowd that has stopped arriving but is still there keeps its
 * pre-split and its queueing, and gives its unused seats back to the other zones. The plan is
 * lifted when the zone cools. Every start and end is an engine event.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EngineEvent } from '../engine/engine-events.ts';
import type { ServerInfo } from '../engine/types.ts';
import type { HotZoneChange, HotZoneDetector } from './hot-zone-detector.ts';

export interface HotZonePlan {
  /** Servers the zone's new joins are spread across. */
  servers: number;
  /** Seats held for the zone's joins. */
  reserve: number;
}

/** What the monitor needs of the engine (the Engine interface provides it). */
export interface ZoneEngine {
  sampleZones(joins: Uint32Array, population: Uint32Array, servers?: Uint32Array, from?: number, to?: number): number;
  setHotZone(zone: number, plan: HotZonePlan | null): Promise<void>;
  emitEvent(event: EngineEvent): void;
  servers(): ServerInfo[];
}

export interface HotZoneMonitorOptions {
  /** Size the plan for the population expected this far ahead at the current join rate (ms). */
  planHorizonMs: number;
  /** Reserve seats for this long of the zone's joins (ms). */
  reserveMs: number;
  /** Most servers one hot zone is pre-split across. */
  maxServers: number;
  /** Fill each pre-split server to at most this share of its seats when sizing. */
  fill: number;
  /** Told when the engine refuses a plan (the other zones are still handled). */
  onError?: (error: unknown, zone: number) => void;
}

export interface ActiveHotZone {
  zone: number;
  since: number;
  plan: HotZonePlan;
  /** Join rate (joins/s), smoothed over reserveMs: what the reserve is sized for. */
  joinRate: number;
  baseline: number;
}

/** Zones read, or judged by the detector, between two turns of the event loop (about 0.4 ms of judging). */
const SLICE = 8192;

export class HotZoneMonitor {
  readonly joins: Uint32Array;
  readonly population: Uint32Array;
  /** Zones from here on had no join and no player when last sampled (Engine.sampleZones). */
  bound = 0;
  private readonly active = new Map<number, ActiveHotZone>();
  private sampledAt = Number.NaN;
  private steppedAt = Number.NaN;

  constructor(
    private readonly engine: ZoneEngine,
    readonly detector: HotZoneDetector,
    private readonly o: HotZoneMonitorOptions,
  ) {
    this.joins = new Uint32Array(detector.zones);
    this.population = new Uint32Array(detector.zones);
  }

  /**
   * Reads the engine's zone counters into `joins` and `population` (once per `now`), SLICE
   * zones at a time with a turn of the event loop between slices on a big world.
   */
  async sample(now: number): Promise<void> {
    if (now === this.sampledAt) return;
    this.sampledAt = now;
    const bound = this.engine.sampleZones(this.joins, this.population, undefined, 0, SLICE);
    for (let from = SLICE; from < bound; from += SLICE) {
      await nextTurn();
      this.engine.sampleZones(this.joins, this.population, undefined, from, from + SLICE);
    }
    this.bound = bound;
  }

  /** Hot zones now, with their plans. */
  hotZones(): ActiveHotZone[] {
    return [...this.active.values()];
  }

  /** Samples (unless already done for `now`), detects, mitigates. Returns the changes. */
  async step(now: number): Promise<HotZoneChange[]> {
    await this.sample(now);
    const changes = [...(await this.detect(now))];
    const servers = this.engine.servers();
    const dtMs = Number.isNaN(this.steppedAt) ? 0 : now - this.steppedAt;
    this.steppedAt = now;
    for (const c of changes) {
      // The event goes out whatever the engine says: the zone is hot (or cool) either way.
      this.engine.emitEvent({ type: 'hot-zone', at: now, zone: c.zone, hot: c.hot, joinRate: c.joinRate, baseline: c.baseline });
      if (c.hot) {
        const plan = this.plan(c.joinRate, c.population, servers);
        this.active.set(c.zone, { zone: c.zone, since: now, plan, joinRate: c.joinRate, baseline: c.baseline });
        await this.apply(c.zone, plan);
      } else {
        this.active.delete(c.zone);
        await this.apply(c.zone, null);
      }
    }
    // A crowd that keeps growing gets more servers and seats; one that has stopped coming keeps
    // its servers and gives back the seats it no longer needs.
    const w = dtMs > 0 ? 1 - Math.exp((-4 * dtMs) / this.o.reserveMs) : 0;
    for (const h of this.active.values()) {
      if (h.since === now) continue;
      const { joinRate } = this.detector.rateOf(h.zone);
      h.joinRate += w * (joinRate - h.joinRate);
      const plan = this.plan(h.joinRate, this.population[h.zone]!, servers);
      const grow = plan.servers > h.plan.servers || plan.reserve > h.plan.reserve * 1.5;
      const shrink = plan.reserve < h.plan.reserve / 2;
      if (!grow && !shrink) continue;
      const next = { servers: Math.max(plan.servers, h.plan.servers), reserve: grow ? Math.max(plan.reserve, h.plan.reserve) : plan.reserve };
      h.plan = next;
      await this.apply(h.zone, next);
    }
    return changes;
  }

  /**
   * The detector's update, in slices of SLICE zones with a turn of the event loop between
   * them: on a world of 100 000 zones one pass holds the thread about 5 ms, and this thread
   * also reads the gateways' batches. A world that fits in one slice is judged at once.
   */
  private async detect(now: number): Promise<readonly HotZoneChange[]> {
    const d = this.detector;
    const n = d.begin(now, this.joins, this.population, this.bound);
    for (let from = 0; from < n; from += SLICE) {
      if (from > 0) await nextTurn();
      d.measure(this.joins, this.population, from, Math.min(n, from + SLICE));
    }
    for (let from = 0; from < n; from += SLICE) {
      if (n > SLICE) await nextTurn();
      d.judge(now, from, Math.min(n, from + SLICE));
    }
    return d.lastChanges;
  }

  /** One plan to the engine; a refusal is reported and does not stop the other zones. */
  private async apply(zone: number, plan: HotZonePlan | null): Promise<void> {
    try {
      await this.engine.setHotZone(zone, plan);
    } catch (e) {
      if (!this.o.onError) throw e;
      this.o.onError(e, zone);
    }
  }

  /** Lifts every plan (shutting down, or the monitor is being turned off). */
  async liftAll(now: number): Promise<void> {
    for (const h of [...this.active.values()]) {
      this.active.delete(h.zone);
      const { joinRate, baseline } = this.detector.rateOf(h.zone);
      this.engine.emitEvent({ type: 'hot-zone', at: now, zone: h.zone, hot: false, joinRate, baseline });
      await this.apply(h.zone, null);
    }
  }

  private plan(joinRate: number, population: number, servers: readonly ServerInfo[]): HotZonePlan {
    let seats = 0;
    let open = 0;
    for (const s of servers) {
      if (s.state !== 'active') continue;
      seats += Math.min(s.limit, s.cap);
      open++;
    }
    const perServer = open > 0 ? seats / open : 1;
    const expected = population + joinRate * (this.o.planHorizonMs / 1000);
    const want = Math.ceil(expected / Math.max(1, perServer * this.o.fill));
    const count = Math.max(2, Math.min(want, this.o.maxServers, Math.max(1, open)));
    // Never more than the plan's servers could hold: the engine holds seats as they free up.
    const reserve = Math.min(Math.round(joinRate * (this.o.reserveMs / 1000)), Math.floor(count * perServer));
    return { servers: count, reserve };
  }
}
