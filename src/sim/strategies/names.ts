/**
 * The strategies the simulator compares, by the name the command line, scenario files and the
 * report use, with one line on what each does. Kept apart from the factories (index.ts) so
 * that validating a scenario does not load the engine.
 */
export const STRATEGY_SUMMARIES = {
  zonelb: 'the zonelb engine (zone affinity, learned admission limits, split and merge, hot zones; autoscaling as the scenario says)',
  'zonelb-reactive': 'zonelb with its reactive autoscaler on',
  'zonelb-predictive': 'zonelb with its predictive autoscaler on (reactive until it has two seasons of history)',
  'round-robin': 'each join to the next server in turn',
  random: 'each join to a random server (by weight)',
  'least-loaded': 'each join to the server with the fewest players per weight',
  p2c: 'power of two choices on players per weight',
  ring: 'consistent-hash ring on the zone key',
  'bounded-ring': 'consistent hashing with bounded loads (ε = 0.25 unless the scenario says otherwise)',
  'least-rooms': 'a room per zone, new rooms on the process with the fewest rooms (as Colyseus matchmakes)',
  packed: 'a server already running the zone with a free player slot, else the fullest one (Agones Packed)',
} as const;

export type StrategyName = keyof typeof STRATEGY_SUMMARIES;

export const STRATEGY_NAMES = Object.keys(STRATEGY_SUMMARIES) as StrategyName[];

/** Run when neither the command line nor the scenario names strategies: zonelb as configured and every baseline. */
export const DEFAULT_STRATEGIES: readonly StrategyName[] = STRATEGY_NAMES.filter((n) => n !== 'zonelb-reactive' && n !== 'zonelb-predictive');

export function isStrategyName(name: string): name is StrategyName {
  return Object.hasOwn(STRATEGY_SUMMARIES, name);
}
