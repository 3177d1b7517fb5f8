import type { Registry } from 'prom-client';
import type { LatencyWindow } from './latency-window.ts';

const QUANTILES = [
  ['0.5', 'p50Ms'],
  ['0.9', 'p90Ms'],
  ['0.99', 'p99Ms'],
  ['0.999', 'p999Ms'],
] as const;

interface SampleValue {
  metricName?: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A Prometheus summary whose quantiles come from an HdrHistogram window rather than from
 * prom-client's own Summary (which would need every value observed a second time). Quantiles
 * cover the recent window; `_sum` and `_count` are cumulative, as the summary type requires.
 */
export function registerHdrSummary(registry: Registry, name: string, help: string, window: LatencyWindow, clock: () => number): void {
  const metric = {
    name,
    help,
    type: 'summary',
    aggregator: 'sum',
    get(): { name: string; help: string; type: string; aggregator: string; values: SampleValue[] } {
      const q = window.quantiles(clock());
      const values: SampleValue[] = QUANTILES.map(([quantile, key]) => ({ labels: { quantile }, value: q[key] / 1000 }));
      values.push({ metricName: `${name}_sum`, labels: {}, value: q.totalSumMs / 1000 });
      values.push({ metricName: `${name}_count`, labels: {}, value: q.totalCount });
      return { name, help, type: 'summary', aggregator: 'sum', values };
    },
  };
  // prom-client's typings only admit its own classes; its registry only needs name and get().
  registry.registerMetric(metric as never);
}
