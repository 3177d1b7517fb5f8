/**
 * The event tracker behind the dashboard's feed and the event-derived metrics: counts by type,
 * failures, departed servers, hot zones and the last scale decision from the engine's event
 * stream, and a feed where a burst of zone splits never pushes a crash out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../src/index.ts';
import type { Engine } from '../src/engine/types.ts';
import { EventTracker } from '../src/obs/event-tracker.ts';

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe('EventTracker', () => {
  it('keeps crashes and drains in the feed through a burst of zone changes', async () => {
    engine = await createEngine({ shards: 1 }, { autoTick: false });
    let now = 1_000;
    const tracker = new EventTracker(engine, { feedSize: 50, wallClock: () => now++ });
    engine.registerServer({ id: 'gs-1', weight: 2 });
    await engine.drainServer('gs-1');
    engine.emitEvent({ type: 'server-dead', at: 0, serverId: 'gs-2', players: 40, lost: 1, failoverMs: 3.5 });
    for (let i = 0; i < 500; i++) engine.emitEvent({ type: i % 2 ? 'zone-merged' : 'zone-split', at: 0, zone: i % 64, servers: 2 });
    engine.emitEvent({ type: 'scale', at: 0, desired: 9, actual: 6, mode: 'reactive', reason: 'utilisation above band' });

    const feed = tracker.recent();
    const types = feed.map((f) => f.type);
    expect(types.filter((t) => t === 'zone-split' || t === 'zone-merged')).toHaveLength(50);
    expect(types.filter((t) => t !== 'zone-split' && t !== 'zone-merged')).toEqual(['server-registered', 'server-draining', 'server-dead', 'scale']);
    for (let i = 1; i < feed.length; i++) expect(feed[i]!.wallTime).toBeGreaterThan(feed[i - 1]!.wallTime);

    expect(tracker.eventsByType.get('zone-split')).toBe(250);
    expect(tracker.failuresDetected).toBe(1);
    expect(tracker.recentlyDeparted()).toEqual([{ id: 'gs-2', state: 'dead', players: 40, lost: 1, failoverMs: 3.5, wallTime: 1_002 }]);
    expect(tracker.scale).toMatchObject({ desired: 9, actual: 6, mode: 'reactive' });
    tracker.close();
  });

  it('follows hot zones in and out, and forgets departed servers after departedKeepMs', async () => {
    engine = await createEngine({ shards: 1 }, { autoTick: false });
    let now = 0;
    const tracker = new EventTracker(engine, { departedKeepMs: 1000, wallClock: () => now });
    const seen: string[] = [];
    tracker.onFeed((item) => seen.push(item.type));
    engine.emitEvent({ type: 'hot-zone', at: 0, zone: 4, hot: true, joinRate: 50, baseline: 5 });
    now = 10;
    engine.emitEvent({ type: 'hot-zone', at: 0, zone: 4, hot: true, joinRate: 80, baseline: 5 });
    expect([...tracker.hotZones.values()]).toEqual([{ zone: 4, joinRate: 80, baseline: 5, sinceWallTime: 0 }]);
    engine.emitEvent({ type: 'hot-zone', at: 0, zone: 4, hot: false, joinRate: 4, baseline: 5 });
    expect(tracker.hotZones.size).toBe(0);

    engine.registerServer({ id: 'gs-9' });
    await engine.removeServer('gs-9');
    expect(tracker.recentlyDeparted().map((d) => [d.id, d.state])).toEqual([['gs-9', 'removed']]);
    now = 2000;
    expect(tracker.recentlyDeparted()).toEqual([]);
    expect(seen).toEqual(['hot-zone', 'hot-zone', 'hot-zone', 'server-registered', 'server-removed']);
    tracker.close();
  });
});
