/**
 * Integer hashing for the hot path: murmur3's 32-bit finaliser (a bijection on u32, so
 * distinct ids never collide before the table index is taken) and helpers built on it.
 */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Stable owner shard of a zone: the same zone always lands on the same shard. */
export function zoneShard(zone: number, shards: number): number {
  // Multiply-shift maps the 32-bit hash onto [0, shards) without a modulo bias worth noting.
  return shards === 1 ? 0 : Math.floor((mix32(zone ^ 0x5bd1e995) / 0x1_0000_0000) * shards);
}

/** Hash of two integers, for ring points (server slot, replica) and zone keys. */
export function mix2(a: number, b: number): number {
  return mix32(mix32(a) ^ Math.imul(b + 0x9e3779b9, 0x27d4eb2d));
}
