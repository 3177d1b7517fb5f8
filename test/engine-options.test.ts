/**
 * Engine options (src/core/options.ts): every rule of the schema refuses a bad value with
 * ZLB_ERR_INVALID_OPTION naming the field; boundary values are accepted; defaults are filled
 * in and the result is frozen; both engines refuse bad options before starting anything;
 * createEngine picks the engine for the shard count.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ErrorCode, ZonelbError } from '../src/core/errors.ts';
import { defaultShards, resolveOptions, type EngineOptionsInput } from '../src/core/options.ts';
import { createEngine } from '../src/index.ts';
import { LocalEngine } from '../src/engine/local-engine.ts';
import { ShardedEngine } from '../src/engine/sharded-engine.ts';
import { caught } from './fixtures/engine-harness.ts';

function refusal(input: unknown): ZonelbError {
  let err: unknown;
  try {
    resolveOptions(input as EngineOptionsInput);
  } catch (e) {
    err = e;
  }
  expect(err, `options ${JSON.stringify(input)} should be refused`).toBeInstanceOf(ZonelbError);
  const z = err as ZonelbError;
  expect(z.code).toBe(ErrorCode.InvalidOption);
  return z;
}

/** [rule, input, field named in the error] — one row per rule of the schema. */
const rules: [string, unknown, string][] = [
  ['shards is an integer', { shards: 1.5 }, 'shards'],
  ['shards ≥ 1', { shards: 0 }, 'shards'],
  ['shards ≤ 64', { shards: 65 }, 'shards'],
  ['shards is a number', { shards: '4' }, 'shards'],
  ['maxServers is an integer', { maxServers: 2.5 }, 'maxServers'],
  ['maxServers ≥ 1', { maxServers: 0 }, 'maxServers'],
  ['maxServers ≤ 65536', { maxServers: 65_537 }, 'maxServers'],
  ['maxZones is an integer', { maxZones: 10.5 }, 'maxZones'],
  ['maxZones ≥ 1', { maxZones: 0 }, 'maxZones'],
  ['maxZones ≤ 2^26', { maxZones: 2 ** 26 + 1 }, 'maxZones'],
  ['maxPlayers is an integer', { maxPlayers: 100.5 }, 'maxPlayers'],
  ['maxPlayers ≥ 16', { maxPlayers: 15 }, 'maxPlayers'],
  ['maxPlayers ≤ 2^27', { maxPlayers: 2 ** 27 + 1 }, 'maxPlayers'],
  ['maxBatch is an integer', { maxBatch: 1.5 }, 'maxBatch'],
  ['maxBatch ≥ 1', { maxBatch: 0 }, 'maxBatch'],
  ['maxBatch ≤ 2^20', { maxBatch: 2 ** 20 + 1 }, 'maxBatch'],
  ['limits.cpu > 0', { limits: { cpu: 0 } }, 'limits.cpu'],
  ['limits.cpu ≤ 1', { limits: { cpu: 1.01 } }, 'limits.cpu'],
  ['limits.cpu is not NaN', { limits: { cpu: NaN } }, 'limits.cpu'],
  ['limits.memory > 0', { limits: { memory: -0.1 } }, 'limits.memory'],
  ['limits.memory ≤ 1', { limits: { memory: 1.5 } }, 'limits.memory'],
  ['limits.playersPerServer is an integer', { limits: { playersPerServer: 10.5 } }, 'limits.playersPerServer'],
  ['limits.playersPerServer ≥ 1', { limits: { playersPerServer: 0 } }, 'limits.playersPerServer'],
  ['limits.playersPerServer ≤ 10 000 000', { limits: { playersPerServer: 10_000_001 } }, 'limits.playersPerServer'],
  ['reconnectMs ≥ 0', { reconnectMs: -1 }, 'reconnectMs'],
  ['reconnectMs ≤ one day', { reconnectMs: 86_400_001 }, 'reconnectMs'],
  ['reconnectMs is finite', { reconnectMs: Infinity }, 'reconnectMs'],
  ['suspectAfterMs > 0', { suspectAfterMs: 0 }, 'suspectAfterMs'],
  ['deadAfterMs > 0', { deadAfterMs: -5 }, 'deadAfterMs'],
  ['deadAfterMs ≥ suspectAfterMs', { suspectAfterMs: 500, deadAfterMs: 499 }, 'deadAfterMs'],
  ['whenFull is queue or refuse', { whenFull: 'drop' }, 'whenFull'],
  ['queueLimit is an integer', { queueLimit: 2.5 }, 'queueLimit'],
  ['queueLimit ≥ 0', { queueLimit: -1 }, 'queueLimit'],
  ['boundedLoadEpsilon ≥ 0', { boundedLoadEpsilon: -0.1 }, 'boundedLoadEpsilon'],
  ['boundedLoadEpsilon ≤ 10', { boundedLoadEpsilon: 10.5 }, 'boundedLoadEpsilon'],
  ['ringPointsPerWeight is an integer', { ringPointsPerWeight: 2.5 }, 'ringPointsPerWeight'],
  ['ringPointsPerWeight ≥ 1', { ringPointsPerWeight: 0 }, 'ringPointsPerWeight'],
  ['ringPointsPerWeight ≤ 1024', { ringPointsPerWeight: 1025 }, 'ringPointsPerWeight'],
  ['mergeBelow > 0', { mergeBelow: 0 }, 'mergeBelow'],
  ['mergeBelow ≤ 1', { mergeBelow: 1.1 }, 'mergeBelow'],
  ['roomListSize is an integer', { roomListSize: 1.5 }, 'roomListSize'],
  ['roomListSize ≥ 1', { roomListSize: 0 }, 'roomListSize'],
  ['roomListSize ≤ 65536', { roomListSize: 65_537 }, 'roomListSize'],
  ['adjacency keys are zone ids', { adjacency: { x: [1] } }, 'adjacency.x'],
  ['adjacency lists hold integers', { adjacency: { '1': [2.5] } }, 'adjacency.1.0'],
  ['adjacency lists hold zones ≥ 0', { adjacency: { '1': [-1] } }, 'adjacency.1.0'],
  ['adjacency keys are below maxZones', { maxZones: 10, adjacency: { '10': [1] } }, 'adjacency.10'],
  ['adjacency neighbours are below maxZones', { maxZones: 10, adjacency: { '1': [2, 10] } }, 'adjacency.1'],
  ['tickMs > 0', { tickMs: 0 }, 'tickMs'],
  ['admission.confidence ≥ 0', { admission: { confidence: -0.1 } }, 'admission.confidence'],
  ['admission.confidence ≤ 10', { admission: { confidence: 10.5 } }, 'admission.confidence'],
  ['admission.halfLife ≥ 1', { admission: { halfLife: 0.5 } }, 'admission.halfLife'],
  ['admission.halfLife ≤ 1 000 000', { admission: { halfLife: 1_000_001, slopeHalfLife: 1_000_000 } }, 'admission.halfLife'],
  ['admission.slopeHalfLife ≥ 1', { admission: { slopeHalfLife: 0 } }, 'admission.slopeHalfLife'],
  ['admission.slopeHalfLife ≤ 1 000 000', { admission: { slopeHalfLife: 1_000_001 } }, 'admission.slopeHalfLife'],
  ['admission.slopeHalfLife ≥ admission.halfLife', { admission: { halfLife: 50, slopeHalfLife: 49 } }, 'admission.slopeHalfLife'],
  ['admission.readingNoise ≥ 0', { admission: { readingNoise: -0.01 } }, 'admission.readingNoise'],
  ['admission.readingNoise ≤ 0.5', { admission: { readingNoise: 0.6 } }, 'admission.readingNoise'],
  ['admission.priorSpread ≥ 0', { admission: { priorSpread: -1 } }, 'admission.priorSpread'],
  ['admission.priorSpread ≤ 10', { admission: { priorSpread: 11 } }, 'admission.priorSpread'],
  ['admission.coldStart > 0', { admission: { coldStart: 0 } }, 'admission.coldStart'],
  ['admission.coldStart ≤ 1', { admission: { coldStart: 1.5 } }, 'admission.coldStart'],
];

