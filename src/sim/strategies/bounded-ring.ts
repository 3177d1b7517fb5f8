import { ringStart } from '../../core/ring.ts';
import { RingBaseline, zoneKey } from './hash-ring.ts';

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam): walk the ring from
 * the zone's key and take the first server whose load stays within (1 + ε) × the mean,
 * weighted. Loads count players, the only load a hashing balancer knows.
 */
export class BoundedRing extends RingBaseline {
  readonly name = 'bounded-ring';

  protected choose(_player: number, zone: number): number {
    const ring = this.ring;
    let players = 1;
    let weight = 0;
    for (const s of this.open) {
      players += s.players;
      weight += s.weight;
    }
    const bound = (1 + this.ctx.scenario.baselines.epsilon) * (players / weight);
    const servers = this.ctx.servers;
    const n = ring.points.length;
    let i = ringStart(ring, zoneKey(zone));
    for (let k = 0; k < n; k++) {
      const s = servers[ring.slots[i]!]!;
      if (s.players + 1 <= Math.ceil(bound * s.weight)) return s.index;
      if (++i === n) i = 0;
    }
    return ring.slots[ringStart(ring, zoneKey(zone))]!;
  }
}
