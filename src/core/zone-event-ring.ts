import {
  ZEV_KIND,
  ZEV_SERVERS,
  ZEV_STRIDE,
  ZEV_ZONE,
  ZONE_EVENT_CAPACITY,
  ZoneEventCursor,
  type ShardState,
} from './layout.ts';

/**
 * A shard's log of zone splits and merges: single producer (the shard that owns the zones),
 * single consumer (the main thread), in shared memory so that draining it after a batch
 * costs one Atomics.load and no message. Splits and merges are rare (a zone opens on one
 * more server when all its servers are full), so a small ring suffices; if the main thread
 * falls behind by more than ZONE_EVENT_CAPACITY events, new ones are dropped and counted.
 */

const MASK = ZONE_EVENT_CAPACITY - 1;

/** Shard side: record that `zone` now has `servers` servers open to its joins. */
export function pushZoneEvent(s: ShardState, zone: number, kind: number, servers: number): void {
  const cur = s.zoneEventCursor;
  const tail = cur[ZoneEventCursor.tail]!;
  // The head only moves forward, so a stale read can only make the ring look fuller: a plain
  // read will do (an Atomics.load is a builtin call here, and this runs at every split).
  // Cursors wrap at 2^32 (int32 arithmetic); the capacity is a power of two, so `& MASK` and
  // `(tail - head) | 0` stay right across the wrap.
  if (((tail - cur[ZoneEventCursor.head]!) | 0) >= ZONE_EVENT_CAPACITY) {
    cur[ZoneEventCursor.dropped]! += 1;
    return;
  }
  const at = (tail & MASK) * ZEV_STRIDE;
  const ev = s.zoneEvents;
  ev[at + ZEV_ZONE] = zone;
  ev[at + ZEV_KIND] = kind;
  ev[at + ZEV_SERVERS] = servers;
  // Publish after the fields: a reader that sees the new tail sees the event whole.
  Atomics.store(cur, ZoneEventCursor.tail, (tail + 1) | 0);
}

/** Main-thread side: true when events are waiting (one load; call after every batch). */
export function hasZoneEvents(s: ShardState): boolean {
  const cur = s.zoneEventCursor;
  return Atomics.load(cur, ZoneEventCursor.tail) !== Atomics.load(cur, ZoneEventCursor.head);
}

/** Main-thread side: hands each waiting event to `visit`, oldest first, and frees its slot. */
export function drainZoneEvents(s: ShardState, visit: (zone: number, kind: number, servers: number) => void): void {
  const cur = s.zoneEventCursor;
  const ev = s.zoneEvents;
  // Tail read with Atomics: every event below it was fully written before it was published.
  const tail = Atomics.load(cur, ZoneEventCursor.tail);
  let head = Atomics.load(cur, ZoneEventCursor.head);
  while (head !== tail) {
    const at = (head & MASK) * ZEV_STRIDE;
    visit(ev[at + ZEV_ZONE]!, ev[at + ZEV_KIND]!, ev[at + ZEV_SERVERS]!);
    head = (head + 1) | 0;
  }
  // Freed only after reading: the shard may overwrite a slot once the head has passed it.
  Atomics.store(cur, ZoneEventCursor.head, tail);
}
