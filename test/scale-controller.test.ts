/**
 * The ScaleController end to end against a real LocalEngine on a virtual clock (the same
 * `step(now)` the service calls on a timer and the simulator on its own clock):
 * - a crowd arrives: the autoscaler asks once for the capacity the crowd needs, counts it as
 *   booting until the servers register (no second request while they boot, no overshoot), and
 *   the queued players are admitted once they have;
 * - predictive mode runs the reactive policy until it has two seasons of history;
 * - a hot zone is flagged within seconds, gets a plan in the engine (pre-split, reserve) with a
 *   start event, no server goes past its limit, keeps it while its crowd is there, and the plan
 *   is lifted with an end event once the crowd has left.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Status } from '../src/core/codes.ts';
import type { EngineOptionsInput } from '../src/core/options.ts';
import type { EngineEvent } from '../src/engine/types.ts';
import { agonesTargetUnits } from '../src/scale/agones-webhook.ts';
import type { ScaleOptionsInput } from '../src/scale/scale-options.ts';
import { hotZoneEvents, startScaleWorld, type ScaleWorld } from './fixtures/scale-harness.ts';

describe('ScaleController on a LocalEngine (virtual clock)', () => {
  let world: ScaleWorld | undefined;
  afterEach(async () => {
    await world?.engine.close();
    world = undefined;
  });

  function start(engineOptions: EngineOptionsInput, scale: ScaleOptionsInput): ScaleWorld {
    world = startScaleWorld(engineOptions, scale);
    return world;
  }

  it('asks once for the capacity a crowd needs, counts it as booting, and admits the queue once it has booted', async () => {
    const BOOT = 20_000;
    const w = start(
      { limits: { playersPerServer: 10 }, whenFull: 'queue' },
      { mode: 'reactive', target: 0.7, band: 0.1, min: 2, max: 20, bootDelayMs: BOOT, intervalMs: 1000, scaleOutCooldownMs: 5000, hotZones: { enabled: false } },
    );
    for (const id of ['gs-0', 'gs-1']) w.engine.registerServer({ id });
    for (let p = 0; p < 4; p++) expect((await w.engine.join(p, p % 8)).status).toBe(Status.Ok);
    await w.run(10_000);
    expect(w.events.filter((e) => e.type === 'scale')).toHaveLength(1); // the first decision: desired 2
    expect(w.controller.status().autoscale).toMatchObject({ direction: 'hold', desired: 2, actual: 2 });

    // The crowd: 40 players at once. 20 seats: 16 placed, 28 queued.
    const crowd = [];
    for (let p = 100; p < 140; p++) crowd.push(await w.engine.join(p, p % 8));
    expect(crowd.filter((c) => c.status === Status.Queued).length).toBeGreaterThan(20);
    const asked = w.now;

    // The orchestrator (as Agones would): every 2 s it starts what the target asks for beyond
    // what exists or boots; each new server registers BOOT ms later.
    let started = 2;
    const booting: { at: number; id: string }[] = [];
    const orchestrate = (now: number): void => {
      while (booting.length > 0 && booting[0]!.at <= now) w.engine.registerServer({ id: booting.shift()!.id });
      if (now % 2000 !== 0) return;
      const target = agonesTargetUnits(w.controller.autoscaler!.status());
      for (; target !== undefined && started < target; started++) booting.push({ at: now + BOOT, id: `gs-${started}` });
    };

    await w.run(BOOT - 3000, orchestrate);
    // One request, at the next decision, for exactly what 44 players need at 70 %: ceil(44 / 7) = 7.
    const outs = w.events.filter((e): e is Extract<EngineEvent, { type: 'scale' }> => e.type === 'scale').slice(1);
    expect(outs).toHaveLength(1);
    expect(outs[0]).toMatchObject({ desired: 7, actual: 2, mode: 'reactive' });
    expect(outs[0]!.at - asked).toBeLessThanOrEqual(1000);
    // While they boot, they count: the autoscaler holds instead of asking again.
    expect(w.controller.status().autoscale).toMatchObject({ direction: 'hold', desired: 7, actual: 2, pending: 5 });
    expect(started).toBe(7);
    expect(w.engine.queued()).toBeGreaterThan(20);

    await w.run(10_000, orchestrate);
    expect(w.engine.servers().filter((s) => s.state === 'active')).toHaveLength(7);
    expect(w.controller.status().autoscale).toMatchObject({ desired: 7, actual: 7, pending: 0 });
    expect(w.engine.queued()).toBe(0);
    expect(w.engine.servers().reduce((a, s) => a + s.players, 0)).toBe(44);
    // Still one scale-out: never more than the crowd needed.
    expect(w.events.filter((e) => e.type === 'scale')).toHaveLength(2);
  });

  it('runs the reactive policy in predictive mode until it has two seasons of history', async () => {
    const w = start(
      { limits: { playersPerServer: 10 } },
      { mode: 'predictive', min: 1, max: 10, bootDelayMs: 2000, intervalMs: 1000, forecast: { bucketMs: 1000, seasonMs: 10_000 }, hotZones: { enabled: false } },
    );
    w.engine.registerServer({ id: 'gs-0' });
    let next = 0;
    const arrivals = async (now: number): Promise<void> => {
      // One join a second, each player staying 5 s.
      if (now % 1000 !== 0) return;
      await w.engine.join(next, next % 4);
      if (next >= 5) await w.engine.leave(next - 5);
      next++;
    };
    await w.run(5000, arrivals);
    let a = w.controller.status().autoscale as { mode: string; reason: string };
    expect(a.mode).toBe('reactive');
    expect(a.reason).toMatch(/forecast history \d+\/20 buckets/);
    expect(w.controller.status().forecast).toMatchObject({ ready: false, bucketsNeeded: 20 });
    await w.run(20_000, arrivals);
    a = w.controller.status().autoscale as { mode: string; reason: string };
    expect(a.mode).toBe('predictive');
    const f = w.controller.status().forecast!;
    expect(f.ready).toBe(true);
    // One arrival a second, and sessions of 5 s (Little's law).
    expect(f.nextBucketArrivals).toBeCloseTo(1, 0);
    expect(f.meanSessionMs! / 1000).toBeGreaterThan(4);
    expect(f.meanSessionMs! / 1000).toBeLessThan(6.5);
    expect(f.error.scored).toBeGreaterThan(0);
  });

  it('predictive mode learns the joins asked for, queued ones included, not only the seats the fleet had', async () => {
    // A "day" of 10 s: 30 players join at 5 s into one server of 10 seats (20 or more wait) and
    // all leave at 9 s. Counted by seats, the day would hold 10 arrivals, and the forecast would
    // never ask for more than the one server.
    const w = start(
      { limits: { playersPerServer: 10 }, whenFull: 'queue' },
      { mode: 'predictive', min: 1, max: 1, bootDelayMs: 1000, intervalMs: 1000, forecast: { bucketMs: 1000, seasonMs: 10_000 }, hotZones: { enabled: false } },
    );
    w.engine.registerServer({ id: 'gs-0' });
    let day = 0;
    await w.run(40_000, async (now) => {
      const phase = now % 10_000;
      if (phase === 5000) {
        for (let p = 0; p < 30; p++) await w.engine.join(day * 100 + p, p % 4);
        expect(w.engine.queued()).toBeGreaterThanOrEqual(20);
      } else if (phase === 9000) {
        for (let p = 29; p >= 0; p--) await w.engine.leave(day * 100 + p);
        day++;
      }
    });
    const f = w.controller.forecaster!;
    expect(f.ready).toBe(true);
    let total = 0;
    let most = 0;
    for (let h = 1; h <= 10; h++) {
      total += f.arrivalsAhead(h);
      most = Math.max(most, f.arrivalsAhead(h));
    }
    expect(total).toBeCloseTo(30, -1);
    expect(most).toBeGreaterThan(25);
    // Little's law on players placed or waiting: 30 present for 4 s of every 10, 30 arrivals a day.
    expect(f.meanSessionMs / 1000).toBeGreaterThan(3);
    expect(f.meanSessionMs / 1000).toBeLessThan(5);
  });

  it('predictive mode asks for capacity before a daily crowd arrives; reactive only once it is there', async () => {
    // A compressed "day" of 20 s: quiet for 10 s, then 10 joins a second for 5 s, each player
    // staying 6 s. Servers boot in 4 s. After two days of history the forecast knows when the
    // crowd comes and the predictive policy asks for servers ahead of it.
    const firstAsk = async (mode: 'reactive' | 'predictive'): Promise<{ asks: number[]; queued: number }> => {
      const w = start(
        { limits: { playersPerServer: 10 }, whenFull: 'queue' },
        {
          mode,
          target: 0.7,
          band: 0.1,
          min: 1,
          max: 20,
          bootDelayMs: 4000,
          intervalMs: 1000,
          scaleOutCooldownMs: 0,
          scaleInCooldownMs: 0,
          scaleInStep: 1,
          forecast: { bucketMs: 1000, seasonMs: 20_000, alpha: 0.5, beta: 0, gamma: 0.5 },
          hotZones: { enabled: false },
        },
      );
      w.engine.registerServer({ id: 'gs-0' });
      let next = 0;
      let serial = 1;
      const leaving: { at: number; player: number }[] = [];
      const booting: { at: number; id: string }[] = [];
      let lastDesired = 1;
      const asks: number[] = [];
      let queued = 0;
      await w.run(100_000, async (now) => {
        while (leaving.length > 0 && leaving[0]!.at <= now) await w.engine.leave(leaving.shift()!.player);
        while (booting.length > 0 && booting[0]!.at <= now) w.engine.registerServer({ id: booting.shift()!.id });
        const status = w.controller.autoscaler!.status();
        // The fleet: what is asked for beyond what exists or boots starts booting at once.
        if (status && status.direction === 'out' && status.desired > lastDesired) {
          if (lastDesired <= 1) asks.push(now);
          const have = w.engine.servers().filter((s) => s.state === 'active').length + booting.length;
          for (let k = have; k < status.desired; k++) booting.push({ at: now + 4000, id: `gs-${serial++}` });
        }
        if (status) lastDesired = status.desired;
        const phase = now % 20_000;
        if (phase >= 10_000 && phase < 15_000) {
          const p = next++;
          // Days 3 to 5 (from 40 s): the forecast is ready; count the joins that had to wait.
          if ((await w.engine.join(p, p % 8)).status === Status.Queued && now >= 40_000) queued++;
          leaving.push({ at: now + 6000, player: p });
        }
      });
      await w.engine.close();
      world = undefined;
      return { asks, queued };
    };
    const { asks: reactive, queued: reactiveQueued } = await firstAsk('reactive');
    const { asks: predictive, queued: predictiveQueued } = await firstAsk('predictive');
    // Days 3, 4 and 5 start at 40, 60 and 80 s; their crowds at 50, 70 and 90 s.
    for (const day of [2, 3, 4]) {
      const crowd = day * 20_000 + 10_000;
      const r = reactive.find((t) => t > crowd - 10_000 && t < crowd + 10_000)!;
      const p = predictive.find((t) => t > crowd - 10_000 && t < crowd + 10_000)!;
      expect(r, `reactive, day ${day + 1}`).toBeGreaterThan(crowd);
      // Ahead by about the boot delay (4 s), less one decision period.
      expect(crowd - p, `predictive, day ${day + 1}`).toBeGreaterThanOrEqual(3000);
    }
    // Servers ready when the crowd comes: fewer joins wait in line.
    expect(predictiveQueued).toBeLessThan(reactiveQueued);
  });

  it('flags a hot zone within seconds, gives it a plan in the engine, and lifts it once the zone cools', async () => {
    const w = start(
      { limits: { playersPerServer: 100 }, whenFull: 'queue' },
      {
        mode: 'off',
        hotZones: { sampleMs: 1000, baselineMs: 20_000, warmupMs: 10_000, coolMs: 5000, k: 4, minRate: 2, confirmSamples: 2, planHorizonMs: 10_000, reserveMs: 2000, maxServers: 4 },
      },
    );
    for (let i = 0; i < 6; i++) w.engine.registerServer({ id: `gs-${i}` });
    const HOT = 3;
    const CROWD_FROM = 40_000;
    const CROWD_TO = 50_000;
    let next = 0;
    const leaving: { at: number; player: number }[] = [];
    const traffic = async (now: number): Promise<void> => {
      while (leaving.length > 0 && leaving[0]!.at <= now) await w.engine.leave(leaving.shift()!.player);
      if (now % 1000 !== 0) return;
      // Baseline: one join a second in each of zones 0..9, each player staying 10 s.
      const joins: number[] = [];
      for (let z = 0; z < 10; z++) joins.push(z);
      // The crowd: 20 more a second into HOT.
      if (now >= CROWD_FROM && now < CROWD_TO) for (let k = 0; k < 20; k++) joins.push(HOT);
      for (const z of joins) {
        const p = next++;
        expect((await w.engine.join(p, z)).status).toBe(Status.Ok);
        leaving.push({ at: now + 10_000, player: p });
      }
    };
    const hotEvents = () => hotZoneEvents(w);

    await w.run(CROWD_FROM, traffic);
    expect(hotEvents()).toEqual([]);
    await w.run(5000, traffic);
    const flagged = hotEvents();
    expect(flagged.map((e) => [e.zone, e.hot])).toEqual([[HOT, true]]);
    expect(flagged[0]!.at - CROWD_FROM).toBeLessThanOrEqual(3000);
    expect(flagged[0]!.baseline).toBeGreaterThan(0.5);
    expect(flagged[0]!.baseline).toBeLessThan(1.5);
    // The plan is in the engine: the zone is pre-split and seats are held for it.
    const plan = w.controller.status().hotZones;
    expect(plan.map((h) => h.zone)).toEqual([HOT]);
    expect(plan[0]!.plan.servers).toBeGreaterThanOrEqual(2);
    const info = (await w.engine.zones()).find((z) => z.zone === HOT)!;
    expect(info.hot).toEqual(plan[0]!.plan);
    expect(info.servers.filter((s) => s.open).length).toBeGreaterThanOrEqual(plan[0]!.plan.servers);
    // Its joins are spread: no server of the zone holds more than 60 % of it.
    expect(Math.max(...info.servers.map((s) => s.players))).toBeLessThanOrEqual(0.6 * info.population);
    // The other zones are not flagged.
    expect(w.controller.status().hotZones).toHaveLength(1);

    // The crowd stops arriving at 50 s but stays until 60 s: the zone stays flagged, plan in force.
    await w.run(CROWD_TO - w.now + 8000, traffic);
    expect(hotEvents()).toHaveLength(1);
    expect((await w.engine.zones()).find((z) => z.zone === HOT)!.hot?.servers).toBe(plan[0]!.plan.servers);
    // Its players leave from 50 to 60 s; once fewer than minPopulation (50) are left (58 s),
    // after coolMs (5 s) of calm the zone is un-flagged and the plan lifted.
    const LEFT = CROWD_TO + 10_000;
    await w.run(LEFT - w.now + 10_000, traffic);
    const all = hotEvents();
    expect(all.map((e) => [e.zone, e.hot])).toEqual([
      [HOT, true],
      [HOT, false],
    ]);
    expect(all[1]!.at - LEFT).toBeGreaterThanOrEqual(3000);
    expect(all[1]!.at - LEFT).toBeLessThanOrEqual(6000);
    expect(w.controller.status().hotZones).toEqual([]);
    const after = (await w.engine.zones()).find((z) => z.zone === HOT);
    expect(after?.hot ?? null).toBeNull();
    expect((after?.servers ?? []).reduce((a, s) => a + s.reserved, 0)).toBe(0);
  });
});
