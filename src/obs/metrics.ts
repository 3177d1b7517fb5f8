/**
 * The Prometheus exposition at GET /metrics (prom-client). Everything is read at scrape time
 * from what the engine, the front end, the zone census and the event tracker already keep: no
 * metric is updated per join. Names follow Prometheus conventions (base units: seconds,
 * ratios 0..1; counters end in _total; summaries from HdrHistogram windows); the tests run
 * `promtool check metrics` on the real output of a running service.
 *
 * Cardinality: per-server series (label `server`) grow with the fleet; per-zone series exist
 * only for split and hot zones, at most `maxZoneSeries` of each.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineStats } from '../engine/engine-stats.ts';
import type { NetStats } from '../net/net-stats.ts';
import type { LatencyWindow } from './latency-window.ts';
import { registerEngineMetrics } from './metrics-engine.ts';
import { registerFleetMetrics, type FleetSources } from './metrics-fleet.ts';
import { registerNetMetrics } from './metrics-net.ts';
import { registerScaleMetrics } from './metrics-scale.ts';
import { registerZoneMetrics } from './metrics-zones.ts';
import type { ScaleView } from './scale-view.ts';
import { ServerExposition } from './server-exposition.ts';
import type { ZoneCensus } from './zone-census.ts';

export interface MetricSources extends FleetSources {
  /** The engine's clock (ms): what ServerInfo.lastHeartbeat is measured on. */
  engineNow: () => number;
  /** The engine's own counters and decision latency (absent for an engine that does not keep them). */
  engineStats: { stats: EngineStats; latency: LatencyWindow } | undefined;
  net: NetStats;
  gatewayLatency: LatencyWindow;
  census: ZoneCensus;
  scale: ScaleView;
  maxZoneSeries: number;
  /** performance.now(): the clock latency windows are kept on. */
  monotonicNow: () => number;
}

/**
 * prom-client's default metrics that break the naming rules promtool checks: gauges ending in
 * _total. Their conforming twins (nodejs_active_handles, …) are kept.
 */
const NONCONFORMING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** GET /metrics: prom-client's registry, then the per-server families written directly. */
export interface MetricsExporter {
  readonly registry: Registry;
  readonly contentType: string;
  /** The whole exposition; reads the fleet once. */
  text(): Promise<string>;
}

export function createMetrics(s: MetricSources): MetricsExporter {
  const registry = createMetricsRegistry(s);
  const servers = new ServerExposition(s.fleet, s.engineNow);
  return {
    registry,
    contentType: registry.contentType,
    text: async () => {
      s.fleet.refresh();
      const rest = await registry.metrics();
      return `${rest}${rest.endsWith('\n') ? '' : '\n'}${await servers.text()}`;
    },
  };
}

/** The families kept by prom-client (all but the per-server ones). */
export function createMetricsRegistry(s: MetricSources): Registry {
  const registry = new Registry();
  // Process and Node.js metrics, event-loop lag (nodejs_eventloop_lag_*) among them.
  collectDefaultMetrics({ register: registry });
  for (const name of NONCONFORMING_DEFAULTS) registry.removeSingleMetric(name);
  if (s.engineStats) registerEngineMetrics(registry, s.engineStats.stats, s.engineStats.latency, s.monotonicNow);
  registerFleetMetrics(registry, s);
  registerZoneMetrics(registry, s.census, s.scale, s.maxZoneSeries);
  registerScaleMetrics(registry, s.scale);
  registerNetMetrics(registry, s.net, s.gatewayLatency, s.monotonicNow);
  return registry;
}
