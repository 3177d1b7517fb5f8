import { ServerState, handleGeneration, handleSlot } from './codes.ts';
import { GAINED_ROOM_SLOTS, TotalField, type ServerTable } from './layout.ts';

/**
 * Seats on servers, shared by every shard. A seat is taken only by compare-and-swap of the
 * server's count against its admission limit, so two shards placing on the same server can
 * never push it past the limit, whatever the interleaving.
 *
 * Reads of the table are plain, not Atomics.load. A racy read of an Int32Array element returns
 * a value some thread wrote (integer typed arrays never tear), so it is what an Atomics.load a
 * moment earlier would have returned, and a race allows that moment anyway. On Node 20 an
 * Atomics.load is a builtin call (~9 ns, measured) against ~1 ns for a plain read, and a join
 * reads four fields. The one decision that must be exact, the seat, is made by the
 * compare-and-swap, against the very count it replaces. With the table `exclusive` to one
 * thread (the single-threaded engine), plain reads and writes decide the seat as exactly.
 */

/** True when the handle still names a live incarnation that accepts new players. */
export function acceptsJoins(t: ServerTable, handle: number): boolean {
  const slot = handleSlot(handle);
  return t.generation[slot] === handleGeneration(handle) && t.state[slot] === ServerState.Active;
}

/** True when the handle names the current incarnation and it is not dead. */
export function isAlive(t: ServerTable, handle: number): boolean {
  const slot = handleSlot(handle);
  if (t.generation[slot] !== handleGeneration(handle)) return false;
  const s = t.state[slot];
  return s !== ServerState.Dead && s !== ServerState.Free;
}

/**
 * True when the server holds more seats than its limit allows: a heartbeat lowered the limit
 * below the seats taken (placed players and held reservations). Nobody else may take a seat
 * there, and a held reservation must not be honoured either (see ShardRequests.reconnect).
 */
export function overLimit(t: ServerTable, handle: number): boolean {
  const slot = handleSlot(handle);
  return t.count[slot]! > t.limit[slot]!;
}

/** Take one seat on `slot` if its count is below its limit. */
export function takeSeat(t: ServerTable, slot: number): boolean {
  const count = t.count;
  let seen = count[slot]!;
  if (t.exclusive) {
    if (seen >= t.limit[slot]!) return false;
    count[slot] = seen + 1;
    return true;
  }
  for (;;) {
    // The limit is re-read each round: a heartbeat may lower it between attempts, and a seat
    // must never be granted against a limit older than the count it is compared with.
    if (seen >= t.limit[slot]!) return false;
    // The CAS succeeds only if the count is still `seen` (a stale plain read just fails it):
    // no other shard took or released a seat in between. Otherwise it returns the count it
    // found, and we compare that against the limit again.
    const found = Atomics.compareExchange(count, slot, seen, seen + 1);
    if (found === seen) return true;
    seen = found;
  }
}

/** Give back a seat taken on the incarnation `handle` (ignored if the slot was reused). */
export function releaseSeat(t: ServerTable, handle: number): void {
  const slot = handleSlot(handle);
  // A reused slot starts from zero with a new generation: releasing into it would steal a
  // seat from the new server. The control plane bumps the generation before resetting the
  // count, so a matching generation here means the count still belongs to this incarnation.
  if (t.generation[slot] !== handleGeneration(handle)) return;
  let before: number;
  if (t.exclusive) t.count[slot] = (before = t.count[slot]!) - 1;
  else before = Atomics.sub(t.count, slot, 1);
  // Exactly full before: this seat is room now (one over its limit stays full).
  if (before === t.limit[slot]) noteRoom(t, slot);
}

/**
 * Tell every shard that `slot`, full a moment ago, has room now (a seat given back, a limit
 * raised): overflow looks at ServerTable.gainedRoom after the room list, which is rebuilt only
 * on a tick. Called on the transition only, and not again while the server's entry since the
 * last refresh is still in the ring, so that a busy server filling and emptying by one seat
 * does not push the others out: the ring holds the last GAINED_ROOM_SLOTS distinct servers.
 * Readers need no lock: one may see a count before its entry is written (it then reads an
 * older entry), and two shards may append the same server at once; either way a candidate is
 * only a candidate, and takeSeat decides against the server's own count and limit.
 */
export function noteRoom(t: ServerTable, slot: number): void {
  if (t.state[slot] !== ServerState.Active) return;
  const totals = t.totals;
  const end = totals[TotalField.gainedRoom]!;
  const at = t.gainedAt[slot]!;
  const back = (end - at) >>> 0;
  // Still listed: its entry was appended since the refresh and still names it (not yet
  // overwritten; a slot never appended reads index 0, whoever went first).
  if (back >= 1 && back <= (end - totals[TotalField.gainedRoomListed]!) >>> 0 && t.gainedRoom[at & (GAINED_ROOM_SLOTS - 1)] === slot) return;
  let k: number;
  if (t.exclusive) totals[TotalField.gainedRoom] = (k = end) + 1;
  else k = Atomics.add(totals, TotalField.gainedRoom, 1);
  t.gainedRoom[k & (GAINED_ROOM_SLOTS - 1)] = slot;
  t.gainedAt[slot] = k;
}
