import type { Logger } from 'pino';
import { Reason } from '../core/codes.ts';
import type { Engine, HeartbeatReport, ReplacementEvent, ServerInfo, ServerSpec } from '../engine/types.ts';

/** Where a control request came from, for the log line. */
export type Via = 'http' | 'ws';

export interface DrainResult {
  id: string;
  moved: number;
  /** Players still on the server after the drain. */
  remaining: number;
}

export interface RemoveResult {
  id: string;
  /** Players re-placed on other servers. */
  replaced: number;
  /** Players that found no room and lost their seat. */
  lost: number;
}

/**
 * Game-server lifecycle calls, shared by the HTTP API and the game-server WebSocket. Their
 * lines are debug: the control-plane event each call causes is the info line, logged once
 * from the engine's event stream (src/obs/event-log.ts); these add who asked and how.
 */
export class FleetControl {
  constructor(
    private readonly engine: Engine,
    private readonly log: Logger,
  ) {}

  /** Registers (or re-registers) a server; `created` is false for a server already known. */
  register(spec: ServerSpec, via: Via): { info: ServerInfo; created: boolean } {
    const known = this.isKnown(spec.id);
    const info = this.engine.registerServer(spec);
    this.log.debug(
      { serverId: info.id, handle: info.handle, weight: info.weight, address: info.address, limit: info.limit, via },
      known ? 'server re-registered' : 'server registered',
    );
    return { info, created: !known };
  }

  private isKnown(id: string): boolean {
    try {
      this.engine.server(id);
      return true;
    } catch {
      return false;
    }
  }

  heartbeat(id: string, report: HeartbeatReport): ServerInfo {
    const before = this.engine.server(id).state;
    const info = this.engine.heartbeat(id, report);
    // Routine heartbeats are not events; a suspect server coming back is.
    if (before !== info.state) this.log.debug({ serverId: id, from: before, to: info.state }, 'server state changed');
    return info;
  }

  async drain(id: string, move: boolean, via: Via): Promise<DrainResult> {
    const r = await this.engine.drainServer(id, { move });
    this.log.debug({ serverId: id, move, moved: r.moved, remaining: r.players.length, via }, 'server draining');
    return { id, moved: r.moved, remaining: r.players.length };
  }

  async remove(id: string, via: Via): Promise<RemoveResult> {
    const events = await this.engine.removeServer(id);
    const lost = countLost(events);
    this.log.debug({ serverId: id, replaced: events.length - lost, lost, via }, 'server removed');
    return { id, replaced: events.length - lost, lost };
  }
}

export function countLost(events: readonly ReplacementEvent[]): number {
  let lost = 0;
  for (const e of events) if (e.reason === Reason.Lost) lost++;
  return lost;
}
