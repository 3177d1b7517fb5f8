/**
 * The gateway WebSocket endpoint: binary GatewayBatch frames in, ResultBatch frames out (same
 * seq), ErrorReply frames for batches that cannot run, ReplacementBatch frames pushed to every
 * gateway when players are moved without asking.
 *
 * Per batch, on the main thread: decode into a pooled BatchSlot (the frame's ArrayBuffer is
 * only valid during the callback), one engine.submit for the whole batch (the engine splits it
 * by owning shard), then, when the slot's done() fires, encode and send the answers. The reply
 * is corked: directly when answered inside the message callback (one shard), through a
 * pre-bound ws.cork() callback when answered later (worker shards).
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../core/errors.ts';
import type { Engine } from '../engine/types.ts';
import { REQUEST_SIZE, RESULT_SIZE, RequestBuffer, ResultEncoder, decodeGatewayBatch } from '../wire/codec.ts';
import { BatchSlot, type SlotOwner } from './batch-slot.ts';
import { CloseCode } from './close-codes.ts';
import { closeReason, errorReplyFrame, peerError, type PeerError } from './frame-errors.ts';
import type { NetStats } from './net-stats.ts';
import type { UwsModule, WebSocket, WebSocketBehavior } from './uws.ts';

/** Bytes around the struct vector in a GatewayBatch or ResultBatch frame (envelope, tables, vtables), rounded up. */
export const FRAME_OVERHEAD = 128;
/** A fresh slot holds this many requests; it grows (powers of two) to the batches it sees. */
const INITIAL_SLOT_CAPACITY = 16;
/**
 * uWebSockets.js drops (does not queue) a send past its maxBackpressure. zonelb bounds what a
 * gateway may hold itself (GatewayConnection.isSlow, GatewayEndpoint.broadcast) and never lets
 * a send reach this ceiling, the largest uWebSockets.js takes: nothing is ever dropped.
 */
const UWS_MAX_BACKPRESSURE = 0x7fffffff;

export interface GatewayLimits {
  /** Engine option maxBatch: larger batches get ErrorReply ZLB_ERR_BATCH_TOO_LARGE. */
  maxBatch: number;
  backpressureBytes: number;
  maxInFlight: number;
  idleTimeoutSec: number;
  replacementsPerFrame: number;
}

export interface GatewayUserData {
  conn?: GatewayConnection;
}

/** Largest GatewayBatch frame accepted; bigger frames are closed by uWebSockets.js with 1009. */
export function gatewayMaxPayload(maxBatch: number): number {
  return maxBatch * REQUEST_SIZE + FRAME_OVERHEAD;
}

/** One gateway socket and its pool of batch slots. */
export class GatewayConnection implements SlotOwner {
  closed = false;
  /**
   * Bytes unsent just after the last push (see GatewayEndpoint.broadcast): replies may queue
   * behind that burst without the gateway being judged slow, until it has read back under the limit.
   */
  pushBacklog = 0;
  private readonly free: BatchSlot[] = [];
  private allocated = 0;

  constructor(
    readonly endpoint: GatewayEndpoint,
    readonly ws: WebSocket<GatewayUserData>,
    readonly id: number,
  ) {}

