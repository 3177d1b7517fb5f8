/**
 * Encoding zonelb frames (schema/zonelb.fbs).
 *
 * Tables and the envelope are built with the flatc-generated builders on a reused
 * flatbuffers.Builder. Struct vectors (the bulk of every batch) are not written one
 * struct at a time with the generated `createX` (about ten builder calls per element):
 * the structs are laid out in a reused scratch buffer with DataView stores, copied into
 * the builder in one `createByteVector` call (which reserves and aligns exactly like
 * `startVector(size, n, 4)`), and the vector's length prefix is then patched from
 * "bytes" to "elements". The bytes are identical to what `createX` would produce
 * (test/wire-codec.test.ts checks it).
 */
import { Builder } from 'flatbuffers';
import { ReportKind, REPLACEMENT_SIZE, REQUEST_SIZE, RESULT_SIZE, type ErrorReplyMessage, type ServerAckMessage, type ServerReportMessage } from './decode.ts';
import type { WireError } from './errors.ts';
import {
  Envelope,
  ErrorReply,
  GatewayBatch,
  Message,
  ReplacementBatch,
  ResultBatch,
  ServerAck,
  ServerReport,
} from './generated/zonelb_generated.ts';

/** Anything indexable by number: typed arrays or plain arrays (non-hot encoders). */
type Numbers = ArrayLike<number>;

function checkU32(name: string, v: number): void {
  if (v >>> 0 !== v) throw new RangeError(`${name} must be an unsigned 32-bit integer, got ${v}`);
}

function checkCount(count: number, shortest: number): void {
  if (!Number.isInteger(count) || count < 0 || count > shortest) {
    throw new RangeError(`count must be an integer in 0..${shortest} (the shortest input array), got ${count}`);
  }
}

/**
 * Add a vector of `count` structs whose bytes (already laid out, `count * structSize`
 * bytes, a multiple of 4) are `bytes`. Returns the vector's offset.
 */
function addStructVector(b: Builder, bytes: Uint8Array, count: number): number {
  const off = b.createByteVector(bytes);
  const bb = b.dataBuffer();
  bb.writeUint32(bb.capacity() - off, count);
  return off;
}

function finishEnvelope(b: Builder, type: Message, msg: number): void {
  Envelope.finishEnvelopeBuffer(b, Envelope.createEnvelope(b, type, msg));
}

/** A reusable scratch area for struct bytes. */
class Scratch {
  bytes: Uint8Array;
  dv: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.dv = new DataView(this.bytes.buffer);
  }
  ensure(size: number): void {
    if (size <= this.bytes.length) return;
    this.bytes = new Uint8Array(Math.max(size, this.bytes.length * 2));
    this.dv = new DataView(this.bytes.buffer);
  }
}

// Struct layout loops: every field is written with a 4-byte little-endian store; the
// 1-byte code fields are stored as u32 so their 3 padding bytes are always zero.

function writeResults(dv: DataView, count: number, players: Uint32Array, servers: Int32Array | Uint32Array, positions: Uint32Array, statuses: Uint8Array): void {
  for (let i = 0, p = 0; i < count; i++, p += RESULT_SIZE) {
    dv.setUint32(p, players[i], true);
    dv.setUint32(p + 4, servers[i], true);
    dv.setUint32(p + 8, positions[i], true);
    dv.setUint32(p + 12, statuses[i], true); // status byte + 3 zero padding bytes
  }
}

function writeRequests(dv: DataView, count: number, ops: Uint8Array, players: Uint32Array, zones: Uint32Array): void {
  for (let i = 0, p = 0; i < count; i++, p += REQUEST_SIZE) {
    dv.setUint32(p, ops[i], true); // op byte + 3 zero padding bytes
    dv.setUint32(p + 4, players[i], true);
    dv.setUint32(p + 8, zones[i], true);
  }
}

/**
 * Encodes ResultBatch frames (the balancer's hot path). One instance per sender;
 * the returned bytes are a view into the encoder's buffer, valid until the next `encode`.
 */
