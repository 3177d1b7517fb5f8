import fc from 'fast-check';
import { build, type Histogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { LatencyWindow } from '../src/obs/latency-window.ts';

/** The layout of the recorders the window reads (src/net/latency.ts). */
function recorder(): Histogram {
  return build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

/** What HdrHistogram itself says of `values` alone, the way the window reports it. */
function expected(values: readonly number[]): { count: number; p50Ms: number; p90Ms: number; p99Ms: number; p999Ms: number; maxMs: number } {
  const h = recorder();
  for (const v of values) h.recordValue(v);
  if (values.length === 0) return { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  const max = h.getValueAtPercentile(100);
  const ms = (us: number): number => Math.round(Math.min(us, max)) / 1000;
  return { count: values.length, p50Ms: ms(h.getValueAtPercentile(50)), p90Ms: ms(h.getValueAtPercentile(90)), p99Ms: ms(h.getValueAtPercentile(99)), p999Ms: ms(h.getValueAtPercentile(99.9)), maxMs: ms(max) };
}

const latency = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 60_000_000 }));

describe('LatencyWindow', () => {
  it('reports the percentiles of only what was recorded since the copy the window starts from', () => {
    fc.assert(
      fc.property(fc.array(latency, { maxLength: 300 }), fc.array(latency, { maxLength: 300 }), (before, inside) => {
        const src = recorder();
        const w = new LatencyWindow(src, 1000, 4);
        for (const v of before) src.recordValue(v);
        w.update(0);
        for (const v of inside) src.recordValue(v);
        const q = w.quantiles(1500, 1000);
        const { count, p50Ms, p90Ms, p99Ms, p999Ms, maxMs } = q;
        expect({ count, p50Ms, p90Ms, p99Ms, p999Ms, maxMs }).toEqual(expected(inside));
        expect(q.totalCount).toBe(before.length + inside.length);
        // _sum: every value at the middle of its bucket, as HdrHistogram's mean takes it.
        const all = before.length + inside.length;
        expect(q.totalSumMs).toBeCloseTo(all === 0 ? 0 : (src.mean * all) / 1000, 6);
      }),
      { numRuns: 60 },
    );
  });

  it('starts from the newest copy old enough, and from the oldest while none is', () => {
    const src = recorder();
    const w = new LatencyWindow(src, 1000, 3);
    src.recordValue(10);
    w.update(0);
    src.recordValue(20);
    w.update(1000);
    src.recordValue(30);
    w.update(2000);
    src.recordValue(40);
    // At 2500 a 1 s window starts at the copy taken at 1000 (30 and 40 since); 1.6 s has no
    // copy that old but the one at 0 (20, 30 and 40 since).
    expect(w.quantiles(2500, 1000)).toMatchObject({ count: 2, p50Ms: 0.03, maxMs: 0.04 });
    expect(w.quantiles(2500, 1600)).toMatchObject({ count: 3, p50Ms: 0.03, maxMs: 0.04 });
    // Only three copies are kept: at 3000 the copy at 0 makes room for a new one.
    w.update(3000);
    expect(w.quantiles(3000, 10_000)).toMatchObject({ count: 2, totalCount: 4 });
  });

  it('says nothing of an empty window', () => {
    const src = recorder();
    const w = new LatencyWindow(src, 1000, 2);
    src.recordValue(500);
    w.update(0);
    expect(w.quantiles(5000, 1000)).toMatchObject({ count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, totalCount: 1 });
  });

  it('refuses a histogram it cannot read bucket by bucket', () => {
    expect(() => new LatencyWindow({} as Histogram)).toThrow(/JavaScript HdrHistogram/);
  });
});
