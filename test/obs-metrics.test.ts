/**
 * GET /metrics of a running service: every figure issue 6 asks for is there and agrees with
 * the engine (servers, states, thresholds, answers by status, latency quantiles, shards,
 * split and hot zones, failures, re-placements, queue, autoscaler, event-loop lag), and
 * Debian's `promtool check metrics` accepts the real output.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Reason, Status } from '../src/core/codes.ts';
import { ErrorCode } from '../src/core/errors.ts';
import type { EngineBase } from '../src/engine/engine-base.ts';
import type { Engine, Placement } from '../src/engine/types.ts';
import { observability } from '../src/obs/observability.ts';
import { ScaleController } from '../src/scale/scale-controller.ts';
import { resolveScaleOptions } from '../src/scale/scale-options.ts';
import { promtoolOrSkip, runPromtool, scrape, startObserved, until, type ObservedServer } from './fixtures/obs-harness.ts';

/** No cold-start ramp: a server with room under its thresholds takes up to its cap at once. */
const ENGINE = { suspectAfterMs: 100, deadAfterMs: 200, reconnectMs: 0, limits: { playersPerServer: 10 }, admission: { coldStart: 1 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let running: ObservedServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function joins(engine: Engine, from: number, count: number, zone: number): Promise<Placement[]> {
  const out: Placement[] = [];
  for (let i = 0; i < count; i++) out.push(await engine.join(from + i, zone));
  return out;
}

describe('GET /metrics', () => {
  it('exports the fleet, answers, latency, shards, zones, failures and queue as the engine sees them', async () => {
    running = await startObserved({ engine: ENGINE, obs: { censusMs: 100 }, runtime: { autoTick: false } });
    const { engine, http } = running;
    engine.registerServer({ id: 'gs-a', weight: 1 });
    engine.registerServer({ id: 'gs-b', weight: 2 });
    engine.registerServer({ id: 'gs-c', weight: 1 });
    engine.heartbeat('gs-a', { cpu: 0.85, memory: 0.3, players: 0 }); // over the CPU threshold: takes nobody
    engine.heartbeat('gs-b', { cpu: 0.2, memory: 0.4, players: 0 });
    engine.heartbeat('gs-c', { cpu: 0.1, memory: 0.1, players: 0 });
    // 25 players into zone 3 (more than one server holds), then 10 into zone 4: 5 find no seat.
    const placed = [...(await joins(engine, 1, 25, 3)), ...(await joins(engine, 100, 10, 4))];
    const byStatus = (s: number) => placed.filter((p) => p.status === s).length;
    expect(byStatus(Status.Ok)).toBe(30);
    expect(byStatus(Status.Queued)).toBe(5);

    // gs-c reports players zonelb did not seat (as after a restart of zonelb).
    engine.heartbeat('gs-c', { cpu: 0.1, memory: 0.1, players: 41 });
    // A census taken between the two sets of joins sees zone 3 split and zone 4 empty: wait for one after both.
    await until(async () => {
      const c = await scrape(http);
      return c.value('zonelb_zones_split') >= 1 && c.value('zonelb_zones') >= 2;
    }, 'the zone census to see both zones, one split');
    const m = await scrape(http);
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);

    for (const s of engine.servers().filter((x) => x.state !== 'free')) {
      const server = { server: s.id };
      expect(m.value('zonelb_server_players', server)).toBe(s.players);
      expect(m.value('zonelb_server_reported_players', server)).toBe(s.reportedPlayers);
      expect(m.value('zonelb_server_held_seats', server)).toBe(s.heldSeats);
      expect(m.value('zonelb_server_admission_limit', server)).toBe(s.limit);
      expect(m.value('zonelb_server_player_cap', server)).toBe(s.cap);
      expect(m.value('zonelb_server_weight', server)).toBe(s.weight);
      expect(m.value('zonelb_server_cpu_ratio', server)).toBe(s.cpu);
      expect(m.value('zonelb_server_memory_ratio', server)).toBe(s.memory);
      expect(m.value('zonelb_server_heartbeat_age_seconds', server)).toBeGreaterThanOrEqual(0);
      // One series per server, for its current state.
      expect(m.all('zonelb_server_state').filter((x) => x.labels.server === s.id)).toEqual([{ name: 'zonelb_server_state', labels: { server: s.id, state: s.state }, value: 1 }]);
    }
    expect(m.value('zonelb_server_cpu_ratio', { server: 'gs-a' })).toBeGreaterThan(m.value('zonelb_cpu_threshold_ratio'));
    expect(m.value('zonelb_server_admission_limit', { server: 'gs-a' })).toBe(0);
    expect(m.value('zonelb_server_reported_players', { server: 'gs-c' })).toBe(41);
    expect(m.value('zonelb_memory_threshold_ratio')).toBe(0.9);
    expect(m.value('zonelb_player_cap_per_weight')).toBe(10);
    expect(m.value('zonelb_servers', { state: 'active' })).toBe(3);

    expect(m.value('zonelb_assignments_total', { status: 'ok' })).toBe(30);
    expect(m.value('zonelb_assignments_total', { status: 'queued' })).toBe(5);
    expect(m.value('zonelb_assignments_total', { status: 'full' })).toBe(0);
    expect(m.value('zonelb_queue_players')).toBe(5);
    expect(m.value('zonelb_queue_limit')).toBe(engine.options.queueLimit);

    // Shards: every answer went through a batch of some shard, and the latency summary counts those batches.
    const stats = (engine as EngineBase).stats;
    let batches = 0;
    let requests = 0;
    for (let i = 0; i < stats.shards; i++) {
      batches += m.value('zonelb_shard_batches_total', { shard: String(i) });
      requests += m.value('zonelb_shard_batch_requests_total', { shard: String(i) });
      expect(m.value('zonelb_shard_busy_seconds_total', { shard: String(i) })).toBeGreaterThanOrEqual(0);
      expect(m.value('zonelb_shard_restarts_total', { shard: String(i) })).toBe(0);
      expect(m.value('zonelb_shard_inflight_batch_age_seconds', { shard: String(i) })).toBe(0);
    }
    expect(requests).toBe(35);
    expect(batches).toBe(stats.batchLatency.totalCount);
    expect(m.types.get('zonelb_decision_latency_seconds')).toBe('summary');
    expect(m.value('zonelb_decision_latency_seconds_count')).toBe(batches);
    const q = ['0.5', '0.9', '0.99', '0.999'].map((quantile) => m.value('zonelb_decision_latency_seconds', { quantile }));
    expect(q[0]!).toBeGreaterThan(0);
    for (let i = 1; i < q.length; i++) expect(q[i]!).toBeGreaterThanOrEqual(q[i - 1]!);
    expect(m.types.get('zonelb_gateway_batch_latency_seconds')).toBe('summary');

    // Zones: the census agrees with the engine's own listing.
    const zones = await engine.zones();
    const zone3 = zones.find((z) => z.zone === 3)!;
    expect(zone3.servers.length).toBeGreaterThan(1);
    expect(m.value('zonelb_zones')).toBe(zones.filter((z) => z.population > 0).length);
    expect(m.value('zonelb_zone_players')).toBe(zones.reduce((a, z) => a + z.population, 0));
    expect(m.value('zonelb_zones_split')).toBe(zones.filter((z) => z.servers.length > 1).length);
    expect(m.value('zonelb_split_zone_servers', { zone: '3' })).toBe(zone3.servers.length);
    expect(m.value('zonelb_split_zone_players', { zone: '3' })).toBe(zone3.population);
    expect(m.value('zonelb_zones_by_servers', { servers: String(zone3.servers.length) })).toBeGreaterThanOrEqual(1);
    expect(m.value('zonelb_hot_zones')).toBe(0);
    // No autoscaler connected and no scale decision seen: no series rather than a misleading 0.
    expect(m.all('zonelb_autoscaler_desired_capacity')).toEqual([]);

    // Event-loop lag and process figures come with prom-client's defaults.
    expect(m.value('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);

    // gs-c crashes: it stops heartbeating; the others go on.
    const onC = engine.server('gs-c').players;
    expect(onC).toBeGreaterThan(0);
    await sleep(250);
    engine.heartbeat('gs-a', { cpu: 0.85, memory: 0.3, players: 0 });
    engine.heartbeat('gs-b', { cpu: 0.2, memory: 0.4, players: engine.server('gs-b').players });
    const events = await engine.tick();
    expect(events.length).toBe(onC);
    const after = await scrape(http);
    expect(after.value('zonelb_failures_detected_total')).toBe(1);
    const crashed = events.filter((e) => e.reason === Reason.Crashed).length;
    const lost = events.filter((e) => e.reason === Reason.Lost).length;
    expect(after.value('zonelb_players_replaced_total', { reason: 'crashed' })).toBe(crashed);
    expect(after.value('zonelb_players_replaced_total', { reason: 'lost' })).toBe(lost);
    expect(after.value('zonelb_engine_events_total', { type: 'server-dead' })).toBe(1);
    expect(after.value('zonelb_last_failover_duration_seconds')).toBeGreaterThan(0);
    expect(after.all('zonelb_server_players').map((s) => s.labels.server).sort()).toEqual(['gs-a', 'gs-b']);
    expect(after.value('zonelb_servers', { state: 'active' })).toBe(2);
  });

  it('counts split zones from shared memory alone when the world is too big to walk', async () => {
    running = await startObserved({ engine: ENGINE, obs: { censusMs: 100, zoneWalkMaxZones: 0 }, runtime: { autoTick: false } });
    const { engine, http } = running;
    for (const id of ['gs-a', 'gs-b', 'gs-c']) engine.registerServer({ id });
    await joins(engine, 1, 25, 3); // 10 per server: zone 3 goes over three servers
    await joins(engine, 100, 4, 8);
    const zones = await engine.zones();
    const m = await until(async () => {
      const x = await scrape(http);
      return x.value('zonelb_zone_players') === 29 && x;
    }, 'a census sample after the joins');
    expect(m.value('zonelb_zones')).toBe(2);
    expect(m.value('zonelb_zones_split')).toBe(1);
    expect(m.value('zonelb_split_zone_servers', { zone: '3' })).toBe(zones.find((z) => z.zone === 3)!.servers.length);
    expect(m.value('zonelb_zones_by_servers', { servers: '3' })).toBe(1);
    expect(m.value('zonelb_zones_by_servers', { servers: '1' })).toBe(1);
  });

  it('exports the autoscaler and the hot zones from a connected ScaleController', async () => {
    // The controller needs the running engine: the extension reads it through a late-bound holder.
    const scale: { controller?: ScaleController } = {};
    running = await startObserved({ engine: ENGINE, obs: { scaleStatus: () => scale.controller?.status() }, runtime: { autoTick: false } });
    const { engine, http } = running;
    for (const id of ['gs-1', 'gs-2', 'gs-3', 'gs-4']) engine.registerServer({ id });
    let scaleEvents = 0;
    engine.onEvent((e) => {
      if (e.type === 'scale') scaleEvents++;
    });
    const before = await scrape(http);
    expect(before.all('zonelb_autoscaler_mode')).toEqual([]);

    const controller = new ScaleController({
      engine,
      engineOptions: engine.options,
      options: resolveScaleOptions({
        mode: 'reactive',
        provider: 'agones',
        min: 4,
        max: 12,
        intervalMs: 1000,
        hotZones: { warmupMs: 0, sampleMs: 1000, baselineMs: 10_000, k: 2, exitK: 1, minRate: 1, minPopulation: 1, confirmSamples: 1 },
      }),
    });
    // The controller runs on its own (here virtual) clock: a sample at 0, 30 joins into zone 9, a sample at 1 s.
    scale.controller = controller;
    await controller.step(0);
    await joins(engine, 1, 30, 9);
    await controller.step(1000);
    const status = controller.status();
    expect(status.hotZones.map((h) => h.zone)).toEqual([9]);
    expect(status.autoscale).toMatchObject({ mode: 'reactive' });

    const m = await scrape(http);
    const a = status.autoscale as Exclude<typeof status.autoscale, { mode: 'off' } | undefined>;
    expect(m.value('zonelb_autoscaler_mode', { mode: 'reactive' })).toBe(1);
    expect(m.value('zonelb_autoscaler_mode', { mode: 'predictive' })).toBe(0);
    expect(m.value('zonelb_autoscaler_desired_capacity')).toBe(a.desired);
    expect(m.value('zonelb_autoscaler_actual_capacity')).toBe(a.actual);
    expect(m.value('zonelb_autoscaler_pending_capacity')).toBe(a.pending);
    expect(m.value('zonelb_autoscaler_draining_capacity')).toBe(a.draining);
    expect(m.value('zonelb_autoscaler_demand_seats')).toBe(a.demand);
    expect(m.value('zonelb_autoscaler_utilisation_ratio')).toBeCloseTo(a.utilisation, 9);
    expect(m.value('zonelb_autoscaler_failing')).toBe(0);
    expect(m.value('zonelb_hot_zones')).toBe(1);
    const hot = status.hotZones[0]!;
    expect(m.value('zonelb_hot_zone_join_rate', { zone: '9' })).toBeCloseTo(hot.joinRate, 6);
    expect(m.value('zonelb_hot_zone_baseline_join_rate', { zone: '9' })).toBeCloseTo(hot.baseline, 6);
    expect(m.value('zonelb_hot_zone_plan_servers', { zone: '9' })).toBe(hot.plan.servers);
    expect(m.value('zonelb_hot_zone_reserved_seats', { zone: '9' })).toBe(hot.plan.reserve);
    expect(m.value('zonelb_engine_events_total', { type: 'hot-zone' })).toBe(1);
    expect(scaleEvents).toBeGreaterThan(0);
    expect(m.value('zonelb_engine_events_total', { type: 'scale' })).toBe(scaleEvents);
    await controller.close(2000);
  });

  it('falls back on the scale and hot-zone engine events when no controller is connected', async () => {
    running = await startObserved({ engine: ENGINE, runtime: { autoTick: false } });
    const { engine, http } = running;
    engine.emitEvent({ type: 'scale', at: 1, desired: 7, actual: 4, mode: 'predictive', reason: 'forecast peak' });
    engine.emitEvent({ type: 'hot-zone', at: 1, zone: 12, hot: true, joinRate: 40, baseline: 3 });
    engine.emitEvent({ type: 'hot-zone', at: 1, zone: 13, hot: true, joinRate: 20, baseline: 2 });
    engine.emitEvent({ type: 'hot-zone', at: 2, zone: 13, hot: false, joinRate: 2, baseline: 2 });
    const m = await scrape(http);
    expect(m.value('zonelb_autoscaler_desired_capacity')).toBe(7);
    expect(m.value('zonelb_autoscaler_actual_capacity')).toBe(4);
    expect(m.value('zonelb_autoscaler_mode', { mode: 'predictive' })).toBe(1);
    expect(m.all('zonelb_autoscaler_pending_capacity')).toEqual([]);
    expect(m.value('zonelb_hot_zones')).toBe(1);
    expect(m.value('zonelb_hot_zone_join_rate', { zone: '12' })).toBe(40);
    expect(m.all('zonelb_hot_zone_join_rate')).toHaveLength(1);
    expect(m.all('zonelb_hot_zone_plan_servers')).toEqual([]);
  });

  it('passes promtool check metrics', async (ctx) => {
    const bin = promtoolOrSkip(ctx);
    if (!bin) return;
    // The controller needs the running engine: the extension reads it through a late-bound holder.
    const scale: { controller?: ScaleController } = {};
    running = await startObserved({ engine: ENGINE, obs: { scaleStatus: () => scale.controller?.status() }, runtime: { autoTick: false } });
    const { engine, http } = running;
    engine.registerServer({ id: 'gs-1', weight: 2 });
    engine.registerServer({ id: 'gs "quoted" \\ and\nnewline' });
    scale.controller = new ScaleController({ engine, engineOptions: engine.options, options: resolveScaleOptions({ mode: 'reactive', min: 3 }) });
    await scale.controller.step(0);
    await joins(engine, 1, 25, 5);
    engine.emitEvent({ type: 'hot-zone', at: 1, zone: 5, hot: true, joinRate: 40, baseline: 3 });
    await running.engine.tick();
    const m = await scrape(http);
    // Label values are escaped as the exposition format says.
    expect(m.text).toContain('server="gs \\"quoted\\" \\\\ and\\nnewline"');
    const r = runPromtool(bin, ['check', 'metrics'], m.text);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('observability options', () => {
  it('are checked once, when the extension is built, naming the field', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ frameMs: 0 }, 'observability.frameMs'],
      [{ censusMs: 1.5 }, 'observability.censusMs'],
      [{ zoneWalkDuty: 0 }, 'observability.zoneWalkDuty'],
      [{ maxServerRows: 0 }, 'observability.maxServerRows'],
      [{ scaleStatus: 'controller' }, 'observability.scaleStatus'],
      [{ colour: 'blue' }, 'observability'],
    ];
    for (const [input, field] of bad) {
      let thrown: unknown;
      try {
        observability(input as never);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, JSON.stringify(input)).toMatchObject({ code: ErrorCode.InvalidOption, field });
    }
    expect(() => observability({ frameMs: 250, scaleStatus: () => undefined })).not.toThrow();
  });
});
