/**
 * Scenario files: a JSON file runs like a built-in scenario; anything wrong is a
 * ZLB_ERR_INVALID_OPTION that names the file, the field and the rule.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, ZonelbError } from '../src/core/errors.ts';
import { BUILTIN_SCENARIOS } from '../src/sim/builtin-scenarios.ts';
import { loadScenario, resolveScenario, simScaleOptions, strategiesOf } from '../src/sim/scenario.ts';

const dir = mkdtempSync(join(tmpdir(), 'zonelb-scenario-'));
let n = 0;
function file(content: unknown): string {
  const path = join(dir, `s${n++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function rejection(fn: () => unknown): ZonelbError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ZonelbError);
    expect((e as ZonelbError).code).toBe(ErrorCode.InvalidOption);
    return e as ZonelbError;
  }
  throw new Error('expected a ZonelbError');
}

describe('scenario files', () => {
  it('a file holding a built-in scenario resolves to the same scenario', () => {
    const path = file(BUILTIN_SCENARIOS['world-boss']);
    expect(loadScenario(path)).toEqual(loadScenario('world-boss'));
  });

  it('fills every default in one place, and --seed overrides the file', () => {
    const s = loadScenario(file({ name: 'mine' }), { seed: 42 });
    expect(s.seed).toBe(42);
    expect(s.durationS).toBe(3600);
    expect(s.world.players).toBe(3000);
    expect(s.fleet.servers).toBe(16);
    expect(s.engine.cpuLimit).toBe(0.8);
    expect(s.events).toEqual([]);
    expect(strategiesOf(s)).toContain('packed');
    expect(strategiesOf(s)).not.toContain('zonelb-predictive');
  });

  it('takes a map instead of a grid, walkable both ways', () => {
    const s = loadScenario(file({ name: 'mapped', world: { map: { '0': [1], '1': [2] } } }));
    expect(s.world.map).toEqual({ '0': [1], '1': [2] });
  });

  it.each([
    [{ name: 'Bad Name' }, 'name', 'lower-case'],
    [{ name: 'x', durationS: -1 }, 'durationS', ''],
    [{ name: 'x', world: { players: 'many' } }, 'world.players', ''],
    [{ name: 'x', world: { grid: { width: 2, height: 2 }, map: { '0': [1] } } }, 'world', 'either grid or map'],
    [{ name: 'x', fleet: { servres: 3 } }, 'fleet', 'servres'],
    [{ name: 'x', events: [{ type: 'meteor', at: 10 }] }, 'events.0.type', ''],
    [{ name: 'x', events: [{ type: 'crash', at: 9000 }] }, 'events.0.at', 'after the end of the run'],
    [{ name: 'x', events: [{ type: 'flash-crowd', at: 10 }] }, 'events.0.players', ''],
    [{ name: 'x', events: [{ type: 'hot-zone', at: 10, zone: 100 }] }, 'events.0.zone', 'not on the map (zones 0..99)'],
    [{ name: 'x', engine: { suspectAfterMs: 6000 } }, 'engine.deadAfterMs', 'at least engine.suspectAfterMs'],
    [{ name: 'x', strategies: ['zonelb', 'magic'] }, 'strategies.1', 'unknown strategy "magic"'],
    [{ name: 'x', scale: { target: 2 } }, 'scale.target', ''],
    [{ name: 'x', scale: { bootDelayMs: 1000 } }, 'scale.bootDelayMs', 'fleet.bootDelayS'],
    [{ name: 'x', measureFromS: 4000 }, 'measureFromS', 'before the end'],
  ])('rejects %j naming %s', (input, field, words) => {
    const e = rejection(() => loadScenario(file(input)));
    expect(e.field).toBe(field);
    expect(e.message).toContain(`scenario file ${join(dir, '')}`);
    expect(e.message).toContain(`${field}:`);
    expect(e.message).toContain(words);
  });

  it('says what is wrong with a file that cannot be used', () => {
    expect(rejection(() => loadScenario(join(dir, 'missing.json'))).message).toMatch(/cannot read it/);
    expect(rejection(() => loadScenario(file('{ not json'))).message).toMatch(/not valid JSON/);
    expect(rejection(() => loadScenario(file('[1, 2]'))).message).toMatch(/expected a JSON object/);
    expect(rejection(() => loadScenario('no-such-scenario')).message).toMatch(/neither a built-in scenario \(steady, crash/);
  });

  it('the scale section goes through the autoscaler’s own schema, with the fleet’s boot delay and the world’s day', () => {
    const s = resolveScenario({ name: 'x', world: { dayS: 7200 }, fleet: { bootDelayS: 90 }, scale: { mode: 'reactive', target: 0.6 } });
    const o = simScaleOptions(s);
    expect(o.mode).toBe('reactive');
    expect(o.target).toBe(0.6);
    expect(o.bootDelayMs).toBe(90_000);
    expect(o.forecast.seasonMs).toBe(7_200_000);
    expect(o.forecast.bucketMs).toBe(300_000);
    expect(simScaleOptions(s, 'predictive').mode).toBe('predictive');
    expect(Object.isFrozen(o)).toBe(true);
  });
});
