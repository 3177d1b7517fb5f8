/**
 * Bad input: every API call refuses it with a ZonelbError carrying a stable code and the
 * offending field, and changes nothing; bad requests inside a batch are answered
 * Status.Invalid and change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Op, Status } from '../src/core/codes.ts';
import { ErrorCode, ZonelbError } from '../src/core/errors.ts';
import { MAX_PLAYER_ID } from '../src/core/layout.ts';
import { InternalOp } from '../src/core/shard-core.ts';
import type { Engine, HeartbeatReport, ServerSpec } from '../src/engine/types.ts';
import { closePool, ENGINE_KINDS, caught, startEngine, submitBatch, type Harness } from './fixtures/engine-harness.ts';

// Pooled sharded engines (see startEngine) are closed once this file is done.
afterAll(closePool);

const MAX_BATCH = 8;

/** Everything observable about the engine's state, for "changes nothing". */
async function snapshot(engine: Engine): Promise<string> {
  return JSON.stringify({ servers: engine.servers(), zones: await engine.zones(), queued: engine.queued() });
}

describe.each(ENGINE_KINDS)('validation (%s engine)', (kind) => {
  // Errors change nothing, so one engine serves every test; each test checks that claim.
  let h: Harness;
  beforeAll(async () => {
    h = await startEngine(kind, { maxBatch: MAX_BATCH });
    h.engine.registerServer({ id: 'a', address: 'gs-a:7000' });
    h.engine.registerServer({ id: 'b', weight: 2 });
    for (let p = 0; p < 5; p++) await h.engine.join(p, p % 3);
    await h.engine.leave(4);
    h.keepAlive('a');
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Runs `call`, expects a ZonelbError with `code` and `field`, and an unchanged engine. */
  async function expectRefused(call: () => unknown, code: string, field: string | undefined): Promise<void> {
    const before = await snapshot(h.engine);
    const err = await caught(call);
    expect(err, 'a ZonelbError').toBeInstanceOf(ZonelbError);
    expect((err as ZonelbError).code).toBe(code);
    expect((err as ZonelbError).field).toBe(field);
    expect((err as ZonelbError).message.length).toBeGreaterThan(0);
    expect(await snapshot(h.engine)).toBe(before);
  }

  const badSpecs: [string, unknown, string][] = [
    ['an empty id', { id: '' }, 'id'],
    ['a numeric id', { id: 7 }, 'id'],
    ['an id of 129 characters', { id: 'x'.repeat(129) }, 'id'],
    ['weight 0', { id: 'n', weight: 0 }, 'weight'],
    ['a negative weight', { id: 'n', weight: -1 }, 'weight'],
    ['weight NaN', { id: 'n', weight: NaN }, 'weight'],
    ['weight Infinity', { id: 'n', weight: Infinity }, 'weight'],
    ['a non-string address', { id: 'n', address: 42 }, 'address'],
    ['no spec at all', null, 'server'],
  ];
  it.each(badSpecs)('registerServer refuses %s', async (_what, spec, field) => {
    await expectRefused(() => h.engine.registerServer(spec as ServerSpec), ErrorCode.InvalidArgument, field);
  });

  it('registerServer refuses a bad weight for an existing id without touching it', async () => {
    await expectRefused(() => h.engine.registerServer({ id: 'a', weight: 0 }), ErrorCode.InvalidArgument, 'weight');
  });

  const ok: HeartbeatReport = { cpu: 0.1, memory: 0.1, players: 3 };
  const badReports: [string, unknown, string][] = [
    ['cpu NaN', { ...ok, cpu: NaN }, 'cpu'],
    ['a negative cpu', { ...ok, cpu: -0.01 }, 'cpu'],
    ['cpu above 1', { ...ok, cpu: 1.01 }, 'cpu'],
    ['cpu Infinity', { ...ok, cpu: Infinity }, 'cpu'],
    ['cpu missing', { memory: 0.1, players: 3 }, 'cpu'],
    ['memory NaN', { ...ok, memory: NaN }, 'memory'],
    ['a negative memory', { ...ok, memory: -1 }, 'memory'],
    ['memory above 1', { ...ok, memory: 2 }, 'memory'],
    ['negative players', { ...ok, players: -1 }, 'players'],
    ['fractional players', { ...ok, players: 1.5 }, 'players'],
    ['players NaN', { ...ok, players: NaN }, 'players'],
    ['weight 0', { ...ok, weight: 0 }, 'weight'],
    ['weight NaN', { ...ok, weight: NaN }, 'weight'],
    ['a negative weight', { ...ok, weight: -2 }, 'weight'],
    ['no report at all', null, 'report'],
  ];
  it.each(badReports)('heartbeat refuses %s', async (_what, report, field) => {
    await expectRefused(() => h.engine.heartbeat('a', report as HeartbeatReport), ErrorCode.InvalidArgument, field);
  });

  it('refuses calls naming an unknown server with ZLB_ERR_UNKNOWN_SERVER', async () => {
    await expectRefused(() => h.engine.heartbeat('nope', ok), ErrorCode.UnknownServer, 'serverId');
    await expectRefused(() => h.engine.drainServer('nope'), ErrorCode.UnknownServer, 'serverId');
    await expectRefused(() => h.engine.removeServer('nope'), ErrorCode.UnknownServer, 'serverId');
    await expectRefused(() => h.engine.server('nope'), ErrorCode.UnknownServer, 'serverId');
  });

  it('refuses an empty server id with ZLB_ERR_INVALID_ARGUMENT', async () => {
    await expectRefused(() => h.engine.heartbeat('', ok), ErrorCode.InvalidArgument, 'serverId');
    await expectRefused(() => h.engine.drainServer(''), ErrorCode.InvalidArgument, 'serverId');
    await expectRefused(() => h.engine.removeServer(''), ErrorCode.InvalidArgument, 'serverId');
  });

  const badPlayers: [string, unknown][] = [
    ['-1', -1],
    ['1.5', 1.5],
    ['NaN', NaN],
    ['MAX_PLAYER_ID + 1', MAX_PLAYER_ID + 1],
    ['a string', '1'],
  ];
  it.each(badPlayers)('join, leave and move refuse player %s', async (_what, player) => {
    await expectRefused(() => h.engine.join(player as number, 1), ErrorCode.InvalidArgument, 'player');
    await expectRefused(() => h.engine.leave(player as number), ErrorCode.InvalidArgument, 'player');
    await expectRefused(() => h.engine.move(player as number, 1), ErrorCode.InvalidArgument, 'player');
  });

  const badZones: [string, unknown][] = [
    ['maxZones', 256],
    ['-1', -1],
    ['2.5', 2.5],
    ['NaN', NaN],
  ];
  it.each(badZones)('join and move refuse zone %s', async (_what, zone) => {
    await expectRefused(() => h.engine.join(1, zone as number), ErrorCode.InvalidArgument, 'zone');
    await expectRefused(() => h.engine.move(1, zone as number), ErrorCode.InvalidArgument, 'zone');
  });

  it('refuses a batch larger than maxBatch whole, with ZLB_ERR_BATCH_TOO_LARGE', async () => {
    const reqs = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ op: Op.Join, player: 100 + i, zone: 1 }));
    await expectRefused(() => submitBatch(h.engine, reqs), ErrorCode.BatchTooLarge, 'count');
  });

  it('refuses a negative or fractional count', async () => {
    const sink = { status: new Uint8Array(1), server: new Int32Array(1), position: new Uint32Array(1), done: () => undefined };
    const req = { ops: Uint8Array.of(Op.Join), players: Uint32Array.of(100), zones: Uint32Array.of(1) };
    await expectRefused(() => h.engine.submit(req, 0, -1, sink), ErrorCode.InvalidArgument, 'count');
    await expectRefused(() => h.engine.submit(req, 0, 0.5, sink), ErrorCode.InvalidArgument, 'count');
  });

  it('answers an empty batch at once', async () => {
    const r = await submitBatch(h.engine, []);
    expect(r.doneCalls()).toBe(1);
  });

  it('answers bad requests inside a batch Invalid, one each, and changes nothing', async () => {
    const before = await snapshot(h.engine);
    const r = await submitBatch(h.engine, [
      { op: Op.Join, player: 200, zone: 256 },
      { op: Op.Move, player: 0, zone: 1000 },
      { op: Op.Join, player: MAX_PLAYER_ID + 1, zone: 1 },
      { op: Op.Leave, player: 0xffffffff, zone: 0 },
      { op: 0, player: 201, zone: 1 },
      { op: 9, player: 202, zone: 1 },
    ]);
    expect(r.doneCalls()).toBe(1);
    expect(r.status).toEqual(new Array(6).fill(Status.Invalid));
    expect(r.server).toEqual(new Array(6).fill(-1));
    expect(await snapshot(h.engine)).toBe(before);
  });

  /*
   * Regression (found by this suite, fixed in 45742c8): LocalEngine passed ops straight to
   * ShardCore.apply, which also serves the sharded engine's internal hand-off ops
   * (then AttachMove 4, AttachJoin 5; now 5 and 6, since 4 is Quit): a client request with
   * such an op was placed like a join.
   */
  it('answers the internal hand-off ops Invalid and changes nothing', async () => {
    const before = await snapshot(h.engine);
    const r = await submitBatch(h.engine, [
      { op: InternalOp.AttachMove, player: 300, zone: 1 },
      { op: InternalOp.AttachJoin, player: 301, zone: 1 },
    ]);
    expect(r.status).toEqual([Status.Invalid, Status.Invalid]);
    expect(await snapshot(h.engine)).toBe(before);
  });
});

