/**
 * Hot zones on a LocalEngine with a virtual clock, through the ScaleController:
 * - a crowd into a full world: its zone is flagged once, keeps its plan (pre-split, queueing)
 *   while the crowd is there, after its arrivals stop and while the queue is admitted into it,
 *   gives back its reserved seats once the arrivals stop, and is lifted once the crowd leaves;
 * - a crowd into a world already full (all of it in line) is flagged all the same;
 * - every server crashes and a new fleet comes up: every player coming back into every zone at
 *   once is not a hot zone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Reason, Status } from '../src/core/codes.ts';
import { hotZoneEvents, startScaleWorld, type ScaleWorld } from './fixtures/scale-harness.ts';

const HOT_ZONES = { sampleMs: 1000, baselineMs: 20_000, warmupMs: 10_000, coolMs: 5000, k: 4, minRate: 2, minPopulation: 20, confirmSamples: 2, planHorizonMs: 10_000, reserveMs: 4000, maxServers: 4 };

describe('hot zones on a LocalEngine', () => {
  let world: ScaleWorld | undefined;
  afterEach(async () => {
    await world?.engine.close();
    world = undefined;
  });

  /**
   * Baseline traffic: `perSecond` joins a second over zones 0..9 in turn, each player staying 20.5 s
   * (leaving between two rounds of joins, so that the engine's tick admits the line into the
   * seats they free before new joins come).
   */
  function traffic(
    w: ScaleWorld,
    zoneOf: Map<number, number>,
    crowd: (now: number) => { zone: number; joins: number; stayMs: number } | undefined,
    refused: (player: number) => void = () => undefined,
    perSecond = 3,
  ) {
    let next = 0;
    const leaving: { at: number; player: number }[] = [];
    return async (now: number): Promise<void> => {
      leaving.sort((a, b) => a.at - b.at);
      while (leaving.length > 0 && leaving[0]!.at <= now) await w.engine.leave(leaving.shift()!.player);
      if (now % 1000 !== 0) return;
      const joins: [number, number][] = [];
      for (let k = 0; k < perSecond; k++) joins.push([(now / 1000) * perSecond + k, 20_500]);
      const c = crowd(now);
      if (c) for (let k = 0; k < c.joins; k++) joins.push([-1, c.stayMs]);
      for (const [slot, stay] of joins) {
        const p = next++;
        const zone = slot < 0 ? c!.zone : slot % 10;
        zoneOf.set(p, zone);
        const r = await w.engine.join(p, zone);
        // No server at all (every one dead): refused, nobody to leave later.
        if (r.status === Status.NoServers) {
          refused(p);
          continue;
        }
        expect([Status.Ok, Status.Queued]).toContain(r.status);
        leaving.push({ at: now + stay, player: p });
      }
    };
  }

  it('keeps a crowd\'s zone flagged while the crowd is there, through queue admissions, and lifts it once it has left', async () => {
    // 4 servers of 50 seats: the baseline fills 60, the crowd (20 a second into zone 3 for 10 s
    // from 40 s, staying until 100 s) the rest, and its last joins wait in line.
    const w = (world = startScaleWorld({ limits: { playersPerServer: 50 }, whenFull: 'queue' }, { mode: 'off', hotZones: HOT_ZONES }));
    for (let i = 0; i < 4; i++) w.engine.registerServer({ id: `gs-${i}` });
    const HOT = 3;
    const zoneOf = new Map<number, number>();
    let admittedIntoHot = 0;
    w.engine.onReplacement((events) => {
      for (const e of events) if (e.reason === Reason.Admitted && zoneOf.get(e.player) === HOT && w.now > 50_000) admittedIntoHot++;
    });
    const step = traffic(w, zoneOf, (now) => (now >= 40_000 && now < 50_000 ? { zone: HOT, joins: 20, stayMs: 100_000 - now } : undefined));

    await w.run(40_000, step);
    expect(hotZoneEvents(w)).toEqual([]);
    await w.run(3000, step);
    expect(hotZoneEvents(w).map((e) => [e.zone, e.hot])).toEqual([[HOT, true]]);
    const plan = w.controller.status().hotZones[0]!.plan;
    expect(plan.servers).toBeGreaterThanOrEqual(2);
    expect(plan.reserve).toBeGreaterThan(0);

    // Arrivals stop at 50 s; the crowd stays until 100 s while the line is admitted into the zone.
    await w.run(99_000 - w.now, step);
    expect(admittedIntoHot).toBeGreaterThan(0);
    expect(hotZoneEvents(w)).toHaveLength(1);
    const info = (await w.engine.zones()).find((z) => z.zone === HOT)!;
    expect(info.hot?.servers).toBe(plan.servers);
    // No crowd arrivals for 49 s: the seats held follow the zone's own joins again (the
    // baseline's 0.3 a second, over reserveMs 4 s: one seat); the rest went back.
    expect(info.hot?.reserve).toBeLessThanOrEqual(1);
    expect(w.controller.status().hotZones.map((h) => h.zone)).toEqual([HOT]);

    // The crowd leaves at 100 s: the zone cools after coolMs (5 s), and the plan is lifted.
    await w.run(20_000, step);
    const all = hotZoneEvents(w);
    expect(all.map((e) => [e.zone, e.hot])).toEqual([
      [HOT, true],
      [HOT, false],
    ]);
    expect(all[1]!.at).toBeGreaterThanOrEqual(100_000 + 5000);
    expect(all[1]!.at).toBeLessThanOrEqual(100_000 + 5000 + 2000);
    expect((await w.engine.zones()).find((z) => z.zone === HOT)?.hot ?? null).toBeNull();
  });

  it('flags a crowd into a world already full, though every one of its joins waits in line', async () => {
    // 4 servers of 10 seats, and the baseline asks for about 61 (3 joins a second staying 20.5 s):
    // the world is full from 14 s and its line only grows, so the crowd (20 a second into zone 3
    // from 40 s) finds no seat: it is seen only by the joins it asks for.
    const w = (world = startScaleWorld({ limits: { playersPerServer: 10 }, whenFull: 'queue' }, { mode: 'off', hotZones: HOT_ZONES }));
    for (let i = 0; i < 4; i++) w.engine.registerServer({ id: `gs-${i}` });
    const HOT = 3;
    const zoneOf = new Map<number, number>();
    const step = traffic(w, zoneOf, (now) => (now >= 40_000 && now < 50_000 ? { zone: HOT, joins: 20, stayMs: 60_000 } : undefined));
    await w.run(40_000, step);
    expect(hotZoneEvents(w)).toEqual([]);
    expect(w.engine.servers().reduce((a, s) => a + s.players, 0)).toBe(40);
    const lineBefore = w.engine.queued();

    await w.run(3000, step);
    expect(w.engine.queued()).toBeGreaterThanOrEqual(lineBefore + 50);
    expect(hotZoneEvents(w).map((e) => [e.zone, e.hot])).toEqual([[HOT, true]]);
    // 20 joins a second over reserveMs (4 s) would be 80 seats: never more than the plan's
    // servers (10 seats each) hold.
    const plan = w.controller.status().hotZones[0]!.plan;
    expect(plan.reserve).toBe(plan.servers * 10);
  });

  it('does not flag the zones a whole fleet\'s players come back into after an outage', async () => {
    const w = (world = startScaleWorld(
      { limits: { playersPerServer: 60 }, whenFull: 'queue', suspectAfterMs: 2000, deadAfterMs: 4000 },
      { mode: 'off', hotZones: { ...HOT_ZONES, minPopulation: 10 } },
    ));
    for (let i = 0; i < 4; i++) w.engine.registerServer({ id: `gs-${i}` });
    const zoneOf = new Map<number, number>();
    // Players the outage threw out (lost with their server, or refused for want of any server),
    // who try again once there are servers, as a gateway's clients would.
    const retry: number[] = [];
    w.engine.onReplacement((events) => {
      for (const e of events) if (e.reason === Reason.Lost) retry.push(e.player);
    });
    // Eight joins a second: about 16 players in each zone.
    const baseline = traffic(w, zoneOf, () => undefined, (p) => retry.push(p), 8);
    await w.run(60_000, baseline);
    expect((await w.engine.zones()).reduce((a, z) => a + z.population, 0)).toBeGreaterThan(150);

    // Every server goes silent at 60 s and is declared dead: nobody has a server for 40 s.
    w.beating = () => false;
    await w.run(40_000, baseline);
    expect(w.engine.servers().filter((s) => s.state === 'active')).toHaveLength(0);
    expect(retry.length).toBeGreaterThan(300);

    // A new fleet registers at 100 s; everyone comes back within 3 s, each to the zone they were in.
    w.beating = () => true;
    for (let i = 0; i < 4; i++) w.engine.registerServer({ id: `gs-new-${i}` });
    const back = [...new Set(retry)];
    const wave = Math.ceil(back.length / 3);
    const comeBack = async (now: number): Promise<void> => {
      if (now % 1000 === 0 && back.length > 0) for (const p of back.splice(0, wave)) await w.engine.join(p, zoneOf.get(p)!);
      await baseline(now);
    };
    await w.run(30_000, comeBack);
    expect(back).toEqual([]);
    expect(hotZoneEvents(w)).toEqual([]);
  });
});
