/**
 * The scaling control loop beside the engine: every step samples the zones (when the engine
 * offers zone sampling), runs the hot-zone monitor, feeds the arrival forecaster, and every
 * `intervalMs` lets the autoscaler decide. `step(now)` takes the time: `zonelb serve` calls it
 * on a timer with the wall clock, the simulator with its virtual clock.
 */
import type { EngineOptions } from '../core/options.ts';
import type { Engine } from '../engine/types.ts';
import { AgonesProvider } from './agones-provider.ts';
import { ArrivalForecaster } from './arrival-forecaster.ts';
import { Autoscaler, type AutoscaleStatus } from './autoscaler.ts';
import { HotZoneDetector } from './hot-zone-detector.ts';
import { HotZoneMonitor, type ActiveHotZone, type ZoneEngine } from './hot-zone-monitor.ts';
import { PredictivePolicy, ReactivePolicy, type ScalePolicy } from './predictive-scaler.ts';
import type { ScaleProvider } from './provider.ts';
import { ReactiveScaler } from './reactive-scaler.ts';
import type { ScaleOptions } from './scale-options.ts';
import type { ForecastErrorSnapshot } from './forecast-error.ts';
import { WebhookProvider } from './webhook-provider.ts';

export interface ScaleControllerDeps {
  engine: Engine;
  engineOptions: EngineOptions;
  options: ScaleOptions;
  /** Overrides the provider the options name (the simulator passes its own). */
  provider?: ScaleProvider;
  onError?: (error: unknown) => void;
}

export interface ScaleControllerStatus {
  autoscale: AutoscaleStatus | { mode: 'off' } | undefined;
  hotZones: ActiveHotZone[];
  /** Why zone sampling is off, when it is. */
  zoneSampling: 'on' | 'unsupported by this engine' | 'off';
  /** The arrival forecast (predictive mode only). */
  forecast?: ForecastStatus;
}

export interface ForecastStatus {
  /** Two seasons of history seen: the predictive policy acts on the forecast. */
  ready: boolean;
  /** Buckets of history seen, and needed before the forecast is used. */
  buckets: number;
  bucketsNeeded: number;
  bucketMs: number;
  /** Arrivals expected over the next bucket, for the world and for each zone with a model of its own. */
  nextBucketArrivals: number;
  zones: { zone: number; nextBucketArrivals: number | undefined }[];
  /** Mean session length (ms) by Little's law; null before any arrival. */
  meanSessionMs: number | null;
  error: ForecastErrorSnapshot;
}

/** Whether the engine offers zone sampling and hot-zone plans. */
export function supportsZones(engine: object): engine is ZoneEngine {
  const e = engine as Partial<ZoneEngine>;
  return typeof e.sampleZones === 'function' && typeof e.setHotZone === 'function';
}

export class ScaleController {
  readonly options: ScaleOptions;
  readonly autoscaler: Autoscaler | undefined;
  readonly forecaster: ArrivalForecaster | undefined;
  readonly monitor: HotZoneMonitor | undefined;
  private readonly zones: boolean;
  private readonly engine: Engine;
  private lastSample = -Infinity;
  private lastDecision = -Infinity;
  private stepping: Promise<void> | undefined;
  private readonly onError: ((error: unknown) => void) | undefined;

