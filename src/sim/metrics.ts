/**
 * What a run measures, from the ground truth (the true, noise-free usage of the simulated
 * servers and the true placements), never from what the strategy believes. Measured every
 * tick, summarised at the end, and kept every `sampleS` for the charts (each point sums or
 * takes the worst of the ticks in its window, so a one-tick violation still shows).
 *
 * Counters (joins, handoffs, moves) are bumped by the runner and count only from the
 * scenario's `measureFromS` on, as the per-tick measures do.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import type { AdmissionSeats } from '../engine/types.ts';
import type { SimServer } from './fleet.ts';
import type { Placements } from './placements.ts';
import type { RunSeries, RunSummary, RunTiming } from './run-summary.ts';

export interface LimitsForMetrics {
  cpu: number;
  memory: number;
  playersPerServer: number;
}

const MAX_NS = 60_000_000_000;

export class RunMetrics {
  private readonly limits: LimitsForMetrics;
  private readonly latency: Histogram;
  private wasOver = new Uint8Array(64);
  readonly series: RunSeries = { t: [], players: [], placed: [], unplaced: [], servers: [], maxUtil: [], meanUtil: [], violating: [], denied: [], handoffs: [], fragmentation: [] };
  /** Counting now (past measureFromS). */
  measuring = false;
  private ticks = 0;
  private playerSum = 0;
  private peakPlayers = 0;
  private peakZoneShare = 0;
  private episodes = 0;
  private serverSeconds = 0;
  private cpuSeconds = 0;
  private memorySeconds = 0;
  private capSeconds = 0;
  private playerSeconds = 0;
  private worstUtil = 0;
  joins = 0;
  placed = 0;
  refused = 0;
  queued = 0;
  deniedWhileRoom = 0;
  private freeSeatsSum = 0;
  /** The strategy tells its own admission seats at denials (zonelb); off, the summary says null. */
  byLimits = false;
  private deniedWhileAdmissible = 0;
  private takeableSum = 0;
  private reconnectSum = 0;
  private hotSum = 0;
  admitted = 0;
  /** Players back from a dropped connection, and those of them seated on the server they had. */
  returned = 0;
  returnedToServer = 0;
  crossings = 0;
  handoffs = 0;
  movedDrain = 0;
  movedFailover = 0;
  lost = 0;
  splits = 0;
  merges = 0;
  private fragSum = 0;
  private fragTicks = 0;
  private fragMax = 0;
  private readonly imbalances: number[] = [];
  private serverSecondsUsed = 0;
  private upSum = 0;
  private upMin = Infinity;
  private upMax = 0;
  private readonly failoverTimes: number[] = [];
  private strandedSeconds = 0;
  failoverWallMs = 0;
  // The chart window being gathered.
  private wMaxUtil = 0;
  private wViolating = 0;
  private wFragSum = 0;
  private wFragTicks = 0;
  private wDenied = 0;
  private wHandoffs = 0;

  constructor(limits: LimitsForMetrics) {
    this.limits = limits;
    this.latency = build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: MAX_NS, numberOfSignificantValueDigits: 3 });
  }

  /** One decision took `ns` nanoseconds. */
  recordDecision(ns: number): void {
    this.latency.recordValue(ns < 1 ? 1 : ns > MAX_NS ? MAX_NS : Math.round(ns));
  }

  /**
   * A join was queued or refused while the fleet had `freeSeats` true seats left, and (from
   * strategies that have admission limits) `seats` free by the strategy's own limits.
   */
  denied(freeSeats: number, queued: boolean, seats: AdmissionSeats | null = null): void {
    this.wDenied++;
    if (!this.measuring) return;
    if (queued) this.queued++;
    else this.refused++;
    if (seats !== null && seats.takeable > 0) this.deniedWhileAdmissible++;
    if (freeSeats > 0) {
      this.deniedWhileRoom++;
      this.freeSeatsSum += freeSeats;
      if (seats !== null) {
        this.takeableSum += seats.takeable;
        this.reconnectSum += seats.reconnect;
        this.hotSum += seats.hot;
      }
    }
  }

  handoff(): void {
    this.wHandoffs++;
    if (this.measuring) this.handoffs++;
  }

  failoverDone(seconds: number): void {
    if (this.measuring) this.failoverTimes.push(seconds);
  }

  /** Utilisation of a server on its true usage: the nearest limit it is to (1 = at a limit). */
  utilisation(s: SimServer): number {
    const l = this.limits;
    return Math.max(s.trueCpu / l.cpu, s.trueMemory / l.memory, s.players / Math.floor(s.weight * l.playersPerServer));
  }

  /** Measure one tick of `dt` seconds, after the servers' usage was taken. */
  tick(
    now: number,
    dt: number,
    servers: readonly SimServer[],
    placements: Placements,
    world: { population: number; zonePopulation: Int32Array },
    unplaced: number,
    sample: boolean,
  ): void {
    const l = this.limits;
    const m = this.measuring;
    const population = world.population;
    let up = 0;
    let maxUtil = 0;
    let utilWeighted = 0;
    let weight = 0;
    let violating = 0;
    let placed = 0;
    let stranded = 0;
    let largest = 0;
    if (this.wasOver.length < servers.length) {
      const grown = new Uint8Array(servers.length * 2);
      grown.set(this.wasOver);
      this.wasOver = grown;
    }
    for (const s of servers) {
      if (s.phase === 'crashed') {
        stranded += s.players;
        continue;
      }
      if (s.phase === 'gone') continue;
      if (m) this.serverSecondsUsed += dt; // booting, up or draining: paid for
      if (s.phase === 'booting') continue;
      placed += s.players;
      const cpuOver = s.trueCpu >= l.cpu;
      const memOver = s.trueMemory >= l.memory;
      const capOver = s.players > Math.floor(s.weight * l.playersPerServer);
      const over = cpuOver || memOver || capOver;
      const u = this.utilisation(s);
      if (u > maxUtil) maxUtil = u;
      if (over) {
        violating++;
        if (m) {
          this.serverSeconds += dt;
          this.playerSeconds += s.players * dt;
          if (cpuOver) this.cpuSeconds += dt;
          if (memOver) this.memorySeconds += dt;
          if (capOver) this.capSeconds += dt;
          if (this.wasOver[s.index] === 0) this.episodes++;
        }
      }
      this.wasOver[s.index] = over ? 1 : 0;
      if (s.phase !== 'up') continue;
      up++;
      if (s.capacity > largest) largest = s.capacity;
      utilWeighted += u * s.weight;
      weight += s.weight;
    }
    const meanUtil = weight > 0 ? utilWeighted / weight : 0;
    const needed = placements.neededServers(largest);
    const frag = needed > 0 ? placements.hosting / needed : Number.NaN;
    if (m) {
      this.ticks++;
      this.playerSum += population;
      if (population > this.peakPlayers) this.peakPlayers = population;
      if (population >= 100) {
        let top = 0;
        for (const p of world.zonePopulation) if (p > top) top = p;
        if (top / population > this.peakZoneShare) this.peakZoneShare = top / population;
      }
      if (maxUtil > this.worstUtil) this.worstUtil = maxUtil;
      this.strandedSeconds += stranded * dt;
      this.upSum += up;
      if (up < this.upMin) this.upMin = up;
      if (up > this.upMax) this.upMax = up;
      // Imbalance only means something once servers carry load.
      if (meanUtil > 0.05 && up > 1) this.imbalances.push(maxUtil / meanUtil);
      if (!Number.isNaN(frag)) {
        this.fragSum += frag;
        this.fragTicks++;
        if (frag > this.fragMax) this.fragMax = frag;
      }
    }
    if (maxUtil > this.wMaxUtil) this.wMaxUtil = maxUtil;
    if (violating > this.wViolating) this.wViolating = violating;
    if (!Number.isNaN(frag)) {
      this.wFragSum += frag;
      this.wFragTicks++;
    }
    if (!sample) return;
    const s = this.series;
    s.t.push(round3(now));
    s.players.push(population);
    s.placed.push(placed);
    s.unplaced.push(unplaced + stranded);
    s.servers.push(up);
    s.maxUtil.push(round3(this.wMaxUtil));
    s.meanUtil.push(round3(meanUtil));
    s.violating.push(this.wViolating);
    s.denied.push(this.wDenied);
    s.handoffs.push(this.wHandoffs);
    s.fragmentation.push(this.wFragTicks > 0 ? round3(this.wFragSum / this.wFragTicks) : 0);
    this.wMaxUtil = 0;
    this.wViolating = 0;
    this.wFragSum = 0;
    this.wFragTicks = 0;
    this.wDenied = 0;
    this.wHandoffs = 0;
  }

  summary(base: {
    scenario: string;
    strategy: string;
    seed: number;
    durationS: number;
    measuredS: number;
    arrived: number;
    hotZones: RunSummary['hotZones'];
    scale: RunSummary['scale'];
  }): RunSummary {
    const imb = Float64Array.from(this.imbalances).sort();
    const ft = this.failoverTimes;
    return {
      scenario: base.scenario,
      strategy: base.strategy,
      seed: base.seed,
      durationS: base.durationS,
      measuredS: base.measuredS,
      players: {
        peak: this.peakPlayers,
        mean: Math.round(this.playerSum / Math.max(1, this.ticks)),
        peakZoneShare: round3(this.peakZoneShare),
        arrived: base.arrived,
      },
      violations: {
        episodes: this.episodes,
        serverSeconds: round3(this.serverSeconds),
        cpuServerSeconds: round3(this.cpuSeconds),
        memoryServerSeconds: round3(this.memorySeconds),
        capServerSeconds: round3(this.capSeconds),
        playerSeconds: Math.round(this.playerSeconds),
        worstUtilisation: round3(this.worstUtil),
      },
      joins: {
        total: this.joins,
        placed: this.placed,
        queued: this.queued,
        refused: this.refused,
        deniedWhileRoom: this.deniedWhileRoom,
        freeSeatsWhenDenied: round3(this.deniedWhileRoom > 0 ? this.freeSeatsSum / this.deniedWhileRoom : 0),
        deniedWhileAdmissible: this.byLimits ? this.deniedWhileAdmissible : null,
        limitSeatsWhenDenied: {
          takeable: this.meanAtDenials(this.takeableSum),
          reconnect: this.meanAtDenials(this.reconnectSum),
          hot: this.meanAtDenials(this.hotSum),
        },
        admitted: this.admitted,
        returned: this.returned,
        returnedToServer: this.returnedToServer,
      },
      fragmentation: { mean: round3(this.fragTicks > 0 ? this.fragSum / this.fragTicks : 1), max: round3(this.fragTicks > 0 ? this.fragMax : 1) },
      crossings: this.crossings,
      handoffs: this.handoffs,
      handoffRate: round3(this.crossings > 0 ? this.handoffs / this.crossings : 0),
      moved: { drain: this.movedDrain, failover: this.movedFailover, lost: this.lost },
      failover: {
        crashes: ft.length,
        meanS: round3(ft.length > 0 ? ft.reduce((a, b) => a + b, 0) / ft.length : 0),
        maxS: round3(ft.length > 0 ? Math.max(...ft) : 0),
        strandedPlayerSeconds: Math.round(this.strandedSeconds),
      },
      imbalance: {
        mean: round3(imb.length > 0 ? imb.reduce((a, b) => a + b, 0) / imb.length : 1),
        p95: round3(imb.length > 0 ? imb[Math.min(imb.length - 1, Math.floor(imb.length * 0.95))]! : 1),
      },
      serverHours: round3(this.serverSecondsUsed / 3600),
      servers: { min: this.upMin === Infinity ? 0 : this.upMin, max: this.upMax, mean: round3(this.upSum / Math.max(1, this.ticks)) },
      zones: { splits: this.splits, merges: this.merges },
      hotZones: base.hotZones,
      scale: base.scale,
    };
  }

  /** A sum taken at the denials with true room, as a mean over them (null: the strategy has no limits to tell). */
  private meanAtDenials(sum: number): number | null {
    if (!this.byLimits) return null;
    return round3(this.deniedWhileRoom > 0 ? sum / this.deniedWhileRoom : 0);
  }

  timing(wallMs: number): RunTiming {
    const h = this.latency;
    const us = (ns: number): number => round3(ns / 1000);
    return {
      latencyUs: { count: h.totalCount, p50: us(h.getValueAtPercentile(50)), p99: us(h.getValueAtPercentile(99)), p999: us(h.getValueAtPercentile(99.9)), max: us(h.maxValue) },
      failoverWallMs: round3(this.failoverWallMs),
      wallMs: Math.round(wallMs),
    };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
