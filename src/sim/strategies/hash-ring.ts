import { mix2 } from '../../core/hash.ts';
import { EMPTY_RING, buildRing, ringStart, type Ring } from '../../core/ring.ts';
import { Baseline } from './baseline.ts';

/** Ring points per unit of weight (the engine's default too). */
const POINTS_PER_WEIGHT = 40;

/** The zone's key on the ring: the same for every player of the zone. */
export function zoneKey(zone: number): number {
  return mix2(zone, 0x7a6f6e65);
}

/** A weighted consistent-hash ring over the open servers (slot = simulator server index). */
export abstract class RingBaseline extends Baseline {
  protected ring: Ring = EMPTY_RING;

  protected override membershipChanged(): void {
    this.ring = buildRing(
      this.open.map((s) => ({ slot: s.index, generation: 0, weight: s.weight })),
      POINTS_PER_WEIGHT,
    );
  }

  override move(player: number, zone: number): number {
    return this.choose(player, zone);
  }
}

/** Consistent hashing on the zone key: a zone always lives on one server, whatever its load. */
export class HashRing extends RingBaseline {
  readonly name = 'ring';

  protected choose(_player: number, zone: number): number {
    return this.ring.slots[ringStart(this.ring, zoneKey(zone))]!;
  }
}
