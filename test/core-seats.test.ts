/**
 * Seats (src/core/seats.ts) counted both ways: by compare-and-swap on a table worker shards
 * share, and with plain reads and writes on a table one thread owns (the single-threaded
 * engine). Both must give a server exactly its limit and no seat more, and neither may give a
 * seat back into a slot a newer server took over.
 */
import { describe, expect, it } from 'vitest';
import { serverHandle } from '../src/core/codes.ts';
import { allocateServerTable, serverTableViews } from '../src/core/layout.ts';
import { releaseSeat, takeSeat } from '../src/core/seats.ts';

function table(exclusive: boolean) {
  const t = serverTableViews(allocateServerTable(4, 4), exclusive);
  t.generation[2] = 5;
  t.limit[2] = 3;
  return t;
}

describe.each([
  ['shared between threads (compare-and-swap)', false],
  ['owned by one thread (plain writes)', true],
])('seats on a table %s', (_name, exclusive) => {
  it('is shared between threads unless its owner says otherwise', () => {
    expect(serverTableViews(allocateServerTable(1, 1)).exclusive).toBe(false);
    expect(table(exclusive).exclusive).toBe(exclusive);
  });

  it('gives a server exactly its limit', () => {
    const t = table(exclusive);
    const taken = [takeSeat(t, 2), takeSeat(t, 2), takeSeat(t, 2), takeSeat(t, 2)];
    expect(taken).toEqual([true, true, true, false]);
    expect(t.count[2]).toBe(3);
  });

  it('compares against the limit as it is now, lowered below the count or raised', () => {
    const t = table(exclusive);
    takeSeat(t, 2);
    takeSeat(t, 2);
    t.limit[2] = 1;
    expect(takeSeat(t, 2)).toBe(false);
    expect(t.count[2]).toBe(2);
    t.limit[2] = 3;
    expect(takeSeat(t, 2)).toBe(true);
    expect(t.count[2]).toBe(3);
  });

  it('takes a seat back from the same incarnation only', () => {
    const t = table(exclusive);
    takeSeat(t, 2);
    takeSeat(t, 2);
    releaseSeat(t, serverHandle(2, 5));
    expect(t.count[2]).toBe(1);
    // The slot was given to another server since (its generation bumped): not ours to release.
    releaseSeat(t, serverHandle(2, 4));
    expect(t.count[2]).toBe(1);
    expect(takeSeat(t, 2)).toBe(true);
    expect(t.count[2]).toBe(2);
  });
});
