/**
 * One run: one scenario, one strategy, on a virtual clock. Every tick the fleet boots and
 * retires servers, the scenario's events fire, refused players retry, the world moves (each
 * arrival, walk and departure goes to the strategy as a join, move or leave, and its answer
 * is applied to the ground truth), servers report their readings, the strategy does its
 * background work, and the metrics are taken. Nothing the strategy does feeds back into the
 * world: every strategy sees the same players do the same things.
 */
import { ControlEvents } from './control-events.ts';
import { Fleet, type FleetListener, type SimServer } from './fleet.ts';
import { RunMetrics } from './metrics.ts';
import type { RunSeries, RunSummary, RunTiming } from './run-summary.ts';
import { Placements, PlayerState } from './placements.ts';
import { Rng } from './rng.ts';
import type { Scenario } from './scenario-schema.ts';
import { worldMapOf } from './scenario.ts';
import { makeStrategy } from './strategies/index.ts';
import type { StrategyName } from './strategies/names.ts';
import { Refusal, type MoveReason, type Strategy, type StrategyContext } from './strategy.ts';
import { Timeline, type Mark } from './timeline.ts';
import { Traffic, type TrafficSink } from './traffic.ts';
import type { WorldMap } from './world-map.ts';
import type { AdmissionSeats } from '../engine/types.ts';

export interface RunResult {
  summary: RunSummary;
  timing: RunTiming;
  series: RunSeries;
  marks: Mark[];
}

export interface RunOptions {
  /** Told the share of the run done, about a hundred times a run. */
  onProgress?: (fraction: number) => void;
}

export async function runScenario(scenario: Scenario, strategy: StrategyName, options: RunOptions = {}): Promise<RunResult> {
  return new SimRun(scenario, strategy, options).run();
}

interface Crash {
  server: SimServer;
  at: number;
  /** When the strategy is told (baselines): the engine's own detection delay. */
  detectAt: number;
  told: boolean;
}

class SimRun implements TrafficSink, FleetListener {
  private readonly s: Scenario;
  private readonly map: WorldMap;
  private readonly traffic: Traffic;
  private readonly fleet: Fleet;
  private readonly placements: Placements;
  private readonly metrics: RunMetrics;
  private readonly timeline: Timeline;
  private readonly strategy: Strategy;
  private readonly options: RunOptions;
  private now = 0;
  /** Strategy calls the fleet's changes asked for, run (and awaited) in order after each change. */
  private readonly lifecycle: (() => Promise<void> | void)[] = [];
  private readonly crashes: Crash[] = [];
  /** Refused players' retries, in time order (retryS is constant). */
  private retryAt = new Float64Array(1024);
  private retryPlayer = new Int32Array(1024);
  private retryHead = 0;
  private retryTail = 0;
  private queuedCount = 0;
  private waitingCount = 0;
  /** Server index each player whose connection dropped had (players that had one). */
  private readonly awayFrom = new Map<number, number>();
  /**
   * Players seated before the balancer restarted, that it has not heard of since: when their
   * server crashes or goes, only their gateway can notice (the balancer re-places only the
   * players it holds), so they join again.
   */
  private readonly unknownToBalancer = new Set<number>();
  private readonly control: ControlEvents;
  /** Filled by the strategy at each denied join (strategies with admission limits). */
  private readonly seatsByLimit: AdmissionSeats = { takeable: 0, reconnect: 0, hot: 0 };

