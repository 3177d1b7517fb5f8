/**
 * Decoding zonelb frames (schema/zonelb.fbs) from untrusted bytes.
 *
 * The generated accessors in ./generated do no bounds checking at all (a truncated
 * buffer reads `undefined` bytes as zeros), so every decoder here walks the
 * FlatBuffer itself: each offset, vtable, vector and string is checked against the
 * frame length before it is read, and every problem becomes a `WireError`.
 * Nothing else (no RangeError, no TypeError) escapes for bad input.
 *
 * The hot decoders (`decodeGatewayBatch`, `decodeResultBatch`) locate the struct
 * vector once and then copy the struct fields straight into preallocated typed
 * arrays with DataView reads at computed offsets: one DataView per frame, nothing
 * allocated per request.
 */
import { Op, Reason, Status } from '../core/codes.ts';
import { WireError, WireErrorCode } from './errors.ts';
import type { ReplacementEvents } from '../core/event-log.ts';

// ---------------------------------------------------------------------------------------
// Protocol constants (mirror schema/zonelb.fbs; test/wire-codec.test.ts checks them
// against the generated code).

/** The file identifier at bytes 4..7 of every frame. */
export const FILE_IDENTIFIER = 'ZLB1';

/** Union type codes of `Message` in the Envelope. */
export const MessageType = {
  GatewayBatch: 1,
  ResultBatch: 2,
  ReplacementBatch: 3,
  ServerReport: 4,
  ServerAck: 5,
  ErrorReply: 6,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const messageTypeName: Readonly<Record<number, string>> = Object.freeze({
  0: 'NONE',
  ...Object.fromEntries(Object.entries(MessageType).map(([k, v]) => [v, k])),
});

/** `ServerReport.kind` codes. */
export const ReportKind = {
  /** Server joins the fleet (or re-registers after a restart). */
  Register: 1,
  /** Periodic load report; proves liveness. */
  Heartbeat: 2,
  /** Server asks for no new players. */
  Drain: 3,
  /** Server leaves the fleet. */
  Leave: 4,
} as const;
export type ReportKind = (typeof ReportKind)[keyof typeof ReportKind];

/** Byte sizes of the wire structs (flatc pads each to 4-byte alignment). */
export const REQUEST_SIZE = 12;
export const RESULT_SIZE = 16;
export const REPLACEMENT_SIZE = 20;

/** A server handle field holding "no server" on the wire (NO_SERVER, -1, as int32). */
export const WIRE_NO_SERVER = 0xffffffff;

/** Smallest byte count that can hold the root offset, the identifier and a table. */
const MIN_FRAME = 12;

// Valid-code lookup tables, built from src/core/codes.ts so they never drift.
function codeTable(codes: Record<string, number>): Uint8Array {
  const t = new Uint8Array(256);
  for (const v of Object.values(codes)) t[v] = 1;
  return t;
}
const VALID_OP = codeTable(Op);
const VALID_STATUS = codeTable(Status);
const VALID_REASON = codeTable(Reason);
const VALID_KIND = codeTable(ReportKind);

function codeList(codes: Record<string, number>): string {
  return Object.entries(codes)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}

// ---------------------------------------------------------------------------------------
// Preallocated destinations for the hot decoders.

/** Decoded GatewayBatch, struct-of-arrays, preallocated to `capacity` requests. */
export class RequestBuffer {
  readonly capacity: number;
  readonly ops: Uint8Array;
  readonly players: Uint32Array;
  readonly zones: Uint32Array;
  /** Number of valid entries (0 after a failed decode). */
  count = 0;
  /** The batch's sequence number. */
  seq = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`RequestBuffer capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
    this.ops = new Uint8Array(capacity);
    this.players = new Uint32Array(capacity);
    this.zones = new Uint32Array(capacity);
  }
}

/** Decoded ResultBatch, struct-of-arrays, preallocated to `capacity` results. */
export class ResultBuffer {
  readonly capacity: number;
  readonly players: Uint32Array;
  /** Server handles; -1 (NO_SERVER) where the wire says 0xFFFFFFFF. */
  readonly servers: Int32Array;
  readonly positions: Uint32Array;
  readonly statuses: Uint8Array;
  /** Number of valid entries (0 after a failed decode). */
  count = 0;
  /** The seq of the GatewayBatch these results answer. */
  seq = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`ResultBuffer capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
    this.players = new Uint32Array(capacity);
    this.servers = new Int32Array(capacity);
    this.positions = new Uint32Array(capacity);
    this.statuses = new Uint8Array(capacity);
  }
}

