/**
 * The coordinator's player → shard table: it answers as a Map would through any sequence of
 * sets, claims, forgets and rebuilds, and players who leave for good cannot make it grow.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlayerRouter } from '../src/engine/player-router.ts';

describe('PlayerRouter', () => {
  it('answers like a Map through sets, claims, forgets and rebuilds', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('set' as const), p: fc.nat({ max: 200 }), s: fc.nat({ max: 63 }) }),
      fc.record({ k: fc.constant('claim' as const), p: fc.nat({ max: 200 }), s: fc.nat({ max: 3 }) }),
      fc.record({ k: fc.constant('forget' as const), p: fc.nat({ max: 200 }), s: fc.nat({ max: 3 }) }),
      fc.record({ k: fc.constant('delete' as const), p: fc.nat({ max: 200 }) }),
      // Ids near the top of the range: keys are stored as id + 1.
      fc.record({ k: fc.constant('set' as const), p: fc.constantFrom(0xfffffffe, 0x7fffffff), s: fc.nat({ max: 63 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const router = new PlayerRouter(4);
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.k === 'set') {
            router.set(o.p, o.s);
            model.set(o.p, o.s);
          } else if (o.k === 'claim') {
            expect(router.claim(o.p, o.s)).toBe(model.get(o.p) ?? -1);
            if (!model.has(o.p)) model.set(o.p, o.s);
          } else if (o.k === 'forget') {
            router.forget(o.p, o.s);
            if (model.get(o.p) === o.s) model.delete(o.p);
          } else {
            router.delete(o.p);
            model.delete(o.p);
          }
          expect(router.count).toBe(model.size);
        }
        for (let p = 0; p <= 200; p++) expect(router.get(p)).toBe(model.get(p) ?? -1);
        for (const p of [0xfffffffe, 0x7fffffff]) expect(router.get(p)).toBe(model.get(p) ?? -1);
      }),
      { numRuns: 300 },
    );
  });

  it('stays the same size when players come and go for good, and grows for players held', () => {
    const router = new PlayerRouter(1024);
    const start = router.capacity;
    // A million players pass through, never more than 500 at once.
    for (let p = 0; p < 1_000_000; p++) {
      router.set(p, p % 4);
      if (p >= 500) router.delete(p - 500);
    }
    expect(router.count).toBe(500);
    expect(router.capacity).toBe(start);
    for (let p = 1_000_000; p < 1_000_000 + 4 * start; p++) router.set(p, 1);
    expect(router.capacity).toBeGreaterThan(start);
    expect(router.get(999_999)).toBe(999_999 % 4);
    expect(router.get(0)).toBe(-1);
  });
});