  /** A free slot, or undefined when maxInFlight batches already await answers. */
  take(): BatchSlot | undefined {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.allocated >= this.endpoint.limits.maxInFlight) return undefined;
      this.allocated++;
      slot = new BatchSlot(this, INITIAL_SLOT_CAPACITY);
    }
    slot.busy = true;
    return slot;
  }

  give(slot: BatchSlot): void {
    if (!slot.busy) return;
    slot.busy = false;
    this.free.push(slot);
  }

  get inFlight(): number {
    return this.allocated - this.free.length;
  }

  answered(slot: BatchSlot): void {
    // Answers for a closed connection are dropped with their slot.
    if (this.closed) return;
    if (this.endpoint.corked === this.ws) this.flush(slot);
    else this.ws.cork(slot.flush);
  }

  /**
   * Stopped reading: more bytes unsent than the limit, beyond the last push's burst. A gateway
   * that never reads is closed once its replies reach the limit; one that reads is never closed
   * for a burst of re-placements (a crash of a big server) it is still reading.
   */
  isSlow(): boolean {
    const buffered = this.ws.getBufferedAmount();
    const limit = this.endpoint.limits.backpressureBytes;
    if (buffered <= limit) {
      this.pushBacklog = 0;
      return false;
    }
    return buffered > limit + this.pushBacklog;
  }

  flush(slot: BatchSlot): void {
    if (this.closed) return;
    const ep = this.endpoint;
    if (this.isSlow()) {
      ep.closeSlow(this);
      return;
    }
    const rb = slot.requests;
    const frame = ep.encoder.encode(rb.seq, rb.count, rb.players, slot.server, slot.position, slot.status);
    this.ws.send(frame, true, false);
    const stats = ep.stats;
    stats.batches++;
    stats.requests += rb.count;
    stats.batchLatency.recordMs(performance.now() - slot.receivedAt);
    this.give(slot);
  }
}

export class GatewayEndpoint {
  readonly connections = new Set<GatewayConnection>();
  /** Shared by every connection: encode and send happen back to back on this thread. */
  readonly encoder = new ResultEncoder(1024);
  /** The socket whose callback is running (its sends are already corked), or undefined. */
  corked: WebSocket<GatewayUserData> | undefined = undefined;
  /** Only to read the seq of a batch refused for too many in flight; allocated on first use. */
  private overflow: RequestBuffer | undefined;
  private nextId = 1;
  /** Most a gateway may have unsent once a push is queued: room left under uWebSockets.js's ceiling for the replies isSlow still lets through. */
  private readonly pushCeiling: number;

  constructor(
    private readonly engine: Engine,
    readonly limits: GatewayLimits,
    readonly stats: NetStats,
    private readonly log: Logger,
  ) {
    this.pushCeiling = UWS_MAX_BACKPRESSURE - limits.backpressureBytes - (limits.maxBatch * RESULT_SIZE + FRAME_OVERHEAD);
  }

  behavior(uws: UwsModule): WebSocketBehavior<GatewayUserData> {
    const l = this.limits;
    return {
      compression: uws.DISABLED,
      maxPayloadLength: gatewayMaxPayload(l.maxBatch),
      maxBackpressure: UWS_MAX_BACKPRESSURE,
      idleTimeout: l.idleTimeoutSec,
      sendPingsAutomatically: true,
      open: (ws) => this.open(ws),
      message: (ws, message, isBinary) => this.message(ws, message, isBinary),
      close: (ws, code) => this.close(ws, code),
    };
  }

  private open(ws: WebSocket<GatewayUserData>): void {
    const conn = new GatewayConnection(this, ws, this.nextId++);
    ws.getUserData().conn = conn;
    this.connections.add(conn);
    this.stats.gatewaysOpen++;
    this.log.info({ gateway: conn.id, remote: Buffer.from(ws.getRemoteAddressAsText()).toString() }, 'gateway connected');
  }

  private message(ws: WebSocket<GatewayUserData>, message: ArrayBuffer, isBinary: boolean): void {
    const conn = ws.getUserData().conn;
    if (conn === undefined || conn.closed) return;
    if (conn.isSlow()) {
      this.closeSlow(conn);
      return;
    }
    if (!isBinary) {
      this.refuse(conn, { code: ErrorCode.MalformedFrame, message: 'expected a binary GatewayBatch frame, got a text frame', seq: 0, internal: false });
      return;
    }
    const bytes = new Uint8Array(message);
    const slot = conn.take();
    if (slot === undefined) {
      this.refuseInFlight(conn, bytes);
      return;
    }
    const receivedAt = performance.now();
    let decoded = false;
    this.corked = ws;
    try {
      const max = this.limits.maxBatch;
      // A frame of n bytes holds at most n / REQUEST_SIZE requests: size the slot from that,
      // so the decoder can refuse batches over maxBatch without a second pass.
      slot.ensure(Math.min(max, Math.ceil(bytes.length / REQUEST_SIZE)), max);
      decodeGatewayBatch(bytes, slot.requests, Math.min(slot.capacity, max));
      decoded = true;
      slot.receivedAt = receivedAt;
      // Engines validate before touching anything: if submit throws, done() was not called.
      this.engine.submit(slot.requests, 0, slot.requests.count, slot);
    } catch (e) {
      conn.give(slot);
      this.refuse(conn, peerError(e, decoded ? slot.requests.seq : 0));
    } finally {
      this.corked = undefined;
    }
  }