/**
 * A decoded ReplacementBatch is the engine's own event arrays (not hot: freshly allocated, of
 * exactly `count` entries); -1 (NO_SERVER) where the wire says 0xFFFFFFFF.
 */
export type { ReplacementEvents };

export interface ServerReportMessage {
  kind: ReportKind;
  serverId: string;
  cpu: number;
  memory: number;
  players: number;
  weight: number;
  /** "" when absent. */
  address: string;
}

export interface ServerAckMessage {
  serverId: string;
  /** -1 (NO_SERVER) when the wire says 0xFFFFFFFF. */
  handle: number;
  /** "" when accepted. */
  errorCode: string;
  message: string;
}

export interface ErrorReplyMessage {
  seq: number;
  code: string;
  message: string;
}

// ---------------------------------------------------------------------------------------
// Bounds-checked FlatBuffer walker. One module-level instance, reused by every decoder
// (decoding is synchronous, so it is never shared between two frames at once).

const EMPTY = new Uint8Array(0);
const EMPTY_DV = new DataView(EMPTY.buffer);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function malformed(message: string, seq: number | null = null): WireError {
  return new WireError(WireErrorCode.MalformedFrame, message, seq);
}

class FrameWalker {
  bytes: Uint8Array = EMPTY;
  dv: DataView = EMPTY_DV;
  len = 0;
  /** Current table: its name (for messages), position, vtable position, vtable and table sizes. */
  name = '';
  tpos = 0;
  vt = 0;
  vtSize = 0;
  tSize = 0;
  /** Element count of the vector found by the last `vector()` call. */
  vecLen = 0;
  /** Sequence number once known, for errors. */
  seq: number | null = null;