describe('resolveOptions', () => {
  it.each(rules)('refuses a value breaking "%s"', (_rule, input, field) => {
    const err = refusal(input);
    expect(err.field).toBe(field);
    expect(err.message).toContain(field);
  });

  it('refuses an unknown option and names it in the message', () => {
    expect(refusal({ shard: 4 }).message).toContain('shard');
    expect(refusal({ limits: { cpux: 0.5 } }).message).toContain('cpux');
    expect(refusal({ admission: { margin: 2 } }).message).toContain('margin');
  });

  it('refuses options that are not an object', () => {
    refusal(null);
    refusal(42);
  });

  it('keeps the cause (the schema error) for diagnosis', () => {
    expect(refusal({ shards: 0 }).cause).toBeDefined();
  });

  it('accepts every boundary value', () => {
    const edge: EngineOptionsInput = {
      shards: 64,
      maxServers: 65_536,
      maxZones: 1,
      maxPlayers: 16,
      maxBatch: 1,
      limits: { cpu: 1, memory: 1, playersPerServer: 1 },
      reconnectMs: 0,
      suspectAfterMs: 1,
      deadAfterMs: 1,
      whenFull: 'refuse',
      queueLimit: 0,
      boundedLoadEpsilon: 0,
      ringPointsPerWeight: 1024,
      mergeBelow: 1,
      roomListSize: 65_536,
      adjacency: { '0': [0] },
      tickMs: 0.5,
      admission: { confidence: 0, halfLife: 1, slopeHalfLife: 1, readingNoise: 0, priorSpread: 0, coldStart: 1 },
    };
    expect(resolveOptions(edge)).toMatchObject(edge);
  });

  it('fills in the documented defaults and freezes the result', () => {
    const o = resolveOptions({ shards: 2 });
    expect(o).toMatchObject({
      shards: 2,
      maxServers: 16_384,
      maxZones: 1 << 18,
      maxPlayers: 1 << 23,
      maxBatch: 1 << 16,
      limits: { cpu: 0.8, memory: 0.9, playersPerServer: 1000 },
      reconnectMs: 30_000,
      suspectAfterMs: 3_000,
      deadAfterMs: 5_000,
      whenFull: 'queue',
      queueLimit: 100_000,
      boundedLoadEpsilon: 0.25,
      ringPointsPerWeight: 40,
      mergeBelow: 0.6,
      roomListSize: 1024,
      tickMs: 100,
      admission: { confidence: 3, halfLife: 20, slopeHalfLife: 600, readingNoise: 0.01, priorSpread: 0.1, coldStart: 0.5 },
    });
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.limits)).toBe(true);
    expect(Object.isFrozen(o.admission)).toBe(true);
    // A partial admission object keeps the other settings' defaults.
    expect(resolveOptions({ admission: { confidence: 2 } }).admission).toEqual({ confidence: 2, halfLife: 20, slopeHalfLife: 600, readingNoise: 0.01, priorSpread: 0.1, coldStart: 0.5 });
    // A partial limits object keeps the other limits' defaults.
    expect(resolveOptions({ limits: { cpu: 0.5 } }).limits).toEqual({ cpu: 0.5, memory: 0.9, playersPerServer: 1000 });
  });

  it('defaults to a shard per core but the one the caller runs on, at least one', () => {
    expect([1, 2, 3, 8, 65, 192].map((cores) => defaultShards(cores))).toEqual([1, 1, 2, 7, 64, 64]);
    expect(resolveOptions({}).shards).toBe(defaultShards(availableParallelism()));
  });
});

