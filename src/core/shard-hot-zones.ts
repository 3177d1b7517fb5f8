import { handleSlot } from './codes.ts';
import {
  ENT_STRIDE,
  E_NEXT,
  E_OPEN,
  E_RESERVED,
  E_SERVER,
  ZONE_STRIDE,
  Z_HEAD,
  Z_HOT_RESERVE,
  Z_HOT_SERVERS,
  Z_OPEN,
  ZoneChange,
} from './layout.ts';
import { acceptsJoins, releaseSeat, takeSeat } from './seats.ts';
import { pushZoneEvent } from './zone-event-ring.ts';
import { ShardPlacement } from './shard-placement.ts';

/**
 * Hot-zone plans (the plan lives in the zone row, so a respawned worker finds it again): a
 * zone whose joins surge is pre-split over several servers with seats held in reserve for it.
 */
export class ShardHotZones extends ShardPlacement {
  /**
   * Mitigation for a zone whose joins surge. With `servers` > 0: the zone is pre-split across
   * up to `servers` servers with room (picked as an overflow picks: neighbours' servers, the
   * bounded-load ring, the room list), its joins are spread over them by weight, `reserve`
   * seats are held for it (taken with the seat CAS, so never past a server's limit; other
   * zones cannot take them, its own joins use them first), and when nothing is left its joins
   * queue with a position (even with whenFull 'refuse'). The plan is kept up on every tick.
   * With `servers` = 0 the plan is lifted: unused reserved seats are released, servers the
   * zone holds no player on leave it at once, and the rest merge back by the usual rule.
   */
  setHotZone(zone: number, servers: number, reserve: number): void {
    if (zone >= this.maxZones || !this.ownsZone(zone)) return;
    const rows = this.z.rows;
    if (servers <= 0) {
      if (rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] !== 0) this.liftHotZone(zone);
      return;
    }
    rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] = servers;
    rows[zone * ZONE_STRIDE + Z_HOT_RESERVE] = reserve;
    this.hotZones.add(zone);
    this.keepHotZone(zone);
  }

  protected liftHotZone(zone: number): void {
    const s = this.s;
    const rows = this.z.rows;
    rows[zone * ZONE_STRIDE + Z_HOT_SERVERS] = 0;
    rows[zone * ZONE_STRIDE + Z_HOT_RESERVE] = 0;
    this.hotZones.delete(zone);
    for (let e = rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; ) {
      const next = s.entries[e * ENT_STRIDE + E_NEXT]!;
      this.releaseReserved(e, s.entries[e * ENT_STRIDE + E_RESERVED]!);
      if (this.entryCount(zone, e) === 0) this.removeEntry(zone, e);
      e = next;
    }
  }

  /**
   * Bring a hot zone to its plan: give back reserved seats it cannot use (server no longer
   * taking players, limit lowered under the count, plan lowered), re-open servers it was
   * leaving, grow onto more servers until `servers` are open, then top up the reserve.
   */
  protected keepHotZone(zone: number): void {
    const s = this.s;
    const t = this.t;
    const rows = this.z.rows;
    const zb = zone * ZONE_STRIDE;
    const servers = rows[zb + Z_HOT_SERVERS]!;
    const reserve = rows[zb + Z_HOT_RESERVE]!;
    let held = 0;
    // Open entries on servers that take players: a drained or silent server still holding the
    // zone's players stays open in Z_OPEN, but it is no longer one of the plan's servers.
    let taking = 0;
    for (let e = rows[zb + Z_HEAD]!; e >= 0; ) {
      const b = e * ENT_STRIDE;
      const next = s.entries[b + E_NEXT]!;
      const h = s.entries[b + E_SERVER]!;
      if (!acceptsJoins(t, h)) {
        this.releaseReserved(e, s.entries[b + E_RESERVED]!);
        if (this.entryCount(zone, e) === 0) this.removeEntry(zone, e);
      } else {
        const slot = handleSlot(h);
        const over = t.count[slot]! - t.limit[slot]!;
        if (over > 0) this.releaseReserved(e, Math.min(over, s.entries[b + E_RESERVED]!));
        if (s.entries[b + E_OPEN] !== 1) {
          s.entries[b + E_OPEN] = 1;
          rows[zb + Z_OPEN]! += 1;
          pushZoneEvent(s, zone, ZoneChange.split, rows[zb + Z_OPEN]!);
        }
        held += s.entries[b + E_RESERVED]!;
        taking++;
      }
      e = next;
    }
    for (let e = rows[zb + Z_HEAD]!; e >= 0 && held > reserve; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
      const n = Math.min(held - reserve, s.entries[e * ENT_STRIDE + E_RESERVED]!);
      this.releaseReserved(e, n);
      held -= n;
    }
    for (; taking < servers; taking++) {
      const h = this.overflow(zone);
      if (h < 0) break;
      // The seat the overflow took starts the new server's share of the reserve, if one is due.
      if (held < reserve) {
        this.holdReserved(this.entry, h);
        held++;
      } else {
        releaseSeat(t, h);
      }
    }
    while (held < reserve && this.reserveOne(zone)) held++;
  }

  /** Take one more reserved seat for a hot zone on its open server lowest in (players + reserve) per weight. */
  protected reserveOne(zone: number): boolean {
    const s = this.s;
    const t = this.t;
    const head = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!;
    const stamp = this.nextStamp();
    for (;;) {
      let best = -1;
      let bestKey = Infinity;
      for (let e = head; e >= 0; e = s.entries[e * ENT_STRIDE + E_NEXT]!) {
        const b = e * ENT_STRIDE;
        if (s.entries[b + E_OPEN] !== 1) continue;
        const h = s.entries[b + E_SERVER]!;
        const slot = handleSlot(h);
        if (this.tried[slot] === stamp || !acceptsJoins(t, h)) continue;
        if (t.count[slot]! >= t.limit[slot]!) continue;
        const key = (this.entryCount(zone, e) + s.entries[b + E_RESERVED]!) / t.weight[slot]!;
        if (key < bestKey) {
          bestKey = key;
          best = e;
        }
      }
      if (best < 0) return false;
      const h = s.entries[best * ENT_STRIDE + E_SERVER]!;
      if (takeSeat(t, handleSlot(h))) {
        this.holdReserved(best, h);
        return true;
      }
      this.tried[handleSlot(h)] = stamp;
    }
  }

  /** A server is being emptied: a hot zone gives back its reserve there and drops it if empty. */
  protected leaveServer(zone: number, slot: number): void {
    const s = this.s;
    for (let e = this.z.rows[zone * ZONE_STRIDE + Z_HEAD]!; e >= 0; ) {
      const next = s.entries[e * ENT_STRIDE + E_NEXT]!;
      if (handleSlot(s.entries[e * ENT_STRIDE + E_SERVER]!) === slot) {
        this.releaseReserved(e, s.entries[e * ENT_STRIDE + E_RESERVED]!);
        if (this.entryCount(zone, e) === 0) this.removeEntry(zone, e);
      }
      e = next;
    }
  }
}
