import { z } from 'zod';
import { MAX_SERVER_SLOTS } from '../core/codes.ts';
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import type { HotZonePlan } from './types.ts';

/** A hot-zone plan as setHotZone accepts it (null lifts the plan). */
const planSchema = z
  .object({
    servers: z.number().int().min(1).max(MAX_SERVER_SLOTS),
    /** Bounded so that a typo cannot make a shard loop over millions of seat CASes per tick. */
    reserve: z.number().int().min(0).max(10_000_000),
  })
  .strict()
  .nullable();

/** Validates a plan at the engine's edge; throws ZLB_ERR_INVALID_ARGUMENT naming the field. */
export function parseHotZonePlan(plan: unknown): Readonly<HotZonePlan> | null {
  const parsed = planSchema.safeParse(plan);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = ['plan', ...issue.path].join('.');
  throw new ZonelbError(ErrorCode.InvalidArgument, `${field}: ${issue.message}`, { field, cause: parsed.error });
}