  /** Check length and identifier; point at the Envelope; return its union type code. */
  open(bytes: Uint8Array): number {
    const len = bytes.length;
    this.seq = null;
    if (len < MIN_FRAME) {
      throw malformed(`frame too short: ${len} bytes, a ${FILE_IDENTIFIER} frame needs at least ${MIN_FRAME} (root offset, identifier, table)`);
    }
    if (bytes[4] !== 0x5a || bytes[5] !== 0x4c || bytes[6] !== 0x42 || bytes[7] !== 0x31) {
      const got = Array.from(bytes.subarray(4, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new WireError(WireErrorCode.BadIdentifier, `bad file identifier: bytes 4..7 are ${got}, expected "${FILE_IDENTIFIER}" (5a 4c 42 31)`);
    }
    this.bytes = bytes;
    this.len = len;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, len);
    this.enter(this.dv.getUint32(0, true), 'Envelope');
    const t = this.field(0, 1);
    return t === 0 ? 0 : this.dv.getUint8(t);
  }

  /** Validate the table at `tpos` (soffset, vtable, sizes) and make it current. */
  enter(tpos: number, name: string): void {
    const len = this.len;
    if (tpos + 4 > len) throw malformed(`${name} table at offset ${tpos} is past the end of the ${len}-byte frame`, this.seq);
    const vt = tpos - this.dv.getInt32(tpos, true);
    if (vt < 0 || vt + 4 > len) throw malformed(`${name} vtable at offset ${vt} is outside the ${len}-byte frame`, this.seq);
    const vtSize = this.dv.getUint16(vt, true);
    const tSize = this.dv.getUint16(vt + 2, true);
    if (vtSize < 4 || (vtSize & 1) !== 0 || vt + vtSize > len) {
      throw malformed(`${name} vtable at offset ${vt} declares ${vtSize} bytes; expected an even size >= 4 within the ${len}-byte frame`, this.seq);
    }
    if (tSize < 4 || tpos + tSize > len) {
      throw malformed(`${name} table at offset ${tpos} declares ${tSize} bytes; expected >= 4 within the ${len}-byte frame`, this.seq);
    }
    this.name = name;
    this.tpos = tpos;
    this.vt = vt;
    this.vtSize = vtSize;
    this.tSize = tSize;
  }

  /** Absolute position of field `slot` (0-based) of `size` bytes in the current table, or 0 if absent. */
  field(slot: number, size: number): number {
    const vo = 4 + 2 * slot;
    if (vo + 2 > this.vtSize) return 0;
    const fo = this.dv.getUint16(this.vt + vo, true);
    if (fo === 0) return 0;
    if (fo < 4 || fo + size > this.tSize) {
      throw malformed(`${this.name} field #${slot} at table offset ${fo} (${size} bytes) is outside the ${this.tSize}-byte table`, this.seq);
    }
    return this.tpos + fo;
  }

  u8(slot: number): number {
    const p = this.field(slot, 1);
    return p === 0 ? 0 : this.dv.getUint8(p);
  }

  u32(slot: number): number {
    const p = this.field(slot, 4);
    return p === 0 ? 0 : this.dv.getUint32(p, true);
  }

  f32(slot: number): number {
    const p = this.field(slot, 4);
    return p === 0 ? 0 : this.dv.getFloat32(p, true);
  }

  /** Follow the uoffset in field `slot`; return the target position (with 4 readable bytes) or 0 if absent. */
  ref(slot: number, what: string): number {
    const p = this.field(slot, 4);
    if (p === 0) return 0;
    const target = p + this.dv.getUint32(p, true);
    if (target + 4 > this.len) {
      throw malformed(`${what} points to offset ${target}, past the end of the ${this.len}-byte frame`, this.seq);
    }
    return target;
  }

  /** Locate the vector in field `slot`; return its first element's position (0 if absent) and set `vecLen`. */
  vector(slot: number, elemSize: number, what: string): number {
    const target = this.ref(slot, what);
    if (target === 0) {
      this.vecLen = 0;
      return 0;
    }
    const n = this.dv.getUint32(target, true);
    const start = target + 4;
    if (start + n * elemSize > this.len) {
      throw malformed(
        `${what}: vector of ${n} elements x ${elemSize} bytes at offset ${start} needs ${start + n * elemSize} bytes, the frame has ${this.len}`,
        this.seq,
      );
    }
    this.vecLen = n;
    return start;
  }

  /** Read the string in field `slot`; null if absent. */
  string(slot: number, what: string): string | null {
    const target = this.ref(slot, what);
    if (target === 0) return null;
    const n = this.dv.getUint32(target, true);
    const start = target + 4;
    if (start + n + 1 > this.len) {
      throw malformed(`${what}: string of ${n} bytes at offset ${start} (+1 terminator) runs past the end of the ${this.len}-byte frame`, this.seq);
    }
    if (this.bytes[start + n] !== 0) throw malformed(`${what}: string at offset ${start} is not NUL-terminated`, this.seq);
    try {
      return utf8.decode(this.bytes.subarray(start, start + n));
    } catch {
      throw new WireError(WireErrorCode.InvalidField, `${what}: string of ${n} bytes at offset ${start} is not valid UTF-8`, this.seq);
    }
  }

  /** Enter the Envelope's message table, which must be of type `expected`. */
  message(type: number, expected: MessageType): void {
    if (type !== expected) throw wrongType(type, expected);
    const target = this.ref(1, 'Envelope.message');
    if (target === 0) throw malformed(`Envelope.message is missing although message_type is ${type} ${messageTypeName[type]}`);
    this.enter(target, messageTypeName[type] ?? 'message');
  }

  /** Drop the reference to the frame (so the walker does not keep it alive). */
  release(): void {
    this.bytes = EMPTY;
    this.dv = EMPTY_DV;
  }
}

function wrongType(type: number, expected: number): WireError {
  const name = messageTypeName[type];
  if (name === undefined || type === 0) {
    return new WireError(
      WireErrorCode.UnknownMessage,
      `unknown message type ${type}${type === 0 ? ' (NONE)' : ''}, expected ${expected} ${messageTypeName[expected]}`,
    );
  }
  return new WireError(WireErrorCode.WrongMessage, `got message type ${type} ${name}, expected ${expected} ${messageTypeName[expected]}`);
}

const walker = new FrameWalker();

// ---------------------------------------------------------------------------------------
// Public decoders.

/**
 * Validate the frame header and envelope and return the type of the message it holds.
 * The message table's own fields are validated by the matching decodeX call.
 */
export function decodeEnvelope(bytes: Uint8Array): MessageType {
  const w = walker;
  const type = w.open(bytes);
  if (messageTypeName[type] === undefined || type === 0) {
    throw new WireError(
      WireErrorCode.UnknownMessage,
      `unknown message type ${type}${type === 0 ? ' (NONE)' : ''}, expected one of ${codeList(MessageType)}`,
    );
  }
  w.message(type, type as MessageType);
  w.release();
  return type as MessageType;
}

/**
 * Decode a GatewayBatch frame into `out` (hot path; allocates nothing per request).
 * Throws WireError for any malformed frame, a batch of more than `maxRequests`
 * requests, or an unknown op code; `out.count` is 0 after a failure.
 * `maxRequests` must not exceed `out.capacity` (a programming error, RangeError).
 */
export function decodeGatewayBatch(bytes: Uint8Array, out: RequestBuffer, maxRequests: number): void {
  if (!(maxRequests <= out.capacity)) {
    throw new RangeError(`maxRequests ${maxRequests} exceeds the RequestBuffer capacity ${out.capacity}`);
  }
  out.count = 0;
  const w = walker;
  w.message(w.open(bytes), MessageType.GatewayBatch);
  const seq = w.u32(0);
  out.seq = seq;
  w.seq = seq;
  let p = w.vector(1, REQUEST_SIZE, 'GatewayBatch.requests');
  const n = w.vecLen;
  if (n > maxRequests) {
    throw new WireError(WireErrorCode.BatchTooLarge, `GatewayBatch seq ${seq} holds ${n} requests, at most ${maxRequests} are accepted`, seq);
  }
  const dv = w.dv;
  const ops = out.ops;
  const players = out.players;
  const zones = out.zones;
  const validOp = VALID_OP;
  for (let i = 0; i < n; i++, p += REQUEST_SIZE) {
    const op = dv.getUint8(p);
    if (validOp[op] === 0) {
      throw new WireError(
        WireErrorCode.UnknownOp,
        `GatewayBatch seq ${seq} request #${i} (player ${dv.getUint32(p + 4, true)}) has op ${op}, expected one of ${codeList(Op)}`,
        seq,
      );
    }
    ops[i] = op;
    players[i] = dv.getUint32(p + 4, true);
    zones[i] = dv.getUint32(p + 8, true);
  }
  out.count = n;
  w.release();
}

/**
 * Decode a ResultBatch frame into `out` (allocates nothing per result).
 * Throws WireError for a malformed frame, more results than `out.capacity`, or an unknown status code.
 */
export function decodeResultBatch(bytes: Uint8Array, out: ResultBuffer): void {
  out.count = 0;
  const w = walker;
  w.message(w.open(bytes), MessageType.ResultBatch);
  const seq = w.u32(0);
  out.seq = seq;
  w.seq = seq;
  let p = w.vector(1, RESULT_SIZE, 'ResultBatch.results');
  const n = w.vecLen;
  if (n > out.capacity) {
    throw new WireError(WireErrorCode.BatchTooLarge, `ResultBatch seq ${seq} holds ${n} results, the buffer holds at most ${out.capacity}`, seq);
  }
  const dv = w.dv;
  const players = out.players;
  const servers = out.servers;
  const positions = out.positions;
  const statuses = out.statuses;
  const validStatus = VALID_STATUS;
  for (let i = 0; i < n; i++, p += RESULT_SIZE) {
    const status = dv.getUint8(p + 12);
    if (validStatus[status] === 0) {
      throw new WireError(WireErrorCode.InvalidField, `ResultBatch seq ${seq} result #${i} has status ${status}, expected one of ${codeList(Status)}`, seq);
    }
    players[i] = dv.getUint32(p, true);
    servers[i] = dv.getInt32(p + 4, true);
    positions[i] = dv.getUint32(p + 8, true);
    statuses[i] = status;
  }
  out.count = n;
  w.release();
}

/** Decode a ReplacementBatch frame into freshly allocated arrays. */
export function decodeReplacementBatch(bytes: Uint8Array): ReplacementEvents {
  const w = walker;
  w.message(w.open(bytes), MessageType.ReplacementBatch);
  let p = w.vector(0, REPLACEMENT_SIZE, 'ReplacementBatch.events');
  const n = w.vecLen;
  const dv = w.dv;
  const ev: ReplacementEvents = {
    count: n,
    players: new Uint32Array(n),
    oldServers: new Int32Array(n),
    newServers: new Int32Array(n),
    zones: new Uint32Array(n),
    reasons: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++, p += REPLACEMENT_SIZE) {
    const reason = dv.getUint8(p + 16);
    if (VALID_REASON[reason] === 0) {
      throw new WireError(WireErrorCode.InvalidField, `ReplacementBatch event #${i} has reason ${reason}, expected one of ${codeList(Reason)}`);
    }
    ev.players[i] = dv.getUint32(p, true);
    ev.oldServers[i] = dv.getInt32(p + 4, true);
    ev.newServers[i] = dv.getInt32(p + 8, true);
    ev.zones[i] = dv.getUint32(p + 12, true);
    ev.reasons[i] = reason;
  }
  w.release();
  return ev;
}

function checkLoad(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) {
    throw new WireError(WireErrorCode.InvalidField, `ServerReport.${name} is ${v}, expected a finite number >= 0`);
  }
  return v;
}