  constructor(scenario: Scenario, strategy: StrategyName, options: RunOptions) {
    this.s = scenario;
    this.options = options;
    this.map = worldMapOf(scenario);
    this.traffic = new Traffic(scenario, this.map);
    this.fleet = new Fleet(scenario, this);
    this.placements = new Placements(this.map.zones, this.fleet.servers);
    this.metrics = new RunMetrics({ cpu: scenario.engine.cpuLimit, memory: scenario.engine.memoryLimit, playersPerServer: scenario.fleet.playersPerServer });
    this.timeline = new Timeline(scenario, this.traffic, this.fleet, () => this.lifecycle.push(() => this.restartBalancer()));
    this.control = new ControlEvents(this.metrics, this.fleet);
    const ctx: StrategyContext = {
      scenario,
      map: this.map,
      servers: this.fleet.servers,
      placements: this.placements,
      fleet: this.fleet,
      rng: new Rng(scenario.seed, `strategy:${strategy}`),
      moved: (player, server, reason) => this.moved(player, server, reason),
      event: (e) => this.control.observe(e),
    };
    this.strategy = makeStrategy(strategy, ctx);
    this.metrics.byLimits = this.strategy.admissionSeats !== undefined;
  }

  async run(): Promise<RunResult> {
    const started = performance.now();
    const s = this.s;
    const ticks = Math.round(s.durationS / s.tickS);
    const sampleEvery = Math.max(1, Math.round(s.sampleS / s.tickS));
    const progressEvery = Math.max(1, Math.floor(ticks / 100));
    this.fleet.startInitial();
    await this.step(0, 0, false);
    for (let k = 1; k <= ticks; k++) {
      // Multiplied, not summed: no drift of the clock over a long run.
      const now = k * s.tickS;
      this.metrics.measuring = now > s.measureFromS;
      await this.step(now, s.tickS, k % sampleEvery === 0);
      if (k % progressEvery === 0) this.options.onProgress?.(k / ticks);
    }
    await this.strategy.close(this.now);
    return {
      summary: this.metrics.summary({
        scenario: s.name,
        strategy: this.strategy.name,
        seed: s.seed,
        durationS: s.durationS,
        measuredS: s.durationS - s.measureFromS,
        arrived: this.traffic.arrived,
        hotZones: this.control.hotZoneSummary(this.timeline.crowds),
        scale: this.scaleSummary(),
      }),
      timing: this.metrics.timing(performance.now() - started),
      series: this.metrics.series,
      marks: [...this.timeline.marks, ...this.control.marks].sort((a, b) => a.t - b.t),
    };
  }

  private async step(now: number, dt: number, sample: boolean): Promise<void> {
    this.now = now;
    this.fleet.advance(now);
    await this.runLifecycle();
    this.timeline.step(now);
    await this.runLifecycle();
    this.tellDetectedCrashes(now);
    this.retry(now);
    if (dt > 0) this.traffic.step(now, dt, this);
    for (const srv of this.fleet.servers) {
      if (srv.phase !== 'up' && srv.phase !== 'draining') continue;
      this.fleet.measure(srv);
      this.strategy.heartbeat(srv, now);
    }
    await this.strategy.tick(now);
    await this.runLifecycle();
    this.finishFailovers(now);
    this.metrics.tick(now, dt, this.fleet.servers, this.placements, this.traffic, this.queuedCount + this.waitingCount, sample);
  }

  private async runLifecycle(): Promise<void> {
    while (this.lifecycle.length > 0) await this.lifecycle.shift()!();
  }

  // ------------------------------------------------------------------ the fleet

  up(server: SimServer): void {
    this.lifecycle.push(() => this.strategy.addServer(server, this.now));
  }

  draining(server: SimServer): void {
    this.lifecycle.push(() => this.strategy.drainServer(server, this.now));
  }

  gone(server: SimServer): void {
    this.lifecycle.push(async () => {
      await this.strategy.removeServer(server, this.now);
      this.dropUnknownOn(server);
    });
  }

  /** The balancer restarts: the players in its line are lost to it and join again; those seated stay, unknown to it. */
  private async restartBalancer(): Promise<void> {
    if (!this.strategy.restart) return;
    await this.strategy.restart(this.now);
    const p = this.placements;
    for (let player = 0; player < p.serverOf.length; player++) {
      const st = p.state(player);
      if (st === PlayerState.Queued) this.loseSeat(player);
      else if (st >= 0) this.unknownToBalancer.add(player);
    }
  }

