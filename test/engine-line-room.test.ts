/**
 * Property: nobody waits beside a free seat. In a small, often full fleet, random joins,
 * batches, leaves, quits, reports that lower or raise limits (players a server hosts that
 * zonelb did not seat) and ticks; after each step:
 *  - a join is queued or refused only when every active server is at its limit, or when
 *    players already wait (it goes behind them);
 *  - (one shard) after any batch, the line is empty or every active server is at its limit:
 *    the end of a batch admits the line into any seat that opened, wherever it is.
 *
 * Seats open between ticks on servers the room list (rebuilt on each tick) did not name, and
 * the fleet has many ring points per server, so that an overflow's 32 ring probes reach only
 * one or two of its servers: what finds those seats is the list of servers that gained room
 * since the tick (ServerTable.gainedRoom).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Op, Status, statusName } from '../src/core/codes.ts';
import type { ServerInfo } from '../src/engine/types.ts';
import { closePool, startEngine, submitBatch, type EngineKind, type Harness, type Request } from './fixtures/engine-harness.ts';

afterAll(closePool);

const SERVERS = 8;
const SEATS = 2; // per server: 16 in the fleet
const PLAYERS = 40;
const ZONES = 32;

type Step =
  | { k: 'join'; p: number; z: number }
  | { k: 'batch'; reqs: Request[] }
  | { k: 'leave'; p: number }
  | { k: 'quit'; p: number }
  | { k: 'report'; s: number; unseated: number }
  | { k: 'tick' }
  | { k: 'tickOnly' };

const player = fc.integer({ min: 0, max: PLAYERS - 1 });
const zone = fc.integer({ min: 0, max: ZONES - 1 });
const request: fc.Arbitrary<Request> = fc.oneof(
  fc.record({ op: fc.constant(Op.Join), player, zone }),
  fc.record({ op: fc.constantFrom(Op.Leave, Op.Quit), player, zone: fc.constant(0) }),
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('join' as const), p: player, z: zone }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('batch' as const), reqs: fc.array(request, { minLength: 2, maxLength: 8 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('leave' as const), p: player }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('quit' as const), p: player }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('report' as const), s: fc.integer({ min: 0, max: SERVERS - 1 }), unseated: fc.integer({ min: 0, max: SEATS }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('tick' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('tickOnly' as const) }) },
);
const scenario = fc.record({
  reconnectMs: fc.constantFrom(0, 1000),
  steps: fc.array(step, { minLength: 30, maxLength: 120, size: 'max' }),
});

function withRoom(servers: readonly ServerInfo[]): string[] {
  return servers.filter((s) => s.state === 'active' && s.players < s.limit).map((s) => `${s.id} ${s.players}/${s.limit}`);
}

async function run(kind: EngineKind, sc: { reconnectMs: number; steps: Step[] }): Promise<void> {
  const h: Harness = await startEngine(kind, {
    whenFull: 'queue',
    reconnectMs: sc.reconnectMs,
    limits: { playersPerServer: SEATS },
    ringPointsPerWeight: 400,
  });
  try {
    const e = h.engine;
    for (let s = 0; s < SERVERS; s++) e.registerServer({ id: `s${s}` });
    let n = 0;
    for (const st of sc.steps) {
      const where = `step ${n++} ${JSON.stringify(st)}`;
      const before = e.servers();
      const waiting = e.queued();
      let batch = false;
      switch (st.k) {
        case 'join': {
          const r = await submitBatch(e, [{ op: Op.Join, player: st.p, zone: st.z }]);
          const status = r.status[0]!;
          if ((status === Status.Queued || status === Status.Full) && waiting === 0) {
            expect(withRoom(before), `${where}: join answered ${statusName[status]} with room on`).toEqual([]);
          }
          batch = true;
          break;
        }
        case 'batch':
          await submitBatch(e, st.reqs);
          batch = true;
          break;
        case 'leave':
        case 'quit':
          await submitBatch(e, [{ op: st.k === 'leave' ? Op.Leave : Op.Quit, player: st.p, zone: 0 }]);
          batch = true;
          break;
        case 'report': {
          // Players zonelb did not seat take seats off the limit; a report without them gives them back.
          const info = e.server(`s${st.s}`);
          e.heartbeat(info.id, { cpu: 0, memory: 0, players: info.players - info.heldSeats + st.unseated });
          break;
        }
        case 'tick':
          // Every server reports again first (without unseated players), then the tick.
          await h.advance(100);
          break;
        case 'tickOnly':
          // A tick with the limits as the reports left them: the room list leaves out the servers they filled.
          await e.tick(h.now);
          break;
      }
      if (batch && kind === 'local' && e.queued() > 0) {
        expect(withRoom(e.servers()), `${where}: ${e.queued()} waiting with room on`).toEqual([]);
      }
    }
  } finally {
    await h.close();
  }
  await new Promise((r) => setImmediate(r));
}

describe('nobody waits beside a free seat (model-free property)', () => {
  it('holds for the local engine (1 shard)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (sc) => run('local', sc)),
      { seed: 7, numRuns: 1500 },
    );
  }, 120_000);

  it('holds for the sharded engine (4 shards)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (sc) => run('sharded', sc)),
      { seed: 7, numRuns: 25, endOnFailure: true },
    );
  }, 120_000);
});
