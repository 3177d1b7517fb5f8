/**
 * Dynamic scaling shown in the simulator: zonelb's autoscaler starting and stopping simulated
 * servers through the simulator's provider (with their boot delay), the predictive policy
 * against the reactive one on a daily cycle with a login rush (at the same target, and the
 * predictive one with less headroom), and the hot-zone monitor on a flash crowd.
 */
import { describe, expect, it } from 'vitest';
import { Fleet, type FleetListener } from '../src/sim/fleet.ts';
import { ArrivalForecaster } from '../src/scale/arrival-forecaster.ts';
import { runScenario } from '../src/sim/run.ts';
import type { RunSummary } from '../src/sim/run-summary.ts';
import type { StrategyName } from '../src/sim/strategies/names.ts';
import type { Scenario } from '../src/sim/scenario-schema.ts';
import { loadScenario, simScaleOptions, worldMapOf } from '../src/sim/scenario.ts';
import { SimScaleProvider } from '../src/sim/sim-scale-provider.ts';
import { Traffic } from '../src/sim/traffic.ts';
import { shrunk, tinyScenario } from './fixtures/sim-harness.ts';

const quiet: FleetListener = { up: () => undefined, draining: () => undefined, crashed: () => undefined, gone: () => undefined };

describe('the simulator as scale provider', () => {
  it('starts servers of the asked weight that count as pending until booted, and stops released ones', async () => {
    const fleet = new Fleet(tinyScenario({ fleet: { servers: 1, bootDelayS: 60 } }), quiet);
    fleet.startInitial();
    fleet.advance(0);
    const p = new SimScaleProvider(fleet, 2);
    await p.scaleOut({ at: 0, add: 3, desired: 4, actual: 1, mode: 'reactive', reason: 'test' });
    expect(fleet.servers.map((s) => [s.phase, s.weight])).toEqual([
      ['up', 1],
      ['booting', 2],
      ['booting', 2],
    ]);
    expect(p.pending()).toBe(4);
    fleet.advance(59);
    expect(p.pending()).toBe(4);
    fleet.advance(60);
    expect(p.pending()).toBe(0);
    await p.release('gs-001');
    expect(fleet.servers[1]!.phase).toBe('gone');
    fleet.servers[2]!.players = 5;
    await expect(p.release('gs-002')).rejects.toThrow(/released gs-002 with 5 players still on it/);
    expect(p.started).toBe(2);
    expect(p.released).toBe(1);
  });
});

describe('a daily cycle with a raid at 20:00 (compressed: a day of an hour, 500 players, seed 1)', () => {
  // The days of daily-cycle and daily-cycle-lean 24 times faster with 4 times fewer players, and
  // a zone walked to every 24 simulated minutes instead of 2: walks cost most of a run's time
  // and do not bear on scaling. Runs are memoised: each property reads the ones it needs.
  const runs = new Map<string, Promise<RunSummary>>();
  const run = (name: 'daily-cycle' | 'daily-cycle-lean', strategy: StrategyName): Promise<RunSummary> => {
    const key = `${name}/${strategy}`;
    if (!runs.has(key)) {
      const s = shrunk(name, 4, 24);
      runs.set(key, runScenario({ ...s, seed: 1, world: { ...s.world, dwellMeanS: 60 } }, strategy).then((r) => r.summary));
    }
    return runs.get(key)!;
  };
  const healthy = (x: RunSummary): void => {
    expect(x.violations.serverSeconds).toBe(0);
    expect(x.scale.started).toBeGreaterThan(0);
    expect(x.scale.released).toBeGreaterThan(0);
    expect(x.moved.lost).toBe(0);
  };

  it('at the same target, predictive scaling has the raid\'s servers up in time where reactive scaling queues, for about the same server-hours', async () => {
    const reactive = await run('daily-cycle', 'zonelb-reactive');
    const predictive = await run('daily-cycle', 'zonelb-predictive');
    // The login rush outruns the reactive policy's headroom while servers boot...
    expect(reactive.joins.queued).toBeGreaterThan(50);
    // ...and the predictive policy, which learnt it over two days, asked for them a boot delay ahead.
    expect(predictive.joins.queued).toBeLessThanOrEqual(reactive.joins.queued / 10);
    expect(Math.abs(predictive.serverHours - reactive.serverHours)).toBeLessThan(0.05 * reactive.serverHours);
    healthy(reactive);
    healthy(predictive);
  });

  it('aiming at 80 % instead of 70 %, predictive scaling still queues fewer joins than reactive scaling at 70 %, with fewer server-hours', async () => {
    const reactive = await run('daily-cycle', 'zonelb-reactive');
    const lean = await run('daily-cycle-lean', 'zonelb-predictive');
    expect(lean.joins.queued).toBeLessThan(reactive.joins.queued / 10);
    expect(lean.serverHours).toBeLessThan(0.97 * reactive.serverHours);
    healthy(lean);
  });
});

