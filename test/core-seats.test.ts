/**
 * Seats (src/core/seats.ts) counted both ways: by compare-and-swap on a table worker shards
 * share, and with plain reads and writes on a table one thread owns (the single-threaded
 * engine). Both must give a server exactly its limit and no seat more, and neither may give a
 * seat back into a slot a newer server took over. A seat given back on a full server is
 * announced in the table's ring of servers that gained room since the last tick.
 */
import { describe, expect, it } from 'vitest';
import { ServerState, serverHandle } from '../src/core/codes.ts';
import { GAINED_ROOM_SLOTS, TotalField, allocateServerTable, serverTableViews, type ServerTable } from '../src/core/layout.ts';
import { noteRoom, releaseSeat, takeSeat } from '../src/core/seats.ts';

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

/** The servers gained since the room list was last refreshed, oldest first. */
function gained(t: ServerTable): number[] {
  const end = t.totals[TotalField.gainedRoom]!;
  const n = Math.min(end - t.totals[TotalField.gainedRoomListed]!, GAINED_ROOM_SLOTS);
  const out: number[] = [];
  for (let k = end - n; k < end; k++) out.push(t.gainedRoom[k & (GAINED_ROOM_SLOTS - 1)]!);
  return out;
}

/** The room list refreshed (ControlPlane.refreshRoom): what was gained before is in it. */
function refreshed(t: ServerTable): void {
  t.totals[TotalField.gainedRoomListed] = t.totals[TotalField.gainedRoom]!;
}

describe.each([
  ['shared between threads', false],
  ['owned by one thread', true],
])('servers that gained room, on a table %s', (_name, exclusive) => {
  function fleet(): ServerTable {
    const t = serverTableViews(allocateServerTable(80, 4), exclusive);
    for (let slot = 0; slot < 80; slot++) {
      t.state[slot] = ServerState.Active;
      t.limit[slot] = 1;
    }
    return t;
  }
  const fillAndFree = (t: ServerTable, slot: number) => {
    expect(takeSeat(t, slot)).toBe(true);
    releaseSeat(t, serverHandle(slot, 0));
  };

  it('lists a server when a seat is given back on it full, not when it had room', () => {
    const t = fleet();
    t.limit[1] = 2;
    takeSeat(t, 1);
    releaseSeat(t, serverHandle(1, 0)); // 1 of 2: it had room
    expect(gained(t)).toEqual([]);
    fillAndFree(t, 2);
    expect(gained(t)).toEqual([2]);
  });

  it('lists each server once between refreshes, whichever slot went first', () => {
    const t = fleet();
    fillAndFree(t, 3);
    // Slot 0 was never listed: its zero-filled record must not pass for the first entry.
    fillAndFree(t, 0);
    fillAndFree(t, 3);
    fillAndFree(t, 0);
    expect(gained(t)).toEqual([3, 0]);
    refreshed(t);
    expect(gained(t)).toEqual([]);
    fillAndFree(t, 0);
    expect(gained(t)).toEqual([0]);
  });

  it('keeps the last GAINED_ROOM_SLOTS servers when more gain room between refreshes', () => {
    const t = fleet();
    for (let slot = 0; slot < GAINED_ROOM_SLOTS + 10; slot++) fillAndFree(t, slot);
    // Server 5 fell out of the ring: it goes in again (its old entry was overwritten).
    fillAndFree(t, 5);
    const list = gained(t);
    expect(list).toHaveLength(GAINED_ROOM_SLOTS);
    expect(list.at(-1)).toBe(5);
    expect(list[0]).toBe(11);
  });

  it('never lists a server that is not active', () => {
    const t = fleet();
    t.state[4] = ServerState.Draining;
    noteRoom(t, 4);
    fillAndFree(t, 6);
    t.state[6] = ServerState.Dead;
    noteRoom(t, 6);
    expect(gained(t)).toEqual([6]);
  });
});
