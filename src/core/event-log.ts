import type { Reason } from './codes.ts';

/**
 * Re-placements a shard made without being asked (failover, drains, queue admissions),
 * collected in typed arrays and handed to the caller in one piece. Rare, so it may grow.
 */
export interface ReplacementEvents {
  count: number;
  players: Uint32Array;
  /** -1 (NO_SERVER) for none. */
  oldServers: Int32Array;
  newServers: Int32Array;
  zones: Uint32Array;
  reasons: Uint8Array;
}

export class EventLog {
  count = 0;
  private players = new Uint32Array(64);
  private oldServers = new Int32Array(64);
  private newServers = new Int32Array(64);
  private zones = new Uint32Array(64);
  private reasons = new Uint8Array(64);

  push(player: number, oldServer: number, newServer: number, zone: number, reason: Reason): void {
    if (this.count === this.players.length) this.grow();
    const i = this.count++;
    this.players[i] = player;
    this.oldServers[i] = oldServer;
    this.newServers[i] = newServer;
    this.zones[i] = zone;
    this.reasons[i] = reason;
  }

  /** Copies out the events and empties the log. */
  drain(): ReplacementEvents {
    const n = this.count;
    this.count = 0;
    return {
      count: n,
      players: this.players.slice(0, n),
      oldServers: this.oldServers.slice(0, n),
      newServers: this.newServers.slice(0, n),
      zones: this.zones.slice(0, n),
      reasons: this.reasons.slice(0, n),
    };
  }

  private grow(): void {
    const n = this.players.length * 2;
    this.players = copyInto(new Uint32Array(n), this.players);
    this.oldServers = copyInto(new Int32Array(n), this.oldServers);
    this.newServers = copyInto(new Int32Array(n), this.newServers);
    this.zones = copyInto(new Uint32Array(n), this.zones);
    this.reasons = copyInto(new Uint8Array(n), this.reasons);
  }
}

function copyInto<T extends Uint32Array | Int32Array | Uint8Array>(to: T, from: T): T {
  to.set(from);
  return to;
}

export function emptyEvents(): ReplacementEvents {
  return {
    count: 0,
    players: new Uint32Array(0),
    oldServers: new Int32Array(0),
    newServers: new Int32Array(0),
    zones: new Uint32Array(0),
    reasons: new Uint8Array(0),
  };
}

export function concatEvents(parts: readonly ReplacementEvents[]): ReplacementEvents {
  if (parts.length === 1) return parts[0]!;
  const out = emptyEvents();
  const n = parts.reduce((a, p) => a + p.count, 0);
  out.count = n;
  out.players = new Uint32Array(n);
  out.oldServers = new Int32Array(n);
  out.newServers = new Int32Array(n);
  out.zones = new Uint32Array(n);
  out.reasons = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.players.set(p.players.subarray(0, p.count), at);
    out.oldServers.set(p.oldServers.subarray(0, p.count), at);
    out.newServers.set(p.newServers.subarray(0, p.count), at);
    out.zones.set(p.zones.subarray(0, p.count), at);
    out.reasons.set(p.reasons.subarray(0, p.count), at);
    at += p.count;
  }
  return out;
}
