import { EMPTY_KEY, type ShardState } from './layout.ts';
import { mix32 } from './hash.ts';

/**
 * Player id → record index, an open-addressing table with linear probing in shared memory.
 * Only the owning shard writes it. Deletion shifts later entries back instead of leaving
 * tombstones, so a long-running shard with players coming and going never degrades.
 */

export function findPlayer(s: ShardState, player: number): number {
  const keys = s.dirKey;
  const mask = s.directoryMask;
  const key = player | 0;
  let i = mix32(player) & mask;
  for (;;) {
    const k = keys[i]!;
    if (k === key) return s.dirRecord[i]!;
    if (k === EMPTY_KEY) return -1;
    i = (i + 1) & mask;
  }
}

export function insertPlayer(s: ShardState, player: number, record: number): void {
  const keys = s.dirKey;
  const mask = s.directoryMask;
  let i = mix32(player) & mask;
  while (keys[i] !== EMPTY_KEY) i = (i + 1) & mask;
  keys[i] = player | 0;
  s.dirRecord[i] = record;
  s.recDir[record] = i;
}

export function removePlayer(s: ShardState, record: number): void {
  const keys = s.dirKey;
  const values = s.dirRecord;
  const mask = s.directoryMask;
  let hole = s.recDir[record]!;
  keys[hole] = EMPTY_KEY;
  let j = (hole + 1) & mask;
  while (keys[j] !== EMPTY_KEY) {
    const home = mix32(keys[j]! >>> 0) & mask;
    // The entry at j may move into the hole only if its home slot is not cyclically inside
    // (hole, j]: otherwise a lookup starting at its home would stop at the hole and miss it.
    const inside = hole <= j ? home > hole && home <= j : home > hole || home <= j;
    if (!inside) {
      keys[hole] = keys[j]!;
      const moved = values[j]!;
      values[hole] = moved;
      s.recDir[moved] = hole;
      keys[j] = EMPTY_KEY;
      hole = j;
    }
    j = (j + 1) & mask;
  }
}

/** Empty the directory (used by repair before re-inserting every live record). */
export function clearDirectory(s: ShardState): void {
  s.dirKey.fill(EMPTY_KEY);
}