export class ResultEncoder {
  private readonly builder: Builder;
  private readonly scratch: Scratch;

  constructor(initialResults = 1024) {
    this.builder = new Builder(initialResults * RESULT_SIZE + 128);
    this.scratch = new Scratch(initialResults * RESULT_SIZE);
  }

  /**
   * @param servers server handles; -1 (NO_SERVER) is written as 0xFFFFFFFF.
   * @param positions queue position for Queued results, else 0.
   */
  encode(
    seq: number,
    count: number,
    players: Uint32Array,
    servers: Int32Array | Uint32Array,
    positions: Uint32Array,
    statuses: Uint8Array,
  ): Uint8Array {
    checkU32('seq', seq);
    checkCount(count, Math.min(players.length, servers.length, positions.length, statuses.length));
    const nbytes = count * RESULT_SIZE;
    const scratch = this.scratch;
    scratch.ensure(nbytes);
    writeResults(scratch.dv, count, players, servers, positions, statuses);
    const b = this.builder;
    b.clear();
    const vec = addStructVector(b, scratch.bytes.subarray(0, nbytes), count);
    ResultBatch.startResultBatch(b);
    ResultBatch.addSeq(b, seq);
    ResultBatch.addResults(b, vec);
    finishEnvelope(b, Message.ResultBatch, ResultBatch.endResultBatch(b));
    return b.asUint8Array();
  }
}

/**
 * Encodes GatewayBatch frames (gateways, clients, load generators). The returned bytes
 * are a view into the encoder's buffer, valid until the next `encode`.
 */
export class GatewayBatchEncoder {
  private readonly builder: Builder;
  private readonly scratch: Scratch;

  constructor(initialRequests = 1024) {
    this.builder = new Builder(initialRequests * REQUEST_SIZE + 128);
    this.scratch = new Scratch(initialRequests * REQUEST_SIZE);
  }

  /** Op codes are written as given (the decoder, not the encoder, rejects unknown ones). */
  encode(seq: number, count: number, ops: Uint8Array, players: Uint32Array, zones: Uint32Array): Uint8Array {
    checkU32('seq', seq);
    checkCount(count, Math.min(ops.length, players.length, zones.length));
    const nbytes = count * REQUEST_SIZE;
    const scratch = this.scratch;
    scratch.ensure(nbytes);
    writeRequests(scratch.dv, count, ops, players, zones);
    const b = this.builder;
    b.clear();
    const vec = addStructVector(b, scratch.bytes.subarray(0, nbytes), count);
    GatewayBatch.startGatewayBatch(b);
    GatewayBatch.addSeq(b, seq);
    GatewayBatch.addRequests(b, vec);
    finishEnvelope(b, Message.GatewayBatch, GatewayBatch.endGatewayBatch(b));
    return b.asUint8Array();
  }
}

const sharedGateway = new GatewayBatchEncoder(256);

/**
 * Encode a GatewayBatch into a fresh Uint8Array (safe to keep or queue).
 * For a hot loop, use a `GatewayBatchEncoder` and its reused buffer instead.
 */
export function encodeGatewayBatch(seq: number, count: number, ops: Uint8Array, players: Uint32Array, zones: Uint32Array): Uint8Array {
  return sharedGateway.encode(seq, count, ops, players, zones).slice();
}

// ---------------------------------------------------------------------------------------
// Non-hot messages: each call returns a fresh Uint8Array.

const shared = new Builder(512);

function done(type: Message, msg: number): Uint8Array {
  finishEnvelope(shared, type, msg);
  return shared.asUint8Array().slice();
}

/** Input of `encodeReplacementBatch`; `ReplacementEvents` (the decoder's output) fits. */
export interface ReplacementEventsLike {
  count: number;
  players: Numbers;
  /** -1 (NO_SERVER) is written as 0xFFFFFFFF. */
  oldServers: Numbers;
  /** -1 (NO_SERVER) is written as 0xFFFFFFFF. */
  newServers: Numbers;
  zones: Numbers;
  reasons: Numbers;
}