  /** Players the balancer does not know on a server that crashed or went: their gateway has them join again. */
  private dropUnknownOn(server: SimServer): void {
    if (this.unknownToBalancer.size === 0) return;
    for (const player of this.placements.playersOn(server.index)) if (this.unknownToBalancer.has(player)) this.loseSeat(player);
  }

  crashed(server: SimServer): void {
    this.crashes.push({ server, at: this.now, detectAt: this.now + this.s.engine.deadAfterMs / 1000, told: false });
  }

  /**
   * Baselines learn of a crash after the same delay zonelb's failure detector takes (zonelb
   * finds it on its own, from the missing heartbeats).
   */
  private tellDetectedCrashes(now: number): void {
    for (const c of this.crashes) {
      if (c.told || now < c.detectAt) continue;
      c.told = true;
      const t0 = performance.now();
      this.strategy.serverDead(c.server, now);
      const ms = performance.now() - t0;
      if (ms > this.metrics.failoverWallMs) this.metrics.failoverWallMs = ms;
      this.dropUnknownOn(c.server);
    }
  }

  /** A crash's failover is over once its server holds nobody (re-placed, queued, lost or gone). */
  private finishFailovers(now: number): void {
    for (let i = 0; i < this.crashes.length; i++) {
      const c = this.crashes[i]!;
      if (c.server.players > 0 || !c.told) continue;
      this.metrics.failoverDone(now - c.at);
      this.crashes.splice(i--, 1);
    }
  }

  // ------------------------------------------------------------------ the world's intents

  arrive(player: number, zone: number): void {
    this.placements.ensurePlayer(player);
    this.join(player, zone);
  }

  move(player: number, _from: number, to: number): void {
    const p = this.placements;
    const st = p.state(player);
    if (st === PlayerState.Queued) {
      // It keeps its place in line, now wanting the new zone.
      const r = this.strategy.move(player, to, this.now);
      if (r >= 0) this.seat(player, to, r, 'admitted');
      return;
    }
    if (st < 0) return; // not in the strategy's hands (waiting to retry)
    // A walker the balancer does not know is joined by its gateway instead (the strategy does so).
    this.unknownToBalancer.delete(player);
    const live = this.fleet.servers[st]!.phase !== 'crashed';
    const t0 = performance.now();
    const r = this.strategy.move(player, to, this.now);
    this.metrics.recordDecision((performance.now() - t0) * 1e6);
    if (live && this.metrics.measuring) this.metrics.crossings++;
    if (r >= 0) {
      if (r !== st && live) this.metrics.handoff();
      p.moveTo(player, to, r);
    } else if (r === Refusal.Queued) {
      p.unplace(player, PlayerState.Queued);
      this.queuedCount++;
    } else {
      // Walking cost it its seat: it has to join again.
      this.loseSeat(player);
    }
  }

  leave(player: number): void {
    this.depart(player, false);
  }

  drop(player: number): void {
    const st = this.placements.state(player);
    if (st >= 0) this.awayFrom.set(player, st);
    this.depart(player, true);
  }

  back(player: number, zone: number): void {
    const had = this.awayFrom.get(player);
    this.awayFrom.delete(player);
    const r = this.join(player, zone);
    if (!this.metrics.measuring || had === undefined) return;
    this.metrics.returned++;
    if (r === had) this.metrics.returnedToServer++;
  }

  private depart(player: number, dropped: boolean): void {
    this.unknownToBalancer.delete(player);
    const p = this.placements;
    const st = p.state(player);
    if (st === PlayerState.Waiting) this.waitingCount--;
    else if (st === PlayerState.Queued || st >= 0) {
      if (st === PlayerState.Queued) this.queuedCount--;
      this.strategy.leave(player, this.now, dropped);
    }
    p.unplace(player, PlayerState.Absent);
  }

