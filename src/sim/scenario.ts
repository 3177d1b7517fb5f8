/**
 * Scenarios from a built-in name or a JSON file, validated once against scenarioSchema; an
 * error names the file, the field and the rule.
 */
import { readFileSync } from 'node:fs';
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import { BUILTIN_SCENARIOS } from './builtin-scenarios.ts';
import { scenarioSchema, type Scenario, type ScenarioInput } from './scenario-schema.ts';
import { adjacencyMap, gridMap, type WorldMap } from './world-map.ts';

export function resolveScenario(input: unknown, source = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(root)';
    throw new ZonelbError(ErrorCode.InvalidOption, `${source}: ${field}: ${issue.message}`, { field, cause: parsed.error });
  }
  const s = parsed.data;
  const zones = worldMapOf(s).zones;
  s.events.forEach((e, i) => {
    if ('zone' in e && e.zone !== undefined && e.zone >= zones) {
      throw new ZonelbError(ErrorCode.InvalidOption, `${source}: events.${i}.zone: zone ${e.zone} is not on the map (zones 0..${zones - 1})`, {
        field: `events.${i}.zone`,
      });
    }
  });
  return s;
}

/** A built-in scenario by name, or a JSON file by path. */
export function loadScenario(nameOrFile: string, overrides: Partial<Pick<ScenarioInput, 'seed'>> = {}): Scenario {
  const builtin = BUILTIN_SCENARIOS[nameOrFile];
  if (builtin) return resolveScenario({ ...builtin, ...overrides }, `scenario ${nameOrFile}`);
  if (!/[./\\]/.test(nameOrFile)) {
    throw new ZonelbError(
      ErrorCode.InvalidOption,
      `scenario "${nameOrFile}" is neither a built-in scenario (${Object.keys(BUILTIN_SCENARIOS).join(', ')}) nor a file path`,
      { field: 'scenario' },
    );
  }
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch (e) {
    throw new ZonelbError(ErrorCode.InvalidOption, `scenario file ${nameOrFile}: cannot read it (${(e as Error).message})`, { field: 'scenario', cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ZonelbError(ErrorCode.InvalidOption, `scenario file ${nameOrFile}: not valid JSON (${(e as Error).message})`, { field: 'scenario', cause: e });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ZonelbError(ErrorCode.InvalidOption, `scenario file ${nameOrFile}: expected a JSON object`, { field: 'scenario' });
  }
  return resolveScenario({ ...(json as object), ...overrides }, `scenario file ${nameOrFile}`);
}

export function worldMapOf(s: Scenario): WorldMap {
  if (s.world.map) return adjacencyMap(s.world.map);
  const g = s.world.grid ?? { width: 10, height: 10 };
  return gridMap(g.width, g.height);
}
