import { mix32 } from '../core/hash.ts';

/**
 * Which shard holds each player, on the coordinator's thread: a leave or move carries no
 * zone the player is in now, so this is how it finds the shard to send it to.
 * Open addressing with linear probing over typed arrays; keys are stored as id + 1 so that
 * a zero-filled (lazily committed) table is an empty one. Deletion shifts entries back.
 */
export class PlayerRouter {
  private keys: Uint32Array;
  private shards: Uint8Array;
  private mask: number;
  private size = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keys = new Uint32Array(cap);
    this.shards = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  get count(): number {
    return this.size;
  }

  /** Shard holding the player, or -1. */
  get(player: number): number {
    const keys = this.keys;
    const key = (player + 1) >>> 0;
    let i = mix32(player) & this.mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) return this.shards[i]!;
      if (k === 0) return -1;
      i = (i + 1) & this.mask;
    }
  }

  set(player: number, shard: number): void {
    const keys = this.keys;
    const key = (player + 1) >>> 0;
    let i = mix32(player) & this.mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) {
        this.shards[i] = shard;
        return;
      }
      if (k === 0) break;
      i = (i + 1) & this.mask;
    }
    keys[i] = key;
    this.shards[i] = shard;
    if (++this.size * 2 > keys.length) this.grow();
  }

  delete(player: number): void {
    const keys = this.keys;
    const mask = this.mask;
    const key = (player + 1) >>> 0;
    let hole = mix32(player) & mask;
    for (;;) {
      const k = keys[hole]!;
      if (k === key) break;
      if (k === 0) return;
      hole = (hole + 1) & mask;
    }
    keys[hole] = 0;
    this.size--;
    let j = (hole + 1) & mask;
    while (keys[j] !== 0) {
      const home = mix32(keys[j]! - 1) & mask;
      // Move j back into the hole unless its home lies cyclically in (hole, j].
      const inside = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inside) {
        keys[hole] = keys[j]!;
        this.shards[hole] = this.shards[j]!;
        keys[j] = 0;
        hole = j;
      }
      j = (j + 1) & mask;
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldShards = this.shards;
    this.keys = new Uint32Array(oldKeys.length * 2);
    this.shards = new Uint8Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k !== 0) this.set(k - 1, oldShards[i]!);
    }
  }
}
