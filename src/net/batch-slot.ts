import { RequestBuffer } from '../wire/codec.ts';
import type { ResultSink } from '../engine/types.ts';

/** Who gets told when a slot's batch has all its answers. */
export interface SlotOwner {
  /** The engine has answered every request of the slot (the slot's done()). */
  answered(slot: BatchSlot): void;
  /** Send the slot's answers; called inside ws.cork() when answered outside a socket callback. */
  flush(slot: BatchSlot): void;
}

/**
 * One gateway batch in flight: the decoded requests and the engine's answers, in typed arrays
 * that are reused batch after batch. A gateway connection keeps a small pool of these, so a
 * batch costs no allocation per request; the engine writes into the slot (it is the ResultSink)
 * and calls done() once, synchronously (one shard) or later (worker shards).
 *
 * The requests are decoded into the slot, not into a buffer shared by the connection, so the
 * request arrays stay untouched until the answers are in, whether or not the engine copies them.
 */
export class BatchSlot implements ResultSink {
  requests: RequestBuffer;
  status: Uint8Array;
  server: Int32Array;
  position: Uint32Array;
  /** performance.now() when the frame arrived. */
  receivedAt = 0;
  /** Taken from its pool (a batch is in it); guards against returning it twice. */
  busy = false;
  readonly owner: SlotOwner;
  /** owner.flush(this), pre-bound so that handing it to ws.cork() allocates nothing per batch. */
  readonly flush: () => void;

  constructor(owner: SlotOwner, capacity: number) {
    this.owner = owner;
    this.requests = new RequestBuffer(capacity);
    this.status = new Uint8Array(capacity);
    this.server = new Int32Array(capacity);
    this.position = new Uint32Array(capacity);
    this.flush = () => owner.flush(this);
  }

  get capacity(): number {
    return this.requests.capacity;
  }

  /**
   * Make room for `n` requests (never more than `max`). Grows to the next power of two, so a
   * gateway that sends 1000-request batches pays for the growth once.
   */
  ensure(n: number, max: number): void {
    if (n <= this.requests.capacity) return;
    let cap = this.requests.capacity || 1;
    while (cap < n) cap *= 2;
    cap = Math.min(cap, max);
    this.requests = new RequestBuffer(cap);
    this.status = new Uint8Array(cap);
    this.server = new Int32Array(cap);
    this.position = new Uint32Array(cap);
  }

  done(): void {
    this.owner.answered(this);
  }
}
