/**
 * Observability for a running zonelb, mounted on the service's own port: Prometheus metrics at
 * GET /metrics, one JSON log line per control-plane event, and the live dashboard (a page at
 * /dashboard fed over the /v1/dashboard WebSocket). It reads the engine and the front end and
 * changes neither: `zonelb serve` and the demo pass it to startZonelb as an extension.
 */
import type { ExtensionFactory } from '../net/app.ts';
import type { Route } from '../net/http-router.ts';
import { EngineBase } from '../engine/engine-base.ts';
import { DASHBOARD_PATH, DASHBOARD_SOCKET_PATH, assetRoutes, loadDashboardAssets } from './dashboard-assets.ts';
import { DashboardSampler, TOP_ZONES, type DashboardFrame } from './dashboard-sampler.ts';
import { DashboardSocket } from './dashboard-socket.ts';
import { logEngineEvents } from './event-log.ts';
import { EventTracker } from './event-tracker.ts';
import { FleetSnapshot } from './fleet-snapshot.ts';
import { LatencyWindow } from './latency-window.ts';
import { createMetrics } from './metrics.ts';
import { resolveObsOptions, type ObservabilityOptionsInput } from './obs-options.ts';
import { ScaleView } from './scale-view.ts';
import { ZoneCensus } from './zone-census.ts';

export { DASHBOARD_PATH, DASHBOARD_SOCKET_PATH };
export type { ObservabilityOptionsInput, ScaleStatusSource } from './obs-options.ts';
export const METRICS_PATH = '/metrics';

/** Latency windows keep a copy of the cumulative histogram every 2 s for a minute. */
const WINDOW_STEP_MS = 2000;
const WINDOW_STEPS = 30;

/**
 * The extension. Options are validated here, once, before the service listens
 * (ZLB_ERR_INVALID_OPTION naming `observability.<field>`).
 */
export function observability(input: ObservabilityOptionsInput = {}): ExtensionFactory {
  const o = resolveObsOptions(input);
  return (ctx) => {
    const { engine, logger } = ctx;
    const wallClock = Date.now;
    const stopLogging = logEngineEvents(engine, logger);
    const tracker = new EventTracker(engine, { departedKeepMs: o.departedKeepMs, wallClock });
    const census = new ZoneCensus(engine, { everyMs: o.censusMs, walkDuty: o.zoneWalkDuty, walkMaxZones: o.zoneWalkMaxZones, keep: Math.max(TOP_ZONES, o.maxZoneSeries), wallClock });
    const scale = new ScaleView(tracker, o.scaleStatus, wallClock);
    const fleet = new FleetSnapshot(engine);
    const base = engine instanceof EngineBase ? engine : undefined;
    const engineStats = base ? { stats: base.stats, latency: new LatencyWindow(base.stats.batchLatency, WINDOW_STEP_MS, WINDOW_STEPS) } : undefined;
    const gatewayLatency = new LatencyWindow(ctx.stats.batchLatency.histogram, WINDOW_STEP_MS, WINDOW_STEPS);
    // The service runs its engine on the default clock, performance.now(): heartbeat times are on it.
    const engineNow = (): number => performance.now();
    const metrics = createMetrics({
      engine,
      engineOptions: ctx.engineOptions,
      engineStats,
      fleet,
      lastFailover: () => base?.lastFailover,
      net: ctx.stats,
      tracker,
      census,
      scale,
      gatewayLatency,
      maxZoneSeries: o.maxZoneSeries,
      engineNow,
      monotonicNow: () => performance.now(),
    });
    const sampler = new DashboardSampler({
      engine,
      engineOptions: ctx.engineOptions,
      engineStats,
      net: ctx.stats,
      fleet,
      tracker,
      census,
      scale,
      gatewayLatency,
      maxServerRows: o.maxServerRows,
      engineNow,
      wallClock,
    });
    let lastFrame: DashboardFrame | undefined;
    const socket = new DashboardSocket(() => ({ t: 'hello', history: sampler.history(), feed: tracker.recent(), frame: lastFrame }));
    const frame = (): void => {
      try {
        fleet.refresh();
        lastFrame = sampler.sample();
        socket.broadcast(lastFrame);
      } catch (e) {
        logger.error({ err: e }, 'dashboard frame failed');
      }
    };
    frame();
    // Frames are built whether anyone watches or not: they also keep the chart history and the
    // latency windows moving.
    const timer = setInterval(frame, o.frameMs);
    timer.unref();
    const stopFeed = tracker.onFeed((item) => socket.broadcast({ t: 'event', item }));

    const metricsRoute: Route = {
      method: 'get',
      path: METRICS_PATH,
      summary: 'Prometheus metrics (text exposition format)',
      raw: (res, _req, rc) => {
        const state = { aborted: false };
        res.onAborted(() => {
          state.aborted = true;
        });
        metrics.text().then(
          (text) => {
            if (state.aborted) return;
            res.cork(() => {
              res.writeStatus('200 OK').writeHeader('content-type', metrics.contentType).end(text);
            });
          },
          (e: unknown) => rc.fail(res, state, e),
        );
      },
    };
    return {
      routes: [metricsRoute, ...assetRoutes(loadDashboardAssets())],
      websockets: [{ path: DASHBOARD_SOCKET_PATH, summary: 'dashboard feed: JSON hello, then a frame every second and each control-plane event', behavior: socket.behavior(ctx.uws) as never }],
      close: () => {
        clearInterval(timer);
        stopFeed();
        stopLogging();
        socket.closeAll();
        sampler.close();
        census.close();
        tracker.close();
      },
    };
  };
}
