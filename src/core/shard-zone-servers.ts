import {
  ENT_STRIDE,
  E_NEXT,
  E_OPEN,
  E_SERVER,
  ZONE_STRIDE,
  Z_HEAD,
  Z_OPEN,
  Z_PRIMARY,
  ZoneChange,
} from './layout.ts';
import { pushZoneEvent } from './zone-event-ring.ts';
import { ShardStore } from './shard-store.ts';

/**
 * Which of a zone's servers take its new joins (open) and which it is leaving (closed), and
 * which one is its primary: the operations the placement, merge and line layers share.
 */
export class ShardZoneServers extends ShardStore {
  /** The zone's entry on server `h`, or -1. */
  protected entryOn(zone: number, h: number): number {
    const ent = this.s.entries;
    for (let e = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; e = ent[e * ENT_STRIDE + E_NEXT]!) {
      if (ent[e * ENT_STRIDE + E_SERVER] === h) return e;
    }
    return -1;
  }

  /** Open a closed entry of the zone to new joins again. */
  protected reopenEntry(zone: number, e: number): void {
    this.s.entries[e * ENT_STRIDE + E_OPEN] = 1;
    const open = (this.z.rows[zone * ZONE_STRIDE + Z_OPEN]! += 1);
    pushZoneEvent(this.s, zone, ZoneChange.split, open);
  }

  /** Close an open entry of the zone to new joins (it leaves the zone as its players do). */
  protected closeEntry(zone: number, e: number): void {
    this.s.entries[e * ENT_STRIDE + E_OPEN] = 0;
    const open = (this.z.rows[zone * ZONE_STRIDE + Z_OPEN]! -= 1);
    if (e === this.z.rows[zone * ZONE_STRIDE + Z_HEAD]) this.promoteOpen(zone);
    pushZoneEvent(this.s, zone, ZoneChange.merged, open);
  }

  /**
   * Removing the zone's first entry (its last player left, or its server died) may leave a
   * closed one first while others are open: the primary must stay a server taking its joins.
   */
  protected override removeEntry(zone: number, e: number): void {
    const rows = this.z.rows;
    const wasHead = rows[zone * ZONE_STRIDE + Z_HEAD] === e;
    super.removeEntry(zone, e);
    const head = rows[zone * ZONE_STRIDE + Z_HEAD]!;
    if (wasHead && head >= 0 && this.s.entries[head * ENT_STRIDE + E_OPEN] !== 1) this.promoteOpen(zone);
  }

  /**
   * Make the zone's open entry with the most players its head, so that its server is the
   * zone's primary (the server other zones look to when they grow next to it). Order of the
   * other entries is of no consequence (repair rebuilds the list in any order).
   */
  protected promoteOpen(zone: number): void {
    const ent = this.s.entries;
    const rows = this.z.rows;
    const head = rows[zone * ZONE_STRIDE + Z_HEAD]!;
    let best = -1;
    let bestPrev = -1;
    let most = -1;
    for (let prev = -1, e = head; e >= 0; prev = e, e = ent[e * ENT_STRIDE + E_NEXT]!) {
      if (ent[e * ENT_STRIDE + E_OPEN] !== 1) continue;
      const n = this.entryCount(zone, e);
      if (n > most) {
        most = n;
        best = e;
        bestPrev = prev;
      }
    }
    if (best < 0 || best === head) return;
    ent[bestPrev * ENT_STRIDE + E_NEXT] = ent[best * ENT_STRIDE + E_NEXT]!;
    ent[best * ENT_STRIDE + E_NEXT] = head;
    rows[zone * ZONE_STRIDE + Z_HEAD] = best;
    Atomics.store(rows, zone * ZONE_STRIDE + Z_PRIMARY, ent[best * ENT_STRIDE + E_SERVER]!);
  }
}
