import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Status } from '../core/codes.ts';
import type { EngineOptions } from '../core/options.ts';
import type { EngineStats } from '../engine/engine-stats.ts';
import type { Engine } from '../engine/types.ts';
import type { NetStats } from '../net/net-stats.ts';
import type { DepartedServer, EventTracker, HotZone, ScaleState } from './event-tracker.ts';
import type { LatencyWindow } from './latency-window.ts';
import type { ZoneCensus } from './zone-census.ts';

/** One point of the dashboard's charts. */
export interface SeriesPoint {
  /** Wall clock, seconds. */
  t: number;
  /** Engine answers per second, and those refused or queued (Full, NoServers, Queued). */
  decisionsPerSec: number;
  waitingPerSec: number;
  /** Gateway requests per second (the front end's view). */
  gatewayPerSec: number;
  decisionP50Ms: number;
  decisionP99Ms: number;
  gatewayP99Ms: number;
  loopLagP99Ms: number;
}

export interface ServerRow {
  id: string;
  state: string;
  weight: number;
  players: number;
  limit: number;
  cap: number;
  cpu: number;
  memory: number;
  heartbeatAgeMs: number;
}

export interface ZoneRow {
  zone: number;
  population: number;
  hot: boolean;
  servers: { serverId: string; players: number; open: boolean }[];
}

export interface ShardRow {
  shard: number;
  batches: number;
  meanBatch: number;
  /** Share of the last interval the shard had a batch outstanding (0..1). */
  busy: number;
  inFlightMs: number;
  restarts: number;
}

/** Everything the page shows, sent once a second. */
export interface DashboardFrame {
  t: 'frame';
  wallTime: number;
  limits: { cpu: number; memory: number; playersPerServer: number };
  servers: ServerRow[];
  departed: DepartedServer[];
  zones: { total: number; players: number; split: number; byServerCount: number[]; top: ZoneRow[]; censusAt: number };
  hotZones: HotZone[];
  queued: number;
  scale: ScaleState | undefined;
  shards: ShardRow[];
  totals: { decisions: number; failuresDetected: number; replaced: Record<string, number>; gateways: number };
  point: SeriesPoint;
}

export interface SamplerSources {
  engine: Engine;
  engineOptions: EngineOptions;
  engineStats: EngineStats | undefined;
  net: NetStats;
  tracker: EventTracker;
  census: ZoneCensus;
  decisionLatency: LatencyWindow | undefined;
  gatewayLatency: LatencyWindow;
  engineNow: () => number;
  wallClock: () => number;
}

/** Zones the page lists. */
const TOP_ZONES = 16;

/**
 * Builds the dashboard's frame once a second: the fleet, the zone census (cached, walked on its
 * own timer), hot zones, shards, and one chart point of rates and recent latency. Keeps the last
 * `historySize` points so a page opened now draws the last minutes at once.
 */
export class DashboardSampler {
  private readonly points: SeriesPoint[] = [];
  private readonly loop: IntervalHistogram;
  private last: { at: number; decisions: number; waiting: number; gateway: number; busy: Float64Array; batches: Float64Array; requests: Float64Array } | undefined;

  constructor(
    private readonly s: SamplerSources,
    private readonly historySize = 300,
  ) {
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
  }

  history(): readonly SeriesPoint[] {
    return this.points;
  }

