/**
 * Scenarios from a built-in name or a JSON file, validated once against scenarioSchema (and
 * the `scale` section against the autoscaler's own schema); an error names the file, the
 * field and the rule.
 */
import { readFileSync } from 'node:fs';
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import { resolveScaleOptions, type ScaleOptions } from '../scale/scale-options.ts';
import { BUILTIN_SCENARIOS } from './builtin-scenarios.ts';
import { scenarioSchema, type Scenario, type ScenarioInput } from './scenario-schema.ts';
import { DEFAULT_STRATEGIES, STRATEGY_NAMES, isStrategyName, type StrategyName } from './strategies/names.ts';
import { adjacencyMap, gridMap, type WorldMap } from './world-map.ts';

function invalid(source: string, field: string, message: string, cause?: unknown): ZonelbError {
  return new ZonelbError(ErrorCode.InvalidOption, `${source}: ${field}: ${message}`, { field, cause });
}

/** A validated scenario (defaults filled in), or ZLB_ERR_INVALID_OPTION naming the field. */
export function resolveScenario(input: unknown, source = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(source, issue.path.join('.') || '(root)', issue.message, parsed.error);
  }
  const s = parsed.data;
  const zones = worldMapOf(s).zones;
  s.events.forEach((e, i) => {
    if ('zone' in e && e.zone !== undefined && e.zone >= zones) {
      throw invalid(source, `events.${i}.zone`, `zone ${e.zone} is not on the map (zones 0..${zones - 1})`);
    }
  });
  s.strategies?.forEach((name, i) => {
    if (!isStrategyName(name)) throw invalid(source, `strategies.${i}`, `unknown strategy "${name}" (known: ${STRATEGY_NAMES.join(', ')})`);
  });
  try {
    simScaleOptions(s);
  } catch (e) {
    if (e instanceof ZonelbError && e.field) throw invalid(source, e.field, e.message.replace(/^option [^:]+: /, ''), e);
    throw e;
  }
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

/** The strategies to run: those asked for, else the scenario's own list, else every default one. */
export function strategiesOf(s: Scenario, asked?: readonly StrategyName[]): StrategyName[] {
  if (asked && asked.length > 0) return [...asked];
  return s.strategies ? (s.strategies as StrategyName[]) : [...DEFAULT_STRATEGIES];
}

/**
 * zonelb's scale options in this scenario: its `scale` section over the simulator's own
 * settings (the boot delay is the fleet's; the forecast's season is the world's day), with
 * `mode` forced when a strategy asks for one. Validated by the autoscaler's schema.
 */
export function simScaleOptions(s: Scenario, mode?: ScaleOptions['mode']): ScaleOptions {
  const raw = s.scale as Record<string, unknown>;
  const forecast = (raw.forecast ?? {}) as Record<string, unknown>;
  const dayMs = s.world.dayS * 1000;
  return resolveScaleOptions({
    ...raw,
    ...(mode ? { mode } : {}),
    bootDelayMs: s.fleet.bootDelayS * 1000,
    forecast: { seasonMs: dayMs, bucketMs: Math.min(300_000, dayMs / 24), ...forecast },
  } as Parameters<typeof resolveScaleOptions>[0]);
}