  /** Asks the strategy to place a (re)joining player; returns its answer (a server index or a Refusal). */
  private join(player: number, zone: number): number {
    const m = this.metrics;
    const t0 = performance.now();
    const r = this.strategy.join(player, zone, this.now);
    m.recordDecision((performance.now() - t0) * 1e6);
    if (m.measuring) m.joins++;
    if (r >= 0) {
      if (m.measuring) m.placed++;
      this.placements.place(player, zone, r);
      return r;
    }
    const free = this.fleet.freeSeats();
    // Asked only while measuring: a denial before that is not counted anyway.
    let seats: AdmissionSeats | null = null;
    if (m.measuring && this.strategy.admissionSeats) {
      seats = this.seatsByLimit;
      this.strategy.admissionSeats(seats);
    }
    if (r === Refusal.Queued) {
      this.placements.unplace(player, PlayerState.Queued);
      this.queuedCount++;
      m.denied(free, true, seats);
    } else {
      this.placements.unplace(player, PlayerState.Waiting);
      this.waitingCount++;
      this.scheduleRetry(player);
      m.denied(free, false, seats);
    }
    return r;
  }

  private scheduleRetry(player: number): void {
    if (this.retryTail === this.retryAt.length) {
      // Compact, then grow if still full.
      const n = this.retryTail - this.retryHead;
      const cap = n * 2 > this.retryAt.length ? this.retryAt.length * 2 : this.retryAt.length;
      const at = new Float64Array(cap);
      const who = new Int32Array(cap);
      at.set(this.retryAt.subarray(this.retryHead, this.retryTail));
      who.set(this.retryPlayer.subarray(this.retryHead, this.retryTail));
      this.retryAt = at;
      this.retryPlayer = who;
      this.retryHead = 0;
      this.retryTail = n;
    }
    this.retryAt[this.retryTail] = this.now + this.s.retryS;
    this.retryPlayer[this.retryTail++] = player;
  }

  private retry(now: number): void {
    while (this.retryHead < this.retryTail && this.retryAt[this.retryHead]! <= now) {
      const player = this.retryPlayer[this.retryHead++]!;
      if (this.placements.state(player) !== PlayerState.Waiting) continue; // left meanwhile
      this.waitingCount--;
      this.join(player, this.traffic.zoneOf(player));
    }
  }

  // ------------------------------------------------------------------ what the strategy does on its own

  private moved(player: number, server: number, reason: MoveReason): void {
    const zone = this.traffic.zoneOf(player);
    if (zone < 0) throw new Error(`${this.strategy.name} moved player ${player}, who left the world`);
    if (server >= 0) {
      this.seat(player, zone, server, reason);
    } else if (server === Refusal.Queued) {
      const st = this.placements.state(player);
      if (st === PlayerState.Queued) return;
      this.placements.unplace(player, PlayerState.Queued);
      this.queuedCount++;
      if (reason === 'failover' && this.metrics.measuring) this.metrics.movedFailover++;
    } else {
      this.loseSeat(player);
    }
  }

  private seat(player: number, zone: number, server: number, reason: MoveReason): void {
    const m = this.metrics;
    const st = this.placements.state(player);
    if (st === PlayerState.Queued) {
      this.queuedCount--;
      if (m.measuring) m.admitted++;
    } else if (st === PlayerState.Waiting) {
      this.waitingCount--;
    }
    if (m.measuring && st >= 0) {
      if (reason === 'failover') m.movedFailover++;
      else if (reason === 'drain') m.movedDrain++;
    }
    this.placements.place(player, zone, server);
  }

  private loseSeat(player: number): void {
    this.unknownToBalancer.delete(player);
    const st = this.placements.state(player);
    if (st === PlayerState.Waiting) return;
    if (st === PlayerState.Queued) this.queuedCount--;
    this.placements.unplace(player, PlayerState.Waiting);
    this.waitingCount++;
    this.scheduleRetry(player);
    if (this.metrics.measuring) this.metrics.lost++;
  }

  private scaleSummary(): RunSummary['scale'] {
    const counts = this.strategy.scaleCounts?.();
    return { decisions: this.control.scaleDecisions, started: counts?.started ?? 0, released: counts?.released ?? 0 };
  }
}
