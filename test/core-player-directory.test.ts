/**
 * The player directory (src/core/player-directory.ts) against a Map: any sequence of inserts
 * and removals leaves every present player found at its record and every absent one not
 * found. Ids are drawn so that the table's hard cases come up: the ends of the id range (whose
 * keys, id + 1, are 1 and -2 as int32), ids in sequence (eight to a line), ids whose home slots
 * collide (long probe runs that wrap around the table's end), and removals from the middle of
 * a run (the entries after the hole shifted back). The engine's steady join and leave in
 * shard-core.ts use the same keys and removeAt().
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateShardState, MAX_PLAYER_ID, shardStateViews } from '../src/core/layout.ts';
import { findPlayer, insertPlayer, removePlayer } from '../src/core/player-directory.ts';

/** 32 records: a 64-slot directory, small enough that runs collide and wrap. */
const RECORDS = 32;

function directory() {
  return shardStateViews(allocateShardState(RECORDS, 16, 16, 16));
}

const ids = fc.oneof(
  fc.constantFrom(0, 1, 7, 8, MAX_PLAYER_ID, MAX_PLAYER_ID - 1, MAX_PLAYER_ID - 8),
  fc.integer({ min: 0, max: 40 }),
  // Multiples of the table size: same low bits, different high parts.
  fc.integer({ min: 0, max: 20 }).map((k) => k * 64),
  fc.integer({ min: 0, max: MAX_PLAYER_ID }),
);

const steps = fc.array(fc.record({ insert: fc.boolean(), id: ids }), { maxLength: 120 });

describe('player directory', () => {
  it('is empty as allocated: its memory is all zeros and no id is found', () => {
    const s = directory();
    expect(s.directory.every((v) => v === 0)).toBe(true);
    for (const id of [0, 1, 8, MAX_PLAYER_ID]) expect(findPlayer(s, id)).toBe(-1);
  });

  it('finds exactly the players inserted and not removed, at their records', () => {
    fc.assert(
      fc.property(steps, (seq) => {
        const s = directory();
        const model = new Map<number, number>();
        let nextRecord = 0;
        for (const { insert, id } of seq) {
          if (insert && !model.has(id) && model.size < RECORDS) {
            insertPlayer(s, id, nextRecord);
            model.set(id, nextRecord++);
          } else if (!insert) {
            removePlayer(s, id);
            model.delete(id);
          }
          for (const [p, r] of model) expect(findPlayer(s, p)).toBe(r);
        }
        for (const { id } of seq) if (!model.has(id)) expect(findPlayer(s, id)).toBe(-1);
        // Every occupied slot belongs to a present player: removals leave no stale entry.
        let occupied = 0;
        for (let i = 0; i < s.directory.length; i += 2) if (s.directory[i] !== 0) occupied++;
        expect(occupied).toBe(model.size);
      }),
      { seed: 42, numRuns: 400 },
    );
  });
});
