/**
 * The Prometheus exposition at GET /metrics (prom-client). Everything is read at scrape time
 * from what the engine, the front end and the event tracker already count: no metric is
 * updated per join. Names follow Prometheus conventions (base units: seconds, ratios 0..1;
 * counters end in _total); `promtool check metrics` runs on the real output in the tests.
 *
 * Cardinality: per-server series (label `server`) grow with the fleet; per-zone series only
 * exist for split and hot zones, at most `ZoneCensus.keep` of them.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { statusName } from '../core/codes.ts';
import type { EngineOptions } from '../core/options.ts';
import type { EngineStats } from '../engine/engine-stats.ts';
import type { Engine, ServerInfo } from '../engine/types.ts';
import type { NetStats } from '../net/net-stats.ts';
import type { EventTracker } from './event-tracker.ts';
import { registerHdrSummary } from './hdr-summary.ts';
import type { LatencyWindow } from './latency-window.ts';
import type { ZoneCensus } from './zone-census.ts';

export interface MetricSources {
  engine: Engine;
  engineOptions: EngineOptions;
  /** The engine's own counters (absent for an engine that does not keep them). */
  engineStats: EngineStats | undefined;
  /** The latest crash handled, when the engine reports it. */
  lastFailover: () => { ms: number } | undefined;
  net: NetStats;
  tracker: EventTracker;
  census: ZoneCensus;
  decisionLatency: LatencyWindow | undefined;
  gatewayLatency: LatencyWindow;
  /** Wall clock, ms (heartbeat ages use the engine's own clock through ServerInfo). */
  now: () => number;
  /** The engine's clock, ms: what ServerInfo.lastHeartbeat is measured on. */
  engineNow: () => number;
}

const SERVER_STATES = ['active', 'draining', 'suspect', 'dead'] as const;

