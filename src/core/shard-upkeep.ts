import { NO_SERVER, Reason } from './codes.ts';
import { REC_STRIDE, R_NEXT, R_PLAYER, R_SERVER, R_STAMP, R_STATE, R_ZONE, PlayerState, ShardCounter } from './layout.ts';
import { ShardMerge } from './shard-merge.ts';

/**
 * Background work, on each tick and on control-plane commands: reservations expire, the line
 * is admitted, split zones merge back, and a failed or drained server's players are re-placed.
 */
export class ShardUpkeep extends ShardMerge {
  /** Report expired reservations as events (the sharded engine uses them to forget players). */
  reportExpiries = false;

  /** Expire reservations, admit queued players, close servers of zones that shrank. */
  tick(now: number): void {
    this.seatsSinceTick = 0;
    this.expire(now);
    // Hot zones first: their reserves are topped up before the line takes the free seats.
    for (const zone of this.hotZones) this.keepHotZone(zone);
    this.admitQueued();
    this.mergeZones();
  }

  protected expire(now: number): void {
    const s = this.s;
    const c = s.counters;
    while (c[ShardCounter.expiryLength]! > 0) {
      const at = c[ShardCounter.expiryHead]!;
      if (s.expiryTime[at]! > now) break;
      c[ShardCounter.expiryHead] = at + 1 === s.recordCapacity ? 0 : at + 1;
      c[ShardCounter.expiryLength]! -= 1;
      const r = s.expiryRecord[at]!;
      if (s.records[r * REC_STRIDE + R_STATE] === PlayerState.Reserved && s.records[r * REC_STRIDE + R_STAMP] === s.expiryStamp[at]) {
        if (this.reportExpiries) this.events.push(s.records[r * REC_STRIDE + R_PLAYER]! >>> 0, s.records[r * REC_STRIDE + R_SERVER]!, NO_SERVER, s.records[r * REC_STRIDE + R_ZONE]!, Reason.Expired);
        this.releaseRecord(r);
      }
    }
  }

  /**
   * Admit this shard's line in order while its first player finds a seat. The first in line
   * that cannot be placed stops it: nobody behind it jumps ahead. Returns how many it seated.
   */
  admitQueued(): number {
    const rec = this.s.records;
    let admitted = 0;
    for (let r = this.line.first(); r >= 0; r = this.line.first()) {
      const zone = rec[r * REC_STRIDE + R_ZONE]!;
      const h = this.findSeat(zone);
      if (h < 0) return admitted;
      // Out of the line's counts first (they read its ring slot, which link() overwrites),
      // then seated, then Active: a worker dying in between leaves it queued, its seat given
      // back by repair, and the counts recomputed (shard-repair.ts).
      this.line.remove(r);
      this.link(r, zone, this.entry, h);
      rec[r * REC_STRIDE + R_STATE] = PlayerState.Active;
      this.line.shift();
      this.events.push(rec[r * REC_STRIDE + R_PLAYER]! >>> 0, NO_SERVER, h, zone, Reason.Admitted);
      admitted++;
    }
    return admitted;
  }

  /**
   * Re-place this shard's players of a server (crashed, drained or removed). Players that
   * find no seat are queued (event with new server -1) or, when the queue is off, lost.
   * With `onlyIfRoom`, players that find no seat stay where they are (a drain).
   */
  evacuate(slot: number, reason: Reason, onlyIfRoom: boolean): void {
    const s = this.s;
    // Hot zones' reserved seats there are of no use now, and their empty entries must go; so
    // must the empty entry of a zone that was moving onto the server (ShardMerge).
    for (const zone of this.hotZones) this.leaveServer(zone, slot);
    if (!onlyIfRoom) for (const zone of this.movingZones) this.dropEmptyOn(zone, slot);
    let r = s.serverHead[slot]!;
    while (r >= 0) {
      const next = s.records[r * REC_STRIDE + R_NEXT]!;
      const player = s.records[r * REC_STRIDE + R_PLAYER]! >>> 0;
      const zone = s.records[r * REC_STRIDE + R_ZONE]!;
      if (s.records[r * REC_STRIDE + R_STATE] === PlayerState.Reserved) {
        if (!onlyIfRoom) this.releaseRecord(r);
        r = next;
        continue;
      }
      const old = s.records[r * REC_STRIDE + R_SERVER]!;
      if (onlyIfRoom) {
        const h = this.findSeat(zone);
        if (h >= 0) {
          const e = this.entry;
          this.detach(r);
          this.link(r, zone, e, h);
          this.giveBack(old);
          this.events.push(player, old, h, zone, reason);
        }
      } else {
        this.detach(r);
        this.giveBack(old);
        const h = this.findSeat(zone);
        if (h >= 0) {
          this.link(r, zone, this.entry, h);
          this.events.push(player, old, h, zone, reason);
        } else if (this.queueOn && this.enqueue(r, zone)) {
          this.events.push(player, old, NO_SERVER, zone, reason);
        } else {
          this.freeRecord(r);
          this.events.push(player, old, NO_SERVER, zone, Reason.Lost);
        }
      }
      r = next;
    }
  }
}
