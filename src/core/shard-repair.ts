import { handleGeneration, handleSlot } from './codes.ts';
import { zoneShard } from './hash.ts';
import { PlayerState, ShardCounter, type ServerTable, type ShardState, type ZoneTable } from './layout.ts';
import { clearDirectory, insertPlayer } from './player-directory.ts';

/**
 * Rebuilds a shard's derived state from its player records after its worker died, possibly
 * in the middle of a request. The records (who is where) are the truth; the directory, the
 * per-server lists, the zone entries' counts, the zone lists and populations, the free lists
 * and the shard's share of each server's seat count are recomputed from them.
 *
 * Seats: the shard's share per server (`serverSeats`) is kept in step with the shared count
 * in an order that makes any interrupted update err on the safe side. The difference between
 * the recomputed share and the stored one is applied to the shared count, which gives back a
 * seat taken for a record that was never written, and at worst leaves one seat taken that no
 * player uses (never one too few, so a server is never over-filled).
 */
export function repairShard(t: ServerTable, z: ZoneTable, s: ShardState, index: number, shards: number): void {
  const c = s.counters;
  const high = c[ShardCounter.recordHigh]!;
  const entryHigh = c[ShardCounter.entryHigh]!;
  const seats = new Int32Array(t.capacity);

  clearDirectory(s);
  s.serverHead.fill(-1);
  for (let e = 0; e < entryHigh; e++) s.entCount[e] = 0;

  let freeRecords = 0;
  let queued = 0;
  for (let r = 0; r < high; r++) {
    const st = s.recState[r];
    if (st === PlayerState.Free) {
      s.freeRecord[freeRecords++] = r;
      continue;
    }
    insertPlayer(s, s.recPlayer[r]! >>> 0, r);
    if (st === PlayerState.Queued) {
      queued++;
      continue;
    }
    const h = s.recServer[r]!;
    const slot = handleSlot(h);
    const zone = s.recZone[r]!;
    let e = s.recEntry[r]!;
    if (h < 0 || zone < 0 || t.generation[slot] !== handleGeneration(h)) {
      // Half-written or pointing at a server slot that has since been reused: drop it.
      s.recState[r] = PlayerState.Free;
      s.freeRecord[freeRecords++] = r;
      continue;
    }
    if (e < 0 || e >= entryHigh || s.entZone[e] !== zone || s.entServer[e] !== h) e = findOrMakeEntry(s, zone, h);
    s.recEntry[r] = e;
    s.entCount[e]! += 1;
    seats[slot]! += 1;
    const head = s.serverHead[slot]!;
    s.recPrev[r] = -1;
    s.recNext[r] = head;
    if (head >= 0) s.recPrev[head] = r;
    s.serverHead[slot] = r;
  }
  c[ShardCounter.freeRecords] = freeRecords;
  c[ShardCounter.queued] = queued;

  // Zone lists, populations and free entries, from the entries in use.
  for (let zone = 0; zone < z.capacity; zone++) {
    if (zoneShard(zone, shards) !== index) continue;
    z.head[zone] = -1;
    z.entries[zone] = 0;
    z.open[zone] = 0;
    z.population[zone] = 0;
  }
  let freeEntries = 0;
  for (let e = c[ShardCounter.entryHigh]! - 1; e >= 0; e--) {
    const zone = s.entZone[e]!;
    if (zone < 0 || s.entCount[e] === 0) {
      s.entZone[e] = -1;
      s.freeEntry[freeEntries++] = e;
      continue;
    }
    s.entNext[e] = z.head[zone]!;
    z.head[zone] = e;
    z.entries[zone]! += 1;
    if (s.entOpen[e] === 1) z.open[zone]! += 1;
    z.population[zone]! += s.entCount[e]!;
  }
  c[ShardCounter.freeEntries] = freeEntries;
  for (let zone = 0; zone < z.capacity; zone++) {
    if (zoneShard(zone, shards) !== index) continue;
    const head = z.head[zone]!;
    if (head >= 0 && z.open[zone] === 0) {
      s.entOpen[head] = 1;
      z.open[zone] = 1;
    }
    Atomics.store(z.primary, zone, head >= 0 ? s.entServer[head]! : -1);
  }

  for (let slot = 0; slot < t.capacity; slot++) {
    const delta = seats[slot]! - s.serverSeats[slot]!;
    if (delta !== 0) Atomics.add(t.count, slot, delta);
    s.serverSeats[slot] = seats[slot]!;
  }
  Atomics.store(c, ShardCounter.busy, 0);
}

function findOrMakeEntry(s: ShardState, zone: number, h: number): number {
  const c = s.counters;
  for (let e = 0; e < c[ShardCounter.entryHigh]!; e++) {
    if (s.entZone[e] === zone && s.entServer[e] === h) return e;
  }
  const e = c[ShardCounter.entryHigh]!++;
  s.entZone[e] = zone;
  s.entServer[e] = h;
  s.entOpen[e] = 1;
  s.entCount[e] = 0;
  return e;
}
