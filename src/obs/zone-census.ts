import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Engine, ZoneInfo } from '../engine/types.ts';

/** One zone as the dashboard and the metrics show it. */
export interface CensusZone {
  zone: number;
  /** Players and reserved seats (latest sample). */
  population: number;
  /** Servers holding the zone (latest sample). */
  serverCount: number;
  /** Those servers with their players, as of the latest walk; empty when not walked. */
  servers: ZoneInfo['servers'];
  /** A hot-zone plan in force, as of the latest walk. */
  hot: ZoneInfo['hot'];
}

/** What the dashboard and the metrics show of the zones. */
export interface ZoneCensusResult {
  /** Wall clock of the latest sample (ms), 0 before the first. */
  at: number;
  /** Zones holding at least one player or seat, and those players. */
  zones: number;
  players: number;
  /** Zones held by more than one server. */
  split: number;
  /** Zones by the number of servers holding them: index k = zones on k servers (last = that many or more). */
  byServerCount: number[];
  /** The busiest zones, most populated first. */
  top: CensusZone[];
  /** Split zones, most populated first (bounded: metrics label each one). */
  splitZones: CensusZone[];
  /** Wall clock of the latest walk (the per-server breakdown), 0 if none yet or the world is too big. */
  walkAt: number;
}

export interface ZoneCensusOptions {
  /** Sample period (ms). */
  everyMs: number;
  /** Share of the time the breakdown walk may take (it pauses the shards). */
  walkDuty: number;
  /** No breakdown walk past this many zones. */
  walkMaxZones: number;
  /** Zones kept in `top` and `splitZones`. */
  keep: number;
  wallClock?: () => number;
}

const SERVER_COUNT_BUCKETS = 9;
/** Upper bound of the shard time one zone costs a walk (µs), measured at about 5 to 15. */
const WALK_US_PER_ZONE = 20;

/**
 * Keeps the zone figures fresh without weighing on the shards. Every `everyMs` a sample reads
 * each zone's population and server count lock-free from the shared zone rows
 * (Engine.sampleZones: under 2 ms for 100 k zones in use, no message to any shard): totals, split
 * zones, the busiest zones. Scrapes and dashboard frames read the cached result.
 *
 * Which server holds how many of a zone's players needs Engine.zones(), where each shard lists
 * its zones: that stops the shards for as long as the listing takes (0.7 s for 100 k zones, a
 * join waits that long), so it runs only on worlds of at most `walkMaxZones` zones, and at
 * most `walkDuty` of the time: a walk that cost d ms is followed by d / walkDuty ms without one.
 */
export class ZoneCensus {
  latest: ZoneCensusResult = { at: 0, zones: 0, players: 0, split: 0, byServerCount: new Array<number>(SERVER_COUNT_BUCKETS).fill(0), top: [], splitZones: [], walkAt: 0 };
  private readonly joins: Uint32Array;
  private readonly population: Uint32Array;
  private readonly servers: Uint32Array;
  /** The breakdown of the zones the latest walk described (its busiest and its split ones). */
  private walked = new Map<number, ZoneInfo>();
  private walkAt = 0;
  private readonly timer: NodeJS.Timeout;
  private walking: Promise<void> | undefined;
  private sampling: Promise<void> | undefined;
  private nextWalk = 0;
  private closed = false;
  private readonly wallClock: () => number;

  constructor(
    private readonly engine: Engine,
    private readonly o: ZoneCensusOptions,
  ) {
    this.wallClock = o.wallClock ?? Date.now;
    const n = engine.options.maxZones;
    this.joins = new Uint32Array(n);
    this.population = new Uint32Array(n);
    this.servers = new Uint32Array(n);
    this.timer = setInterval(() => void this.refresh(), o.everyMs);
    this.timer.unref();
    void this.refresh();
  }

