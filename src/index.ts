/**
 * zonelb's in-process API. Create an engine, register game servers, send heartbeats, and ask
 * where each player goes:
 *
 *   const engine = await createEngine({ shards: 2 });
 *   engine.registerServer({ id: 'gs-1', weight: 1 });
 *   const { status, serverId } = await engine.join(playerId, zoneId);
 */
import { LocalEngine } from './engine/local-engine.ts';
import { ShardedEngine } from './engine/sharded-engine.ts';
import { defaultShards, type EngineOptionsInput } from './core/options.ts';
import type { EngineRuntime } from './engine/engine-base.ts';
import type { Engine } from './engine/types.ts';

export { LocalEngine, ShardedEngine };
export type { EngineRuntime, Clock } from './engine/engine-base.ts';
export type * from './engine/types.ts';
export { Op, Status, Reason, ServerState, NO_SERVER, statusName, handleSlot, handleGeneration } from './core/codes.ts';
export { ErrorCode, ZonelbError } from './core/errors.ts';
export { defaultShards, resolveOptions, optionsSchema, type EngineOptions, type EngineOptionsInput } from './core/options.ts';
export { MAX_PLAYER_ID } from './core/layout.ts';

/**
 * The engine for `options.shards` (by default one per core but the caller's, see
 * defaultShards): worker threads when there is more than one shard, the single-threaded
 * engine otherwise (same behaviour, no thread hop).
 */
export async function createEngine(options: EngineOptionsInput = {}, runtime: EngineRuntime = {}): Promise<Engine> {
  const shards = options.shards ?? defaultShards();
  if (shards === 1) return new LocalEngine(options, runtime);
  return ShardedEngine.start(options, runtime);
}
