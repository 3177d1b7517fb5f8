import type { Reason } from '../core/codes.ts';
import {
  allocateServerTable,
  allocateShardState,
  allocateZoneTable,
  entryCapacityFor,
  serverTableViews,
  shardStateViews,
  zoneTableViews,
} from '../core/layout.ts';
import { resolveOptions, type EngineOptions, type EngineOptionsInput } from '../core/options.ts';
import type { ReplacementEvents } from '../core/event-log.ts';
import type { Ring } from '../core/ring.ts';
import { ShardCore, type ZoneRow } from '../core/shard-core.ts';
import { EngineBase, type EngineRuntime } from './engine-base.ts';
import { sinkDone } from './sink-done.ts';
import type { RequestArrays, ResultSink } from './types.ts';

/**
 * The single-threaded engine: the control plane and one shard on the caller's thread.
 * Answers synchronously (submit calls sink.done() before returning), so the simulator can
 * drive it on a virtual clock; behaves like the sharded engine with shards = 1.
 */
export class LocalEngine extends EngineBase {
  readonly core: ShardCore;

  constructor(input: EngineOptionsInput = {}, runtime: EngineRuntime = {}) {
    const options: EngineOptions = resolveOptions({ ...input, shards: 1 });
    const serverBuffers = allocateServerTable(options.maxServers, options.roomListSize);
    const servers = serverTableViews(serverBuffers);
    const zones = zoneTableViews(allocateZoneTable(options.maxZones, options.adjacency));
    super(options, servers, zones, runtime);
    const state = shardStateViews(
      allocateShardState(
        options.maxPlayers,
        entryCapacityFor(options.maxZones, 1, options.maxServers),
        queueCapacityFor(options, 1),
        options.maxServers,
      ),
    );
    this.core = new ShardCore({ servers, zones, state }, 0, 1, options);
    this.zoneChanges.watch(state);
    this.startTimer(runtime);
  }

  submit(requests: RequestArrays, start: number, count: number, sink: ResultSink): void {
    this.checkBatch(count);
    this.syncRing();
    const now = this.clock();
    const core = this.core;
    const { ops, players, zones } = requests;
    const { status, server, position } = sink;
    const stats = this.stats;
    stats.sent(0, count, performance.now());
    core.answer(ops, players, zones, null, null, status, server, position, start, start + count, now, stats.answers);
    stats.answered(0, performance.now());
    this.zoneChanges.flush(now);
    sinkDone(sink);
  }

  protected shardsEvacuate(slot: number, reason: Reason, onlyIfRoom: boolean): Promise<ReplacementEvents> {
    this.core.evacuate(slot, reason, onlyIfRoom);
    return Promise.resolve(this.core.events.drain());
  }

  protected shardsTick(now: number): Promise<ReplacementEvents> {
    this.core.tick(now);
    return Promise.resolve(this.core.events.drain());
  }

  protected shardsPlayersOn(slot: number): Promise<number[]> {
    return Promise.resolve(this.core.playersOn(slot));
  }

  protected shardsRing(ring: Ring): void {
    this.core.ring = ring;
  }

  protected shardsZones(): Promise<ZoneRow[]> {
    return Promise.resolve(this.core.listZones());
  }

  protected shardsHotZone(zone: number, servers: number, reserve: number): Promise<void> {
    this.core.setHotZone(zone, servers, reserve);
    return Promise.resolve();
  }

  protected shardsQueued(): number {
    return this.core.queuedCount();
  }

  protected shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Queue ring entries per shard: room for the shard's share of the limit plus stale entries. */
export function queueCapacityFor(options: EngineOptions, shards: number): number {
  return Math.ceil(options.queueLimit / shards) * 2 + 16;
}
