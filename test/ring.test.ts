import { describe, expect, it } from 'vitest';
import { RING_INDEX_SIZE, bucketIndexInto, buildRing, ringStart, updateRing, type RingMember } from '../src/core/ring.ts';

const members = (n: number, from = 0): RingMember[] =>
  Array.from({ length: n }, (_, i) => ({ slot: from + i, generation: 1, weight: 1 + (i % 3) }));

describe('consistent-hash ring', () => {
  it('gives each server points in proportion to its weight', () => {
    const ring = buildRing(members(30), 40);
    const perSlot = new Map<number, number>();
    for (const s of ring.slots) perSlot.set(s, (perSlot.get(s) ?? 0) + 1);
    for (const m of members(30)) expect(perSlot.get(m.slot)).toBe(m.weight * 40);
  });

  it('is sorted and its bucket index finds the first point at or after a key', () => {
    const ring = buildRing(members(50), 20);
    for (let i = 1; i < ring.points.length; i++) expect(ring.points[i]!).toBeGreaterThanOrEqual(ring.points[i - 1]!);
    for (const key of [0, 1, 0x7fffffff, 0xfffffffe, 0xffffffff, ring.points[10]!, ring.points[10]! + 1]) {
      const at = ringStart(ring, key >>> 0);
      const expected = ring.points.findIndex((p) => p >= key >>> 0);
      expect(at).toBe(expected === -1 ? 0 : expected);
    }
  });

  it('updates incrementally to exactly the ring a rebuild gives', () => {
    const base = buildRing(members(40), 10);
    const removed = new Set([3, 17, 39]);
    const added = members(5, 100);
    const updated = updateRing(base, removed, added, 10);
    const rebuilt = buildRing([...members(40).filter((m) => !removed.has(m.slot)), ...added], 10);
    expect(Array.from(updated.points)).toEqual(Array.from(rebuilt.points));
    expect(Array.from(updated.slots)).toEqual(Array.from(rebuilt.slots));
    expect(Array.from(updated.index)).toEqual(Array.from(rebuilt.index));
  });

  it('rebuilds a bucket index in place, the same as a new ring has, whatever the buffer held before', () => {
    // A shard worker keeps one index and rebuilds it for each ring it is sent (shard-worker.ts).
    const reused = new Uint32Array(RING_INDEX_SIZE);
    for (const ring of [buildRing(members(60), 40), buildRing(members(3), 2), buildRing([], 40), buildRing(members(200, 7), 40)]) {
      expect(Array.from(bucketIndexInto(ring.points, reused))).toEqual(Array.from(ring.index));
    }
  });

  it('moves only the keys of a removed server', () => {
    const before = buildRing(members(20), 40);
    const after = updateRing(before, new Set([7]), [], 40);
    let moved = 0;
    for (let k = 0; k < 20_000; k++) {
      const key = Math.imul(k, 2654435761) >>> 0;
      const a = before.slots[ringStart(before, key)]!;
      const b = after.slots[ringStart(after, key)]!;
      if (a !== b) {
        moved++;
        expect(a).toBe(7);
      }
    }
    expect(moved).toBeGreaterThan(0);
  });
});
