import { NO_SERVER } from './codes.ts';
import { PlayerState, REC_STRIDE, R_ENTRY, R_SERVER, R_STAMP, R_STATE, R_ZONE, ShardCounter, TotalField, type ShardState } from './layout.ts';

/**
 * A shard's line of players waiting for a seat, in shared memory: a FIFO ring of (record,
 * stamp), and a Fenwick tree over the ring's slots counting the players still waiting, so that
 * a player's place in line is O(log n) however long the line (a gateway may ask again and again).
 *
 * A player who leaves the line (leaves the world, is handed to another shard, is admitted)
 * is uncounted at once; its ring entry stays until the head reaches it and is recognised as
 * stale by its stamp. While a record is queued, R_ENTRY holds its ring slot.
 *
 * Places are per shard: each shard admits its own line in order as seats open (see
 * ShardUpkeep.admitQueued), so "1 = next" holds within the line of the zone's shard.
 */
export class ShardQueue {
  private readonly s: ShardState;
  private readonly totals: Int32Array;
  private readonly limit: number;
  private readonly capacity: number;
  /** Waiting players per ring slot, as a Fenwick tree (see count()). */
  private readonly rank: Int32Array;

  constructor(s: ShardState, totals: Int32Array, queueLimit: number) {
    this.s = s;
    this.totals = totals;
    this.limit = queueLimit;
    this.capacity = s.queueCapacity;
    this.rank = s.queueRank;
  }

  /** Players waiting in this line. */
  get waiting(): number {
    return Atomics.load(this.s.counters, ShardCounter.queued);
  }

  /**
   * Put record `r` at the end of the line for `zone`. Returns its place (1 = next), or 0 when
   * the ring or the engine's queue (queueLimit, all shards together) is full.
   */
  push(r: number, zone: number): number {
    const s = this.s;
    const c = s.counters;
    if (c[ShardCounter.queueLength]! >= this.capacity) return 0;
    // The limit is for the whole engine: reserve a place in the shared count first, and give
    // it back if that went past the limit (two shards racing for the last place: one wins).
    if (Atomics.add(this.totals, TotalField.queued, 1) >= this.limit) {
      Atomics.sub(this.totals, TotalField.queued, 1);
      return 0;
    }
    // The shard's count goes up with the engine's: a worker dying before the record is queued
    // leaves both one too high, and repair recounts the shard's from the records and corrects
    // the engine's by the difference. Everyone waiting is ahead: the place is the count.
    const place = Atomics.add(c, ShardCounter.queued, 1) + 1;
    const rec = s.records;
    const base = r * REC_STRIDE;
    const at = c[ShardCounter.queueTail]!;
    const stamp = (rec[base + R_STAMP]! + 1) | 0;
    // Ring entry first, record state last: a worker dying in between leaves an entry whose
    // stamp does not match (skipped as stale), never a queued record outside the ring.
    s.queueRecord[at] = r;
    s.queueStamp[at] = stamp;
    c[ShardCounter.queueTail] = at + 1 === this.capacity ? 0 : at + 1;
    c[ShardCounter.queueLength]! += 1;
    rec[base + R_ZONE] = zone;
    rec[base + R_SERVER] = NO_SERVER;
    rec[base + R_ENTRY] = at;
    rec[base + R_STAMP] = stamp;
    rec[base + R_STATE] = PlayerState.Queued;
    count(this.rank, this.capacity, at, 1);
    return place;
  }

  /** Record `r`, queued, leaves the line (admitted, left the world, handed to another shard). */
  remove(r: number): void {
    count(this.rank, this.capacity, this.s.records[r * REC_STRIDE + R_ENTRY]!, -1);
    Atomics.sub(this.s.counters, ShardCounter.queued, 1);
    Atomics.sub(this.totals, TotalField.queued, 1);
  }

  /** Place in line of queued record `r` (1 = next), counting only players still waiting. */
  place(r: number): number {
    const at = this.s.records[r * REC_STRIDE + R_ENTRY]!;
    const head = this.s.counters[ShardCounter.queueHead]!;
    // Waiting players in ring order from the head up to `at`, the ring wrapping at capacity.
    const rank = this.rank;
    const before = prefix(rank, head - 1);
    return at >= head ? prefix(rank, at) - before : prefix(rank, this.capacity - 1) - before + prefix(rank, at);
  }

  /** First record still waiting, dropping stale entries before it; -1 when nobody waits. */
  first(): number {
    const s = this.s;
    const c = s.counters;
    const rec = s.records;
    while (c[ShardCounter.queueLength]! > 0) {
      const at = c[ShardCounter.queueHead]!;
      const r = s.queueRecord[at]!;
      if (rec[r * REC_STRIDE + R_STATE] === PlayerState.Queued && rec[r * REC_STRIDE + R_STAMP] === s.queueStamp[at]) return r;
      this.shift();
    }
    return -1;
  }

  /** Drop the head entry of the ring (the first record once it has been removed, or a stale one). */
  shift(): void {
    const c = this.s.counters;
    const at = c[ShardCounter.queueHead]!;
    c[ShardCounter.queueHead] = at + 1 === this.capacity ? 0 : at + 1;
    c[ShardCounter.queueLength]! -= 1;
  }
}

/**
 * Rebuild a line's counts and its records' ring slots from the ring and the records (derived
 * state: repair calls this after a worker died).
 */
export function rebuildQueue(s: ShardState): void {
  const c = s.counters;
  const rec = s.records;
  const capacity = s.queueCapacity;
  s.queueRank.fill(0);
  let at = c[ShardCounter.queueHead]!;
  for (let k = c[ShardCounter.queueLength]!; k > 0; k--) {
    const r = s.queueRecord[at]!;
    if (rec[r * REC_STRIDE + R_STATE] === PlayerState.Queued && rec[r * REC_STRIDE + R_STAMP] === s.queueStamp[at]) {
      rec[r * REC_STRIDE + R_ENTRY] = at;
      count(s.queueRank, capacity, at, 1);
    }
    if (++at === capacity) at = 0;
  }
}

/** Fenwick tree (1-based, `rank[k]` covers ring slots (k - lowbit(k), k]): add `d` at slot `at`. */
function count(rank: Int32Array, capacity: number, at: number, d: number): void {
  for (let k = at + 1; k <= capacity; k += k & -k) rank[k]! += d;
}

/** Waiting players in ring slots [0, at]; 0 when at < 0. */
function prefix(rank: Int32Array, at: number): number {
  let sum = 0;
  for (let k = at + 1; k > 0; k -= k & -k) sum += rank[k]!;
  return sum;
}
