import { ServerState, type Reason } from '../core/codes.ts';
import {
  allocateServerTable,
  allocateShardState,
  allocateZoneTable,
  entryCapacityFor,
  serverTableViews,
  shardStateViews,
  zoneTableViews,
  type ServerTable,
} from '../core/layout.ts';
import { resolveOptions, type EngineOptions, type EngineOptionsInput } from '../core/options.ts';
import type { ReplacementEvents } from '../core/event-log.ts';
import type { Ring } from '../core/ring.ts';
import { ShardCore, type ZoneRow } from '../core/shard-core.ts';
import { EngineBase, type EngineRuntime } from './engine-base.ts';
import { sinkDone } from './sink-done.ts';
import type { AdmissionSeats, RequestArrays, ResultSink } from './types.ts';

/**
 * The single-threaded engine: the control plane and one shard on the caller's thread.
 * Answers synchronously (submit calls sink.done() before returning), so the simulator can
 * drive it on a virtual clock; behaves like the sharded engine with shards = 1.
 */
export class LocalEngine extends EngineBase {
  readonly core: ShardCore;
  private readonly table: ServerTable;
  /** Per-slot tallies of held seats, filled by admissionSeats (preallocated: it runs at every denied join in the simulator). */
  private readonly heldReconnect: Int32Array;
  private readonly heldHot: Int32Array;

  constructor(input: EngineOptionsInput = {}, runtime: EngineRuntime = {}) {
    const options: EngineOptions = resolveOptions({ ...input, shards: 1 });
    const serverBuffers = allocateServerTable(options.maxServers, options.roomListSize);
    // Nothing here runs on another thread: seats need no Atomics (see ServerTable.exclusive).
    const servers = serverTableViews(serverBuffers, true);
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
    this.cp.heldSeats = (slot) => state.serverHeld[slot]!;
    this.table = servers;
    this.heldReconnect = new Int32Array(options.maxServers);
    this.heldHot = new Int32Array(options.maxServers);
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
    // Players the batch's freed seats admitted from the line, told after the answers that
    // queued them (all given now: this engine answers a batch whole).
    if (core.events.count > 0) this.publish(this.describe(core.events.drain()));
  }

  /**
   * Seats free by the admission limits now, on servers taking joins, by who may take them (see
   * AdmissionSeats): what a denied join could have had by the engine's own rules.
   */
  admissionSeats(out: AdmissionSeats): void {
    const t = this.table;
    const n = this.cp.slots;
    const reconnect = this.heldReconnect;
    const hot = this.heldHot;
    reconnect.fill(0, 0, n);
    hot.fill(0, 0, n);
    this.core.addHeldSeats(reconnect, hot);
    out.takeable = 0;
    out.reconnect = 0;
    out.hot = 0;
    for (let slot = 0; slot < n; slot++) {
      if (t.state[slot] !== ServerState.Active) continue;
      const limit = t.limit[slot]!;
      const count = t.count[slot]!;
      // Seats below the limit that no placed player sits in: free, or held (a lowered limit may leave fewer than are held).
      const below = limit - (count - reconnect[slot]! - hot[slot]!);
      if (below <= 0) continue;
      const free = Math.max(0, limit - count);
      const forReconnect = Math.min(reconnect[slot]!, below - free);
      out.takeable += free;
      out.reconnect += forReconnect;
      out.hot += below - free - forReconnect;
    }
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
