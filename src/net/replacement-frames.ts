import type { ReplacementEvent } from '../engine/types.ts';
import { encodeReplacementBatch } from '../wire/codec.ts';

/**
 * ReplacementBatch frames for a list of engine events, at most `perFrame` events each (a crashed
 * server with 10 k players becomes a few frames rather than one that passes a gateway's limits).
 * Encoded once and sent to every gateway. Control-plane rate, so plain arrays are fine here.
 */
export function replacementFrames(events: readonly ReplacementEvent[], perFrame: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let from = 0; from < events.length; from += perFrame) {
    const n = Math.min(perFrame, events.length - from);
    const batch = {
      count: n,
      players: new Uint32Array(n),
      oldServers: new Int32Array(n),
      newServers: new Int32Array(n),
      zones: new Uint32Array(n),
      reasons: new Uint8Array(n),
    };
    for (let i = 0; i < n; i++) {
      const e = events[from + i]!;
      batch.players[i] = e.player;
      batch.oldServers[i] = e.oldServer;
      batch.newServers[i] = e.newServer;
      batch.zones[i] = e.zone;
      batch.reasons[i] = e.reason;
    }
    frames.push(encodeReplacementBatch(batch));
  }
  return frames;
}
