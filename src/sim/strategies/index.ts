/** Every strategy the simulator can compare, by the name the CLI and the report use (names.ts). */
import type { Strategy, StrategyContext } from '../strategy.ts';
import { BoundedRing } from './bounded-ring.ts';
import { HashRing } from './hash-ring.ts';
import { LeastLoaded } from './least-loaded.ts';
import { LeastRooms } from './least-rooms.ts';
import type { StrategyName } from './names.ts';
import { Packed } from './packed.ts';
import { PowerOfTwo } from './power-of-two.ts';
import { RandomChoice } from './random.ts';
import { RoundRobin } from './round-robin.ts';
import { ZonelbStrategy } from './zonelb.ts';

const FACTORIES: Readonly<Record<StrategyName, (ctx: StrategyContext) => Strategy>> = {
  zonelb: (c) => new ZonelbStrategy(c, 'zonelb'),
  'zonelb-reactive': (c) => new ZonelbStrategy(c, 'zonelb-reactive', 'reactive'),
  'zonelb-predictive': (c) => new ZonelbStrategy(c, 'zonelb-predictive', 'predictive'),
  'round-robin': (c) => new RoundRobin(c),
  random: (c) => new RandomChoice(c),
  'least-loaded': (c) => new LeastLoaded(c),
  p2c: (c) => new PowerOfTwo(c),
  ring: (c) => new HashRing(c),
  'bounded-ring': (c) => new BoundedRing(c),
  'least-rooms': (c) => new LeastRooms(c),
  packed: (c) => new Packed(c),
};

export function makeStrategy(name: StrategyName, ctx: StrategyContext): Strategy {
  return FACTORIES[name](ctx);
}