describe('createEngine', () => {
  it('runs one shard on the caller\'s thread and more in worker threads, the default included', async () => {
    const one = await createEngine({ shards: 1 }, { autoTick: false });
    const two = await createEngine({ shards: 2 }, { autoTick: false });
    const unset = await createEngine({}, { autoTick: false });
    try {
      expect(one).toBeInstanceOf(LocalEngine);
      expect(two).toBeInstanceOf(ShardedEngine);
      expect(unset).toBeInstanceOf(defaultShards() === 1 ? LocalEngine : ShardedEngine);
    } finally {
      await Promise.all([one.close(), two.close(), unset.close()]);
    }
  });
});

describe('engines refuse bad options before starting', () => {
  it('LocalEngine throws ZLB_ERR_INVALID_OPTION', () => {
    let err: unknown;
    try {
      new LocalEngine({ maxZones: 0 }, { autoTick: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ZonelbError);
    expect((err as ZonelbError)).toMatchObject({ code: ErrorCode.InvalidOption, field: 'maxZones' });
  });

  it('ShardedEngine.start rejects with ZLB_ERR_INVALID_OPTION', async () => {
    const err = await caught(() => ShardedEngine.start({ shards: 2, limits: { cpu: 2 } }, { autoTick: false }));
    expect(err).toBeInstanceOf(ZonelbError);
    expect((err as ZonelbError)).toMatchObject({ code: ErrorCode.InvalidOption, field: 'limits.cpu' });
  });
});
