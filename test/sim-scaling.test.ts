/**
 * Dynamic scaling shown in the simulator: zonelb's autoscaler starting and stopping simulated
 * servers through the simulator's provider (with their boot delay), the predictive policy
 * against the reactive one on a daily cycle, and the hot-zone monitor on a flash crowd.
 */
import { describe, expect, it } from 'vitest';
import { Fleet, type FleetListener } from '../src/sim/fleet.ts';
import { runScenario } from '../src/sim/run.ts';
import type { Scenario } from '../src/sim/scenario-schema.ts';
import { SimScaleProvider } from '../src/sim/sim-scale-provider.ts';
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

describe('a daily cycle (compressed: a day of 30 minutes, 250 players)', () => {
  it('predictive scaling queues fewer joins than reactive for about the same server-hours; a fixed fleet queues most', async () => {
    const small = shrunk('daily-cycle', 8, 48);
    const s: Scenario = { ...small, world: { ...small.world, dwellMeanS: 60 } };
    const fixed = (await runScenario(s, 'zonelb')).summary;
    const reactive = (await runScenario(s, 'zonelb-reactive')).summary;
    const predictive = (await runScenario(s, 'zonelb-predictive')).summary;
    expect(reactive.joins.queued).toBeGreaterThan(0);
    expect(predictive.joins.queued).toBeLessThan(reactive.joins.queued);
    expect(fixed.joins.queued).toBeGreaterThan(reactive.joins.queued);
    expect(Math.abs(predictive.serverHours - reactive.serverHours)).toBeLessThan(0.1 * reactive.serverHours);
    for (const x of [reactive, predictive]) {
      expect(x.scale.started).toBeGreaterThan(0);
      expect(x.scale.released).toBeGreaterThan(0);
      expect(x.moved.lost).toBe(0);
    }
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
