import type { Registry } from 'prom-client';
import type { EngineOptions } from '../core/options.ts';
import type { Engine } from '../engine/types.ts';
import type { EventTracker } from './event-tracker.ts';
import type { FleetSnapshot } from './fleet-snapshot.ts';
import { constantGauge, counterOf, gaugeOf, labelledCounter, labelledGauge } from './metric-helpers.ts';

export const SERVER_STATES = ['active', 'draining', 'suspect', 'dead'] as const;

export interface FleetSources {
  engine: Engine;
  engineOptions: EngineOptions;
  fleet: FleetSnapshot;
  tracker: EventTracker;
  /** The latest crash handled, when the engine reports it. */
  lastFailover: () => { ms: number } | undefined;
  /** The engine's clock (ms): what ServerInfo.lastHeartbeat is measured on. */
  engineNow: () => number;
}

/**
 * The game servers (one series per server: label `server`), the thresholds they are held
 * to, failures and re-placements, and the queue.
 */
export function registerFleetMetrics(registry: Registry, s: FleetSources): void {
  const perServer = (name: string, help: string, read: (i: ReturnType<FleetSnapshot['servers']>[number]) => number): void => {
    labelledGauge(registry, name, help, ['server'], (set) => {
      for (const i of s.fleet.servers()) set({ server: i.id }, read(i));
    });
  };
  perServer('zonelb_server_players', 'Seats taken on each server: placed players and reconnect reservations', (i) => i.players);
  perServer('zonelb_server_admission_limit', 'Most players each server may hold now, learned from its heartbeats (0 while it is over a threshold)', (i) => i.limit);
  perServer('zonelb_server_player_cap', 'Player cap of each server: its weight times the cap per weight unit', (i) => i.cap);
  perServer('zonelb_server_weight', 'Relative capacity of each server', (i) => i.weight);
  perServer('zonelb_server_cpu_ratio', 'CPU use each server reported in its latest heartbeat (0 to 1)', (i) => i.cpu);
  perServer('zonelb_server_memory_ratio', 'Memory use each server reported in its latest heartbeat (0 to 1)', (i) => i.memory);
  perServer('zonelb_server_heartbeat_age_seconds', 'Time since each server last heartbeated', (i) => Math.max(0, s.engineNow() - i.lastHeartbeat) / 1000);
  labelledGauge(registry, 'zonelb_server_state', 'State of each server: 1 for its current state, 0 for the others', ['server', 'state'], (set) => {
    for (const i of s.fleet.servers()) for (const state of SERVER_STATES) set({ server: i.id, state }, i.state === state ? 1 : 0);
  });
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
