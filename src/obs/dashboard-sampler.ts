import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Status } from '../core/codes.ts';
import type { EngineOptions } from '../core/options.ts';
import type { EngineStats } from '../engine/engine-stats.ts';
import type { Engine, ServerInfo } from '../engine/types.ts';
import type { NetStats } from '../net/net-stats.ts';
import type { DepartedServer, EventTracker } from './event-tracker.ts';
import type { FleetSnapshot } from './fleet-snapshot.ts';
import type { LatencyWindow } from './latency-window.ts';
import type { AutoscaleView, HotZoneView, ScaleView } from './scale-view.ts';
import type { ZoneCensus } from './zone-census.ts';

/** One point of the dashboard's charts. */
export interface SeriesPoint {
  /** Wall clock, seconds. */
  t: number;
  /** Engine answers per second, and those queued or refused (Queued, Full, NoServers). */
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
  /** Servers holding the zone now. */
  serverCount: number;
  /** Which, with their players, as of the latest walk (empty on a world too big to walk). */
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

/** Everything the page shows, sent every frame. */
export interface DashboardFrame {
  t: 'frame';
  wallTime: number;
  shardCount: number;
  limits: { cpu: number; memory: number; playersPerServer: number };
  /** Listed servers (all of them, or the `maxServerRows` that need attention most). */
  servers: ServerRow[];
  /** Registered servers by state, all of them (the list may be cut). */
  fleet: { total: number; byState: Record<string, number>; players: number; room: number; listed: number };
  departed: DepartedServer[];
  zones: { total: number; players: number; split: number; byServerCount: number[]; top: ZoneRow[]; censusAt: number; walkAt: number };
  hotZones: HotZoneView[];
  queued: number;
  scale: AutoscaleView | undefined;
  shards: ShardRow[];
  totals: { decisions: number; failuresDetected: number; replaced: Record<string, number>; gateways: number };
  point: SeriesPoint;
}

export interface SamplerSources {
  engine: Engine;
  engineOptions: EngineOptions;
  engineStats: { stats: EngineStats; latency: LatencyWindow } | undefined;
  net: NetStats;
  fleet: FleetSnapshot;
  tracker: EventTracker;
  census: ZoneCensus;
  scale: ScaleView;
  gatewayLatency: LatencyWindow;
  maxServerRows: number;
  engineNow: () => number;
  wallClock: () => number;
}

/** Zones the page lists. */
export const TOP_ZONES = 16;
/** Latency window of one chart point (ms): recent enough to show a spike as it happens. */
const POINT_WINDOW_MS = 2000;

interface Previous {
  at: number;
  decisions: number;
  waiting: number;
  gateway: number;
  busy: Float64Array;
  batches: Float64Array;
  requests: Float64Array;
}

/**
 * Builds the dashboard's frame: the fleet (cached list), the zone census (cached, on its own
 * timer), hot zones, shards, the autoscaler, and one chart point of rates and recent latency.
 * Keeps the last `historySize` points so a page opened now draws the last minutes at once.
 */
export class DashboardSampler {
  private readonly points: SeriesPoint[] = [];
  private readonly loop: IntervalHistogram;
  private last: Previous | undefined;
  private readonly collator = new Intl.Collator('en', { numeric: true });

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
    const es = s.engineStats?.stats;
    const decisions = es ? sum(es.answers) : 0;
    const waiting = es ? es.answers[Status.Queued]! + es.answers[Status.Full]! + es.answers[Status.NoServers]! : 0;
    const gateway = s.net.requests;
    const last = this.last;
    const dt = last ? Math.max(1e-3, (nowMs - last.at) / 1000) : 1;
    const rate = (now: number, before: number | undefined): number => (before === undefined ? 0 : Math.max(0, (now - before) / dt));
    const d = s.engineStats?.latency.quantiles(nowMs, POINT_WINDOW_MS);
    const g = s.gatewayLatency.quantiles(nowMs, POINT_WINDOW_MS);
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
    const shards = es ? this.shardRows(es, last, dt, nowMs) : [];
    this.last = {
      at: nowMs,
      decisions,
      waiting,
      gateway,
      busy: es ? Float64Array.from(es.busyMs) : new Float64Array(0),
      batches: es ? Float64Array.from(es.batches) : new Float64Array(0),
      requests: es ? Float64Array.from(es.batchRequests) : new Float64Array(0),
    };