  /**
   * Samples now, and starts a walk if one is due and allowed. Resolves when that walk (if any)
   * is done. A world of at most SLICE zones is sampled before this returns.
   */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const sampling = this.sample();
    return sampling === undefined ? this.walkIfDue() : sampling.then(() => this.walkIfDue());
  }

  /** Walks now if the world is small enough (or waits for the walk under way), then samples. */
  async walkNow(): Promise<void> {
    this.nextWalk = 0;
    await this.refresh();
    await this.sample();
  }

  private walkIfDue(): Promise<void> {
    if (!this.closed && !this.walking && this.latest.zones <= this.o.walkMaxZones && performance.now() >= this.nextWalk) {
      this.walking = this.walk().finally(() => {
        this.walking = undefined;
      });
    }
    return this.walking ?? Promise.resolve();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  /**
   * Reads every zone in use, SLICE zones at a time with a turn of the event loop between
   * slices (this thread also reads the gateways' batches; 100 000 zones take about 2 ms), then
   * publishes the totals at once. Returns undefined when done without yielding, else the
   * sample under way (a second call joins it).
   */
  private sample(): Promise<void> | undefined {
    if (this.sampling) return this.sampling;
    const bound = this.engine.sampleZones(this.joins, this.population, this.servers, 0, SLICE);
    const t = new Tally(this.o.keep);
    t.add(this.population, this.servers, 0, Math.min(bound, SLICE));
    if (bound <= SLICE) {
      this.publish(t);
      return undefined;
    }
    this.sampling = (async () => {
      for (let from = SLICE; from < bound; from += SLICE) {
        await nextTurn();
        if (this.closed) return;
        this.engine.sampleZones(this.joins, this.population, this.servers, from, from + SLICE);
        t.add(this.population, this.servers, from, Math.min(bound, from + SLICE));
      }
      this.publish(t);
    })().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private publish(t: Tally): void {
    this.latest = {
      at: this.wallClock(),
      zones: t.zones,
      players: t.players,
      split: t.split,
      byServerCount: t.byServerCount,
      top: t.top.map((z) => this.describe(z)),
      splitZones: t.splitZones.map((z) => this.describe(z)),
      walkAt: this.walkAt,
    };
  }

  private describe(zone: number): CensusZone {
    const w = this.walked.get(zone);
    return { zone, population: this.population[zone]!, serverCount: this.servers[zone]!, servers: w?.servers ?? [], hot: w?.hot ?? null };
  }

  private async walk(): Promise<void> {
    const started = performance.now();
    let all: ZoneInfo[];
    try {
      all = await this.engine.zones();
    } catch {
      // The engine is closing: keep the last census.
      return;
    }
    // The time measured also counts the wait for shards busy with batches and for the main
    // thread (seconds at startup); the pause the walk itself causes is bounded by its size.
    const costMs = Math.min(performance.now() - started, 1 + (all.length * WALK_US_PER_ZONE) / 1000);
    this.nextWalk = performance.now() + costMs / this.o.walkDuty;
    // Keep the breakdown of the zones a sample may list until the next walk: the busiest (with
    // a margin, as the ranking moves between walks) and the split ones.
    const byPopulation = (a: ZoneInfo, b: ZoneInfo): number => b.population - a.population || a.zone - b.zone;
    const walked = new Map<number, ZoneInfo>();
    for (const z of topN(all, this.o.keep * 4, byPopulation)) walked.set(z.zone, z);
    for (const z of all) if (z.servers.length > 1 && walked.size < this.o.keep * 8) walked.set(z.zone, z);
    this.walked = walked;
    this.walkAt = this.wallClock();
  }
}

/** Zones a sample reads between two turns of the event loop (about 0.2 ms of work). */
const SLICE = 16_384;

/** Totals of one sample, added up slice by slice. */
class Tally {
  zones = 0;
  players = 0;
  split = 0;
  readonly byServerCount = new Array<number>(SERVER_COUNT_BUCKETS).fill(0);
  readonly top: number[] = [];
  readonly splitZones: number[] = [];

  constructor(private readonly keep: number) {}

  add(pop: Uint32Array, held: Uint32Array, from: number, to: number): void {
    for (let z = from; z < to; z++) {
      const p = pop[z]!;
      const k = held[z]!;
      if (p === 0 && k === 0) continue;
      if (p > 0) {
        this.zones++;
        this.players += p;
        keepBusiest(this.top, z, pop, this.keep);
      }
      this.byServerCount[Math.min(k, SERVER_COUNT_BUCKETS - 1)]!++;
      if (k > 1) {
        this.split++;
        keepBusiest(this.splitZones, z, pop, this.keep);
      }
    }
  }
}

/** Inserts zone `z` into `ids` (most populated first) if it is among the `keep` busiest. */
function keepBusiest(ids: number[], z: number, pop: Uint32Array, keep: number): void {
  const p = pop[z]!;
  if (ids.length === keep && p <= pop[ids[keep - 1]!]!) return;
  let i = ids.length === keep ? keep - 1 : ids.length;
  if (ids.length < keep) ids.push(z);
  while (i > 0 && p > pop[ids[i - 1]!]!) {
    ids[i] = ids[i - 1]!;
    i--;
  }
  ids[i] = z;
}

/** The n first of `items` in `order`, without sorting them all. */
function topN<T>(items: readonly T[], n: number, order: (a: T, b: T) => number): T[] {
  const out: T[] = [];
  for (const x of items) {
    if (out.length === n && order(x, out[n - 1]!) >= 0) continue;
    let i = out.length === n ? n - 1 : out.length;
    if (out.length < n) out.push(x);
    while (i > 0 && order(x, out[i - 1]!) < 0) {
      out[i] = out[i - 1]!;
      i--;
    }
    out[i] = x;
  }
  return out;
}
