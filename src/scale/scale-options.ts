/**
 * Options of the autoscaler and the hot-zone monitor: one schema, defaults in one place,
 * validated once and frozen (the `scale` section of `zonelb serve`'s config; flags set it too).
 */
import { z } from 'zod';
import { parseOptions } from '../core/parse-options.ts';

const ms = z.number().positive();
const unit = z.number().min(0).max(1);

const forecastSchema = z
  .object({
    /** Arrivals are counted per bucket of this width. */
    bucketMs: ms.default(300_000),
    /** The season: a day. */
    seasonMs: ms.default(86_400_000),
    alpha: unit.default(0.2),
    beta: unit.default(0.01),
    gamma: unit.default(0.3),
    /** Zones given a forecast of their own (the busiest first seen). */
    maxZoneForecasts: z.number().int().min(0).max(4096).default(32),
  })
  .strict();

const hotZoneSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** How often zones are sampled (ms). */
    sampleMs: ms.default(1_000),
    baselineMs: ms.default(120_000),
    /** Time constant of a hot zone's baseline (ms): a crowd that stays this long becomes its normal. */
    hotBaselineMs: ms.default(7_200_000),
    k: z.number().positive().default(4),
    exitK: z.number().min(0).default(2),
    minRise: z.number().min(0).default(1),
    minRate: z.number().min(0).default(2),
    minPopulation: z.number().min(0).default(50),
    confirmSamples: z.number().int().min(1).max(255).default(2),
    coolMs: ms.default(10_000),
    warmupMs: z.number().min(0).default(30_000),
    /** Pre-split for the population expected this far ahead (ms). */
    planHorizonMs: ms.default(30_000),
    /** Seats reserved for this long of the zone's joins (ms). */
    reserveMs: ms.default(10_000),
    maxServers: z.number().int().min(2).max(1024).default(8),
    fill: z.number().gt(0).max(1).default(0.8),
  })
  .strict();

export const scaleSchema = z
  .object({
    /** off: no autoscaler (hot zones still run when enabled); reactive; predictive (falls back to reactive). */
    mode: z.enum(['off', 'reactive', 'predictive']).default('off'),
    /**
     * Where decisions go: "webhook" (POSTed to `webhook`), or "agones" (answered to Agones'
     * FleetAutoscaler at POST /v1/autoscale/agones). Default: webhook when a URL is given, else agones.
     */
    provider: z.enum(['webhook', 'agones']).optional(),
    webhook: z.url({ protocol: /^https?$/ }).optional(),
    webhookAttempts: z.number().int().min(1).max(20).default(5),
    webhookBackoffMs: ms.default(200),
    webhookTimeoutMs: ms.default(5_000),
    /** Target utilisation (seats taken / seats) and its dead band. */
    target: z.number().gt(0).max(1).default(0.7),
    band: z.number().min(0).max(0.5).default(0.1),
    /** Capacity bounds (weight units; with weight-1 servers, servers). */
    min: z.number().min(0).default(1),
    max: z.number().positive().default(100),
    /** Weight of one new server (capacity units it adds). */
    serverWeight: z.number().positive().default(1),
    /** Time from asking for a server to its first heartbeat (ms). */
    bootDelayMs: z.number().min(0).default(60_000),
    /** How often the autoscaler decides (ms). */
    intervalMs: ms.default(5_000),
    scaleOutCooldownMs: z.number().min(0).default(15_000),
    scaleInCooldownMs: z.number().min(0).default(300_000),
    scaleInStep: z.number().gt(0).max(1).default(0.25),
    /** Retry moving a draining server's players this often (ms). */
    retryMoveMs: ms.default(30_000),
    forecast: forecastSchema.default(forecastSchema.parse({})),
    hotZones: hotZoneSchema.default(hotZoneSchema.parse({})),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.max < o.min) ctx.addIssue({ code: 'custom', path: ['max'], message: `must be at least min (${o.min})` });
    if (o.band >= o.target) ctx.addIssue({ code: 'custom', path: ['band'], message: `must be below target (${o.target})` });
    if (o.provider === 'webhook' && o.webhook === undefined) {
      ctx.addIssue({ code: 'custom', path: ['webhook'], message: 'provider "webhook" needs a URL (--scale-webhook)' });
    }
    if (o.provider === 'agones' && o.webhook !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['provider'], message: 'is "agones", but a webhook URL is set too: choose one' });
    }
    if (o.forecast.seasonMs < 2 * o.forecast.bucketMs) {
      ctx.addIssue({ code: 'custom', path: ['forecast', 'seasonMs'], message: `must hold at least two buckets (bucketMs ${o.forecast.bucketMs})` });
    }
    if (o.hotZones.exitK > o.hotZones.k) ctx.addIssue({ code: 'custom', path: ['hotZones', 'exitK'], message: `must be at most k (${o.hotZones.k})` });
    if (o.hotZones.hotBaselineMs < o.hotZones.baselineMs) {
      ctx.addIssue({ code: 'custom', path: ['hotZones', 'hotBaselineMs'], message: `must be at least baselineMs (${o.hotZones.baselineMs})` });
    }
  })
  .transform((o) => ({ ...o, provider: o.provider ?? (o.webhook !== undefined ? ('webhook' as const) : ('agones' as const)) }));

export type ScaleOptionsInput = z.input<typeof scaleSchema>;
export type ScaleOptions = Readonly<z.output<typeof scaleSchema>>;

/** Validated, frozen scale options; ZLB_ERR_INVALID_OPTION naming `scale.<field>` otherwise. */
export function resolveScaleOptions(input: ScaleOptionsInput = {}): ScaleOptions {
  const o = parseOptions(scaleSchema, input, 'scale');
  return Object.freeze({ ...o, forecast: Object.freeze({ ...o.forecast }), hotZones: Object.freeze({ ...o.hotZones }) });
}