/** Decode a ServerReport frame. `server_id` must be present and non-empty; loads finite and >= 0. */
export function decodeServerReport(bytes: Uint8Array): ServerReportMessage {
  const w = walker;
  w.message(w.open(bytes), MessageType.ServerReport);
  const kind = w.u8(0);
  if (VALID_KIND[kind] === 0) {
    throw new WireError(WireErrorCode.InvalidField, `ServerReport.kind is ${kind}, expected one of ${codeList(ReportKind)}`);
  }
  const serverId = w.string(1, 'ServerReport.server_id');
  if (serverId === null || serverId.length === 0) {
    throw new WireError(WireErrorCode.InvalidField, `ServerReport.server_id is ${serverId === null ? 'missing' : 'empty'}, expected a server id`);
  }
  const msg: ServerReportMessage = {
    kind: kind as ReportKind,
    serverId,
    cpu: checkLoad('cpu', w.f32(2)),
    memory: checkLoad('memory', w.f32(3)),
    players: w.u32(4),
    weight: checkLoad('weight', w.f32(5)),
    address: w.string(6, 'ServerReport.address') ?? '',
  };
  w.release();
  return msg;
}

/** Decode a ServerAck frame. `server_id` must be present. */
export function decodeServerAck(bytes: Uint8Array): ServerAckMessage {
  const w = walker;
  w.message(w.open(bytes), MessageType.ServerAck);
  const serverId = w.string(0, 'ServerAck.server_id');
  if (serverId === null) throw new WireError(WireErrorCode.InvalidField, 'ServerAck.server_id is missing, expected a server id');
  const msg: ServerAckMessage = {
    serverId,
    handle: w.u32(1) | 0,
    errorCode: w.string(2, 'ServerAck.error_code') ?? '',
    message: w.string(3, 'ServerAck.message') ?? '',
  };
  w.release();
  return msg;
}

/** Decode an ErrorReply frame. */
export function decodeErrorReply(bytes: Uint8Array): ErrorReplyMessage {
  const w = walker;
  w.message(w.open(bytes), MessageType.ErrorReply);
  const msg: ErrorReplyMessage = {
    seq: w.u32(0),
    code: w.string(1, 'ErrorReply.code') ?? '',
    message: w.string(2, 'ErrorReply.message') ?? '',
  };
  w.release();
  return msg;
}
