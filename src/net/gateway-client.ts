/**
 * A gateway's side of the zonelb WebSocket, for Node gateways, the demo and the tests: send
 * batches, get their answers by seq, receive pushed re-placements. (The load generator in
 * bench/ drives WsClient directly to keep its own loop lean.)
 */
import {
  MessageType,
  ResultBuffer,
  GatewayBatchEncoder,
  decodeEnvelope,
  decodeErrorReply,
  decodeReplacementBatch,
  decodeResultBatch,
  type ReplacementEvents,
} from '../wire/codec.ts';
import { WsClient, type WsClientOptions } from './ws-client.ts';

/** The answers of one batch (copies: safe to keep). */
export interface BatchAnswer {
  seq: number;
  count: number;
  players: Uint32Array;
  /** Server handles; -1 when none. */
  servers: Int32Array;
  positions: Uint32Array;
  statuses: Uint8Array;
}

/** zonelb refused a batch (ErrorReply), or the connection closed before it was answered. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: string,
    message: string,
    readonly seq: number,
  ) {
    super(message);
  }
}

interface Waiter {
  resolve: (a: BatchAnswer) => void;
  reject: (e: GatewayError) => void;
}

export class GatewayClient {
  private readonly ws: WsClient;
  private readonly encoder = new GatewayBatchEncoder(256);
  private results = new ResultBuffer(256);
  private readonly waiting = new Map<number, Waiter>();
  private readonly listeners = new Set<(events: ReplacementEvents) => void>();
  private readonly errorListeners = new Set<(err: GatewayError) => void>();
  private nextSeq = 1;
  /** Resolves with the close code and reason once the connection is gone. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WsClient) {
    this.ws = ws;
    ws.onMessage = (data) => this.receive(data);
    this.closed = new Promise((resolve) => {
      ws.onClose = (code, reason) => {
        const err = new GatewayError('ZLB_ERR_CONNECTION_CLOSED', `connection closed (${code}${reason ? `: ${reason}` : ''}) before the answer`, 0);
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
        resolve({ code, reason });
      };
    });
  }

  /** Connects to a gateway endpoint, e.g. ws://127.0.0.1:7700/v1/gateway. */
  static async connect(url: string, options?: WsClientOptions): Promise<GatewayClient> {
    return new GatewayClient(await WsClient.connect(url, options));
  }

  /** Sends requests [0, count) as one batch; resolves with its answers. */
  send(ops: Uint8Array, players: Uint32Array, zones: Uint32Array, count = ops.length): Promise<BatchAnswer> {
    const seq = this.nextSeq;
    this.nextSeq = this.nextSeq >= 0xffffffff ? 1 : this.nextSeq + 1;
    return this.sendFrame(seq, this.encoder.encode(seq, count, ops, players, zones));
  }

  /** Sends a frame as is (tests use it for malformed input); `seq` is what its answer will carry. */
  sendFrame(seq: number, frame: Uint8Array): Promise<BatchAnswer> {
    return new Promise((resolve, reject) => {
      if (this.ws.closed) {
        reject(new GatewayError('ZLB_ERR_CONNECTION_CLOSED', 'connection is closed', seq));
        return;
      }
      this.waiting.set(seq, { resolve, reject });
      this.ws.send(frame);
    });
  }

  /** Pushed re-placements (crashed, drained or removed servers; queue admissions). */
  onReplacement(listener: (events: ReplacementEvents) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** ErrorReplies that answer no pending batch (seq 0: the frame could not even be read). */
  onError(listener: (err: GatewayError) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** The underlying socket (pause/resume, raw sends). */
  get socket(): WsClient {
    return this.ws;
  }

  async close(): Promise<{ code: number; reason: string }> {
    await this.ws.close();
    return this.closed;
  }

  private receive(data: Uint8Array): void {
    let type: number;
    try {
      type = decodeEnvelope(data);
    } catch (e) {
      this.emitError(new GatewayError('ZLB_ERR_MALFORMED_FRAME', `unreadable frame from zonelb: ${(e as Error).message}`, 0));
      return;
    }
    if (type === MessageType.ResultBatch) {
      const r = this.resultsFor(data);
      decodeResultBatch(data, r);
      const w = this.waiting.get(r.seq);
      if (w === undefined) return;
      this.waiting.delete(r.seq);
      w.resolve({
        seq: r.seq,
        count: r.count,
        players: r.players.slice(0, r.count),
        servers: r.servers.slice(0, r.count),
        positions: r.positions.slice(0, r.count),
        statuses: r.statuses.slice(0, r.count),
      });
    } else if (type === MessageType.ReplacementBatch) {
      const events = decodeReplacementBatch(data);
      for (const l of this.listeners) l(events);
    } else if (type === MessageType.ErrorReply) {
      const e = decodeErrorReply(data);
      const err = new GatewayError(e.code, e.message, e.seq);
      const w = this.waiting.get(e.seq);
      if (w === undefined) {
        this.emitError(err);
        return;
      }
      this.waiting.delete(e.seq);
      w.reject(err);
    }
  }

  private emitError(err: GatewayError): void {
    for (const l of this.errorListeners) l(err);
  }

  /** A result buffer large enough for this frame (grows; results are 16 bytes each). */
  private resultsFor(frame: Uint8Array): ResultBuffer {
    const need = Math.ceil(frame.length / 16);
    if (need > this.results.capacity) this.results = new ResultBuffer(Math.max(need, this.results.capacity * 2));
    return this.results;
  }
}
