import { handleSlot } from './codes.ts';
import {
  ENT_STRIDE,
  E_COUNT,
  E_NEXT,
  E_OPEN,
  E_RESERVED,
  E_SERVER,
  ZONE_STRIDE,
  Z_HEAD,
  Z_HOT_SERVERS,
  Z_OPEN,
  Z_POPULATION,
  Z_PRIMARY,
  ZoneChange,
} from './layout.ts';
import { acceptsJoins } from './seats.ts';
import { pushZoneEvent } from './zone-event-ring.ts';
import { ShardHotZones } from './shard-hot-zones.ts';
import type { ShardViews } from './shard-store.ts';
import type { EngineOptions } from './options.ts';

/** Servers that may be promised to moving zones in one tick (more wait for the next tick). */
const PROMISES_PER_TICK = 64;

/**
 * Split zones merging back, on each tick. A zone that fits in fewer of its servers closes the
 * least filled one to new joins; a zone none of whose servers could hold all of it moves its
 * new joins to one that can, near its neighbours. A closed server leaves the zone as its
 * players do (they walk on or log off, and walkers into the zone follow its open servers):
 * existing players are never moved for a merge.
 */
export class ShardMerge extends ShardHotZones {
  /** Zones that moved onto a server none of their players had reached yet (an empty entry). */
  protected readonly movingZones = new Set<number>();
  /** Seats promised this tick to zones moving onto each server (its count does not show them yet). */
  private readonly promised: Int32Array;
  private readonly promisedSlots = new Int32Array(PROMISES_PER_TICK);
  private promises = 0;

  constructor(views: ShardViews, index: number, shards: number, options: EngineOptions) {
    super(views, index, shards, options);
    this.promised = new Int32Array(this.t.capacity);
  }

