import { handleGeneration, handleSlot } from './codes.ts';
import { zoneShard } from './hash.ts';
import {
  ENT_STRIDE,
  E_COUNT,
  E_NEXT,
  E_OPEN,
  E_RESERVED,
  E_SERVER,
  E_ZONE,
  PlayerState,
  REC_STRIDE,
  R_ENTRY,
  R_NEXT,
  R_PLAYER,
  R_PREV,
  R_SERVER,
  R_STATE,
  R_ZONE,
  ShardCounter,
  TotalField,
  ZONE_STRIDE,
  Z_ENTRIES,
  Z_HEAD,
  Z_OPEN,
  Z_POPULATION,
  Z_PRIMARY,
  type ServerTable,
  type ShardState,
  type ZoneTable,
} from './layout.ts';
import { clearDirectory, insertPlayer } from './player-directory.ts';
import { rebuildQueue } from './shard-queue.ts';

/**
 * Rebuilds a shard's derived state from its player records after its worker died, possibly
 * in the middle of a request. The records (who is where) are the truth; the directory, the
 * per-server lists, the zone entries' counts, the zone lists and populations, the free lists,
 * the line's counts and the shard's share of each server's seat count are recomputed from them.
 *
 * Seats: the shard's share per server (`serverSeats`) is kept in step with the shared count
 * in an order that makes any interrupted update err on the safe side. The difference between
 * the recomputed share and the stored one is applied to the shared count, which gives back a
 * seat taken for a record that was never written, and at worst leaves one seat taken that no
 * player uses (never one too few, so a server is never over-filled).
 */
export function repairShard(t: ServerTable, z: ZoneTable, s: ShardState, index: number, shards: number): void {
  const c = s.counters;
  const rec = s.records;
  const ent = s.entries;
  const rows = z.rows;
  const high = c[ShardCounter.recordHigh]!;
  const entryHigh = c[ShardCounter.entryHigh]!;
  const seats = new Int32Array(t.capacity);

  clearDirectory(s);
  s.serverHead.fill(-1);
  for (let e = 0; e < entryHigh; e++) ent[e * ENT_STRIDE + E_COUNT] = 0;

  let freeRecords = 0;
  let queued = 0;
  for (let r = 0; r < high; r++) {
    const base = r * REC_STRIDE;
    const st = rec[base + R_STATE];
    if (st === PlayerState.Free) {
      s.freeRecord[freeRecords++] = r;
      continue;
    }
    if (st === PlayerState.Queued) {
      insertPlayer(s, rec[base + R_PLAYER]! >>> 0, r);
      queued++;
      continue;
    }
    const h = rec[base + R_SERVER]!;
    const slot = handleSlot(h);
    const zone = rec[base + R_ZONE]!;
    let e = rec[base + R_ENTRY]!;
    if (h < 0 || zone < 0 || t.generation[slot] !== handleGeneration(h)) {
      // Half-written or pointing at a server slot that has since been reused: drop it.
      rec[base + R_STATE] = PlayerState.Free;
      s.freeRecord[freeRecords++] = r;
      continue;
    }
    if (e < 0 || e >= entryHigh || ent[e * ENT_STRIDE + E_ZONE] !== zone || ent[e * ENT_STRIDE + E_SERVER] !== h) {
      e = findOrMakeEntry(s, zone, h);
    }
    // Only records that survived the checks above are findable again.
    insertPlayer(s, rec[base + R_PLAYER]! >>> 0, r);
    rec[base + R_ENTRY] = e;
    ent[e * ENT_STRIDE + E_COUNT]! += 1;
    seats[slot]! += 1;
    const head = s.serverHead[slot]!;
    rec[base + R_PREV] = -1;
    rec[base + R_NEXT] = head;
    if (head >= 0) rec[head * REC_STRIDE + R_PREV] = r;
    s.serverHead[slot] = r;
  }
  c[ShardCounter.freeRecords] = freeRecords;
  Atomics.add(t.totals, TotalField.queued, queued - Atomics.load(c, ShardCounter.queued));
  Atomics.store(c, ShardCounter.queued, queued);
  rebuildQueue(s);

  // Zone lists, populations and free entries, from the entries in use.
  for (let zone = 0; zone < z.capacity; zone++) {
    if (zoneShard(zone, shards) !== index) continue;
    const row = zone * ZONE_STRIDE;
    rows[row + Z_HEAD] = -1;
    rows[row + Z_ENTRIES] = 0;
    rows[row + Z_OPEN] = 0;
    rows[row + Z_POPULATION] = 0;
  }
  let freeEntries = 0;
  for (let e = c[ShardCounter.entryHigh]! - 1; e >= 0; e--) {
    const base = e * ENT_STRIDE;
    const zone = ent[base + E_ZONE]!;
    // Hot-zone reserved seats are the shard's too: kept (and counted) while their server
    // incarnation lives, forgotten otherwise (a reused slot's count is not ours).
    const rh = ent[base + E_SERVER]!;
    if (zone < 0 || rh < 0 || t.generation[handleSlot(rh)] !== handleGeneration(rh)) ent[base + E_RESERVED] = 0;
    else seats[handleSlot(rh)]! += ent[base + E_RESERVED]!;
    if (zone < 0 || (ent[base + E_COUNT] === 0 && ent[base + E_RESERVED] === 0)) {
      ent[base + E_ZONE] = -1;
      s.freeEntry[freeEntries++] = e;
      continue;
    }
    const row = zone * ZONE_STRIDE;
    ent[base + E_NEXT] = rows[row + Z_HEAD]!;
    rows[row + Z_HEAD] = e;
    rows[row + Z_ENTRIES]! += 1;
    if (ent[base + E_OPEN] === 1) rows[row + Z_OPEN]! += 1;
    rows[row + Z_POPULATION]! += ent[base + E_COUNT]!;
  }
  c[ShardCounter.freeEntries] = freeEntries;
  for (let zone = 0; zone < z.capacity; zone++) {
    if (zoneShard(zone, shards) !== index) continue;
    const row = zone * ZONE_STRIDE;
    const head = rows[row + Z_HEAD]!;
    if (head >= 0 && rows[row + Z_OPEN] === 0) {
      ent[head * ENT_STRIDE + E_OPEN] = 1;
      rows[row + Z_OPEN] = 1;
    }
    Atomics.store(rows, row + Z_PRIMARY, head >= 0 ? ent[head * ENT_STRIDE + E_SERVER]! : -1);
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
  const ent = s.entries;
  for (let e = 0; e < c[ShardCounter.entryHigh]!; e++) {
    if (ent[e * ENT_STRIDE + E_ZONE] === zone && ent[e * ENT_STRIDE + E_SERVER] === h) return e;
  }
  const e = c[ShardCounter.entryHigh]!++;
  ent[e * ENT_STRIDE + E_ZONE] = zone;
  ent[e * ENT_STRIDE + E_SERVER] = h;
  ent[e * ENT_STRIDE + E_OPEN] = 1;
  ent[e * ENT_STRIDE + E_COUNT] = 0;
  return e;
}
