import type { BatchBuffers, ServerTableBuffers, ShardStateBuffers, ZoneTableBuffers } from '../core/layout.ts';
import type { ReplacementEvents } from '../core/event-log.ts';
import type { EngineOptions } from '../core/options.ts';
import type { Reason } from '../core/codes.ts';

/**
 * Messages between the coordinator and a shard worker. Shared buffers cross once, in
 * workerData; after that only indices, counts and rare control payloads do.
 */
export interface ShardWorkerData {
  index: number;
  shards: number;
  options: EngineOptions;
  servers: ServerTableBuffers;
  zones: ZoneTableBuffers;
  state: ShardStateBuffers;
  /** Two mailboxes: the coordinator fills one while the shard answers the other. */
  mailboxes: [BatchBuffers, BatchBuffers];
}

export type ToShard =
  | { t: 'batch'; which: 0 | 1; from: number; to: number; now: number; number: number }
  /** The ring's points and their slots; the worker rebuilds the bucket index itself (ring.ts). */
  | { t: 'ring'; points: Uint32Array; slots: Int32Array }
  | { t: 'tick'; id: number; now: number }
  | { t: 'evacuate'; id: number; slot: number; reason: Reason; onlyIfRoom: boolean }
  | { t: 'playersOn'; id: number; slot: number }
  | { t: 'zones'; id: number }
  /** Apply a hot-zone plan to a zone this shard owns (servers 0 lifts it). */
  | { t: 'hotZone'; id: number; zone: number; servers: number; reserve: number };

export type FromShard =
  | { t: 'ready' }
  /** A batch answered; `events`: queued players it admitted to seats the batch freed. */
  | { t: 'batch'; which: 0 | 1; events?: ReplacementEvents }
  | { t: 'reply'; id: number; events?: ReplacementEvents; data?: unknown };

export type ControlRequest = Extract<ToShard, { id: number }>;
