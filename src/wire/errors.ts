/**
 * Errors raised while decoding zonelb frames.
 *
 * Every problem found in bytes that came off the network is reported as a `WireError`
 * with a stable `code` (safe to put in an ErrorReply, a metric label or a log field)
 * and a message saying what arrived and what was expected. Decoders never let a
 * RangeError or TypeError escape for bad input.
 */

/** Stable error codes. Never renumber or rename: gateways match on them. */
export const WireErrorCode = {
  /** Structurally broken frame: too short, offsets or lengths past the end, bad vtable, missing required field. */
  MalformedFrame: 'ZLB_ERR_MALFORMED_FRAME',
  /** The 4-byte file identifier is not "ZLB1" (not a zonelb frame, or another protocol version). */
  BadIdentifier: 'ZLB_ERR_BAD_IDENTIFIER',
  /** The envelope holds a union type this build does not know (or NONE). */
  UnknownMessage: 'ZLB_ERR_UNKNOWN_MESSAGE',
  /** The envelope holds a known message type, but not the one this endpoint accepts. */
  WrongMessage: 'ZLB_ERR_WRONG_MESSAGE',
  /** A batch holds more entries than the receiver accepts. */
  BatchTooLarge: 'ZLB_ERR_BATCH_TOO_LARGE',
  /** A Request holds an op code other than 1 Join, 2 Leave, 3 Move, 4 Quit. */
  UnknownOp: 'ZLB_ERR_UNKNOWN_OP',
  /** A field holds a value outside its domain (status, reason or report kind code, non-finite float, empty id). */
  InvalidField: 'ZLB_ERR_INVALID_FIELD',
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

export class WireError extends Error {
  override readonly name = 'WireError';
  /** Stable machine-readable code, one of `WireErrorCode`. */
  readonly code: WireErrorCode;
  /**
   * The batch sequence number when it could be read before the error was found
   * (so the ErrorReply can echo it); null otherwise.
   */
  readonly seq: number | null;

  constructor(code: WireErrorCode, message: string, seq: number | null = null) {
    super(message);
    this.code = code;
    this.seq = seq;
  }
}

export function isWireError(e: unknown): e is WireError {
  return e instanceof WireError;
}
