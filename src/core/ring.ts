import { mix2 } from './hash.ts';

/**
 * Weighted consistent-hash ring over server slots. Each server gets points in proportion to
 * its weight, so a zone key lands on servers with probability proportional to weight, and a
 * server joining or leaving moves only the keys next to its own points. Built by the control
 * plane on membership changes; shards only read it.
 */
export interface Ring {
  /** Sorted point hashes. */
  points: Uint32Array;
  /** Server slot owning each point. */
  slots: Int32Array;
}

export const EMPTY_RING: Ring = Object.freeze({ points: new Uint32Array(0), slots: new Int32Array(0) });

export interface RingMember {
  slot: number;
  generation: number;
  weight: number;
}

export function buildRing(members: readonly RingMember[], pointsPerWeight: number): Ring {
  let total = 0;
  const replicas = members.map((m) => Math.max(1, Math.round(m.weight * pointsPerWeight)));
  for (const r of replicas) total += r;
  // Pack (hash, slot) into one double (32 + 16 bits < 53) and sort natively: far faster
  // than sorting an array of objects, and ties break by slot so the ring is deterministic.
  const packed = new Float64Array(total);
  let at = 0;
  members.forEach((m, i) => {
    const seed = m.slot | (m.generation << 16);
    for (let r = 0; r < replicas[i]!; r++) packed[at++] = mix2(seed, r) * 65536 + m.slot;
  });
  packed.sort();
  const points = new Uint32Array(total);
  const slots = new Int32Array(total);
  for (let i = 0; i < total; i++) {
    const v = packed[i]!;
    const slot = v % 65536;
    points[i] = (v - slot) / 65536;
    slots[i] = slot;
  }
  return { points, slots };
}

/** Index of the first point at or after `key`, wrapping to 0. */
export function ringStart(ring: Ring, key: number): number {
  const points = ring.points;
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo === points.length ? 0 : lo;
}
