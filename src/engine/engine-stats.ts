import { build, type Histogram } from 'hdr-histogram-js';

/** Answers are counted by status code; codes are small integers (src/core/codes.ts). */
const STATUS_SLOTS = 16;

/**
 * What the engine itself counts, for the metrics exporter and the dashboard: answers by status,
 * and per shard the batches it answered, their sizes, the time it spent on them and whether
 * one is outstanding right now (a stalled shard shows as an ever older in-flight batch).
 *
 * Cheap by construction: one typed-array increment per answer, everything else once per batch.
 * Times are wall-clock milliseconds (performance.now()), even under a virtual engine clock:
 * they measure the machine, not the simulated world.
 */
export class EngineStats {
  /** Answers by status code (index = Status). */
  readonly answers = new Float64Array(STATUS_SLOTS);
  /** Per shard: batches answered, requests they carried, milliseconds spent on them. */
  readonly batches: Float64Array;
  readonly batchRequests: Float64Array;
  readonly busyMs: Float64Array;
  /** Per shard: when its outstanding batch was handed over (ms), or 0 when it is idle. */
  readonly inFlightSince: Float64Array;
  /** Per shard: worker threads that died and were replaced. */
  readonly restarts: Float64Array;
  /** Time from handing a batch to a shard to having its answers, in microseconds. */
  readonly batchLatency: Histogram;
  private readonly inFlightSize: Float64Array;

  constructor(readonly shards: number) {
    this.batches = new Float64Array(shards);
    this.batchRequests = new Float64Array(shards);
    this.busyMs = new Float64Array(shards);
    this.inFlightSince = new Float64Array(shards);
    this.restarts = new Float64Array(shards);
    this.inFlightSize = new Float64Array(shards);
    this.batchLatency = build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  }

  /** A batch of `size` requests was handed to `shard` at `nowMs`. */
  sent(shard: number, size: number, nowMs: number): void {
    this.inFlightSince[shard] = nowMs;
    this.inFlightSize[shard] = size;
  }

  /** The outstanding batch of `shard` is answered. */
  answered(shard: number, nowMs: number): void {
    const since = this.inFlightSince[shard]!;
    if (since === 0) return;
    const ms = nowMs - since;
    this.batches[shard]!++;
    this.batchRequests[shard]! += this.inFlightSize[shard]!;
    this.busyMs[shard]! += ms;
    this.inFlightSince[shard] = 0;
    const us = ms <= 0 ? 1 : ms >= 60_000 ? 60_000_000 : Math.round(ms * 1000) || 1;
    this.batchLatency.recordValue(us);
  }

  restarted(shard: number): void {
    this.restarts[shard]!++;
  }
}