export function encodeReplacementBatch(ev: ReplacementEventsLike): Uint8Array {
  const count = ev.count;
  checkCount(count, Math.min(ev.players.length, ev.oldServers.length, ev.newServers.length, ev.zones.length, ev.reasons.length));
  const bytes = new Uint8Array(count * REPLACEMENT_SIZE);
  const dv = new DataView(bytes.buffer);
  for (let i = 0, p = 0; i < count; i++, p += REPLACEMENT_SIZE) {
    dv.setUint32(p, ev.players[i], true);
    dv.setUint32(p + 4, ev.oldServers[i], true);
    dv.setUint32(p + 8, ev.newServers[i], true);
    dv.setUint32(p + 12, ev.zones[i], true);
    dv.setUint32(p + 16, ev.reasons[i] & 0xff, true); // reason byte + 3 zero padding bytes
  }
  const b = shared;
  b.clear();
  const vec = addStructVector(b, bytes, count);
  ReplacementBatch.startReplacementBatch(b);
  ReplacementBatch.addEvents(b, vec);
  return done(Message.ReplacementBatch, ReplacementBatch.endReplacementBatch(b));
}

/** Input of `encodeServerReport`; `address` may be omitted (or "") when not registering. */
export type ServerReportInput = Omit<ServerReportMessage, 'address'> & { address?: string };

export function encodeServerReport(r: ServerReportInput): Uint8Array {
  if (!Object.values(ReportKind).includes(r.kind)) throw new RangeError(`ServerReport kind must be one of 1..4, got ${r.kind}`);
  if (typeof r.serverId !== 'string' || r.serverId.length === 0) throw new RangeError('ServerReport serverId must be a non-empty string');
  checkU32('players', r.players);
  for (const k of ['cpu', 'memory', 'weight'] as const) {
    if (!Number.isFinite(r[k]) || r[k] < 0) throw new RangeError(`ServerReport ${k} must be a finite number >= 0, got ${r[k]}`);
  }
  const b = shared;
  b.clear();
  const id = b.createString(r.serverId);
  const address = r.address ? b.createString(r.address) : 0;
  ServerReport.startServerReport(b);
  ServerReport.addKind(b, r.kind);
  ServerReport.addServerId(b, id);
  ServerReport.addCpu(b, r.cpu);
  ServerReport.addMemory(b, r.memory);
  ServerReport.addPlayers(b, r.players);
  ServerReport.addWeight(b, r.weight);
  if (address !== 0) ServerReport.addAddress(b, address);
  return done(Message.ServerReport, ServerReport.endServerReport(b));
}

/** `handle` -1 (NO_SERVER) is written as 0xFFFFFFFF; empty errorCode/message are omitted. */
export function encodeServerAck(a: ServerAckMessage): Uint8Array {
  const b = shared;
  b.clear();
  const id = b.createString(a.serverId);
  const code = a.errorCode ? b.createString(a.errorCode) : 0;
  const message = a.message ? b.createString(a.message) : 0;
  ServerAck.startServerAck(b);
  ServerAck.addServerId(b, id);
  ServerAck.addHandle(b, a.handle >>> 0);
  if (code !== 0) ServerAck.addErrorCode(b, code);
  if (message !== 0) ServerAck.addMessage(b, message);
  return done(Message.ServerAck, ServerAck.endServerAck(b));
}

export function encodeErrorReply(e: ErrorReplyMessage): Uint8Array {
  checkU32('seq', e.seq);
  const b = shared;
  b.clear();
  const code = b.createString(e.code);
  const message = b.createString(e.message);
  ErrorReply.startErrorReply(b);
  ErrorReply.addSeq(b, e.seq);
  ErrorReply.addCode(b, code);
  ErrorReply.addMessage(b, message);
  return done(Message.ErrorReply, ErrorReply.endErrorReply(b));
}

/** The ErrorReply a receiver sends back for a frame it rejected. */
export function encodeWireError(err: WireError): Uint8Array {
  return encodeErrorReply({ seq: err.seq ?? 0, code: err.code, message: err.message });
}
