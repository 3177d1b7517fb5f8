/**
 * What a run measures, from the ground truth (true readings of the simulated servers, true
 * placements), never from what the strategy believes. Accumulated per tick, summarised at the
 * end, and sampled every `sampleS` for the charts.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import type { Fleet, SimServer } from './fleet.ts';
import type { Placements } from './placements.ts';

export interface RunSummary {
  scenario: string;
  strategy: string;
  seed: number;
  durationS: number;
  players: { peak: number; mean: number; peakZoneShare: number; arrived: number };
  violations: {
    /** Times a server went from within its limits to over one. */
    episodes: number;
    /** Seconds servers spent over a limit, summed over servers; and by limit. */
    serverSeconds: number;
    cpuServerSeconds: number;
    memoryServerSeconds: number;
    capServerSeconds: number;
    /** Players on a server over a limit × seconds. */
    playerSeconds: number;
  };
  joins: {
    total: number;
    refused: number;
    queued: number;
    /** Joins refused or queued while some server, by its true readings, had room for one more. */
    deniedWhileRoom: number;
  };
  /** Mean over time of Σ servers hosting each zone / Σ servers each zone's population needs (1 = ideal). */
  fragmentation: number;
  /** Zones on more servers than they need, at the worst moment. */
  crossings: number;
  handoffs: number;
  /** handoffs / crossings. */
  handoffRate: number;
  moved: { drain: number; failover: number; lost: number };
  failover: { crashes: number; meanS: number; maxS: number; strandedPlayerSeconds: number };
  /** Max over weighted mean utilisation of the servers taking players (1 = perfectly even). */
  imbalance: { mean: number; p95: number };
  serverHours: number;
  latencyUs: { count: number; p50: number; p99: number; p999: number; max: number };
  wallMs: number;
}

/** Chart points, one column per measure. */
export interface RunSeries {
  t: number[];
  players: number[];
  placed: number[];
  /** Queued, waiting to retry, or stranded on a crashed server. */
  unplaced: number[];
  servers: number[];
  maxUtil: number[];
  meanUtil: number[];
  violating: number[];
  refused: number[];
  handoffs: number[];
  fragmentation: number[];
}

export interface LimitsForMetrics {
  cpu: number;
  memory: number;
  playersPerServer: number;
}

export class RunMetrics {
  private readonly limits: LimitsForMetrics;
  private readonly latency: Histogram;
  private readonly wasOver: Uint8Array[] = [];
  readonly series: RunSeries = {
    t: [],
    players: [],
    placed: [],
    unplaced: [],
    servers: [],
    maxUtil: [],
    meanUtil: [],
    violating: [],
    refused: [],
    handoffs: [],
    fragmentation: [],
  };
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
  joins = 0;
  refused = 0;
  queued = 0;
  deniedWhileRoom = 0;
  crossings = 0;
  handoffs = 0;
  movedDrain = 0;
  movedFailover = 0;
  lost = 0;
  private fragSum = 0;
  private fragTicks = 0;
  private lastFrag = 1;
  private readonly imbalances: number[] = [];
  private serverSecondsUsed = 0;
  private readonly failoverTimes: number[] = [];
  private strandedSeconds = 0;