describe('the arrival forecast on the daily cycle\'s arrivals', () => {
  it('after two days forecasts the third, the raid included, and does not take the first minutes\' logins for part of the day', () => {
    // The world of daily-cycle as the simulator draws it (a sample every 10 s, nobody walking:
    // walks are not arrivals), fed to the forecaster as the autoscaler would with the scenario's
    // own forecast options; each bucket's arrivals compared with the forecast made as it opened.
    const b = loadScenario('daily-cycle');
    const s: Scenario = { ...b, world: { ...b.world, dwellMeanS: 1e9 } };
    const o = simScaleOptions(s, 'predictive');
    const f = new ArrivalForecaster({ ...o.forecast, horizonMs: o.bootDelayMs + o.intervalMs });
    const traffic = new Traffic(s, worldMapOf(s));
    let arrived = 0;
    const sink = { arrive: () => void arrived++, move: () => undefined, leave: () => undefined, drop: () => undefined, back: () => undefined };
    const B = o.forecast.bucketMs / 1000;
    const day = s.world.dayS;
    const bucketOf = (t: number): number => Math.floor(t / B) % (day / B);
    const raid = [bucketOf(19 * 3600 + 55 * 60), bucketOf(20 * 3600)];
    let forecast = 0;
    let opened = 0;
    let absError = 0;
    let volume = 0;
    const raidErrors: number[] = [];
    let firstBucket = { forecast: 0, actual: 0 };
    f.sampleTotal(0, 0, 0);
    for (let t = 10; t <= 3 * day; t += 10) {
      traffic.step(t, 10, sink);
      f.sampleTotal(t * 1000, arrived, traffic.population);
      if (t % B !== 0) continue;
      // A bucket closed at t: score it if it is on the third day, then note the next one's forecast.
      const actual = arrived - opened;
      if (t > 2 * day) {
        absError += Math.abs(actual - forecast);
        volume += actual;
        if (raid.includes(bucketOf(t - B))) raidErrors.push(Math.abs(actual - forecast) / actual);
        if (t === 2 * day + B) firstBucket = { forecast, actual };
      }
      opened = arrived;
      forecast = f.arrivalsAhead(1);
    }
    expect(f.ready).toBe(true);
    expect(absError / volume).toBeLessThan(0.1);
    expect(raidErrors).toHaveLength(2);
    for (const e of raidErrors) expect(e).toBeLessThan(0.1);
    // The first five minutes of the run brought the starting population (about a thousand
    // players); midnight on the third day brings its usual hundred or so.
    expect(Math.abs(firstBucket.forecast - firstBucket.actual)).toBeLessThan(0.3 * firstBucket.actual);
  });
});

describe('a flash crowd into a quiet zone', () => {
  it('is flagged hot within seconds, overloads no server (readings without noise), and is un-flagged once it calms', async () => {
    const b = shrunk('hot-zone-flash', 4, 4);
    const s: Scenario = { ...b, fleet: { ...b.fleet, cpuNoise: 0, memoryNoise: 0 } };
    const r = await runScenario(s, 'zonelb');
    const h = r.summary.hotZones;
    expect(h.detectS).not.toBeNull();
    expect(h.detectS!).toBeLessThanOrEqual(3);
    expect(h.coolS).not.toBeNull();
    expect(r.summary.violations.serverSeconds).toBe(0);
    const zone = r.marks.find((m) => m.kind === 'hot')!;
    expect(zone.label).toMatch(/^zone 0 flagged hot/);
    expect(r.marks.some((m) => m.kind === 'cool' && m.label.startsWith('zone 0 cooled'))).toBe(true);
    // The ring puts the whole crowd on the zone's one server.
    const ring = await runScenario(s, 'ring');
    expect(ring.summary.violations.worstUtilisation).toBeGreaterThan(1.5);
  });
});
