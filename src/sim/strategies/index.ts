/** Every strategy the simulator can compare, by the name the CLI and the report use. */
import type { WorldMap } from '../world-map.ts';
import type { Strategy, StrategyContext } from '../strategy.ts';
import { BoundedRing } from './bounded-ring.ts';
import { HashRing } from './hash-ring.ts';
import { LeastLoaded } from './least-loaded.ts';
import { LeastRooms } from './least-rooms.ts';
import { Packed } from './packed.ts';
import { PowerOfTwo } from './power-of-two.ts';
import { RandomChoice } from './random.ts';
import { RoundRobin } from './round-robin.ts';
import { ZonelbStrategy } from './zonelb.ts';

type Make = (ctx: StrategyContext, map: WorldMap) => Strategy | Promise<Strategy>;

export const STRATEGIES: Readonly<Record<string, { summary: string; make: Make }>> = {
  zonelb: { summary: 'the zonelb engine (zone affinity, learned admission limits, split and merge)', make: (c, m) => ZonelbStrategy.create(c, m) },
  'round-robin': { summary: 'each join to the next server in turn', make: (c) => new RoundRobin(c) },
  random: { summary: 'each join to a random server (by weight)', make: (c) => new RandomChoice(c) },
  'least-loaded': { summary: 'each join to the server with the fewest players per weight', make: (c) => new LeastLoaded(c) },
  p2c: { summary: 'power of two choices on players per weight', make: (c) => new PowerOfTwo(c) },
  ring: { summary: 'consistent-hash ring on the zone key', make: (c) => new HashRing(c) },
  'bounded-ring': { summary: 'consistent hashing with bounded loads (ε from the scenario, 0.25)', make: (c) => new BoundedRing(c) },
  'least-rooms': { summary: 'a room per zone, new rooms on the process with fewest rooms (Colyseus)', make: (c) => new LeastRooms(c) },
  packed: { summary: 'fullest server with a free player slot first (Agones Packed)', make: (c) => new Packed(c) },
};

export const STRATEGY_NAMES: readonly string[] = Object.keys(STRATEGIES);
