import type { Engine, ZoneInfo } from '../engine/types.ts';

/** One zone as the dashboard and the metrics show it. */
export interface CensusZone {
  zone: number;
  /** Players and reserved seats, fresh from the latest sample. */
  population: number;
  /** Its servers as of the latest walk (empty when the walk has not seen the zone yet). */
  servers: ZoneInfo['servers'];
  /** A hot-zone plan in force, as of the latest walk. */
  hot: ZoneInfo['hot'];
}

/** What the dashboard and the metrics show of the zones. */
export interface ZoneCensusResult {
  /** Wall clock of the latest sample (ms), 0 before the first. */
  at: number;
  /** Zones holding at least one player or seat, and those players (latest sample). */
  zones: number;
  players: number;
  /** The busiest zones, most populated first (latest sample, servers from the latest walk). */
  top: CensusZone[];
  /** Wall clock of the latest full walk (ms), 0 before the first; what follows is as of then. */
  walkAt: number;
  /** How long that walk took (ms). */
  walkMs: number;
  /** Zones spread over more than one server. */
  split: number;
  /** Zones by the number of servers holding them: index k = zones on k servers (last = that many or more). */
  byServerCount: number[];
  /** Split zones, most populated first (bounded: metrics label each one). */
  splitZones: CensusZone[];
}

export interface ZoneCensusOptions {
  /** Sample period (ms). */
  everyMs: number;
  /** Share of the time the full walk may take (it pauses the shards). */
  walkDuty: number;
  /** Zones kept in `top` and `splitZones`. */
  keep: number;
  wallClock?: () => number;
}

const SERVER_COUNT_BUCKETS = 9;
/** Upper bound of the shard time one zone costs a walk (µs), measured at about 5. */
const WALK_US_PER_ZONE = 20;

/**
 * Keeps the zone figures fresh without weighing on the shards. Two reads, on their own timer,
 * cached for every scrape and dashboard frame:
 *
 * - a sample every `everyMs`: each zone's population, read lock-free from the shared zone
 *   rows (Engine.sampleZones: about 1 ms for 131 k zones, no message to any shard), gives the
 *   zone and player totals and the busiest zones;
 * - a full walk (Engine.zones(): each shard lists its zones with their servers) gives which
 *   zones are split and how. It stops each shard for as long as the listing takes (hundreds
 *   of ms on a world of 100 k zones), so it runs at most `walkDuty` of the time: a walk that
 *   cost d ms is followed by at least d / walkDuty ms without one (50 s at 100 k zones).
 */
export class ZoneCensus {
  latest: ZoneCensusResult = { at: 0, zones: 0, players: 0, top: [], walkAt: 0, walkMs: 0, split: 0, byServerCount: new Array<number>(SERVER_COUNT_BUCKETS).fill(0), splitZones: [] };
  private readonly joins: Uint32Array;
  private readonly population: Uint32Array;
  /** Zones the latest walk described (its busiest and its split ones), by id. */
  private walked = new Map<number, ZoneInfo>();
  private readonly timer: NodeJS.Timeout;
  private walking: Promise<void> | undefined;
  private nextWalk = 0;
  private closed = false;
  private readonly wallClock: () => number;

  constructor(
    private readonly engine: Engine,
    private readonly o: ZoneCensusOptions,
  ) {
    this.wallClock = o.wallClock ?? Date.now;
    this.joins = new Uint32Array(engine.options.maxZones);
    this.population = new Uint32Array(engine.options.maxZones);
    this.timer = setInterval(() => this.refresh(), o.everyMs);
    this.timer.unref();
    this.refresh();
  }

  /** Samples now, and starts a walk if one is due. Resolves when that walk (if any) is done. */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.sample();
    if (!this.walking && performance.now() >= this.nextWalk) {
      this.walking = this.walk().finally(() => {
        this.walking = undefined;
      });
    }
    return this.walking ?? Promise.resolve();
  }

  /** Runs a walk now (or waits for the one under way), then samples. For tests and first frames. */
  async walkNow(): Promise<void> {
    this.nextWalk = 0;
    await this.refresh();
    this.sample();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private sample(): void {
    this.engine.sampleZones(this.joins, this.population);
    const pop = this.population;
    const keep = this.o.keep;
    // The `keep` most populated zones, by insertion into a small sorted list.
    const ids: number[] = [];
    let zones = 0;
    let players = 0;
    for (let z = 0; z < pop.length; z++) {
      const p = pop[z]!;
      if (p === 0) continue;
      zones++;
      players += p;
      if (ids.length === keep && p <= pop[ids[keep - 1]!]!) continue;
      let i = ids.length === keep ? keep - 1 : ids.length;
      if (ids.length < keep) ids.push(z);
      while (i > 0 && p > pop[ids[i - 1]!]!) {
        ids[i] = ids[i - 1]!;
        i--;
      }
      ids[i] = z;
    }
    const top = ids.map((zone) => this.describe(zone, pop[zone]!));
    const splitZones = this.latest.splitZones.map((z) => this.describe(z.zone, pop[z.zone]!));
    splitZones.sort((a, b) => b.population - a.population || a.zone - b.zone);
    this.latest = { ...this.latest, at: this.wallClock(), zones, players, top, splitZones };
  }

  private describe(zone: number, population: number): CensusZone {
    const w = this.walked.get(zone);
    return { zone, population, servers: w?.servers ?? [], hot: w?.hot ?? null };
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
    const walkMs = performance.now() - started;
    // The time measured also counts the wait for shards busy with batches and for the main
    // thread (at startup, seconds): the pause the walk itself causes is bounded by its size,
    // about 5 µs per zone listed (4 × that as a margin; 100 k zones take 0.4 to 0.7 s).
    const costMs = Math.min(walkMs, 1 + all.length * WALK_US_PER_ZONE / 1000);
    this.nextWalk = performance.now() + costMs / this.o.walkDuty;
    const byServerCount = new Array<number>(SERVER_COUNT_BUCKETS).fill(0);
    const split: ZoneInfo[] = [];
    for (const z of all) {
      byServerCount[Math.min(z.servers.length, SERVER_COUNT_BUCKETS - 1)]!++;
      if (z.servers.length > 1) split.push(z);
    }
    const byPopulation = (a: ZoneInfo, b: ZoneInfo): number => b.population - a.population || a.zone - b.zone;
    split.sort(byPopulation);
    const keptSplit = split.slice(0, this.o.keep);
    // Keep the details of the zones the samples may list until the next walk: the busiest
    // (with a margin, as the ranking moves between walks) and the split ones.
    const walked = new Map<number, ZoneInfo>();
    for (const z of topN(all, this.o.keep * 4, byPopulation)) walked.set(z.zone, z);
    for (const z of keptSplit) walked.set(z.zone, z);
    this.walked = walked;
    this.latest = {
      ...this.latest,
      walkAt: this.wallClock(),
      walkMs,
      split: split.length,
      byServerCount,
      splitZones: keptSplit.map((z) => ({ zone: z.zone, population: z.population, servers: z.servers, hot: z.hot })),
    };
  }
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
