import { Reason } from '../core/codes.ts';
import type { Engine, EngineEvent, ReplacementEvent } from '../engine/types.ts';

/** One line of the dashboard's event feed: the engine event and when it happened (wall clock). */
export type FeedItem = EngineEvent & { wallTime: number };

/** A server that left the fleet (dead or removed), kept visible for a while after its slot is freed. */
export interface DepartedServer {
  id: string;
  state: 'dead' | 'removed';
  players: number;
  lost: number;
  failoverMs: number;
  wallTime: number;
}

export interface HotZone {
  zone: number;
  joinRate: number;
  baseline: number;
  sinceWallTime: number;
}

export interface ScaleState {
  desired: number;
  actual: number;
  mode: 'reactive' | 'predictive';
  reason: string;
  wallTime: number;
}

const REASON_NAMES: Readonly<Record<number, string>> = {
  [Reason.Crashed]: 'crashed',
  [Reason.Drained]: 'drained',
  [Reason.Removed]: 'removed',
  [Reason.Admitted]: 'admitted',
  [Reason.Lost]: 'lost',
};

export interface EventTrackerOptions {
  /** Feed lines kept for a page that opens later. */
  feedSize?: number;
  /** How long a dead or removed server stays on the dashboard. */
  departedKeepMs?: number;
  wallClock?: () => number;
}

/**
 * Reads the engine's control-plane events and re-placement batches and keeps what metrics and
 * the dashboard need: counts by event type, players re-placed by reason, the hot zones now, the
 * autoscaler's last decision, recently departed servers and a short feed. Only events arrive
 * here (rare), never joins.
 */
export class EventTracker {
  readonly eventsByType = new Map<string, number>();
  readonly replacedByReason = new Map<string, number>();
  readonly hotZones = new Map<number, HotZone>();
  readonly departed = new Map<string, DepartedServer>();
  failuresDetected = 0;
  scale: ScaleState | undefined;
  /** Zone splits and merges come by the dozen a second on a full fleet: they get a ring of their own, so they never push a crash out of the feed. */
  private readonly zoneFeed: FeedItem[] = [];
  private readonly otherFeed: FeedItem[] = [];
  private readonly feedSize: number;
  private readonly departedKeepMs: number;
  private readonly wallClock: () => number;
  private readonly listeners = new Set<(item: FeedItem) => void>();
  private readonly unsubscribe: (() => void)[];

  constructor(engine: Engine, o: EventTrackerOptions = {}) {
    this.feedSize = o.feedSize ?? 200;
    this.departedKeepMs = o.departedKeepMs ?? 120_000;
    this.wallClock = o.wallClock ?? Date.now;
    for (const name of Object.values(REASON_NAMES)) this.replacedByReason.set(name, 0);
    this.unsubscribe = [engine.onEvent((e) => this.onEvent(e)), engine.onReplacement((events) => this.onReplacement(events))];
  }

  /** Called with each new feed item (the dashboard pushes it at once). */
  onFeed(listener: (item: FeedItem) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The feed, oldest first: the latest `feedSize` zone changes and the latest `feedSize` other events. */
  recent(): FeedItem[] {
    const out: FeedItem[] = [];
    const a = this.otherFeed;
    const b = this.zoneFeed;
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && a[i]!.wallTime <= b[j]!.wallTime)) out.push(a[i++]!);
      else out.push(b[j++]!);
    }
    return out;
  }

  /** Departed servers still worth showing; older ones are forgotten. */
  recentlyDeparted(): DepartedServer[] {
    const cutoff = this.wallClock() - this.departedKeepMs;
    for (const [id, d] of this.departed) if (d.wallTime < cutoff) this.departed.delete(id);
    return [...this.departed.values()];
  }

  close(): void {
    for (const u of this.unsubscribe) u();
    this.listeners.clear();
  }

  private onEvent(e: EngineEvent): void {
    const wallTime = this.wallClock();
    this.eventsByType.set(e.type, (this.eventsByType.get(e.type) ?? 0) + 1);
    switch (e.type) {
      case 'server-registered':
        // Back under the same id: no longer a departed server.
        this.departed.delete(e.serverId);
        break;
      case 'server-dead':
        this.failuresDetected++;
        this.departed.set(e.serverId, { id: e.serverId, state: 'dead', players: e.players, lost: e.lost, failoverMs: e.failoverMs, wallTime });
        break;
      case 'server-removed':
        this.departed.set(e.serverId, { id: e.serverId, state: 'removed', players: e.players, lost: 0, failoverMs: 0, wallTime });
        break;
      case 'hot-zone':
        if (e.hot) {
          const was = this.hotZones.get(e.zone);
          this.hotZones.set(e.zone, { zone: e.zone, joinRate: e.joinRate, baseline: e.baseline, sinceWallTime: was?.sinceWallTime ?? wallTime });
        } else this.hotZones.delete(e.zone);
        break;
      case 'scale':
        this.scale = { desired: e.desired, actual: e.actual, mode: e.mode, reason: e.reason, wallTime };
        break;
      default:
        break;
    }
    const item: FeedItem = { ...e, wallTime };
    const feed = e.type === 'zone-split' || e.type === 'zone-merged' ? this.zoneFeed : this.otherFeed;
    feed.push(item);
    if (feed.length > this.feedSize) feed.splice(0, feed.length - this.feedSize);
    for (const l of this.listeners) l(item);
  }

  private onReplacement(events: readonly ReplacementEvent[]): void {
    for (const e of events) {
      const name = REASON_NAMES[e.reason];
      if (name !== undefined) this.replacedByReason.set(name, this.replacedByReason.get(name)! + 1);
    }
  }
}
