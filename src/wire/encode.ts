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
 *
 * The two batch frames (GatewayBatch and ResultBatch, one per message on the hot path) go one
 * step further: every byte of such a frame is the same but the sequence number, the vector's
 * length and the structs, so the frame's header is built once (BatchFrame) and each batch
 * writes just those in place. A Builder encode allocates each time (its
 * vtable arrays, views): about 570 bytes a frame, most of what the gateway thread allocated
 * for a one-join message.
 */
import { Builder, ByteBuffer } from 'flatbuffers';
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

/** Vtable offsets of a batch table's fields (both batches: seq first, the structs second). */
const SEQ_FIELD = 4;
const STRUCTS_FIELD = 6;

/**
 * A batch frame written in place (see the file comment). The Builder lays the struct vector
 * down first, at the end of the frame, and with no field wider than 4 bytes no padding depends
 * on its length: every frame is the same header (envelope and batch tables, built once here
 * with defaults forced, so that a sequence number of 0 has its place like any other), then the
 * vector's length, then the structs. The constructor checks that this still holds.
 */
class BatchFrame {
  private buf: Uint8Array;
  dv: DataView;
  /** Where the sequence number, the vector's length and the first struct are. */
  readonly seqAt: number;
  readonly lengthAt: number;
  readonly structsAt: number;
  /** The last frame handed out, reused while the size stays the same. */
  private view: Uint8Array;

  constructor(
    private readonly structSize: number,
    type: Message,
    /** Starts the batch table, adds seq and the structs vector (its offset), and ends it. */
    table: (b: Builder, seq: number, vec: number) => number,
    initialCount: number,
  ) {
    const build = (count: number): Uint8Array => {
      const b = new Builder(count * structSize + 128);
      b.forceDefaults(true);
      const vec = addStructVector(b, new Uint8Array(count * structSize), count);
      finishEnvelope(b, type, table(b, 0, vec));
      return b.asUint8Array();
    };
    const empty = build(0);
    const bb = new ByteBuffer(empty);
    const batch = { bb_pos: 0, bb: null as ByteBuffer | null };
    Envelope.getRootAsEnvelope(bb).message(batch);
    this.seqAt = batch.bb_pos + bb.__offset(batch.bb_pos, SEQ_FIELD);
    this.structsAt = bb.__vector(batch.bb_pos + bb.__offset(batch.bb_pos, STRUCTS_FIELD));
    this.lengthAt = this.structsAt - 4;
    const one = build(1);
    if (this.structsAt !== empty.length || one.length !== empty.length + structSize || one.subarray(0, this.lengthAt).some((v, i) => v !== empty[i])) {
      throw new Error(`${Message[type]} frames no longer share one header whatever their length (schema/zonelb.fbs changed?): write them with the Builder`);
    }
    this.buf = new Uint8Array(this.structsAt + Math.max(0, Math.floor(initialCount) || 0) * structSize);
    this.buf.set(empty);
    this.dv = new DataView(this.buf.buffer);
    this.view = this.buf.subarray(0, this.structsAt);
  }

  /** Room for `count` structs, and their count written; returns the DataView to write them with. */
  prepare(count: number): DataView {
    const size = this.structsAt + count * this.structSize;
    if (size > this.buf.length) {
      const grown = new Uint8Array(Math.max(size, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.lengthAt));
      this.buf = grown;
      this.dv = new DataView(grown.buffer);
    }
    this.dv.setUint32(this.lengthAt, count, true);
    return this.dv;
  }

  /** The frame of `count` structs (a view of the buffer, valid until the next encode). */
  bytes(count: number): Uint8Array {
    const size = this.structsAt + count * this.structSize;
    if (this.view.length !== size || this.view.buffer !== this.buf.buffer) this.view = this.buf.subarray(0, size);
    return this.view;
  }
}

// Struct layout loops: every field is written with a 4-byte little-endian store; the
// 1-byte code fields are stored as u32 so their 3 padding bytes are always zero.

function writeResults(dv: DataView, at: number, count: number, players: Uint32Array, servers: Int32Array | Uint32Array, positions: Uint32Array, statuses: Uint8Array): void {
  for (let i = 0, p = at; i < count; i++, p += RESULT_SIZE) {
    dv.setUint32(p, players[i], true);
    dv.setUint32(p + 4, servers[i], true);
    dv.setUint32(p + 8, positions[i], true);
    dv.setUint32(p + 12, statuses[i], true); // status byte + 3 zero padding bytes
  }
}

function writeRequests(dv: DataView, at: number, count: number, ops: Uint8Array, players: Uint32Array, zones: Uint32Array): void {
  for (let i = 0, p = at; i < count; i++, p += REQUEST_SIZE) {
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
  private readonly frame: BatchFrame;

  constructor(initialResults = 1024) {
    this.frame = new BatchFrame(
      RESULT_SIZE,
      Message.ResultBatch,
      (b, seq, vec) => {
        ResultBatch.startResultBatch(b);
        ResultBatch.addSeq(b, seq);
        ResultBatch.addResults(b, vec);
        return ResultBatch.endResultBatch(b);
      },
      initialResults,
    );
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
    const f = this.frame;
    const dv = f.prepare(count);
    dv.setUint32(f.seqAt, seq, true);
    writeResults(dv, f.structsAt, count, players, servers, positions, statuses);
    return f.bytes(count);
  }
}

/**
 * Encodes GatewayBatch frames (gateways, clients, load generators). The returned bytes
 * are a view into the encoder's buffer, valid until the next `encode`.
 */
export class GatewayBatchEncoder {
  private readonly frame: BatchFrame;

  constructor(initialRequests = 1024) {
    this.frame = new BatchFrame(
      REQUEST_SIZE,
      Message.GatewayBatch,
      (b, seq, vec) => {
        GatewayBatch.startGatewayBatch(b);
        GatewayBatch.addSeq(b, seq);
        GatewayBatch.addRequests(b, vec);
        return GatewayBatch.endGatewayBatch(b);
      },
      initialRequests,
    );
  }

  /** Op codes are written as given (the decoder, not the encoder, rejects unknown ones). */
  encode(seq: number, count: number, ops: Uint8Array, players: Uint32Array, zones: Uint32Array): Uint8Array {
    checkU32('seq', seq);
    checkCount(count, Math.min(ops.length, players.length, zones.length));
    const f = this.frame;
    const dv = f.prepare(count);
    dv.setUint32(f.seqAt, seq, true);
    writeRequests(dv, f.structsAt, count, ops, players, zones);
    return f.bytes(count);
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
