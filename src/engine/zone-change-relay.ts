import { ZoneChange, type ShardState } from '../core/layout.ts';
import { drainZoneEvents, hasZoneEvents } from '../core/zone-event-ring.ts';
import type { EventHub } from './engine-events.ts';

/**
 * Turns the shards' zone split/merge logs (shared memory, see zone-event-ring.ts) into
 * `zone-split` / `zone-merged` engine events. The engine calls flush after batches, ticks,
 * evacuations and hot-zone changes; with nothing logged that costs two loads per shard.
 */
export class ZoneChangeRelay {
  private readonly logs: ShardState[] = [];
  private at = 0;
  private readonly hub: EventHub;
  private readonly clock: () => number;
  private readonly visit: (zone: number, kind: number, servers: number) => void;

  constructor(hub: EventHub, clock: () => number) {
    this.hub = hub;
    this.clock = clock;
    // One visitor for the engine's lifetime: draining allocates only the events it emits.
    this.visit = (zone, kind, servers) => {
      this.hub.emit({ type: kind === ZoneChange.split ? 'zone-split' : 'zone-merged', at: this.at, zone, servers });
    };
  }

  /** Relay this shard's log (shard index = order of calls). */
  watch(state: ShardState): void {
    this.logs.push(state);
  }

  /** Emits what every shard logged, stamped `at` (default: the engine's clock, read only if needed). */
  flush(at?: number): void {
    for (const log of this.logs) this.flushShard(log, at);
  }

  flushShard(log: ShardState, at?: number): void {
    if (!hasZoneEvents(log)) return;
    this.at = at ?? this.clock();
    drainZoneEvents(log, this.visit);
  }
}
