/**
 * Scaling for a running zonelb, mounted on the service's own port (`zonelb serve` passes it to
 * startZonelb as an extension): the ScaleController on a timer (autoscaler, hot-zone detection
 * and mitigation, arrival forecast), its status at GET /v1/scale, and the Agones
 * FleetAutoscaler webhook at POST /v1/autoscale/agones. The timer stops when the server closes;
 * hot-zone plans in force stay with the engine (and go with it).
 */
import type { ExtensionFactory } from '../net/app.ts';
import type { Route } from '../net/http-router.ts';
import { agonesTargetUnits, answerReview } from './agones-webhook.ts';
import type { ScaleProvider } from './provider.ts';
import { ScaleController } from './scale-controller.ts';
import type { ScaleOptions } from './scale-options.ts';

export const SCALE_STATUS_PATH = '/v1/scale';
export const AGONES_WEBHOOK_PATH = '/v1/autoscale/agones';

export interface ScalingRuntime {
  /**
   * Time for the controller (ms). Default performance.now(): the clock `zonelb serve` runs its
   * engine on, so hot-zone and scale events line up with the engine's own.
   */
  clock?: () => number;
  /** Overrides the provider the options name. */
  provider?: ScaleProvider;
  /** Called with the controller once it exists (tests and embedders drive or read it). */
  onController?: (controller: ScaleController) => void;
}

export function scaling(options: ScaleOptions, runtime: ScalingRuntime = {}): ExtensionFactory {
  return (ctx) => {
    const { logger } = ctx;
    const clock = runtime.clock ?? (() => performance.now());
    const controller = new ScaleController({
      engine: ctx.engine,
      engineOptions: ctx.engineOptions,
      options,
      provider: runtime.provider,
      onError: (e) => logger.warn({ err: e }, 'scaling: a step failed (it runs again at the next period)'),
    });
    runtime.onController?.(controller);
    const needed = options.mode !== 'off' || (options.hotZones.enabled && controller.monitor !== undefined);
    const period = Math.min(options.hotZones.sampleMs, options.intervalMs);
    const timer = needed
      ? setInterval(() => {
          controller.step(clock()).catch((e: unknown) => logger.error({ err: e }, 'scaling: step failed'));
        }, period)
      : undefined;
    timer?.unref();

    const replicaWeight = options.serverWeight;
    const minReplicas = Math.ceil(options.min / replicaWeight - 1e-9);
    const maxReplicas = Math.max(minReplicas, Math.floor(options.max / replicaWeight + 1e-9));

    const statusRoute: Route = {
      method: 'get',
      path: SCALE_STATUS_PATH,
      summary: 'scaling: the autoscaler\'s last decision, hot zones and their plans, the arrival forecast',
      handler: () => ({ options: describeOptions(options), ...controller.status() }),
    };
    const agonesRoute: Route = {
      method: 'post',
      path: AGONES_WEBHOOK_PATH,
      summary: 'Agones FleetAutoscaler webhook: FleetAutoscaleReview in, the same with response {uid, scale, replicas} out',
      handler: ({ body }) => {
        const review = answerReview(body, {
          desiredUnits: agonesTargetUnits(controller.autoscaler?.status()),
          replicaWeight,
          minReplicas,
          maxReplicas,
        });
        const { response, request } = review;
        logger[response.scale ? 'info' : 'debug'](
          { fleet: request.name, namespace: request.namespace, replicas: request.status.replicas, target: response.replicas, uid: response.uid },
          'agones fleet autoscale review',
        );
        return review;
      },
    };
    logger.info({ mode: options.mode, provider: options.provider, hotZones: options.hotZones.enabled, status: SCALE_STATUS_PATH, agones: AGONES_WEBHOOK_PATH }, 'scaling mounted');
    return {
      routes: [statusRoute, agonesRoute],
      websockets: [],
      close: () => {
        if (timer) clearInterval(timer);
      },
    };
  };
}

/** The options as the status shows them: the webhook URL without credentials or query. */
function describeOptions(o: ScaleOptions): Record<string, unknown> {
  let webhook: string | undefined;
  if (o.webhook !== undefined) {
    const u = new URL(o.webhook);
    webhook = `${u.protocol}//${u.host}${u.pathname}`;
  }
  return {
    mode: o.mode,
    provider: o.provider,
    webhook,
    target: o.target,
    band: o.band,
    min: o.min,
    max: o.max,
    serverWeight: o.serverWeight,
    bootDelayMs: o.bootDelayMs,
    intervalMs: o.intervalMs,
    scaleOutCooldownMs: o.scaleOutCooldownMs,
    scaleInCooldownMs: o.scaleInCooldownMs,
    forecast: o.forecast,
    hotZones: o.hotZones,
  };
}
