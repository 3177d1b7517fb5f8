/**
 * Determinism: the same scenario and seed give the same summary, series and events, run after
 * run, on this thread or in the worker pool; another seed gives another run.
 */
import { describe, expect, it } from 'vitest';
import { runGrid } from '../src/sim/run-grid.ts';
import { runScenario, type RunResult } from '../src/sim/run.ts';
import type { Scenario } from '../src/sim/scenario-schema.ts';
import { tinyScenario } from './fixtures/sim-harness.ts';

/** Everything but the wall-clock figures. */
function deterministic(r: RunResult): Omit<RunResult, 'timing'> {
  return { summary: r.summary, series: r.series, marks: r.marks };
}

function busy(seed = 7): Scenario {
  // Noisy readings, random crashes and a crowd: every random stream is drawn from.
  return tinyScenario({
    seed,
    durationS: 400,
    fleet: { servers: 5, cpuNoise: 0.01, memoryNoise: 0.003, costSpread: 0.2 },
    events: [
      { type: 'crash-storm', at: 120, fraction: 0.3, pick: 'random' },
      { type: 'flash-crowd', at: 200, players: 150, rampS: 20, holdS: 60 },
      { type: 'drain', at: 300, pick: 'random' },
    ],
  });
}

describe('determinism', () => {
  it('the same seed gives the same run, for zonelb and for a randomised baseline', async () => {
    for (const strategy of ['zonelb', 'random', 'p2c'] as const) {
      const a = await runScenario(busy(), strategy);
      const b = await runScenario(busy(), strategy);
      expect(deterministic(b), strategy).toEqual(deterministic(a));
      expect(a.summary.failover.crashes).toBe(2);
    }
  });

  it('another seed gives another run', async () => {
    const a = await runScenario(busy(7), 'zonelb');
    const b = await runScenario(busy(8), 'zonelb');
    expect(b.summary.players.arrived).not.toBe(a.summary.players.arrived);
    expect(b.series.players).not.toEqual(a.series.players);
  });

  it('the worker pool gives the same results as this thread, in the order asked for', async () => {
    const runs = [
      { scenario: busy(), strategy: 'zonelb' as const },
      { scenario: busy(), strategy: 'ring' as const },
      { scenario: busy(3), strategy: 'least-rooms' as const },
    ];
    const seen: number[][] = [];
    const pooled = await runGrid(runs, { threads: 2, onProgress: (d) => seen.push([...d]) });
    const local = await runGrid(runs, { threads: 0 });
    expect(pooled.map(deterministic)).toEqual(local.map(deterministic));
    expect(pooled.map((r) => r.summary.strategy)).toEqual(['zonelb', 'ring', 'least-rooms']);
    // Progress rose to the end for every run.
    expect(seen.at(-1)).toEqual([1, 1, 1]);
    expect(seen.some((d) => d.some((x) => x > 0 && x < 1))).toBe(true);
  });
});
