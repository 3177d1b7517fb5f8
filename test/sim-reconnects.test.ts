/**
 * Dropped connections in the simulated world: a share of sessions loses its connection once and
 * comes back to the zone it left; zonelb holds the seat (a Leave) and seats the player back on
 * its server, while a logout (a Quit) frees the seat at once.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../src/sim/run.ts';
import { worldMapOf } from '../src/sim/scenario.ts';
import { Traffic, type TrafficSink } from '../src/sim/traffic.ts';
import { tinyScenario } from './fixtures/sim-harness.ts';

describe('dropped connections', () => {
  it('with dropShare 1 every session drops once, comes back to the zone it left, and leaves only online', () => {
    const s = tinyScenario({ world: { dropShare: 1, reconnectMeanS: 5 } });
    const traffic = new Traffic(s, worldMapOf(s));
    const players = new Map<number, { zone: number; away: boolean; drops: number; droppedAt: number }>();
    let now = 0;
    let online = 0;
    let left = 0;
    let droppedBeforeLeaving = 0;
    let longestAway = 0;
    const sink: TrafficSink = {
      arrive(p, zone) {
        expect(players.has(p)).toBe(false);
        players.set(p, { zone, away: false, drops: 0, droppedAt: 0 });
        online++;
      },
      move(p, from, to) {
        const x = players.get(p)!;
        expect(x.away).toBe(false);
        expect(x.zone).toBe(from);
        x.zone = to;
      },
      leave(p) {
        const x = players.get(p)!;
        expect(x.away).toBe(false);
        if (x.drops === 1) droppedBeforeLeaving++;
        players.delete(p);
        online--;
        left++;
      },
      drop(p) {
        const x = players.get(p)!;
        expect(x.away).toBe(false);
        expect(x.drops).toBe(0);
        x.away = true;
        x.drops++;
        x.droppedAt = now;
        online--;
      },
      back(p, zone) {
        const x = players.get(p)!;
        expect(x.away).toBe(true);
        expect(zone).toBe(x.zone);
        longestAway = Math.max(longestAway, now - x.droppedAt);
        x.away = false;
        online++;
      },
    };
    for (now = 1; now <= s.durationS; now++) {
      traffic.step(now, 1, sink);
      expect(traffic.population).toBe(online);
    }
    expect(left).toBeGreaterThan(100);
    // A drop falling in the very second its session ends is skipped: nearly all dropped first.
    expect(droppedBeforeLeaving / left).toBeGreaterThan(0.95);
    expect(longestAway).toBeGreaterThan(5);
  });

  it('zonelb seats every player back from a short drop on the server it had; least-loaded mostly elsewhere', async () => {
    const s = tinyScenario({ world: { dropShare: 0.5, reconnectMeanS: 3 } });
    const z = (await runScenario(s, 'zonelb')).summary.joins;
    expect(z.returned).toBeGreaterThan(50);
    expect(z.returnedToServer).toBe(z.returned);
    const spread = (await runScenario(s, 'least-loaded')).summary.joins;
    expect(spread.returned).toBeGreaterThan(50);
    expect(spread.returnedToServer / spread.returned).toBeLessThan(0.6);
  });

  it('with no drops nobody comes back, and the seats held for reconnects stay empty', async () => {
    const s = tinyScenario({ world: { dropShare: 0 } });
    const z = (await runScenario(s, 'zonelb')).summary.joins;
    expect(z.returned).toBe(0);
    expect(z.limitSeatsWhenDenied.reconnect ?? 0).toBe(0);
  });
});
