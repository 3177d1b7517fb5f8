/**
 * The one catalogue of zonelb errors. Every error has a stable code (documented in
 * docs/errors.md; a test checks the list), a message saying what arrived and what
 * was expected, and, where it wraps another failure, that failure as `cause`.
 */
export const ErrorCode = {
  InvalidOption: 'ZLB_ERR_INVALID_OPTION',
  InvalidArgument: 'ZLB_ERR_INVALID_ARGUMENT',
  UnknownServer: 'ZLB_ERR_UNKNOWN_SERVER',
  ServerDead: 'ZLB_ERR_SERVER_DEAD',
  ServerTableFull: 'ZLB_ERR_SERVER_TABLE_FULL',
  BatchTooLarge: 'ZLB_ERR_BATCH_TOO_LARGE',
  EngineClosed: 'ZLB_ERR_ENGINE_CLOSED',
  ShardFailed: 'ZLB_ERR_SHARD_FAILED',
  UwsFallback: 'ZLB_ERR_UWS_FALLBACK',
  MalformedFrame: 'ZLB_ERR_MALFORMED_FRAME',
  UnknownOp: 'ZLB_ERR_UNKNOWN_OP',
  BadRequest: 'ZLB_ERR_BAD_REQUEST',
  NotFound: 'ZLB_ERR_NOT_FOUND',
  // Network front end (src/net).
  /** HTTP method not served on a known path. */
  MethodNotAllowed: 'ZLB_ERR_METHOD_NOT_ALLOWED',
  /** HTTP body larger than the configured limit. */
  PayloadTooLarge: 'ZLB_ERR_PAYLOAD_TOO_LARGE',
  /** A gateway has more batches awaiting answers than the connection allows; the batch was not run. */
  TooManyInFlight: 'ZLB_ERR_TOO_MANY_IN_FLIGHT',
  /** A peer stopped reading: its unsent replies passed the backpressure limit and it was closed. */
  SlowConsumer: 'ZLB_ERR_SLOW_CONSUMER',
  /** The service is starting or shutting down. */
  NotReady: 'ZLB_ERR_NOT_READY',
  /** The listening socket could not be opened (port in use, bad host). */
  ListenFailed: 'ZLB_ERR_LISTEN_FAILED',
  /** A bug: an exception that is not a ZonelbError reached the front end. */
  Internal: 'ZLB_ERR_INTERNAL',
  // Dynamic scaling (src/scale).
  /** The scaling webhook did not accept a decision after every retry. */
  ScaleWebhookFailed: 'ZLB_ERR_SCALE_WEBHOOK_FAILED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class ZonelbError extends Error {
  readonly code: ErrorCode;
  /** The offending field or argument, when there is one. */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ZonelbError';
    this.code = code;
    this.field = options.field;
  }
}

export function invalidArgument(field: string, got: unknown, expected: string): ZonelbError {
  return new ZonelbError(
    ErrorCode.InvalidArgument,
    `${field}: expected ${expected}, got ${describe(got)}`,
    { field },
  );
}

export function unknownServer(id: string): ZonelbError {
  return new ZonelbError(ErrorCode.UnknownServer, `server "${id}" is not registered`, {
    field: 'serverId',
  });
}

/** Short, safe rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}
