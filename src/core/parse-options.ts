/**
 * Options are validated once, at the entry point, against one zod schema holding their
 * defaults; the first problem becomes ZLB_ERR_INVALID_OPTION naming the field (under `prefix`,
 * e.g. `net.port` or `scale.hotZones.sampleMs`), with zod's report as the cause.
 */
import type { z } from 'zod';
import { ErrorCode, ZonelbError } from './errors.ts';

export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [...(prefix === undefined ? [] : [prefix]), ...issue.path.map(String)];
  const field = path.length > 0 ? path.join('.') : '(options)';
  throw new ZonelbError(ErrorCode.InvalidOption, `option ${field}: ${issue.message}`, { field, cause: parsed.error });
}
