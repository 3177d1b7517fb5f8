/**
 * Options of the observability extension: one schema, the defaults here and only here,
 * validated once when the extension is built, frozen.
 */
import { z } from 'zod';
import { parseOptions } from '../core/parse-options.ts';
import type { ScaleControllerStatus } from '../scale/scale-controller.ts';

/**
 * Where the autoscaler's and hot-zone monitor's state comes from (ScaleController.status()).
 * A function, read at each scrape and frame, so the controller can be created after the
 * service has started (it needs the running engine) and absent for a while: undefined means
 * "no controller", and the figures then come from the `scale` and `hot-zone` engine events.
 */
export type ScaleStatusSource = () => ScaleControllerStatus | undefined;

const ms = z.number().int().positive();

export const obsOptionsSchema = z
  .object({
    /** Dashboard frame period (ms): how often the page's figures and charts move. */
    frameMs: ms.min(50).max(60_000).default(1000),
    /** Zone census period (ms): zone counts, split zones and the busiest zones, read lock-free from shared memory. */
    censusMs: ms.min(100).max(600_000).default(2000),
    /**
     * Which server holds how many players of the busiest zones (the dashboard's zone bars)
     * needs a walk of every zone that pauses the shards (about 5 µs per zone): it runs only
     * on worlds of at most `zoneWalkMaxZones` zones, and at most `zoneWalkDuty` of the time
     * (a walk that cost 10 ms waits 5 s at 0.002).
     */
    zoneWalkMaxZones: z.number().int().min(0).max(1_000_000).default(2000),
    zoneWalkDuty: z.number().gt(0).max(0.5).default(0.002),
    /** How long a dead or removed server stays on the dashboard (ms). */
    departedKeepMs: z.number().int().min(0).max(86_400_000).default(120_000),
    /** Most servers one dashboard frame lists (the most loaded first when the fleet is larger). */
    maxServerRows: z.number().int().min(1).max(10_000).default(200),
    /** Split and hot zones labelled one by one in /metrics (the most populated): bounds the series. */
    maxZoneSeries: z.number().int().min(0).max(10_000).default(50),
    scaleStatus: z.custom<ScaleStatusSource>((v) => typeof v === 'function', { message: 'expected a function returning ScaleController.status()' }).optional(),
  })
  .strict();

export type ObservabilityOptionsInput = z.input<typeof obsOptionsSchema>;
export type ObservabilityOptions = Readonly<z.output<typeof obsOptionsSchema>>;

/** Validated, frozen options; ZLB_ERR_INVALID_OPTION naming `observability.<field>` otherwise. */
export function resolveObsOptions(input: ObservabilityOptionsInput = {}): ObservabilityOptions {
  return Object.freeze({ ...parseOptions(obsOptionsSchema, input, 'observability') });
}