  protected mergeZones(): void {
    const rows = this.z.rows;
    for (const zone of this.movingZones) if (!this.dropDeadEmpty(zone)) this.movingZones.delete(zone);
    for (const zone of this.splitZones) {
      // A hot zone stays split as planned; it merges by these same rules once lifted.
      if (rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] !== 0 || rows[zone * ZONE_STRIDE + Z_OPEN]! <= 1) continue;
      if (!this.closeOne(zone)) this.consolidate(zone);
    }
    for (let i = 0; i < this.promises; i++) this.promised[this.promisedSlots[i]!] = 0;
    this.promises = 0;
  }

  /**
   * Close the zone's open server with the fewest zone players per weight (one that no longer
   * takes joins first, the zone's first server included) when the zone's population fits in
   * the others at mergeBelow of their room (zone players there plus free seats): the zone
   * keeps its best-filled servers. The gap between "split when every server is full" and
   * "merge at mergeBelow" is the hysteresis that keeps a zone at the edge from flapping.
   */
  protected closeOne(zone: number): boolean {
    const ent = this.s.entries;
    const t = this.t;
    const head = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!;
    let victim = -1;
    let victimKey = Infinity;
    let victimSeats = 0;
    let capacity = 0;
    for (let e = head; e >= 0; e = ent[e * ENT_STRIDE + E_NEXT]!) {
      if (ent[e * ENT_STRIDE + E_OPEN] !== 1) continue;
      const h = ent[e * ENT_STRIDE + E_SERVER]!;
      const slot = handleSlot(h);
      const players = ent[e * ENT_STRIDE + E_COUNT]!;
      const taking = acceptsJoins(t, h);
      const seats = players + (taking ? Math.max(0, t.limit[slot]! - t.count[slot]!) : 0);
      capacity += seats;
      const key = taking ? players / t.weight[slot]! : -1;
      // Ties: the server with fewer seats for the zone closes; the zone's first server last.
      if (key < victimKey || (key === victimKey && (seats < victimSeats || (seats === victimSeats && victim === head)))) {
        victimKey = key;
        victim = e;
        victimSeats = seats;
      }
    }
    if (victim < 0 || this.z.rows[zone * ZONE_STRIDE + Z_POPULATION]! > this.mergeBelow * (capacity - victimSeats)) return false;
    this.closeEntry(zone, victim);
    return true;
  }

  /**
   * Move a split zone's new joins to one server that can hold all of it at mergeBelow (free
   * seats plus the zone's players there): of the zone's own servers and its neighbours'
   * primaries, the one holding the most neighbouring players (walkers across the border stay
   * on it), then the one with the most room. Every other server of the zone closes. Servers
   * near no neighbour are not considered: a zone moved away from its neighbours would hand
   * off most of the players walking in and out of it.
   */
  protected consolidate(zone: number): void {
    if (this.promises === PROMISES_PER_TICK) return;
    const ent = this.s.entries;
    const t = this.t;
    const z = this.z;
    const population = z.rows[zone * ZONE_STRIDE + Z_POPULATION]!;
    this.neighbourRange(zone);
    const list = this.nearList;
    const to = this.nearTo;
    let best = -1;
    let bestNear = -1;
    let bestRoom = 0;
    let bestHere = 0;
    // Candidates: the zone's own servers (entries), then its neighbours' primaries.
    let e = z.rows[zone * ZONE_STRIDE + Z_HEAD]!;
    for (let i = this.nearFrom; e >= 0 || i < to; ) {
      let h: number;
      if (e >= 0) {
        h = ent[e * ENT_STRIDE + E_SERVER]!;
        e = ent[e * ENT_STRIDE + E_NEXT]!;
      } else {
        const n = list[i++]!;
        if (n < 0) continue;
        h = z.rows[n * ZONE_STRIDE + Z_PRIMARY]!;
        if (h < 0) continue;
      }
      if (!acceptsJoins(t, h)) continue;
      const slot = handleSlot(h);
      const on = this.entryOn(zone, h);
      const here = on >= 0 ? ent[on * ENT_STRIDE + E_COUNT]! : 0;
      const room = t.limit[slot]! - t.count[slot]! - this.promised[slot]! + here;
      if (population > this.mergeBelow * room) continue;
      const near = this.neighboursOn(h);
      if (near > bestNear || (near === bestNear && room > bestRoom)) {
        best = h;
        bestNear = near;
        bestRoom = room;
        bestHere = here;
      }
    }
    if (best < 0) return;
    let target = this.entryOn(zone, best);
    if (target < 0) {
      target = this.newEntry(zone, best);
      if (target < 0) return;
      this.movingZones.add(zone);
    } else if (ent[target * ENT_STRIDE + E_OPEN] !== 1) {
      this.reopenEntry(zone, target);
    }
    for (let x = z.rows[zone * ZONE_STRIDE + Z_HEAD]!; x >= 0; x = ent[x * ENT_STRIDE + E_NEXT]!) {
      if (x === target || ent[x * ENT_STRIDE + E_OPEN] !== 1) continue;
      ent[x * ENT_STRIDE + E_OPEN] = 0;
      z.rows[zone * ZONE_STRIDE + Z_OPEN]! -= 1;
    }
    this.promoteOpen(zone);
    pushZoneEvent(this.s, zone, ZoneChange.merged, z.rows[zone * ZONE_STRIDE + Z_OPEN]!);
    const slot = handleSlot(best);
    if (this.promised[slot] === 0) this.promisedSlots[this.promises++] = slot;
    this.promised[slot]! += Math.max(1, population - bestHere);
  }

  /** Drop the zone's entry on server `slot` if it holds no player and no reserved seat. */
  protected dropEmptyOn(zone: number, slot: number): void {
    const ent = this.s.entries;
    for (let e = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = ent[e * ENT_STRIDE + E_NEXT]!) {
      if (handleSlot(ent[e * ENT_STRIDE + E_SERVER]!) !== slot) continue;
      if (this.entryCount(zone, e) === 0 && ent[e * ENT_STRIDE + E_RESERVED] === 0) this.removeEntry(zone, e);
      return;
    }
  }

  /**
   * A moving zone's entries with no player and no reserved seat on a server that no longer
   * takes joins (it stopped taking players before any arrived): nothing else would remove
   * them, since a zone's entry goes when its last player does. Returns whether the zone still
   * has an empty entry (on a server taking joins).
   */
  protected dropDeadEmpty(zone: number): boolean {
    const ent = this.s.entries;
    let empty = false;
    for (let e = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; ) {
      const next = ent[e * ENT_STRIDE + E_NEXT]!;
      if (this.entryCount(zone, e) === 0 && ent[e * ENT_STRIDE + E_RESERVED] === 0) {
        if (acceptsJoins(this.t, ent[e * ENT_STRIDE + E_SERVER]!)) empty = true;
        else this.removeEntry(zone, e);
      }
      e = next;
    }
    return empty;
  }
}
