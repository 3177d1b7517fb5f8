import type { Registry } from 'prom-client';
import { statusName } from '../core/codes.ts';
import type { EngineStats } from '../engine/engine-stats.ts';
import { registerHdrSummary } from './hdr-summary.ts';
import type { LatencyWindow } from './latency-window.ts';
import { labelledCounter, labelledGauge } from './metric-helpers.ts';

/** Status names as label values: "Ok" → "ok", "NoServers" → "no_servers". */
export function snakeCase(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * What the engine answers and how fast: answers by status, per-shard batches, their sizes and
 * busy time (counters: rate() them), a shard's outstanding batch age (a stalled shard shows as
 * an age that keeps growing), and the decision latency from the engine's HdrHistogram.
 */
export function registerEngineMetrics(registry: Registry, stats: EngineStats, decisionLatency: LatencyWindow, clock: () => number): void {
  const statuses = Object.entries(statusName).map(([code, name]) => [Number(code), snakeCase(name)] as const);
  labelledCounter(registry, 'zonelb_assignments_total', 'Requests answered by the engine (joins, moves, leaves), by outcome', ['status'], (set) => {
    for (const [code, status] of statuses) set({ status }, stats.answers[code]!);
  });
  const perShard = (read: (i: number) => number) => (set: (labels: Record<string, string>, v: number) => void) => {
    for (let i = 0; i < stats.shards; i++) set({ shard: String(i) }, read(i));
  };
  labelledCounter(registry, 'zonelb_shard_batches_total', 'Batches each shard answered', ['shard'], perShard((i) => stats.batches[i]!));
  labelledCounter(
    registry,
    'zonelb_shard_batch_requests_total',
    'Requests carried by the batches each shard answered (over zonelb_shard_batches_total: the mean batch size)',
    ['shard'],
    perShard((i) => stats.batchRequests[i]!),
  );
  labelledCounter(registry, 'zonelb_shard_busy_seconds_total', 'Time each shard had a batch outstanding (its rate is the shard utilisation)', ['shard'], perShard((i) => stats.busyMs[i]! / 1000));
  labelledCounter(registry, 'zonelb_shard_restarts_total', 'Shard worker threads that died and were replaced', ['shard'], perShard((i) => stats.restarts[i]!));
  labelledGauge(
    registry,
    'zonelb_shard_inflight_batch_age_seconds',
    'Age of the batch each shard is answering now, 0 when idle (keeps growing while a shard is stalled)',
    ['shard'],
    // EngineStats times are performance.now() milliseconds, whatever the engine's clock.
    perShard((i) => (stats.inFlightSince[i] === 0 ? 0 : Math.max(0, performance.now() - stats.inFlightSince[i]!) / 1000)),
  );
  registerHdrSummary(
    registry,
    'zonelb_decision_latency_seconds',
    'Time from handing a batch of placement decisions to a shard to having its answers, the latency each decision in it sees (quantiles over the last minute)',
    decisionLatency,
    clock,
  );
}
