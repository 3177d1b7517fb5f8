import { EMPTY_KEY, dirKey, type ShardState } from './layout.ts';
import { mix32 } from './hash.ts';

/**
 * Player id → record index, an open-addressing table with linear probing in shared memory
 * (key at [2i], record at [2i + 1]). The key is the id + 1 (dirKey), so that a table of zeros,
 * as allocated, is empty (EMPTY_KEY). Only the owning shard writes it. Deletion shifts later
 * entries back instead of leaving tombstones, so a long-running shard with players coming
 * and going never degrades.
 *
 * The home slot keeps an id's low 3 bits and hashes the rest (homeSlot): ids that differ only
 * in those bits share one 64-byte line (8 slots of 8 bytes), so players numbered in sequence,
 * as accounts usually are, cost one cache miss per 8 instead of one each. Everything above the
 * low 3 bits is mixed, so structured ids (multiples of 2^k, a shard number in the high bits)
 * still spread over the whole table: at worst eight ids share a line and probe within it.
 */

/** Directory slot where the search for `player` starts. */
export function homeSlot(player: number, mask: number): number {
  return ((mix32(player >>> 3) << 3) | (player & 7)) & mask;
}

/** Directory slot of a player (≥ 0), or -1 - the empty slot where it would be inserted. */
export function probe(dir: Int32Array, mask: number, player: number): number {
  const key = dirKey(player);
  let i = homeSlot(player, mask);
  for (;;) {
    const k = dir[i << 1]!;
    if (k === key) return i;
    if (k === EMPTY_KEY) return -1 - i;
    i = (i + 1) & mask;
  }
}

/** Directory slot of a player, or -1. */
export function findSlot(s: ShardState, player: number): number {
  const i = probe(s.directory, s.directoryMask, player);
  return i < 0 ? -1 : i;
}

/** Record of a player, or -1. */
export function findPlayer(s: ShardState, player: number): number {
  const i = probe(s.directory, s.directoryMask, player);
  return i < 0 ? -1 : s.directory[(i << 1) + 1]!;
}

export function insertPlayer(s: ShardState, player: number, record: number): void {
  const i = probe(s.directory, s.directoryMask, player);
  insertAt(s.directory, i < 0 ? -1 - i : i, player, record);
}

/** Fill an empty slot found by probe() (nothing may have been inserted since). */
function insertAt(dir: Int32Array, slot: number, player: number, record: number): void {
  dir[slot << 1] = dirKey(player);
  dir[(slot << 1) + 1] = record;
}

export function removePlayer(s: ShardState, player: number): void {
  const hole = findSlot(s, player);
  if (hole >= 0) removeAt(s.directory, s.directoryMask, hole);
}

/** Empty slot `hole` and shift back the entries after it that a lookup would no longer reach. */
export function removeAt(dir: Int32Array, mask: number, hole: number): void {
  dir[hole << 1] = EMPTY_KEY;
  let j = (hole + 1) & mask;
  // homeSlot() of each entry after the hole, reusing the hash of the last id's high part:
  // the entries of a run are mostly ids in sequence, which share it eight at a time.
  let high = -1;
  let mixed = 0;
  while (dir[j << 1] !== EMPTY_KEY) {
    const id = (dir[j << 1]! - 1) >>> 0;
    if (id >>> 3 !== high) {
      high = id >>> 3;
      mixed = mix32(high) << 3;
    }
    const home = (mixed | (id & 7)) & mask;
    // The entry at j may move into the hole only if its home slot is not cyclically inside
    // (hole, j]: otherwise a lookup starting at its home would stop at the hole and miss it.
    const inside = hole <= j ? home > hole && home <= j : home > hole || home <= j;
    if (!inside) {
      dir[hole << 1] = dir[j << 1]!;
      dir[(hole << 1) + 1] = dir[(j << 1) + 1]!;
      dir[j << 1] = EMPTY_KEY;
      hole = j;
    }
    j = (j + 1) & mask;
  }
}

/** Empty the directory (used by repair before re-inserting every live record). */
export function clearDirectory(s: ShardState): void {
  s.directory.fill(EMPTY_KEY);
}
