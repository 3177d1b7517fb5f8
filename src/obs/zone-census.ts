import type { Engine, ZoneInfo } from '../engine/types.ts';

/** What the dashboard and the metrics show of the zones: totals, the busiest, the split ones. */
export interface ZoneCensusResult {
  /** Wall clock of the walk (ms), 0 before the first. */
  at: number;
  /** Zones holding at least one player or seat. */
  zones: number;
  players: number;
  /** Zones spread over more than one server. */
  split: number;
  /** Zones by the number of servers they are spread over: index k = zones on k servers (last = that many or more). */
  byServerCount: number[];
  /** The busiest zones, most populated first. */
  top: ZoneInfo[];
  /** Split zones, most populated first (bounded: metrics label each one). */
  splitZones: ZoneInfo[];
}

export interface ZoneCensusOptions {
  /** How often the zones are walked (engine.zones() touches every zone: never per scrape). */
  everyMs?: number;
  /** Zones kept in `top` and `splitZones`. */
  keep?: number;
  wallClock?: () => number;
}

const SERVER_COUNT_BUCKETS = 9;

/**
 * A periodic walk of every zone, cached: metrics scrapes and dashboard frames read the latest
 * result instead of walking the zones themselves. Walks never overlap.
 */
export class ZoneCensus {
  latest: ZoneCensusResult = { at: 0, zones: 0, players: 0, split: 0, byServerCount: new Array<number>(SERVER_COUNT_BUCKETS).fill(0), top: [], splitZones: [] };
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;
  private readonly keep: number;
  private readonly wallClock: () => number;

  constructor(
    private readonly engine: Engine,
    o: ZoneCensusOptions = {},
  ) {
    this.keep = o.keep ?? 50;
    this.wallClock = o.wallClock ?? Date.now;
    this.timer = setInterval(() => void this.refresh(), o.everyMs ?? 2000);
    this.timer.unref();
    void this.refresh();
  }

  /** Walks the zones now (or waits for the walk under way). */
  refresh(): Promise<void> {
    this.running ??= this.walk().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async walk(): Promise<void> {
    let zones: ZoneInfo[];
    try {
      zones = await this.engine.zones();
    } catch {
      // The engine is closing: keep the last census.
      return;
    }
    const byServerCount = new Array<number>(SERVER_COUNT_BUCKETS).fill(0);
    let players = 0;
    const split: ZoneInfo[] = [];
    for (const z of zones) {
      players += z.population;
      byServerCount[Math.min(z.servers.length, SERVER_COUNT_BUCKETS - 1)]!++;
      if (z.servers.length > 1) split.push(z);
    }
    const byPopulation = (a: ZoneInfo, b: ZoneInfo): number => b.population - a.population || a.zone - b.zone;
    split.sort(byPopulation);
    const top = zones.length <= this.keep ? [...zones].sort(byPopulation) : topN(zones, this.keep, byPopulation);
    this.latest = { at: this.wallClock(), zones: zones.length, players, split: split.length, byServerCount, top, splitZones: split.slice(0, this.keep) };
  }

  close(): void {
    clearInterval(this.timer);
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
