import { ErrorCode, ZonelbError } from '../core/errors.ts';
import { WireError, encodeErrorReply } from '../wire/codec.ts';

/** An error as sent back to a peer: a stable code, a message, and the batch seq when known. */
export interface PeerError {
  code: string;
  message: string;
  seq: number;
  /** True when the error is a bug in zonelb rather than bad input (logged at error level). */
  internal: boolean;
}

/** Close reasons and ErrorReply messages stay short: a peer's garbage is not echoed at length. */
const MAX_MESSAGE = 400;

/** What to tell the peer about `e`: WireError and ZonelbError keep their codes; anything else is internal. */
export function peerError(e: unknown, seq = 0): PeerError {
  if (e instanceof WireError) return { code: e.code, message: clip(e.message), seq: e.seq ?? seq, internal: false };
  if (e instanceof ZonelbError) return { code: e.code, message: clip(e.message), seq, internal: false };
  return { code: ErrorCode.Internal, message: 'internal error (logged by zonelb)', seq, internal: true };
}

export function errorReplyFrame(err: PeerError): Uint8Array {
  return encodeErrorReply({ seq: err.seq >>> 0, code: err.code, message: err.message });
}

export function clip(message: string, max = MAX_MESSAGE): string {
  return message.length > max ? `${message.slice(0, max - 1)}…` : message;
}

/** A WebSocket close reason: at most 123 bytes of UTF-8 (RFC 6455 §5.5.1). */
export function closeReason(code: string, message: string): string {
  const text = `${code}: ${message}`;
  let out = text;
  while (Buffer.byteLength(out, 'utf8') > 123) out = out.slice(0, -1);
  return out;
}
