import type { Registry } from 'prom-client';
import type { LatencyWindow } from './latency-window.ts';
import { rawMetric, type RawSample } from './metric-helpers.ts';

const QUANTILES = [
  ['0.5', 'p50Ms'],
  ['0.9', 'p90Ms'],
  ['0.99', 'p99Ms'],
  ['0.999', 'p999Ms'],
] as const;

/**
 * A Prometheus summary whose quantiles come from an HdrHistogram window rather than from
 * prom-client's own Summary (which would need every value observed a second time, on the
 * path that answers requests). Quantiles cover the recent window; `_sum` and `_count` are
 * cumulative, as the summary type requires.
 */
export function registerHdrSummary(registry: Registry, name: string, help: string, window: LatencyWindow, clock: () => number): void {
  rawMetric(registry, name, help, 'summary', () => {
    const q = window.quantiles(clock());
    const values: RawSample[] = QUANTILES.map(([quantile, key]) => ({ labels: { quantile }, value: q[key] / 1000 }));
    values.push({ metricName: `${name}_sum`, labels: {}, value: q.totalSumMs / 1000 });
    values.push({ metricName: `${name}_count`, labels: {}, value: q.totalCount });
    return values;
  });
}