/** Status names as label values: "Ok" → "ok", "NoServers" → "no_servers". */
function snake(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

export function createMetricsRegistry(s: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const reg = [registry];
  const limits = s.engineOptions.limits;
  // Every per-server gauge reads the fleet in the same scrape: list it once per scrape.
  const fleet = recent(() => s.engine.servers().filter((i) => i.state !== 'free'), 250);
  const perServer = (f: (id: string, info: ServerInfo) => void): void => {
    for (const i of fleet()) f(i.id, i);
  };

  // ------------------------------------------------------------ engine answers and latency
  const stats = s.engineStats;
  if (stats) {
    const statuses = Object.entries(statusName).map(([code, name]) => [Number(code), snake(name)] as const);
    new Counter({
      name: 'zonelb_assignments_total',
      help: 'Requests answered by the engine (joins, moves, leaves), by outcome',
      labelNames: ['status'],
      registers: reg,
      collect() {
        this.reset();
        for (const [code, name] of statuses) this.inc({ status: name }, stats.answers[code]!);
      },
    });
    const perShard = (name: string, help: string, read: (i: number) => number, counter: boolean): void => {
      const labelNames = ['shard'];
      if (counter) {
        new Counter({
          name,
          help,
          labelNames,
          registers: reg,
          collect() {
            this.reset();
            for (let i = 0; i < stats.shards; i++) this.inc({ shard: String(i) }, read(i));
          },
        });
      } else {
        new Gauge({
          name,
          help,
          labelNames,
          registers: reg,
          collect() {
            for (let i = 0; i < stats.shards; i++) this.set({ shard: String(i) }, read(i));
          },
        });
      }
    };
    perShard('zonelb_shard_batches_total', 'Batches each shard answered', (i) => stats.batches[i]!, true);
    perShard('zonelb_shard_batch_requests_total', 'Requests in the batches each shard answered (divide by batches for the mean batch size)', (i) => stats.batchRequests[i]!, true);
    perShard('zonelb_shard_busy_seconds_total', 'Time each shard had a batch outstanding (rate = utilisation)', (i) => stats.busyMs[i]! / 1000, true);
    perShard('zonelb_shard_restarts_total', 'Shard worker threads that died and were replaced', (i) => stats.restarts[i]!, true);
    perShard(
      'zonelb_shard_inflight_age_seconds',
      'Age of the batch a shard is answering now, 0 when idle (grows without bound when a shard stalls)',
      (i) => (stats.inFlightSince[i]! === 0 ? 0 : Math.max(0, performance.now() - stats.inFlightSince[i]!) / 1000),
      false,
    );
  }
  if (s.decisionLatency) {
    registerHdrSummary(registry, 'zonelb_decision_latency_seconds', 'Time for a shard to answer one batch of placement decisions (quantiles over the last minute)', s.decisionLatency, s.now);
  }
  registerHdrSummary(registry, 'zonelb_gateway_batch_latency_seconds', 'Gateway batch received to its answers handed to the socket (quantiles over the last minute)', s.gatewayLatency, s.now);

  // ------------------------------------------------------------ servers
  new Gauge({
    name: 'zonelb_server_players',
    help: 'Seats taken on each server (placed players and reconnect reservations)',
    labelNames: ['server'],
    registers: reg,
    collect() {
      this.reset();
      perServer((id, i) => this.set({ server: id }, i.players));
    },
  });
  new Gauge({
    name: 'zonelb_server_admission_limit',
    help: 'Most players each server may hold now, learned from its heartbeats',
    labelNames: ['server'],
    registers: reg,
    collect() {
      this.reset();
      perServer((id, i) => this.set({ server: id }, i.limit));
    },
  });
  new Gauge({
    name: 'zonelb_server_player_cap',
    help: 'Weighted player cap of each server (weight x playersPerServer)',
    labelNames: ['server'],
    registers: reg,
    collect() {
      this.reset();
      perServer((id, i) => this.set({ server: id }, i.cap));
    },
  });
  new Gauge({
    name: 'zonelb_server_weight',
    help: 'Relative capacity of each server',
    labelNames: ['server'],
    registers: reg,
    collect() {
      this.reset();
      perServer((id, i) => this.set({ server: id }, i.weight));
    },
  });
  new Gauge({
    name: 'zonelb_server_cpu_ratio',
    help: 'CPU use each server reported last (0..1)',
    labelNames: ['server'],
    registers: reg,
    collect() {
      this.reset();
      perServer((id, i) => this.set({ server: id }, i.cpu));
    },
  });
  new Gauge({
    name: 'zonelb_server_memory_ratio',
    help: 'Memory use each server reported last (0..1)',
    labelNames: ['server'],
    registers: reg,
    collect() {
      this.reset();
      perServer((id, i) => this.set({ server: id }, i.memory));
    },
  });
  new Gauge({
    name: 'zonelb_server_heartbeat_age_seconds',
    help: 'Time since each server last heartbeated',
    labelNames: ['server'],
    registers: reg,
    collect() {
      this.reset();
      const now = s.engineNow();
      perServer((id, i) => this.set({ server: id }, Math.max(0, now - i.lastHeartbeat) / 1000));
    },
  });
  new Gauge({
    name: 'zonelb_server_state',
    help: 'State of each server: 1 for its current state, 0 for the others',
    labelNames: ['server', 'state'],
    registers: reg,
    collect() {
      this.reset();
      perServer((id, i) => {
        for (const st of SERVER_STATES) this.set({ server: id, state: st }, i.state === st ? 1 : 0);
      });
    },
  });
  new Gauge({
    name: 'zonelb_servers',
    help: 'Registered servers by state',
    labelNames: ['state'],
    registers: reg,
    collect() {
      this.reset();
      const counts = new Map<string, number>(SERVER_STATES.map((st) => [st, 0]));
      for (const i of fleet()) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
      for (const [st, n] of counts) if ((SERVER_STATES as readonly string[]).includes(st)) this.set({ state: st }, n);
    },
  });
  new Gauge({ name: 'zonelb_cpu_threshold_ratio', help: 'CPU fraction a server must stay below to take new players', registers: reg }).set(limits.cpu);
  new Gauge({ name: 'zonelb_memory_threshold_ratio', help: 'Memory fraction a server must stay below to take new players', registers: reg }).set(limits.memory);
  new Gauge({ name: 'zonelb_players_per_server', help: 'Player cap of a weight-1 server', registers: reg }).set(limits.playersPerServer);

  // ------------------------------------------------------------ failures and queue
  new Counter({
    name: 'zonelb_failures_detected_total',
    help: 'Servers the failure detector declared dead',
    registers: reg,
    collect() {
      this.reset();
      this.inc(s.tracker.failuresDetected);
    },
  });
  new Counter({
    name: 'zonelb_player_replacements_total',
    help: 'Players moved without asking, by reason (crashed, drained, removed, admitted from the queue, lost)',
    labelNames: ['reason'],
    registers: reg,
    collect() {
      this.reset();
      for (const [reason, n] of s.tracker.replacedByReason) this.inc({ reason }, n);
    },
  });
  new Gauge({
    name: 'zonelb_last_failover_seconds',
    help: 'Time the latest crash took to re-place its players',
    registers: reg,
    collect() {
      this.set((s.lastFailover()?.ms ?? 0) / 1000);
    },
  });
  new Counter({
    name: 'zonelb_engine_events_total',
    help: 'Control-plane events by type',
    labelNames: ['type'],
    registers: reg,
    collect() {
      this.reset();
      for (const [type, n] of s.tracker.eventsByType) this.inc({ type }, n);
    },
  });
  new Gauge({
    name: 'zonelb_queue_players',
    help: 'Players waiting in line for a seat',
    registers: reg,
    collect() {
      this.set(s.engine.queued());
    },
  });
  new Gauge({
    name: 'zonelb_queue_limit',
    help: 'Most players the queue holds before joins are refused',
    registers: reg,
  }).set(s.engineOptions.queueLimit);

  // ------------------------------------------------------------ zones
  new Gauge({
    name: 'zonelb_zones',
    help: 'Zones holding players or seats (from the latest zone census)',
    registers: reg,
    collect() {
      this.set(s.census.latest.zones);
    },
  });
  new Gauge({
    name: 'zonelb_zones_split',
    help: 'Zones spread over more than one server',
    registers: reg,
    collect() {
      this.set(s.census.latest.split);
    },
  });
  new Gauge({
    name: 'zonelb_split_zone_servers',
    help: 'Servers each split zone is spread over (the most populated split zones)',
    labelNames: ['zone'],
    registers: reg,
    collect() {
      this.reset();
      for (const z of s.census.latest.splitZones) this.set({ zone: String(z.zone) }, z.servers.length);
    },
  });
  new Gauge({
    name: 'zonelb_hot_zones',
    help: 'Zones whose join rate is far above their own baseline now',
    registers: reg,
    collect() {
      this.set(s.tracker.hotZones.size);
    },
  });
  new Gauge({
    name: 'zonelb_hot_zone_join_rate',
    help: 'Join rate of each hot zone (joins per second)',
    labelNames: ['zone'],
    registers: reg,
    collect() {
      this.reset();
      for (const z of s.tracker.hotZones.values()) this.set({ zone: String(z.zone) }, z.joinRate);
    },
  });

  // ------------------------------------------------------------ autoscaler
  const scaleGauge = (name: string, help: string, read: (x: { desired: number; actual: number }) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['mode'],
      registers: reg,
      collect() {
        // No series until the autoscaler has decided something: 0 would read as "wants nothing".
        this.reset();
        const sc = s.tracker.scale;
        if (sc) this.set({ mode: sc.mode }, read(sc));
      },
    });
  };
  scaleGauge('zonelb_autoscaler_desired_capacity', 'Fleet capacity the autoscaler wants (its last decision)', (x) => x.desired);
  scaleGauge('zonelb_autoscaler_actual_capacity', 'Fleet capacity when the autoscaler last decided', (x) => x.actual);

  // ------------------------------------------------------------ front end
  const net = s.net;
  const netGauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: reg,
      collect() {
        this.set(read());
      },
    });
  };
  const netCounter = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers: reg,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  netGauge('zonelb_gateways_connected', 'Gateway WebSockets open', () => net.gatewaysOpen);
  netGauge('zonelb_server_sockets_connected', 'Game-server WebSockets open', () => net.serversOpen);
  netCounter('zonelb_gateway_batches_total', 'Gateway batches answered', () => net.batches);
  netCounter('zonelb_gateway_requests_total', 'Requests carried by answered gateway batches', () => net.requests);
  netCounter('zonelb_http_requests_total', 'HTTP requests served', () => net.httpRequests);
  netCounter('zonelb_slow_consumer_closes_total', 'Sockets closed because they did not read their replies', () => net.slowConsumerCloses);
  netCounter('zonelb_replacements_pushed_total', 'Re-placement events pushed to gateways', () => net.replacementsPushed);
  new Counter({
    name: 'zonelb_request_errors_total',
    help: 'Frames and HTTP requests refused with an error, by code',
    labelNames: ['code'],
    registers: reg,
    collect() {
      this.reset();
      for (const [code, n] of net.errors) this.inc({ code }, n);
    },
  });
  return registry;
}

/** `read()` memoised for `ms` milliseconds. */
function recent<T>(read: () => T, ms: number): () => T {
  let at = -Infinity;
  let value: T | undefined;
  return () => {
    const now = performance.now();
    if (value === undefined || now - at > ms) {
      value = read();
      at = now;
    }
    return value;
  };
}
