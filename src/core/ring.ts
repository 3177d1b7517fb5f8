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
  /**
   * index[b] = first point whose top 16 bits are ≥ b (65 537 entries): a lookup starts in
   * its bucket instead of binary-searching the whole ring (hundreds of kB, cache misses).
   */
  index: Uint32Array;
}

/** Entries of a ring's bucket index (see Ring.index). */
export const RING_INDEX_SIZE = 65537;

export const EMPTY_RING: Ring = Object.freeze({
  points: new Uint32Array(0),
  slots: new Int32Array(0),
  index: new Uint32Array(RING_INDEX_SIZE),
});

export interface RingMember {
  slot: number;
  generation: number;
  weight: number;
}

/** Ring points of one member, packed as hash × 65536 + slot (exact in a double). */
function memberPoints(m: RingMember, pointsPerWeight: number, out: number[]): void {
  const replicas = Math.max(1, Math.round(m.weight * pointsPerWeight));
  const seed = m.slot | (m.generation << 16);
  for (let r = 0; r < replicas; r++) out.push(mix2(seed, r) * 65536 + m.slot);
}

function fromPacked(packed: Float64Array): Ring {
  const n = packed.length;
  const points = new Uint32Array(n);
  const slots = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = packed[i]!;
    const slot = v % 65536;
    points[i] = (v - slot) / 65536;
    slots[i] = slot;
  }
  return { points, slots, index: bucketIndex(points) };
}

function bucketIndex(points: Uint32Array): Uint32Array {
  return bucketIndexInto(points, new Uint32Array(RING_INDEX_SIZE));
}

/**
 * Writes the bucket index of `points` into `index` (RING_INDEX_SIZE entries) and returns it. A
 * shard worker keeps one index and rebuilds it for each ring it is sent, rather than being sent
 * one: 256 kB copied into the worker per change of the fleet, kept until its next full GC.
 */
export function bucketIndexInto(points: Uint32Array, index: Uint32Array): Uint32Array {
  let i = 0;
  for (let b = 0; b < RING_INDEX_SIZE; b++) {
    while (i < points.length && points[i]! >>> 16 < b) i++;
    index[b] = i;
  }
  return index;
}

export function buildRing(members: readonly RingMember[], pointsPerWeight: number): Ring {
  const all: number[] = [];
  for (const m of members) memberPoints(m, pointsPerWeight, all);
  // Sorting packed doubles natively is far faster than sorting objects, and ties break by
  // slot so the ring is deterministic.
  return fromPacked(Float64Array.from(all).sort());
}

/**
 * The ring with some slots removed and some members added, in O(points + added log added):
 * a crash or a new server does not re-sort the whole ring.
 */
export function updateRing(ring: Ring, removed: ReadonlySet<number>, added: readonly RingMember[], pointsPerWeight: number): Ring {
  const fresh: number[] = [];
  for (const m of added) memberPoints(m, pointsPerWeight, fresh);
  const extra = fromPacked(Float64Array.from(fresh).sort());
  const gone = new Uint8Array(65536);
  for (const slot of removed) gone[slot] = 1;
  const n = ring.points.length;
  const m = extra.points.length;
  const points = new Uint32Array(n + m);
  const slots = new Int32Array(n + m);
  let i = 0;
  let j = 0;
  let k = 0;
  for (;;) {
    while (i < n && gone[ring.slots[i]!] === 1) i++;
    if (i === n && j === m) break;
    // Ties (equal hashes) order by slot, as buildRing does.
    const takeOld =
      j === m || (i < n && (ring.points[i]! < extra.points[j]! || (ring.points[i] === extra.points[j] && ring.slots[i]! <= extra.slots[j]!)));
    if (takeOld) {
      points[k] = ring.points[i]!;
      slots[k++] = ring.slots[i++]!;
    } else {
      points[k] = extra.points[j]!;
      slots[k++] = extra.slots[j++]!;
    }
  }
  const p = points.subarray(0, k);
  return { points: p, slots: slots.subarray(0, k), index: bucketIndex(p) };
}

/** Index of the first point at or after `key`, wrapping to 0. */
export function ringStart(ring: Ring, key: number): number {
  const points = ring.points;
  const b = key >>> 16;
  let lo = ring.index[b]!;
  let hi = ring.index[b + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo === points.length ? 0 : lo;
}