describe.each(ENGINE_KINDS)('engine limits and lifecycle errors (%s engine)', (kind) => {
  it('refuses a server past maxServers, then every call once closed', async () => {
    const h = await startEngine(kind, { maxServers: 2 }, true); // fresh: this one gets closed for real
    try {
      h.engine.registerServer({ id: 'a' });
      h.engine.registerServer({ id: 'b' });
      const full = await caught(() => h.engine.registerServer({ id: 'c' }));
      expect(full).toBeInstanceOf(ZonelbError);
      expect((full as ZonelbError).code).toBe(ErrorCode.ServerTableFull);
      expect(h.engine.servers().map((s) => s.id)).toEqual(['a', 'b']);
    } finally {
      await h.close();
    }
    for (const call of [
      () => h.engine.join(1, 1),
      () => h.engine.registerServer({ id: 'd' }),
      () => h.engine.heartbeat('a', { cpu: 0, memory: 0, players: 0 }),
      () => h.engine.drainServer('a'),
    ]) {
      const err = await caught(call);
      expect(err).toBeInstanceOf(ZonelbError);
      expect((err as ZonelbError).code).toBe(ErrorCode.EngineClosed);
    }
    expect(await h.engine.tick(1)).toEqual([]);
    await h.close(); // closing twice is harmless
  });
});
