/**
 * Request bodies of the HTTP API, one strict schema each: unknown fields are refused, so a
 * typo ("zoneId") is an error rather than a silently ignored field. Ranges that depend on the
 * engine's options (zone < maxZones, load fractions) are checked by the engine, which names
 * the field in its own ZLB_ERR_INVALID_ARGUMENT.
 */
import { z } from 'zod';
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import { MAX_PLAYER_ID } from '../core/layout.ts';

const player = z.number().int().min(0).max(MAX_PLAYER_ID);
const zone = z.number().int().min(0);

export const joinBody = z.object({ player, zone }).strict();
export const joinBatchBody = z.object({ joins: z.array(joinBody) }).strict();
export const leaveBody = z.object({ player }).strict();
export const moveBody = z.object({ player, zone }).strict();
const load = { cpu: z.number(), memory: z.number(), players: z.number().int().min(0) };
export const registerBody = z
  .object({
    id: z.string().min(1).max(128),
    weight: z.number().optional(),
    address: z.string().max(256).optional(),
    load: z.object(load).strict().optional(),
  })
  .strict();
export const heartbeatBody = z
  .object({ ...load, weight: z.number().optional() })
  .strict();
export const drainBody = z.object({ move: z.boolean().optional() }).strict();

/** Validates `body` (undefined when the request had none) against `schema`, as ZLB_ERR_BAD_REQUEST. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, emptyAs?: unknown): T {
  const parsed = schema.safeParse(body === undefined ? emptyAs : body);
  if (parsed.success) return parsed.data;
  // An unknown field is usually a misspelt one: report it before the field it left missing.
  const issue = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0]!;
  if (body === undefined && emptyAs === undefined) {
    throw new ZonelbError(ErrorCode.BadRequest, 'request body is empty, expected a JSON object', { field: 'body' });
  }
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const field = path ? `${path}.${key}` : key;
    return fail(field, `unknown field "${field}"; expected only ${expectedKeys(schema, issue.path)}`);
  }
  return fail(path || 'body', `${path || 'body'}: ${issue.message}`);
}

function fail(field: string, message: string): never {
  throw new ZonelbError(ErrorCode.BadRequest, message, { field });
}

/** The allowed keys of the object at `path` in `schema`, for the unknown-field message. */
function expectedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string {
  let s: z.ZodType = schema;
  for (const p of path) {
    if (s instanceof z.ZodObject) s = s.shape[p as string] as z.ZodType;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  }
  if (s instanceof z.ZodArray) s = s.element as z.ZodType;
  return s instanceof z.ZodObject ? Object.keys(s.shape).map((k) => `"${k}"`).join(', ') : 'the documented fields';
}