    const all = s.fleet.servers();
    const limits = s.engineOptions.limits;
    const byState: Record<string, number> = {};
    let players = 0;
    let room = 0;
    for (const i of all) {
      byState[i.state] = (byState[i.state] ?? 0) + 1;
      players += i.players;
      if (i.state === 'active') room += Math.max(0, i.limit - i.players);
    }
    const engineNow = s.engineNow();
    const servers = this.listed(all).map((i) => ({
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
    const live = new Set(all.map((r) => r.id));
    const census = s.census.latest;
    const hotZones = s.scale.hotZones();
    const hot = new Set(hotZones.map((h) => h.zone));
    return {
      t: 'frame',
      wallTime: wall,
      shardCount: s.engineOptions.shards,
      limits: { cpu: limits.cpu, memory: limits.memory, playersPerServer: limits.playersPerServer },
      servers,
      fleet: { total: all.length, byState, players, room, listed: servers.length },
      // A server that came back under the same id is shown live, not departed.
      departed: s.tracker.recentlyDeparted().filter((x) => !live.has(x.id)),
      zones: {
        total: census.zones,
        players: census.players,
        split: census.split,
        byServerCount: census.byServerCount,
        censusAt: census.at,
        walkAt: census.walkAt,
        top: census.top.slice(0, TOP_ZONES).map((z) => ({
          zone: z.zone,
          population: z.population,
          hot: hot.has(z.zone) || z.hot !== null,
          serverCount: z.serverCount,
          servers: z.servers.map((x) => ({ serverId: x.serverId, players: x.players, open: x.open })),
        })),
      },
      hotZones,
      queued: s.engine.queued(),
      scale: s.scale.autoscale(),
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

  /**
   * Every server in id order while the fleet fits the page; past `maxServerRows`, the ones
   * that need a look first (not active, then the fullest against their tightest limit).
   */
  private listed(all: readonly ServerInfo[]): ServerInfo[] {
    const byId = (a: ServerInfo, b: ServerInfo): number => this.collator.compare(a.id, b.id);
    if (all.length <= this.s.maxServerRows) return [...all].sort(byId);
    const { cpu, memory } = this.s.engineOptions.limits;
    const concern = (i: ServerInfo): number => (i.state === 'active' ? 0 : 10) + Math.max(i.limit > 0 ? i.players / i.limit : 1, i.cpu / cpu, i.memory / memory);
    return [...all].sort((a, b) => concern(b) - concern(a) || byId(a, b)).slice(0, this.s.maxServerRows);
  }

  private shardRows(es: EngineStats, last: Previous | undefined, dt: number, nowMs: number): ShardRow[] {
    const rows: ShardRow[] = [];
    for (let i = 0; i < es.shards; i++) {
      const batches = es.batches[i]! - (last?.batches[i] ?? 0);
      const requests = es.batchRequests[i]! - (last?.requests[i] ?? 0);
      const since = es.inFlightSince[i]!;
      rows.push({
        shard: i,
        batches: es.batches[i]!,
        meanBatch: batches > 0 ? Math.round((requests / batches) * 10) / 10 : 0,
        busy: last ? Math.min(1, (es.busyMs[i]! - last.busy[i]!) / (dt * 1000)) : 0,
        inFlightMs: since === 0 ? 0 : Math.round(nowMs - since),
        restarts: es.restarts[i]!,
      });
    }
    return rows;
  }
}

function sum(a: Float64Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += a[i]!;
  return n;
}
