import type { Registry } from 'prom-client';
import type { EngineOptions } from '../core/options.ts';
import type { Engine } from '../engine/types.ts';
import type { EventTracker } from './event-tracker.ts';
import type { FleetSnapshot } from './fleet-snapshot.ts';
import { constantGauge, counterOf, gaugeOf, labelledCounter, labelledGauge } from './metric-helpers.ts';
import { SERVER_STATES } from './server-exposition.ts';

export interface FleetSources {
  engine: Engine;
  engineOptions: EngineOptions;
  fleet: FleetSnapshot;
  tracker: EventTracker;
  /** The latest crash handled, when the engine reports it. */
  lastFailover: () => { ms: number } | undefined;
}

/**
 * The fleet by state, the thresholds servers are held to, failures and re-placements, and the
 * queue. The per-server families are written by ServerExposition.
 */
export function registerFleetMetrics(registry: Registry, s: FleetSources): void {
  labelledGauge(registry, 'zonelb_servers', 'Registered servers by state', ['state'], (set) => {
    const counts = new Map<string, number>(SERVER_STATES.map((st) => [st, 0]));
    for (const i of s.fleet.servers()) if (counts.has(i.state)) counts.set(i.state, counts.get(i.state)! + 1);
    for (const [state, n] of counts) set({ state }, n);
  });
  const limits = s.engineOptions.limits;
  constantGauge(registry, 'zonelb_cpu_threshold_ratio', 'CPU use a server must stay below to take new players', limits.cpu);
  constantGauge(registry, 'zonelb_memory_threshold_ratio', 'Memory use a server must stay below to take new players', limits.memory);
  constantGauge(registry, 'zonelb_player_cap_per_weight', 'Player cap of a weight-1 server (playersPerServer)', limits.playersPerServer);

  counterOf(registry, 'zonelb_failures_detected_total', 'Servers the failure detector declared dead', () => s.tracker.failuresDetected);
  labelledCounter(
    registry,
    'zonelb_players_replaced_total',
    'Players moved to another server without asking, by reason: crashed, drained, removed; admitted from the queue; lost (no room anywhere)',
    ['reason'],
    (set) => {
      for (const [reason, n] of s.tracker.replacedByReason) set({ reason }, n);
    },
  );
  gaugeOf(registry, 'zonelb_last_failover_duration_seconds', 'Time the latest crash took to re-place its players', () => {
    const f = s.lastFailover();
    return f === undefined ? undefined : f.ms / 1000;
  });
  labelledCounter(registry, 'zonelb_engine_events_total', 'Control-plane events by type (server-registered, server-dead, zone-split, hot-zone, scale, ...)', ['type'], (set) => {
    for (const [type, n] of s.tracker.eventsByType) set({ type }, n);
  });
  gaugeOf(registry, 'zonelb_queue_players', 'Players waiting in line for a seat', () => s.engine.queued());
  constantGauge(registry, 'zonelb_queue_limit', 'Most players the queue holds before joins are refused', s.engineOptions.queueLimit);
}