  constructor(d: ScaleControllerDeps) {
    const o = d.options;
    this.options = o;
    this.engine = d.engine;
    this.onError = d.onError;
    const zoneEngine = supportsZones(d.engine) ? d.engine : undefined;
    this.zones = zoneEngine !== undefined;
    const maxZones = d.engineOptions.maxZones;
    if (zoneEngine) {
      const h = o.hotZones;
      const detector = new HotZoneDetector(maxZones, {
        baselineMs: h.baselineMs,
        hotBaselineMs: h.hotBaselineMs,
        k: h.k,
        exitK: h.exitK,
        minRise: h.minRise,
        minRate: h.minRate,
        minPopulation: h.minPopulation,
        confirmSamples: h.confirmSamples,
        coolMs: h.coolMs,
        warmupMs: h.warmupMs,
      });
      this.monitor = new HotZoneMonitor(zoneEngine, detector, {
        planHorizonMs: h.planHorizonMs,
        reserveMs: h.reserveMs,
        maxServers: h.maxServers,
        fill: h.fill,
        onError: d.onError,
      });
    }
    if (o.mode === 'off') return;
    const reactive = new ReactiveScaler({
      target: o.target,
      band: o.band,
      min: o.min,
      max: o.max,
      scaleOutCooldownMs: o.scaleOutCooldownMs,
      scaleInCooldownMs: o.scaleInCooldownMs,
      scaleInStep: o.scaleInStep,
    });
    let policy: ScalePolicy = new ReactivePolicy(reactive);
    if (o.mode === 'predictive') {
      this.forecaster = new ArrivalForecaster({
        ...o.forecast,
        // Servers asked for now serve from bootDelay on, and the next decision is intervalMs away.
        horizonMs: o.bootDelayMs + o.intervalMs,
      });
      policy = new PredictivePolicy(reactive, this.forecaster);
    }
    const provider = d.provider ?? makeProvider(o);
    this.autoscaler = new Autoscaler(d.engine, {
      policy,
      provider,
      limits: d.engineOptions.limits,
      retryMoveMs: o.retryMoveMs,
      onError: d.onError,
    });
  }

  /** One pass of the loop at `now`. Passes never overlap. */
  step(now: number): Promise<void> {
    if (this.stepping) return this.stepping;
    this.stepping = this.run(now).finally(() => {
      this.stepping = undefined;
    });
    return this.stepping;
  }

  private async run(now: number): Promise<void> {
    const m = this.monitor;
    if (m && now - this.lastSample >= this.options.hotZones.sampleMs) {
      this.lastSample = now;
      await m.sample(now);
      if (this.options.hotZones.enabled) {
        // A failing hot-zone step must not stop the forecast and the autoscaler.
        try {
          await m.step(now);
        } catch (e) {
          if (!this.onError) throw e;
          this.onError(e);
        }
      }
      if (this.forecaster) {
        let population = 0;
        for (let z = 0; z < m.bound; z++) population += m.population[z]!;
        // Queued players are arrivals too: the forecast learns what was asked for, not what the fleet could seat.
        this.forecaster.sample(now, m.joins, population, this.engine.queued(), m.bound);
      }
    }
    if (this.autoscaler && now - this.lastDecision >= this.options.intervalMs) {
      this.lastDecision = now;
      await this.autoscaler.evaluate(now);
    }
  }

  status(): ScaleControllerStatus {
    return {
      autoscale: this.autoscaler ? this.autoscaler.status() : { mode: 'off' },
      hotZones: this.monitor?.hotZones() ?? [],
      zoneSampling: !this.zones ? 'unsupported by this engine' : this.options.hotZones.enabled || this.forecaster ? 'on' : 'off',
      ...(this.forecaster ? { forecast: forecastStatus(this.forecaster) } : {}),
    };
  }

  /** Lifts every hot-zone plan. */
  async close(now: number): Promise<void> {
    if (this.stepping) await this.stepping.catch(() => undefined);
    await this.monitor?.liftAll(now);
  }
}

function makeProvider(o: ScaleOptions): ScaleProvider {
  // A request counts as booting for twice the boot delay (plus a decision period) at most.
  const expire = 2 * o.bootDelayMs + o.intervalMs;
  if (o.provider === 'webhook') {
    return new WebhookProvider({
      url: o.webhook!,
      attempts: o.webhookAttempts,
      backoffMs: o.webhookBackoffMs,
      timeoutMs: o.webhookTimeoutMs,
      pendingExpireMs: expire,
    });
  }
  // Agones syncs every 30 s by default: a request waits up to one sync before Agones sees it.
  return new AgonesProvider(expire + 30_000);
}

function forecastStatus(f: ArrivalForecaster): ForecastStatus {
  const session = f.meanSessionMs;
  return {
    ready: f.ready,
    buckets: f.buckets,
    bucketsNeeded: 2 * f.season,
    bucketMs: f.bucketMs,
    nextBucketArrivals: f.arrivalsAhead(1),
    zones: f.forecastZones.sort((a, b) => a - b).map((zone) => ({ zone, nextBucketArrivals: f.zoneArrivalsAhead(zone, 1) })),
    meanSessionMs: Number.isFinite(session) ? session : null,
    error: f.forecastError(),
  };
}