  private refuseInFlight(conn: GatewayConnection, bytes: Uint8Array): void {
    const max = this.limits.maxBatch;
    this.overflow ??= new RequestBuffer(max);
    try {
      decodeGatewayBatch(bytes, this.overflow, max);
    } catch (e) {
      this.refuse(conn, peerError(e));
      return;
    }
    this.refuse(conn, {
      code: ErrorCode.TooManyInFlight,
      message: `batch seq ${this.overflow.seq} not run: ${this.limits.maxInFlight} batches already await answers on this connection (net option maxInFlightPerGateway)`,
      seq: this.overflow.seq,
      internal: false,
    });
  }

  /** Answer a frame with an ErrorReply; the connection stays open. */
  private refuse(conn: GatewayConnection, err: PeerError): void {
    this.stats.countError(err.code);
    if (err.internal) this.log.error({ gateway: conn.id, code: err.code }, 'gateway batch failed');
    else this.log.debug({ gateway: conn.id, code: err.code, seq: err.seq, reason: err.message }, 'gateway frame refused');
    if (conn.closed) return; // a closed uWebSockets.js socket throws on any access
    if (conn.isSlow()) {
      this.closeSlow(conn);
      return;
    }
    conn.ws.cork(() => conn.ws.send(errorReplyFrame(err), true, false));
  }

  /** Close a gateway that stopped reading, before its unsent replies grow any further. */
  closeSlow(conn: GatewayConnection): void {
    if (conn.closed) return;
    const buffered = conn.ws.getBufferedAmount();
    this.stats.slowConsumerCloses++;
    this.log.warn({ gateway: conn.id, buffered, limit: this.limits.backpressureBytes }, 'gateway closed: slow consumer');
    conn.ws.end(
      CloseCode.SlowConsumer,
      closeReason(ErrorCode.SlowConsumer, `${buffered} bytes unread, limit ${this.limits.backpressureBytes}`),
    );
  }

  private close(ws: WebSocket<GatewayUserData>, code: number): void {
    const conn = ws.getUserData().conn;
    if (conn === undefined || conn.closed) return;
    conn.closed = true;
    this.connections.delete(conn);
    this.stats.gatewaysOpen--;
    this.log.info({ gateway: conn.id, code, inFlight: conn.inFlight }, 'gateway disconnected');
  }

  /**
   * Push frames (re-placements) to every gateway, each connection corked once. A gateway is
   * judged slow by what it left unread before this push, not by the push itself: a crashed
   * server's players make one burst (20 bytes each, 2 MB for 100 000), and a gateway that reads
   * must not be closed, and miss the rest of it, because one burst is larger than the limit.
   * What a gateway can make zonelb hold stays bounded: the limit and one push, then the limit
   * again in replies behind it (isSlow).
   */
  broadcast(frames: readonly Uint8Array[]): void {
    let bytes = 0;
    for (const frame of frames) bytes += frame.byteLength;
    for (const conn of this.connections) {
      if (conn.closed) continue;
      const buffered = conn.ws.getBufferedAmount();
      if (buffered > this.limits.backpressureBytes || buffered + bytes > this.pushCeiling) {
        this.closeSlow(conn);
        continue;
      }
      conn.ws.cork(() => {
        for (const frame of frames) conn.ws.send(frame, true, false);
      });
      conn.pushBacklog = conn.ws.getBufferedAmount();
    }
  }

  /** Close every gateway (zonelb is shutting down). */
  closeAll(): void {
    for (const conn of [...this.connections]) {
      if (!conn.closed) conn.ws.end(CloseCode.GoingAway, 'zonelb shutting down');
    }
  }
}
