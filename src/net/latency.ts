import { build, type Histogram } from 'hdr-histogram-js';

/** Percentiles of a latency histogram, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/**
 * Message latency in microseconds, in an HdrHistogram (3 significant digits). The JavaScript
 * build, not the WebAssembly one: the engine and front end stay WebAssembly-free, and one
 * record costs about as much as one placement decision, which is why the front end records
 * once per message rather than once per request.
 */
export class LatencyRecorder {
  private readonly h: Histogram;

  constructor() {
    this.h = build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  }

  /** Record one latency given in milliseconds (e.g. a difference of performance.now()). */
  recordMs(ms: number): void {
    // Clamp into the trackable range rather than throw on a clock hiccup.
    const us = ms <= 0 ? 1 : ms >= 60_000 ? 60_000_000 : Math.round(ms * 1000) || 1;
    this.h.recordValue(us);
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** The histogram itself, read-only, for exporters that window it (src/obs/latency-window.ts). */
  get histogram(): Readonly<Histogram> {
    return this.h;
  }

  summary(): LatencySummary {
    const h = this.h;
    // Percentiles report the highest value equivalent to the bucket; never above the real max.
    const max = h.maxValue;
    const ms = (us: number): number => Math.round(Math.min(us, max)) / 1000;
    return {
      count: h.totalCount,
      p50Ms: ms(h.getValueAtPercentile(50)),
      p90Ms: ms(h.getValueAtPercentile(90)),
      p99Ms: ms(h.getValueAtPercentile(99)),
      p999Ms: ms(h.getValueAtPercentile(99.9)),
      maxMs: ms(max),
    };
  }

  reset(): void {
    this.h.reset();
  }
}
