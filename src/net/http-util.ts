/**
 * HTTP plumbing over uWebSockets.js: body reading with a size limit, JSON replies, and the
 * mapping of every ZLB_ERR_* code to an HTTP status. Errors are always
 * `{ "error": { "code", "message", "field" } }`.
 */
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import { WireError } from '../wire/codec.ts';
import { clip } from './frame-errors.ts';
import type { HttpResponse } from './uws.ts';

/** HTTP status line for each error code (a test checks that every ErrorCode is listed). */
const STATUS_OF: Readonly<Record<string, string>> = Object.freeze({
  [ErrorCode.InvalidArgument]: '400 Bad Request',
  [ErrorCode.InvalidOption]: '400 Bad Request',
  [ErrorCode.BadRequest]: '400 Bad Request',
  [ErrorCode.MalformedFrame]: '400 Bad Request',
  [ErrorCode.UnknownOp]: '400 Bad Request',
  [ErrorCode.UnknownServer]: '404 Not Found',
  [ErrorCode.NotFound]: '404 Not Found',
  [ErrorCode.MethodNotAllowed]: '405 Method Not Allowed',
  [ErrorCode.ServerDead]: '409 Conflict',
  [ErrorCode.BatchTooLarge]: '413 Payload Too Large',
  [ErrorCode.PayloadTooLarge]: '413 Payload Too Large',
  [ErrorCode.TooManyInFlight]: '429 Too Many Requests',
  [ErrorCode.ServerTableFull]: '503 Service Unavailable',
  [ErrorCode.EngineClosed]: '503 Service Unavailable',
  [ErrorCode.ShardFailed]: '503 Service Unavailable',
  [ErrorCode.NotReady]: '503 Service Unavailable',
  [ErrorCode.SlowConsumer]: '429 Too Many Requests',
  // Startup failures: never the answer to a request, listed so every code has a status.
  [ErrorCode.UwsFallback]: '500 Internal Server Error',
  [ErrorCode.ListenFailed]: '500 Internal Server Error',
  [ErrorCode.Internal]: '500 Internal Server Error',
  // An outbound call (the scaling webhook) failed: never the answer to a request either.
  [ErrorCode.ScaleWebhookFailed]: '502 Bad Gateway',
});

export function hasHttpStatus(code: string): boolean {
  return code in STATUS_OF;
}

export function httpStatusOf(code: string): string {
  return STATUS_OF[code] ?? '500 Internal Server Error';
}

/** The error as the API reports it. Anything that is not a ZonelbError is a bug: ZLB_ERR_INTERNAL. */
export function toZonelbError(e: unknown): ZonelbError {
  if (e instanceof ZonelbError) return e;
  if (e instanceof WireError) return new ZonelbError(ErrorCode.BadRequest, e.message, { cause: e });
  return new ZonelbError(ErrorCode.Internal, 'internal error (logged by zonelb)', { cause: e });
}

export function errorJson(err: ZonelbError): string {
  return JSON.stringify({ error: { code: err.code, message: clip(err.message, 1000), field: err.field ?? null } });
}

/** Writes a complete JSON response. Call inside res.cork() unless still in the route handler. */
export function writeJson(res: HttpResponse, status: string, body: string): void {
  res.writeStatus(status).writeHeader('content-type', 'application/json').end(body);
}

/**
 * Reads the request body (at most `limit` bytes) and calls `onBody` with it, or `onError` with a
 * ZLB_ERR_PAYLOAD_TOO_LARGE error as soon as the limit is passed. uWebSockets.js hands chunks that
 * are only valid during the callback: all but a single last chunk are copied, and `onBody`
 * must consume the body before it returns.
 */
export function readBody(res: HttpResponse, limit: number, onBody: (body: Buffer) => void, onError: (err: ZonelbError) => void): void {
  let parts: Buffer[] | undefined;
  let size = 0;
  let failed = false;
  res.onData((chunk, isLast) => {
    if (failed) return;
    size += chunk.byteLength;
    if (size > limit) {
      failed = true;
      onError(new ZonelbError(ErrorCode.PayloadTooLarge, `request body is larger than ${limit} bytes (net option httpBodyLimitBytes)`));
      return;
    }
    if (isLast) {
      if (parts === undefined) onBody(Buffer.from(chunk));
      else {
        parts.push(Buffer.from(chunk.slice(0)));
        onBody(Buffer.concat(parts, size));
      }
      return;
    }
    (parts ??= []).push(Buffer.from(chunk.slice(0)));
  });
}

/**
 * Parses a JSON body. An empty body is `undefined` (routes whose body is optional accept it);
 * invalid JSON is ZLB_ERR_BAD_REQUEST with the parser's message.
 */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new ZonelbError(ErrorCode.BadRequest, `request body is not valid JSON: ${(e as Error).message}`, { field: 'body', cause: e });
  }
}

/** Decodes one path parameter (uWebSockets.js hands them percent-encoded). */
export function pathParam(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (e) {
    throw new ZonelbError(ErrorCode.BadRequest, `path parameter ${name} is not valid percent-encoding: ${JSON.stringify(clip(raw, 64))}`, { field: name, cause: e });
  }
}
