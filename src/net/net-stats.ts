import { LatencyRecorder, type LatencySummary } from './latency.ts';

/** Front-end counters, read by GET /v1/stats (and later by the metrics exporter). */
export class NetStats {
  gatewaysOpen = 0;
  serversOpen = 0;
  /** Gateway batches answered with a ResultBatch, and the requests they carried. */
  batches = 0;
  requests = 0;
  /** Frames or HTTP requests refused with an error reply, by code. */
  readonly errors = new Map<string, number>();
  slowConsumerCloses = 0;
  replacementsPushed = 0;
  httpRequests = 0;
  /** Receipt of a gateway batch to its ResultBatch being handed to the socket. */
  readonly batchLatency = new LatencyRecorder();

  countError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  snapshot(): NetStatsSnapshot {
    return {
      gatewaysOpen: this.gatewaysOpen,
      serversOpen: this.serversOpen,
      batches: this.batches,
      requests: this.requests,
      errors: Object.fromEntries(this.errors),
      slowConsumerCloses: this.slowConsumerCloses,
      replacementsPushed: this.replacementsPushed,
      httpRequests: this.httpRequests,
      batchLatency: this.batchLatency.summary(),
    };
  }
}

export interface NetStatsSnapshot {
  gatewaysOpen: number;
  serversOpen: number;
  batches: number;
  requests: number;
  errors: Record<string, number>;
  slowConsumerCloses: number;
  replacementsPushed: number;
  httpRequests: number;
  batchLatency: LatencySummary;
}