  constructor(limits: LimitsForMetrics) {
    this.limits = limits;
    this.latency = build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3 });
  }

  /** One decision took `ns` nanoseconds. */
  recordDecision(ns: number): void {
    this.latency.recordValue(ns < 1 ? 1 : ns > 60_000_000_000 ? 60_000_000_000 : Math.round(ns));
  }

  failoverDone(seconds: number): void {
    this.failoverTimes.push(seconds);
  }

  /** Utilisation of a server: the nearest limit it is to (1 = at a limit). */
  utilisation(s: SimServer): number {
    const l = this.limits;
    return Math.max(s.cpu / l.cpu, s.memory / l.memory, s.players / Math.floor(s.weight * l.playersPerServer));
  }

  /** Measure one tick of `dt` seconds, after the servers' readings were taken. */
  tick(now: number, dt: number, fleet: Fleet, placements: Placements, world: { population: number; zonePopulation: Int32Array }, unplaced: number, stranded: number, sample: boolean): void {
    const l = this.limits;
    this.ticks++;
    const population = world.population;
    this.playerSum += population;
    if (population > this.peakPlayers) this.peakPlayers = population;
    if (population >= 100) {
      let top = 0;
      for (const p of world.zonePopulation) if (p > top) top = p;
      this.peakZoneShare = Math.max(this.peakZoneShare, top / population);
    }
    this.strandedSeconds += stranded * dt;
    let up = 0;
    let maxUtil = 0;
    let utilWeighted = 0;
    let weight = 0;
    let violating = 0;
    let placed = 0;
    for (const s of fleet.servers) {
      if (s.phase === 'booting' || s.phase === 'up' || s.phase === 'draining') this.serverSecondsUsed += dt;
      if (s.phase !== 'up' && s.phase !== 'draining') continue;
      placed += s.players;
      while (this.wasOver.length <= s.index) this.wasOver.push(new Uint8Array(1));
      const cpuOver = s.cpu >= l.cpu;
      const memOver = s.memory >= l.memory;
      const capOver = s.players > Math.floor(s.weight * l.playersPerServer);
      const over = cpuOver || memOver || capOver;
      if (over) {
        violating++;
        this.serverSeconds += dt;
        this.playerSeconds += s.players * dt;
        if (cpuOver) this.cpuSeconds += dt;
        if (memOver) this.memorySeconds += dt;
        if (capOver) this.capSeconds += dt;
        if (this.wasOver[s.index]![0] === 0) this.episodes++;
      }
      this.wasOver[s.index]![0] = over ? 1 : 0;
      if (s.phase !== 'up') continue;
      up++;
      const u = this.utilisation(s);
      if (u > maxUtil) maxUtil = u;
      utilWeighted += u * s.weight;
      weight += s.weight;
    }
    const meanUtil = weight > 0 ? utilWeighted / weight : 0;
    // Imbalance only means something once servers carry load.
    if (meanUtil > 0.05 && up > 1) this.imbalances.push(maxUtil / meanUtil);
    const frag = fragmentation(placements, fleet.largestCapacity());
    if (!Number.isNaN(frag)) {
      this.fragSum += frag;
      this.fragTicks++;
      this.lastFrag = frag;
    }
    if (sample) {
      const s = this.series;
      s.t.push(now);
      s.players.push(population);
      s.placed.push(placed);
      s.unplaced.push(unplaced);
      s.servers.push(up);
      s.maxUtil.push(round3(maxUtil));
      s.meanUtil.push(round3(meanUtil));
      s.violating.push(violating);
      s.refused.push(this.refused + this.queued);
      s.handoffs.push(this.handoffs);
      s.fragmentation.push(round3(this.lastFrag));
    }
  }

  summary(base: { scenario: string; strategy: string; seed: number; durationS: number; arrived: number; wallMs: number }): RunSummary {
    const sortedImb = [...this.imbalances].sort((a, b) => a - b);
    const h = this.latency;
    const us = (ns: number): number => round3(ns / 1000);
    return {
      scenario: base.scenario,
      strategy: base.strategy,
      seed: base.seed,
      durationS: base.durationS,
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
      },
      joins: { total: this.joins, refused: this.refused, queued: this.queued, deniedWhileRoom: this.deniedWhileRoom },
      fragmentation: round3(this.fragTicks > 0 ? this.fragSum / this.fragTicks : 1),
      crossings: this.crossings,
      handoffs: this.handoffs,
      handoffRate: round3(this.crossings > 0 ? this.handoffs / this.crossings : 0),
      moved: { drain: this.movedDrain, failover: this.movedFailover, lost: this.lost },
      failover: {
        crashes: this.failoverTimes.length,
        meanS: round3(this.failoverTimes.length > 0 ? this.failoverTimes.reduce((a, b) => a + b, 0) / this.failoverTimes.length : 0),
        maxS: round3(this.failoverTimes.length > 0 ? Math.max(...this.failoverTimes) : 0),
        strandedPlayerSeconds: Math.round(this.strandedSeconds),
      },
      imbalance: {
        mean: round3(sortedImb.length > 0 ? sortedImb.reduce((a, b) => a + b, 0) / sortedImb.length : 1),
        p95: round3(sortedImb.length > 0 ? sortedImb[Math.min(sortedImb.length - 1, Math.floor(sortedImb.length * 0.95))]! : 1),
      },
      serverHours: round3(this.serverSecondsUsed / 3600),
      latencyUs: {
        count: h.totalCount,
        p50: us(h.getValueAtPercentile(50)),
        p99: us(h.getValueAtPercentile(99)),
        p999: us(h.getValueAtPercentile(99.9)),
        max: us(h.maxValue),
      },
      wallMs: Math.round(base.wallMs),
    };
  }
}

/**
 * Σ over zones of the servers hosting the zone, over Σ of the servers its population needs
 * (⌈population / the largest true server capacity⌉). NaN when nobody is placed.
 */
export function fragmentation(placements: Placements, capacity: number): number {
  if (capacity <= 0) return Number.NaN;
  let hosting = 0;
  let needed = 0;
  for (let z = 0; z < placements.zones; z++) {
    const p = placements.population[z]!;
    if (p === 0) continue;
    hosting += placements.spread[z]!;
    needed += Math.ceil(p / capacity);
  }
  return needed === 0 ? Number.NaN : hosting / needed;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
