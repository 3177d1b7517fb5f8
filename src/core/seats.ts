import { ServerState, handleGeneration, handleSlot } from './codes.ts';
import type { ServerTable } from './layout.ts';

/**
 * Seats on servers, shared by every shard. A seat is taken only by compare-and-swap of the
 * server's count against its admission limit, so two shards placing on the same server can
 * never push it past the limit, whatever the interleaving.
 */

/** True when the handle still names a live incarnation that accepts new players. */
export function acceptsJoins(t: ServerTable, handle: number): boolean {
  const slot = handleSlot(handle);
  return (
    Atomics.load(t.generation, slot) === handleGeneration(handle) &&
    Atomics.load(t.state, slot) === ServerState.Active
  );
}

/** True when the handle names the current incarnation and it is not dead. */
export function isAlive(t: ServerTable, handle: number): boolean {
  const slot = handleSlot(handle);
  if (Atomics.load(t.generation, slot) !== handleGeneration(handle)) return false;
  const s = Atomics.load(t.state, slot);
  return s !== ServerState.Dead && s !== ServerState.Free;
}

/** Take one seat on `slot` if its count is below its limit. */
export function takeSeat(t: ServerTable, slot: number): boolean {
  const count = t.count;
  for (;;) {
    const seen = Atomics.load(count, slot);
    // The limit is re-read each round: a heartbeat may lower it between attempts, and a seat
    // must never be granted against a limit older than the count it is compared with.
    if (seen >= Atomics.load(t.limit, slot)) return false;
    // CAS succeeds only if no other shard took or released a seat since we read `seen`;
    // otherwise we loop and compare again against the fresh count.
    if (Atomics.compareExchange(count, slot, seen, seen + 1) === seen) return true;
  }
}

/** Give back a seat taken on the incarnation `handle` (ignored if the slot was reused). */
export function releaseSeat(t: ServerTable, handle: number): void {
  const slot = handleSlot(handle);
  // A reused slot starts from zero with a new generation: releasing into it would steal a
  // seat from the new server. The control plane bumps the generation before resetting the
  // count, so a matching generation here means the count still belongs to this incarnation.
  if (Atomics.load(t.generation, slot) !== handleGeneration(handle)) return;
  Atomics.sub(t.count, slot, 1);
}

/** Free seats on a slot, as seen now (may be negative after a limit was lowered). */
export function room(t: ServerTable, slot: number): number {
  return Atomics.load(t.limit, slot) - Atomics.load(t.count, slot);
}
