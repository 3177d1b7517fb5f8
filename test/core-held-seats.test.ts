/**
 * A shard's held seats per server (`serverHeld`: reconnect holds and hot-zone reserves) are
 * kept in step with every change to them, so that a heartbeat can tell a server's reported
 * players from zonelb's seats with a player in them at any moment. The running figure must
 * equal a recount from the reservations and the hot zones' reserves after any mix of joins,
 * leaves, quits, reconnects, moves, hot-zone plans, drains and expiries. White box: the
 * single-threaded engine's own shard.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Op, Status } from '../src/core/codes.ts';
import type { ShardState } from '../src/core/layout.ts';
import type { ShardCore } from '../src/core/shard-core.ts';
import { LocalEngine } from '../src/engine/local-engine.ts';
import { whiteBoxShard } from './fixtures/white-box-shard.ts';

const ZONES = 8;
const PLAYERS = 24;

type Command =
  | { kind: 'join' | 'leave' | 'quit' | 'move'; player: number; zone: number }
  | { kind: 'time'; ms: number }
  | { kind: 'hot'; zone: number; on: boolean }
  | { kind: 'drain'; server: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constantFrom('join', 'leave', 'quit', 'move' as const), player: fc.nat(PLAYERS - 1), zone: fc.nat(ZONES - 1) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 4000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hot' as const), zone: fc.nat(ZONES - 1), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), server: fc.nat(2) }) },
);

/** What the tick's recount would publish now, per server slot. */
function recount(core: ShardCore, slots: number): number[] {
  const tally = new Int32Array(slots);
  core.addHeldSeats(tally, tally);
  return [...tally];
}

describe('held seats per server', () => {
  it('counts a hold made and ended one request at a time (the path beside the batch loop)', () => {
    const { state, core } = whiteBoxShard({ shards: 1, maxZones: ZONES, maxPlayers: 64, maxServers: 2, reconnectMs: 3000 });
    expect(core.apply(Op.Join, 1, 2, -1, -1, 0)).toBe(Status.Ok);
    expect(core.apply(Op.Leave, 1, 0, -1, -1, 0)).toBe(Status.Ok);
    expect(state.serverHeld[0]).toBe(1);
    expect(core.apply(Op.Join, 1, 2, -1, -1, 10)).toBe(Status.Reconnected);
    expect(state.serverHeld[0]).toBe(0);
    expect(core.apply(Op.Leave, 1, 0, -1, -1, 20)).toBe(Status.Ok);
    expect(core.apply(Op.Quit, 1, 0, -1, -1, 30)).toBe(Status.Ok);
    expect(state.serverHeld[0]).toBe(0);
  });

  it('property: the running figure equals a recount after every request, plan, drain and tick', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 30, maxLength: 150, size: 'max' }), async (commands) => {
        let now = 0;
        const engine = new LocalEngine(
          { maxZones: ZONES, maxPlayers: 256, maxServers: 4, limits: { playersPerServer: 6 }, reconnectMs: 3000, whenFull: 'queue' },
          { clock: () => now, autoTick: false },
        );
        try {
          for (const id of ['s0', 's1', 's2']) engine.registerServer({ id });
          // The engine's shard and its state: white box, read only.
          const core = (engine as unknown as { core: ShardCore }).core;
          const held = (core as unknown as { s: ShardState }).s.serverHeld;
          for (const c of commands) {
            switch (c.kind) {
              case 'join':
                await engine.join(c.player, c.zone);
                break;
              case 'move':
                await engine.move(c.player, c.zone);
                break;
              case 'leave':
                await engine.leave(c.player);
                break;
              case 'quit':
                await engine.quit(c.player);
                break;
              case 'time':
                now += c.ms;
                // Alive: no failure detection here (its evacuation is a release like any other).
                for (const s of engine.servers()) engine.heartbeat(s.id, { cpu: 0.1, memory: 0.1, players: s.players });
                await engine.tick(now);
                break;
              case 'hot':
                await engine.setHotZone(c.zone, c.on ? { servers: 2, reserve: 3 } : null);
                break;
              case 'drain':
                if (engine.server(`s${c.server}`).state === 'active') await engine.drainServer(`s${c.server}`, { move: true });
                break;
            }
            expect([...held.subarray(0, 4)], `after ${JSON.stringify(c)}`).toEqual(recount(core, 4));
          }
        } finally {
          await engine.close();
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  }, 60_000);
});