  sample(): DashboardFrame {
    const s = this.s;
    const wall = s.wallClock();
    const nowMs = performance.now();
    s.gatewayLatency.update(nowMs);
    s.decisionLatency?.update(nowMs);
    const es = s.engineStats;
    const decisions = es ? sum(es.answers) : 0;
    const waiting = es ? es.answers[Status.Queued]! + es.answers[Status.Full]! + es.answers[Status.NoServers]! : 0;
    const gateway = s.net.requests;
    const last = this.last;
    const dt = last ? Math.max(1e-3, (nowMs - last.at) / 1000) : 1;
    const rate = (now: number, before: number | undefined): number => (before === undefined ? 0 : Math.max(0, (now - before) / dt));
    const d = s.decisionLatency?.quantiles(nowMs, 2000);
    const g = s.gatewayLatency.quantiles(nowMs, 2000);
    const point: SeriesPoint = {
      t: Math.round(wall / 100) / 10,
      decisionsPerSec: Math.round(rate(decisions, last?.decisions)),
      waitingPerSec: Math.round(rate(waiting, last?.waiting)),
      gatewayPerSec: Math.round(rate(gateway, last?.gateway)),
      decisionP50Ms: d?.p50Ms ?? 0,
      decisionP99Ms: d?.p99Ms ?? 0,
      gatewayP99Ms: g.p99Ms,
      loopLagP99Ms: Math.round(this.loop.percentile(99) / 1e4) / 100,
    };
    this.loop.reset();
    this.points.push(point);
    if (this.points.length > this.historySize) this.points.splice(0, this.points.length - this.historySize);

    const shards: ShardRow[] = [];
    if (es) {
      for (let i = 0; i < es.shards; i++) {
        const batches = es.batches[i]! - (last?.batches[i] ?? 0);
        const requests = es.batchRequests[i]! - (last?.requests[i] ?? 0);
        const since = es.inFlightSince[i]!;
        shards.push({
          shard: i,
          batches: es.batches[i]!,
          meanBatch: batches > 0 ? Math.round((requests / batches) * 10) / 10 : 0,
          busy: last ? Math.min(1, (es.busyMs[i]! - last.busy[i]!) / (dt * 1000)) : 0,
          inFlightMs: since === 0 ? 0 : Math.round(nowMs - since),
          restarts: es.restarts[i]!,
        });
      }
    }
    this.last = {
      at: nowMs,
      decisions,
      waiting,
      gateway,
      busy: es ? Float64Array.from(es.busyMs) : new Float64Array(0),
      batches: es ? Float64Array.from(es.batches) : new Float64Array(0),
      requests: es ? Float64Array.from(es.batchRequests) : new Float64Array(0),
    };

    const engineNow = s.engineNow();
    const servers: ServerRow[] = s.engine
      .servers()
      .filter((i) => i.state !== 'free')
      .map((i) => ({
        id: i.id,
        state: i.state,
        weight: i.weight,
        players: i.players,
        limit: i.limit,
        cap: i.cap,
        cpu: i.cpu,
        memory: i.memory,
        heartbeatAgeMs: Math.max(0, Math.round(engineNow - i.lastHeartbeat)),
      }));
    const live = new Set(servers.map((r) => r.id));
    const census = s.census.latest;
    const hot = s.tracker.hotZones;
    const limits = s.engineOptions.limits;
    return {
      t: 'frame',
      wallTime: wall,
      limits: { cpu: limits.cpu, memory: limits.memory, playersPerServer: limits.playersPerServer },
      servers,
      // A server that came back under the same id is shown live, not departed.
      departed: s.tracker.recentlyDeparted().filter((x) => !live.has(x.id)),
      zones: {
        total: census.zones,
        players: census.players,
        split: census.split,
        byServerCount: census.byServerCount,
        censusAt: census.at,
        top: census.top.slice(0, TOP_ZONES).map((z) => ({
          zone: z.zone,
          population: z.population,
          hot: hot.has(z.zone),
          servers: z.servers.map((x) => ({ serverId: x.serverId, players: x.players, open: x.open })),
        })),
      },
      hotZones: [...hot.values()],
      queued: s.engine.queued(),
      scale: s.tracker.scale,
      shards,
      totals: {
        decisions,
        failuresDetected: s.tracker.failuresDetected,
        replaced: Object.fromEntries(s.tracker.replacedByReason),
        gateways: s.net.gatewaysOpen,
      },
      point,
    };
  }

  close(): void {
    this.loop.disable();
  }
}

function sum(a: Float64Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += a[i]!;
  return n;
}
