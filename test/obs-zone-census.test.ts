/**
 * The zone census: totals, split zones and the busiest zones, from Engine.sampleZones. A world
 * that fits in one slice is counted before refresh() returns; a bigger one is read slice by
 * slice with turns of the event loop in between, and its totals appear only once all of it is
 * counted (never a half-counted world).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/index.ts';
import { ZoneCensus } from '../src/obs/zone-census.ts';

let engine: Engine | undefined;
let census: ZoneCensus | undefined;

afterEach(async () => {
  census?.close();
  await engine?.close();
  census = undefined;
  engine = undefined;
});

async function world(zones: readonly number[]): Promise<Engine> {
  const e = await createEngine({ shards: 1, maxZones: 65_536, limits: { playersPerServer: 1000 } }, { autoTick: false });
  e.registerServer({ id: 'a', weight: 1 });
  e.registerServer({ id: 'b', weight: 1 });
  let player = 1;
  // Zone i of the list gets i + 1 players.
  for (const [i, zone] of zones.entries()) for (let k = 0; k <= i; k++) await e.join(player++, zone);
  return e;
}

const options = { everyMs: 600_000, walkDuty: 0.002, walkMaxZones: 0, keep: 2 };

describe('ZoneCensus', () => {
  it('counts a small world before refresh() returns', async () => {
    engine = await world([3, 9, 40]);
    census = new ZoneCensus(engine, options);
    // The constructor's own refresh has already counted it.
    expect(census.latest).toMatchObject({ zones: 3, players: 6, split: 0 });
    expect(census.latest.top.map((z) => [z.zone, z.population])).toEqual([
      [40, 3],
      [9, 2],
    ]);
  });

  it('reads a big world in slices and publishes its totals whole', async () => {
    // Zones past the first slices of 16 384 ids: the sample yields between slices.
    engine = await world([5, 20_000, 40_000, 50_000]);
    census = new ZoneCensus(engine, options);
    // Not counted yet: the constructor's refresh is still between slices.
    expect(census.latest.zones).toBe(0);
    await census.refresh();
    expect(census.latest).toMatchObject({ zones: 4, players: 10, split: 0 });
    expect(census.latest.top.map((z) => z.zone)).toEqual([50_000, 40_000]);
    // More players arrive; a second refresh counts them, with the same totals shape.
    await engine.join(1000, 20_000);
    await census.refresh();
    expect(census.latest).toMatchObject({ zones: 4, players: 11 });
    expect(census.latest.byServerCount[1]).toBe(4);
  });
});
