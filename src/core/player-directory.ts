import { EMPTY_KEY, type ShardState } from './layout.ts';
import { mix32 } from './hash.ts';

/**
 * Player id → record index, an open-addressing table with linear probing in shared memory
 * (key at [2i], record at [2i + 1]). Only the owning shard writes it. Deletion shifts later
 * entries back instead of leaving tombstones, so a long-running shard with players coming
 * and going never degrades.
 */

/** Directory slot of a player, or -1. */
export function findSlot(s: ShardState, player: number): number {
  const dir = s.directory;
  const mask = s.directoryMask;
  const key = player | 0;
  let i = mix32(player) & mask;
  for (;;) {
    const k = dir[i << 1]!;
    if (k === key) return i;
    if (k === EMPTY_KEY) return -1;
    i = (i + 1) & mask;
  }
}

/** Record of a player, or -1. */
export function findPlayer(s: ShardState, player: number): number {
  const i = findSlot(s, player);
  return i < 0 ? -1 : s.directory[(i << 1) + 1]!;
}

export function insertPlayer(s: ShardState, player: number, record: number): void {
  const dir = s.directory;
  const mask = s.directoryMask;
  let i = mix32(player) & mask;
  while (dir[i << 1] !== EMPTY_KEY) i = (i + 1) & mask;
  dir[i << 1] = player | 0;
  dir[(i << 1) + 1] = record;
}

export function removePlayer(s: ShardState, player: number): void {
  const dir = s.directory;
  const mask = s.directoryMask;
  let hole = findSlot(s, player);
  if (hole < 0) return;
  dir[hole << 1] = EMPTY_KEY;
  let j = (hole + 1) & mask;
  while (dir[j << 1] !== EMPTY_KEY) {
    const home = mix32(dir[j << 1]! >>> 0) & mask;
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
